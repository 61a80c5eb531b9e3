"""Read drift inputs declared in a charter's `drift` section.

Two forms, both under ``metrics/<model-id>/``:

- raw samples: a CSV with one row per scored example and one column per feature (plus a ``date``
  column when one file holds both the reference and the current window). Empty cells are missing
  values; numeric columns must otherwise hold finite numbers.
- pre-binned counts: ``feature,bin,reference_count,current_count[,period]`` for teams whose raw
  logs are too big to ship. Counts are non-negative integers. Every feature is binned from the
  same rows, so within a period all features must have the same reference and current totals,
  and the reference counts must be the same in every period: anything else "does not add up".
"""

from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..errors import InputError
from ..model.charter import Drift
from .csvtext import decode_csv, read_header
from .yamlfile import YamlDocument

__all__ = ["DriftInputs", "parse_bins_csv", "parse_samples_csv", "read_drift_inputs"]

MAX_BYTES = 200_000_000
BIN_COLUMNS = ["feature", "bin", "reference_count", "current_count"]
# Spellings of "missing" that pandas would read as NaN: in a numeric column they are errors, so
# a column is never silently turned into text (and compared as categories) by one of them.
_MISSING_WORDS = {"nan", "na", "n/a", "null", "none", "-", "?"}


@dataclass
class DriftInputs:
    """The drift data of one model, as read (windows are split at evaluation time)."""

    samples: pd.DataFrame | None = None  # features as columns (+ "date" when dated)
    reference: pd.DataFrame | None = None  # separate reference file, when given
    bins: pd.DataFrame | None = None  # feature, bin, reference_count, current_count, period
    files: list[str] = field(default_factory=list)
    digest: str = ""  # sha256 over the files' paths and bytes: the cache key of the evaluation


def _read(text: str, header: list[str], path: str) -> pd.DataFrame:
    try:
        frame = pd.read_csv(
            io.StringIO(text), dtype=str, keep_default_na=False, skipinitialspace=True
        )
    except pd.errors.ParserError as e:
        raise InputError(path, f"cannot parse CSV: {e}") from None
    frame.columns = header
    if frame.empty:
        raise InputError(path, "has a header but no data rows", line=2)
    # pandas pads short rows silently: count the fields of every row ourselves.
    body = text.split("\n")[1 : len(frame) + 1]
    if '"' in text:
        counts = np.fromiter((len(r) for r in csv.reader(body)), dtype=np.int64)
    else:
        counts = pd.Series(body, dtype=object).str.count(",").to_numpy() + 1
    bad = np.flatnonzero(counts != len(header))
    if bad.size:
        i = int(bad[0])
        raise InputError(
            path,
            f"expected {len(header)} fields (as in the header), found {int(counts[i])}",
            line=i + 2,
        )
    return frame.fillna("")


def _dates(column: pd.Series, path: str) -> np.ndarray:
    text = column.str.strip()
    parsed = pd.to_datetime(text, format="%Y-%m-%d", errors="coerce")
    bad = (parsed.isna() | ~text.str.fullmatch(r"\d{4}-\d{2}-\d{2}")).to_numpy()
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InputError(
            path, f"date: expected an ISO date YYYY-MM-DD, found {text.iloc[i]!r}", line=i + 2
        )
    return parsed.to_numpy(dtype="datetime64[D]")


def parse_samples_csv(raw: bytes, path: str, *, dated: bool) -> pd.DataFrame:
    """Raw feature samples: text columns as they are, numeric-looking columns as float64 with
    NaN for empty cells. ``dated`` requires a ``date`` column."""
    text = decode_csv(raw, path, MAX_BYTES)
    header = read_header(text, path, "one column per feature", what="sample CSVs")
    if dated and "date" not in header:
        raise InputError(path, "expected a 'date' column to split reference and current", line=1)
    frame = _read(text, header, path)
    out = {}
    for name in header:
        column = frame[name].str.strip()
        if name == "date":
            out[name] = _dates(column, path)
            continue
        filled = column != ""
        numbers = pd.to_numeric(column.where(filled), errors="coerce").to_numpy(dtype="float64")
        placeholder = column.str.lower().isin(_MISSING_WORDS).to_numpy()
        if placeholder.any() and bool((~np.isnan(numbers)).any()):
            i = int(np.flatnonzero(placeholder)[0])
            raise InputError(
                path,
                f"{name}: found {column.iloc[i]!r}; write a missing value as an empty cell",
                line=i + 2,
            )
        numeric_like = bool(filled.any()) and bool((~np.isnan(numbers) | ~filled.to_numpy()).all())
        if numeric_like:
            infinite = np.isinf(numbers)
            if infinite.any():
                i = int(np.flatnonzero(infinite)[0])
                raise InputError(
                    path, f"{name}: expected a finite number, found {column.iloc[i]!r}", line=i + 2
                )
            out[name] = numbers
        else:
            out[name] = column.where(filled, None).to_numpy(dtype=object)
    return pd.DataFrame(out)


