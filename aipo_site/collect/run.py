"""``aipo collect``: from the charters' source requests to the files the build reads.

Per model, everything that names a source is collected into ``metrics/<model-id>/``:

- ``collected.csv``: ``date,metric,value,segment``, one row per day (and segment) of every KPI
  with a ``source``;
- ``drift/collected-bins.csv``: ``period,feature,bin,reference_count,current_count`` of a
  ``drift.source``, every bin of every feature in every period (zero counts kept);
- ``collected.json``: the manifest: per output the fingerprint of its request and the last day
  collected (``through``), and for drift each feature's edges and reference counts.

Incremental rules: a KPI fetches the days after its ``through``; drift re-fetches from the first
day of the period holding ``through + 1`` (a partial last period is completed) and reuses the
manifest's edges and reference counts. A changed fingerprint (the charter's request or the
source's definition edited) recollects that output from scratch; ``full`` recollects
everything. A model's files are computed whole, checked with the build's own readers, then
replaced (each atomically); a failure writes nothing for that model, so the previously collected
files, and the site built from them, are kept.
"""

from __future__ import annotations

import csv
import datetime as dt
import decimal
import difflib
import hashlib
import io
import json
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from ..atomic import write_atomic
from ..errors import InputError, InputErrors, SourceError, snippet
from ..load.drift import COLLECTED_BINS, parse_bins_csv
from ..load.metrics import parse_metric_csv
from ..load.records import read_document
from ..load.source import WorkingTree
from ..load.sources import check_source_refs, load_sources
from ..model.charter import Charter, Drift, FeatureKind, Kpi
from ..model.inputs import Layout
from ..model.sources import Source, SourcesFile
from .engine import DailyAggregate, Engine, Scalar, Scan

__all__ = [
    "COLLECTED_CSV",
    "MANIFEST",
    "CollectFailure",
    "CollectReport",
    "ModelReport",
    "bin_label",
    "collect",
    "daily_value",
    "number_text",
    "period_start",
]

COLLECTED_CSV = "collected.csv"
MANIFEST = "collected.json"
MANIFEST_VERSION = 1
CSV_HEADER = ["date", "metric", "value", "segment"]
BINS_HEADER = ["period", "feature", "bin", "reference_count", "current_count"]
_DAY = dt.timedelta(days=1)

EngineFactory = Callable[[], Engine]


# ---------------------------------------------------------------------------------- semantics


def number_text(value: float) -> str:
    """Shortest round-trip text of a number (``repr``), without a trailing ``.0``."""
    text = repr(float(value))
    return text[:-2] if text.endswith(".0") else text


def bin_label(edges: list[float], index: int) -> str:
    """The label of numeric bin ``index`` of the inner ``edges``: ``< e1``, ``e1 – e2``,
    ``≥ ek`` (closed on the left)."""
    if index == 0:
        return f"< {number_text(edges[0])}"
    if index == len(edges):
        return f"≥ {number_text(edges[-1])}"
    return f"{number_text(edges[index - 1])} – {number_text(edges[index])}"


