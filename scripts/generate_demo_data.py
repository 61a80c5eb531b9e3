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

``supply-chain-forecast`` (a metric source: ``data/supply-chain/forecasts.parquet``)
    The forecast log, one row per forecast line once its actuals are in (24 seven-day-ahead
    lines and 6 next-day lines a day, ``measured_at`` a UTC timestamp), declared as the source
    ``forecast-log`` in ``content/sources.yaml``. ``aipo collect`` turns it into the daily
    ``mape`` and ``forecast_bias`` (means of ``abs_pct_error`` and ``pct_error`` over the
    seven-day-ahead lines) and the drift bins of its feature columns. ``mape`` stays around its
    0.08 launch baseline until the distribution-network change of May 2026, then drifts up to
    about 0.30 (BREACH by threshold and by baseline drop); ``forecast_bias`` turns increasingly
    negative (under-forecasting); the demand features move with it. ``lead_time_days`` is empty
    for the week of 2026-03-09 (the supplier spreadsheet that was loaded empty). The charter's
    ``service_level`` KPI has no data at all (NO DATA). The collected files under
    ``metrics/supply-chain-forecast/`` are committed (``aipo collect --until 2026-11-20``).

The output is deterministic: every model draws from its own ``numpy.random.default_rng`` stream
seeded with a fixed seed, values are rounded to a fixed number of decimals, rows are sorted by
date, metric and segment, and files are written as UTF-8 with ``\\n`` line endings. Running the
script twice gives byte-identical files (files whose content is unchanged are not rewritten).

Usage::

    python scripts/generate_demo_data.py            # (re)write metrics/ and data/
    python scripts/generate_demo_data.py --check    # exit 1 if they are not up to date

The Parquet file is written with DuckDB and checked by its rows (not its bytes, which name the
DuckDB version that wrote them); after changing it, run ``aipo collect --until 2026-11-20 --full``.
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
# drift inputs (the three forms a charter's `drift` section can declare)
# --------------------------------------------------------------------------------------------

SUPPLY_ROWS_PER_DAY = 24
SUPPLY_NEXT_DAY_ROWS = 6  # next-day forecasts in the same log; the charter reads horizon 7 only
SUPPLY_EMPTY_LEAD_TIMES = (dt.date(2026, 3, 9), dt.date(2026, 3, 15))  # the empty spreadsheet
SUPPLY_PARQUET = "data/supply-chain/forecasts.parquet"
SUPPLY_COLUMNS = [
    "measured_at",
    "dc",
    "horizon_days",
    "abs_pct_error",
    "pct_error",
    "weekly_demand",
    "promo_share",
    "lead_time_days",
    "price_index",
    "channel",
]
SUPPLY_DCS = ["dc-north", "dc-south", "dc-east", "dc-west"]


def supply_log_rows() -> list[tuple[object, ...]]:
    """The forecast log: the drift samples' feature values with each line's forecast error,
    scattered so that each day's mean error is the day's MAPE and bias of ``supply_rows``."""
    rng = rng_for(14)
    daily = supply_rows()
    samples = supply_drift_samples()
    rows: list[tuple[object, ...]] = []
    k = SUPPLY_ROWS_PER_DAY
    for i, day in enumerate(DATES):
        mape, bias = float(daily[i][1]), float(daily[i][2])
        weights = rng.lognormal(0.0, 0.5, k)
        errors = mape * weights / weights.mean()
        noise = rng.normal(0.0, 0.03, k)
        signed = bias + noise - noise.mean()
        empty = SUPPLY_EMPTY_LEAD_TIMES[0] <= day <= SUPPLY_EMPTY_LEAD_TIMES[1]
        for j in range(k):
            _, demand, promo, lead, price, channel = samples[i * k + j]
            rows.append(
                (
                    day.isoformat(),
                    3 * 60 + 2 * j,  # minutes after midnight UTC
                    SUPPLY_DCS[j % len(SUPPLY_DCS)],
                    7,
                    round(float(errors[j]), 4),
                    round(float(signed[j]), 4),
                    float(demand),
                    float(promo),
                    None if empty else float(lead),
                    float(price),
                    channel,
                )
            )
        for j in range(SUPPLY_NEXT_DAY_ROWS):
            rows.append(
                (
                    day.isoformat(),
                    2 * 60 + 5 * j,
                    SUPPLY_DCS[j % len(SUPPLY_DCS)],
                    1,
                    round(float(mape * 0.4 * rng.lognormal(0.0, 0.3)), 4),
                    round(float(bias * 0.4 + rng.normal(0.0, 0.01)), 4),
                    round(float(rng.lognormal(4.6, 0.35)), 1),
                    round(float(rng.beta(2.0, 8.0)), 3),
                    None if empty else round(float(rng.gamma(6.0, 1.0)), 2),
                    round(float(rng.normal(1.0, 0.04)), 3),
                    str(rng.choice(["store", "online", "marketplace"], p=[0.65, 0.25, 0.10])),
                )
            )
    return rows


