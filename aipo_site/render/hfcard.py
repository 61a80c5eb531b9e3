"""A model as a Hugging Face model card: ``README.md`` with YAML metadata, then Markdown.

The metadata follows the Hub's model card metadata spec (``modelcard.md`` in huggingface/hub-docs,
and "Model card metadata" in its docs/hub/model-cards.md): ``tags``, ``metrics`` (each KPI's
metric) and ``model-index``, where each KPI with a value on the evaluation date is a metric
(``type`` the KPI's metric, ``value`` its windowed value, ``name`` its name and window) of a result
whose ``task`` is ``other`` (aipo monitors a model in production, whatever its task) and whose
``dataset`` is the model's production metrics over the KPI's window (``config``: the window as an
ISO 8601 interval, ``2026-11-14/2026-11-20``; KPIs over the same days share one result). The body follows the Hub's
model card template: details, intended uses, evaluation (KPIs, fairness, data drift), data,
bias, risks and limitations, and governance.

Charter text is untrusted and must stay text:

- the metadata is written by a YAML dumper (``yaml.dump`` of plain data, never concatenated
  strings); every string in it is folded to one line first, so no value can end the front matter
  (a ``---`` line) or add a key, and the dumper quotes whatever YAML would read otherwise;
- every charter value in the body goes through :func:`aipo_site.render.gfm.text` (HTML escaped,
  Markdown punctuation escaped, one line, no mention, issue reference or autolink) or
  :func:`~aipo_site.render.gfm.code` inside a code span; no charter text starts a line or a list
  item (where ``-``, ``1.`` or ``---`` would still be read as structure): each follows a label
  of aipo's own, a heading marker or a table pipe.
"""

from __future__ import annotations

import math
import re
from typing import Any

import yaml

from ..fmt import fmt_date, fmt_value
from ..model.charter import is_person_key
from ..model.people import PeopleDirectory
from ..model.results import KpiResult, ModelResult
from . import gfm

__all__ = ["HF_TASK", "card_metadata", "render_hf_card"]

# The Hub's catch-all task id: a governance portal does not know a model's task.
HF_TASK = "other"
# Characters a line of text must not carry (controls, zero-width and bidi marks), besides the
# whitespace that _one_line folds.
_INVISIBLE = re.compile("[\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]")


class _Dumper(yaml.SafeDumper):
    """Plain data only; a repeated value is written again, never as an anchor and alias."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def _one_line(value: object) -> str:
    return " ".join(_INVISIBLE.sub(" ", str(value)).split())


def _number(value: float) -> float | int:
    """A metric value for YAML: a plain number, without float noise."""
    rounded = float(format(float(value), ".10g"))
    return int(rounded) if rounded.is_integer() and abs(rounded) < 2**53 else rounded


def _window(k: KpiResult, as_of_iso: str) -> str:
    start = k.window_start.isoformat() if k.window_start else as_of_iso
    return f"{start} to {as_of_iso}"


def card_metadata(result: ModelResult) -> dict[str, Any]:
    """The card's YAML metadata as plain data (see the module doc)."""
    c = result.charter
    as_of = result.as_of.isoformat()
    meta: dict[str, Any] = {
        "tags": [
            "aipo",
            "model-governance",
            f"aipo-status-{result.status.slug}",
            f"lifecycle-{c.lifecycle.stage.value}",
        ],
    }
    if c.kpis:
        meta["metrics"] = sorted({k.metric for k in c.kpis})
    # One result per KPI window (KPIs over the same days share the dataset), in KPI order.
    results: dict[str, dict[str, Any]] = {}
    for k in result.kpis:
        if k.value is None or not math.isfinite(k.value):
            continue  # no value on the evaluation date: the body says why
        window = _window(k, as_of)
        entry = results.setdefault(
            window,
            {
                "task": {"type": HF_TASK, "name": "Production monitoring"},
                "dataset": {
                    "type": f"{c.id}-production-metrics",
                    "name": _one_line(f"{c.name} production metrics, {window}"),
                    # The window as an ISO 8601 interval: with the type, it is what tells the
                    # Hub's results apart (huggingface_hub groups by type, config, split).
                    "config": window.replace(" to ", "/"),
                    "split": "production",
                },
                "metrics": [],
            },
        )
        entry["metrics"].append(
            {
                "type": k.metric,
                "value": _number(k.value),
                "name": _one_line(f"{k.name}, {k.window_days}-day {k.aggregation.value}"),
            }
        )
    if results:
        meta["model-index"] = [{"name": _one_line(c.name), "results": list(results.values())}]
    return meta


