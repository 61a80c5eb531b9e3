"""The governance diff as Markdown (for a pull-request comment) and as JSON (for tools).

The Markdown follows ``dvc metrics diff --md``: a table per model with one column per side. It
starts with a short "Needs review" list, most severe first, then (when the policy has
``sign_off`` rules and the repository a people directory) a "Sign-offs needed" list that
mentions each approver's ``@handle``, and a Sign-off column in every table. Charter text is untrusted: every piece
of it is escaped for GitHub-flavoured Markdown (HTML, table pipes, emphasis, links, @-mentions and
#-references), control and bidirectional-override characters are dropped, long values are cut.
"""

from __future__ import annotations

import json

from ..model.results import Level
from ..render import gfm
from .model import Change, GovernanceDiff, ModelDiff, Severity, Side, SignOff

__all__ = ["md_escape", "to_json", "to_markdown"]

JSON_FORMAT_VERSION = 1
MAX_REVIEW_ITEMS = 30
MAX_CELL = 300
MAX_SIGN_OFF_ITEMS = 10  # changes listed per person in "Sign-offs needed"

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
    if diff.routing:
        lines += _sign_offs(diff)

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


def _who(s: SignOff) -> str:
    """``@handle`` (a validated handle: safe as it is), else the escaped name."""
    return s.mention or md_escape(s.name, 120)


def _sign_off_cell(c: Change) -> str:
    if not c.sign_off:
        return "—"
    return ", ".join(_who(s) + (" (owner: fallback)" if s.note else "") for s in c.sign_off)


def _sign_offs(diff: GovernanceDiff) -> list[str]:
    """Each approver once, with the changes they sign off (the head's rules and charters)."""
    needed = diff.sign_offs
    lines = [f"### Sign-offs needed ({len(needed)})", ""]
    if not needed:
        lines += ["None: no `sign_off` rule of the policy covers these changes.", ""]
        return lines
    lines += ["Routed by the head's `sign_off` rules, people directory and charters.", ""]
    for s, changes in needed:
        who = f"{s.mention} ({md_escape(s.name, 120)})" if s.mention else md_escape(s.name, 120)
        rules = sorted(
            {r for c in changes for x in c.sign_off if x.identity == s.identity for r in x.rules}
        )
        shown = []
        for c in changes[:MAX_SIGN_OFF_ITEMS]:
            where = f"`{c.model}`" if c.model else "**policy**"
            shown.append(f"{_ICON[c.severity]} {where} {c.kind.label} {md_escape(c.item, 120)}")
        more = len(changes) - MAX_SIGN_OFF_ITEMS
        tail = f"; … and {more} more" if more > 0 else ""
        count = f"{len(changes)} change{'s' if len(changes) != 1 else ''}"
        lines.append(
            f"- {who} · {md_escape(', '.join(rules), 200)} · {count}: {'; '.join(shown)}{tail}"
        )
    notes = sorted(
        {
            f"`{c.model}`: {md_escape(s.note, 200)}"
            for c in diff.changes
            for s in c.sign_off
            if s.note
        }
    )
    if notes:
        lines += ["", *(f"Fallback: {n}." for n in notes)]
    lines.append("")
    return lines


def _table(changes: list[Change], diff: GovernanceDiff) -> list[str]:
    sign = diff.routing
    lines = [
        f"| | Change | Item | {_side(diff.base)} | {_side(diff.head)} |"
        + (" Sign-off |" if sign else ""),
        "| --- | --- | --- | --- | --- |" + (" --- |" if sign else ""),
    ]
    for c in changes:
        via = " (via policy)" if c.via_policy else ""
        lines.append(
            f"| {_ICON[c.severity]} {c.severity.label} | {c.kind.label}{via} | {md_escape(c.item)} | "
            f"{_cell(c.before)} | {_cell(c.after)} |" + (f" {_sign_off_cell(c)} |" if sign else "")
        )
    return lines


def to_json(diff: GovernanceDiff, fail_on: Severity = Severity.REVIEW) -> str:
    """The diff as JSON (indented, stable key order, UTF-8 text)."""

    def side(s: Side) -> dict[str, object]:
        return {"label": s.label, "commit": s.commit}

    sign_offs = diff.sign_offs

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
            "sign_offs": len(sign_offs),
        },
        "needs_review": [c.as_dict() for c in diff.needs_review],
        # Each approver once, with the changes they sign off (empty without routing).
        "sign_offs": [
            {
                **{k: v for k, v in s.as_dict().items() if k in ("key", "name", "handle")},
                "rules": sorted(
                    {
                        r
                        for c in changes
                        for x in c.sign_off
                        if x.identity == s.identity
                        for r in x.rules
                    }
                ),
                "changes": [
                    {
                        "severity": c.severity.label,
                        "kind": c.kind.value,
                        "model": c.model,
                        "item": c.item,
                    }
                    for c in changes
                ],
            }
            for s, changes in sign_offs
        ],
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