_LOG_SQL = (
    "SELECT CAST(day AS DATE)::TIMESTAMPTZ + to_minutes(minute) AS measured_at, dc, "
    "CAST(horizon_days AS INTEGER) AS horizon_days, abs_pct_error, pct_error, weekly_demand, "
    "promo_share, lead_time_days, price_index, channel FROM log ORDER BY measured_at, dc, "
    "horizon_days"
)


def supply_log_table():  # type: ignore[no-untyped-def]
    """A DuckDB connection holding the forecast log as the table ``log_rows``."""
    import duckdb
    import pandas as pd

    names = ["day", "minute", *SUPPLY_COLUMNS[1:]]
    log = pd.DataFrame(supply_log_rows(), columns=names)  # noqa: F841 - read by DuckDB below
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.execute(f"CREATE TABLE log_rows AS {_LOG_SQL}")
    return con


def write_supply_log(path: Path, check: bool) -> bool:
    """Write (or with ``check``, compare) the forecast log; True when it was out of date."""
    con = supply_log_table()
    if path.is_file():
        differs = con.execute(
            "SELECT count(*) FROM ((SELECT * FROM log_rows EXCEPT ALL SELECT * FROM read_parquet(?))"
            " UNION ALL (SELECT * FROM read_parquet(?) EXCEPT ALL SELECT * FROM log_rows))",
            [str(path), str(path)],
        ).fetchone()[0]
        if not differs:
            return False
    if not check:
        path.parent.mkdir(parents=True, exist_ok=True)
        con.execute(
            "COPY log_rows TO ? (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 100000)",
            [str(path)],
        )
    return True


def supply_drift_samples() -> list[tuple[str, ...]]:
    """Dated raw samples (one file, split by the charter's reference window): the demand
    features move after the May 2026 network change, matching the MAPE collapse."""
    rng = rng_for(13)
    rows: list[tuple[str, ...]] = []
    shift = saturating(REGIME_CHANGE, 45.0)
    for i, day in enumerate(DATES):
        k = SUPPLY_ROWS_PER_DAY
        s = shift[i]
        demand = rng.lognormal(mean=4.6 + 0.30 * s, sigma=0.35 + 0.15 * s, size=k)
        promo = rng.beta(2.0 + 1.0 * s, 8.0, size=k)
        lead = rng.gamma(shape=6.0 + 3.0 * s, scale=1.0 + 0.25 * s, size=k)
        price = rng.normal(1.0, 0.04, size=k)
        online = 0.25 + 0.20 * s
        channel = rng.choice(
            ["store", "online", "marketplace"], size=k, p=[0.65 - 0.15 * s, online, 0.10 - 0.05 * s]
        )
        for j in range(k):
            rows.append(
                (
                    day.isoformat(),
                    fmt(demand[j], 1),
                    fmt(promo[j], 3),
                    fmt(lead[j], 2),
                    fmt(price[j], 3),
                    str(channel[j]),
                )
            )
    return rows


def churn_drift_samples() -> tuple[list[tuple[str, ...]], list[tuple[str, ...]]]:
    """Two undated files (reference at launch, current month): mild drift in spend and plan mix
    after the June tariff change."""
    rng = rng_for(12)

    def draw(n: int, tariff: float) -> list[tuple[str, ...]]:
        tenure = rng.gamma(2.0, 14.0, size=n)
        spend = rng.lognormal(3.4 + 0.17 * tariff, 0.45, size=n)
        calls = rng.poisson(1.1, size=n)
        plan = rng.choice(
            ["basic", "plus", "premium"],
            size=n,
            p=[0.5 - 0.08 * tariff, 0.35 + 0.05 * tariff, 0.15 + 0.03 * tariff],
        )
        return [
            (fmt(tenure[j], 1), fmt(spend[j], 2), str(int(calls[j])), str(plan[j]))
            for j in range(n)
        ]

    return draw(5000, 0.0), draw(5000, 1.0)


