"""Load a governance repository: charters, the policy and metric CSVs, validated together.

Every problem in the inputs is an :class:`~aipo_site.errors.InputError` (file, line, field);
they are collected over the whole repository and raised together. Files are read only through
a :class:`~.source.Source`, so the working tree's boundary rules (links leaving the repository,
pipes, unreadable files, file names with forbidden characters) apply to every file, including
the charters and metrics folders themselves.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from pathlib import PurePosixPath

import pandas as pd

from ..errors import ConfigError, InputError, InputErrors, snippet
from ..model.charter import Charter
from ..model.inputs import DriftInputs, Layout, ModelInputs, Repository
from ..model.policy import Policy
from ..parallel import fork_map
from .crosswalk import load_crosswalk
from .decisions import load_decisions
from .drift import read_drift_inputs
from .incidents import load_incidents
from .metrics import MAX_CSV_BYTES, empty_frame, parse_metric_csv
from .people import check_people, check_policy_people, fill_owners, load_people
from .records import read_document, read_optional_yaml
from .reviews import load_reviews
from .source import Source, WorkingTree
from .sources import check_source_refs, load_sources
from .validate import validate_document
from .yamlfile import YamlDocument

__all__ = ["Layout", "ModelInputs", "Repository", "load_repository", "unused_metrics"]

CHARTER_SUFFIXES = (".yaml", ".yml")
# Fewer charters than this are read in this process: a model's files take ~5 ms to read and
# validate and ~1.5 ms to send back from a worker, forking ~0.1 s.
PARALLEL_MIN = 200


def load_repository(source: Source, layout: Layout | None = None, *, jobs: int = 1) -> Repository:
    """Read and validate every charter, the policy and every metric CSV.

    ``jobs``: processes reading the models' own files (a working tree with at least
    :data:`PARALLEL_MIN` charters); the result and the errors are the same with any number.

    All problems are collected and raised together as :class:`InputErrors` (one
    :class:`InputError` when there is only one), so a user fixes everything in one round.
    """
    layout = layout or Layout()
    errors: list[InputError] = []
    warnings: list[str] = []

    policy, policy_doc = _load_policy(source, layout.policy, errors)
    people, _people_doc = load_people(source, layout.people, errors)
    before = len(errors)
    sources, _sources_doc = load_sources(source, layout.sources, errors)
    # An invalid sources file is reported once, not again at every charter that names a source.
    sources_read = len(errors) == before
    if people is not None and policy is not None and policy_doc is not None:
        errors.extend(check_policy_people(policy, policy_doc, people, layout.people))
    try:
        has_charters = source.is_dir(layout.charters)
        listed = source.list_files(layout.charters) if has_charters else []
    except InputError as e:  # e.g. the folder is a link leading out of the repository
        raise InputErrors.of([*errors, e]) from None
    if not has_charters:
        raise ConfigError(
            f"charters folder '{layout.charters}' does not exist (set the plugin's 'charters' "
            "option to the folder holding one <model-id>.yaml per model)"
        )
    charter_files = [p for p in listed if p.endswith(CHARTER_SUFFIXES)]
    models: list[ModelInputs] = []
    seen: dict[str, str] = {}
    reads = fork_map(
        lambda i: _read_model(source, layout, charter_files[i]),
        len(charter_files),
        jobs if isinstance(source, WorkingTree) else 1,
        minimum=PARALLEL_MIN,
    )
    for path, read in zip(charter_files, reads, strict=True):
        errors.extend(read.charter_errors)
        if read.loaded is None:
            # Its metrics were still read, so one run reports every problem in the repository.
            errors.extend(read.metric_errors)
            continue
        charter, doc = read.loaded
        stem = PurePosixPath(path).stem
        if charter.id != stem:
            errors.append(
                doc.error(
                    ("id",),
                    f"id '{charter.id}' must equal the file name {snippet(stem)} "
                    f"(rename the file to {charter.id}{PurePosixPath(path).suffix})",
                )
            )
            continue
        if charter.id in seen:
            errors.append(
                doc.error(
                    ("id",), f"duplicate model id '{charter.id}' (also in {seen[charter.id]})"
                )
            )
            continue
        seen[charter.id] = path
        if people is not None:
            charter, problems, notes = check_people(charter, doc, people, layout.people)
            errors.extend(problems)
            warnings.extend(notes)
        else:
            charter = fill_owners(charter, None)
        if sources_read:
            errors.extend(check_source_refs(charter, doc, sources, layout.sources))
        errors.extend(read.metric_errors)
        warnings.extend(read.unused)
        models.append(ModelInputs(charter, path, doc, read.frame, read.files, read.drift))

    # The records of other files refer to models: the valid charters, and every charter file's id
    # (a record of a model whose charter has errors is not reported again).
    charters = {m.id: m.charter for m in models}
    known = {PurePosixPath(p).stem for p in charter_files}
    reviews = load_reviews(
        source,
        layout.reviews,
        charters,
        known,
        people,
        layout.people,
        errors,
        warnings,
    )
    for m in models:
        m.reviews = reviews.get(m.id, [])
    incidents = load_incidents(
        source,
        layout.incidents,
        charters,
        known,
        people,
        layout.people,
        errors,
        warnings,
    )
    log_start = min((i.record.opened for x in incidents.values() for i in x), default=None)
    for m in models:
        m.incidents = incidents.get(m.id, [])
        m.incident_log_start = log_start
    decisions = load_decisions(
        source,
        layout.decisions,
        {m.id: (m.charter, m.path) for m in models},
        known,
        people,
        layout.people,
        errors,
    )
    for m in models:
        m.decisions = decisions.get(m.id, [])

    try:
        metric_files = source.list_files(layout.metrics) if source.is_dir(layout.metrics) else []
    except InputError as e:
        errors.append(e)
        metric_files = []
    folders = {
        PurePosixPath(p).relative_to(layout.metrics).parts[0]
        for p in metric_files
        if len(PurePosixPath(p).relative_to(layout.metrics).parts) > 1
    }
    for orphan in sorted(folders - set(seen)):
        warnings.append(
            f"{layout.metrics}/{orphan}/ has metrics but no charter {layout.charters}/{orphan}.yaml"
        )
    # A problem met twice (a link leaving the repository, listed with its folder and read as a
    # declared drift file) is reported once.
    unique: dict[str, InputError] = {}
    for error in errors:
        unique.setdefault(error.render(), error)
    InputErrors.raise_if_any(list(unique.values()))
    assert policy is not None
    models.sort(key=lambda m: m.id)
    crosswalk, _sources = load_crosswalk()
    return Repository(
        policy, layout.policy, policy_doc, models, layout, warnings, people, crosswalk
    )


@dataclass
class _ModelRead:
    """What :func:`load_repository` reads for one charter file, before the checks that need
    the other models (ids, people, sources): the charter and its document (None when invalid),
    its metric frame and files, the unused-metric warnings and its drift inputs, with the
    errors met in each step, in the order the loader reports them."""

    loaded: tuple[Charter, YamlDocument] | None
    charter_errors: list[InputError]
    frame: pd.DataFrame | None = None
    files: list[str] = field(default_factory=list)
    metric_errors: list[InputError] = field(default_factory=list)
    unused: list[str] = field(default_factory=list)
    drift: DriftInputs | None = None


def _read_model(source: Source, layout: Layout, path: str) -> _ModelRead:
    """Read and validate one model's own files (independent of every other model's, so the
    loader may run it in a worker process)."""
    charter_errors: list[InputError] = []
    loaded = _load_charter(source, path, charter_errors)
    stem = PurePosixPath(path).stem
    if loaded is not None and loaded[0].id != stem:
        return _ModelRead(loaded, charter_errors)  # refused: its files are not read
    folder = f"{layout.metrics}/{stem}"
    metric_errors: list[InputError] = []
    frame, files = _load_metrics(source, folder, metric_errors)
    read = _ModelRead(loaded, charter_errors, frame, files, metric_errors)
    if loaded is None:
        return read
    charter, doc = loaded
    read.unused = unused_metrics(charter, frame)
    if charter.drift is not None:
        try:
            read.drift = read_drift_inputs(source.read_bytes, folder, charter.drift, doc)
        except InputError as e:
            metric_errors.append(e)
    return read


def unused_metrics(charter: Charter, frame: pd.DataFrame) -> list[str]:
    """A warning for each metric in the model's CSVs that no KPI and no segment check reads.

    Nothing is silently ignored: a misspelt metric name in a pipeline's output (or in the
    charter) would otherwise leave a KPI without data and the extra rows unread. The warning
    names the first file and line of the metric and, when one is close, the name meant.
    """
    used = {k.metric for k in charter.kpis} | {s.metric for s in charter.segments}
    if frame.empty or used.issuperset(pd.unique(frame["metric"].to_numpy())):
        return []  # the common case, ~50x cheaper than finding each metric's first row
    first = frame.drop_duplicates("metric").sort_values(["file", "line"])
    out = []
    for row in first.itertuples(index=False):
        if row.metric in used:
            continue
        close = difflib.get_close_matches(row.metric, sorted(used), n=1, cutoff=0.75)
        hint = (
            f"; did you mean '{close[0]}'?" if close else " (add a KPI or a segment check for it)"
        )
        out.append(
            f"{row.file}:{row.line}: metric '{row.metric}' is read by no KPI or segment check of "
            f"{charter.id}{hint}"
        )
    return out


def _load_policy(
    source: Source, path: str, errors: list[InputError]
) -> tuple[Policy | None, YamlDocument | None]:
    found, doc = read_optional_yaml(source, path, errors)
    if not found:
        # No policy file: every charter is held to an empty policy (no inherited rules).
        return Policy(), None
    if doc is None:
        return None, None
    policy, problems = validate_document(doc, Policy, "policy")
    errors.extend(problems)
    return policy, doc


def _load_charter(
    source: Source, path: str, errors: list[InputError]
) -> tuple[Charter, YamlDocument] | None:
    return read_document(source, path, Charter, "charter", errors)


def _load_metrics(
    source: Source, folder: str, errors: list[InputError]
) -> tuple[pd.DataFrame, list[str]]:
    try:
        listed = source.list_files(folder)
    except InputError as e:
        errors.append(e)
        listed = []
    files = [p for p in listed if p.endswith(".csv") and p.count("/") == folder.count("/") + 1]
    frames = []
    for path in files:
        try:
            frame = parse_metric_csv(source.read_bytes(path, MAX_CSV_BYTES), path)
        except InputError as e:
            errors.append(e)
            continue
        except FileNotFoundError:
            errors.append(InputError(path, "disappeared while it was being read; run aipo again"))
            continue
        frame["file"] = path
        frames.append(frame)
    if not frames:
        frame = empty_frame()
        frame["file"] = pd.Series([], dtype=object)
        return frame, files
    frame = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    if len(frames) > 1:
        dup = frame.duplicated(["date", "metric", "segment"], keep=False)
        if dup.any():
            rows = frame[dup].sort_values(["metric", "date", "file"])
            a, b = rows.iloc[0], rows.iloc[1]
            errors.append(
                InputError(
                    b["file"],
                    f"{a['metric']} on {str(a['date'])[:10]} is also given in {a['file']} "
                    f"line {a['line']}; each observation must appear once",
                    line=int(b["line"]),
                )
            )
    return frame, files
