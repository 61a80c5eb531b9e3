"""Hostile input without a browser: the corpus covers every string field of the schema, the hostile
fixture repository is valid, and every refused character fails `mkdocs build` and `aipo check`
cleanly (one line naming the file, no traceback, the previous site untouched).

The corpus and the fixture builder live in tests/hostile.py; the browser half is
tests/test_hostile_browser.py.
"""

from __future__ import annotations

import base64
import hashlib
import re
import shutil
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import hostile
import pytest
from conftest import run_mkdocs
from hostile import (
    CONSTRAINED,
    EMAIL_FIELDS,
    EMAIL_PAYLOADS,
    LINK_FIELDS,
    MARKDOWN_FIELDS,
    PATH_FIELDS,
    REFUSED,
    RENDERED,
    URL_PAYLOADS,
    RefusedChar,
    build_hostile_repo,
    string_fields,
    string_values,
)

from aipo_site.cli import main
from aipo_site.model.charter import Charter
from aipo_site.model.policy import Policy

# Every payload field must get at least this many payload classes across the fixture.
MIN_CLASSES = 3


@pytest.fixture(scope="module")
def hostile_repo(tmp_path_factory: pytest.TempPathFactory) -> hostile.HostileRepo:
    return build_hostile_repo(tmp_path_factory.mktemp("hostile") / "repo")


# --- 1. The corpus -------------------------------------------------------------------------------

EXECUTABLE = re.compile(r"<script|javascript|on[a-z]+\s*=|data:text/html|srcdoc", re.IGNORECASE)


def _detectable(text: str) -> bool:
    if "__pwned" in text or "alert(" in text:
        return True
    for blob in re.findall(r"base64,([A-Za-z0-9+/=]+)", text):
        if b"__pwned" in base64.b64decode(blob):
            return True
    return False


def test_corpus_payloads_are_named_and_detectable() -> None:
    everything = [*RENDERED, *URL_PAYLOADS, *EMAIL_PAYLOADS, *hostile.REFUSED_PAYLOADS]
    names = [p.name for p in everything]
    assert len(names) == len(set(names)), "payload names must be unique"
    for p in everything:
        assert re.fullmatch(r"[a-z][a-z0-9_]*", p.name), p.name
        assert p.text.strip(), p.name
        # Whatever could execute must be seen executing: it sets window.__pwned or calls alert.
        if EXECUTABLE.search(p.text.replace("\u200b", "").replace("\u00ad", "")):
            assert _detectable(p.text), f"{p.name} is not detectable"
    classes = {p.cls for p in RENDERED}
    assert {
        "heading-exploit",
        "attr-list",
        "md-link",
        "url-obfuscated",
        "raw-html",
        "html-comment",
        "entity",
        "front-matter",
        "yaml-meta",
        "json-script",
        "svg",
        "md-line-start",
        "md-field",
    } <= classes


def test_refused_characters_cover_every_class() -> None:
    by_class = defaultdict(set)
    for r in REFUSED:
        by_class[r.cls].add(r.char)
    assert set(by_class) == {
        "C0",
        "DEL",
        "C1",
        "noncharacter",
        "surrogate",
        "bidi-embedding",
        "bidi-override",
        "bidi-isolate",
    }
    assert {"\x00", "\x1b", "\x85", "\ufffe", "\u202e"} <= {r.char for r in REFUSED}
    for r in REFUSED:
        assert hostile.refused_chars_in(r.char) == [r.char], r.code


# --- 2. Schema coverage: every string field carries payloads -------------------------------------


def _classes(repo: hostile.HostileRepo, values: list[str]) -> set[str]:
    """The payload classes found in ``values`` (a Markdown field holds several payloads)."""
    by_value = {a.value: hostile.BY_NAME[a.payload].cls for a in repo.assignments}
    parts = [a for a in repo.assignments if a.path in MARKDOWN_FIELDS | hostile.COMPOSITE_FIELDS]
    out = set()
    for v in values:
        if v in by_value:
            out.add(by_value[v])
        out.update(hostile.BY_NAME[a.payload].cls for a in parts if a.value in v)
    return out


