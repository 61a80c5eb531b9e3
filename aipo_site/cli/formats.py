"""Output formats of `aipo check`: text, json, junit, github and markdown.

Every renderer takes a :class:`~aipo_site.cli.check.CheckRun` and returns a string; invalid input
(``run.errors``) is reported in each format where the format has a place for it.

JSON report (``--format json``), version 2. Keys are sorted; models are sorted by id::

    {
      "format": "aipo-check",
      "version": 2,
      "as_of": "YYYY-MM-DD",                 # evaluation date
      "fail_on": "error" | "breach" | "warn",
      "outcome": "pass" | "fail" | "invalid",
      "exit_code": 0 | 1 | 2,
      "summary": {"models": n, "status": {"OK": n, "WARN": n, "BREACH": n},
                  "findings": {"OK": n, "WARN": n, "BREACH": n}, "failing": ["model-id", ...],
                  "performance": {"yes": n, "at risk": n, "no": n, "cannot judge": n,
                                  "not judged": n},
                  "governance": {"yes": n, "gaps": n, "no": n}},   # models per answer
      "errors": [{"file", "line", "column", "field", "message"}],   # invalid input; empty if valid
      "warnings": ["..."],                   # repository warnings (e.g. metrics without a charter)
      "policy_file": "content/policy.yaml" | null,
      "models": [{
        "id", "name", "file", "business_unit", "stage",
        "owner": {"name", "email", "person"},   # person: the people directory key, or null
        "incident_owner": {"name", "email", "person"} | null,
        "status": "OK" | "WARN" | "BREACH",  # as the portal shows it
        "since": "YYYY-MM-DD" | null,        # since when the status holds, when known
        "gate_level": "OK" | "WARN" | "BREACH",  # status or lint, whichever is worse
        "escalation": {"index", "name", "who", "response_time", "reason"},
        "performance": {                     # "Is this model performing as intended?"
            "question": "...", "sentence": "...",  # the sentence says why, for an executive
            "answer": "yes" | "at risk" | "no" | "cannot judge" | "not judged",
            "label": "Yes" | "At risk" | ...},  # the answer as shown
        "governance": {                      # "Is this model governed as required?"
            "question", "sentence", "answer": "yes" | "gaps" | "no", "label"},
        "retraining_due": "YYYY-MM-DD" | null,
        "kpis": [{"metric", "name", "unit", "direction",
                  "status",            # the KPI's one status: the worse of the two below
                  "level",
                  "threshold_status",  # thresholds and freshness (null: no data at all)
                  "value",             # the window's aggregate at as_of (null: no rows)
                  "window_start",      # the window holds rows dated window_start..as_of
                  "rows", "newest",
                  "since", "message", "window_days", "aggregation", "freshness_days",
                  "thresholds": {"warn", "breach"} | null, "threshold_source", "baseline",
                  "max_drop": {"warn", "breach"} | null, "drop", "drop_status", "file", "line"}],
        "segments": [{"metric", "name", "unit", "gap_kind", "tiers", "status", "level", "gap",
                      "worst": {"segment", "value", "rows"} | null, "best": ..., "values": [...],
                      "window_start", "since", "newest", "message", "file", "line"}],
                                                     # segment-gap (bias) checks
        "drift": {"level", "since", "share", "share_status", "share_tiers", "reference",
                  "current", "window_start", "summary",
                  "features": [{"name", "kind", "method",
                                "value",      # the method's statistic or distance
                                "p_value",    # the test's p-value; null for distances
                                "tiers", "tiered_on": "value" | "p_value" | null,
                                "status", "level", "since", "reading", "importance",
                                "n_reference", "n_current"}],
                  "file", "line"} | null,                          # data drift, when configured
        "findings": [{"code", "level", "message", "section", "field", "file", "line",
                      "since": "YYYY-MM-DD" | null,  # the first day it held; null: unknown
                      "source": "compliance" | "lint"}]
      }]
    }

A new optional key does not change the version; a removed or renamed key does. Version 2
replaced each model's ``answer`` (one sentence mixing performance and compliance) with
``performance`` and ``governance``; when each answer is given is documented in
:mod:`aipo_site.evaluate.verdict` and in the guide "Reading the portal".
"""

from __future__ import annotations

import json
import os
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

from ..fmt import fmt_date
from ..model.results import Finding, Level, Status
from ..model.verdict import Answer, Question, Verdict
from ..render import gfm
from .check import CheckRun, ModelCheck, error_record, model_record

__all__ = ["FORMATS", "JSON_VERSION", "render"]

