"""Read drift inputs declared in a charter's `drift` section.

Two forms, both under ``metrics/<model-id>/``:

- raw samples: a CSV with one row per scored example and one column per feature (plus a ``date``
  column when one file holds both the reference and the current window). Empty cells are missing
  values (in a one-column file, so is an empty line); numeric columns must otherwise hold finite
  numbers.
- pre-binned counts: ``feature,bin,reference_count,current_count[,period]`` for teams whose raw
  logs are too big to ship. Counts are non-negative whole numbers of at most 10^15 (``count too
  large`` above it, never an int64 overflow), and each count column must add up to less than
  2^53 so every total is exact. Every feature is binned from the same rows, so within a period
  all features must have the same reference and current totals, and the reference counts must
  be the same in every period: anything else "does not add up".

Every feature the charter declares must be in each file it reads: a samples or reference file
without the column, or a bins file without rows for it, is an error at the file (line 1 for a
header) naming the feature, its place in the charter and the closest name in the file
(``declared feature 'montly_spend' (charter drift.features[2]) is not a column; did you mean
'monthly_spend'?``). Left to the evaluation, a misspelt name would only be "cannot evaluate"
while the dataset drift share silently changed meaning.

The shared CSV checks (:mod:`.csvtext`) apply: line endings, forbidden characters, NFC, quoted
cells spanning lines (accepted, with every later error at its physical line). Feature (column)
names and bin labels are at most 200 characters.
"""

from __future__ import annotations

import difflib
import hashlib
import io
from collections.abc import Callable

import numpy as np
import pandas as pd

from ..errors import InputError, snippet
from ..model.charter import Drift
from ..model.document import YamlDocument
from ..model.inputs import DriftInputs
from .csvtext import (
    ISO_DATE,
    MAX_NAME,
    check_name,
    commas_per_line,
    decode_csv,
    field_label,
    read_frame,
    read_header,
    to_floats,
)

__all__ = ["DriftInputs", "parse_bins_csv", "parse_samples_csv", "read_drift_inputs"]

MAX_BYTES = 200_000_000
BIN_COLUMNS = ["feature", "bin", "reference_count", "current_count"]
# Spellings of "missing" that pandas would read as NaN: in a numeric column they are errors, so
# a column is never silently turned into text (and compared as categories) by one of them.
_MISSING_WORDS = {"nan", "na", "n/a", "null", "none", "-", "?"}
# A bin count above 10^15 is a mistake, not a dataset; every total below 2^53 adds up exactly
# (in int64 and in the float64 the drift measures use).
MAX_COUNT = 10**15
MAX_TOTAL = 2**53


def _read(text: str, header: list[str], path: str) -> tuple[pd.DataFrame, np.ndarray]:
    """The cells as text (one column per header name) and each row's physical line.

    Files without quotes and with every row at the header's field count go through pandas'
    C reader (samples can hold hundreds of thousands of rows); anything else through the
    careful reader, which accepts quoted cells spanning lines and reports the line of a problem.
    """
    width = len(header)
    newline = text.find("\n")
    body = "" if newline < 0 else text[newline + 1 :]
    if width > 1:
        body = body.rstrip("\n")
    elif body.endswith("\n"):
        body = body[:-1]
    if body and '"' not in text and (commas_per_line(body) == width - 1).all():
        rows = body.count("\n") + 1
        try:
            frame = pd.read_csv(
                io.StringIO(body),
                names=header,
                header=None,
                dtype=str,
                keep_default_na=False,
                skipinitialspace=True,
                skip_blank_lines=False,
                engine="c",
            )
        except (ValueError, pd.errors.ParserError):
            frame = None
        if frame is not None and len(frame) == rows and list(frame.columns) == header:
            return frame.fillna(""), np.arange(2, rows + 2)
    return read_frame(text, path, header)


