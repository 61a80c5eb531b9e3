"""When a KPI's thresholds changed: from the charter's git history.

Every past day on a KPI chart and in the status history is judged against today's thresholds.
A reader still needs to see when those thresholds were set, and what they were before: this
module finds the commits that changed a KPI's warn and breach levels.

The charter's committed versions (the one ``git log`` pass of
:class:`~aipo_site.load.git.CharterLog`) are walked from the newest back. A version's thresholds
for a metric are its KPI's ``thresholds`` when it gives both levels as numbers, else today's
policy default for the metric (None without one). A commit changed them when they differ from
the next older version's; a KPI that a version does not list has no thresholds to compare, so
adding or removing a KPI is not a threshold change.

Only what the charter holds is followed: a change of the policy's defaults is not (the policy's
history is not read), and an uncommitted change has no date, so it is not reported. The walk
stops at a version that was deleted, cannot be read or does not parse as a YAML mapping, at a
commit dated after the evaluation date, and before the 3,653 days (ten years, the status
calendar's longest reach, :data:`.status.LOOKBACK_DAYS`) that end on it. Only the ``kpis`` section of
the versions where it changed is parsed (the sections are compared as text first, as in
:mod:`.onsets`); a version that does not split into sections is parsed whole.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from ..errors import GitError, InputError
from ..model.inputs import CharterHistory, ModelInputs
from ..model.policy import Policy
from ..model.results import ThresholdChange
from .onsets import _contents, _sections  # the same batched reads and section split
from .status import LOOKBACK_DAYS

__all__ = ["threshold_changes"]


Levels = tuple[float, float] | None
State = dict[str, Levels]


def threshold_changes(
    model: ModelInputs, policy: Policy, as_of: dt.date, history: CharterHistory | None
) -> dict[str, tuple[ThresholdChange, ...]]:
    """The threshold changes of each of the model's KPIs (by metric), oldest first."""
    metrics = {k.metric for k in model.charter.kpis}
    if history is None or not metrics:
        return {}
    versions = history.versions.get(model.path) or []
    first = as_of - dt.timedelta(days=LOOKBACK_DAYS - 1)  # the status calendar's longest reach
    found: dict[str, list[ThresholdChange]] = {}
    # The next newer version: what is parsed for its state (its kpis section, or the whole file),
    # the state once parsed (parsed only when an older version's KPIs differ: a charter whose
    # KPIs never changed costs no parse), and the oldest commit with that text.
    newer: tuple[bytes, State | None, Any] | None = None
    newer_text: bytes | None = None
    for version, content in _contents(history, versions):
        day = version.commit.date.date()
        if day > as_of:
            continue  # a portal pinned to a past day: commits after it do not exist yet
        if day < first or content is None or isinstance(content, GitError | InputError):
            break
        sections = _sections(content)
        text = sections.get("kpis", b"") if sections is not None else None
        if newer is not None and text is not None and text == newer_text:
            newer = (newer[0], newer[1], version.commit)  # same KPIs: any change is older
            continue
        source = content if text is None else text
        if newer is None:
            newer, newer_text = (source, None, version.commit), text
            continue
        after = newer[1] if newer[1] is not None else _state(newer[0], model.path, policy, history)
        state = _state(source, model.path, policy, history)
        if after is None or state is None:
            break
        commit = newer[2]
        for metric in metrics:
            if metric in state and metric in after and state[metric] != after[metric]:
                change = ThresholdChange(
                    commit.date.date(), commit.short_sha, state[metric], after[metric]
                )
                found.setdefault(metric, []).append(change)
        newer, newer_text = (source, state, version.commit), text
    return {metric: tuple(reversed(changes)) for metric, changes in found.items()}


def _state(content: bytes, path: str, policy: Policy, history: CharterHistory) -> State | None:
    """Each listed KPI's (warn, breach) in one version (the whole file, or its ``kpis`` section
    alone); None when it is not a YAML mapping."""
    if not content.strip():
        return {}  # a version without a kpis section
    try:
        data = history.parse(content, path).data
    except InputError:
        return None
    if not isinstance(data, dict):
        return None
    kpis = data.get("kpis")
    state: State = {}
    for item in kpis if isinstance(kpis, list) else []:
        if not isinstance(item, dict) or not isinstance(item.get("metric"), str):
            continue
        metric = item["metric"]
        state[metric] = _levels(item.get("thresholds")) or _default(policy, metric)
    return state


def _levels(value: object) -> Levels:
    if not isinstance(value, dict):
        return None
    warn, breach = value.get("warn"), value.get("breach")
    numbers = [v for v in (warn, breach) if isinstance(v, int | float) and not isinstance(v, bool)]
    if len(numbers) != 2 or not all(math.isfinite(v) for v in numbers):
        return None
    return float(numbers[0]), float(numbers[1])


def _default(policy: Policy, metric: str) -> Levels:
    default = policy.metrics.get(metric)
    if default is None or default.warn is None or default.breach is None:
        return None
    return default.warn, default.breach
