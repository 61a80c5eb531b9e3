"""`aipo collect` and the DuckDB engine: the interface on small seeded Parquet and CSV files,
the semantics at their boundaries, incremental runs, failures, and a real `mkdocs build` of what
was collected. (The three-engine equality test is tests/test_sources_equality.py.)"""

from __future__ import annotations

import ast
import datetime as dt
import json
import math
import random
import subprocess
import sys
import textwrap
from decimal import Decimal
from pathlib import Path
from typing import ClassVar

import duckdb
import numpy as np
import pandas as pd
import pytest
from conftest import ROOT, copy_demo, run_mkdocs

from aipo_site.cli.main import main as aipo
from aipo_site.collect.duckdb import DuckDbEngine
from aipo_site.collect.engine import Scan
from aipo_site.collect.run import bin_label, collect, period_start, quantile_positions
from aipo_site.errors import SourceError
from aipo_site.evaluate import drift_methods as dm
from aipo_site.load.repository import load_repository
from aipo_site.load.source import WorkingTree
from aipo_site.model.inputs import Layout
from aipo_site.model.results import Status
from aipo_site.model.sources import DuckDbSource
from aipo_site.pipeline import evaluate_repository

START = dt.date(2026, 8, 3)  # a Monday
DAYS = 70  # to 2026-10-11, a Sunday
UNTIL = dt.date(2026, 10, 11)


def log_rows(seed: int = 7) -> pd.DataFrame:
    """Seeded scoring-log rows: timestamps (some late in the evening west of UTC, so their UTC
    date is the next day), a numeric value with nulls and NaN, a boolean, a segment with nulls,
    two features and a `model` column to filter on."""
    rng = random.Random(seed)
    rows = []
    for d in range(DAYS):
        day = START + dt.timedelta(days=d)
        late = d >= 40  # the inputs move after 40 days
        for j in range(40):
            hour = rng.randrange(0, 24)
            ts = dt.datetime(day.year, day.month, day.day, hour, rng.randrange(60), tzinfo=dt.UTC)
            value = round(rng.random(), 3)
            if j == 5:
                value = None
            elif j == 6:
                value = float("nan")
            rows.append(
                {
                    "scored_at": ts,
                    "model": "churn" if j % 5 else "other",
                    "score": value,
                    "hit": rng.random() < (0.6 if late else 0.8),
                    "band": None if j % 11 == 0 else rng.choice(["18-25", "26-40", "65+"]),
                    "amount": None if j % 13 == 0 else round(rng.gauss(60 if late else 50, 10), 2),
                    "channel": rng.choice(["store", "web", "app"] if late else ["store", "web"]),
                }
            )
    return pd.DataFrame(rows)


