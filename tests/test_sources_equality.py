"""The acceptance test of metric sources: every engine computes the same numbers, exactly.

One seeded 200,000-row Parquet file (eight months of scoring logs of two models: a timestamp
with nulls, labels, boolean predictions, a score with NaN and nulls, numeric features with ties,
NaN and nulls, a text category that first appears after the reference window, a boolean
category, a segment column with nulls) is collected by ``aipo collect`` three times: with DuckDB
from the Parquet file, with Spark (local[2]) from the same file, and with DuckDB from a CSV copy.
The three collections must be identical byte for byte. They are then held to "the existing CSV
path", the way teams fed aipo before sources existed:

- drift: the same rows as a dated samples CSV, read by aipo's samples reader and evaluated by
  the existing drift code; the collected bins must hold exactly ``binned_counts`` /
  ``categorical_counts`` of those samples (edges = ``quantile_edges``), and the drift values,
  p-values, statuses and row counts of every feature must be equal (==) for the current window
  and for every period of drift over time (methods psi / chi_square / jensen_shannon, the ones
  both paths compute from counts);
- KPIs: daily values computed from the rows in plain Python by the documented semantics (each
  value rounded half-up to 12 decimal places from its shortest text, summed exactly; the mean in
  ``decimal``), written as a metric CSV; the evaluated KPIs (window values, statuses, since,
  timelines) must be equal.

Nothing here is approximate, and nothing is skipped: without pyspark or Java the test fails and
says how to install them (``make test`` installs pyspark from the ``test`` extra).
"""

from __future__ import annotations

import datetime as dt
import decimal
import os
import shutil
import textwrap
from collections import defaultdict
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from aipo_site.collect.engine import Engine, Scan
from aipo_site.collect.run import collect
from aipo_site.evaluate import drift_methods as dm
from aipo_site.model.inputs import Layout
from tests.conftest import evaluate_results

ROWS = 200_000
FIRST = dt.date(2026, 1, 5)  # a Monday
UNTIL = dt.date(2026, 8, 30)  # a Sunday: 34 whole weeks of data
DAYS = (UNTIL - FIRST).days + 1
REFERENCE = (dt.date(2026, 1, 5), dt.date(2026, 3, 29))  # 12 whole weeks, ends on a Sunday
CURRENT_DAYS = 28  # four whole weeks up to UNTIL: the same rows on the samples and bins paths
MODEL = "m1"
NUMERIC = ["tenure", "spend", "visits"]
CATEGORICAL = ["plan", "is_mobile"]
_TWELVE = Decimal("1e-12")

