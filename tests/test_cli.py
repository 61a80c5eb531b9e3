"""`aipo check` and the CLI driver: exit codes, every output format, errors without tracebacks.

In-process runs call ``main([...])``; real runs use ``python -m aipo_site.cli`` in a subprocess.
Golden files (tests/data/golden/) pin the exact output of every format on a small fixture
repository; regenerate them with ``AIPO_UPDATE_GOLDEN=1 pytest tests/test_cli.py``.
"""

from __future__ import annotations

import importlib
import json
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from aipo_site.cli import main
from aipo_site.cli.formats import _gh_command
from aipo_site.render.gfm import text as md
from tests.conftest import MINI_CHARTER, daily_csv

GOLDEN = Path(__file__).parent / "data" / "golden"

# The shared fixture charter, with a baseline of 0.8 instead of 0.9.
CHARTER = MINI_CHARTER.replace("baseline: {{value: 0.9}}", "baseline: {{value: 0.8}}")
assert CHARTER != MINI_CHARTER

# recall: policy thresholds warn 0.80 / breach 0.75; baseline 0.8 (drop tolerated 5 % / 10 %)
VALUES = {"ok": 0.85, "warn": 0.79, "breach": 0.70}

# GitHub workflow commands: ::error|warning file=...,line=N,title=...::message
GH_LINE = re.compile(
    r"^::(error|warning|notice) (file=[^,:]+)(,line=\d+)?(,col=\d+)?,title=[^:,]*::\S.*$"
)


@pytest.fixture(autouse=True)
def _no_env_as_of(monkeypatch):
    monkeypatch.delenv("AIPO_AS_OF", raising=False)
    monkeypatch.delenv("GITHUB_WORKSPACE", raising=False)


@pytest.fixture
def repo_at(mini_repo):
    """Factory: a fixture repository with one model whose KPI is at the given level."""

    def make(level: str, name: str = "repo", charter_name: str = "Model one") -> Path:
        return mini_repo(
            charters={"m1": CHARTER.format(id="m1", name=charter_name)},
            metrics={"m1/kpis.csv": daily_csv([VALUES[level]] * 30)},
            name=name,
        )

    return make


def run(root: Path, *args: str, capsys) -> tuple[int, str, str]:
    code = main(["check", "--config", str(root / "mkdocs.yml"), *args])
    out, err = capsys.readouterr()
    return code, out, err


def aipo(cwd: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """A real `python -m aipo_site.cli ...` run."""
    full_env = {k: v for k, v in os.environ.items() if k not in ("AIPO_AS_OF", "GITHUB_WORKSPACE")}
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "aipo_site.cli", *args],
        cwd=cwd,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=120,
    )


# --- exit codes -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("level", "expected"),
    [
        ("ok", {"error": 0, "breach": 0, "warn": 0}),
        ("warn", {"error": 0, "breach": 0, "warn": 1}),
        ("breach", {"error": 0, "breach": 1, "warn": 1}),
    ],
)
def test_exit_codes_for_each_fail_on(repo_at, capsys, level, expected):
    root = repo_at(level)
    for fail_on, code in expected.items():
        got, out, err = run(root, "--fail-on", fail_on, capsys=capsys)
        assert got == code, f"{level} with --fail-on {fail_on}: exit {got}\n{out}\n{err}"
        assert re.search(rf"^{level.upper()}\s+m1 — Model one", out, re.M), out


def test_default_fail_on_is_breach(repo_at, capsys):
    assert run(repo_at("warn"), capsys=capsys)[0] == 0
    assert run(repo_at("breach", name="b"), capsys=capsys)[0] == 1


@pytest.mark.parametrize("fail_on", ["error", "breach", "warn"])
def test_invalid_input_exits_2_for_every_fail_on(repo_at, capsys, fail_on):
    root = repo_at("ok")
    (root / "content/models/m1.yaml").write_text("id: m1\nname: [unclosed\nsummary: x\n")
    code, _, err = run(root, "--fail-on", fail_on, capsys=capsys)
    assert code == 2
    assert re.match(r"^error: content/models/m1\.yaml:\d+:\d+: invalid YAML", err), err
    assert "Traceback" not in err