JSON_VERSION = 2

# Compliance check families: one JUnit test case each, passing when the family has no finding.
FAMILIES: dict[str, tuple[str, ...]] = {
    "incident owner": ("incident-owner-missing",),
    "KPIs and thresholds": ("kpis-missing", "thresholds-missing", "threshold-loosened"),
    "data contracts": ("data-contract-missing",),
    "data authorisation": ("authorisation-missing",),
    "retraining": (
        "retraining-missing",
        "retraining-unknown",
        "retraining-overdue",
        "retraining-cadence-too-long",
    ),
    "required sections": ("section-missing",),
    "operating rhythm": (
        "ritual-missing",
        "ritual-cadence-too-long",
        "ritual-never-held",
        "ritual-overdue",
    ),
    "lifecycle": ("sunset-review-overdue",),
    "regulation": (
        "classification-missing",
        "classification-contradiction",
        "classification-unexplained",
        "obligation-missing",
    ),
    "authoring (TODO markers)": ("todo-marker",),
}
_FAMILY_OF = {code: family for family, codes in FAMILIES.items() for code in codes}


def family(finding: Finding) -> str:
    """The check family of a finding (codes added later fall back to their section)."""
    return _FAMILY_OF.get(finding.code, finding.section.replace("_", " "))


def _where(path: str, line: int | None) -> str:
    return f"{path}:{line}" if line else path


def _since(value: object) -> str:
    return fmt_date(value) if value else "—"  # type: ignore[arg-type]


def _finding_since(m: ModelCheck, f: Finding) -> str:
    """' since YYYY-MM-DD' (the first day the condition held) or ' since unknown' for a
    compliance finding; '' for an authoring lint, which is not dated."""
    if m.is_lint(f):
        return ""
    return f" since {f.since.isoformat()}" if f.since else " since unknown"


# --- text -----------------------------------------------------------------------------------------


def render_text(run: CheckRun) -> str:
    """A readable summary per model, then totals."""
    if run.errors:
        count = len(run.errors)
        lines = [
            f"aipo check: {count} problem{'s' if count != 1 else ''} in the governance inputs:"
        ]
        lines += [f"  {e.render()}" for e in run.errors]
        return "\n".join(lines) + "\n"
    n = len(run.models)
    lines = [
        f"aipo check — {n} model{'s' if n != 1 else ''} evaluated as of {run.as_of.isoformat()} "
        f"(fail on: {run.fail_on})",
        "",
    ]
    for m in run.models:
        r = m.result
        since = f" since {r.since.isoformat()}" if r.since else ""
        mark = " ✗" if run.fails(m.gate_level) else ""
        lines.append(f"{r.status.label:<7} {r.id} — {r.charter.name}{since}{mark}")
        for verdict in (r.performance, r.governance):
            if verdict is not None:
                lines.append(f"        {verdict.question.short:<12} {verdict.text}")
        if r.escalation.level is not None:
            lines.append(
                f"        escalation: {r.escalation.level.name} → {r.escalation.level.who} "
                f"({r.escalation.reason})"
            )
        elif r.status > Level.OK:
            lines.append(f"        escalation: {r.escalation.reason}")
        not_ok = [item for item in m.items() if item.status != Status.OK.value]
        if not_ok:
            lines.append("        checks not OK:")
            for item in not_ok:
                lines.append(
                    f"          {item.status:<13} {item.title} ({_where(r.path, item.line)}): "
                    f"{item.message}"
                )
        if m.findings:
            lines.append("        findings:")
            for f in m.findings:
                lines.append(
                    f"          {f.level.label:<7} {f.code} ({_where(r.path, f.line)})"
                    f"{_finding_since(m, f)}: {f.message}"
                )
        lines.append("")
    for w in run.warnings:
        lines.append(f"warning: {w}")
    if run.warnings:
        lines.append("")
    counts, findings = run.counts(), run.finding_counts()
    lines.append(
        f"Totals: {n} model{'s' if n != 1 else ''} — "
        + ", ".join(f"{counts[level]} {level.label}" for level in reversed(Level))
        + f"; findings: {findings[Level.BREACH]} BREACH, {findings[Level.WARN]} WARN"
    )
    failing = run.failing()
    if run.threshold is None:
        verdict = "PASS (--fail-on error: only invalid input fails)"
    elif failing:
        verdict = (
            f"FAIL — {len(failing)} model{'s' if len(failing) != 1 else ''} at or above "
            f"{run.threshold.label}: {', '.join(m.id for m in failing)}"
        )
    else:
        verdict = f"PASS — nothing at or above {run.threshold.label}"
    lines.append(f"Result: {verdict}")
    return "\n".join(lines) + "\n"