# The rows. DuckDB's random() is reproducible from setseed() on one thread. Ties (tenure is
# whole months, visits an integer column) exercise the deduplicated quantile edges; the shift
# after the reference window makes some features drift; `plan` gains 'max' only after it.
GENERATE = f"""
SET threads = 1;
SELECT setseed(0.1212);
CREATE TABLE raw AS
SELECT i, random() AS u1, random() AS u2, random() AS u3, random() AS u4, random() AS u5,
       random() AS u6, random() AS u7, random() AS u8, random() AS u9
FROM range({ROWS}) AS t(i) ORDER BY i;
CREATE TABLE logs AS
WITH d AS (
  SELECT *, CAST(floor(u1 * {DAYS} * 86400) AS BIGINT) AS secs FROM raw
), e AS (
  SELECT *, TIMESTAMPTZ '{FIRST} 00:00:00+00' + to_seconds(secs) AS ts,
         secs / 86400 >= {(REFERENCE[1] - FIRST).days + 1} AS after FROM d
)
SELECT
  CASE WHEN i % 977 = 0 THEN NULL ELSE ts END AS scored_at,
  CASE WHEN u2 < 0.7 THEN 'churn' ELSE 'fraud' END AS model_id,
  CAST(u3 < 0.4 AS INTEGER) AS label,
  (u3 < 0.4 AND u4 < 0.85 - (CASE WHEN after THEN 0.1 ELSE 0 END)) OR (u3 >= 0.4 AND u4 < 0.1)
    AS predicted,
  CASE WHEN i % 501 = 0 THEN CAST('NaN' AS DOUBLE) WHEN i % 703 = 0 THEN NULL
       ELSE u4 * 0.9 + u5 * 0.1 END AS score,
  CASE WHEN i % 389 = 0 THEN NULL ELSE u4 * 0.9 + u5 * 0.1 - CAST(u3 < 0.4 AS INTEGER) END
    AS residual,
  CASE WHEN i % 211 = 0 THEN NULL
       ELSE floor(u5 * 48 + CASE WHEN after THEN u6 * 12 ELSE 0 END) END AS tenure,
  CASE WHEN i % 307 = 0 THEN CAST('NaN' AS DOUBLE) WHEN i % 401 = 0 THEN NULL
       ELSE exp(3 + 0.6 * sqrt(-2 * ln(1 - u6)) * cos(2 * pi() * u7)
                + CASE WHEN after THEN 0.25 * u8 ELSE 0 END) END AS spend,
  CASE WHEN i % 199 = 0 THEN NULL ELSE CAST(floor(u7 * 20) AS INTEGER) END AS visits,
  CASE WHEN i % 601 = 0 THEN NULL
       WHEN after AND u8 < 0.08 THEN 'max'
       WHEN u8 < 0.5 THEN 'basic' WHEN u8 < 0.85 THEN 'plus' ELSE 'pro' END AS plan,
  CASE WHEN i % 89 = 0 THEN NULL ELSE u9 < (CASE WHEN after THEN 0.55 ELSE 0.5 END) END
    AS is_mobile,
  CASE WHEN u9 < 0.1 THEN NULL WHEN u9 < 0.45 THEN 'north' WHEN u9 < 0.8 THEN 'south'
       ELSE 'east' END AS region
FROM e ORDER BY i;
"""

KPIS = [
    # metric, source request (value, daily, where, segment), thresholds and window
    ("recall", "value: predicted, daily: mean, where: {model_id: churn, label: 1}", 0.8, 0.78),
    ("positive_rate", "value: predicted, where: {model_id: churn}, segment: region", 0.35, 0.3),
    ("avg_score", "value: score, daily: mean, where: {model_id: [churn]}", 0.4, 0.3),
    ("residual_total", "value: residual, daily: sum, where: {model_id: churn}", -260.0, -280.0),
    # Values of tens to hundreds: 12 decimal places are 14 to 15 significant digits.
    ("spend_total", "value: spend, daily: sum, where: {model_id: churn}", 10000.0, 8000.0),
    ("spend_mean", "value: spend, where: {model_id: churn}, segment: plan", 20.0, 10.0),
    ("volume", "daily: count, where: {model_id: churn}", 500.0, 400.0),
    ("spend_max", "value: spend, daily: max, where: {model_id: churn}", 150.0, 100.0),
    ("tenure_min", "value: tenure, daily: min", 0.5, 1.5),
]
DIRECTIONS = {"tenure_min": "lower_is_better"}
WINDOWS = {"volume": ("median", 7), "spend_max": ("max", 14), "tenure_min": ("min", 3)}

FEATURES = """\
    - {name: tenure, kind: numeric, method: psi}
    - {name: spend, kind: numeric, method: jensen_shannon}
    - {name: visits, kind: numeric, method: psi}
    - {name: plan, kind: categorical, method: chi_square}
    - {name: is_mobile, kind: categorical, method: jensen_shannon}
"""

CHARTER_HEAD = f"""\
id: {MODEL}
name: Churn
summary: Scoring logs collected from a source.
business_unit: Testing
owner: {{name: Ada Owner, email: ada@example.com}}
lifecycle: {{stage: pilot, since: 2026-01-01}}
"""


def _kpis(with_source: bool) -> str:
    lines = ["kpis:"]
    for metric, request, warn, breach in KPIS:
        direction = DIRECTIONS.get(metric, "higher_is_better")
        aggregation, window = WINDOWS.get(metric, ("mean", 7))
        lines.append(
            f"  - {{metric: {metric}, direction: {direction}, thresholds: {{warn: {warn}, "
            f"breach: {breach}}}, window_days: {window}, aggregation: {aggregation}, "
            "freshness_days: 3}"
        )
        if with_source:
            lines[-1] = (
                lines[-1][:-1] + f", source: {{name: scoring, date: scored_at, {request}}}}}"
            )
    return "\n".join(lines) + "\n"


