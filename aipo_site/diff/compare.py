"""Compare two evaluated governance states, model by model and rule by rule.

Thresholds are compared as they are *enforced* (the charter's own or the one inherited from the
policy, see :func:`aipo_site.evaluate.kpis.resolve_kpi`), so a policy default that is loosened
shows on every model inheriting it. Items inside a charter are matched by their natural key: KPIs
by metric, data sources, risks and escalation levels by name, decisions and rituals by name
ignoring case.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import TypeVar

from ..fmt import fmt_date, fmt_pct, fmt_value
from ..model.charter import (
    P_VALUE_METHODS,
    SPECIAL_CATEGORIES,
    Authorisation,
    Charter,
    Contact,
    DataSource,
    Direction,
    DropTiers,
    EscalationLevel,
    Risk,
    RiskStatus,
    Stage,
    Thresholds,
    Tiers,
    Trigger,
)
from ..model.inputs import Repository
from ..model.policy import AuthorisationRule, MetricDefault, Policy, RitualRule
from ..model.results import DriftResult, Finding, KpiResult, Level, ModelResult, Portfolio
from ..model.sources import DriftSource, KpiSource
from .model import Change, GovernanceDiff, Kind, ModelDiff, Severity, Side
from .signoff import route

__all__ = ["State", "compare"]

T = TypeVar("T")
S = Severity


@dataclass(frozen=True)
class State:
    """One side of a comparison: a loaded repository, its evaluation, and where it came from."""

    repository: Repository
    portfolio: Portfolio
    label: str
    commit: str | None = None  # short sha; None for the working tree

    @property
    def side(self) -> Side:
        return Side(self.label, self.commit)


def compare(base: State, head: State) -> GovernanceDiff:
    """Everything that changed from ``base`` to ``head`` in governance terms.

    Both states must be evaluated on the same date, so status changes come from the inputs and
    never from the passing of time. Each change names who must sign it off under the head's
    ``sign_off`` rules (see :mod:`aipo_site.diff.signoff`).
    """
    if base.portfolio.as_of != head.portfolio.as_of:
        raise ValueError(
            f"both states must be evaluated on the same date "
            f"({base.portfolio.as_of} != {head.portfolio.as_of})"
        )
    policy_changes, changed_metrics = _policy(base, head)
    ctx = _Context(base.repository.policy, head.repository.policy, changed_metrics)
    models: list[ModelDiff] = []
    unchanged: list[str] = []
    before = {m.id: m for m in base.portfolio.models}
    after = {m.id: m for m in head.portfolio.models}
    for model_id, b, h in _matched(before, after):
        if b is None:
            assert h is not None
            models.append(_added(h))
            continue
        if h is None:
            models.append(_removed(b))
            continue
        changes = _model(b, h, ctx)
        if changes:
            changes.sort(key=lambda c: (c.kind.order, c.item))
            models.append(
                ModelDiff(model_id, h.charter.name, "changed", b.status, h.status, changes)
            )
        else:
            unchanged.append(model_id)
    diff = GovernanceDiff(
        base=base.side,
        head=head.side,
        as_of=head.portfolio.as_of,
        policy=sorted(policy_changes, key=lambda c: (c.kind.order, c.item)),
        models=models,
        unchanged=unchanged,
    )
    # Who must sign off each change: the head's sign_off rules, people and charters decide.
    return route(diff, base, head)


# -- formatting of values ------------------------------------------------------------------------


def _contact(c: Contact | None) -> str | None:
    if c is None:
        return None
    return f"{c.name} ({c.email})" if c.email else c.name


def _thresholds(t: Thresholds | None, unit: str | None = None, source: str | None = None) -> str:
    if t is None:
        return "no thresholds"
    text = f"warn {fmt_value(t.warn, unit)} · breach {fmt_value(t.breach, unit)}"
    return f"{text} (policy)" if source == "policy" else text


def _tiers(t: DropTiers | None) -> str | None:
    return f"warn {fmt_pct(t.warn)} · breach {fmt_pct(t.breach)}" if t else None


def _kpi_label(k: KpiResult) -> str:
    return k.name if k.metric in k.name else f"{k.name} ({k.metric})"


def _data_use(s: DataSource) -> str:
    cats = ", ".join(s.categories) or "no categories"
    regs = ", ".join(s.regions) or "no regions"
    return f"{cats} in {regs}"


def _special(categories: Iterable[str]) -> list[str]:
    """The special-category data among ``categories`` (see SPECIAL_CATEGORIES), sorted."""
    return sorted(set(categories) & SPECIAL_CATEGORIES)


def _authorisation(a: Authorisation | None, detail: bool = False) -> str | None:
    if a is None:
        return None
    return f"{a.record} · {a.legal_basis}" if detail and a.legal_basis else a.record


def _risk_rating(r: Risk) -> str:
    return f"likelihood {r.likelihood} × impact {r.impact}"


def _escalation(e: EscalationLevel) -> str:
    after = f" after {e.after_days} days" if e.after_days else ""
    return f"on {e.on.value}{after} → {e.who} within {e.response_time}"


def _names(models: Iterable[str]) -> str:
    ids = sorted(set(models))
    return ", ".join(ids) if ids else "no model today"


def _matched(
    base: Mapping[str, T], head: Mapping[str, T]
) -> Iterator[tuple[str, T | None, T | None]]:
    """The items of both sides matched by key, in key order; None where a side lacks one."""
    for key in sorted(base.keys() | head.keys()):
        yield key, base.get(key), head.get(key)


def _by(items: Iterable[T], key: Callable[[T], str]) -> dict[str, T]:
    out: dict[str, T] = {}
    for item in items:
        out.setdefault(key(item), item)
    return out


def _looser(before: float, after: float, higher_is_better: bool) -> bool:
    return after < before if higher_is_better else after > before


def _compare_thresholds(a: Thresholds, b: Thresholds, direction: Direction) -> tuple[bool, bool]:
    """(looser, tighter) from ``a`` to ``b``: any tier easier to pass is looser."""
    return _compare_tiers(a, b, direction is Direction.higher_is_better)


def _compare_tiers(
    a: Tiers | Thresholds, b: Tiers | Thresholds, low_is_bad: bool
) -> tuple[bool, bool]:
    """(looser, tighter) for warn/breach pairs; ``low_is_bad``: a value below a tier is worse."""
    looser = any(_looser(getattr(a, t), getattr(b, t), low_is_bad) for t in ("warn", "breach"))
    tighter = any(_looser(getattr(b, t), getattr(a, t), low_is_bad) for t in ("warn", "breach"))
    return looser, tighter


# Drift measures compared as p-values (a low p-value is drift); the others are distances.
# Mirrors aipo_site.evaluate.drift_methods.P_VALUE_METHODS.


def _drift_tiers(t: Tiers | None, method: str | None = None) -> str | None:
    if t is None:
        return None
    text = f"warn {fmt_value(t.warn)} · breach {fmt_value(t.breach)}"
    return f"{method} {text}" if method else text


# -- the policy ----------------------------------------------------------------------------------


def _inheriting(portfolio: Portfolio, test: Callable[[ModelResult, KpiResult], bool]) -> set[str]:
    return {m.id for m in portfolio.models for k in m.kpis if test(m, k)}


def _policy(base: State, head: State) -> tuple[list[Change], set[str]]:
    """Changes of the policy, and the metric names whose defaults changed."""
    pb, ph = base.repository.policy, head.repository.policy
    out: list[Change] = []
    changed: set[str] = set()

    def add(
        kind: Kind, sev: Severity, item: str, before: str | None, after: str | None, message: str
    ) -> None:
        out.append(Change(kind, sev, item, before, after, message))

    for metric, db, dh in _matched(pb.metrics, ph.metrics):
        if db == dh:
            continue
        changed.add(metric)
        users = _names(_uses(base, metric, False) | _uses(head, metric, False))
        inheriting = _names(_uses(base, metric, True) | _uses(head, metric, True))
        if db is None:
            assert dh is not None
            add(
                Kind.POLICY_METRIC_ADDED, S.INFO, metric, None, _default(dh),
                f"the policy sets a default for '{metric}' ({_default(dh)}); KPIs of this metric "
                f"without their own thresholds inherit it (used by: {users})",
            )  # fmt: skip
            continue
        if dh is None:
            add(
                Kind.POLICY_METRIC_REMOVED, S.CRITICAL, metric, _default(db), None,
                f"the policy no longer sets a default for '{metric}' (was {_default(db)}); "
                f"KPIs inheriting it lose their direction or thresholds (inherited by: {inheriting})",
            )  # fmt: skip
            continue
        if db.direction != dh.direction:
            add(
                Kind.DIRECTION_CHANGED, S.CRITICAL, metric, _default(db), _default(dh),
                f"the policy flips the direction of '{metric}' from {db.direction.value} to "
                f"{dh.direction.value} (used by: {users})",
            )  # fmt: skip
            continue
        tb, th = _default_thresholds(db), _default_thresholds(dh)
        if tb is None and th is not None:
            add(
                Kind.THRESHOLDS_ADDED, S.INFO, metric, None, _thresholds(th),
                f"the policy adds default thresholds for '{metric}' ({_thresholds(th)})",
            )  # fmt: skip
        elif tb is not None and th is None:
            add(
                Kind.THRESHOLDS_REMOVED, S.CRITICAL, metric, _thresholds(tb), None,
                f"the policy drops its default thresholds for '{metric}' (was {_thresholds(tb)}); "
                f"inherited by: {inheriting}",
            )  # fmt: skip
        elif tb is not None and th is not None:
            looser, _ = _compare_thresholds(tb, th, dh.direction)
            if looser:
                add(
                    Kind.THRESHOLD_LOOSENED, S.CRITICAL, metric, _thresholds(tb), _thresholds(th),
                    f"the policy loosens the default thresholds for '{metric}' "
                    f"({_thresholds(tb)} → {_thresholds(th)}); inherited by: {inheriting}",
                )  # fmt: skip
            else:
                add(
                    Kind.THRESHOLD_TIGHTENED, S.INFO, metric, _thresholds(tb), _thresholds(th),
                    f"the policy tightens the default thresholds for '{metric}' "
                    f"({_thresholds(tb)} → {_thresholds(th)}); inherited by: {inheriting}",
                )  # fmt: skip

    if pb.baseline_max_drop != ph.baseline_max_drop:
        a, b = pb.baseline_max_drop, ph.baseline_max_drop
        loose = b.warn > a.warn or b.breach > a.breach
        users = _names(
            _inheriting(base.portfolio, _inherits_drop)
            | _inheriting(head.portfolio, _inherits_drop)
        )
        add(
            Kind.DROP_TOLERANCE_LOOSENED if loose else Kind.DROP_TOLERANCE_TIGHTENED,
            S.CRITICAL if loose else S.INFO, "baseline_max_drop", _tiers(a), _tiers(b),
            f"the policy {'widens' if loose else 'narrows'} the tolerated drop from a KPI's "
            f"original baseline ({_tiers(a)} → {_tiers(b)}); inherited by: {users}",
        )  # fmt: skip
    if pb.freshness_days != ph.freshness_days:
        a_days, b_days = pb.freshness_days, ph.freshness_days
        loose = b_days > a_days
        users = _names(
            _inheriting(base.portfolio, _inherits_freshness)
            | _inheriting(head.portfolio, _inherits_freshness)
        )
        add(
            Kind.FRESHNESS_LOOSENED if loose else Kind.FRESHNESS_TIGHTENED,
            S.CRITICAL if loose else S.INFO, "freshness_days", f"{a_days} days", f"{b_days} days",
            f"the policy's freshness limit for KPI data goes from {a_days} to {b_days} days; "
            f"inherited by: {users}",
        )  # fmt: skip

    covered_b, covered_h = _coverage(pb.authorisation), _coverage(ph.authorisation)
    relaxed = sorted(p for p in covered_b if not _covers(covered_h, p))
    extended = sorted(p for p in covered_h if not _covers(covered_b, p))
    if relaxed:
        text = _pairs(relaxed)
        add(
            Kind.AUTHORISATION_RULE_RELAXED, S.CRITICAL, "authorisation", text, None,
            f"the policy no longer requires an authorisation record for {text}",
        )  # fmt: skip
    if extended:
        text = _pairs(extended)
        add(
            Kind.AUTHORISATION_RULE_EXTENDED, S.INFO, "authorisation", None, text,
            f"the policy now requires an authorisation record for {text}",
        )  # fmt: skip

    lb, lh = pb.max_retraining_interval_days, ph.max_retraining_interval_days
    if lb != lh:
        loose = lh is None or (lb is not None and lh > lb)
        show_b = f"{lb} days" if lb else "no limit"
        show_h = f"{lh} days" if lh else "no limit"
        add(
            Kind.RETRAINING_LIMIT_RELAXED if loose else Kind.RETRAINING_LIMIT_TIGHTENED,
            S.CRITICAL if loose else S.INFO, "max_retraining_interval_days", show_b, show_h,
            f"the policy's longest allowed retraining interval goes from {show_b} to {show_h}",
        )  # fmt: skip

    for stage in Stage:
        sb = {s.value for s in pb.required_sections.get(stage, [])}
        sh = {s.value for s in ph.required_sections.get(stage, [])}
        if sb - sh:
            gone = ", ".join(sorted(sb - sh))
            add(
                Kind.REQUIRED_SECTIONS_RELAXED, S.CRITICAL, f"required_sections.{stage.value}",
                gone, None, f"the policy no longer requires {gone} for {stage.value} models",
            )  # fmt: skip
        if sh - sb:
            new = ", ".join(sorted(sh - sb))
            add(
                Kind.REQUIRED_SECTIONS_EXTENDED, S.INFO, f"required_sections.{stage.value}",
                None, new, f"the policy now requires {new} for {stage.value} models",
            )  # fmt: skip

    rb = _by(pb.rituals, lambda r: r.ritual.casefold())
    rh = _by(ph.rituals, lambda r: r.ritual.casefold())
    for _, a_rule, b_rule in _matched(rb, rh):
        if a_rule == b_rule:
            continue
        name = b_rule.ritual if b_rule is not None else a_rule.ritual  # type: ignore[union-attr]
        show_a = _ritual_rule(a_rule)
        show_b = _ritual_rule(b_rule)
        loose = (
            b_rule is None
            or (a_rule is not None and b_rule.max_cadence_days > a_rule.max_cadence_days)
            or (a_rule is not None and not set(a_rule.stages) <= set(b_rule.stages))
        )
        add(
            Kind.RITUAL_RULE_RELAXED if loose else Kind.RITUAL_RULE_EXTENDED,
            S.CRITICAL if loose else S.INFO, f"rituals: {name}", show_a, show_b,
            f"the policy's rule for '{name}' changes: {show_a or 'none'} → {show_b or 'none'}",
        )  # fmt: skip
    db_drift, dh_drift = pb.drift, ph.drift
    for method in type(db_drift).model_fields:
        a_t, b_t = getattr(db_drift, method), getattr(dh_drift, method)
        if a_t == b_t:
            continue
        # The share of drifted features and distances: higher tiers are looser; p-values: lower.
        looser, _ = _compare_tiers(a_t, b_t, method in P_VALUE_METHODS)
        add(
            Kind.DRIFT_TIERS_LOOSENED if looser else Kind.DRIFT_TIERS_TIGHTENED,
            S.CRITICAL if looser else S.INFO, f"drift.{method}", _drift_tiers(a_t), _drift_tiers(b_t),
            f"the policy {'loosens' if looser else 'tightens'} its default {method} drift tiers "
            f"({_drift_tiers(a_t)} → {_drift_tiers(b_t)}); applies to every feature without its own",
        )  # fmt: skip

    handled = {
        "metrics", "baseline_max_drop", "freshness_days", "authorisation",
        "max_retraining_interval_days", "required_sections", "rituals", "drift",
    }  # fmt: skip
    for name in type(pb).model_fields:
        if name not in handled and getattr(pb, name) != getattr(ph, name):
            # A rule this comparison does not understand yet: a person has to judge it.
            add(
                Kind.POLICY_SECTION_CHANGED, S.REVIEW, name, None, None,
                f"the policy's '{name}' changes",
            )  # fmt: skip
    return out, changed


def _default(d: MetricDefault) -> str:
    t = _default_thresholds(d)
    return f"{d.direction.value} · {_thresholds(t)}" if t else d.direction.value


def _default_thresholds(d: MetricDefault) -> Thresholds | None:
    if d.warn is None or d.breach is None:
        return None
    return Thresholds(warn=d.warn, breach=d.breach)


def _uses(state: State, metric: str, inherited: bool) -> set[str]:
    """Models with a KPI of ``metric`` (``inherited``: whose thresholds come from the policy)."""
    return _inheriting(
        state.portfolio,
        lambda m, k: k.metric == metric and (not inherited or k.threshold_source == "policy"),
    )


def _inherits_drop(m: ModelResult, k: KpiResult) -> bool:
    kpi = m.charter.kpi(k.metric)
    return bool(kpi and kpi.baseline and kpi.baseline.max_drop is None)


def _inherits_freshness(m: ModelResult, k: KpiResult) -> bool:
    kpi = m.charter.kpi(k.metric)
    return bool(kpi and kpi.freshness_days is None)


def _coverage(rules: list[AuthorisationRule]) -> set[tuple[str, str]]:
    return {
        (c, r.upper() if r != "*" else "*")
        for rule in rules
        for c in rule.categories
        for r in rule.regions
    }


def _covers(pairs: set[tuple[str, str]], pair: tuple[str, str]) -> bool:
    category, _region = pair
    return pair in pairs or (category, "*") in pairs


def _pairs(pairs: list[tuple[str, str]]) -> str:
    by_cat: dict[str, list[str]] = {}
    for c, r in pairs:
        by_cat.setdefault(c, []).append("any region" if r == "*" else r)
    return "; ".join(f"{c} data in {', '.join(rs)}" for c, rs in sorted(by_cat.items()))


def _ritual_rule(rule: RitualRule | None) -> str | None:
    if rule is None:
        return None
    stages = ", ".join(s.value for s in rule.stages)
    return f"at least every {rule.max_cadence_days} days for {stages}"


# -- models ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Context:
    base_policy: Policy
    head_policy: Policy
    changed_metrics: set[str]


class _Out:
    def __init__(self, model: str) -> None:
        self.model = model
        self.items: list[Change] = []

    def add(
        self,
        kind: Kind,
        severity: Severity,
        item: str,
        before: str | None,
        after: str | None,
        message: str,
        *,
        via_policy: bool = False,
    ) -> None:
        self.items.append(
            Change(kind, severity, item, before, after, message, self.model, via_policy)
        )


def _summary(m: ModelResult) -> str:
    c = m.charter
    return f"{c.lifecycle.stage.value} · owner {c.owner.name} · status {m.status.label}"


def _added(h: ModelResult) -> ModelDiff:
    out = _Out(h.id)
    c = h.charter
    sev = S.CRITICAL if h.status is Level.BREACH else S.REVIEW
    counts = [
        f"{n} {level.label} finding{'s' if n != 1 else ''}"
        for level in (Level.BREACH, Level.WARN)
        if (n := len(h.findings_at(level)))
    ]
    out.add(
        Kind.MODEL_ADDED, sev, c.name, None, _summary(h),
        f"new model '{c.name}' ({c.lifecycle.stage.value}, owner {c.owner.name}) enters "
        f"governance with status {h.status.label}"
        + (f" ({' and '.join(counts)})" if counts else ""),
    )  # fmt: skip
    for k in h.kpis:
        out.add(
            Kind.KPI_ADDED, S.INFO, _kpi_label(k), None,
            _thresholds(k.thresholds, k.unit, k.threshold_source), f"KPI '{_kpi_label(k)}'",
        )  # fmt: skip
    for s in c.data_sources:
        auth = _authorisation(s.authorisation) or "no authorisation record"
        special = _special(s.categories)
        # Special-category data stands out even in a model reviewed as a whole.
        out.add(
            Kind.DATA_SOURCE_ADDED, S.CRITICAL if special else S.INFO, s.name, None,
            f"{_data_use(s)} · {auth}",
            f"data source '{s.name}': {_data_use(s)}; {auth}"
            + (f"; special-category data ({', '.join(special)})" if special else ""),
        )  # fmt: skip
    for f in h.findings:
        kind, sev, *rest = _new_finding(f)
        # The model's arrival is reviewed as a whole; only its BREACH findings stand out.
        out.add(kind, sev if f.level is Level.BREACH else S.INFO, *rest)
    out.items.sort(key=lambda ch: (ch.kind.order, ch.item))
    return ModelDiff(h.id, c.name, "added", None, h.status, out.items)


def _removed(b: ModelResult) -> ModelDiff:
    out = _Out(b.id)
    c = b.charter
    out.add(
        Kind.MODEL_REMOVED, S.REVIEW, c.name, _summary(b), None,
        f"model '{c.name}' ({c.lifecycle.stage.value}, owner {c.owner.name}) is removed from "
        "governance: its charter is deleted",
    )  # fmt: skip
    return ModelDiff(b.id, c.name, "removed", b.status, None, out.items)


def _new_finding(f: Finding) -> tuple[Kind, Severity, str, str | None, str, str]:
    sev = S.CRITICAL if f.level is Level.BREACH else S.REVIEW
    shown = f"{f.level.label}: {f.message}"
    return (Kind.FINDING_NEW, sev, f.code, None, shown, f"new {f.level.label} finding: {f.message}")


def _model(b: ModelResult, h: ModelResult, ctx: _Context) -> list[Change]:
    out = _Out(h.id)
    cb, ch = b.charter, h.charter
    if b.status != h.status:
        worse = h.status > b.status
        sev = (S.CRITICAL if h.status is Level.BREACH else S.REVIEW) if worse else S.INFO
        out.add(
            Kind.STATUS_CHANGED, sev, "status", b.status.label, h.status.label,
            f"status {'worsens' if worse else 'improves'} from {b.status.label} to {h.status.label}",
        )  # fmt: skip
    if cb.name != ch.name:
        out.add(Kind.NAME_CHANGED, S.INFO, "name", cb.name, ch.name, f"renamed to '{ch.name}'")
    if cb.business_unit != ch.business_unit:
        out.add(
            Kind.BUSINESS_UNIT_CHANGED, S.INFO, "business_unit", cb.business_unit, ch.business_unit,
            f"moves from business unit '{cb.business_unit}' to '{ch.business_unit}'",
        )  # fmt: skip
    _accountability(cb, ch, out)
    _kpis(b, h, ctx, out)
    _data(cb, ch, ctx.head_policy, out)
    _retraining(cb, ch, out)
    _risks(cb, ch, out)
    _ladder(cb, ch, out)
    _segments(cb, ch, out)
    _segment_statuses(b, h, out)
    _drift(b, h, out)
    _classification(cb, ch, out)
    _other_sections(cb, ch, out)
    _findings(b, h, out)
    return out.items


# Charter sections compared in detail above; any other section that changes gets one row.
_COMPARED = {
    "id", "name", "business_unit", "owner", "incident_owner", "kpis", "data_sources",
    "retraining", "risks", "escalation", "decision_rights", "rhythm", "segments", "drift",
    "eu_ai_act",
}  # fmt: skip
# Descriptive sections: a change is worth knowing, not a control to review.
_DESCRIPTIVE = {"summary", "notes", "outcomes", "onboarding", "lifecycle"}


def _other_sections(cb: Charter, ch: Charter, out: _Out) -> None:
    for name in type(cb).model_fields:
        if name in _COMPARED or getattr(cb, name) == getattr(ch, name):
            continue
        if (
            name == "lifecycle"
            and cb.lifecycle.model_copy(update={"stage": ch.lifecycle.stage}) == ch.lifecycle
        ):
            continue  # only the stage changed, reported above
        sev = S.INFO if name in _DESCRIPTIVE else S.REVIEW
        out.add(Kind.SECTION_CHANGED, sev, name, None, None, f"the charter's '{name}' changes")


# Most severe first: lowering a model's class drops obligations, so it is critical.
_CLASS_RANK = {"prohibited": 3, "high-risk": 2, "limited-risk": 1, "minimal": 0}


def _answer(value: object) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(str(getattr(v, "value", v)) for v in value) or "none"
    if value is None:
        return "none"
    return str(getattr(value, "value", value))


def _classification(cb: Charter, ch: Charter, out: _Out) -> None:
    """The EU AI Act classification: its class and role, and each answer of its decision path."""
    x, y = cb.eu_ai_act, ch.eu_ai_act
    if x == y:
        return
    if x is None:
        assert y is not None
        out.add(
            Kind.CLASSIFICATION_ADDED, S.INFO, "eu_ai_act", None, f"{y.risk_class.value} · {y.role.value}",
            f"classified {y.risk_class.value} under the EU AI Act ({y.role.value})",
        )  # fmt: skip
        return
    if y is None:
        out.add(
            Kind.CLASSIFICATION_REMOVED, S.CRITICAL, "eu_ai_act", f"{x.risk_class.value} · {x.role.value}",
            None, f"the EU AI Act classification ({x.risk_class.value}) is removed",
        )  # fmt: skip
        return
    if x.risk_class != y.risk_class:
        lowered = _CLASS_RANK[y.risk_class.value] < _CLASS_RANK[x.risk_class.value]
        out.add(
            Kind.RISK_CLASS_LOWERED if lowered else Kind.RISK_CLASS_RAISED,
            S.CRITICAL if lowered else S.REVIEW, "eu_ai_act.risk_class",
            x.risk_class.value, y.risk_class.value,
            f"EU AI Act class {'lowered' if lowered else 'raised'} from {x.risk_class.value} "
            f"to {y.risk_class.value}",
        )  # fmt: skip
    for name in type(x.path).model_fields:
        a, b = getattr(x.path, name), getattr(y.path, name)
        if a != b:
            out.add(
                Kind.DECISION_PATH_CHANGED, S.REVIEW, f"eu_ai_act.path.{name}", _answer(a), _answer(b),
                f"the classification's answer to '{name}' changes from {_answer(a)} to {_answer(b)}",
            )  # fmt: skip
    for name in ("role", "justification", "reason", "classified_by", "classified_on"):
        a, b = getattr(x, name), getattr(y, name)
        if a != b:
            sev = S.REVIEW if name in ("role", "justification") else S.INFO
            out.add(
                Kind.CLASSIFICATION_CHANGED, sev, f"eu_ai_act.{name}", _answer(a), _answer(b),
                f"the classification's {name.replace('_', ' ')} changes",
            )  # fmt: skip


def _segments(cb: Charter, ch: Charter, out: _Out) -> None:
    sb, sh = _by(cb.segments, lambda g: g.metric), _by(ch.segments, lambda g: g.metric)
    for metric, x, y in _matched(sb, sh):
        item = f"{metric} by segment"
        if x is None:
            assert y is not None
            out.add(
                Kind.SEGMENT_CHECK_ADDED, S.INFO, item, None, f"{y.gap} gap · {_drift_tiers(y.tiers)}",
                f"new fairness check: the {y.gap} gap of '{metric}' between segments",
            )  # fmt: skip
        elif y is None:
            out.add(
                Kind.SEGMENT_CHECK_REMOVED, S.REVIEW, item, f"{x.gap} gap · {_drift_tiers(x.tiers)}",
                None, f"the fairness check on '{metric}' between segments is removed",
            )  # fmt: skip
        elif x.gap != y.gap:
            out.add(
                Kind.SEGMENT_TIERS_CHANGED, S.REVIEW, item,
                f"{x.gap} gap · {_drift_tiers(x.tiers)}", f"{y.gap} gap · {_drift_tiers(y.tiers)}",
                f"the fairness check on '{metric}' now measures the {y.gap} gap (was {x.gap})",
            )  # fmt: skip
        elif x.tiers != y.tiers:
            # A larger gap between segments is worse: higher tiers tolerate more.
            looser, _ = _compare_tiers(x.tiers, y.tiers, False)
            out.add(
                Kind.SEGMENT_TIERS_CHANGED, S.REVIEW if looser else S.INFO, item,
                _drift_tiers(x.tiers), _drift_tiers(y.tiers),
                f"the fairness check on '{metric}' {'tolerates a wider' if looser else 'narrows the'} "
                f"gap between segments ({_drift_tiers(x.tiers)} → {_drift_tiers(y.tiers)})",
            )  # fmt: skip


def _segment_statuses(b: ModelResult, h: ModelResult, out: _Out) -> None:
    """Status flips of the segment checks evaluated on both sides (as KPI status flips)."""
    sb = _by(b.segments, lambda s: s.check.metric)
    sh = _by(h.segments, lambda s: s.check.metric)
    for metric, x, y in _matched(sb, sh):
        if x is None or y is None or x.status == y.status:
            continue
        sx, sy = x.status.value, y.status.value
        out.add(
            Kind.SEGMENT_STATUS_CHANGED, S.INFO, f"{metric} by segment", sx, sy,
            f"the fairness check on '{metric}' goes from {sx} to {sy}",
        )  # fmt: skip


def _drift_status(d: DriftResult) -> str:
    """The drift's one status, as `aipo check` shows it: its level, or the share's status
    (NO DATA, for one) when the level is OK."""
    return d.level.label if d.level > Level.OK else d.share_status.value


def _drift_statuses(b: ModelResult, h: ModelResult, out: _Out) -> None:
    """Status flips of the drift and of each feature evaluated on both sides (as KPI status
    flips)."""
    if b.drift is None or h.drift is None:
        return
    sx, sy = _drift_status(b.drift), _drift_status(h.drift)
    if sx != sy:
        out.add(
            Kind.DRIFT_STATUS_CHANGED, S.INFO, "data drift", sx, sy,
            f"data drift goes from {sx} to {sy}",
        )  # fmt: skip
    fb = _by(b.drift.features, lambda f: f.name)
    fh = _by(h.drift.features, lambda f: f.name)
    for name, x, y in _matched(fb, fh):
        if x is None or y is None or x.status == y.status:
            continue
        out.add(
            Kind.DRIFT_STATUS_CHANGED, S.INFO, name, x.status.value, y.status.value,
            f"drift of feature '{name}' goes from {x.status.value} to {y.status.value}",
        )  # fmt: skip


def _feature_tiers(m: ModelResult) -> dict[str, tuple[str | None, Tiers | None]]:
    """Each drift feature's measure and tiers: as evaluated when available, else as written."""
    if m.drift is not None:
        return {f.name: (f.method, f.tiers) for f in m.drift.features}
    drift = m.charter.drift
    if drift is None:
        return {}
    return {
        f.name: (None if f.method.value == "auto" else f.method.value, f.tiers)
        for f in drift.features
    }