@pytest.mark.parametrize(
    ("kind", "model"), [("charter", Charter), ("policy", Policy)], ids=["charter", "policy"]
)
def test_every_string_field_carries_payloads(
    hostile_repo: hostile.HostileRepo, kind: str, model: type
) -> None:
    """Walks every string field of the schema (nested models, lists, dict keys and values). A
    field that is not constrained must hold payloads of several classes in the fixture; a
    constrained one must be listed in CONSTRAINED with a reason (and still be set, validly).
    A new string field added to the schema fails here until the fixture fills it."""
    fields = string_fields(model)
    data = list(hostile_repo.charters.values()) if kind == "charter" else [hostile_repo.policy]
    values: dict[str, list[str]] = defaultdict(list)
    for item in data:
        for path, found in string_values(model, item).items():
            values[path].extend(found)
    constrained = CONSTRAINED[kind]
    problems = []
    for path, leaf in sorted(fields.items()):
        if path in constrained:
            if leaf.kind == "free":
                problems.append(f"{path}: listed as constrained but the schema lets any text in")
            if not values.get(path):
                problems.append(f"{path}: constrained, but the fixture never sets it")
            continue
        if leaf.kind != "free" and path not in EMAIL_FIELDS:
            problems.append(
                f"{path}: {leaf.kind} field missing from CONSTRAINED (add it with a reason)"
            )
            continue
        classes = _classes(hostile_repo, values.get(path, []))
        if len(classes) < MIN_CLASSES:
            problems.append(
                f"{path}: the hostile fixture puts {len(classes)} payload classes there "
                f"({', '.join(sorted(classes)) or 'none'}); give it at least {MIN_CLASSES} "
                "in tests/hostile.py"
            )
        if leaf.max_length:
            longest = max((len(v.strip()) for v in values.get(path, [])), default=0)
            assert longest <= leaf.max_length, f"{path}: fixture value over {leaf.max_length}"
    stale = sorted(set(constrained) - set(fields))
    problems += [f"{path}: in CONSTRAINED but not in the schema" for path in stale]
    assert not problems, f"{kind} fields not covered:\n" + "\n".join(problems)


def test_special_fields_get_their_own_payloads(hostile_repo: hostile.HostileRepo) -> None:
    fields = string_fields(Charter)
    for path in (*LINK_FIELDS, *EMAIL_FIELDS, *PATH_FIELDS, *MARKDOWN_FIELDS):
        assert path in fields, f"{path} is no longer a charter field"
    by_path = defaultdict(set)
    for a in hostile_repo.assignments:
        by_path[a.path].add(a.payload)
    for path in LINK_FIELDS:
        assert len(by_path[path]) >= 8, f"{path}: {sorted(by_path[path])}"
    links = by_path["data_sources[].authorisation.url"] | by_path["data_sources[].contract"]
    assert links == {p.name for p in URL_PAYLOADS}, "every link payload must be used"
    emails = by_path["owner.email"] | by_path["incident_owner.email"]
    assert emails == {p.name for p in EMAIL_PAYLOADS}
    # The Markdown fields get every rendered payload (each as its own block).
    markdown = by_path["summary"] | by_path["notes"]
    assert markdown == {p.name for p in RENDERED}, sorted({p.name for p in RENDERED} - markdown)


def test_csv_and_drift_text_carry_payloads(hostile_repo: hostile.HostileRepo) -> None:
    """Segment names (metric CSVs), categorical sample values and bin labels (drift files) and
    drift feature names (charter and CSV header) are text too."""
    for kind in ("csv:segment", "csv:category", "csv:bin"):
        values = hostile_repo.csv_values.get(kind, [])
        classes = _classes(hostile_repo, values)
        assert len(classes) >= MIN_CLASSES, f"{kind}: {sorted(classes)}"
    features = [f["name"] for c in hostile_repo.charters.values() for f in c["drift"]["features"]]
    assert len(_classes(hostile_repo, features)) >= MIN_CLASSES


def test_every_payload_is_placed_somewhere(hostile_repo: hostile.HostileRepo) -> None:
    used = {a.payload for a in hostile_repo.assignments}
    everything = {p.name for p in (*RENDERED, *URL_PAYLOADS, *EMAIL_PAYLOADS)}
    assert everything <= used, sorted(everything - used)
    # several models, several nav groups
    assert len(hostile_repo.charters) >= 6
    assert len({c["business_unit"] for c in hostile_repo.charters.values()}) >= 3