def _drift(with_source: bool) -> str:
    inputs = (
        "  source: {name: scoring, date: scored_at, where: {model_id: churn}, bins: 10}\n"
        if with_source
        else "  samples: drift/samples.csv\n"
    )
    return (
        "drift:\n"
        + inputs
        + f"  reference: {{start: {REFERENCE[0]}, end: {REFERENCE[1]}}}\n"
        + f"  current_days: {CURRENT_DAYS}\n"
        + "  period: week\n"
        + "  features:\n"
        + textwrap.indent(FEATURES, "  ")
    )


SEGMENTS = """\
segments:
  - {metric: positive_rate, gap: absolute, tiers: {warn: 0.02, breach: 0.05}}
  - {metric: spend_mean, gap: ratio, tiers: {warn: 1.05, breach: 1.1}, window_days: 14}
"""


def charter(with_source: bool) -> str:
    return CHARTER_HEAD + _kpis(with_source) + SEGMENTS + _drift(with_source)


# --------------------------------------------------------------------------------- fixtures


def require_spark() -> None:
    """Fail (never skip) when Spark cannot run here, saying what to install."""
    try:
        import pyspark  # noqa: F401
    except ImportError:
        pytest.fail(
            "pyspark is not installed: the sources equality test runs the Spark engine; "
            "`make test` installs it from the test extra (pip install -e '.[test]')"
        )
    home = os.environ.get("JAVA_HOME")
    if not (home and (Path(home) / "bin" / "java").exists()) and shutil.which("java") is None:
        pytest.fail(
            "no Java runtime: the Spark engine needs Java 17 or newer "
            "(apt-get install openjdk-17-jre-headless)"
        )


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The seeded logs as Parquet and as a CSV copy, written by DuckDB."""
    import duckdb

    folder = tmp_path_factory.mktemp("sources-data")
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.execute(GENERATE)
    con.execute(f"COPY logs TO '{folder / 'scoring.parquet'}' (FORMAT parquet)")
    con.execute(f"COPY logs TO '{folder / 'scoring.csv'}' (FORMAT csv, HEADER)")
    con.close()
    return folder


class _Shared:
    """The module's Spark engine for one collect run: ``collect`` closes its engines, and the
    session (10 s to start) is kept for the whole module instead."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self.name = engine.name

    def __getattr__(self, name: str) -> Any:
        return getattr(self._engine, name)

    def close(self) -> None:
        pass


@pytest.fixture(scope="module")
def spark_engine() -> Iterator[Engine]:
    """One SparkSession (local[2]) for the module, stopped at its end."""
    require_spark()
    from aipo_site.collect.spark import SparkEngine

    engine = SparkEngine()
    yield engine
    engine.close()


def _repo(root: Path, data: Path, source: str) -> Path:
    (root / "content" / "models").mkdir(parents=True)
    (root / "mkdocs.yml").write_text("site_name: t\ndocs_dir: content\n")
    (root / "content" / "sources.yaml").write_text(
        f"sources:\n  scoring: {source.replace('DATA', str(data))}\n"
    )
    (root / "content" / "models" / f"{MODEL}.yaml").write_text(charter(True))
    return root


@pytest.fixture(scope="module")
def collected(
    tmp_path_factory: pytest.TempPathFactory, data: Path, spark_engine: Engine
) -> dict[str, Path]:
    """``aipo collect`` of the same rows: DuckDB (Parquet), Spark (Parquet), DuckDB (CSV)."""
    from aipo_site.collect.duckdb import DuckDbEngine

    base = tmp_path_factory.mktemp("sources-repos")
    sources = {
        "duckdb": "{engine: duckdb, path: DATA/scoring.parquet}",
        "spark": "{engine: spark, path: DATA/scoring.parquet, format: parquet, master: 'local[2]'}",
        "duckdb-csv": "{engine: duckdb, path: DATA/scoring.csv}",
    }
    factories = {"duckdb": DuckDbEngine, "spark": lambda: _Shared(spark_engine)}
    roots = {}
    for name, source in sources.items():
        root = _repo(base / name, data, source)
        report = collect(root, Layout(), UNTIL, factories=factories)  # type: ignore[arg-type]
        assert not report.failures, report.failures
        roots[name] = root
    return roots