def _drift(b: ModelResult, h: ModelResult, out: _Out) -> None:
    db, dh = b.charter.drift, h.charter.drift
    if db is None and dh is None:
        return
    if db is None:
        assert dh is not None
        names = ", ".join(f.name for f in dh.features)
        out.add(
            Kind.DRIFT_ADDED, S.INFO, "drift", None, names, f"data drift is monitored on {names}"
        )
        return
    if dh is None:
        names = ", ".join(f.name for f in db.features)
        out.add(
            Kind.DRIFT_REMOVED, S.REVIEW, "drift", names, None,
            "data drift is no longer monitored",
        )  # fmt: skip
        return
    fb, fh = _feature_tiers(b), _feature_tiers(h)
    for name, x, y in _matched(fb, fh):
        if x is None:
            out.add(
                Kind.DRIFT_FEATURE_ADDED, S.INFO, name, None, _drift_tiers(y[1], y[0]) or "monitored",
                f"drift of feature '{name}' is monitored",
            )  # fmt: skip
        elif y is None:
            out.add(
                Kind.DRIFT_FEATURE_REMOVED, S.REVIEW, name, _drift_tiers(x[1], x[0]) or "monitored",
                None, f"drift of feature '{name}' is no longer monitored",
            )  # fmt: skip
        elif x != y:
            (mx, tx), (my, ty) = x, y
            if mx == my and mx is not None and tx is not None and ty is not None:
                looser, _ = _compare_tiers(tx, ty, mx in P_VALUE_METHODS)
                sev = S.REVIEW if looser else S.INFO
                kind = Kind.DRIFT_TIERS_LOOSENED if looser else Kind.DRIFT_TIERS_TIGHTENED
            else:  # another measure, or tiers appear or vanish: not comparable
                sev, kind = S.REVIEW, Kind.DRIFT_TIERS_CHANGED
            out.add(
                kind, sev, name, _drift_tiers(tx, mx) or "defaults", _drift_tiers(ty, my) or "defaults",
                f"drift tiers of feature '{name}' change: {_drift_tiers(tx, mx) or 'defaults'} → "
                f"{_drift_tiers(ty, my) or 'defaults'}",
            )  # fmt: skip
    sx = b.drift.share_tiers if b.drift is not None else db.share
    sy = h.drift.share_tiers if h.drift is not None else dh.share
    if sx != sy and sx is not None and sy is not None:
        looser, _ = _compare_tiers(sx, sy, False)
        out.add(
            Kind.DRIFT_TIERS_LOOSENED if looser else Kind.DRIFT_TIERS_TIGHTENED,
            S.REVIEW if looser else S.INFO, "share of drifted features",
            _drift_tiers(sx), _drift_tiers(sy),
            f"the tolerated share of drifted features changes: {_drift_tiers(sx)} → {_drift_tiers(sy)}",
        )  # fmt: skip
    if db.source != dh.source:
        out.add(
            Kind.DRIFT_SOURCE_CHANGED, S.REVIEW, "drift", _drift_source(db.source),
            _drift_source(dh.source),
            f"drift distributions come from {_drift_source(dh.source)} "
            f"(was {_drift_source(db.source)})",
        )  # fmt: skip
    rest = ("samples", "reference_samples", "bins", "reference", "current_days", "period")
    if any(getattr(db, k) != getattr(dh, k) for k in rest):
        out.add(
            Kind.DRIFT_CHANGED, S.INFO, "drift", None, None,
            "the drift windows or input files change",
        )  # fmt: skip
    _drift_statuses(b, h, out)