def _front_matter(meta: dict[str, Any]) -> str:
    text = yaml.dump(
        meta,
        Dumper=_Dumper,
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=False,
        width=1 << 20,  # never fold a line: every value stays on the line of its key
    )
    return f"---\n{text}---\n"


def _person(value: str | None, people: PeopleDirectory | None) -> str:
    if not value:
        return "—"
    entry = people.get(value) if people is not None and is_person_key(value) else None
    return gfm.text(entry.name if entry is not None else value)


def _row(*cells: str) -> str:
    return "| " + " | ".join(cells) + " |"


def _details(r: ModelResult, revision: str | None) -> list[str]:
    c = r.charter
    owner = gfm.text(c.owner.label)
    if c.owner.email:
        owner += f" ({gfm.text(c.owner.email)})"
    since = f" since {fmt_date(r.since)}" if r.since else ""
    rows = [
        ("Model id", f"`{gfm.code(c.id, table=True)}`"),
        ("Version", gfm.text(c.release.version) if c.release else "—"),
        ("Business unit", gfm.text(c.business_unit)),
        ("AI Product Owner", owner),
        ("Incident owner", gfm.text(c.incident_owner.label) if c.incident_owner else "none"),
        ("Lifecycle stage", f"{c.lifecycle.stage.value} since {fmt_date(c.lifecycle.since)}"),
        (f"Status on {fmt_date(r.as_of)}", f"**{r.status.label}**{since}"),
    ]
    for title, verdict in (
        ("Performing as intended?", r.performance),
        ("Governed as required?", r.governance),
    ):
        if verdict is not None:
            rows.append((title, gfm.text(verdict.text)))
    if revision:
        rows.append(("Source revision", f"`{gfm.code(revision, table=True)}`"))
    return [_row("Detail", "Value"), _row("---", "---"), *(_row(k, v) for k, v in rows)]


def _uses(r: ModelResult) -> list[str]:
    lines = []
    for o in r.charter.outcomes:
        target = f", target {gfm.text(o.target)}" if o.target else ""
        kpis = ", ".join(f"`{gfm.code(m)}`" for m in o.model_kpis)
        serves = f"; model KPIs {kpis}" if kpis else ""
        lines.append(
            f"- **Outcome:** {gfm.text(o.outcome)} Measured by {gfm.text(o.business_kpi)}"
            f"{target}{serves}."
        )
    return lines or ["The charter maps no business outcome to the model's KPIs."]


def _kpis(r: ModelResult) -> list[str]:
    if not r.kpis:
        return ["The charter defines no KPI: there is nothing to evaluate the model against."]
    lines = [
        _row("KPI", "Metric", "Value", "Warn", "Breach", "Better", "Window", "Status"),
        _row(*["---"] * 8),
    ]
    as_of = r.as_of.isoformat()
    for k in r.kpis:
        t = k.thresholds
        lines.append(
            _row(
                gfm.text(k.name),
                f"`{gfm.code(k.metric, table=True)}`",
                gfm.text(fmt_value(k.value, k.unit)),
                gfm.text(fmt_value(t.warn, k.unit)) if t else "—",
                gfm.text(fmt_value(t.breach, k.unit)) if t else "—",
                k.direction.value.split("_")[0] if k.direction else "—",
                f"{k.window_days}-day {k.aggregation.value}, {_window(k, as_of)}",
                f"**{k.status.value}**",
            )
        )
    lines.append("")
    lines += [f"- **{gfm.text(k.name)}:** {gfm.text(k.message)}" for k in r.kpis]
    return lines