# --- json -----------------------------------------------------------------------------------------


def render_json(run: CheckRun) -> str:
    """The JSON report documented in this module's docstring."""
    counts, findings = run.counts(), run.finding_counts()
    doc = {
        "format": "aipo-check",
        "version": JSON_VERSION,
        "as_of": run.as_of.isoformat(),
        "fail_on": run.fail_on,
        "outcome": run.outcome,
        "exit_code": run.exit_code,
        "summary": {
            "models": len(run.models),
            "status": {level.label: counts[level] for level in Level},
            "findings": {level.label: findings[level] for level in Level},
            "failing": [m.id for m in run.failing()],
            "performance": run.answer_counts(Question.performance),
            "governance": run.answer_counts(Question.governance),
        },
        "errors": [error_record(e) for e in run.errors],
        "warnings": list(run.warnings),
        "policy_file": run.policy_file,
        "models": [model_record(m) for m in run.models],
    }
    return json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False, allow_nan=False) + "\n"


# --- junit ----------------------------------------------------------------------------------------

# Characters XML 1.0 cannot carry at all, even escaped.
_XML_INVALID = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _x(text: object) -> str:
    return _XML_INVALID.sub("\ufffd", str(text))


def render_junit(run: CheckRun) -> str:
    """JUnit XML: one testsuite per model, one testcase per KPI, segment gap, drift and
    compliance family.

    Findings at or above --fail-on are ``<failure>``s; the others go to ``<system-out>``. Invalid
    input is one ``inputs`` suite with an ``<error>`` per problem.
    """
    root = ET.Element("testsuites", name="aipo check")
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    if run.errors:
        suite = ET.SubElement(root, "testsuite", name="inputs")
        for e in run.errors:
            case = ET.SubElement(
                suite, "testcase", classname="inputs", name=_x(e.location()), file=_x(e.path)
            )
            if e.line:
                case.set("line", str(e.line))
            err = ET.SubElement(case, "error", type="InvalidInput", message=_x(e.message))
            err.text = _x(e.render())
        _count(suite, len(run.errors), 0, len(run.errors), 0, totals)
    for m in run.models:
        _model_suite(root, run, m, totals)
    for key, value in totals.items():
        root.set(key, str(value))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, "unicode") + "\n"


def _count(
    suite: ET.Element, tests: int, failures: int, errors: int, skipped: int, totals: dict
) -> None:
    for key, value in (
        ("tests", tests),
        ("failures", failures),
        ("errors", errors),
        ("skipped", skipped),
    ):
        suite.set(key, str(value))
        totals[key] += value


def _model_suite(root: ET.Element, run: CheckRun, m: ModelCheck, totals: dict) -> None:
    r = m.result
    suite = ET.SubElement(root, "testsuite", name=_x(r.id), file=_x(r.path))
    props = ET.SubElement(suite, "properties")
    for name, value in (
        ("name", r.charter.name),
        ("status", r.status.label),
        ("since", _since(r.since)),
        ("as_of", run.as_of.isoformat()),
        *((v.question.value, v.text) for v in (r.performance, r.governance) if v is not None),
    ):
        ET.SubElement(props, "property", name=name, value=_x(value))
    tests = failures = skipped = 0
    for item in m.items():
        tests += 1
        case = ET.SubElement(
            suite,
            "testcase",
            classname=_x(f"{r.id}.{item.kind}"),
            name=_x(item.key),
            file=_x(r.path),
        )
        if item.line:
            case.set("line", str(item.line))
        text = f"{item.status}: {item.message}"
        if run.fails(item.level):
            failures += 1
            fail = ET.SubElement(case, "failure", type=item.level.label, message=_x(text))
            fail.text = _x(text)
        elif item.status == Status.UNSET.value:
            skipped += 1
            ET.SubElement(case, "skipped", message=_x(text))
        else:
            ET.SubElement(case, "system-out").text = _x(text)
    groups: dict[str, list[Finding]] = {name: [] for name in FAMILIES}
    for f in m.findings:
        groups.setdefault(family(f), []).append(f)
    for name, items in groups.items():
        tests += 1
        case = ET.SubElement(
            suite, "testcase", classname=_x(f"{r.id}.compliance"), name=_x(name), file=_x(r.path)
        )
        failing = [f for f in items if run.fails(f.level)]
        others = [f for f in items if not run.fails(f.level)]
        if failing:
            failures += 1
            first = failing[0]
            if first.line:
                case.set("line", str(first.line))
            message = first.message if len(failing) == 1 else f"{len(failing)} findings"
            fail = ET.SubElement(case, "failure", type=first.level.label, message=_x(message))
            fail.text = _x("\n".join(_finding_line(m, f) for f in failing))
        if others:
            ET.SubElement(case, "system-out").text = _x(
                "\n".join(_finding_line(m, f) for f in others)
            )
    _count(suite, tests, failures, 0, skipped, totals)


