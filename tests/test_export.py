"""`aipo export`: audit evidence JSON and the CSV summary."""

from __future__ import annotations

import csv
import json
import subprocess
from pathlib import Path

import pytest

from aipo_site.cli import main
from aipo_site.cli.export import CSV_COLUMNS, csv_safe, source_revision
from tests.conftest import MINI_CHARTER, daily_csv

MODELS = ["customer-churn", "fraud-prevention", "supply-chain-forecast"]


@pytest.fixture(autouse=True)
def _no_env_as_of(monkeypatch):
    monkeypatch.delenv("AIPO_AS_OF", raising=False)


def export(root: Path, out: Path, *args: str) -> int:
    return main(["export", "--config", str(root / "mkdocs.yml"), "--out", str(out), *args])


def git(root: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-C", str(root), "-c", "user.name=Test", "-c", "user.email=t@example.com", *args],
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_evidence_of_the_demo(demo_copy, tmp_path, capsys):
    out = tmp_path / "evidence"
    assert export(demo_copy, out) == 0
    assert f"wrote {out / 'aipo-evidence.json'}" in capsys.readouterr().out
    doc = json.loads((out / "aipo-evidence.json").read_text())
    assert doc["format"] == "aipo-evidence"
    assert doc["version"] == 2
    assert doc["as_of"] == "2026-11-20"
    # not a git repository: the revision is unknown, not invented
    assert doc["source"] == {"revision": None, "date": None, "dirty": None}
    assert doc["summary"]["status"] == {"OK": 0, "WARN": 1, "BREACH": 2}
    assert doc["policy"]["file"] == "content/policy.yaml"
    assert doc["policy"]["rules"]["max_retraining_interval_days"] == 180
    assert [m["id"] for m in doc["models"]] == MODELS
    fraud = doc["models"][1]
    # the charter as validated (model_dump(mode="json")): dates as text, defaults filled in
    assert fraud["charter"]["id"] == "fraud-prevention"
    assert fraud["charter"]["lifecycle"]["since"] == "2025-06-16"
    assert fraud["charter"]["kpis"][0]["aggregation"] == "mean"
    assert fraud["status"] == "WARN"
    assert {k["metric"] for k in fraud["kpis"]} == {
        "recall",
        "precision",
        "false_positive_rate",
        "expected_calibration_error",
    }
    churn = doc["models"][0]
    assert "answer" not in churn  # replaced in version 2 by the two answers
    assert (churn["performance"]["answer"], churn["governance"]["answer"]) == ("at risk", "no")
    assert any(f["code"] == "authorisation-missing" for f in churn["findings"])
    assert all(f["file"] == churn["file"] and f["line"] for f in churn["findings"])


def test_summary_csv_of_the_demo(demo_copy, tmp_path):
    assert export(demo_copy, tmp_path) == 0
    raw = (tmp_path / "aipo-summary.csv").read_bytes()
    assert raw.count(b"\r\n") == 4  # RFC 4180 line ends: header + 3 rows
    rows = read_csv(tmp_path / "aipo-summary.csv")
    assert list(rows[0]) == CSV_COLUMNS
    assert [r["id"] for r in rows] == MODELS
    supply = rows[2]
    assert (supply["performance"], supply["governance"]) == ("no", "no")
    assert supply["performance_sentence"].startswith("Forecast error (MAPE) is 0.3, above")
    assert (rows[1]["performance"], rows[1]["governance"]) == ("at risk", "gaps")
    assert supply["status"] == "BREACH"
    # BREACH since the first day retraining was overdue (due 2026-03-15: last 2025-12-15 + 90 d).
    assert supply["since"] == "2026-03-16"
    assert supply["kpis"] == "3"
    assert supply["checks_breach"] == "2"  # mape, and data drift of the inputs
    assert supply["checks_warn"] == "1"  # service_level has no data
    assert rows[1]["checks_warn"] == "2"  # fraud: precision and the 65+ segment gap
    assert supply["charter_file"] == "content/models/supply-chain-forecast.yaml"
    assert supply["revision"] == ""


def test_export_is_deterministic(demo_copy, tmp_path):
    assert export(demo_copy, tmp_path / "a") == 0
    assert export(demo_copy, tmp_path / "b") == 0
    for name in ("aipo-evidence.json", "aipo-summary.csv"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    text = (tmp_path / "a" / "aipo-evidence.json").read_text()
    assert text == json.dumps(json.loads(text), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def test_evidence_is_stamped_with_the_git_revision(demo_copy, tmp_path):
    git(demo_copy, "init", "-q")
    git(demo_copy, "add", ".")
    git(demo_copy, "commit", "-q", "-m", "governance")
    head = git(demo_copy, "rev-parse", "HEAD")
    date = git(demo_copy, "log", "-1", "--format=%cI")
    out = tmp_path / "out"
    assert export(demo_copy, out) == 0
    doc = json.loads((out / "aipo-evidence.json").read_text())
    assert doc["source"] == {"revision": head, "date": date, "dirty": False}
    assert {r["revision"] for r in read_csv(out / "aipo-summary.csv")} == {head}

    (demo_copy / "content/index.md").write_text("# changed\n")
    assert source_revision(demo_copy).dirty is True


def test_revision_outside_git_and_before_the_first_commit(tmp_path):
    assert source_revision(tmp_path) is None
    git(tmp_path, "init", "-q")
    assert source_revision(tmp_path) is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+1", "'+1"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("plain", "plain"),
        ("", ""),
        (5, 5),
    ],
)
def test_csv_cells_cannot_be_formulas(value, expected):
    assert csv_safe(value) == expected


def test_formula_text_in_a_charter_is_defused(mini_repo, tmp_path):
    charter = MINI_CHARTER.format(id="m1", name='\'=HYPERLINK("http://evil","x")\'')
    charter = charter.replace("business_unit: Testing", "business_unit: '@Risk'")
    root = mini_repo(
        charters={"m1": charter}, metrics={"m1/kpis.csv": daily_csv([0.9] * 10)}, name="f"
    )
    out = tmp_path / "out"
    assert export(root, out) == 0
    (row,) = read_csv(out / "aipo-summary.csv")
    assert row["name"] == '\'=HYPERLINK("http://evil","x")'
    assert row["business_unit"] == "'@Risk"
    # the JSON keeps the text exactly as written
    doc = json.loads((out / "aipo-evidence.json").read_text())
    assert doc["models"][0]["name"] == '=HYPERLINK("http://evil","x")'


def test_invalid_input_writes_nothing(mini_repo, tmp_path, capsys):
    root = mini_repo(name="bad")
    (root / "content/models/m1.yaml").write_text("id: m1\nname: [\n")
    out = tmp_path / "out"
    assert export(root, out) == 2
    assert capsys.readouterr().err.startswith("error: content/models/m1.yaml:")
    assert not out.exists()


def test_out_must_be_a_folder(demo_copy, tmp_path, capsys):
    target = tmp_path / "file"
    target.write_text("x")
    assert export(demo_copy, target) == 2
    assert "not a folder" in capsys.readouterr().err
    assert target.read_text() == "x"


# --- --format cyclonedx and hf-card --------------------------------------------------------------


def test_export_format_cyclonedx_writes_one_valid_bom_per_model(demo_copy, tmp_path, capsys):
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.validation.json import JsonStrictValidator

    out = tmp_path / "bom"
    assert export(demo_copy, out, "--format", "cyclonedx") == 0
    names = [f"{m}.cdx.json" for m in MODELS]
    assert sorted(p.name for p in out.iterdir()) == names
    assert capsys.readouterr().out.splitlines() == [f"wrote {out / n}" for n in names]
    validator = JsonStrictValidator(SchemaVersion.V1_6)
    for model_id in MODELS:
        text = (out / f"{model_id}.cdx.json").read_text("utf-8")
        assert validator.validate_str(text) is None
        doc = json.loads(text)
        assert doc["metadata"]["component"]["bom-ref"] == f"model/{model_id}"
        assert doc["metadata"]["component"]["modelCard"]["considerations"]["useCases"]
        # the installed distribution's version (aipo-portal), not null
        assert doc["metadata"]["tools"]["components"][0]["version"]


def test_export_format_hf_card_writes_a_readme_per_model(demo_copy, tmp_path, capsys):
    from huggingface_hub import ModelCard

    out = tmp_path / "cards"
    assert export(demo_copy, out, "--format", "hf-card") == 0
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()) == [
        f"{m}/README.md" for m in MODELS
    ]
    assert capsys.readouterr().out.splitlines() == [
        f"wrote {out / m / 'README.md'}" for m in MODELS
    ]
    card = ModelCard((out / "fraud-prevention" / "README.md").read_text("utf-8"))
    assert card.data.model_name == "Card payment fraud prevention"
    assert {e.metric_type for e in card.data.eval_results} == {
        "recall",
        "precision",
        "false_positive_rate",
        "expected_calibration_error",
    }