def quantile_positions(n: int, bins: int) -> list[int]:
    """Positions ``ceil((n - 1) j / bins)``, ``j = 1 .. bins - 1``, of the sorted reference: the
    edges of ``evaluate.drift_methods.quantile_edges``."""
    return [((n - 1) * j + bins - 1) // bins for j in range(1, bins)]


def period_start(day: dt.date, period: str) -> dt.date:
    """The first day of the Monday-start week or calendar month holding ``day``."""
    if period == "week":
        return day - dt.timedelta(days=day.weekday())
    return day.replace(day=1)


def _next_period(start: dt.date, period: str) -> dt.date:
    if period == "week":
        return start + dt.timedelta(days=7)
    return (start.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def daily_value(aggregate: DailyAggregate, daily: str) -> float:
    """A day's value: count, the exact sum, the exact mean (``decimal``, then float), min or
    max."""
    if daily == "count":
        return float(aggregate.count)
    if daily == "min":
        assert aggregate.minimum is not None
        return aggregate.minimum
    if daily == "max":
        assert aggregate.maximum is not None
        return aggregate.maximum
    assert aggregate.total is not None
    if daily == "sum":
        return float(aggregate.total)
    with decimal.localcontext() as context:
        context.prec = 60
        return float(aggregate.total / decimal.Decimal(aggregate.count))


# ------------------------------------------------------------------------------------- report


@dataclass
class ModelReport:
    """What one model's collection did."""

    model: str
    lines: list[str] = field(default_factory=list)  # one per output: what was fetched
    rows: int = 0  # rows in the files written
    written: list[str] = field(default_factory=list)  # files replaced (content changed)


@dataclass
class CollectFailure:
    """A model whose collection failed: nothing was written for it."""

    model: str
    message: str  # one line: source, charter place, what failed


@dataclass
class CollectReport:
    models: list[ModelReport] = field(default_factory=list)
    failures: list[CollectFailure] = field(default_factory=list)


class _Failed(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# ----------------------------------------------------------------------------------- requests


def _canonical(value: object) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)


def _fingerprint(source_name: str, source: Source, request: dict[str, object]) -> str:
    text = _canonical(
        {"source": source_name, "definition": source.model_dump(mode="json"), **request}
    )
    return hashlib.sha256(text.encode()).hexdigest()


def _kpi_request(kpi: Kpi) -> dict[str, object]:
    assert kpi.source is not None
    s = kpi.source
    return {
        "metric": kpi.metric,
        "date": s.date,
        "where": [[c, list(v)] for c, v in s.conditions()],
        "value": s.value,
        "daily": s.daily,
        "segment": s.segment,
    }


def _drift_request(drift: Drift) -> dict[str, object]:
    assert drift.source is not None and drift.reference is not None
    s = drift.source
    return {
        "date": s.date,
        "where": [[c, list(v)] for c, v in s.conditions()],
        "bins": s.bins,
        "reference": [drift.reference.start.isoformat(), drift.reference.end.isoformat()],
        "period": drift.period,
        "features": [[f.name, f.kind.value if f.kind else None] for f in drift.features],
    }


@dataclass
class _Context:
    root: Path
    charter_path: str
    sources: SourcesFile
    engines: dict[str, Engine]
    factories: Mapping[str, EngineFactory]

    def scan(self, name: str, date: str, where: tuple[tuple[str, tuple[Scalar, ...]], ...]) -> Scan:
        return Scan(name, self.sources.sources[name], self.root, date, where)

    def engine(self, scan: Scan) -> Engine:
        """The engine of the scan's source, started on first use and shared by the run."""
        kind = scan.source.engine
        engine = self.engines.get(kind)
        if engine is None:
            try:
                engine = self.factories[kind]()
            except ImportError as e:
                raise SourceError(
                    f"the {kind} engine is not installed ({e}); install aipo-portal[{kind}]"
                ) from None
            self.engines[kind] = engine
        return engine


def _check_columns(engine: Engine, scan: Scan, columns: Iterable[str | None]) -> dict[str, str]:
    """The source's column kinds; SourceError naming the first column it lacks."""
    kinds = engine.column_kinds(scan)
    for column in [scan.date, *(c for c, _ in scan.where), *columns]:
        if column is None or column in kinds:
            continue
        close = difflib.get_close_matches(column, list(kinds), n=1, cutoff=0.6)
        hint = f"; did you mean '{close[0]}'?" if close else ""
        raise SourceError(f"column {snippet(column)} is not in the source{hint}")
    return kinds


# --------------------------------------------------------------------------------------- KPIs


def _read_rows(path: Path, header: list[str]) -> list[list[str]]:
    """The rows of a file collect wrote (after its header); [] when absent, unreadable or not
    in the format collect writes (then what it held is collected again)."""
    try:
        rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))
    except (OSError, UnicodeDecodeError, csv.Error):
        return []
    if not rows or rows[0] != header or any(len(r) != len(header) for r in rows):
        return []
    return rows[1:]


