"""The governance diff as Markdown (for a pull-request comment) and as JSON (for tools).

The Markdown follows ``dvc metrics diff --md``: a table per model with one column per side. It
starts with a short "Needs review" list, most severe first. Charter text is untrusted: every piece
of it is escaped for GitHub-flavoured Markdown (HTML, table pipes, emphasis, links, @-mentions and
#-references), control and bidirectional-override characters are dropped, long values are cut.
"""

from __future__ import annotations

import json

from ..model.results import Level
from ..render import gfm
from .model import Change, GovernanceDiff, ModelDiff, Severity, Side

__all__ = ["md_escape", "to_json", "to_markdown"]

JSON_FORMAT_VERSION = 1
MAX_REVIEW_ITEMS = 30
MAX_CELL = 300

_ICON = {Severity.CRITICAL: "🔴", Severity.REVIEW: "🟠", Severity.INFO: "⚪"}


def md_escape(value: object, limit: int = MAX_CELL) -> str:
    """Untrusted text made inert in GitHub-flavoured Markdown, on one line (see render/gfm.py)."""
    return gfm.text(value, limit)


def _side(side: Side) -> str:
    label = md_escape(side.label, 80)
    return f"{label} @ {side.commit}" if side.commit else label


def _cell(value: str | None) -> str:
    return "—" if value is None else md_escape(value)


def _status(before: Level | None, after: Level | None) -> str:
    b = before.label if before is not None else "—"
    a = after.label if after is not None else "—"
    return a if before == after else f"{b} → {a}"


def _counts(diff: GovernanceDiff) -> str:
    parts = [f"{diff.count(s)} {s.label}" for s in reversed(Severity) if diff.count(s)]
    return ", ".join(parts)


def to_markdown(diff: GovernanceDiff) -> str:
    """The diff as GitHub-flavoured Markdown, stable for the same inputs."""
    base, head = _side(diff.base), _side(diff.head)
    lines = [
        "## Governance diff",
        "",
        f"**Base** {base} → **head** {head} · evaluated as of {diff.as_of.isoformat()}",
        "",
    ]
    compared = len(diff.unchanged) + sum(1 for m in diff.models if m.state == "changed")
    if not diff.changes:
        lines.append(
            f"No governance changes: the policy and {compared} "
            f"model{'s' if compared != 1 else ''} are unchanged."
        )
        return "\n".join(lines) + "\n"

    review = diff.needs_review
    models_changed = len(diff.models)
    summary = (
        f"{len(diff.changes)} change{'s' if len(diff.changes) != 1 else ''} ({_counts(diff)}) "
        f"in {'the policy and ' if diff.policy else ''}{models_changed} "
        f"model{'s' if models_changed != 1 else ''}; {len(diff.unchanged)} unchanged."
    )
    lines += [summary, ""]
    lines += [f"### Needs review ({len(review)})", ""]
    if review:
        for i, c in enumerate(review[:MAX_REVIEW_ITEMS], 1):
            where = f"`{c.model}`" if c.model else "**policy**"
            lines.append(
                f"{i}. {_ICON[c.severity]} **{c.severity.label}** · {where}: {md_escape(c.message, 500)}"
            )
        if len(review) > MAX_REVIEW_ITEMS:
            lines.append(f"\n… and {len(review) - MAX_REVIEW_ITEMS} more in the tables below.")
    else:
        lines.append("Nothing: every change adds or tightens a control.")
    lines.append("")

    if diff.policy:
        lines += ["### Policy", ""]
        lines += _table(diff.policy, diff)
        lines.append("")

    if diff.models:
        lines += ["### Models", ""]
        lines += [
            "| Model | Change | Status | 🔴 | 🟠 | ⚪ |",
            "| --- | --- | --- | ---: | ---: | ---: |",
        ]
        for m in diff.models:
            counts = " | ".join(str(m.count(s)) for s in reversed(Severity))
            lines.append(
                f"| `{m.id}` {md_escape(m.name, 120)} | {m.state} | "
                f"{_status(m.status_before, m.status_after)} | {counts} |"
            )
        lines.append("")
        for m in diff.models:
            lines += _model_section(m, diff)
    return "\n".join(lines).rstrip("\n") + "\n"


def _model_section(m: ModelDiff, diff: GovernanceDiff) -> list[str]:
    lines = [f"#### `{m.id}` — {md_escape(m.name, 120)} ({m.state})", ""]
    lines += _table(m.changes, diff)
    lines.append("")
    return lines


def _table(changes: list[Change], diff: GovernanceDiff) -> list[str]:
    lines = [
        f"| | Change | Item | {_side(diff.base)} | {_side(diff.head)} |",
        "| --- | --- | --- | --- | --- |",
    ]
    for c in changes:
        via = " (via policy)" if c.via_policy else ""
        lines.append(
            f"| {_ICON[c.severity]} {c.severity.label} | {c.kind.label}{via} | {md_escape(c.item)} | "
            f"{_cell(c.before)} | {_cell(c.after)} |"
        )
    return lines


def to_json(diff: GovernanceDiff, fail_on: Severity = Severity.REVIEW) -> str:
    """The diff as JSON (indented, stable key order, UTF-8 text)."""

    def side(s: Side) -> dict[str, object]:
        return {"label": s.label, "commit": s.commit}

    data = {
        "format": JSON_FORMAT_VERSION,
        "base": side(diff.base),
        "head": side(diff.head),
        "as_of": diff.as_of.isoformat(),
        "summary": {
            "changes": len(diff.changes),
            "needs_review": len(diff.needs_review),
            **{s.label: diff.count(s) for s in reversed(Severity)},
            "models_changed": len(diff.models),
            "models_unchanged": len(diff.unchanged),
            "policy_changed": bool(diff.policy),
            "fail_on": fail_on.label,
            "exit_code": diff.exit_code_at(fail_on),
        },
        "needs_review": [c.as_dict() for c in diff.needs_review],
        "policy": [c.as_dict() for c in diff.policy],
        "models": [
            {
                "id": m.id,
                "name": m.name,
                "state": m.state,
                "status": {
                    "base": m.status_before.label if m.status_before is not None else None,
                    "head": m.status_after.label if m.status_after is not None else None,
                },
                "changes": [c.as_dict() for c in m.changes],
            }
            for m in diff.models
        ],
        "unchanged": diff.unchanged,
    }
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