def _accountability(cb: Charter, ch: Charter, out: _Out) -> None:
    ob, oh = _contact(cb.owner), _contact(ch.owner)
    if ob != oh:
        out.add(
            Kind.OWNER_CHANGED, S.REVIEW, "owner", ob, oh,
            f"the accountable AI Product Owner changes from {ob} to {oh}",
        )  # fmt: skip
    ib, ih = _contact(cb.incident_owner), _contact(ch.incident_owner)
    if ib is None and ih is not None:
        out.add(
            Kind.INCIDENT_OWNER_ADDED, S.INFO, "incident_owner", None, ih,
            f"{ih} now owns production incidents",
        )  # fmt: skip
    elif ib is not None and ih is None:
        out.add(
            Kind.INCIDENT_OWNER_REMOVED, S.REVIEW, "incident_owner", ib, None,
            f"the incident owner ({ib}) is removed: nobody owns production incidents",
        )  # fmt: skip
    elif ib != ih:
        out.add(
            Kind.INCIDENT_OWNER_CHANGED, S.REVIEW, "incident_owner", ib, ih,
            f"the incident owner changes from {ib} to {ih}",
        )  # fmt: skip
    sb, sh = cb.lifecycle.stage, ch.lifecycle.stage
    if sb != sh:
        out.add(
            Kind.STAGE_CHANGED, S.REVIEW, "lifecycle.stage", sb.value, sh.value,
            f"lifecycle stage changes from {sb.value} to {sh.value}",
        )  # fmt: skip


