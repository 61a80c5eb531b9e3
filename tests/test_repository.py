"""Loading a repository: charters validated with line numbers and suggestions, metrics joined."""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest

from aipo_site.errors import ConfigError, InputError, InputErrors
from aipo_site.load.repository import Layout, load_repository
from aipo_site.load.source import WorkingTree
from tests.conftest import MINI_CHARTER, daily_csv


def load(root):
    return load_repository(WorkingTree(root))


def errors_of(root) -> list[InputError]:
    with pytest.raises((InputError, InputErrors)) as info:
        load(root)
    err = info.value
    return err.errors if isinstance(err, InputErrors) else [err]


def charter(**replace: str) -> str:
    text = MINI_CHARTER.format(id="m1", name="Model one")
    for old, new in replace.items():
        assert old in text, old
        text = text.replace(old, new)
    return text


def test_demo_repository_loads(repo_root):
    repo = load(repo_root)
    assert [m.id for m in repo.models] == [
        "customer-churn",
        "fraud-prevention",
        "supply-chain-forecast",
    ]
    fraud = repo.model("fraud-prevention")
    assert fraud is not None and not fraud.metrics.empty
    assert set(fraud.metrics["metric"]) >= {"recall", "precision", "false_positive_rate"}
    assert repo.warnings == []


def test_mini_repo_loads(mini_repo):
    repo = load(mini_repo())
    assert repo.models[0].charter.owner.name == "Ada Owner"
    assert len(repo.models[0].metrics) == 30


def test_misspelt_field_gets_a_suggestion_and_line(mini_repo):
    root = mini_repo(charters={"m1": charter(**{"incident_owner:": "incident_ownr:"})})
    (err,) = errors_of(root)
    assert err.path == "content/models/m1.yaml"
    assert err.line == 6
    assert "unknown field 'incident_ownr'; did you mean 'incident_owner'?" in err.message


def test_nested_unknown_field_lists_allowed_fields(mini_repo):
    root = mini_repo(charters={"m1": charter(**{"freshness_days: 3": "zzz: 3"})})
    (err,) = errors_of(root)
    assert err.field == "kpis[0].zzz"
    assert "Allowed here:" in err.message and "freshness_days" in err.message


@pytest.mark.parametrize(
    ("replace", "field", "needle"),
    [
        ({"cadence_days: 90": "cadence_days: often"}, "retraining.cadence_days", "valid integer"),
        (
            {"since: 2026-01-01": "since: 2026-02-30"},
            "lifecycle.since",
            "expected a date YYYY-MM-DD",
        ),
        ({"stage: production": "stage: live"}, "lifecycle.stage", "'prototype', 'pilot'"),
        ({"id: m1": "id: M1 bad"}, "id", "does not match"),
        ({"name: Model one": "name: 1.10"}, "name", "put it in quotes"),
        ({'"on": warn': '"on": no'}, "escalation[0].on", "'warn' or 'breach'"),
    ],
)
def test_wrong_values_name_field_and_expectation(mini_repo, replace, field, needle):
    (err,) = errors_of(mini_repo(charters={"m1": charter(**replace)}))
    assert err.field == field
    assert needle in err.message
    assert err.line is not None


def test_missing_required_field(mini_repo):
    (err,) = errors_of(mini_repo(charters={"m1": charter(**{"business_unit: Testing\n": ""})}))
    assert err.field == "business_unit"
    assert "required field is missing" in err.message


def test_every_bad_file_is_reported_at_once(mini_repo):
    root = mini_repo(
        charters={
            "m1": charter(**{"summary:": "sumary:"}),
            "m2": "id: m2\nname: [\n",
        },
        metrics={"m1/kpis.csv": "date;metric;value\n"},
    )
    errors = errors_of(root)
    assert {e.path for e in errors} == {
        "content/models/m1.yaml",
        "content/models/m2.yaml",
        "metrics/m1/kpis.csv",
    }


def test_id_must_match_file_name(mini_repo):
    (err,) = errors_of(mini_repo(charters={"other": charter()}))
    assert "must equal the file name 'other'" in err.message


def test_duplicate_id_across_extensions(mini_repo):
    root = mini_repo()
    (root / "content" / "models" / "m1.yml").write_text(charter())
    errors = errors_of(root)
    assert any("duplicate model id 'm1'" in e.message for e in errors)


def test_outcomes_must_name_declared_kpis(mini_repo):
    extra = "outcomes:\n  - {outcome: Less fraud, business_kpi: Loss, model_kpis: [precision]}\n"
    (err,) = errors_of(mini_repo(charters={"m1": charter() + extra}))
    assert "not in kpis: precision" in err.message


def test_top_level_must_be_a_mapping(mini_repo):
    (err,) = errors_of(mini_repo(charters={"m1": "- a\n- b\n"}))
    assert "expected a charter mapping" in err.message


def test_policy_errors_are_reported(mini_repo):
    (err,) = errors_of(mini_repo(policy="metrics:\n  recall: {direction: up}\n"))
    assert err.path == "content/policy.yaml"
    assert err.field == "metrics.recall.direction"


def test_policy_threshold_order_is_checked(mini_repo):
    policy = "metrics:\n  recall: {direction: higher_is_better, warn: 0.7, breach: 0.8}\n"
    (err,) = errors_of(mini_repo(policy=policy))
    assert "breach (0.8) must be <= warn (0.7)" in err.message


def test_missing_policy_means_empty_policy(mini_repo):
    repo = load(mini_repo(policy=None))
    assert repo.policy.metrics == {}
    assert repo.policy_document is None


def test_missing_charters_folder_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="charters folder 'content/models' does not exist"):
        load(tmp_path)