FRAUD_BIN_WEEKS = 12
FRAUD_BINS: dict[str, list[tuple[str, float]]] = {
    "amount_band": [("<10", 0.22), ("10-50", 0.38), ("50-200", 0.27), ("200-1000", 0.11), (">1000", 0.02)],
    "merchant_category": [("grocery", 0.31), ("travel", 0.09), ("electronics", 0.12), ("fashion", 0.18), ("digital", 0.17), ("other", 0.13)],
    "hour_band": [("00-06", 0.06), ("06-12", 0.31), ("12-18", 0.38), ("18-24", 0.25)],
    "device_age_band": [("<7d", 0.08), ("7-90d", 0.27), (">90d", 0.65)],
}  # fmt: skip
FRAUD_REFERENCE_ROWS = 400_000
FRAUD_WEEKLY_ROWS = 50_000


def fraud_drift_bins() -> list[tuple[str, ...]]:
    """Pre-binned weekly counts (the portal never sees the raw transactions): stable inputs."""
    rng = rng_for(11)
    last_monday = AS_OF - dt.timedelta(days=AS_OF.weekday())
    weeks = [last_monday - dt.timedelta(weeks=w) for w in range(FRAUD_BIN_WEEKS - 1, -1, -1)]
    reference = {
        feature: rng.multinomial(FRAUD_REFERENCE_ROWS, [p for _, p in bins])
        for feature, bins in FRAUD_BINS.items()
    }
    rows: list[tuple[str, ...]] = []
    for week in weeks:
        for feature, bins in FRAUD_BINS.items():
            probs = np.array([p for _, p in bins]) * np.exp(rng.normal(0.0, 0.03, len(bins)))
            current = rng.multinomial(FRAUD_WEEKLY_ROWS, probs / probs.sum())
            for (label, _), ref, cur in zip(bins, reference[feature], current, strict=True):
                rows.append((week.isoformat(), feature, label, str(int(ref)), str(int(cur))))
    return rows


# --------------------------------------------------------------------------------------------
# output
# --------------------------------------------------------------------------------------------


SORT_COLUMNS = ("date", "metric", "segment", "period", "feature")


def to_csv(
    header: Sequence[str], rows: Iterable[Sequence[str]], *, keep_order: bool = False
) -> str:
    """CSV text: header, rows sorted by date then metric then segment, ``\\n`` line endings.

    Values never contain commas, quotes or newlines, so no quoting is needed.
    """
    key_columns = [header.index(c) for c in SORT_COLUMNS if c in header]
    ordered = (
        list(rows)
        if keep_order
        else sorted(rows, key=lambda row: tuple(row[i] for i in key_columns))
    )
    lines = [",".join(header), *(",".join(row) for row in ordered)]
    return "\n".join(lines) + "\n"


def build() -> dict[str, str]:
    """Every demo CSV: path relative to the repository root -> file content."""
    churn_kpis, churn_campaign = churn_rows()
    churn_reference, churn_current = churn_drift_samples()
    churn_header = ["tenure_months", "monthly_spend", "support_calls", "plan"]
    return {
        "metrics/customer-churn/drift/reference.csv": to_csv(
            churn_header, churn_reference, keep_order=True
        ),
        "metrics/customer-churn/drift/current.csv": to_csv(
            churn_header, churn_current, keep_order=True
        ),
        "metrics/fraud-prevention/drift/bins.csv": to_csv(
            ["period", "feature", "bin", "reference_count", "current_count"],
            fraud_drift_bins(),
            keep_order=True,
        ),
        "metrics/fraud-prevention/kpis.csv": to_csv(
            ["date", "metric", "value", "segment"], fraud_rows()
        ),
        "metrics/customer-churn/kpis.csv": to_csv(["date", "metric", "value"], churn_kpis),
        "metrics/customer-churn/campaign.csv": to_csv(["date", "metric", "value"], churn_campaign),
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
    if write_supply_log(args.root / SUPPLY_PARQUET, args.check):
        stale.append(SUPPLY_PARQUET)
        if not args.check:
            print(f"wrote {SUPPLY_PARQUET}")
    if args.check:
        for rel in stale:
            print(f"out of date: {rel}", file=sys.stderr)
        return 1 if stale else 0
    if not stale:
        print("metrics/ is up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