def test_bad_yaml_is_one_error_line_without_traceback(repo_at):
    root = repo_at("ok")
    (root / "content/models/m1.yaml").write_text("id: m1\nname: x\n  bad: indent\n")
    result = aipo(root, "check")
    assert result.returncode == 2
    assert re.match(r"^error: content/models/m1\.yaml:3:\d+: invalid YAML", result.stderr)
    assert "Traceback" not in result.stderr
    assert result.stdout == ""


def test_bad_mkdocs_yml_is_an_error_not_a_traceback(repo_at):
    root = repo_at("ok")
    (root / "mkdocs.yml").write_text("site_name: x\nplugins:\n  - aipo: {charters: [\n")
    result = aipo(root, "check")
    assert result.returncode == 2
    assert result.stderr.startswith("error: mkdocs.yml:")
    assert "Traceback" not in result.stderr


def test_several_problems_are_listed(repo_at, capsys):
    root = repo_at("ok")
    (root / "content/models/m1.yaml").write_text("id: m1\nname: x\nsumary: typo\n")
    (root / "metrics/m1/kpis.csv").write_text("date;metric;value\n")
    code, _, err = run(root, capsys=capsys)
    assert code == 2
    first, *rest = err.splitlines()
    assert re.match(r"^error: \d+ problems in the governance inputs:$", first)
    assert any("sumary" in line and "did you mean 'summary'" in line for line in rest)
    assert any("metrics/m1/kpis.csv:1" in line for line in rest)


def test_missing_charters_folder_is_a_config_error(tmp_path, capsys):
    (tmp_path / "mkdocs.yml").write_text("site_name: x\nplugins: [aipo]\n")
    code = main(["check", "--config", str(tmp_path / "mkdocs.yml"), "--as-of", "2026-11-20"])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("error: charters folder 'content/models' does not exist")