def test_fixture_files_hold_what_was_assigned(hostile_repo: hostile.HostileRepo) -> None:
    """The assignments describe the files as written (the browser tests rely on them)."""
    for a in hostile_repo.assignments:
        if a.path.startswith("csv:"):
            continue
        text = (hostile_repo.root / a.file).read_text(encoding="utf-8")
        assert a.marker in text or a.marker == "", a


# --- 3. The fixture is a valid repository ---------------------------------------------------------


@pytest.mark.build
def test_hostile_fixture_builds_strict(hostile_repo: hostile.HostileRepo, tmp_path: Path) -> None:
    result = run_mkdocs(hostile_repo.root, site_dir=tmp_path / "site")
    assert result.returncode == 0, f"{result.stdout}\n{result.stderr}"
    assert "Traceback" not in result.stderr
    for model_id in hostile_repo.model_ids:
        assert (tmp_path / "site" / "models" / model_id / "index.html").is_file()


@pytest.mark.parametrize("fmt", ["text", "json", "junit", "github", "markdown"])
def test_aipo_check_reports_hostile_fixture(
    hostile_repo: hostile.HostileRepo, capsys: pytest.CaptureFixture[str], fmt: str
) -> None:
    """Hostile text is valid input: `aipo check` evaluates it (exit 0 or 1), it is not an error."""
    code = main(["check", "--config", str(hostile_repo.root / "mkdocs.yml"), "--format", fmt])
    out, err = capsys.readouterr()
    assert code in (0, 1), err
    assert "Traceback" not in err
    assert out.strip()


# --- 4. Refused characters ------------------------------------------------------------------------
# A tiny repository with two models (m1: dated drift samples and segments, m2: drift bins) and a
# policy; each case puts one refused character in one place.

POLICY = """\
metrics:
  recall: {direction: higher_is_better, warn: 0.80, breach: 0.75}
authorisation:
  - categories: [personal]
    regions: [EU]
    regulation: "GDPR{C}"
required_sections:
  production: [owner, kpis, thresholds]
"""

CHARTER = """\
id: {ID}
name: "Model{C}"
summary: A fixture model.
business_unit: Testing
owner: {{name: Ada Owner, email: ada@example.com}}
lifecycle: {{stage: production, since: 2026-01-01}}
kpis:
  - metric: recall
    baseline: {{value: 0.9}}
    freshness_days: 3
data_sources:
  - name: Events
    categories: [personal]
    regions: [EU]
    authorisation: {{record: DPIA-1}}
    contract: https://example.com/contract
segments:
  - metric: recall
    tiers: {{warn: 0.05, breach: 0.1}}
drift:
{DRIFT}"""

DRIFT_SAMPLES = """\
  samples: drift/samples.csv
  reference: {start: 2026-08-01, end: 2026-09-30}
  features:
    - name: amount
    - name: "channel{C}"
      kind: categorical
"""

DRIFT_BINS = """\
  bins: drift/bins.csv
  features:
    - {name: band, method: psi}
"""


def _kpis_csv(segment: str) -> str:
    import datetime as dt

    rows = ["date,metric,value,segment"]
    end = dt.date(2026, 11, 20)
    for i in range(30):
        day = (end - dt.timedelta(days=29 - i)).isoformat()
        rows += [f"{day},recall,0.9,", f"{day},recall,0.88,a", f"{day},recall,0.86,b"]
    rows[-1] = rows[-1].rsplit(",", 1)[0] + "," + segment
    return "\n".join(rows) + "\n"


def _samples_csv(header: str, value: str) -> str:
    import datetime as dt

    rows = [f"date,amount,{header}"]
    day = dt.date(2026, 8, 1)
    while day <= dt.date(2026, 11, 20):
        for k in range(3):
            rows.append(f"{day.isoformat()},{10 + k + day.day % 5},{'web' if k else 'store'}")
        day += dt.timedelta(days=1)
    rows[5] = rows[5].rsplit(",", 1)[0] + "," + value
    return "\n".join(rows) + "\n"


BINS = (
    "feature,bin,reference_count,current_count\nband,low,50,20\nband,{C},30,30\nband,high,20,50\n"
)

MKDOCS = """\
site_name: refused fixture
docs_dir: content
theme:
  name: material
  font: false
plugins:
  - aipo:
      as_of: "2026-11-20"
"""


