"""Data drift of a model's inputs, drift over time, and how it lines up with its outcomes.

Windows (every window is anchored at the evaluation date ``as_of``: the last ``N`` days are
``as_of - (N - 1)`` to ``as_of``, both included):
- one dated samples file: the reference is the charter's ``reference`` date range (both days
  included); the current window is the ``current_days`` days ending at the evaluation date;
- two files: the reference file against the current file (no drift over time: no dates);
- pre-binned counts: with a ``period`` column (each period's first day), the current window sums
  the periods whose first day falls in the last ``current_days`` days, and every period that
  starts on or before the evaluation date is a point of drift over time; without one, the
  file's current counts.

Each feature is measured with its declared method or the automatic choice (see
``drift_methods.choose_method``) and tiered with its own tiers or the policy's; a tier is the
last acceptable value (``drift_methods.tier``). A feature that cannot be evaluated (missing
column, empty window, all values missing, mismatched counts) is marked NO DATA with the reason:
never a crash, never a silent zero. The dataset drift share is the importance-weighted share of
evaluable features at WARN or worse.

Drift over time gives each period a drift level by the same rule as the current window
(``results.drift_level``): the ``timeline`` of the result, and the ``since`` of the result and
of each feature (the first day of the final unbroken run of periods at the current status).

Results are cached by the content hash of the inputs, the settings and the date, so an unchanged
model is not recomputed when `mkdocs serve` rebuilds.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from ..fmt import fmt_date, fmt_pct
from ..model.charter import Drift, DriftMethod, Feature, FeatureKind, Tiers
from ..model.inputs import DriftInputs
from ..model.policy import DriftDefaults
from ..model.results import (
    DriftPoint,
    DriftResult,
    FeatureDrift,
    Histogram,
    KpiResult,
    Level,
    Status,
    drift_level,
)
from . import drift_methods as dm

__all__ = ["concept_summary", "evaluate_drift"]

# Periods with fewer current rows than this are left out of drift over time (too noisy).
MIN_PERIOD_ROWS = 30
_DAY = dt.timedelta(days=1)
_CACHE: OrderedDict[str, DriftResult] = OrderedDict()
_CACHE_SIZE = 4096


class _CannotEvaluate(Exception):
    pass


def evaluate_drift(
    drift: Drift,
    inputs: DriftInputs,
    defaults: DriftDefaults,
    as_of: dt.date,
    kpis: list[KpiResult],
) -> DriftResult:
    """Evaluate data drift for one model (cached by content hash)."""
    key = _cache_key(drift, inputs, defaults, as_of)
    cached = _CACHE.get(key)
    if cached is None:
        cached = _evaluate(drift, inputs, defaults, as_of)
        _CACHE[key] = cached
        if len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    else:
        _CACHE.move_to_end(key)
    return _with_summary(cached, kpis)


def _cache_key(drift: Drift, inputs: DriftInputs, defaults: DriftDefaults, as_of: dt.date) -> str:
    h = hashlib.sha256()
    h.update(inputs.digest.encode())
    h.update(drift.model_dump_json().encode())
    h.update(defaults.model_dump_json().encode())
    h.update(as_of.isoformat().encode())
    return h.hexdigest()


# ----------------------------------------------------------------------------------- windows


def _windows(
    drift: Drift, inputs: DriftInputs, as_of: dt.date
) -> tuple[pd.DataFrame, pd.DataFrame, str, str, dt.date | None]:
    """The reference and current rows, their labels and the current window's first day."""
    samples = inputs.samples
    assert samples is not None
    if inputs.reference is not None:
        return inputs.reference, samples, "reference file", "current file", None
    assert drift.reference is not None
    dates = samples["date"].to_numpy()
    ref = drift.reference
    lo, hi = np.datetime64(ref.start, "D"), np.datetime64(ref.end, "D")
    first = _window_start(drift, as_of)
    start, end = np.datetime64(first, "D"), np.datetime64(as_of, "D")
    reference = samples[(dates >= lo) & (dates <= hi)]
    current = samples[(dates >= start) & (dates <= end)]
    return (
        reference,
        current,
        f"{fmt_date(ref.start)} to {fmt_date(ref.end)}",
        f"{fmt_date(first)} to {fmt_date(as_of)} (last {drift.current_days} days)",
        first,
    )


def _window_start(drift: Drift, as_of: dt.date) -> dt.date:
    """First day of the current window: the last ``current_days`` days up to ``as_of``."""
    return as_of - dt.timedelta(days=drift.current_days - 1)