def _since_note(m: ModelCheck, f: Finding) -> str:
    """' (since YYYY-MM-DD)' or ' (since unknown)' after a compliance finding's message."""
    since = _finding_since(m, f)
    return f" ({since.strip()})" if since else ""


def _finding_line(m: ModelCheck, f: Finding) -> str:
    where = _where(m.result.path, f.line)
    return f"{f.level.label} {f.code} ({where}){_finding_since(m, f)}: {f.message}"


# --- github ---------------------------------------------------------------------------------------


def _gh_data(text: str) -> str:
    """Escape a workflow command's message (actions/toolkit escapeData)."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _gh_prop(text: str) -> str:
    """Escape a workflow command's property value (actions/toolkit escapeProperty)."""
    return _gh_data(text).replace(":", "%3A").replace(",", "%2C")


def _gh_command(kind: str, message: str, **props: object) -> str:
    given = [f"{key}={_gh_prop(str(value))}" for key, value in props.items() if value is not None]
    head = f"::{kind}" + (" " + ",".join(given) if given else "")
    return f"{head}::{_gh_data(message)}"


def _workspace_prefix(root: Path | None) -> str:
    """Path of the repository root inside $GITHUB_WORKSPACE, so annotations land on the right file."""
    workspace = os.environ.get("GITHUB_WORKSPACE")
    if root is None or not workspace:
        return ""
    try:
        rel = root.resolve().relative_to(Path(workspace).resolve()).as_posix()
    except ValueError:
        return ""
    return "" if rel in ("", ".") else rel + "/"


def render_github(run: CheckRun, root: Path | None = None) -> str:
    """GitHub Actions workflow commands: ``::error`` for BREACH, ``::warning`` for WARN.

    Per model, one ``::notice`` on its charter with the answers to "performing as intended?" and
    "governed as required?", then one command per finding and per check (KPI, segment gap,
    drift) at WARN or BREACH, placed on the charter line; one ``::error`` per invalid-input
    problem; then a plain summary line.
    """
    prefix = _workspace_prefix(root)
    lines = []
    for e in run.errors:
        title = f"aipo: invalid input{f' ({e.field})' if e.field else ''}"
        lines.append(
            _gh_command(
                "error",
                e.message,
                file=prefix + e.path,
                line=e.line,
                col=e.column,
                title=title,
            )
        )
    for w in run.warnings:
        lines.append(_gh_command("warning", w, title="aipo"))
    for m in run.models:
        r = m.result
        file = prefix + r.path
        answers = [v for v in (r.performance, r.governance) if v is not None]
        if answers:
            lines.append(
                _gh_command(
                    "notice",
                    "\n".join(f"{v.question.text} {v.text}" for v in answers),
                    file=file,
                    title=f"{r.id}: "
                    + "; ".join(f"{v.question.short} {v.answer.label}" for v in answers),
                )
            )
        for item in m.items():
            if item.level is Level.OK:
                continue
            kind = "error" if item.level is Level.BREACH else "warning"
            lines.append(
                _gh_command(
                    kind,
                    f"{r.charter.name}: {item.name} — {item.message}",
                    file=file,
                    line=item.line,
                    title=f"{r.id}: {item.title} {item.status}",
                )
            )
        for f in m.findings:
            if f.level is Level.OK:
                continue
            kind = "error" if f.level is Level.BREACH else "warning"
            lines.append(
                _gh_command(
                    kind,
                    f"{r.charter.name}: {f.message}{_since_note(m, f)}",
                    file=file,
                    line=f.line,
                    title=f"{r.id}: {f.code} ({f.level.label})",
                )
            )
    lines.append(_summary_line(run))
    return "\n".join(lines) + "\n"


def _summary_line(run: CheckRun) -> str:
    if run.errors:
        n = len(run.errors)
        return f"aipo check: invalid input — {n} problem{'s' if n != 1 else ''}; exit 2"
    counts = run.counts()
    status = ", ".join(f"{counts[level]} {level.label}" for level in reversed(Level))
    return (
        f"aipo check: {len(run.models)} models as of {run.as_of.isoformat()} — {status}; "
        f"fail on {run.fail_on}: {run.outcome}; exit {run.exit_code}"
    )