# ----------------------------------------------------------------- the plain-Python reference


def _rows(data: Path) -> list[dict[str, Any]]:
    """The rows as Python values (DuckDB only reads the file; nothing is aggregated)."""
    import duckdb

    con = duckdb.connect()
    cursor = con.execute(
        "SELECT epoch_us(scored_at) AS us, * EXCLUDE (scored_at) "
        f"FROM read_parquet('{data / 'scoring.parquet'}')"
    )
    names = [d[0] for d in cursor.description]
    rows = [dict(zip(names, r, strict=True)) for r in cursor.fetchall()]
    con.close()
    epoch = dt.date(1970, 1, 1)
    for row in rows:
        us = row.pop("us")
        row["day"] = None if us is None else epoch + dt.timedelta(days=us // 86_400_000_000)
    return rows


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and value != value)


def _twelve(value: float) -> Decimal:
    """A value rounded to 12 decimal places, half away from zero, from its shortest text."""
    with decimal.localcontext() as context:
        context.prec = 80
        return Decimal(repr(float(value))).quantize(_TWELVE, rounding=decimal.ROUND_HALF_UP)


def _request(text: str) -> dict[str, Any]:
    import yaml

    return yaml.safe_load("{" + text + "}")


def _reference_daily(rows: list[dict[str, Any]]) -> str:
    """The metric CSV of every KPI, computed from the rows by the documented semantics."""
    out = ["date,metric,value,segment"]
    lines = []
    for metric, request_text, *_ in KPIS:
        request = _request(request_text)
        daily, value, segment = request.get("daily", "mean"), request.get("value"), None
        segment = request.get("segment")
        where = {
            k: set(v if isinstance(v, list) else [v]) for k, v in request.get("where", {}).items()
        }
        groups: dict[tuple[dt.date, str], list[Any]] = defaultdict(list)
        for row in rows:
            if row["day"] is None or row["day"] > UNTIL:
                continue
            if any(row[k] not in allowed for k, allowed in where.items()):
                continue
            v = 1 if value is None else row[value]
            if _missing(v):
                continue
            v = float(v)  # booleans count as 1 / 0
            groups[(row["day"], "")].append(v)
            if segment is not None and row[segment] is not None:
                groups[(row["day"], str(row[segment]))].append(v)
        for (day, seg), values in groups.items():
            if daily == "count":
                result = float(len(values))
            elif daily == "min":
                result = min(values)
            elif daily == "max":
                result = max(values)
            else:
                total = sum((_twelve(v) for v in values), Decimal(0))
                with decimal.localcontext() as context:
                    context.prec = 60
                    result = float(total if daily == "sum" else total / Decimal(len(values)))
            lines.append((day.isoformat(), metric, seg, repr(result)))
    for day, metric, seg, text in sorted(lines):
        out.append(f"{day},{metric},{text},{seg}")
    return "\n".join(out) + "\n"


def _samples_csv(rows: list[dict[str, Any]]) -> str:
    """The churn model's rows as a dated samples CSV (missing values as empty cells)."""

    def cell(value: Any) -> str:
        if _missing(value):
            return ""
        if isinstance(value, bool):
            return "true" if value else "false"
        return repr(value) if isinstance(value, float) else str(value)

    columns = [*NUMERIC, *CATEGORICAL]
    out = ["date," + ",".join(columns)]
    for row in rows:
        if row["day"] is None or row["model_id"] != "churn" or row["day"] > UNTIL:
            continue
        out.append(row["day"].isoformat() + "," + ",".join(cell(row[c]) for c in columns))
    return "\n".join(out) + "\n"