def _dates(column: pd.Series, lines: np.ndarray, path: str) -> np.ndarray:
    text = column.str.strip()
    parsed = pd.to_datetime(text, format="%Y-%m-%d", errors="coerce")
    bad = (parsed.isna() | ~text.str.fullmatch(ISO_DATE)).to_numpy(dtype=bool)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InputError(
            path,
            f"date: expected an ISO date YYYY-MM-DD, found {snippet(text.iloc[i])}",
            line=int(lines[i]),
        )
    return parsed.to_numpy(dtype="datetime64[D]")


def parse_samples_csv(raw: bytes, path: str, *, dated: bool) -> pd.DataFrame:
    """Raw feature samples: text columns as they are, numeric-looking columns as float64 with
    NaN for empty cells. ``dated`` requires a ``date`` column."""
    text = decode_csv(raw, path, MAX_BYTES)
    header = read_header(text, path, "one column per feature", what="sample CSVs")
    if dated and "date" not in header:
        raise InputError(path, "expected a 'date' column to split reference and current", line=1)
    frame, lines = _read(text, header, path)
    out = {}
    for name in header:
        column = frame[name].str.strip()
        if name == "date":
            out[name] = _dates(column, lines, path)
            continue
        filled = (column != "").to_numpy(dtype=bool)
        numbers = to_floats(column)  # an empty cell is NaN
        placeholder = column.str.lower().isin(_MISSING_WORDS).to_numpy(dtype=bool)
        if placeholder.any() and bool((~np.isnan(numbers)).any()):
            i = int(np.flatnonzero(placeholder)[0])
            raise InputError(
                path,
                f"{field_label(name)}: found {snippet(column.iloc[i])}; write a missing value as "
                "an empty cell",
                line=int(lines[i]),
            )
        numeric_like = bool(filled.any()) and bool((~np.isnan(numbers) | ~filled).all())
        if numeric_like:
            infinite = np.isinf(numbers)
            if infinite.any():
                i = int(np.flatnonzero(infinite)[0])
                raise InputError(
                    path,
                    f"{field_label(name)}: expected a finite number, found "
                    f"{snippet(column.iloc[i])}",
                    line=int(lines[i]),
                )
            out[name] = numbers
        else:
            out[name] = column.where(filled, None).to_numpy(dtype=object)
    return pd.DataFrame(out)


def parse_bins_csv(raw: bytes, path: str, *, same_rows: bool = True) -> pd.DataFrame:
    """Pre-binned counts; raises InputError when the counts are malformed or do not add up.

    ``same_rows=False`` (the bins ``aipo collect`` writes) drops the rule that every feature of
    a period is binned from the same rows: a row's missing value is not counted for that feature
    only, so the features' totals may differ, and a period may have no rows at all."""
    text = decode_csv(raw, path, MAX_BYTES)
    header = read_header(
        text, path, "feature,bin,reference_count,current_count[,period]", what="bins CSVs"
    )
    missing = [c for c in BIN_COLUMNS if c not in header]
    extra = [c for c in header if c not in [*BIN_COLUMNS, "period"]]
    if missing or extra:
        raise InputError(
            path,
            "expected columns feature,bin,reference_count,current_count[,period]; "
            + (f"missing {', '.join(missing)}" if missing else f"unexpected {snippet(extra[0])}"),
            line=1,
        )
    frame, lines = _read(text, header, path)
    out = pd.DataFrame(
        {
            "feature": frame["feature"].str.strip(),
            "bin": frame["bin"].str.strip(),
            "period": frame["period"].str.strip() if "period" in frame else "",
            "line": lines,
        }
    )
    for name in ("reference_count", "current_count"):
        out[name] = _counts(frame[name].str.strip(), lines, path, name)
    if "period" in frame:
        periods = out["period"]
        bad = ~periods.str.fullmatch(ISO_DATE).to_numpy(dtype=bool)
        if not bad.any():
            bad = pd.to_datetime(periods, format="%Y-%m-%d", errors="coerce").isna().to_numpy()
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise InputError(
                path,
                "period: expected the period's first day as YYYY-MM-DD, found "
                f"{snippet(periods.iloc[i])}",
                line=int(lines[i]),
            )
    for name, what in (("feature", "feature name"), ("bin", "bin label")):
        empty = (out[name] == "").to_numpy(dtype=bool)
        if empty.any():
            raise InputError(path, f"{name}: empty cell", line=int(lines[np.flatnonzero(empty)[0]]))
        long = (out[name].str.len() > MAX_NAME).to_numpy(dtype=bool)
        if long.any():
            i = int(np.flatnonzero(long)[0])
            check_name(out[name].iloc[i], path, int(lines[i]), what)
    dup = out.duplicated(["feature", "period", "bin"]).to_numpy()
    if dup.any():
        row = out.iloc[int(np.flatnonzero(dup)[0])]
        raise InputError(
            path,
            f"bin {snippet(row['bin'])} of feature {snippet(row['feature'])} appears twice"
            + (f" in period {row['period']}" if row["period"] else ""),
            line=int(row["line"]),
        )
    _check_totals(out, path, same_rows=same_rows)
    return out