def _collect_kpis(
    ctx: _Context,
    charter: Charter,
    old: dict[str, dict[str, Any]],
    old_rows: list[list[str]],
    until: dt.date,
    full: bool,
    report: ModelReport,
) -> tuple[dict[str, dict[str, Any]], list[list[str]]]:
    manifest: dict[str, dict[str, Any]] = {}
    rows: list[list[str]] = []
    for index, kpi in enumerate(charter.kpis):
        if kpi.source is None:
            continue
        s = kpi.source
        where = f"{ctx.charter_path} kpis[{index}]"
        fingerprint = _fingerprint(s.name, ctx.sources.sources[s.name], _kpi_request(kpi))
        previous = old.get(kpi.metric)
        through: dt.date | None = None
        if not full and previous and previous.get("fingerprint") == fingerprint:
            through = dt.date.fromisoformat(str(previous["through"]))
        kept = [
            r
            for r in old_rows
            if through is not None and r[1] == kpi.metric and r[0] <= through.isoformat()
        ]
        start = None if through is None else through + _DAY
        fetched: list[list[str]] = []
        if start is None or start <= until:
            try:
                scan = ctx.scan(s.name, s.date, s.conditions())
                engine = ctx.engine(scan)
                _check_columns(engine, scan, [s.value, s.segment])
                aggregates = engine.daily(scan, s.value, s.segment, start, until)
            except SourceError as e:
                raise _Failed(f"source '{s.name}' ({where}): {e}") from None
            fetched = [
                [a.day.isoformat(), kpi.metric, repr(daily_value(a, s.daily)), a.segment or ""]
                for a in aggregates
            ]
        span = (
            f"from the first row to {until}"
            if start is None
            else ("nothing new" if start > until else f"{start} to {until}")
        )
        report.lines.append(f"kpi {kpi.metric}: {span}, {len(fetched)} rows fetched")
        rows.extend(kept)
        rows.extend(fetched)
        last = through if through is not None and through >= until else until
        manifest[kpi.metric] = {"fingerprint": fingerprint, "through": last.isoformat()}
    rows.sort(key=lambda r: (r[0], r[1], r[3]))
    return manifest, rows


# -------------------------------------------------------------------------------------- drift


def _collect_drift(
    ctx: _Context,
    drift: Drift,
    old: dict[str, Any] | None,
    old_rows: list[list[str]],
    until: dt.date,
    full: bool,
    report: ModelReport,
) -> tuple[dict[str, Any] | None, list[list[str]]]:
    assert drift.source is not None and drift.reference is not None
    s = drift.source
    ref = drift.reference
    where = f"{ctx.charter_path} drift"
    source = ctx.sources.sources[s.name]
    fingerprint = _fingerprint(s.name, source, _drift_request(drift))
    reuse = (
        not full
        and old is not None
        and old.get("fingerprint") == fingerprint
        and isinstance(old.get("features"), dict)
        and isinstance(old.get("through"), str)
    )
    if reuse:
        assert old is not None
        # An earlier --until than the last run's keeps what was collected (as for KPIs).
        until = max(until, dt.date.fromisoformat(str(old["through"])))
    first = period_start(ref.end + _DAY, drift.period)
    last = period_start(until, drift.period)
    if until <= ref.end:
        report.lines.append(
            f"drift: nothing to collect before the reference window ends ({ref.end})"
        )
        return None, []
    try:
        scan = ctx.scan(s.name, s.date, s.conditions())
        engine = ctx.engine(scan)
        kinds = _check_columns(engine, scan, [f.name for f in drift.features])
        features: dict[str, dict[str, Any]] = {}
        if reuse:
            assert old is not None
            features = old["features"]
            through = dt.date.fromisoformat(str(old["through"]))
            fetch_from = max(period_start(through + _DAY, drift.period), first)
        else:
            features = _reference(engine, scan, drift, kinds)
            fetch_from = first
        numeric = {n: list(f["edges"]) for n, f in features.items() if f["kind"] == "numeric"}
        categorical = [n for n, f in features.items() if f["kind"] == "categorical"]
        current: dict[tuple[dt.date, str, int | str], int] = defaultdict(int)
        if fetch_from <= until:
            for day, feature, bin_, count in engine.daily_bins(
                scan, fetch_from, until, numeric, categorical
            ):
                current[(period_start(day, drift.period), feature, bin_)] += count
    except SourceError as e:
        raise _Failed(f"source '{s.name}' ({where}): {e}") from None
    # Counts of the periods before fetch_from, from the file (labels back to bins).
    label_to_bin = {
        name: {bin_label(numeric[name], i): i for i in range(len(numeric[name]) + 1)}
        for name in numeric
    }
    for row in old_rows if reuse else []:
        period = dt.date.fromisoformat(row[0])
        if period >= fetch_from or row[1] not in features:
            continue
        b: int | str = label_to_bin[row[1]].get(row[2], -1) if row[1] in numeric else row[2]
        if b == -1:
            raise _Failed(
                f"source '{s.name}' ({where}): {COLLECTED_BINS} does not match its manifest; run aipo collect --full"
            )
        current[(period, row[1], b)] += int(row[4])
    # Every category seen in the reference or in any period is a bin of every period.
    for (_, name, b), _count in list(current.items()):
        if name in features and features[name]["kind"] == "categorical":
            reference = features[name]["reference"]
            assert isinstance(reference, dict)
            reference.setdefault(str(b), 0)
    periods = []
    p = first
    while p <= last:
        periods.append(p)
        p = _next_period(p, drift.period)
    rows: list[list[str]] = []
    for period in periods:
        for name in sorted(features):
            spec = features[name]
            if spec["kind"] == "numeric":
                edges = numeric[name]
                counts = spec["reference"]
                assert isinstance(counts, list)
                for i in range(len(edges) + 1):
                    rows.append(
                        [
                            period.isoformat(),
                            name,
                            bin_label(edges, i),
                            str(counts[i]),
                            str(current.get((period, name, i), 0)),
                        ]
                    )
            else:
                reference = spec["reference"]
                assert isinstance(reference, dict)
                for category in sorted(reference):
                    rows.append(
                        [
                            period.isoformat(),
                            name,
                            category,
                            str(reference[category]),
                            str(current.get((period, name, category), 0)),
                        ]
                    )
    span = f"{fetch_from} to {until}" if fetch_from <= until else "nothing new"
    reused = "reference reused" if reuse else f"reference {ref.start} to {ref.end}"
    report.lines.append(f"drift: {span} ({reused}), {len(periods)} {drift.period}s")
    manifest = {"fingerprint": fingerprint, "through": until.isoformat(), "features": features}
    return manifest, rows