@pytest.fixture(scope="module")
def csv_path(tmp_path_factory: pytest.TempPathFactory, data: Path) -> Path:
    """The same model fed the existing way: a metric CSV of daily values and a samples CSV."""
    rows = _rows(data)
    root = tmp_path_factory.mktemp("csv-path")
    (root / "content" / "models").mkdir(parents=True)
    (root / "mkdocs.yml").write_text("site_name: t\ndocs_dir: content\n")
    (root / "content" / "models" / f"{MODEL}.yaml").write_text(charter(False))
    folder = root / "metrics" / MODEL
    folder.mkdir(parents=True)
    (folder / "kpis.csv").write_text(_reference_daily(rows))
    (folder / "drift").mkdir()
    (folder / "drift" / "samples.csv").write_text(_samples_csv(rows))
    return root


# ------------------------------------------------------------------------------------ tests


def _files(root: Path) -> dict[str, bytes]:
    folder = root / "metrics" / MODEL
    return {
        name: (folder / name).read_bytes() for name in ("collected.csv", "drift/collected-bins.csv")
    }


def _first_difference(got: bytes, want: bytes) -> str:
    """The first differing lines of two files, for a readable failure."""
    for i, (g, w) in enumerate(zip(got.splitlines(), want.splitlines(), strict=False)):
        if g != w:
            return f"line {i + 1}: {g.decode()!r} != duckdb's {w.decode()!r}"
    return f"{len(got.splitlines())} lines != {len(want.splitlines())} lines"


def test_engines_collect_identical_files(collected: dict[str, Path]) -> None:
    import json

    duck = _files(collected["duckdb"])
    assert duck["collected.csv"].count(b"\n") > 2000
    assert duck["drift/collected-bins.csv"].count(b"\n") > 500
    for other in ("spark", "duckdb-csv"):
        files = _files(collected[other])
        for name, text in duck.items():
            assert files[name] == text, f"{other} {name}: " + _first_difference(files[name], text)
    # The manifests differ only in the fingerprints (the source definitions differ): the edges
    # and reference counts are the same.
    manifests = {
        name: json.loads((root / "metrics" / MODEL / "collected.json").read_text())
        for name, root in collected.items()
    }
    assert manifests["spark"]["drift"]["features"] == manifests["duckdb"]["drift"]["features"]
    assert manifests["duckdb-csv"]["drift"]["features"] == manifests["duckdb"]["drift"]["features"]


def _bins(root: Path) -> dict[tuple[str, str], list[tuple[str, int, int]]]:
    """(period, feature) -> [(bin, reference_count, current_count), ...] in file order."""
    import csv

    text = (root / "metrics" / MODEL / "drift" / "collected-bins.csv").read_text()
    out: dict[tuple[str, str], list[tuple[str, int, int]]] = defaultdict(list)
    for period, feature, label, ref, cur in list(csv.reader(text.splitlines()))[1:]:
        out[(period, feature)].append((label, int(ref), int(cur)))
    return out


def test_bins_are_the_samples_paths_counts(collected: dict[str, Path], csv_path: Path) -> None:
    from aipo_site.collect.run import bin_label
    from aipo_site.load.drift import parse_samples_csv

    raw = (csv_path / "metrics" / MODEL / "drift" / "samples.csv").read_bytes()
    samples = parse_samples_csv(raw, "samples.csv", dated=True)
    dates = samples["date"].to_numpy()

    def window(start: dt.date, end: dt.date) -> Any:
        return samples[(dates >= np.datetime64(start, "D")) & (dates <= np.datetime64(end, "D"))]

    reference = window(*REFERENCE)
    bins = _bins(collected["spark"])
    periods = sorted({p for p, _ in bins})
    assert periods[0] == (REFERENCE[1] + dt.timedelta(days=1)).isoformat()
    assert len(periods) == 22
    seen_new = False
    for period in periods:
        start = dt.date.fromisoformat(period)
        current = window(start, start + dt.timedelta(days=6))
        for name in NUMERIC:
            b = dm.binned_counts(reference[name].to_numpy(), current[name].to_numpy(), 10)
            inner = [float(e) for e in b.edges[1:-1]]
            expected = [
                (bin_label(inner, i), int(r), int(c))
                for i, (r, c) in enumerate(zip(b.reference, b.current, strict=True))
            ]
            assert bins[(period, name)] == expected, (period, name)
            assert inner == [float(e) for e in dm.quantile_edges(reference[name].to_numpy())[1:-1]]
        for name in CATEGORICAL:
            b = dm.categorical_counts(
                reference[name].to_numpy(dtype=object), current[name].to_numpy(dtype=object)
            )
            got = {label: (r, c) for label, r, c in bins[(period, name)]}
            expected_cats = {
                str(cat): (int(r), int(c))
                for cat, r, c in zip(b.categories, b.reference, b.current, strict=True)
            }
            # The collected file lists every category of every period (zeros kept).
            assert {k: v for k, v in got.items() if v != (0, 0)} == expected_cats, (period, name)
            assert [label for label, _, _ in bins[(period, name)]] == sorted(got)
            if name == "plan":
                assert got["max"][0] == 0  # unseen in the reference, listed in every period
                seen_new = seen_new or got["max"][1] > 0
    assert seen_new, "'max' appears after the reference window"
    for name in NUMERIC + CATEGORICAL:  # every period lists the same bins
        assert len({tuple(b[0] for b in bins[(p, name)]) for p in periods}) == 1