def _counts(column: pd.Series, lines: np.ndarray, path: str, name: str) -> np.ndarray:
    """Whole numbers 0..MAX_COUNT as int64; anything else is an error with its line."""
    ok = column.str.fullmatch(r"[0-9]+").to_numpy(dtype=bool)
    if not ok.all():
        i = int(np.flatnonzero(~ok)[0])
        raise InputError(
            path,
            f"{name}: expected a non-negative whole number, found {snippet(column.iloc[i])}",
            line=int(lines[i]),
        )
    digits = column.str.lstrip("0").str.len().to_numpy()
    too_long = digits > len(str(MAX_COUNT))
    if not too_long.any():
        values = column.astype(np.int64).to_numpy()
        too_long = values > MAX_COUNT
        if not too_long.any():
            if float(values.sum(dtype=np.float64)) > MAX_TOTAL:
                raise InputError(
                    path,
                    f"{name}: the counts add up to more than {MAX_TOTAL:,}, more than aipo "
                    "can add exactly",
                )
            return values
    i = int(np.flatnonzero(too_long)[0])
    raise InputError(
        path,
        f"{name}: count too large, found {snippet(column.iloc[i])}; the limit is "
        f"{MAX_COUNT:,} (10^15)",
        line=int(lines[i]),
    )


def _check_totals(bins: pd.DataFrame, path: str, *, same_rows: bool) -> None:
    totals = bins.groupby(["period", "feature"], sort=True)[
        ["reference_count", "current_count"]
    ].sum()
    for period, group in totals.groupby(level=0, sort=True) if same_rows else ():
        where = f" in period {period}" if period else ""
        for column, label in (("reference_count", "reference"), ("current_count", "current")):
            values = group[column]
            if values.min() == 0:
                feature = values.idxmin()[1]
                raise InputError(path, f"feature {snippet(feature)} has no {label} counts{where}")
            if values.nunique() > 1:
                shown = [f"{snippet(f)}={n}" for (_, f), n in values.items()]
                more = f", and {len(shown) - 6} more" if len(shown) > 6 else ""
                raise InputError(
                    path,
                    f"{label} counts do not add up{where}: every feature must be binned from the "
                    f"same rows, but the totals differ ({', '.join(shown[:6])}{more})",
                )
    if (bins["period"] != "").any():
        ref = bins.pivot_table(
            index=["feature", "bin"], columns="period", values="reference_count", aggfunc="sum"
        )
        varying = ref.nunique(axis=1, dropna=False) > 1
        if varying.any():
            feature, bin_ = varying[varying].index[0]
            raise InputError(
                path,
                f"reference counts of feature {snippet(feature)}, bin {snippet(bin_)} differ "
                "between periods; the reference window is the same for every period",
            )