def _status_text(k: KpiResult) -> str:
    """The KPI's one status, saying when the baseline drop is what sets it."""
    text = k.status.value
    threshold = k.threshold_status.level if k.threshold_status else Level.OK
    if k.drop_status is not None and k.drop_status.level > threshold:
        text += " (baseline drop)"
    return text


def _kpis(b: ModelResult, h: ModelResult, ctx: _Context, out: _Out) -> None:
    kb, kh = _by(b.kpis, lambda k: k.metric), _by(h.kpis, lambda k: k.metric)
    for _, x, y in _matched(kb, kh):
        if x is None:
            assert y is not None
            shown = _thresholds(y.thresholds, y.unit, y.threshold_source)
            out.add(
                Kind.KPI_ADDED,
                S.INFO,
                _kpi_label(y),
                None,
                shown,
                f"new KPI '{_kpi_label(y)}' ({shown})",
            )
            continue
        if y is None:
            shown = _thresholds(x.thresholds, x.unit, x.threshold_source)
            out.add(
                Kind.KPI_REMOVED, S.REVIEW, _kpi_label(x), shown, None,
                f"KPI '{_kpi_label(x)}' is no longer monitored (was {shown})",
            )  # fmt: skip
            continue
        _kpi(x, y, b.charter, h.charter, ctx, out)