def _write(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text.encode("utf-8"))


def _clean_files() -> dict[str, str]:
    return {
        "mkdocs.yml": MKDOCS,
        "content/index.md": "# Home\n",
        "content/policy.yaml": POLICY.replace("{C}", ""),
        "content/models/m1.yaml": CHARTER.format(ID="m1", C="", DRIFT=DRIFT_SAMPLES).replace(
            "{C}", ""
        ),
        "content/models/m2.yaml": CHARTER.format(ID="m2", C=" two", DRIFT=DRIFT_BINS),
        "metrics/m1/kpis.csv": _kpis_csv("b"),
        "metrics/m1/drift/samples.csv": _samples_csv("channel", "web"),
        "metrics/m2/kpis.csv": _kpis_csv("b"),
        "metrics/m2/drift/bins.csv": BINS.replace("{C}", "mid"),
    }


def _escape(r: RefusedChar, named: bool) -> str:
    if named and r.yaml_escape:
        return r.yaml_escape
    return f"\\u{ord(r.char):04X}"


@dataclass(frozen=True)
class Case:
    """One refused character in one place, and where the error must point."""

    files: dict[str, str]
    path: str
    line: int
    field: str | None  # required in the message (values the YAML loader checks after escapes)


def _line_of(text: str, needle: str) -> int:
    return text[: text.index(needle)].count("\n") + 1


def _case(where: str, r: RefusedChar) -> Case | None:
    """The repository files with ``r`` placed ``where``; None when it cannot be placed there."""
    raw = r.char
    files = _clean_files()
    in_file = where.endswith("raw") or where in ("csv-segment", "samples-value", "bin-label")
    if in_file and not r.encodable:
        return None  # a lone surrogate cannot be written into a UTF-8 file
    if where == "charter-name-named-escape" and not r.yaml_escape:
        return None
    m1 = "content/models/m1.yaml"
    if where.startswith("charter-name"):
        c = raw if where == "charter-name-raw" else _escape(r, where.endswith("named-escape"))
        text = CHARTER.format(ID="m1", C=f" {c}x", DRIFT=DRIFT_SAMPLES).replace("{C}", "")
        files[m1] = text
        return Case(files, m1, 2, None if where.endswith("raw") else "name")
    if where.startswith("policy"):
        c = raw if where == "policy-raw" else _escape(r, named=False)
        text = POLICY.replace("{C}", f" {c}")
        files["content/policy.yaml"] = text
        field = None if where.endswith("raw") else "authorisation[0].regulation"
        return Case(files, "content/policy.yaml", _line_of(text, "regulation:"), field)
    if where.startswith("drift-feature"):
        c = raw if where == "drift-feature-raw" else _escape(r, named=False)
        text = CHARTER.format(ID="m1", C="", DRIFT=DRIFT_SAMPLES.replace("{C}", c))
        files[m1] = text
        header = f"channel{raw}" if r.encodable else "channel"
        files["metrics/m1/drift/samples.csv"] = _samples_csv(header, "web")
        field = None if where.endswith("raw") else "drift.features[1].name"
        return Case(files, m1, _line_of(text, '"channel'), field)
    if where == "csv-segment":
        text = _kpis_csv(f"b{raw}x")  # not last on the line: "\r\n" is a CRLF ending
        files["metrics/m1/kpis.csv"] = text
        return Case(files, "metrics/m1/kpis.csv", text.count("\n"), None)
    if where == "samples-value":
        text = _samples_csv("channel", f"web{raw}x")
        files["metrics/m1/drift/samples.csv"] = text
        return Case(files, "metrics/m1/drift/samples.csv", 6, None)
    if where == "bin-label":
        files["metrics/m2/drift/bins.csv"] = BINS.replace("{C}", f"mid{raw}x")
        return Case(files, "metrics/m2/drift/bins.csv", 3, None)
    raise AssertionError(where)


PLACES = [
    "charter-name-raw",
    "charter-name-escape",
    "charter-name-named-escape",
    "policy-raw",
    "policy-escape",
    "csv-segment",
    "drift-feature-raw",
    "drift-feature-escape",
    "samples-value",
    "bin-label",
]