# --- markdown -------------------------------------------------------------------------------------

_ICON = {Level.OK: "🟢 OK", Level.WARN: "🟠 WARN", Level.BREACH: "🔴 BREACH"}
_ANSWER_ICON = {
    Answer.yes: "🟢",
    Answer.at_risk: "🟠",
    Answer.gaps: "🟠",
    Answer.no: "🔴",
    Answer.cannot_judge: "⚪",
    Answer.not_judged: "➖",
}


def _answer_cell(verdict: Verdict | None) -> str:
    return "—" if verdict is None else f"{_ANSWER_ICON[verdict.answer]} {verdict.answer.label}"


def render_markdown(run: CheckRun) -> str:
    """A Markdown summary for ``$GITHUB_STEP_SUMMARY`` (a table, then the problems per model)."""
    out = [f"## aipo check — {run.outcome.upper()}", ""]
    if run.errors:
        n = len(run.errors)
        out += [f"**Invalid input: {n} problem{'s' if n != 1 else ''}.** Exit code 2.", ""]
        out += ["| File | Line | Field | Problem |", "|---|---|---|---|"]
        for e in run.errors:
            out.append(
                f"| `{gfm.code(e.path, True)}` | {e.line or ''} | {gfm.text(e.field or '')} | {gfm.text(e.message)} |"
            )
        return "\n".join(out) + "\n"
    counts = run.counts()
    out.append(
        f"{len(run.models)} models evaluated as of **{run.as_of.isoformat()}**: "
        + ", ".join(f"{counts[level]} {level.label}" for level in reversed(Level))
        + f". Fail on: `{run.fail_on}` → exit {run.exit_code}."
    )
    out += [
        "",
        "| Model | Status | Since | Performing? | Governed? | Escalation | Checks not OK | Findings |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for m in run.models:
        r = m.result
        checks = ", ".join(
            f"{item.title} ({item.status})" for item in m.items() if item.status != Status.OK.value
        )
        f_counts = {lvl: sum(1 for f in m.findings if f.level is lvl) for lvl in Level}
        findings = ", ".join(
            f"{f_counts[lvl]} {lvl.label}" for lvl in (Level.BREACH, Level.WARN) if f_counts[lvl]
        )
        escalation = r.escalation.level.name if r.escalation.level else "—"
        out.append(
            f"| **{gfm.text(r.charter.name)}** `{gfm.code(r.id, True)}` | {_ICON[r.status]} | {_since(r.since)} "
            f"| {_answer_cell(r.performance)} | {_answer_cell(r.governance)} "
            f"| {gfm.text(escalation)} | {gfm.text(checks) or '—'} | {findings or '—'} |"
        )
    for m in run.models:
        items = [item for item in m.items() if item.level > Level.OK]
        r = m.result
        answers = [v for v in (r.performance, r.governance) if v is not None]
        settled = all(v.answer in (Answer.yes, Answer.not_judged) for v in answers)
        if not items and not m.findings and settled:
            continue
        out += ["", f"### {gfm.text(r.charter.name)} (`{gfm.code(r.id)}`)", ""]
        for i, v in enumerate(answers):
            out += [">"] if i else []
            out.append(f"> **{gfm.text(v.question.text)}** {gfm.text(v.text)}")
        out.append("")
        for item in items:
            out.append(
                f"- **{item.status}** {gfm.text(item.title)} — {gfm.text(item.message)} "
                f"(`{gfm.code(_where(r.path, item.line))}`)"
            )
        for f in m.findings:
            out.append(
                f"- **{f.level.label}** `{gfm.code(f.code)}` — {gfm.text(f.message)}"
                f"{_since_note(m, f)} (`{gfm.code(_where(r.path, f.line))}`)"
            )
    if run.warnings:
        out += ["", "**Warnings**", ""]
        out += [f"- {gfm.text(w)}" for w in run.warnings]
    return "\n".join(out) + "\n"


FORMATS: dict[str, Callable[..., str]] = {
    "text": render_text,
    "json": render_json,
    "junit": render_junit,
    "github": render_github,
    "markdown": render_markdown,
}


def render(run: CheckRun, fmt: str, root: Path | None = None) -> str:
    """The report in ``fmt`` (one of FORMATS)."""
    if fmt == "github":
        return render_github(run, root)
    return FORMATS[fmt](run)