def _where(source: KpiSource | DriftSource) -> str:
    if not source.where:
        return ""
    parts = []
    for column, values in source.conditions():
        shown = ", ".join(json.dumps(v) for v in values)
        parts.append(f"{column} = {shown}" if len(values) == 1 else f"{column} in [{shown}]")
    return ", where " + " and ".join(parts)


def _kpi_source(source: KpiSource | None) -> str:
    """Where a KPI's values come from, as a reviewer reads it."""
    if source is None:
        return "the metric CSVs"
    what = "the row count" if source.daily == "count" else f"the {source.daily} of '{source.value}'"
    segment = f", by '{source.segment}'" if source.segment else ""
    return f"source '{source.name}' ({what} per day of '{source.date}'{segment}{_where(source)})"


def _drift_source(source: DriftSource | None) -> str:
    """Where a drift section's distributions come from, as a reviewer reads it."""
    if source is None:
        return "the drift files"
    return f"source '{source.name}' ({source.bins} bins, day of '{source.date}'{_where(source)})"


def _kpi(x: KpiResult, y: KpiResult, cb: Charter, ch: Charter, ctx: _Context, out: _Out) -> None:
    label, unit = _kpi_label(y), y.unit
    inherited = (
        x.threshold_source == "policy"
        and y.threshold_source == "policy"
        and y.metric in ctx.changed_metrics
    )
    tx = _thresholds(x.thresholds, x.unit, x.threshold_source)
    ty = _thresholds(y.thresholds, unit, y.threshold_source)
    if x.direction != y.direction and x.direction is not None and y.direction is not None:
        out.add(
            Kind.DIRECTION_CHANGED, S.REVIEW, label,
            f"{x.direction.value} · {tx}", f"{y.direction.value} · {ty}",
            f"KPI '{label}' flips from {x.direction.value} to {y.direction.value}",
            via_policy=inherited,
        )  # fmt: skip
    elif x.thresholds is None and y.thresholds is not None:
        out.add(
            Kind.THRESHOLDS_ADDED, S.INFO, label, tx, ty, f"KPI '{label}' gets thresholds ({ty})",
            via_policy=inherited,
        )  # fmt: skip
    elif x.thresholds is not None and y.thresholds is None:
        out.add(
            Kind.THRESHOLDS_REMOVED, S.REVIEW, label, tx, ty,
            f"KPI '{label}' loses its thresholds (was {tx})", via_policy=inherited,
        )  # fmt: skip
    elif x.thresholds is not None and y.thresholds is not None and y.direction is not None:
        looser, tighter = _compare_thresholds(x.thresholds, y.thresholds, y.direction)
        where = " (inherited from the policy)" if y.threshold_source == "policy" else ""
        if looser:
            out.add(
                Kind.THRESHOLD_LOOSENED, S.REVIEW, label, tx, ty,
                f"KPI '{label}' thresholds loosened: {tx} → {ty}{where}", via_policy=inherited,
            )  # fmt: skip
        elif tighter:
            out.add(
                Kind.THRESHOLD_TIGHTENED, S.INFO, label, tx, ty,
                f"KPI '{label}' thresholds tightened: {tx} → {ty}{where}", via_policy=inherited,
            )  # fmt: skip

    if x.baseline != y.baseline:
        bx = fmt_value(x.baseline, x.unit) if x.baseline is not None else None
        by = fmt_value(y.baseline, unit) if y.baseline is not None else None
        if x.baseline is None:
            out.add(
                Kind.BASELINE_ADDED,
                S.INFO,
                label,
                None,
                by,
                f"KPI '{label}' gets a baseline of {by}",
            )
        elif y.baseline is None:
            out.add(
                Kind.BASELINE_REMOVED, S.REVIEW, label, bx, None,
                f"KPI '{label}' loses its original baseline ({bx}): drift from it is no longer measured",
            )  # fmt: skip
        else:
            hib = y.direction is not Direction.lower_is_better
            worse = _looser(x.baseline, y.baseline, hib)
            out.add(
                Kind.BASELINE_CHANGED, S.REVIEW if worse else S.INFO, label, bx, by,
                f"KPI '{label}' baseline moves from {bx} to {by}"
                + ("; drift is now measured from a worse starting point" if worse else ""),
            )  # fmt: skip

    if x.max_drop is not None and y.max_drop is not None and x.max_drop != y.max_drop:
        loose = y.max_drop.warn > x.max_drop.warn or y.max_drop.breach > x.max_drop.breach
        kpi_b, kpi_h = cb.kpi(x.metric), ch.kpi(y.metric)
        via = bool(
            kpi_b and kpi_h and kpi_b.baseline and kpi_h.baseline
            and kpi_b.baseline.max_drop is None and kpi_h.baseline.max_drop is None
        )  # fmt: skip
        out.add(
            Kind.DROP_TOLERANCE_LOOSENED if loose else Kind.DROP_TOLERANCE_TIGHTENED,
            S.REVIEW if loose else S.INFO, label, _tiers(x.max_drop), _tiers(y.max_drop),
            f"KPI '{label}' tolerated drop from baseline goes from {_tiers(x.max_drop)} to "
            f"{_tiers(y.max_drop)}",
            via_policy=via,
        )  # fmt: skip

    if x.freshness_days != y.freshness_days:
        loose = y.freshness_days > x.freshness_days
        kpi_b, kpi_h = cb.kpi(x.metric), ch.kpi(y.metric)
        via = bool(
            kpi_b and kpi_h and kpi_b.freshness_days is None and kpi_h.freshness_days is None
        )
        out.add(
            Kind.FRESHNESS_LOOSENED if loose else Kind.FRESHNESS_TIGHTENED,
            S.REVIEW if loose else S.INFO, label,
            f"{x.freshness_days} days", f"{y.freshness_days} days",
            f"KPI '{label}' data may be {y.freshness_days} days old before it is STALE "
            f"(was {x.freshness_days})",
            via_policy=via,
        )  # fmt: skip

    wx = f"{x.aggregation.value} of {x.window_days} days"
    wy = f"{y.aggregation.value} of {y.window_days} days"
    if wx != wy:
        out.add(
            Kind.KPI_WINDOW_CHANGED, S.INFO, label, wx, wy,
            f"KPI '{label}' is aggregated as the {wy} (was {wx})",
        )  # fmt: skip
    kx, ky = cb.kpi(x.metric), ch.kpi(y.metric)
    qx = kx.source if kx is not None else None
    qy = ky.source if ky is not None else None
    if qx != qy:
        out.add(
            Kind.KPI_SOURCE_CHANGED, S.REVIEW, label, _kpi_source(qx), _kpi_source(qy),
            f"KPI '{label}' values come from {_kpi_source(qy)} (was {_kpi_source(qx)})",
        )  # fmt: skip
    sx, sy = _status_text(x), _status_text(y)
    if sx != sy:
        out.add(
            Kind.KPI_STATUS_CHANGED, S.INFO, label, sx, sy, f"KPI '{label}' goes from {sx} to {sy}"
        )