def _period_end(start: dt.date, period: str) -> dt.date:
    """Last day of the calendar week or month that starts on ``start``."""
    if period == "week":
        return start + dt.timedelta(days=6)
    return (start.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - _DAY


def _bin_windows(
    drift: Drift, bins: pd.DataFrame, as_of: dt.date
) -> tuple[pd.DataFrame, str, str, dt.date | None]:
    """Counts per feature and bin for the current window (reference counts alongside), the
    labels and the first day of the current window."""
    # Collected from a source, the reference counts are the charter's reference window's.
    ref_label = (
        f"{fmt_date(drift.reference.start)} to {fmt_date(drift.reference.end)}"
        if drift.source is not None and drift.reference is not None
        else "reference counts"
    )
    if (bins["period"] == "").all():
        return bins, ref_label, "current counts", None
    periods = pd.to_datetime(bins["period"], format="%Y-%m-%d").dt.date
    start = _window_start(drift, as_of)
    inside = (periods >= start) & (periods <= as_of)
    if not inside.any():
        raise _CannotEvaluate(
            f"no period in the bins file starts in the current window "
            f"({fmt_date(start)} to {fmt_date(as_of)})"
        )
    window = bins[inside]
    summed = window.groupby(["feature", "bin"], sort=False, as_index=False).agg(
        reference_count=("reference_count", "first"), current_count=("current_count", "sum")
    )
    chosen = sorted(set(periods[inside]))
    last = min(_period_end(chosen[-1], drift.period), as_of)
    unit = "weekly" if drift.period == "week" else "monthly"
    count = f"{len(chosen)} {unit} period{'s' if len(chosen) != 1 else ''}"
    label = (
        f"{fmt_date(chosen[0])} to {fmt_date(last)} ({count} starting in the last "
        f"{drift.current_days} days)"
    )
    return summed, ref_label, label, chosen[0]


# ----------------------------------------------------------------------------------- features


def _kind(feature: Feature, column: np.ndarray) -> str:
    if feature.kind is not None:
        return feature.kind.value
    return "numeric" if column.dtype.kind == "f" else "categorical"


def _method(feature: Feature) -> str:
    return "auto" if feature.method is DriftMethod.auto else feature.method.value


def _tiers(feature: Feature, method: str, defaults: DriftDefaults) -> Tiers:
    return feature.tiers or getattr(defaults, method)


def _sample_values(frame: pd.DataFrame, name: str, kind: str, where: str) -> np.ndarray:
    if name not in frame.columns:
        raise _CannotEvaluate(f"column '{name}' is not in the {where}")
    column = frame[name].to_numpy()
    if kind == "numeric":
        if column.dtype.kind != "f":
            raise _CannotEvaluate(f"'{name}' is declared numeric but holds text in the {where}")
        return column.astype("float64")
    return np.array([None if (v is None or v != v) else str(v) for v in column], dtype=object)


def _histogram(kind: str, reference: np.ndarray, current: np.ndarray) -> Histogram | None:
    try:
        if kind == "numeric":
            b = dm.binned_counts(reference, current, dm.DEFAULT_BINS)
            edges = b.edges
            labels = []
            for lo, hi in itertools.pairwise(edges):
                if np.isneginf(lo):
                    labels.append(f"< {hi:.4g}")
                elif np.isposinf(hi):
                    labels.append(f"≥ {lo:.4g}")
                else:
                    labels.append(f"{lo:.4g} – {hi:.4g}")
        else:
            b = dm.categorical_counts(reference, current)
            labels = [str(c) for c in b.categories]
    except ValueError:
        return None
    return _proportions(labels, b.reference, b.current)


def _proportions(labels: list[str], ref: np.ndarray, cur: np.ndarray) -> Histogram:
    r = ref / ref.sum() if ref.sum() else ref.astype(float)
    c = cur / cur.sum() if cur.sum() else cur.astype(float)
    return Histogram(
        labels=list(labels),
        reference=[round(float(x), 6) for x in r],
        current=[round(float(x), 6) for x in c],
    )


def _reading(
    method: str, value: dm.DriftValue, status: Status, extra: str = "", mix: str = "category mix"
) -> str:
    size = {Status.OK: "no material", Status.WARN: "a moderate", Status.BREACH: "a large"}[status]
    if method == "psi":
        text = f"PSI {value.value:.3g}: {size} shift in the distribution"
    elif method == "jensen_shannon":
        text = f"Jensen–Shannon distance {value.value:.3g}: {size} change in the distribution"
    elif method == "wasserstein":
        text = (
            f"values moved by {value.value:.3g} reference standard deviations on average "
            f"({size} shift)"
        )
    elif method == "ks":
        verdict = (
            "no significant difference"
            if status is Status.OK
            else "the current values very likely come from a different distribution"
        )
        text = f"KS statistic {value.value:.3g}, p = {value.p_value:.2g}: {verdict}"
    else:
        verdict = f"the {mix} is stable" if status is Status.OK else f"the {mix} changed"
        text = f"chi-square p = {value.p_value:.2g}: {verdict}"
    if value.unseen:
        shown = ", ".join(str(u) for u in value.unseen[:3])
        text += f"; new categories not in the reference: {shown}"
    if value.dropped_nan:
        text += f"; {value.dropped_nan} missing values ignored"
    return text + extra


def _numeric_note(reference: np.ndarray, current: np.ndarray) -> str:
    r, c = reference[~np.isnan(reference)], current[~np.isnan(current)]
    if not r.size or not c.size:
        return ""
    return f" (median {np.median(r):.4g} → {np.median(c):.4g})"


def _cannot(feature: Feature, kind: str, method: str, reason: str, n_ref=0, n_cur=0):
    return FeatureDrift(
        name=feature.name,
        kind=kind,
        method=method,
        value=None,
        p_value=None,
        tiers=None,
        status=Status.NO_DATA,
        reading=f"cannot evaluate: {reason}",
        importance=feature.importance or 1.0,
        n_reference=n_ref,
        n_current=n_cur,
    )


def _measure_samples(
    feature: Feature,
    reference: pd.DataFrame,
    current: pd.DataFrame,
    defaults: DriftDefaults,
    method: str | None = None,
) -> tuple[FeatureDrift, str]:
    """Measure one feature; returns the result and the method used (for drift over time)."""
    wanted = method or _method(feature)
    probe = reference if feature.name in reference.columns else current
    kind = (
        _kind(feature, probe[feature.name].to_numpy())
        if feature.name in probe.columns
        else (feature.kind.value if feature.kind else "numeric")
    )
    try:
        ref = _sample_values(reference, feature.name, kind, "reference window")
        cur = _sample_values(current, feature.name, kind, "current window")
        value = dm.measure(wanted, ref, cur, kind=kind)
    except (_CannotEvaluate, ValueError) as e:
        return _cannot(feature, kind, wanted, str(e)), wanted
    tiers = _tiers(feature, value.method, defaults)
    status = Status.of_code(dm.tier(value.method, value.score, tiers.warn, tiers.breach))
    note = _numeric_note(ref, cur) if kind == "numeric" else ""
    return (
        FeatureDrift(
            name=feature.name,
            kind=kind,
            method=value.method,
            value=value.value,
            p_value=value.p_value,
            tiers=tiers,
            status=status,
            reading=_reading(value.method, value, status, note),
            importance=feature.importance or 1.0,
            n_reference=value.n_reference,
            n_current=value.n_current,
            histogram=_histogram(kind, ref, cur),
        ),
        value.method,
    )


def _measure_bins(feature: Feature, counts: pd.DataFrame, defaults: DriftDefaults) -> FeatureDrift:
    rows = counts[counts["feature"] == feature.name]
    method = _method(feature)
    if rows.empty:
        return _cannot(
            feature, "categorical", method, f"feature '{feature.name}' is not in the bins file"
        )
    if method in ("ks", "wasserstein"):
        return _cannot(
            feature,
            "categorical",
            method,
            f"{method} needs raw values; pre-binned counts allow psi, jensen_shannon or chi_square",
        )
    ref = rows["reference_count"].to_numpy()
    cur = rows["current_count"].to_numpy()
    labels = [str(b) for b in rows["bin"]]
    try:
        # Inside the try: a period with no current rows (collected bins keep every period)
        # cannot be evaluated, and says so.
        if method == "auto":
            method = dm.choose_method("categorical", int(ref.sum()), int(cur.sum()), len(labels))
        value = dm.measure_counts(method, ref, cur, categories=labels)
    except ValueError as e:
        return _cannot(feature, "categorical", method, str(e))
    tiers = _tiers(feature, value.method, defaults)
    status = Status.of_code(dm.tier(value.method, value.score, tiers.warn, tiers.breach))
    return FeatureDrift(
        name=feature.name,
        kind="binned",
        method=value.method,
        value=value.value,
        p_value=value.p_value,
        tiers=tiers,
        status=status,
        # Pre-binned counts of a feature not declared categorical may be numeric bins.
        reading=_reading(
            value.method,
            value,
            status,
            mix="category mix"
            if feature.kind is FeatureKind.categorical
            else "mix across the bins",
        ),
        importance=feature.importance or 1.0,
        n_reference=value.n_reference,
        n_current=value.n_current,
        histogram=_proportions(labels, ref, cur),
    )


# ----------------------------------------------------------------------------------- over time


def _period_starts(start: dt.date, end: dt.date, period: str) -> list[dt.date]:
    if period == "week":
        first = start - dt.timedelta(days=start.weekday())
        return [first + dt.timedelta(weeks=i) for i in range((end - first).days // 7 + 1)]
    out, cur = [], start.replace(day=1)
    while cur <= end:
        out.append(cur)
        cur = (cur.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return out


@dataclass(frozen=True)
class _Period:
    """One period of drift over time: its days, each feature's status, its drift level."""

    start: dt.date
    end: dt.date  # included
    statuses: dict[str, Status]  # every feature measured in the period, NO_DATA included
    level: Level


@dataclass
class _OverTime:
    points: list[DriftPoint]
    shares: list[tuple[dt.date, float]]
    periods: list[_Period]

    @classmethod
    def empty(cls) -> _OverTime:
        return cls([], [], [])

    def add(self, start: dt.date, end: dt.date, results: list[FeatureDrift], tiers: Tiers) -> None:
        """Record one period: its evaluable features, its drift share and its drift level."""
        measured = [r for r in results if r.status is not Status.NO_DATA and r.value is not None]
        for r in measured:
            self.points.append(
                DriftPoint(start, r.name, r.method, float(r.value), r.p_value, r.status)
            )
        share_status = Status.NO_DATA
        if measured:
            share = dm.drift_share(
                np.array([r.level >= Level.WARN for r in measured]),
                np.array([r.importance for r in measured]),
            )
            self.shares.append((start, share))
            share_status = Status.of_code(dm.share_tier(share, tiers.warn, tiers.breach))
        if results:
            level = drift_level(share_status, (r.level for r in results))
            self.periods.append(_Period(start, end, {r.name: r.status for r in results}, level))


def _over_time_samples(
    drift: Drift,
    samples: pd.DataFrame,
    reference: pd.DataFrame,
    methods: dict[str, str],
    defaults: DriftDefaults,
    as_of: dt.date,
) -> _OverTime:
    assert drift.reference is not None
    out = _OverTime.empty()
    share_tiers = drift.share or defaults.share
    dates = samples["date"].to_numpy()
    starts = _period_starts(drift.reference.end + _DAY, as_of, drift.period)
    for i, start in enumerate(starts):
        end = starts[i + 1] - _DAY if i + 1 < len(starts) else as_of
        mask = (dates >= np.datetime64(start, "D")) & (dates <= np.datetime64(end, "D"))
        if int(mask.sum()) < MIN_PERIOD_ROWS:
            continue
        window = samples[mask]
        results = [
            _measure_samples(f, reference, window, defaults, methods[f.name])[0]
            for f in drift.features
            if f.name in methods
        ]
        out.add(start, end, results, share_tiers)
    return out


def _over_time_bins(
    drift: Drift, bins: pd.DataFrame, defaults: DriftDefaults, as_of: dt.date
) -> _OverTime:
    out = _OverTime.empty()
    if (bins["period"] == "").all():
        return out
    share_tiers = drift.share or defaults.share
    groups = [
        (dt.date.fromisoformat(str(period)), rows)
        for period, rows in bins.groupby("period", sort=True)
    ]
    groups = [(start, rows) for start, rows in groups if start <= as_of]
    for i, (start, rows) in enumerate(groups):
        # A period ends where its week or month ends, before the next period in the file
        # starts, and at the evaluation date at the latest.
        end = min(_period_end(start, drift.period), as_of)
        if i + 1 < len(groups):
            end = min(end, groups[i + 1][0] - _DAY)
        results = [_measure_bins(f, rows, defaults) for f in drift.features]
        out.add(start, end, results, share_tiers)
    return out


def _run_since(
    periods: list[_Period], holds: Callable[[_Period], bool], window_start: dt.date | None
) -> dt.date | None:
    """The first day of the final unbroken run of periods where ``holds``; ``window_start``
    when the newest period does not hold; None without periods. A gap between two periods (a
    period left out) breaks the run."""
    if not periods:
        return None
    if not holds(periods[-1]):
        return window_start
    i = len(periods) - 1
    while i > 0 and holds(periods[i - 1]) and periods[i - 1].end + _DAY == periods[i].start:
        i -= 1
    return periods[i].start


def _feature_since(
    feature: FeatureDrift, periods: list[_Period], window_start: dt.date | None
) -> dt.date | None:
    if not any(feature.name in p.statuses for p in periods):
        return None  # never measured over time: since when is unknown
    return _run_since(
        periods, lambda p: p.statuses.get(feature.name) == feature.status, window_start
    )


# ----------------------------------------------------------------------------------- model


def _evaluate(
    drift: Drift, inputs: DriftInputs, defaults: DriftDefaults, as_of: dt.date
) -> DriftResult:
    share_tiers = drift.share or defaults.share
    features: list[FeatureDrift] = []
    over_time = _OverTime.empty()
    ref_label = cur_label = "—"
    window_start: dt.date | None = None
    if inputs.bins is None and inputs.samples is None:
        # A drift `source` that `aipo collect` has not collected yet: no data, like a KPI's.
        name = drift.source.name if drift.source is not None else "its source"
        reason = f"nothing collected yet from source '{name}' (run aipo collect)"
        features = [_cannot(f, "binned", _method(f), reason) for f in drift.features]
    elif inputs.bins is not None:
        try:
            counts, ref_label, cur_label, window_start = _bin_windows(drift, inputs.bins, as_of)
        except _CannotEvaluate as e:
            window_start = _window_start(drift, as_of)
            features = [_cannot(f, "binned", _method(f), str(e)) for f in drift.features]
        else:
            features = [_measure_bins(f, counts, defaults) for f in drift.features]
        over_time = _over_time_bins(drift, inputs.bins, defaults, as_of)
    else:
        reference, current, ref_label, cur_label, window_start = _windows(drift, inputs, as_of)
        methods: dict[str, str] = {}
        for feature in drift.features:
            if reference.empty or current.empty:
                which = "reference" if reference.empty else "current"
                window = ref_label if reference.empty else cur_label
                features.append(
                    _cannot(
                        feature,
                        feature.kind.value if feature.kind else "numeric",
                        _method(feature),
                        f"the {which} window ({window}) has no rows",
                    )
                )
                continue
            result, _ = _measure_samples(feature, reference, current, defaults)
            features.append(result)
            if result.status is not Status.NO_DATA:
                methods[feature.name] = result.method
        if inputs.reference is None and not reference.empty and methods:
            over_time = _over_time_samples(
                drift, inputs.samples, reference, methods, defaults, as_of
            )
    evaluable = [f for f in features if f.status is not Status.NO_DATA]
    if evaluable:
        share = dm.drift_share(
            np.array([f.level >= Level.WARN for f in evaluable]),
            np.array([f.importance for f in evaluable]),
        )
        share_status = Status.of_code(dm.share_tier(share, share_tiers.warn, share_tiers.breach))
    else:
        share, share_status = None, Status.NO_DATA
    periods = over_time.periods
    features = [replace(f, since=_feature_since(f, periods, window_start)) for f in features]
    level = drift_level(share_status, (f.level for f in features))
    return DriftResult(
        features=features,
        share=share,
        share_status=share_status,
        share_tiers=share_tiers,
        reference_label=ref_label,
        current_label=cur_label,
        over_time=over_time.points,
        share_over_time=over_time.shares,
        since=_run_since(periods, lambda p: p.level == level, window_start),
        window_start=window_start,
        timeline=[(p.start, p.end, p.level) for p in periods],
    )


def concept_summary(result: DriftResult, kpis: list[KpiResult]) -> str:
    """Whether inputs moved, outcomes moved, or both, in one sentence."""
    moved_inputs = result.share_status in (Status.WARN, Status.BREACH)
    dropped = [k for k in kpis if k.drop_status in (Status.WARN, Status.BREACH)]
    share = fmt_pct(result.share) if result.share is not None else "—"
    names = ", ".join(k.name for k in dropped[:2])
    if result.share is None:
        return "Data drift cannot be evaluated (see the features below)."
    if moved_inputs and dropped:
        return (
            f"Inputs moved and outcomes moved: {share} of the (weighted) inputs drifted and "
            f"{names} worsened against the original baseline. The model sees different data and "
            "performs worse on it; retraining on recent data is the usual remedy."
        )
    if moved_inputs:
        return (
            f"Inputs moved, outcomes held: {share} of the (weighted) inputs drifted, but the KPIs "
            "are still within tolerance of their baselines. Watch the next reviews closely."
        )
    if dropped:
        return (
            f"Outcomes moved, inputs did not: {names} worsened against the original baseline while "
            f"only {share} of the inputs drifted. This points to concept drift (the relationship "
            "between inputs and outcome changed) or a problem with the labels."
        )
    return f"Neither inputs nor outcomes moved: {share} of the inputs drifted, within tolerance."


def _with_summary(result: DriftResult, kpis: list[KpiResult]) -> DriftResult:
    return replace(result, summary=concept_summary(result, kpis))