def _missing_feature(
    path: str, drift: Drift, names: list[str], *, line: int | None, what: str, listing: str
) -> InputError | None:
    """The error for the first declared feature absent from a drift input, or None.

    Without it a misspelt name would only mark that feature "cannot evaluate" while the dataset
    drift share, computed over the evaluable features, silently changed meaning.
    """
    present = set(names)
    for index, feature in enumerate(drift.features):
        if feature.name in present:
            continue
        close = difflib.get_close_matches(feature.name, names, n=1, cutoff=0.6)
        if close:
            hint = f"; did you mean {snippet(close[0])}?"
        else:
            listed = ", ".join(snippet(n) for n in names[:10])
            hint = f"; {listing} {listed}{', ...' if len(names) > 10 else ''}"
        return InputError(
            path,
            f"declared feature {snippet(feature.name)} (charter drift.features[{index}]) "
            f"{what}{hint}",
            line=line,
        )
    return None


COLLECTED_BINS = "drift/collected-bins.csv"


def _read_collected(
    source_read: Callable[[str, int], bytes],
    folder: str,
    inputs: DriftInputs,
    digest: hashlib._Hash,
) -> DriftInputs:
    """A drift section with a ``source``: the bins ``aipo collect`` wrote. Nothing collected yet
    is no data (every feature "cannot evaluate"), not an error; so is a feature the file lacks
    (added to the charter since the last collection)."""
    path = f"{folder}/{COLLECTED_BINS}"
    try:
        data = source_read(path, MAX_BYTES)
    except FileNotFoundError:
        inputs.digest = digest.hexdigest()
        return inputs
    inputs.files.append(path)
    digest.update(f"bins:{path}:{len(data)}:".encode())
    digest.update(data)
    inputs.bins = parse_bins_csv(data, path, same_rows=False)
    inputs.digest = digest.hexdigest()
    return inputs


def read_drift_inputs(
    source_read: Callable[[str, int], bytes], folder: str, drift: Drift, doc: YamlDocument
) -> DriftInputs:
    """Read the files a charter's `drift` section declares (relative to ``folder``).

    ``source_read(path, limit)`` is a :class:`~.source.Source`'s ``read_bytes``. A declared
    file that is missing is reported at the charter's field; one the source refuses (a folder,
    a pipe, a link leaving the repository, unreadable) with the source's error, at the file (the
    same error listing the folder may already have given: the loader reports it once); problems
    in a file's content at the file and line; a declared feature missing from a file at the
    file's header.
    """
    inputs = DriftInputs()
    digest = hashlib.sha256()
    if drift.source is not None:
        return _read_collected(source_read, folder, inputs, digest)

    def load(field_name: str, rel: str) -> bytes:
        path = f"{folder}/{rel}"
        if ".." in rel.split("/") or rel.startswith("/"):
            raise doc.error(
                ("drift", field_name), f"must be a path inside {folder}/, found {snippet(rel)}"
            )
        try:
            data = source_read(path, MAX_BYTES)
        except FileNotFoundError:
            raise doc.error(("drift", field_name), f"file {path} does not exist") from None
        inputs.files.append(path)
        digest.update(f"{field_name}:{path}:{len(data)}:".encode())
        digest.update(data)
        return data

    if drift.bins:
        path = f"{folder}/{drift.bins}"
        inputs.bins = parse_bins_csv(load("bins", drift.bins), path)
        names = list(pd.unique(inputs.bins["feature"]))
        error = _missing_feature(
            path,
            drift,
            names,
            line=None,
            what="has no rows in this file",
            listing="its features are",
        )
        if error is not None:
            raise error
    if drift.samples:
        dated = drift.reference_samples is None
        path = f"{folder}/{drift.samples}"
        inputs.samples = parse_samples_csv(load("samples", drift.samples), path, dated=dated)
        names = [c for c in inputs.samples.columns if c != "date" or not dated]
        error = _missing_feature(
            path, drift, names, line=1, what="is not a column", listing="the columns are"
        )
        if error is not None:
            raise error
    if drift.reference_samples:
        path = f"{folder}/{drift.reference_samples}"
        inputs.reference = parse_samples_csv(
            load("reference_samples", drift.reference_samples), path, dated=False
        )
        names = list(inputs.reference.columns)
        error = _missing_feature(
            path, drift, names, line=1, what="is not a column", listing="the columns are"
        )
        if error is not None:
            raise error
    inputs.digest = digest.hexdigest()
    return inputs