def _requires_authorisation(policy: Policy, s: DataSource) -> bool:
    return any(rule.matches(s.categories, s.regions)[0] for rule in policy.authorisation)


def _data(cb: Charter, ch: Charter, policy: Policy, out: _Out) -> None:
    db, dh = _by(cb.data_sources, lambda s: s.name), _by(ch.data_sources, lambda s: s.name)
    for name, x, y in _matched(db, dh):
        if x is None:
            assert y is not None
            auth = _authorisation(y.authorisation) or "no authorisation record"
            special = _special(y.categories)
            out.add(
                Kind.DATA_SOURCE_ADDED, S.CRITICAL if special else S.REVIEW, name, None,
                f"{_data_use(y)} · {auth}",
                f"new data source '{name}': {_data_use(y)}; {auth}"
                + (f"; special-category data ({', '.join(special)})" if special else ""),
            )  # fmt: skip
            continue
        if y is None:
            out.add(
                Kind.DATA_SOURCE_REMOVED, S.INFO, name, _data_use(x), None,
                f"data source '{name}' is no longer used",
            )  # fmt: skip
            continue
        if (x.categories, x.regions) != (y.categories, y.regions):
            wider = bool(set(y.categories) - set(x.categories) or set(y.regions) - set(x.regions))
            special = _special(set(y.categories) - set(x.categories))
            sev = S.CRITICAL if special else S.REVIEW if wider else S.INFO
            out.add(
                Kind.DATA_SOURCE_CHANGED, sev, name, _data_use(x), _data_use(y),
                f"data source '{name}' {'extends' if wider else 'narrows'} its data use: "
                f"{_data_use(x)} → {_data_use(y)}"
                + (f"; it now includes special-category data ({', '.join(special)})" if special else ""),
            )  # fmt: skip
        if x.owner != y.owner:
            out.add(
                Kind.DATA_SOURCE_CHANGED, S.INFO, name, f"owner {x.owner or '—'}",
                f"owner {y.owner or '—'}", f"data source '{name}' changes owner",
            )  # fmt: skip
        ax, ay = _authorisation(x.authorisation), _authorisation(y.authorisation)
        if ax is not None and ay is None:
            # Always critical: the record is the control; the policy may require one later.
            required = _requires_authorisation(policy, y)
            why = "; the policy requires one for this data" if required else ""
            out.add(
                Kind.AUTHORISATION_REMOVED, S.CRITICAL, name, ax, None,
                f"authorisation record {ax} is removed from data source '{name}' "
                f"({_data_use(y)}){why}",
            )  # fmt: skip
        elif ax is None and ay is not None:
            out.add(
                Kind.AUTHORISATION_ADDED, S.INFO, name, None, ay,
                f"data source '{name}' gets authorisation record {ay}",
            )  # fmt: skip
        elif x.authorisation != y.authorisation:
            dx = _authorisation(x.authorisation, detail=True)
            dy = _authorisation(y.authorisation, detail=True)
            out.add(
                Kind.AUTHORISATION_CHANGED, S.REVIEW, name, dx, dy,
                f"the authorisation of data source '{name}' changes: {dx} → {dy}",
            )  # fmt: skip
        if x.contract and not y.contract:
            out.add(
                Kind.CONTRACT_REMOVED, S.REVIEW, name, x.contract, None,
                f"data source '{name}' loses its data contract",
            )  # fmt: skip
        elif not x.contract and y.contract:
            out.add(
                Kind.CONTRACT_ADDED,
                S.INFO,
                name,
                None,
                y.contract,
                f"data source '{name}' gets a data contract",
            )
        elif x.contract != y.contract:
            out.add(
                Kind.CONTRACT_CHANGED, S.INFO, name, x.contract, y.contract,
                f"data source '{name}' points to another data contract",
            )  # fmt: skip