def write_parquet(frame: pd.DataFrame, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    con.register("frame", frame)
    con.execute(
        "COPY (SELECT * REPLACE (CAST(scored_at AS TIMESTAMPTZ) AS scored_at) FROM frame) "
        "TO ? (FORMAT parquet)",
        [str(path)],
    )
    con.close()
    return path


CHARTER = """\
id: m1
name: Model one
summary: A fixture model.
business_unit: Testing
owner: {name: Ada Owner}
lifecycle: {stage: pilot, since: 2026-01-01}
kpis:
  - metric: hit_rate
    direction: higher_is_better
    thresholds: {warn: 0.75, breach: 0.65}
    source: {name: logs, date: scored_at, value: hit, where: {model: churn}, segment: band}
  - metric: mean_score
    source: {name: logs, date: scored_at, value: score, where: {model: churn}}
  - metric: scored
    source: {name: logs, date: scored_at, daily: count, where: {model: [churn, other]}}
drift:
  source: {name: logs, date: scored_at, where: {model: churn}, bins: 5}
  reference: {start: 2026-08-03, end: 2026-08-30}
  current_days: 14
  period: week
  features:
    - {name: amount, method: psi}
    - {name: channel, method: chi_square}
"""

MKDOCS = """\
site_name: fixture portal
docs_dir: content
theme: {name: material, font: false}
plugins:
  - aipo:
      as_of: "2026-10-11"
"""


def make_repo(root: Path, charter: str = CHARTER, frame: pd.DataFrame | None = None) -> Path:
    (root / "content" / "models").mkdir(parents=True)
    (root / "content" / "index.md").write_text("# Home\n")
    (root / "mkdocs.yml").write_text(MKDOCS)
    (root / "content" / "models" / "m1.yaml").write_text(textwrap.dedent(charter))
    (root / "content" / "sources.yaml").write_text(
        "sources:\n  logs:\n    path: data/logs/*.parquet\n"
    )
    write_parquet(log_rows() if frame is None else frame, root / "data" / "logs" / "a.parquet")
    return root


def run_collect(root: Path, until: dt.date = UNTIL, **kw):
    return collect(root, Layout(), until, **kw)


def read_csv(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False)


# --- the DuckDB engine, method by method ---------------------------------------------------------


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    return log_rows()


@pytest.fixture(scope="module", params=["parquet", "csv"])
def scan(request, frame, tmp_path_factory) -> Scan:
    folder = tmp_path_factory.mktemp(request.param)
    if request.param == "parquet":
        write_parquet(frame, folder / "logs.parquet")
        source = DuckDbSource(path="logs.parquet")
    else:
        # CSV: timestamps written with an offset, NaN as text; DuckDB types the columns.
        out = frame.copy()
        out["scored_at"] = [t.isoformat() for t in out["scored_at"]]
        out.to_csv(folder / "logs.csv", index=False)
        source = DuckDbSource(path="logs.csv")
    return Scan("logs", source, folder, "scored_at", (("model", ("churn",)),))


def expected_rows(frame: pd.DataFrame) -> pd.DataFrame:
    rows = frame[frame["model"] == "churn"].copy()
    rows["day"] = [t.astimezone(dt.UTC).date() for t in rows["scored_at"]]
    return rows


def test_column_kinds(scan):
    kinds = DuckDbEngine().column_kinds(scan)
    assert kinds["scored_at"] == "date"
    assert kinds["score"] == kinds["amount"] == "numeric"
    assert kinds["hit"] == "boolean"
    assert kinds["band"] == kinds["channel"] == kinds["model"] == "text"


def test_daily_aggregates_match_python(scan, frame):
    engine = DuckDbEngine()
    got = engine.daily(scan, "score", "band", None, UNTIL)
    rows = expected_rows(frame)
    rows = rows[rows["score"].notna()]  # NaN and None alike
    overall = {a.day: a for a in got if a.segment is None}
    assert set(overall) == set(rows["day"])
    for day, group in rows.groupby("day"):
        a = overall[day]
        exact = sum(Decimal(repr(v)).quantize(Decimal("1e-12")) for v in group["score"])
        assert (a.count, a.total) == (len(group), exact)
        assert (a.minimum, a.maximum) == (group["score"].min(), group["score"].max())
    by_segment = {(a.day, a.segment): a.count for a in got if a.segment is not None}
    expected = rows[rows["band"].notna()].groupby(["day", "band"]).size().to_dict()
    assert by_segment == expected  # null segments are left out of the per-segment series
    assert None not in {a.segment for a in got if a.segment is not None}
    # value None: rows are counted, null values or not; [start, end] both included
    start, end = START + dt.timedelta(days=3), START + dt.timedelta(days=5)
    counts = {a.day: a.count for a in engine.daily(scan, None, None, start, end)}
    all_rows = expected_rows(frame)
    assert (
        counts
        == all_rows[(all_rows["day"] >= start) & (all_rows["day"] <= end)]
        .groupby("day")
        .size()
        .to_dict()
    )
    # booleans count as 1 and 0
    hits = {a.day: a.total for a in engine.daily(scan, "hit", None, start, start)}
    day_rows = all_rows[all_rows["day"] == start]
    assert hits == {start: Decimal(int(day_rows["hit"].sum()))}
    engine.close()


def test_order_statistics_are_the_quantile_edges(scan, frame):
    engine = DuckDbEngine()
    rows = expected_rows(frame)
    window = rows[(rows["day"] >= START) & (rows["day"] <= START + dt.timedelta(days=27))]
    values = window["amount"].dropna().to_numpy(dtype=float)
    n, _ = engine.order_statistics(scan, "amount", START, START + dt.timedelta(days=27), [])
    assert n == values.size
    positions = quantile_positions(n, 10)
    _, got = engine.order_statistics(
        scan, "amount", START, START + dt.timedelta(days=27), positions
    )
    edges = dm.quantile_edges(values, 10)[1:-1]
    assert sorted(set(got)) == list(edges)
    engine.close()


def test_daily_bins_count_per_bin_and_category(scan, frame):
    engine = DuckDbEngine()
    edges = [45.0, 50.0, 55.5]
    got = engine.daily_bins(scan, START, UNTIL, {"amount": edges}, ["channel", "hit"])
    rows = expected_rows(frame)
    expected: dict[tuple, int] = {}
    for _, r in rows.iterrows():
        if r["amount"] is not None and not (
            isinstance(r["amount"], float) and math.isnan(r["amount"])
        ):
            b = sum(e <= r["amount"] for e in edges)
            expected[(r["day"], "amount", b)] = expected.get((r["day"], "amount", b), 0) + 1
        expected[(r["day"], "channel", r["channel"])] = (
            expected.get((r["day"], "channel", r["channel"]), 0) + 1
        )
        h = "true" if r["hit"] else "false"
        expected[(r["day"], "hit", h)] = expected.get((r["day"], "hit", h), 0) + 1
    assert {(d, f, b): c for d, f, b, c in got} == expected
    assert all(c > 0 for *_, c in got)
    engine.close()


def test_where_values_are_parameters_not_sql(tmp_path, frame):
    path = write_parquet(frame, tmp_path / "x.parquet")
    engine = DuckDbEngine()
    scan = Scan(
        "x", DuckDbSource(path=path.name), tmp_path, "scored_at", (("model", ("x' OR '1'='1",)),)
    )
    assert engine.daily(scan, None, None, None, UNTIL) == []
    with pytest.raises(SourceError, match="column 'nope' is not in the source"):
        engine.daily(scan, "nope", None, None, UNTIL)
    engine.close()


# --- collect: semantics -------------------------------------------------------------------------


def test_collected_kpis(tmp_path):
    root = make_repo(tmp_path / "r")
    report = run_collect(root)
    assert not report.failures
    kpis = read_csv(root / "metrics" / "m1" / "collected.csv")
    assert list(kpis.columns) == ["date", "metric", "value", "segment"]
    rows = expected_rows(log_rows())
    day = START + dt.timedelta(days=10)
    of_day = rows[rows["day"] == day]
    got = kpis[(kpis["date"] == day.isoformat())]
    # mean of a boolean: the share of true; text is repr(float)
    hit = got[(got["metric"] == "hit_rate") & (got["segment"] == "")]["value"].item()
    assert hit == repr(float(of_day["hit"].sum() / len(of_day)))
    # per segment, null segments left out
    segments = set(got[got["metric"] == "hit_rate"]["segment"]) - {""}
    assert segments == set(of_day["band"].dropna())
    # the mean: the exact sum of values rounded to 12 places, divided in decimal
    scores = of_day["score"].dropna()
    exact = sum(Decimal(repr(v)) for v in scores) / Decimal(len(scores))
    assert float(got[got["metric"] == "mean_score"]["value"].item()) == float(exact)
    # count with a list in `where`: any of the values
    everything = log_rows()
    everything["day"] = [t.date() for t in everything["scored_at"]]
    assert got[got["metric"] == "scored"]["value"].item() == repr(
        float((everything["day"] == day).sum())
    )
    # the manifest
    manifest = json.loads((root / "metrics" / "m1" / "collected.json").read_text())
    assert {k: v["through"] for k, v in manifest["kpis"].items()} == dict.fromkeys(
        ("hit_rate", "mean_score", "scored"), UNTIL.isoformat()
    )


def test_timestamps_count_on_their_utc_date_and_until_is_the_last_day(tmp_path):
    ts = [
        dt.datetime(2026, 8, 10, 23, 30, tzinfo=dt.timezone(dt.timedelta(hours=-5))),  # 11th UTC
        dt.datetime(2026, 8, 11, 0, 30, tzinfo=dt.timezone(dt.timedelta(hours=2))),  # 10th UTC
        dt.datetime(2026, 8, 12, 12, 0, tzinfo=dt.UTC),  # after --until
        None,  # no date: never counted
    ]
    frame = pd.DataFrame(
        {
            "scored_at": ts,
            "model": ["churn"] * 4,
            "score": [1.0, 2.0, 3.0, 4.0],
            "hit": [True] * 4,
            "band": ["a"] * 4,
            "amount": [1.0] * 4,
            "channel": ["x"] * 4,
        }
    )
    charter = CHARTER.split("drift:")[0]
    root = make_repo(tmp_path / "r", charter, frame)
    run_collect(root, dt.date(2026, 8, 11))
    kpis = read_csv(root / "metrics" / "m1" / "collected.csv")
    score = kpis[kpis["metric"] == "mean_score"]
    assert list(zip(score["date"], score["value"], strict=True)) == [
        ("2026-08-10", "2.0"),
        ("2026-08-11", "1.0"),
    ]


def drift_rows(root: Path) -> pd.DataFrame:
    bins = read_csv(root / "metrics" / "m1" / "drift" / "collected-bins.csv")
    for c in ("reference_count", "current_count"):
        bins[c] = bins[c].astype(int)
    return bins


def test_collected_bins(tmp_path):
    root = make_repo(tmp_path / "r")
    run_collect(root)
    bins = drift_rows(root)
    rows = expected_rows(log_rows())
    ref = rows[(rows["day"] >= START) & (rows["day"] <= dt.date(2026, 8, 30))]
    # weeks start on Monday, from the one holding the day after the reference to --until's
    periods = sorted(set(bins["period"]))
    assert periods[0] == "2026-08-31" and periods[-1] == "2026-10-05"
    assert all(dt.date.fromisoformat(p).weekday() == 0 for p in periods)
    # every period lists every bin (zero bins kept) with the same reference counts
    per_period = bins.groupby("period").size()
    assert per_period.nunique() == 1
    amount = bins[(bins["feature"] == "amount") & (bins["period"] == periods[0])]
    edges = list(dm.quantile_edges(ref["amount"].dropna().to_numpy(float), 5)[1:-1])
    assert list(amount["bin"]) == [bin_label(edges, i) for i in range(len(edges) + 1)]
    assert amount["bin"].iloc[0].startswith("< ") and amount["bin"].iloc[-1].startswith("≥ ")
    assert amount["reference_count"].sum() == ref["amount"].notna().sum()  # nulls not counted
    # a category first seen after the reference: reference_count 0
    channel = bins[(bins["feature"] == "channel") & (bins["period"] == periods[-1])]
    assert list(channel["bin"]) == ["app", "store", "web"]  # sorted, the union of all periods
    assert channel.set_index("bin")["reference_count"]["app"] == 0
    early = bins[(bins["feature"] == "channel") & (bins["period"] == periods[0])]
    assert early.set_index("bin")["current_count"]["app"] == 0  # a zero bin, kept
    # current counts: the period's rows
    week = rows[(rows["day"] >= dt.date(2026, 9, 14)) & (rows["day"] <= dt.date(2026, 9, 20))]
    got = bins[(bins["feature"] == "channel") & (bins["period"] == "2026-09-14")]
    assert got.set_index("bin")["current_count"].to_dict() == {
        c: int((week["channel"] == c).sum()) for c in ("app", "store", "web")
    }


def test_monthly_periods(tmp_path):
    charter = CHARTER.replace("period: week", "period: month")
    root = make_repo(tmp_path / "r", charter)
    run_collect(root, dt.date(2026, 10, 5))
    assert sorted(set(drift_rows(root)["period"])) == ["2026-08-01", "2026-09-01", "2026-10-01"]
    assert period_start(dt.date(2026, 8, 31), "month") == dt.date(2026, 8, 1)
    assert period_start(dt.date(2026, 8, 31), "week") == dt.date(2026, 8, 31)
    assert period_start(dt.date(2026, 9, 6), "week") == dt.date(2026, 8, 31)


def test_collected_drift_evaluates_like_the_samples_csv_of_the_same_rows(tmp_path):
    """The same rows as a samples CSV (the existing path) and through collect: the same drift
    values, in the current window and in every period."""
    # bins: 10, drift_methods' default, which the samples path uses
    root = make_repo(tmp_path / "collected", CHARTER.replace("bins: 5", "bins: 10"))
    run_collect(root)
    rows = expected_rows(log_rows())
    samples = pd.DataFrame(
        {
            "date": [d.isoformat() for d in rows["day"]],
            "amount": ["" if pd.isna(a) else repr(float(a)) for a in rows["amount"]],
            "channel": rows["channel"],
        }
    )
    other = make_repo(tmp_path / "samples")
    (other / "metrics" / "m1" / "drift").mkdir(parents=True)
    samples.to_csv(other / "metrics" / "m1" / "drift" / "samples.csv", index=False)
    charter = CHARTER.replace(
        "  source: {name: logs, date: scored_at, where: {model: churn}, bins: 5}\n",
        "  samples: drift/samples.csv\n",
    ).replace("{name: amount, method: psi}", "{name: amount, method: psi, kind: numeric}")
    (other / "content" / "models" / "m1.yaml").write_text(charter)
    results = []
    for repo in (root, other):
        portfolio = evaluate_repository(load_repository(WorkingTree(repo)), UNTIL)
        results.append(portfolio.model("m1").drift)
    collected, from_samples = results
    for a, b in zip(collected.features, from_samples.features, strict=True):
        assert a.method == b.method
        assert a.value == pytest.approx(b.value, rel=1e-12), a.name
        assert (a.n_reference, a.n_current) == (b.n_reference, b.n_current)
    points_a = [(p.period, p.feature, round(p.value, 12)) for p in collected.over_time]
    points_b = [(p.period, p.feature, round(p.value, 12)) for p in from_samples.over_time]
    assert points_a == points_b and points_a
    assert collected.share_status is from_samples.share_status


# --- incremental runs ---------------------------------------------------------------------------


class Recording(DuckDbEngine):
    """The DuckDB engine, recording what it is asked."""

    calls: ClassVar[list[tuple]] = []

    def daily(self, scan, value, segment, start, end):
        Recording.calls.append(("daily", value, start, end))
        return super().daily(scan, value, segment, start, end)

    def order_statistics(self, scan, column, start, end, positions):
        Recording.calls.append(("order_statistics", column, start, end))
        return super().order_statistics(scan, column, start, end, positions)

    def daily_bins(self, scan, start, end, numeric, categorical):
        Recording.calls.append(("daily_bins", start, end))
        return super().daily_bins(scan, start, end, numeric, categorical)


def recorded(root: Path, until: dt.date, **kw) -> list[tuple]:
    Recording.calls = []
    report = collect(root, Layout(), until, factories={"duckdb": Recording}, **kw)
    assert not report.failures, report.failures
    return list(Recording.calls)


def test_a_second_run_fetches_only_new_days(tmp_path):
    root = make_repo(tmp_path / "r")
    first = dt.date(2026, 9, 30)  # a Wednesday: the last week is partial
    calls = recorded(root, first)
    assert ("daily", "hit", None, first) in calls
    assert any(c[0] == "order_statistics" for c in calls)
    partial = drift_rows(root)
    calls = recorded(root, UNTIL)
    # KPIs: the days after `through`
    assert ("daily", "hit", dt.date(2026, 10, 1), UNTIL) in calls
    assert ("daily", None, dt.date(2026, 10, 1), UNTIL) in calls
    # drift: no reference re-read; the partial week is fetched again, whole
    assert not any(c[0] == "order_statistics" for c in calls)
    assert [c for c in calls if c[0] == "daily_bins"] == [
        ("daily_bins", dt.date(2026, 9, 28), UNTIL)
    ]
    # the result equals a collection from scratch
    fresh = make_repo(tmp_path / "fresh")
    recorded(fresh, UNTIL)
    for name in ("collected.csv", "drift/collected-bins.csv", "collected.json"):
        assert (root / "metrics" / "m1" / name).read_text() == (
            fresh / "metrics" / "m1" / name
        ).read_text(), name
    week = drift_rows(root)
    before = partial[partial["period"] == "2026-09-28"]["current_count"].sum()
    after = week[week["period"] == "2026-09-28"]["current_count"].sum()
    assert after > before  # the partial week was completed
    # nothing new: nothing fetched, nothing rewritten
    mtime = (root / "metrics" / "m1" / "collected.csv").stat().st_mtime_ns
    calls = recorded(root, UNTIL)
    assert not [c for c in calls if c[0] == "daily"]
    assert (root / "metrics" / "m1" / "collected.csv").stat().st_mtime_ns == mtime


def test_a_changed_request_is_collected_again_and_full_recollects_everything(tmp_path):
    root = make_repo(tmp_path / "r")
    recorded(root, dt.date(2026, 9, 30))
    charter = (root / "content" / "models" / "m1.yaml").read_text()
    (root / "content" / "models" / "m1.yaml").write_text(
        charter.replace(
            "value: score, where: {model: churn}", "value: score, where: {model: other}"
        )
    )
    calls = recorded(root, UNTIL)
    assert ("daily", "score", None, UNTIL) in calls  # the edited KPI: from scratch
    assert ("daily", "hit", dt.date(2026, 10, 1), UNTIL) in calls  # the others: new days
    # an edited source definition changes every fingerprint
    (root / "content" / "sources.yaml").write_text(
        "sources:\n  logs:\n    path: data/logs/*.parquet\n    format: parquet\n"
    )
    calls = recorded(root, UNTIL)
    assert ("daily", "hit", None, UNTIL) in calls
    assert any(c[0] == "order_statistics" for c in calls)
    calls = recorded(root, UNTIL, full=True)
    assert {c[2] for c in calls if c[0] == "daily"} == {None}
    assert [c for c in calls if c[0] == "daily_bins"][-1] == (
        "daily_bins",
        dt.date(2026, 8, 31),
        UNTIL,
    )


# --- failures -----------------------------------------------------------------------------------


def cli(root: Path, *args: str) -> int:
    return aipo(["collect", "--root", str(root), "--until", UNTIL.isoformat(), *args])


@pytest.mark.parametrize(
    ("sources", "charter_edit", "needle"),
    [
        (
            "sources:\n  logs:\n    path: data/none/*.parquet\n",
            None,
            "No files found",
        ),
        (
            "sources:\n  logs:\n    path: data/logs/*.parquet\n",
            ("value: score,", "value: scor,"),
            "column 'scor' is not in the source; did you mean 'score'?",
        ),
        (
            "sources:\n  logs:\n    attach: data/missing/db.duckdb\n    table: main.logs\n",
            None,
            "Cannot open database",
        ),
    ],
    ids=["missing-file", "bad-column", "unreachable-attach"],
)
def test_a_failing_source_is_one_line_exit_2_and_nothing_written(
    tmp_path, capsys, sources, charter_edit, needle
):
    root = make_repo(tmp_path / "r")
    assert cli(root) == 0
    folder = root / "metrics" / "m1"
    before = {p: p.read_bytes() for p in folder.rglob("*") if p.is_file()}
    capsys.readouterr()
    (root / "content" / "sources.yaml").write_text(sources)
    if charter_edit:
        path = root / "content" / "models" / "m1.yaml"
        path.write_text(path.read_text().replace(*charter_edit))
    assert cli(root, "--full") == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    line = err[0]
    assert line.startswith("aipo collect: source 'logs' (content/models/m1.yaml kpis["), line
    assert needle in line
    assert {p: p.read_bytes() for p in folder.rglob("*") if p.is_file()} == before


def test_an_unknown_source_stops_collect_with_the_charter_line(tmp_path, capsys):
    root = make_repo(
        tmp_path / "r",
        CHARTER.replace("name: logs, date: scored_at, daily", "name: log, date: scored_at, daily"),
    )
    assert cli(root) == 2
    err = capsys.readouterr().err
    assert "content/models/m1.yaml:" in err and "did you mean 'logs'?" in err
    assert not (root / "metrics" / "m1").exists()


def test_collect_without_a_sources_file(tmp_path, capsys):
    root = make_repo(tmp_path / "r")
    (root / "content" / "sources.yaml").unlink()
    assert cli(root) == 2
    assert "content/sources.yaml does not exist" in capsys.readouterr().err


def test_a_reference_window_without_values_is_a_failure(tmp_path, capsys):
    charter = CHARTER.replace(
        "reference: {start: 2026-08-03", "reference: {start: 2026-07-01"
    ).replace("end: 2026-08-30}", "end: 2026-07-31}")
    root = make_repo(tmp_path / "r", charter)
    assert cli(root) == 2
    err = capsys.readouterr().err
    assert (
        "(content/models/m1.yaml drift): feature 'amount' has no values in the reference window"
        in err
    )


# --- the build reads what was collected ------------------------------------------------------------


def test_mkdocs_builds_a_portal_from_a_collected_source(tmp_path, capsys):
    root = make_repo(tmp_path / "r")
    assert cli(root) == 0
    out = capsys.readouterr().out
    assert out.startswith("m1: kpi hit_rate: from the first row to 2026-10-11")
    assert out.strip().endswith("collected 1 of 1 model through 2026-10-11")
    # The build needs no source: the data folder can go.
    for path in (root / "data" / "logs").iterdir():
        path.unlink()
    result = run_mkdocs(root, site_dir=root / "site")
    assert result.returncode == 0, result.stderr
    page = (root / "site" / "models" / "m1" / "index.html").read_text()
    assert "hit_rate" in page
    portfolio = evaluate_repository(load_repository(WorkingTree(root)), UNTIL)
    model = portfolio.model("m1")
    hit = next(k for k in model.kpis if k.metric == "hit_rate")
    assert hit.status is Status.BREACH  # the hit rate fell from 0.8 to 0.6
    assert model.drift is not None and model.drift.share_status is not Status.NO_DATA


def test_the_demo_collected_files_are_up_to_date(tmp_path):
    """`aipo collect --until 2026-11-20 --full` on the demo gives the committed files."""
    demo = copy_demo(tmp_path / "demo")
    folder = demo / "metrics" / "supply-chain-forecast"
    committed = {p.relative_to(folder): p.read_bytes() for p in folder.rglob("*") if p.is_file()}
    report = collect(demo, Layout(), dt.date(2026, 11, 20), full=True)
    assert not report.failures and report.models[0].written == []
    assert {
        p.relative_to(folder): p.read_bytes() for p in folder.rglob("*") if p.is_file()
    } == committed


# --- boundaries of the package --------------------------------------------------------------------


def test_only_collect_imports_engine_libraries():
    package = ROOT / "aipo_site"
    for path in package.rglob("*.py"):
        tree = ast.parse(path.read_text())
        names = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names.update(a.name.split(".")[0] for a in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names.add(node.module.split(".")[0])
        if {"duckdb", "pyspark"} & names:
            assert path.parent.name == "collect", path


def test_the_build_and_the_cli_do_not_import_an_engine():
    code = (
        "import sys, aipo_site.pipeline, aipo_site.mkdocs_plugin.plugin, aipo_site.cli.main, "
        "aipo_site.collect.run; print(sorted(m for m in ('duckdb', 'pyspark') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_bin_labels_use_the_shortest_numbers():
    assert [bin_label([12.3, 15.0, 88.1], i) for i in range(4)] == [
        "< 12.3",
        "12.3 – 15",
        "15 – 88.1",
        "≥ 88.1",
    ]
    assert quantile_positions(11, 4) == [3, 5, 8]
    assert np.array_equal(dm.quantile_edges(np.arange(11.0), 4)[1:-1], np.array([3.0, 5.0, 8.0]))


def test_until_defaults_to_yesterday_or_the_pinned_evaluation_date(tmp_path):
    from aipo_site.cli.collect import default_until
    from aipo_site.cli.settings import read_settings

    root = make_repo(tmp_path / "r")  # mkdocs.yml pins as_of 2026-10-11
    settings = read_settings(None, str(root), {})
    assert default_until(settings, dt.date(2026, 12, 1)) == dt.date(2026, 10, 11)
    assert default_until(settings, dt.date(2026, 10, 5)) == dt.date(2026, 10, 4)
    (root / "mkdocs.yml").write_text(MKDOCS.replace('"2026-10-11"', "today"))
    settings = read_settings(None, str(root), {})
    assert default_until(settings, dt.date(2026, 12, 1)) == dt.date(2026, 11, 30)


def test_a_damaged_collected_file_is_collected_again(tmp_path):
    root = make_repo(tmp_path / "r")
    recorded(root, UNTIL)
    folder = root / "metrics" / "m1"
    good = {n: (folder / n).read_text() for n in ("collected.csv", "drift/collected-bins.csv")}
    (folder / "collected.csv").write_text("date,metric,value,segment\n2026-08-03,hit_rate\n")
    (folder / "drift" / "collected-bins.csv").unlink()
    calls = recorded(root, UNTIL)
    assert ("daily", "hit", None, UNTIL) in calls  # from scratch, not only the new days
    assert any(c[0] == "order_statistics" for c in calls)
    assert {n: (folder / n).read_text() for n in good} == good


def test_values_are_rounded_to_12_places_from_their_shortest_text(tmp_path):
    """Half away from zero at the 13th decimal of the value's shortest text, as Python's
    Decimal(repr(x)) and Spark's BigDecimal do (a double cast straight to DECIMAL is not)."""
    import decimal

    values = [24.230764510435225, 0.1234567890125, -0.1234567890125, 2.5e-12, 1e-05, 1e15 / 7]
    day = dt.datetime(2026, 8, 3, 12, tzinfo=dt.UTC)
    engine = DuckDbEngine()
    for value in values:
        one = pd.DataFrame({"scored_at": [day], "v": [value], "model": "x"})
        write_parquet(one, tmp_path / "one.parquet")
        scan = Scan("v", DuckDbSource(path="one.parquet"), tmp_path, "scored_at", ())
        (a,) = engine.daily(scan, "v", None, None, UNTIL)
        with decimal.localcontext() as ctx:
            ctx.prec = 60
            expected = Decimal(repr(value)).quantize(Decimal("1e-12"), decimal.ROUND_HALF_UP)
        assert a.total == expected, value
    engine.close()