def parse_bins_csv(raw: bytes, path: str) -> pd.DataFrame:
    """Pre-binned counts; raises InputError when the counts are malformed or do not add up."""
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
            + (f"missing {', '.join(missing)}" if missing else f"unexpected {extra[0]!r}"),
            line=1,
        )
    frame = _read(text, header, path)
    lines = np.arange(2, len(frame) + 2)
    out = pd.DataFrame(
        {
            "feature": frame["feature"].str.strip(),
            "bin": frame["bin"].str.strip(),
            "period": frame["period"].str.strip() if "period" in frame else "",
            "line": lines,
        }
    )
    for name in ("reference_count", "current_count"):
        column = frame[name].str.strip()
        ok = column.str.fullmatch(r"\d+").to_numpy()
        if not ok.all():
            i = int(np.flatnonzero(~ok)[0])
            raise InputError(
                path,
                f"{name}: expected a non-negative whole number, found {column.iloc[i]!r}",
                line=int(lines[i]),
            )
        out[name] = column.astype(np.int64).to_numpy()
    if "period" in frame:
        periods = out["period"]
        bad = ~periods.str.fullmatch(r"\d{4}-\d{2}-\d{2}").to_numpy()
        if not bad.any():
            bad = pd.to_datetime(periods, format="%Y-%m-%d", errors="coerce").isna().to_numpy()
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise InputError(
                path,
                f"period: expected the period's first day as YYYY-MM-DD, found {periods.iloc[i]!r}",
                line=int(lines[i]),
            )
    for name in ("feature", "bin"):
        empty = (out[name] == "").to_numpy()
        if empty.any():
            raise InputError(path, f"{name}: empty cell", line=int(lines[np.flatnonzero(empty)[0]]))
    dup = out.duplicated(["feature", "period", "bin"]).to_numpy()
    if dup.any():
        row = out.iloc[int(np.flatnonzero(dup)[0])]
        raise InputError(
            path,
            f"bin {row['bin']!r} of feature {row['feature']!r} appears twice"
            + (f" in period {row['period']!r}" if row["period"] else ""),
            line=int(row["line"]),
        )
    _check_totals(out, path)
    return out


def _check_totals(bins: pd.DataFrame, path: str) -> None:
    totals = bins.groupby(["period", "feature"], sort=True)[
        ["reference_count", "current_count"]
    ].sum()
    for period, group in totals.groupby(level=0, sort=True):
        where = f" in period {period!r}" if period else ""
        for column, label in (("reference_count", "reference"), ("current_count", "current")):
            values = group[column]
            if values.min() == 0:
                feature = values.idxmin()[1]
                raise InputError(path, f"feature {feature!r} has no {label} counts{where}")
            if values.nunique() > 1:
                parts = ", ".join(f"{f}={n}" for (_, f), n in values.items())
                raise InputError(
                    path,
                    f"{label} counts do not add up{where}: every feature must be binned from the "
                    f"same rows, but the totals differ ({parts})",
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
                f"reference counts of feature {feature!r}, bin {bin_!r} differ between periods; "
                "the reference window is the same for every period",
            )


def read_drift_inputs(source_read, folder: str, drift: Drift, doc: YamlDocument) -> DriftInputs:
    """Read the files a charter's `drift` section declares (relative to ``folder``)."""
    inputs = DriftInputs()
    digest = hashlib.sha256()

    def load(field_name: str, rel: str) -> bytes:
        path = f"{folder}/{rel}"
        if ".." in rel.split("/") or rel.startswith("/"):
            raise doc.error(
                ("drift", field_name), f"must be a path inside {folder}/, found {rel!r}"
            )
        try:
            data = source_read(path)
        except FileNotFoundError:
            raise doc.error(("drift", field_name), f"file {path} does not exist") from None
        inputs.files.append(path)
        digest.update(f"{field_name}:{path}:{len(data)}:".encode())
        digest.update(data)
        return data

    if drift.bins:
        inputs.bins = parse_bins_csv(load("bins", drift.bins), f"{folder}/{drift.bins}")
    if drift.samples:
        dated = drift.reference_samples is None
        inputs.samples = parse_samples_csv(
            load("samples", drift.samples), f"{folder}/{drift.samples}", dated=dated
        )
    if drift.reference_samples:
        inputs.reference = parse_samples_csv(
            load("reference_samples", drift.reference_samples),
            f"{folder}/{drift.reference_samples}",
            dated=False,
        )
    inputs.digest = digest.hexdigest()
    return inputs