def test_missing_config_file(tmp_path, capsys):
    assert main(["check", "--config", str(tmp_path / "nope.yml")]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_usage_errors_exit_2(capsys):
    assert main(["check", "--format", "yaml"]) == 2
    assert "invalid choice" in capsys.readouterr().err
    assert main([]) == 2
    assert main(["nonsense"]) == 2


def test_debug_shows_the_traceback(tmp_path):
    from aipo_site.errors import ConfigError

    with pytest.raises(ConfigError):
        main(["check", "--debug", "--config", str(tmp_path / "nope.yml")])
    with pytest.raises(ConfigError):
        main(["--debug", "check", "--config", str(tmp_path / "nope.yml")])


def test_help_documents_the_exit_codes(capsys):
    assert main(["check", "--help"]) == 0
    out = capsys.readouterr().out
    assert "exit codes:" in out
    for line in ("0  nothing at or above", "1  a model status", "2  invalid input"):
        assert line in out
    assert main(["--help"]) == 0
    assert "exit codes: 0 success, 2 invalid input or usage" in capsys.readouterr().out


def test_version(capsys):
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.startswith("aipo ")


# --- the evaluation date --------------------------------------------------------------------------


def test_as_of_precedence(demo_copy, monkeypatch, capsys):
    config = str(demo_copy / "mkdocs.yml")

    def as_of(*args: str) -> str:
        main(["check", "--config", config, "--format", "json", *args])
        return json.loads(capsys.readouterr().out)["as_of"]

    assert as_of() == "2026-11-20"  # pinned in the demo's mkdocs.yml
    monkeypatch.setenv("AIPO_AS_OF", "2026-10-01")
    assert as_of() == "2026-11-20"  # a pinned date ignores the environment
    assert as_of("--as-of", "2026-09-01") == "2026-09-01"  # the flag wins
    live = demo_copy / "mkdocs.yml"
    live.write_text(
        live.read_text().replace('as_of: "2026-11-20"', "as_of: !ENV [AIPO_AS_OF, today]")
    )
    assert as_of() == "2026-10-01"  # !ENV [AIPO_AS_OF, today]


def test_env_as_of_applies_when_the_plugin_has_none(repo_at, monkeypatch, capsys):
    root = repo_at("ok")
    (root / "mkdocs.yml").write_text("site_name: x\nplugins: [aipo]\n")
    monkeypatch.setenv("AIPO_AS_OF", "2026-11-19")
    _, out, _ = run(root, "--format", "json", capsys=capsys)
    assert json.loads(out)["as_of"] == "2026-11-19"


def test_bad_as_of_flag(repo_at, capsys):
    code, _, err = run(repo_at("ok"), "--as-of", "2026-02-30", capsys=capsys)
    assert code == 2
    assert err.startswith("error: --as-of: expected a date YYYY-MM-DD or 'today'")


def test_bad_as_of_in_mkdocs_yml(repo_at, capsys):
    root = repo_at("ok")
    (root / "mkdocs.yml").write_text("site_name: x\nplugins:\n  - aipo: {as_of: soon}\n")
    code, _, err = run(root, capsys=capsys)
    assert code == 2
    assert err.startswith("error: mkdocs.yml: plugins.aipo.as_of: expected a date")


# --- the demo -------------------------------------------------------------------------------------


def test_demo_text_summary(demo_copy, capsys):
    code, out, _ = run(demo_copy, capsys=capsys)
    assert code == 1
    assert out.startswith("aipo check — 3 models evaluated as of 2026-11-20 (fail on: breach)")
    for status, model in (
        ("BREACH", "customer-churn"),
        ("WARN", "fraud-prevention"),
        ("BREACH", "supply-chain-forecast"),
    ):
        assert re.search(rf"^{status}\s+{model} — ", out, re.M), model
    assert "authorisation-missing (content/models/customer-churn.yaml:" in out
    assert re.search(r"BREACH\s+KPI mape \(content/models/supply-chain-forecast\.yaml:\d+\)", out)
    assert "Totals: 3 models — 2 BREACH, 1 WARN, 0 OK" in out
    assert (
        "Result: FAIL — 2 models at or above BREACH: customer-churn, supply-chain-forecast" in out
    )


def test_demo_exit_codes(demo_copy, capsys):
    assert run(demo_copy, "--fail-on", "error", capsys=capsys)[0] == 0
    assert run(demo_copy, "--fail-on", "breach", capsys=capsys)[0] == 1
    assert run(demo_copy, "--fail-on", "warn", capsys=capsys)[0] == 1


def test_demo_through_a_real_process(demo_copy):
    result = aipo(demo_copy, "check", "--format", "json")
    assert result.returncode == 1, result.stderr
    report = json.loads(result.stdout)
    assert [m["id"] for m in report["models"]] == [
        "customer-churn",
        "fraud-prevention",
        "supply-chain-forecast",
    ]
    assert report["summary"]["failing"] == ["customer-churn", "supply-chain-forecast"]


def test_check_does_not_modify_inputs(demo_copy, capsys):
    before = {p: p.read_bytes() for p in demo_copy.rglob("*") if p.is_file()}
    for fmt in ("text", "json", "junit", "github", "markdown"):
        run(demo_copy, "--format", fmt, capsys=capsys)
    after = {p: p.read_bytes() for p in demo_copy.rglob("*") if p.is_file()}
    assert before == after


# --- formats --------------------------------------------------------------------------------------


def test_json_report(demo_copy, capsys):
    code, out, _ = run(demo_copy, "--format", "json", capsys=capsys)
    report = json.loads(out)
    assert code == report["exit_code"] == 1
    assert report["format"] == "aipo-check"
    assert report["version"] == 2
    assert report["outcome"] == "fail"
    assert report["errors"] == []
    assert report["summary"]["status"] == {"OK": 0, "WARN": 1, "BREACH": 2}
    assert out == json.dumps(report, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    churn = report["models"][0]
    assert churn["id"] == "customer-churn"
    assert churn["status"] == "BREACH"
    assert churn["escalation"]["name"].startswith("L2")
    # performance and governance are answered separately; "answer" was replaced in version 2
    assert "answer" not in churn
    assert churn["performance"]["answer"] == "at risk"
    assert churn["performance"]["question"] == "Is this model performing as intended?"
    assert churn["performance"]["sentence"].startswith("Top-decile lift is 2.87")
    assert churn["governance"] == {
        "question": "Is this model governed as required?",
        "answer": "no",
        "label": "No",
        "sentence": churn["governance"]["sentence"],
    }
    assert "without an authorisation record" in churn["governance"]["sentence"]
    assert report["summary"]["performance"] == {
        "yes": 0,
        "at risk": 2,
        "no": 1,
        "cannot judge": 0,
        "not judged": 0,
    }
    assert report["summary"]["governance"] == {
        "yes": 0,
        "gaps": 1,
        "no": 2,
    }  # fraud: a stale approval
    for finding in churn["findings"]:
        assert finding["file"] == "content/models/customer-churn.yaml"
        assert isinstance(finding["line"], int)
        assert finding["source"] == "compliance"
    kpi = {k["metric"]: k for k in churn["kpis"]}["lift_top_decile"]
    assert kpi["status"] == "WARN"
    assert kpi["thresholds"] == {"warn": 3.0, "breach": 2.5}
    assert kpi["line"] and kpi["file"] == churn["file"]


def test_json_reports_invalid_input(repo_at, capsys):
    root = repo_at("ok")
    (root / "content/models/m1.yaml").write_text("id: m1\nname: x\nsumary: typo\n")
    code, out, err = run(root, "--format", "json", capsys=capsys)
    assert code == 2
    report = json.loads(out)
    assert report["outcome"] == "invalid"
    assert report["exit_code"] == 2
    assert report["models"] == []
    assert {e["file"] for e in report["errors"]} == {"content/models/m1.yaml"}
    typo = next(e for e in report["errors"] if e["field"] == "sumary")
    assert typo["line"] == 3
    assert "did you mean 'summary'" in typo["message"]
    assert err.startswith("error: ")


def test_junit_report(demo_copy, capsys):
    code, out, _ = run(demo_copy, "--format", "junit", capsys=capsys)
    assert code == 1
    root = ET.fromstring(out.encode())
    assert root.tag == "testsuites"
    suites = {s.get("name"): s for s in root.findall("testsuite")}
    assert set(suites) == {"customer-churn", "fraud-prevention", "supply-chain-forecast"}
    supply = suites["supply-chain-forecast"]
    mape = supply.find("testcase[@name='mape']")
    assert mape is not None and mape.find("failure").get("type") == "BREACH"
    bias = supply.find("testcase[@name='forecast_bias']")
    assert bias.find("skipped") is not None  # no thresholds: reported, not passed
    # the fraud model is only at WARN: no failure with the default --fail-on breach
    assert suites["fraud-prevention"].get("failures") == "0"
    total = sum(int(s.get("failures")) for s in suites.values())
    assert root.get("failures") == str(total) == str(len(root.findall(".//failure")))
    assert root.get("tests") == str(len(root.findall(".//testcase")))


def test_junit_failures_follow_fail_on(demo_copy, capsys):
    _, out, _ = run(demo_copy, "--format", "junit", "--fail-on", "warn", capsys=capsys)
    suites = {s.get("name"): s for s in ET.fromstring(out).findall("testsuite")}
    precision = suites["fraud-prevention"].find("testcase[@name='precision']/failure")
    assert precision is not None and precision.get("type") == "WARN"
    _, out, _ = run(demo_copy, "--format", "junit", "--fail-on", "error", capsys=capsys)
    assert ET.fromstring(out).findall(".//failure") == []


def test_junit_reports_invalid_input(repo_at, capsys):
    root = repo_at("ok")
    (root / "content/models/m1.yaml").write_text("id: m1\nname: [\n")
    code, out, _ = run(root, "--format", "junit", capsys=capsys)
    assert code == 2
    tree = ET.fromstring(out)
    errors = tree.findall(".//testcase/error")
    assert len(errors) == 1
    assert tree.get("errors") == "1"
    assert "content/models/m1.yaml" in errors[0].text


def test_github_annotations(demo_copy, capsys):
    code, out, _ = run(demo_copy, "--format", "github", capsys=capsys)
    assert code == 1
    lines = out.splitlines()
    *commands, summary = lines
    assert commands
    for line in commands:
        assert GH_LINE.match(line), line
    assert summary.startswith("aipo check: 3 models as of 2026-11-20 — 2 BREACH, 1 WARN, 0 OK")
    errors = [line for line in commands if line.startswith("::error ")]
    warnings = [line for line in commands if line.startswith("::warning ")]
    assert any("file=content/models/customer-churn.yaml" in e and "authorisation-missing" in e
               for e in errors)  # fmt: skip
    assert any("fraud-prevention%3A KPI precision WARN" in w for w in warnings)
    # % in a message is escaped, so "7.2% worse" cannot start an escape sequence
    assert any("7.2%25 worse" in w for w in warnings)
    # one notice per model on its charter, with both answers
    notices = [line for line in commands if line.startswith("::notice ")]
    assert len(notices) == 3
    (churn,) = [n for n in notices if "file=content/models/customer-churn.yaml" in n]
    assert "title=customer-churn%3A Performing? At risk; Governed? No::" in churn
    assert "Is this model performing as intended? At risk — Top-decile lift" in churn
    assert "%0AIs this model governed as required? No — " in churn


def test_github_reports_invalid_input(repo_at, capsys):
    root = repo_at("ok")
    (root / "content/models/m1.yaml").write_text("id: m1\nname: x\nsumary: typo\n")
    (root / "metrics/m1/kpis.csv").write_text("date,metric,value\n2026-01-01,recall,high\n")
    code, out, _ = run(root, "--format", "github", capsys=capsys)
    assert code == 2
    *commands, summary = out.splitlines()
    assert len(commands) == len([c for c in commands if c.startswith("::error ")]) >= 2
    assert any(c.startswith("::error file=content/models/m1.yaml,line=3,col=1,") for c in commands)
    assert any(c.startswith("::error file=metrics/m1/kpis.csv,line=2,") for c in commands)
    assert summary.endswith("exit 2")


def test_github_paths_are_relative_to_the_workspace(repo_at, monkeypatch, capsys):
    root = repo_at("warn")
    monkeypatch.setenv("GITHUB_WORKSPACE", str(root.parent))
    _, out, _ = run(root, "--format", "github", capsys=capsys)
    assert f"file={root.name}/content/models/m1.yaml" in out


def test_github_escaping():
    line = _gh_command("error", "50% done\r\nnext", file="a,b:c.yaml", line=3, title="x: y, z")
    assert line == "::error file=a%2Cb%3Ac.yaml,line=3,title=x%3A y%2C z::50%25 done%0D%0Anext"
    assert _gh_command("warning", "m", file="f", line=None) == "::warning file=f::m"


def test_markdown_summary(demo_copy, capsys):
    code, out, _ = run(demo_copy, "--format", "markdown", capsys=capsys)
    assert code == 1
    assert out.startswith("## aipo check — FAIL\n")
    header = "| Model | Status | Since | Performing? | Governed? | Escalation | Checks not OK |"
    assert header + " Findings |" in out
    rows = [line for line in out.splitlines() if line.startswith("| **")]
    assert len(rows) == 3
    for row in rows:
        assert row.count(" | ") == 7, row  # eight cells: nothing in the text split a cell
    churn = next(row for row in rows if "customer-churn" in row)
    assert "| 🟠 At risk | 🔴 No |" in churn
    assert "> **Is this model performing as intended?** At risk — Top-decile lift" in out
    # The fraud model has gaps, among them an overdue action of a review record.
    fraud = next(line for line in out.splitlines() if "governed as required?** Gaps" in line)
    assert (
        "ction 'Relabel the October chargeback sample with Fraud Operations' of the 'Weekly "
        "metric review' of 2026-11-09 is 7 days overdue" in fraud
    )


def test_markdown_cells_are_inert():
    cell = md("a | b <script>x</script> [link](javascript:alert(1)) *em*\nnext")
    assert "|" not in cell.replace("\\|", "")
    assert "<" not in cell.replace("\\<", "")
    assert "[" not in cell.replace("\\[", "")
    assert "\n" not in cell


def test_output_file(repo_at, tmp_path, capsys):
    target = tmp_path / "reports" / "check.xml"
    code, out, _ = run(
        repo_at("breach"), "--format", "junit", "--output", str(target), capsys=capsys
    )
    assert code == 1
    assert out == ""
    ET.fromstring(target.read_text())


# --- golden files ---------------------------------------------------------------------------------

SPECIAL_NAME = "'Pricing | \"A/B\" <b>50%</b>, test: [x](javascript:y) *now*'"


@pytest.fixture
def golden_repo(mini_repo):
    """Two models: one healthy, one in BREACH with text that needs escaping in every format."""
    return mini_repo(
        charters={
            "alpha": CHARTER.format(id="alpha", name="Alpha model"),
            "beta": CHARTER.format(id="beta", name=SPECIAL_NAME).replace(
                "incident_owner: {name: Ivan Incident}\n", ""
            ),
        },
        metrics={
            "alpha/kpis.csv": daily_csv([0.85] * 20),
            "beta/kpis.csv": daily_csv([0.81] * 10 + [0.70] * 10),
        },
        name="golden",
    )


@pytest.mark.parametrize(
    ("fmt", "suffix"),
    [("text", "txt"), ("json", "json"), ("junit", "xml"), ("github", "github"), ("markdown", "md")],
)
def test_golden_output(golden_repo, capsys, fmt, suffix):
    code, out, _ = run(golden_repo, "--format", fmt, "--fail-on", "warn", capsys=capsys)
    assert code == 1
    path = GOLDEN / f"check.{suffix}"
    if os.environ.get("AIPO_UPDATE_GOLDEN"):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(out, encoding="utf-8")
    assert out == path.read_text(encoding="utf-8"), f"{path.name} differs; see the module docstring"


def test_golden_special_text_is_escaped(golden_repo, capsys):
    _, out, _ = run(golden_repo, "--format", "github", capsys=capsys)
    beta = [line for line in out.splitlines() if "file=content/models/beta.yaml" in line]
    assert beta and all(GH_LINE.match(line) for line in beta)
    assert all("50%25" in line for line in beta if "Pricing" in line)
    _, out, _ = run(golden_repo, "--format", "junit", capsys=capsys)
    props = ET.fromstring(out).find("testsuite[@name='beta']/properties/property[@name='name']")
    assert props.get("value") == SPECIAL_NAME.strip("'")


# --- segment gaps and drift -----------------------------------------------------------------------


def test_segment_gaps_are_reported_in_every_format(demo_copy, capsys):
    _, out, _ = run(demo_copy, "--format", "json", capsys=capsys)
    fraud = json.loads(out)["models"][1]
    (gap,) = fraud["segments"]
    assert gap["metric"] == "false_positive_rate"
    assert gap["status"] == "WARN"
    assert gap["worst"]["segment"] == "65+"
    assert gap["file"] == fraud["file"] and isinstance(gap["line"], int)

    _, out, _ = run(demo_copy, "--format", "text", capsys=capsys)
    assert re.search(r"WARN\s+segment gap false_positive_rate \(content/models/fraud", out)
    _, out, _ = run(demo_copy, "--format", "github", capsys=capsys)
    assert "title=fraud-prevention%3A segment gap false_positive_rate WARN::" in out
    _, out, _ = run(demo_copy, "--format", "junit", "--fail-on", "warn", capsys=capsys)
    case = ET.fromstring(out).find(
        "testsuite[@name='fraud-prevention']/testcase[@classname='fraud-prevention.segment']"
    )
    assert case is not None and case.find("failure").get("type") == "WARN"


def test_drift_results_are_reported(demo_copy):
    """Drift results (when the evaluation provides them) become a check item and a JSON record."""
    import dataclasses

    from aipo_site.cli.check import model_record, run_check
    from aipo_site.cli.settings import read_settings
    from aipo_site.model.charter import Tiers
    from aipo_site.model.results import DriftResult, FeatureDrift, Level, Status
    from tests.conftest import AS_OF

    run_ = run_check(read_settings(demo_copy / "mkdocs.yml"), AS_OF)
    check = run_.models[0]
    feature = FeatureDrift(
        name="tenure_months",
        kind="numeric",
        method="psi",
        value=0.31,
        p_value=None,
        tiers=Tiers(warn=0.1, breach=0.25),
        status=Status.BREACH,
        reading="PSI 0.31",
        importance=1.0,
        n_reference=1000,
        n_current=900,
    )
    drift = DriftResult(
        features=[feature],
        share=0.5,
        share_status=Status.WARN,
        share_tiers=Tiers(warn=0.3, breach=0.6),
        reference_label="2026-01",
        current_label="2026-11",
        summary="1 of 2 features drifted",
    )
    check = dataclasses.replace(check, result=dataclasses.replace(check.result, drift=drift))
    (item,) = [i for i in check.items() if i.kind == "drift"]
    assert item.level is Level.WARN
    assert item.message == "1 of 2 features drifted"
    assert item.line == check.inputs.document.position(("drift",))[0]
    record = model_record(check)["drift"]
    assert record["share"] == 0.5
    assert record["features"][0]["status"] == "BREACH"
    json.dumps(record, allow_nan=False)


def test_without_mkdocs_yml_the_error_says_where_it_looked(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["check"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: charters folder 'content/models' does not exist")
    assert f"no mkdocs.yml found in {tmp_path.resolve()}" in err


# --- aipo diff (the driver's glue; tests/test_diff.py tests the comparison) ----------------------


def _git(root: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-C", str(root), "-c", "user.name=T", "-c", "user.email=t@example.com", *args],
        check=True,
        capture_output=True,
    )


def test_diff_command(repo_at, capsys):
    root = repo_at("ok")
    _git(root, "init", "-q")
    _git(root, "add", ".")
    _git(root, "commit", "-q", "-m", "base")
    config = str(root / "mkdocs.yml")

    assert main(["diff", "HEAD", "--config", config]) == 0
    assert capsys.readouterr().out.startswith("## Governance diff")

    # loosen the inherited threshold in the working tree: a change that needs review
    charter = root / "content/models/m1.yaml"
    charter.write_text(
        charter.read_text().replace(
            "  - metric: recall\n", "  - metric: recall\n    thresholds: {warn: 0.5, breach: 0.4}\n"
        )
    )
    code = main(["diff", "HEAD", "--config", config, "--format", "json"])
    report = json.loads(capsys.readouterr().out)
    assert code == 1
    assert report["summary"]["fail_on"] == "review" and report["summary"]["exit_code"] == 1
    # A loosened threshold is at review, not critical: --fail-on critical lets it pass.
    code = main(["diff", "HEAD", "--config", config, "--format", "json", "--fail-on", "critical"])
    report = json.loads(capsys.readouterr().out)
    assert code == 0
    assert report["summary"]["fail_on"] == "critical" and report["summary"]["exit_code"] == 0
    assert main(["diff", "HEAD", "--config", config, "--fail-on", "review"]) == 1
    capsys.readouterr()
    result = aipo(root, "diff", "HEAD", "--fail-on", "info")
    assert result.returncode == 2 and "invalid choice: 'info'" in result.stderr

    result = aipo(root, "diff", "no-such-ref")
    assert result.returncode == 2
    assert result.stderr.startswith("error: ")
    assert "Traceback" not in result.stderr


def test_a_bug_in_aipo_exits_3_not_1(repo_at, capsys, monkeypatch):
    """A crash must never read as "a model is in BREACH" (1) or "fix your files" (2)."""
    cli_main = importlib.import_module("aipo_site.cli.main")  # the package re-exports main()

    def broken(*args, **kwargs):
        raise ZeroDivisionError("boom")

    monkeypatch.setattr(cli_main, "run_check", broken)
    code, _, err = run(repo_at("ok"), capsys=capsys)
    assert code == 3
    assert err.startswith("error: internal error in aipo (ZeroDivisionError: boom)")
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1