def test_metrics_split_over_files_and_duplicates_across_files(mini_repo):
    root = mini_repo(
        metrics={"m1/a.csv": daily_csv([0.9] * 3), "m1/b.csv": daily_csv([0.8] * 2)},
    )
    (err,) = errors_of(root)
    assert "also given in metrics/m1/a.csv" in err.message


def test_orphan_metrics_folder_warns(mini_repo):
    root = mini_repo(metrics={"m1/kpis.csv": daily_csv([0.9]), "ghost/kpis.csv": daily_csv([1])})
    assert load(root).warnings == [
        "metrics/ghost/ has metrics but no charter content/models/ghost.yaml"
    ]


def test_custom_layout(mini_repo):
    root = mini_repo()
    (root / "governance").mkdir()
    (root / "content" / "models").rename(root / "governance" / "charters")
    repo = load_repository(WorkingTree(root), Layout(charters="governance/charters"))
    assert repo.models[0].path == "governance/charters/m1.yaml"


def test_a_policy_that_is_not_a_file_is_an_error_not_an_empty_policy(mini_repo):
    # It used to count as "no policy file" (every rule silently dropped).
    root = mini_repo(policy=None)
    (root / "content" / "policy.yaml").mkdir()
    (err,) = errors_of(root)
    assert str(err) == "content/policy.yaml: is a folder, not a file"


def test_a_charter_with_a_forbidden_character_in_its_file_name(mini_repo):
    root = mini_repo()
    (root / "content" / "models" / "m\u202e2.yaml").write_text("id: m2\n")
    (err,) = errors_of(root)
    assert err.path == "content/models/m\\u202e2.yaml"
    assert err.message.startswith("the file name contains the character U+202E")


def test_a_problem_met_twice_is_reported_once(mini_repo, tmp_path):
    # A link leaving the repository is met by listing metrics/m1 and by the orphan scan of
    # metrics/: one error, not two.
    root = mini_repo()
    (tmp_path / "elsewhere.csv").write_text("date,metric,value\n")
    (root / "metrics" / "m1" / "more.csv").symlink_to(tmp_path / "elsewhere.csv")
    (err,) = errors_of(root)
    assert err.path == "metrics/m1/more.csv" and "outside the repository" in err.message


def test_metrics_no_kpi_reads_are_warnings_with_a_suggestion(mini_repo):
    """Nothing silently ignored: a misspelt or unmonitored metric in a CSV is named, with its
    first file and line; metrics the charter reads are not."""
    rows = daily_csv([0.5] * 3, metric="recal").splitlines()[1:]  # lines 2-4
    rows += daily_csv([1.0] * 2, metric="latency_ms").splitlines()[1:]  # lines 5-6
    extra = "date,metric,value\n" + "\n".join(rows) + "\n"
    root = mini_repo(metrics={"m1/kpis.csv": daily_csv([0.9] * 30), "m1/extra.csv": extra})
    repo = load(root)
    assert repo.warnings == [
        "metrics/m1/extra.csv:2: metric 'recal' is read by no KPI or segment check of m1; "
        "did you mean 'recall'?",
        "metrics/m1/extra.csv:5: metric 'latency_ms' is read by no KPI or segment check of m1 "
        "(add a KPI or a segment check for it)",
    ]


def test_a_strict_build_fails_on_an_unread_metric(mini_repo):
    from tests.conftest import run_mkdocs

    root = mini_repo(metrics={"m1/kpis.csv": daily_csv([0.9] * 30) + "2026-11-20,recal,0.5\n"})
    result = run_mkdocs(root)
    assert result.returncode == 1
    assert "metrics/m1/kpis.csv:32: metric 'recal' is read by no KPI" in result.stderr


def _plain(value):
    """Dataclasses and frames as plain data (frames do not compare with ==)."""
    if dataclasses.is_dataclass(value):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, pd.DataFrame):
        return value.to_dict("list")
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _loaded(root, jobs: int):
    """What load_repository returns or raises, in comparable form."""
    try:
        repo = load_repository(WorkingTree(root), jobs=jobs)
    except (InputError, InputErrors) as e:
        return str(e)
    return (
        [(m.path, m.charter, m.document.positions, m.metric_files) for m in repo.models],
        [_plain(m.drift) for m in repo.models],
        [m.metrics.to_dict("list") for m in repo.models],
        repo.warnings,
    )


def test_reading_models_in_worker_processes_gives_the_same_repository(
    repo_root, mini_repo, monkeypatch
):
    """The models' files read on two processes (large repositories): the same models, frames,
    warnings and, for a broken repository, the same errors in the same order."""
    from aipo_site.load import repository

    monkeypatch.setattr(repository, "PARALLEL_MIN", 1)
    calls: list[int] = []
    fork_map = repository.fork_map
    monkeypatch.setattr(
        repository, "fork_map", lambda *a, **k: calls.append(a[2]) or fork_map(*a, **k)
    )
    demo = _loaded(repo_root, 2)
    assert calls == [2] and isinstance(demo, tuple) and len(demo[0]) == 3
    assert demo == _loaded(repo_root, 1)

    rows = daily_csv([0.5] * 3, metric="recal")
    broken = mini_repo(
        charters={
            "m1": charter(**{"summary:": "sumary:"}),
            "m2": "id: m2\nname: [\n",
            "m3": charter().replace("id: m1", "id: m4"),
            "m5": charter().replace("id: m1", "id: m5"),
        },
        metrics={"m1/kpis.csv": "date;metric;value\n", "m5/extra.csv": rows},
    )
    errors = _loaded(broken, 2)
    assert isinstance(errors, str) and errors == _loaded(broken, 1)
    for needle in ("m1.yaml", "m2.yaml", "must equal the file name 'm3'", "metrics/m1/kpis.csv"):
        assert needle in errors
