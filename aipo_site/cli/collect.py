"""`aipo collect`: run the metric sources of content/sources.yaml into the files the build reads.

The work lives in :mod:`aipo_site.collect.run`; this module prints what it did: one line per
model (what was fetched, rows written), one line per failure (the source, the charter's field,
what failed) and a summary.
"""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Sequence

from ..collect.run import CollectReport, collect
from ..errors import ConfigError
from .settings import Settings

__all__ = ["EXIT_FAILED", "default_until", "run_collect"]

EXIT_FAILED = 2  # a source could not be read or queried: configuration, reach or query


def default_until(settings: Settings, today: dt.date | None = None) -> dt.date:
    """Yesterday (UTC), the last whole day; or the evaluation date the repository pins (the
    plugin's ``as_of``, or ``--as-of``) when that is earlier: days after it are never shown."""
    yesterday = (today or dt.datetime.now(dt.UTC).date()) - dt.timedelta(days=1)
    pinned = settings.as_of
    if isinstance(pinned, str):
        try:
            pinned = dt.date.fromisoformat(pinned)
        except ValueError:  # "today", or an error `aipo check` reports
            return yesterday
    if isinstance(pinned, dt.date):
        return min(yesterday, pinned)
    return yesterday


def run_collect(
    settings: Settings, until: dt.date, *, full: bool, models: Sequence[str]
) -> tuple[int, CollectReport]:
    """Collect, print one line per model and a summary; the exit code (0, or 2 on a failure)."""
    layout = settings.layout
    if not (settings.root / layout.sources).is_file():
        raise ConfigError(
            f"no metric sources: {layout.sources} does not exist (see the guide's Metric sources)"
        )
    report = collect(settings.root, layout, until, full=full, models=models)
    for model in report.models:
        written = f", wrote {', '.join(model.written)}" if model.written else ", unchanged"
        print(f"{model.model}: {'; '.join(model.lines)}; {model.rows} rows{written}")
    for failure in report.failures:
        print(f"aipo collect: {failure.message}", file=sys.stderr)
    total = len(report.models) + len(report.failures)
    failed = len(report.failures)
    summary = f"collected {len(report.models)} of {total} model{'s' if total != 1 else ''}"
    summary += f" through {until.isoformat()}"
    if failed:
        summary += f"; {failed} failed (their previous files are kept)"
    print(summary)
    return (EXIT_FAILED if failed else 0), report
