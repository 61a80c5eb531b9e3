"""Generate the demo portal's metric CSVs under ``metrics/<model-id>/``.

The demo portal tells the audit story of the design brief: three models shipped by three teams,
evaluated "as of" 2026-11-20. This script writes one year of daily KPI values per model
(2025-11-21 to 2026-11-20) with realistic noise, weekly seasonality and the trends the audit
found:

``fraud-prevention`` (long form, with a ``segment`` column)
    ``recall`` stable and healthy; ``precision`` slipping over the last six weeks into WARN
    (policy: warn 0.70, breach 0.60); ``false_positive_rate`` healthy overall, with per-age-band
    rows in which the ``65+`` band is declined about twice as often as the others (a fairness
    gap); ``expected_calibration_error`` rising slowly between monthly retrainings.

``customer-churn`` (long form, two files)
    ``kpis.csv``: ``auc`` healthy, ``lift_top_decile`` declining since the June tariff change into
    WARN (charter: warn 3.0, breach 2.5). ``campaign.csv``: weekly ``campaign_uplift`` that stops on
    2026-10-21, when the CRM migration broke the export, so the KPI is STALE (freshness 14 days).

``supply-chain-forecast`` (wide form: ``date,mape,forecast_bias``)
    ``mape`` around its 0.08 launch baseline until the distribution-network change of May 2026,
    then drifting up to about 0.30 (BREACH by threshold and by baseline drop); ``forecast_bias``
    turning increasingly negative (under-forecasting). The charter's ``service_level`` KPI has
    no data at all (NO DATA).

The output is deterministic: every model draws from its own ``numpy.random.default_rng`` stream
seeded with a fixed seed, values are rounded to a fixed number of decimals, rows are sorted by
date, metric and segment, and files are written as UTF-8 with ``\\n`` line endings. Running the
script twice gives byte-identical files (files whose content is unchanged are not rewritten).

Usage::

    python scripts/generate_demo_data.py            # (re)write metrics/
    python scripts/generate_demo_data.py --check    # exit 1 if metrics/ is not up to date
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

SEED = 20261120
START = dt.date(2025, 11, 21)
AS_OF = dt.date(2026, 11, 20)
REPO_ROOT = Path(__file__).resolve().parent.parent

DATES: list[dt.date] = [START + dt.timedelta(days=i) for i in range((AS_OF - START).days + 1)]
N = len(DATES)
T = np.arange(N, dtype=float)  # day index, 0 = START, N - 1 = AS_OF
WEEKDAY = np.array([d.weekday() for d in DATES])  # Monday = 0 ... Sunday = 6
WEEKEND = (WEEKDAY >= 5).astype(float)


def day_index(day: dt.date) -> int:
    """Index of ``day`` in DATES."""
    return (day - START).days


def rng_for(stream: int) -> np.random.Generator:
    """An independent random stream per model, so changing one model leaves the others alone."""
    return np.random.default_rng([SEED, stream])


def ramp(start: dt.date, end: dt.date) -> np.ndarray:
    """0 before ``start``, rising linearly to 1 at ``end`` and staying there."""
    a, b = day_index(start), day_index(end)
    return np.clip((T - a) / (b - a), 0.0, 1.0)


def saturating(start: dt.date, scale_days: float) -> np.ndarray:
    """0 before ``start``, then 1 - exp(-days / scale_days): fast drift that levels off."""
    days = np.clip(T - day_index(start), 0.0, None)
    return 1.0 - np.exp(-days / scale_days)


def bump(centre: dt.date, width_days: float) -> np.ndarray:
    """A Gaussian bump of height 1 around ``centre`` (e.g. the Christmas peak)."""
    return np.exp(-0.5 * ((T - day_index(centre)) / width_days) ** 2)


def fmt(value: float, decimals: int) -> str:
    """Fixed-decimal text for a finite number; never writes ``-0.000``."""
    if not np.isfinite(value):
        raise ValueError(f"non-finite value {value!r}")
    return f"{round(float(value), decimals) + 0.0:.{decimals}f}"


# --------------------------------------------------------------------------------------------
# fraud-prevention
# --------------------------------------------------------------------------------------------

# Age bands: share of genuine payments and the band's typical false positive rate. The 65+ band
# is declined about twice as often as the others: the fairness gap in the charter's risk list.
FRAUD_SEGMENTS: dict[str, tuple[float, float]] = {
    "18-25": (0.14, 0.0075),
    "26-40": (0.36, 0.0062),
    "41-65": (0.36, 0.0066),
    "65+": (0.14, 0.0118),
}
# Monthly retrainings (the last one matches the charter's retraining.last_retrained).
FRAUD_RETRAININGS = [
    dt.date(2025, 11, 14),
    dt.date(2025, 12, 12),
    dt.date(2026, 1, 16),
    dt.date(2026, 2, 13),
    dt.date(2026, 3, 13),
    dt.date(2026, 4, 17),
    dt.date(2026, 5, 15),
    dt.date(2026, 6, 12),
    dt.date(2026, 7, 17),
    dt.date(2026, 8, 14),
    dt.date(2026, 9, 18),
    dt.date(2026, 10, 30),
]


def fraud_rows() -> list[tuple[str, str, str, str]]:
    """Long-form rows (date, metric, value, segment) for fraud-prevention."""
    rng = rng_for(1)
    christmas = bump(dt.date(2025, 12, 20), 8.0)
    # The slip of the last six weeks: a new card-testing pattern after the October scheme update.
    slip = ramp(dt.date(2026, 10, 9), AS_OF)

    recall = 0.876 + 0.004 * WEEKEND - 0.006 * christmas + rng.normal(0.0, 0.010, N)
    precision = (
        0.725 - 0.012 * WEEKEND + 0.010 * christmas - 0.052 * slip + rng.normal(0.0, 0.015, N)
    )
    # Calibration error creeps up between retrainings and resets at each one.
    last_retrain = np.array(
        [max(day_index(r) for r in FRAUD_RETRAININGS if day_index(r) <= i) for i in range(N)]
    )
    ece = 0.018 + 0.0002 * (T - last_retrain) + rng.normal(0.0, 0.0025, N)
    ece = np.clip(ece, 0.005, None)

    segment_fpr: dict[str, np.ndarray] = {}
    for band, (_share, level) in FRAUD_SEGMENTS.items():
        noise_sd = 0.12 if band in ("18-25", "65+") else 0.07  # small bands are noisier
        segment_fpr[band] = (
            level * (1.0 + 0.05 * WEEKEND + 0.06 * slip) * np.exp(rng.normal(0.0, noise_sd, N))
        )
    overall_fpr = sum(share * segment_fpr[b] for b, (share, _) in FRAUD_SEGMENTS.items())

    rows: list[tuple[str, str, str, str]] = []
    for i, day in enumerate(DATES):
        d = day.isoformat()
        rows.append((d, "recall", fmt(recall[i], 4), ""))
        rows.append((d, "precision", fmt(precision[i], 4), ""))
        rows.append((d, "expected_calibration_error", fmt(ece[i], 4), ""))
        rows.append((d, "false_positive_rate", fmt(overall_fpr[i], 5), ""))
        for band in FRAUD_SEGMENTS:
            rows.append((d, "false_positive_rate", fmt(segment_fpr[band][i], 5), band))
    return rows


# --------------------------------------------------------------------------------------------
# customer-churn
# --------------------------------------------------------------------------------------------

CAMPAIGN_LAST_EXPORT = dt.date(2026, 10, 21)  # the CRM migration of 2026-10-24 broke the export


def churn_rows() -> tuple[list[tuple[str, str, str]], list[tuple[str, str, str]]]:
    """Long-form rows (date, metric, value): daily model KPIs and weekly campaign uplift."""
    rng = rng_for(2)
    # Ranking quality erodes slowly; the summer tariff change hurts the top decile most.
    tariff_change = ramp(dt.date(2026, 6, 15), AS_OF)
    auc = 0.815 - 0.009 * (T / (N - 1)) - 0.002 * WEEKEND + rng.normal(0.0, 0.005, N)
    lift = 3.15 - 0.28 * tariff_change - 0.03 * WEEKEND + rng.normal(0.0, 0.06, N)

    kpis: list[tuple[str, str, str]] = []
    for i, day in enumerate(DATES):
        d = day.isoformat()
        kpis.append((d, "auc", fmt(auc[i], 4)))
        kpis.append((d, "lift_top_decile", fmt(lift[i], 3)))

    # Weekly (Wednesday) campaign read-outs, until the export stopped.
    weeks = [d for d in DATES if d.weekday() == 2 and d <= CAMPAIGN_LAST_EXPORT]
    autumn = np.array([min(max((d - dt.date(2026, 8, 1)).days / 80, 0.0), 1.0) for d in weeks])
    uplift = 2.3 - 0.15 * autumn + rng.normal(0.0, 0.3, len(weeks))
    campaign = [
        (d.isoformat(), "campaign_uplift", fmt(u, 2)) for d, u in zip(weeks, uplift, strict=True)
    ]
    return kpis, campaign


# --------------------------------------------------------------------------------------------
# supply-chain-forecast
# --------------------------------------------------------------------------------------------

REGIME_CHANGE = dt.date(2026, 5, 4)  # new distribution-centre network goes live


def supply_rows() -> list[tuple[str, str, str]]:
    """Wide-form rows (date, mape, forecast_bias) for supply-chain-forecast."""
    rng = rng_for(3)
    # Weekends and Mondays are harder to forecast (low volume, weekend backlog).
    dow_effect = np.array([0.006, 0.0, 0.0, 0.0, 0.002, 0.010, 0.012])[WEEKDAY]
    christmas = bump(dt.date(2025, 12, 22), 7.0)
    drift = saturating(REGIME_CHANGE, 75.0)

    level = 0.082 + 0.020 * christmas + 0.245 * drift
    mape = (level + dow_effect) * np.exp(rng.normal(0.0, 0.06, N))
    bias = 0.010 - 0.150 * drift + 0.015 * christmas + rng.normal(0.0, 0.012, N)

    return [(day.isoformat(), fmt(mape[i], 4), fmt(bias[i], 4)) for i, day in enumerate(DATES)]


# --------------------------------------------------------------------------------------------
# output
# --------------------------------------------------------------------------------------------


SORT_COLUMNS = ("date", "metric", "segment")


def to_csv(header: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    """CSV text: header, rows sorted by date then metric then segment, ``\\n`` line endings.

    Values never contain commas, quotes or newlines, so no quoting is needed.
    """
    key_columns = [header.index(c) for c in SORT_COLUMNS if c in header]
    ordered = sorted(rows, key=lambda row: tuple(row[i] for i in key_columns))
    lines = [",".join(header), *(",".join(row) for row in ordered)]
    return "\n".join(lines) + "\n"


def build() -> dict[str, str]:
    """Every demo CSV: path relative to the repository root -> file content."""
    churn_kpis, churn_campaign = churn_rows()
    return {
        "metrics/fraud-prevention/kpis.csv": to_csv(
            ["date", "metric", "value", "segment"], fraud_rows()
        ),
        "metrics/customer-churn/kpis.csv": to_csv(["date", "metric", "value"], churn_kpis),
        "metrics/customer-churn/campaign.csv": to_csv(["date", "metric", "value"], churn_campaign),
        "metrics/supply-chain-forecast/kpis.csv": to_csv(
            ["date", "mape", "forecast_bias"], supply_rows()
        ),
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--root",
        type=Path,
        default=REPO_ROOT,
        help="repository root to write metrics/ under (default: this repository)",
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="write nothing; exit 1 if any file is missing or differs",
    )
    args = parser.parse_args(argv)

    stale: list[str] = []
    for rel, text in build().items():
        path = args.root / rel
        data = text.encode("utf-8")
        if path.is_file() and path.read_bytes() == data:
            continue
        stale.append(rel)
        if not args.check:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
            print(f"wrote {rel}")
    if args.check:
        for rel in stale:
            print(f"out of date: {rel}", file=sys.stderr)
        return 1 if stale else 0
    if not stale:
        print("metrics/ is up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