def test_evaluated_kpis_and_drift_equal_the_csv_path(
    collected: dict[str, Path], csv_path: Path
) -> None:
    expected, _ = evaluate_results(csv_path, UNTIL)
    want = expected[MODEL]
    assert len(want.kpis) == len(KPIS)
    assert {k.status.name for k in want.kpis} - {"NO_DATA"}, "the KPIs should be evaluated"
    for name in ("duckdb", "spark", "duckdb-csv"):
        results, _ = evaluate_results(collected[name], UNTIL)
        got = results[MODEL]
        for g, w in zip(got.kpis, want.kpis, strict=True):
            # Every field: window value, status, since, newest, rows in the window, message.
            assert g == w, (name, g.metric)
            assert g.timeline == w.timeline, (name, g.metric)
            assert g.series is not None and w.series is not None
            for part in ("dates", "values", "rolling"):  # the window value on every day
                assert np.array_equal(
                    getattr(g.series, part), getattr(w.series, part), equal_nan=True
                ), _first_day_apart(name, g.metric, part, g.series, w.series)
        assert got.segments == want.segments, name
        assert want.segments, "positive_rate and spend_mean have segments"
        for g, w in zip(got.segments, want.segments, strict=True):
            assert g.series.keys() == w.series.keys(), name
            for segment, (dates, values) in w.series.items():
                assert np.array_equal(g.series[segment][0], dates), (name, segment)
                assert np.array_equal(g.series[segment][1], values, equal_nan=True), name
        gd, wd = got.drift, want.drift
        assert gd is not None and wd is not None
        for g, w in zip(gd.features, wd.features, strict=True):
            assert w.value is not None, w.reading
            assert (g.name, g.method, g.value, g.p_value, g.status) == (
                w.name,
                w.method,
                w.value,
                w.p_value,
                w.status,
            ), name
            assert (g.n_reference, g.n_current) == (w.n_reference, w.n_current), name
        assert gd.over_time == wd.over_time, name
        assert len(wd.over_time) == 22 * len(NUMERIC + CATEGORICAL)
        assert (gd.share, gd.share_status, gd.since) == (wd.share, wd.share_status, wd.since)
        assert gd.timeline == wd.timeline


def _first_day_apart(engine: str, metric: str, part: str, got: Any, want: Any) -> str:
    """Where two KPI series first differ, for a readable failure."""
    a, b = getattr(got, part), getattr(want, part)
    if len(a) != len(b):
        return f"{engine} {metric} {part}: {len(a)} days != {len(b)} days"
    i = int(np.flatnonzero(a != b)[0])
    return f"{engine} {metric} {part} on {want.dates[i]}: {a[i]!r} != the reference's {b[i]!r}"


def _scan(data: Path, engine: str, where: dict[str, tuple[Any, ...]]) -> Scan:
    from aipo_site.model.sources import DuckDbSource, SparkSource

    source: Any = (
        SparkSource(engine="spark", path=str(data / "scoring.parquet"), master="local[2]")
        if engine == "spark"
        else DuckDbSource(path=str(data / "scoring.parquet"))
    )
    return Scan("scoring", source, data, "scored_at", tuple(sorted(where.items())))