def _error_pattern(case: Case, r: RefusedChar) -> re.Pattern[str]:
    """``path:line[:col]: [field: ]... U+XXXX``: YAML errors carry a column; CSV errors may."""
    col = r":\d+" if case.path.endswith(".yaml") else r"(?::\d+)?"
    field = rf" {re.escape(case.field)}:" if case.field else r"(?: [^:]+:)?"
    return re.compile(rf"{re.escape(case.path)}:{case.line}{col}:{field} .*{re.escape(r.code)}\b")


def _check_case(where: str, r: RefusedChar, tmp_path: Path) -> Case:
    case = _case(where, r)
    assert case is not None, f"{r.code} cannot be placed as {where}"
    root = tmp_path / "repo"
    _write(root, case.files)
    return case


def test_clean_refused_fixture_is_valid(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Without a refused character the tiny repository checks and builds (so the cases below
    fail for the character alone)."""
    root = tmp_path / "repo"
    _write(root, _clean_files())
    code = main(["check", "--config", str(root / "mkdocs.yml")])
    _, err = capsys.readouterr()
    assert code in (0, 1), err
    result = run_mkdocs(root)
    assert result.returncode == 0, result.stderr


# Every character in every place it can be written (a lone surrogate cannot be encoded into a
# UTF-8 file, only written as an escape; not every character has a named YAML escape).
CHECK_CASES = [
    pytest.param(where, r, id=f"{where}-{r.code}")
    for where in PLACES
    for r in REFUSED
    if _case(where, r) is not None
]


@pytest.mark.parametrize(("where", "r"), CHECK_CASES)
def test_aipo_check_refuses(
    where: str, r: RefusedChar, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    case = _check_case(where, r, tmp_path)
    code = main(["check", "--config", str(tmp_path / "repo" / "mkdocs.yml")])
    out, err = capsys.readouterr()
    lines = err.strip().splitlines()
    assert code == 2, f"exit {code} (expected 2) for {r.code} as {where}:\n{out}{err}"
    assert "Traceback" not in err
    assert out == ""
    assert len(lines) == 1, f"expected one error line, found:\n{err}"
    assert lines[0].startswith("error: "), lines[0]
    assert _error_pattern(case, r).search(lines[0]), (
        f"{lines[0]!r} does not name {case.path}:{case.line} {case.field or ''} and {r.code}"
    )


def _tree(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def built_clean(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The clean tiny repository with its site built once (copied by each case)."""
    root = tmp_path_factory.mktemp("refused") / "repo"
    _write(root, _clean_files())
    result = run_mkdocs(root)
    assert result.returncode == 0, result.stderr
    return root


# One character per class and place for the real builds (aipo check above takes every one).
_BY_CLASS: dict[str, list[RefusedChar]] = defaultdict(list)
for _r in REFUSED:
    _BY_CLASS[_r.cls].append(_r)
BUILD_PLACES = [
    "charter-name-raw",
    "charter-name-escape",
    "policy-raw",
    "csv-segment",
    "drift-feature-raw",
    "drift-feature-escape",
]
BUILD_CASES = [
    pytest.param(where, chars[i % len(chars)], id=f"{where}-{chars[i % len(chars)].code}")
    for i, where in enumerate(BUILD_PLACES)
    for chars in _BY_CLASS.values()
    if _case(where, chars[i % len(chars)]) is not None
]


@pytest.mark.build
@pytest.mark.parametrize(("where", "r"), BUILD_CASES)
def test_mkdocs_build_refuses_and_keeps_site(
    where: str, r: RefusedChar, built_clean: Path, tmp_path: Path
) -> None:
    root = tmp_path / "repo"
    shutil.copytree(built_clean, root)
    before = _tree(root / "site")
    case = _case(where, r)
    assert case is not None
    _write(root, case.files)
    result = run_mkdocs(root)
    output = result.stdout + result.stderr
    assert result.returncode != 0, f"{r.code} as {where} built:\n{output}"
    assert "Traceback" not in output
    errors = [line for line in result.stderr.splitlines() if line.startswith("ERROR")]
    assert len(errors) == 1, f"expected one error line, found:\n{result.stderr}"
    assert _error_pattern(case, r).search(errors[0]), (
        f"{errors[0]!r} does not name {case.path}:{case.line} {case.field or ''} and {r.code}"
    )
    assert _tree(root / "site") == before, "a failed build changed the previous site"