def _retraining(cb: Charter, ch: Charter, out: _Out) -> None:
    rb, rh = cb.retraining, ch.retraining
    if rb is None and rh is None:
        return
    if rb is None:
        assert rh is not None
        out.add(
            Kind.RETRAINING_ADDED, S.INFO, "retraining", None, f"every {rh.cadence_days} days",
            f"a retraining schedule is documented: every {rh.cadence_days} days",
        )  # fmt: skip
        return
    if rh is None:
        out.add(
            Kind.RETRAINING_REMOVED, S.REVIEW, "retraining", f"every {rb.cadence_days} days", None,
            "the retraining schedule is removed",
        )  # fmt: skip
        return
    if rb.cadence_days != rh.cadence_days:
        longer = rh.cadence_days > rb.cadence_days
        out.add(
            Kind.RETRAINING_LENGTHENED if longer else Kind.RETRAINING_SHORTENED,
            S.REVIEW if longer else S.INFO, "retraining.cadence_days",
            f"every {rb.cadence_days} days", f"every {rh.cadence_days} days",
            f"retraining cadence {'lengthened' if longer else 'shortened'} from every "
            f"{rb.cadence_days} to every {rh.cadence_days} days",
        )  # fmt: skip
    if rb.last_retrained != rh.last_retrained:
        out.add(
            Kind.RETRAINED, S.INFO, "retraining.last_retrained",
            fmt_date(rb.last_retrained), fmt_date(rh.last_retrained),
            f"last retraining recorded as {fmt_date(rh.last_retrained)}",
        )  # fmt: skip