@pytest.mark.parametrize("fmt", ["cyclonedx", "hf-card"])
def test_export_formats_are_byte_identical_across_runs(demo_copy, tmp_path, fmt):
    one, two = tmp_path / "one", tmp_path / "two"
    assert export(demo_copy, one, "--format", fmt) == 0
    assert export(demo_copy, two, "--format", fmt) == 0
    files = sorted(p.relative_to(one) for p in one.rglob("*") if p.is_file())
    assert len(files) == len(MODELS)
    assert files == sorted(p.relative_to(two) for p in two.rglob("*") if p.is_file())
    for rel in files:
        assert (one / rel).read_bytes() == (two / rel).read_bytes(), rel


def test_export_format_default_and_choices(demo_copy, tmp_path, capsys):
    from aipo_site.cli.export import EXPORT_FORMATS
    from aipo_site.cli.main import build_parser

    parser = build_parser()
    assert parser.parse_args(["export"]).format == "evidence"
    for fmt in EXPORT_FORMATS:
        assert parser.parse_args(["export", "--format", fmt]).format == fmt
    assert export(demo_copy, tmp_path / "x", "--format", "spdx") == 2
    assert "invalid choice: 'spdx'" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()


def test_export_invalid_bom_is_a_bug_exit_3_and_writes_nothing(
    demo_copy, tmp_path, capsys, monkeypatch
):
    from aipo_site.render import mlbom

    monkeypatch.setattr(mlbom, "_model_card", lambda r, refs: {"notAModelCardField": True})
    out = tmp_path / "bom"
    assert export(demo_copy, out, "--format", "cyclonedx") == 3
    err = capsys.readouterr().err
    assert err.startswith("error: internal error in aipo (BomValidationError:")
    assert "this is a bug" in err
    assert not out.exists()
