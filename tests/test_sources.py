"""Metric sources: content/sources.yaml, the charter's `source` fields, the build's checks of
references and the build reading what `aipo collect` wrote (tests/test_collect.py runs the
collector)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from conftest import AS_OF, MINI_CHARTER, daily_csv, load_errors, run_mkdocs
from pydantic import ValidationError

from aipo_site.cli.main import main as aipo
from aipo_site.errors import InputError, InputErrors
from aipo_site.load.repository import load_repository
from aipo_site.load.source import WorkingTree
from aipo_site.load.sources import load_sources
from aipo_site.model.charter import Drift, Kpi
from aipo_site.model.results import Status
from aipo_site.model.sources import DuckDbSource, SourcesFile, SparkSource
from aipo_site.pipeline import evaluate_repository

SOURCES = """\
sources:
  scoring-logs:
    path: data/scoring/*.parquet
  warehouse:
    engine: duckdb
    attach: "postgres:dbname=monitoring host=db"
    table: scoring.predictions
  lake:
    engine: spark
    path: s3a://bucket/scoring/
    format: delta
    conf: {spark.sql.shuffle.partitions: "8"}
"""

KPI_WITH_SOURCE = """\
  - metric: recall
    baseline: {value: 0.9}
    freshness_days: 3
    source:
      name: scoring-log
      date: scored_on
      value: hit
"""


def errors_of(root: Path, rel: str, text: str) -> list[str]:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text))
    errors: list[InputError] = []
    load_sources(WorkingTree(root), rel, errors)
    return [e.render() for e in errors]


# --- content/sources.yaml ---------------------------------------------------------------------


def test_the_three_kinds_of_source_validate(tmp_path):
    (tmp_path / "sources.yaml").write_text(SOURCES)
    errors: list[InputError] = []
    sources, _ = load_sources(WorkingTree(tmp_path), "sources.yaml", errors)
    assert errors == [] and sources is not None
    scoring, warehouse, lake = (sources.sources[k] for k in ("scoring-logs", "warehouse", "lake"))
    assert isinstance(scoring, DuckDbSource) and scoring.file_format == "parquet"
    assert isinstance(warehouse, DuckDbSource) and warehouse.table == "scoring.predictions"
    assert isinstance(lake, SparkSource) and lake.file_format == "delta"
    assert DuckDbSource(path="x/a.CSV").file_format == "csv"


def test_no_sources_file_is_no_sources(tmp_path):
    errors: list[InputError] = []
    assert load_sources(WorkingTree(tmp_path), "content/sources.yaml", errors) == (None, None)
    assert errors == []


@pytest.mark.parametrize(
    ("text", "line", "needle"),
    [
        ("sources:\n  a:\n    path: x.parquet\n    table: t\n", 3, "either `path` or `attach`"),
        ("sources:\n  a:\n    engine: duckdb\n", 3, "give `path`, or `attach` with `table`"),
        ("sources:\n  a:\n    attach: db.duckdb\n", 3, "give `path`, or `attach` with `table`"),
        ("sources:\n  a:\n    engine: spark\n", 3, "exactly one of `path` or `table`"),
        ("sources:\n  a:\n    pth: x.parquet\n", 3, "unknown field 'pth'; did you mean 'path'"),
        ("sources:\n  a:\n    path: x\n    format: orc\n", 4, "'parquet' or 'csv'"),
        ("sources:\n  Bad Name:\n    path: x\n", 3, "does not match"),
        ("sources:\n  a:\n    attach: db\n    table: 'x; drop'\n", 4, "does not match"),
        ("sources:\n  a:\n    attach: db\n    table: t\n    format: csv\n", 3, "`format` goes"),
    ],
)
def test_a_bad_sources_file_is_an_error_at_its_line(tmp_path, text, line, needle):
    (problem,) = errors_of(tmp_path, "content/sources.yaml", text)
    assert problem.startswith(f"content/sources.yaml:{line}"), problem
    assert needle in problem


# --- the charter's source fields --------------------------------------------------------------


def test_kpi_source_defaults_and_conditions():
    kpi = Kpi(
        metric="recall", source={"name": "logs", "value": "hit", "where": {"b": [1, 2], "a": "x"}}
    )
    assert kpi.source is not None
    assert (kpi.source.date, kpi.source.daily, kpi.source.segment) == ("date", "mean", None)
    assert kpi.source.conditions() == (("a", ("x",)), ("b", (1, 2)))


@pytest.mark.parametrize(
    ("source", "needle"),
    [
        ({"name": "logs"}, "daily: mean needs a `value` column"),
        ({"name": "logs", "value": "v", "daily": "count"}, "not used with daily: count"),
        ({"name": "logs", "value": "v", "daily": "median"}, "Input should be"),
        ({"name": "logs", "value": "1st"}, "should match pattern"),
        ({"name": "logs", "value": "a b"}, "should match pattern"),
        ({"name": "logs", "value": "v", "date": 'x"; DROP'}, "should match pattern"),
        ({"name": "logs", "value": "v", "where": {"x;": 1}}, "should match pattern"),
        ({"name": "logs", "value": "v", "where": {"x": float("nan")}}, "finite"),
        ({"name": "logs", "value": "v", "where": {"x": float("inf")}}, "finite"),
        ({"name": "logs", "value": "v", "where": {"x": []}}, "at least one value"),
        ({"name": "logs", "value": "v", "where": {"x": {"a": 1}}}, "Input should be"),
        ({"name": "logs", "value": "v", "where": {"x": None}}, "Input should be"),
        ({"name": "Logs!", "value": "v"}, "should match pattern"),
        ({"value": "v"}, "Field required"),
    ],
)
def test_kpi_source_validation(source, needle):
    with pytest.raises(ValidationError, match=needle):
        Kpi(metric="recall", source=source)


def test_where_values_keep_their_types():
    kpi = Kpi(
        metric="r",
        source={"name": "l", "daily": "count", "where": {"a": True, "b": 2, "c": 1.5, "d": "x"}},
    )
    assert kpi.source is not None
    values = [v for _, (v,) in kpi.source.conditions()]
    assert values == [True, 2, 1.5, "x"]
    assert [type(v) for v in values] == [bool, int, float, str]


def test_where_numbers_and_words_are_not_booleans():
    # Lax parsing would turn 1, 0, 1.0 and "true" into booleans and match other rows.
    where = {"a": 1, "b": 0, "c": 1.0, "d": "true", "e": "0"}
    kpi = Kpi(metric="r", source={"name": "l", "daily": "count", "where": where})
    assert kpi.source is not None
    values = [v for _, (v,) in kpi.source.conditions()]
    assert values == [1, 0, 1.0, "true", "0"]
    assert [type(v) for v in values] == [int, int, float, str, str]


DRIFT = {"reference": {"start": "2026-01-01", "end": "2026-03-31"}, "features": [{"name": "f"}]}


def test_drift_source_needs_a_reference_and_excludes_the_files():
    drift = Drift(source={"name": "logs", "bins": 5}, **DRIFT)
    assert drift.source is not None and drift.source.bins == 5
    with pytest.raises(ValidationError, match="needs a `reference` window"):
        Drift(source={"name": "logs"}, features=[{"name": "f"}])
    for other in ({"samples": "s.csv"}, {"bins": "b.csv"}, {"reference_samples": "r.csv"}):
        with pytest.raises(ValidationError, match="`source` replaces"):
            Drift(source={"name": "logs"}, **other, **DRIFT)
    for bins in (1, 51):
        with pytest.raises(ValidationError, match="bins"):
            Drift(source={"name": "logs", "bins": bins}, **DRIFT)
    with pytest.raises(ValidationError, match="`source` \\(a metric source\\)"):
        Drift(**DRIFT)


# --- references, checked by the build ----------------------------------------------------------


def charter_with(kpis: str, drift: str = "") -> str:
    text = MINI_CHARTER.format(id="m1", name="Model one")
    head, tail = text.split("kpis:\n", 1)
    tail = tail.split("data_sources:", 1)[1]
    return head + "kpis:\n" + kpis + "data_sources:" + tail + drift


def test_an_unknown_source_is_an_error_with_did_you_mean(mini_repo):
    root = mini_repo(charters={"m1": charter_with(KPI_WITH_SOURCE)}, metrics={})
    (root / "content" / "sources.yaml").write_text("sources:\n  scoring-logs: {path: x.parquet}\n")
    (problem,) = load_errors(root)
    assert problem.startswith("content/models/m1.yaml:")
    assert "kpis.0.source.name:" in problem or "kpis[0].source.name" in problem
    assert (
        "'scoring-log' is not a key of content/sources.yaml; did you mean 'scoring-logs'?"
        in problem
    )
    line = int(problem.split(":")[1])
    charter = (root / "content" / "models" / "m1.yaml").read_text().splitlines()
    assert charter[line - 1].strip() == "name: scoring-log"


def test_a_source_without_a_sources_file_is_an_error(mini_repo):
    drift = (
        "drift:\n  source: {name: logs}\n  reference: {start: 2026-01-01, end: 2026-03-31}\n"
        "  features: [{name: f}]\n"
    )
    root = mini_repo(charters={"m1": charter_with(KPI_WITH_SOURCE, drift)}, metrics={})
    problems = load_errors(root)
    assert len(problems) == 2
    assert all("there is no content/sources.yaml" in p for p in problems)
    assert any("drift.source.name" in p for p in problems)


def test_an_invalid_sources_file_is_reported_once(mini_repo):
    root = mini_repo(charters={"m1": charter_with(KPI_WITH_SOURCE)}, metrics={})
    (root / "content" / "sources.yaml").write_text("sources:\n  scoring-log: {path: x, table: t}\n")
    (problem,) = load_errors(root)
    assert problem.startswith("content/sources.yaml:2")


def test_aipo_check_reports_an_unknown_source(mini_repo, capsys):
    root = mini_repo(charters={"m1": charter_with(KPI_WITH_SOURCE)}, metrics={})
    (root / "content" / "sources.yaml").write_text("sources:\n  scoring-logs: {path: x.parquet}\n")
    assert aipo(["check", "--root", str(root)]) == 2
    err = capsys.readouterr().err
    assert "did you mean 'scoring-logs'?" in err


def test_a_plugin_option_moves_the_sources_file(mini_repo):
    mkdocs = (
        "site_name: t\ndocs_dir: content\ntheme: {name: material, font: false}\nplugins:\n"
        "  - aipo:\n      as_of: '2026-11-20'\n      sources: config/sources.yaml\n"
    )
    root = mini_repo(
        charters={"m1": charter_with(KPI_WITH_SOURCE.replace("scoring-log\n", "logs\n"))},
        metrics={},
        mkdocs_yml=mkdocs,
    )
    (root / "config").mkdir()
    (root / "config" / "sources.yaml").write_text("sources:\n  logs: {path: x.parquet}\n")
    result = run_mkdocs(root, site_dir=root / "site")
    assert result.returncode == 0, result.stderr
    (root / "config" / "sources.yaml").write_text("sources:\n  other: {path: x.parquet}\n")
    result = run_mkdocs(root, site_dir=root / "site2")
    assert result.returncode != 0
    assert "'logs' is not a key of config/sources.yaml" in result.stderr


# --- the build reads what was collected ---------------------------------------------------------

BINS_DRIFT = """\
drift:
  source: {name: logs, date: scored_on}
  reference: {start: 2026-09-01, end: 2026-09-30}
  current_days: 14
  period: week
  features:
    - {name: amount, method: psi}
"""


def test_nothing_collected_yet_is_no_data(mini_repo):
    kpis = KPI_WITH_SOURCE.replace("scoring-log\n", "logs\n")
    root = mini_repo(charters={"m1": charter_with(kpis, BINS_DRIFT)}, metrics={})
    (root / "content" / "sources.yaml").write_text("sources:\n  logs: {path: x.parquet}\n")
    model = evaluate_repository(load_repository(WorkingTree(root)), AS_OF).model("m1")
    assert model.kpis[0].status is Status.NO_DATA
    assert model.drift is not None
    (feature,) = model.drift.features
    assert feature.status is Status.NO_DATA
    assert "nothing collected yet from source 'logs'" in feature.reading


def test_collected_bins_may_differ_per_feature(mini_repo):
    """Missing values are not counted per feature: the totals of two features may differ (a
    hand-written bins file must add up)."""
    bins = (
        "period,feature,bin,reference_count,current_count\n"
        "2026-11-09,a,x,10,5\n2026-11-09,a,y,10,5\n2026-11-09,b,p,7,3\n2026-11-09,b,q,9,0\n"
        "2026-11-16,a,x,10,0\n2026-11-16,a,y,10,0\n2026-11-16,b,p,7,0\n2026-11-16,b,q,9,0\n"
    )
    drift = BINS_DRIFT.replace(
        "    - {name: amount, method: psi}\n", "    - {name: a}\n    - {name: b}\n"
    )
    root = mini_repo(
        charters={"m1": charter_with(KPI_WITH_SOURCE.replace("scoring-log\n", "logs\n"), drift)},
        metrics={"m1/drift/collected-bins.csv": bins},
    )
    (root / "content" / "sources.yaml").write_text("sources:\n  logs: {path: x.parquet}\n")
    model = evaluate_repository(load_repository(WorkingTree(root)), AS_OF).model("m1")
    assert model.drift is not None
    assert [f.n_current for f in model.drift.features] == [10, 3]
    # The same file as a hand-written `bins` file does not add up.
    hand = drift.replace(
        "  source: {name: logs, date: scored_on}\n", "  bins: drift/collected-bins.csv\n"
    )
    root2 = mini_repo(
        charters={
            "m1": charter_with(
                KPI_WITH_SOURCE.replace(
                    "    source:\n      name: scoring-log\n      date: scored_on\n      value: hit\n",
                    "",
                ),
                hand,
            )
        },
        metrics={"m1/drift/collected-bins.csv": bins},
        name="hand",
    )
    assert any("do not add up" in p for p in load_errors(root2))


def test_collected_kpi_values_are_read_like_any_metric_csv(mini_repo):
    csv = daily_csv([0.9] * 10).replace("date,metric,value", "date,metric,value")
    lines = csv.strip().split("\n")
    collected = "date,metric,value,segment\n" + "\n".join(f"{line}," for line in lines[1:]) + "\n"
    root = mini_repo(
        charters={"m1": charter_with(KPI_WITH_SOURCE.replace("scoring-log\n", "logs\n"))},
        metrics={"m1/collected.csv": collected},
    )
    (root / "content" / "sources.yaml").write_text("sources:\n  logs: {path: x.parquet}\n")
    model = evaluate_repository(load_repository(WorkingTree(root)), AS_OF).model("m1")
    assert model.kpis[0].status is Status.OK and model.kpis[0].value == pytest.approx(0.9)


def test_the_demo_declares_its_forecast_log(repo_root):
    errors: list[InputError] = []
    sources, _ = load_sources(WorkingTree(repo_root), "content/sources.yaml", errors)
    assert errors == [] and sources is not None
    source = sources.sources["forecast-log"]
    assert isinstance(source, DuckDbSource)
    assert (repo_root / str(source.path)).is_file()
    assert (repo_root / str(source.path)).stat().st_size < 2_000_000
    repo = load_repository(WorkingTree(repo_root))
    supply = repo.model("supply-chain-forecast")
    assert supply is not None and supply.drift is not None
    assert supply.drift.files == ["metrics/supply-chain-forecast/drift/collected-bins.csv"]
    assert "metrics/supply-chain-forecast/collected.csv" in supply.metric_files
    # The story of the audit holds: MAPE in BREACH, far from its baseline, inputs drifted.
    portfolio = evaluate_repository(repo, AS_OF)
    model = portfolio.model("supply-chain-forecast")
    mape = next(k for k in model.kpis if k.metric == "mape")
    assert mape.status is Status.BREACH and mape.drop > 1.0
    assert model.drift is not None and model.drift.share_status is Status.BREACH


def test_sources_file_errors_are_input_errors(tmp_path):
    (tmp_path / "s.yaml").write_text("sources: [1]\n")
    errors: list[InputError] = []
    load_sources(WorkingTree(tmp_path), "s.yaml", errors)
    assert errors and all(isinstance(e, InputError) for e in errors)
    with pytest.raises((InputError, InputErrors)):
        InputErrors.raise_if_any(errors)


def test_sources_file_model_rejects_unknown_engine():
    with pytest.raises(ValidationError):
        SourcesFile.model_validate({"sources": {"a": {"engine": "bigquery", "path": "x"}}})