def _reference(
    engine: Engine, scan: Scan, drift: Drift, kinds: dict[str, str]
) -> dict[str, dict[str, Any]]:
    """Each feature's kind, numeric edges and reference counts."""
    assert drift.source is not None and drift.reference is not None
    ref = drift.reference
    features: dict[str, dict[str, Any]] = {}
    numeric: dict[str, list[float]] = {}
    categorical: list[str] = []
    window = f"the reference window ({ref.start} to {ref.end})"
    for feature in drift.features:
        kind = (
            feature.kind.value
            if feature.kind is not None
            else ("numeric" if kinds[feature.name] == "numeric" else "categorical")
        )
        if kind == FeatureKind.numeric.value:
            if kinds[feature.name] not in ("numeric", "boolean"):
                raise SourceError(
                    f"feature '{feature.name}' is declared numeric but the column holds "
                    f"{kinds[feature.name]} values"
                )
            n, _ = engine.order_statistics(scan, feature.name, ref.start, ref.end, [])
            if n == 0:
                raise SourceError(f"feature '{feature.name}' has no values in {window}")
            _, values = engine.order_statistics(
                scan, feature.name, ref.start, ref.end, quantile_positions(n, drift.source.bins)
            )
            numeric[feature.name] = sorted(set(values))
        else:
            categorical.append(feature.name)
    counts: dict[tuple[str, int | str], int] = defaultdict(int)
    for _day, name, b, count in engine.daily_bins(scan, ref.start, ref.end, numeric, categorical):
        counts[(name, b)] += count
    for name, edges in numeric.items():
        features[name] = {
            "kind": "numeric",
            "edges": edges,
            "reference": [counts.get((name, i), 0) for i in range(len(edges) + 1)],
        }
    for name in categorical:
        reference = {str(b): c for (n, b), c in counts.items() if n == name}
        if not reference:
            raise SourceError(f"feature '{name}' has no values in {window}")
        features[name] = {"kind": "categorical", "reference": dict(sorted(reference.items()))}
    return features


# -------------------------------------------------------------------------------------- files