def test_engines_answer_the_interface_identically(data: Path, spark_engine: Engine) -> None:
    """The interface itself, below what collect asks: every column kind, segments of a boolean
    column, a window without a start, the order statistics at arbitrary positions."""
    from aipo_site.collect.duckdb import DuckDbEngine

    duck = DuckDbEngine()
    try:
        scans = {e: _scan(data, e, {"model_id": ("fraud",)}) for e in ("duckdb", "spark")}
        engines: dict[str, Engine] = {"duckdb": duck, "spark": spark_engine}
        kinds = {e: engines[e].column_kinds(scans[e]) for e in engines}
        assert kinds["spark"] == kinds["duckdb"]
        assert kinds["duckdb"]["scored_at"] == "date"
        assert kinds["duckdb"]["is_mobile"] == "boolean"
        daily = {
            e: engines[e].daily(scans[e], "score", "is_mobile", None, dt.date(2026, 2, 1))
            for e in engines
        }
        assert daily["spark"] == daily["duckdb"]
        assert {a.segment for a in daily["duckdb"]} == {None, "true", "false"}
        assert daily["duckdb"][0].day == FIRST
        positions = [0, 1, 7, 5_000, 20_000]
        stats = {
            e: engines[e].order_statistics(scans[e], "spend", *REFERENCE, positions)
            for e in engines
        }
        assert stats["spark"] == stats["duckdb"]
        n, values = stats["duckdb"]
        assert values == sorted(values) and n > positions[-1]
    finally:
        duck.close()


def test_spark_errors_are_one_line(
    data: Path, spark_engine: Engine, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    """Spark's failures reach the user as one-line SourceErrors; its Java stack traces reach
    neither the message nor the terminal."""
    from aipo_site.errors import SourceError
    from aipo_site.model.sources import SparkSource

    def error(scan: Scan, call: Any) -> str:
        with pytest.raises(SourceError) as caught:
            call(scan)
        return str(caught.value)

    good = _scan(data, "spark", {})
    missing = Scan(
        "scoring",
        SparkSource(engine="spark", path="nowhere/*.parquet", master="local[2]"),
        tmp_path,
        "scored_at",
        (),
    )
    messages = [
        error(missing, spark_engine.column_kinds),
        error(good, lambda s: spark_engine.daily(s, "no_such_column", None, None, UNTIL)),
        error(good, lambda s: spark_engine.daily(s, "plan", None, None, UNTIL)),
        error(
            Scan("scoring", good.source, data, "visits", ()),
            lambda s: spark_engine.daily(s, None, None, None, UNTIL),
        ),
        # A text where value against a number column: Spark's own error, first line only.
        error(
            Scan("scoring", good.source, data, "scored_at", (("label", ("x",)),)),
            lambda s: spark_engine.daily(s, None, None, None, UNTIL),
        ),
    ]
    assert "nowhere" in messages[0] and "does not exist" in messages[0].lower()
    assert messages[1] == "column 'no_such_column' is not in the source"
    assert messages[2] == "column 'plan' is STRING, not a number or a boolean"
    assert messages[3] == "date column 'visits' is INT, not a date or timestamp"
    for message in messages:
        assert "\n" not in message and len(message) <= 400, message
        assert "org.apache" not in message and "\tat " not in message, message
        assert "SQLSTATE" not in message, message
    out, err = capfd.readouterr()
    assert "org.apache" not in out + err and "Exception" not in out + err


def test_spark_message_keeps_the_first_meaningful_line() -> None:
    from aipo_site.collect.spark import spark_message

    java = Exception(
        "An error occurred while calling o37.count.\n"
        ": org.apache.spark.SparkException: Job aborted due to stage failure: disk full. "
        "SQLSTATE: 58030\n"
        "\tat org.apache.spark.scheduler.DAGScheduler.failJobAndIndependentStages(...)\n"
        "Caused by: java.io.IOException: No space left on device\n"
    )
    assert spark_message(java) == "Job aborted due to stage failure: disk full"
    assert spark_message(Exception("\n\n")) == "Exception"
    assert spark_message(Exception("x" * 1000)).endswith("…")