def _fairness(r: ModelResult) -> list[str]:
    if not r.segments:
        return []
    lines = [
        "",
        "### Fairness across segments",
        "",
        _row("Check", "Worst segment", "Best segment", "Gap", "Status"),
        _row(*["---"] * 5),
    ]
    for s in r.segments:
        worst = f"{gfm.text(s.worst.segment)}: {fmt_value(s.worst.value)}" if s.worst else "—"
        best = f"{gfm.text(s.best.segment)}: {fmt_value(s.best.value)}" if s.best else "—"
        lines.append(
            _row(
                gfm.text(s.name),
                worst,
                best,
                fmt_value(s.gap) if s.gap is not None else "—",
                f"**{s.status.value}**",
            )
        )
    lines.append("")
    lines += [f"- **{gfm.text(s.name)}:** {gfm.text(s.message)}" for s in r.segments]
    return lines


def _drift(r: ModelResult) -> list[str]:
    if r.drift is None:
        return []
    summary = r.drift.summary or f"dataset drift share {r.drift.share_status.value}"
    return ["", "### Data drift", "", f"**{r.drift.level.label}**: {gfm.text(summary)}"]


def _data(r: ModelResult, people: PeopleDirectory | None) -> list[str]:
    sources = r.charter.data_sources
    if not sources:
        return ["The charter lists no data source."]
    lines = [
        _row("Data source", "Owner", "Categories", "Regions", "Authorisation"),
        _row(*["---"] * 5),
    ]
    for s in sources:
        auth = gfm.text(s.authorisation.record) if s.authorisation else "none"
        lines.append(
            _row(
                gfm.text(s.name),
                _person(s.owner, people),
                gfm.text(", ".join(s.categories)) if s.categories else "—",
                gfm.text(", ".join(s.regions)) if s.regions else "—",
                auth,
            )
        )
    return lines


def _risks(r: ModelResult) -> list[str]:
    if not r.risks:
        return ["The charter names no risk."]
    lines = []
    for x in r.risks:
        mitigation = f" Mitigation: {gfm.text(x.risk.mitigation)}" if x.risk.mitigation else ""
        lines.append(
            f"- **{gfm.text(x.risk.title)}** ({x.risk.kind.value}, {x.risk.status.value}, "
            f"rated {x.current.likelihood}×{x.current.impact} now): {gfm.text(x.business)}"
            f"{mitigation}"
        )
    return lines


def _governance(r: ModelResult) -> list[str]:
    c = r.charter
    lines = []
    if c.retraining is not None:
        last = c.retraining.last_retrained
        due = f", due {fmt_date(r.retraining_due)}" if r.retraining_due else ""
        lines.append(
            f"- Retraining every {c.retraining.cadence_days} days"
            + (f", last on {fmt_date(last)}" if last else "")
            + f"{due}."
        )
    if r.escalation.level is not None:
        lines.append(
            f"- Escalation: {gfm.text(r.escalation.level.name)} ({gfm.text(r.escalation.reason)})."
        )
    for f in r.findings:
        lines.append(f"- {f.level.label} `{gfm.code(f.code)}`: {gfm.text(f.message)}")
    return lines or ["- No compliance finding."]


def render_hf_card(
    result: ModelResult,
    *,
    people: PeopleDirectory | None = None,
    revision: str | None = None,
    generator: str | None = None,
) -> str:
    """The Hugging Face model card (``README.md``) of one evaluated model.

    ``people`` is the people directory (None without one): it names the data owners given by
    key. ``revision`` is the source commit and ``generator`` aipo's version, shown when known.
    """
    c = result.charter
    made_by = f"aipo {generator}" if generator else "aipo"
    body = [
        f"# {gfm.text(c.name)}",
        "",
        f"**Purpose:** {gfm.text(c.summary)}",
        "",
        "## Model details",
        "",
        *_details(result, revision),
        "",
        "## Intended uses",
        "",
        *_uses(result),
        "",
        "## Evaluation",
        "",
        f"Evaluated on {fmt_date(result.as_of)} against the charter's thresholds, on production "
        "metrics over each KPI's window.",
        "",
        *_kpis(result),
        *_fairness(result),
        *_drift(result),
        "",
        "## Data",
        "",
        *_data(result, people),
        "",
        "## Bias, risks and limitations",
        "",
        *_risks(result),
        "",
        "## Governance",
        "",
        *_governance(result),
        "",
        f"*Generated by {made_by} from `{gfm.code(result.path)}`. Change the charter, not this "
        "card.*",
    ]
    return _front_matter(card_metadata(result)) + "\n" + "\n".join(body) + "\n"