def _csv_text(header: list[str], rows: list[list[str]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


def _replace(path: Path, text: str) -> bool:
    """Write ``text`` to ``path`` atomically (a temporary file renamed over it); False when the
    file already holds it."""
    data = text.encode("utf-8")
    if path.is_file() and path.read_bytes() == data:
        return False
    write_atomic(path, data)
    return True


def _read_manifest(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict) or data.get("version") != MANIFEST_VERSION:
        return {}
    return data


def _collect_model(
    ctx: _Context, charter: Charter, folder: Path, until: dt.date, full: bool, rel: str
) -> ModelReport:
    report = ModelReport(charter.id)
    manifest_path = folder / MANIFEST
    old = _read_manifest(manifest_path)
    kpi_old: dict[str, Any] = old["kpis"] if isinstance(old.get("kpis"), dict) else {}
    drift_old: dict[str, Any] | None = old["drift"] if isinstance(old.get("drift"), dict) else None
    kpi_rows_old = _read_rows(folder / COLLECTED_CSV, CSV_HEADER)
    bin_rows_old = _read_rows(folder / COLLECTED_BINS, BINS_HEADER)
    # A file that is missing or not as collect wrote it: what the manifest says is not there.
    if not kpi_rows_old:
        kpi_old = {}
    if not bin_rows_old:
        drift_old = None
    kpi_manifest, kpi_rows = _collect_kpis(ctx, charter, kpi_old, kpi_rows_old, until, full, report)
    drift_manifest, bin_rows = None, []
    if charter.drift is not None and charter.drift.source is not None:
        drift_manifest, bin_rows = _collect_drift(
            ctx,
            charter.drift,
            drift_old,
            bin_rows_old,
            until,
            full,
            report,
        )
    # Check the files with the build's own readers before anything is replaced.
    texts: dict[str, str] = {}
    try:
        if kpi_manifest:
            texts[COLLECTED_CSV] = _csv_text(CSV_HEADER, kpi_rows)
            parse_metric_csv(texts[COLLECTED_CSV].encode(), f"{rel}/{COLLECTED_CSV}")
        if drift_manifest is not None:
            texts[COLLECTED_BINS] = _csv_text(BINS_HEADER, bin_rows)
            parse_bins_csv(
                texts[COLLECTED_BINS].encode(), f"{rel}/{COLLECTED_BINS}", same_rows=False
            )
    except InputError as e:
        raise _Failed(f"{ctx.charter_path}: the collected data cannot be written: {e}") from None
    manifest = {
        "version": MANIFEST_VERSION,
        "model": charter.id,
        "kpis": kpi_manifest,
        **({"drift": drift_manifest} if drift_manifest is not None else {}),
    }
    texts[MANIFEST] = json.dumps(manifest, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    for name, text in texts.items():
        if _replace(folder / name, text):
            report.written.append(f"{rel}/{name}")
    report.rows = len(kpi_rows) + len(bin_rows)
    return report


def _default_factories() -> dict[str, EngineFactory]:
    def duckdb() -> Engine:
        from .duckdb import DuckDbEngine

        return DuckDbEngine()

    def spark() -> Engine:
        from .spark import SparkEngine

        return SparkEngine()

    return {"duckdb": duckdb, "spark": spark}


def collect(
    root: Path,
    layout: Layout,
    until: dt.date,
    *,
    full: bool = False,
    models: Iterable[str] = (),
    factories: Mapping[str, EngineFactory] | None = None,
) -> CollectReport:
    """Collect every model that names a source (or only ``models``), up to ``until``.

    Raises InputErrors/InputError when the sources file or a charter is invalid, or a charter
    names a source that is not declared (nothing is collected then); a model whose collection
    fails is reported in ``failures`` with nothing written for it.
    """
    tree = WorkingTree(root)
    errors: list[InputError] = []
    sources, _ = load_sources(tree, layout.sources, errors)
    InputErrors.raise_if_any(errors)
    listed = tree.list_files(layout.charters) if tree.is_dir(layout.charters) else []
    charters: list[tuple[Charter, str]] = []
    for path in sorted(p for p in listed if p.endswith((".yaml", ".yml"))):
        loaded = read_document(tree, path, Charter, "charter", errors)
        if loaded is None:
            continue
        charter, doc = loaded
        if not _uses_sources(charter):
            continue
        errors.extend(check_source_refs(charter, doc, sources, layout.sources))
        charters.append((charter, path))
    InputErrors.raise_if_any(errors)
    wanted = set(models)
    unknown = sorted(wanted - {c.id for c, _ in charters})
    if unknown:
        raise SourceError(f"--model {snippet(unknown[0])}: no charter with that id names a source")
    report = CollectReport()
    engines: dict[str, Engine] = {}
    try:
        for charter, path in sorted(charters, key=lambda c: c[0].id):
            if wanted and charter.id not in wanted:
                continue
            assert sources is not None
            ctx = _Context(root, path, sources, engines, factories or _default_factories())
            rel = str(PurePosixPath(layout.metrics) / charter.id)
            try:
                report.models.append(
                    _collect_model(
                        ctx, charter, root / layout.metrics / charter.id, until, full, rel
                    )
                )
            except _Failed as e:
                report.failures.append(CollectFailure(charter.id, e.message))
    finally:
        for engine in engines.values():
            engine.close()
    return report


def _uses_sources(charter: Charter) -> bool:
    return any(k.source is not None for k in charter.kpis) or (
        charter.drift is not None and charter.drift.source is not None
    )