_SIGN_OFF = {RiskStatus.closed, RiskStatus.accepted}


def _risks(cb: Charter, ch: Charter, out: _Out) -> None:
    rb, rh = _by(cb.risks, lambda r: r.title), _by(ch.risks, lambda r: r.title)
    for title, x, y in _matched(rb, rh):
        if x is None:
            assert y is not None
            shown = f"{y.kind.value} · {_risk_rating(y)} · {y.status.value}"
            out.add(Kind.RISK_ADDED, S.INFO, title, None, shown, f"new risk '{title}' ({shown})")
            continue
        if y is None:
            out.add(
                Kind.RISK_REMOVED, S.REVIEW, title, f"{x.status.value} · {_risk_rating(x)}", None,
                f"risk '{title}' ({x.status.value}) is deleted from the register",
            )  # fmt: skip
            continue
        if x.status != y.status:
            if y.status is RiskStatus.closed:
                kind, sev = Kind.RISK_CLOSED, S.REVIEW
            else:
                kind = Kind.RISK_STATUS_CHANGED
                sev = S.REVIEW if y.status in _SIGN_OFF else S.INFO
            out.add(
                kind, sev, title, x.status.value, y.status.value,
                f"risk '{title}' goes from {x.status.value} to {y.status.value}",
            )  # fmt: skip
        if (x.likelihood, x.impact) != (y.likelihood, y.impact):
            out.add(
                Kind.RISK_RATING_CHANGED, S.INFO, title, _risk_rating(x), _risk_rating(y),
                f"risk '{title}' is re-rated: {_risk_rating(x)} → {_risk_rating(y)}",
            )  # fmt: skip


_TRIGGER_ORDER = {Trigger.warn: 0, Trigger.breach: 1}


def _ladder(cb: Charter, ch: Charter, out: _Out) -> None:
    """The escalation ladder, decision rights and the operating rhythm."""
    eb, eh = _by(cb.escalation, lambda e: e.name), _by(ch.escalation, lambda e: e.name)
    for name, x, y in _matched(eb, eh):
        if x is None:
            assert y is not None
            out.add(
                Kind.ESCALATION_LEVEL_ADDED, S.INFO, name, None, _escalation(y),
                f"new escalation level '{name}'",
            )  # fmt: skip
        elif y is None:
            out.add(
                Kind.ESCALATION_LEVEL_REMOVED, S.REVIEW, name, _escalation(x), None,
                f"escalation level '{name}' is removed ({_escalation(x)})",
            )  # fmt: skip
        elif x != y:
            later = _TRIGGER_ORDER[y.on] > _TRIGGER_ORDER[x.on] or y.after_days > x.after_days
            out.add(
                Kind.ESCALATION_LEVEL_CHANGED, S.REVIEW if later else S.INFO, name,
                _escalation(x), _escalation(y),
                f"escalation level '{name}' changes"
                + (": it now triggers later" if later else ""),
            )  # fmt: skip

    db = _by(cb.decision_rights, lambda d: d.decision.casefold())
    dh = _by(ch.decision_rights, lambda d: d.decision.casefold())
    for _, x, y in _matched(db, dh):
        if x is None:
            assert y is not None
            out.add(
                Kind.DECISION_ADDED, S.INFO, y.decision, None, y.accountable,
                f"decision '{y.decision}' is assigned to {y.accountable}",
            )  # fmt: skip
        elif y is None:
            out.add(
                Kind.DECISION_REMOVED, S.REVIEW, x.decision, x.accountable, None,
                f"nobody is accountable for '{x.decision}' any more (was {x.accountable})",
            )  # fmt: skip
        elif x.accountable != y.accountable:
            out.add(
                Kind.DECISION_OWNER_CHANGED, S.REVIEW, y.decision, x.accountable, y.accountable,
                f"'{y.decision}' is now decided by {y.accountable} (was {x.accountable})",
            )  # fmt: skip

    rb = _by(cb.rhythm, lambda r: r.ritual.casefold())
    rh = _by(ch.rhythm, lambda r: r.ritual.casefold())
    for _, x, y in _matched(rb, rh):
        if x is None:
            assert y is not None
            out.add(
                Kind.RITUAL_ADDED, S.INFO, y.ritual, None, f"every {y.cadence_days} days",
                f"new ritual '{y.ritual}' every {y.cadence_days} days",
            )  # fmt: skip
        elif y is None:
            out.add(
                Kind.RITUAL_REMOVED, S.REVIEW, x.ritual, f"every {x.cadence_days} days", None,
                f"ritual '{x.ritual}' is dropped",
            )  # fmt: skip
        elif x.cadence_days != y.cadence_days:
            longer = y.cadence_days > x.cadence_days
            out.add(
                Kind.RITUAL_CADENCE_CHANGED, S.REVIEW if longer else S.INFO, y.ritual,
                f"every {x.cadence_days} days", f"every {y.cadence_days} days",
                f"'{y.ritual}' is held every {y.cadence_days} days instead of {x.cadence_days}",
            )  # fmt: skip


def _findings(b: ModelResult, h: ModelResult, out: _Out) -> None:
    """New and resolved findings. A finding whose wording changed but that is about the same
    rule and field (e.g. 'overdue by 250 days' -> '220 days') is one changed finding."""
    fb = {(f.code, f.message): f for f in b.findings}
    fh = {(f.code, f.message): f for f in h.findings}
    gone = [fb[k] for k in sorted(fb.keys() - fh.keys())]
    new = [fh[k] for k in sorted(fh.keys() - fb.keys())]
    by_place: dict[tuple[str, str | None], Finding] = {}
    for f in gone:
        by_place.setdefault((f.code, f.field), f)
    for f in new:
        old = by_place.pop((f.code, f.field), None)
        if old is None:
            out.add(*_new_finding(f))
            continue
        gone.remove(old)
        worse = f.level > old.level
        sev = (S.CRITICAL if f.level is Level.BREACH else S.REVIEW) if worse else S.INFO
        out.add(
            Kind.FINDING_CHANGED, sev, f.code, f"{old.level.label}: {old.message}",
            f"{f.level.label}: {f.message}", f"{f.level.label} finding: {f.message}",
        )  # fmt: skip
    for f in gone:
        out.add(
            Kind.FINDING_RESOLVED, S.INFO, f.code, f"{f.level.label}: {f.message}", None,
            f"resolved {f.level.label} finding: {f.message}",
        )  # fmt: skip
