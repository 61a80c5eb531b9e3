"""Drift evaluation: windows, tiers, share, over time, cannot-evaluate findings, caching."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pytest

from aipo_site.cli import main
from aipo_site.errors import InputError
from aipo_site.evaluate import drift as drift_eval
from aipo_site.evaluate import drift_methods as dm
from aipo_site.evaluate import evaluate_repository
from aipo_site.load.drift import parse_bins_csv, parse_samples_csv
from aipo_site.load.repository import load_repository
from aipo_site.load.source import WorkingTree
from aipo_site.model.results import Level, Status
from aipo_site.pipeline import PortalOptions, build_portal
from aipo_site.render.charts import drift_time_spec
from tests.conftest import AS_OF, MINI_CHARTER, daily_csv

D = dt.date


def samples_csv(shift_from: dt.date, shift: float, days: int = 200, per_day: int = 20) -> str:
    rng = np.random.default_rng(7)
    rows = ["date,amount,channel"]
    start = AS_OF - dt.timedelta(days=days - 1)
    for i in range(days):
        day = start + dt.timedelta(days=i)
        moved = day >= shift_from
        amounts = rng.normal(100 + (shift if moved else 0), 10, per_day)
        online = 0.6 if moved and shift else 0.3
        channels = rng.choice(["store", "online"], per_day, p=[1 - online, online])
        rows += [f"{day},{a:.2f},{c}" for a, c in zip(amounts, channels, strict=True)]
    return "\n".join(rows) + "\n"


DRIFT = """drift:
  samples: drift/samples.csv
  reference: {start: 2026-05-05, end: 2026-07-31}
  current_days: 28
  period: month
  features:
    - {name: amount, importance: 2}
    - {name: channel}
"""


def drift_repo(mini_repo, drift=DRIFT, files=None, name="repo"):
    files = (
        files
        if files is not None
        else {"m1/drift/samples.csv": samples_csv(dt.date(2026, 9, 1), 15)}
    )
    charter = MINI_CHARTER.format(id="m1", name="x") + drift
    return mini_repo(
        charters={"m1": charter}, metrics={"m1/kpis.csv": daily_csv([0.9] * 30), **files}, name=name
    )


def evaluate(mini_repo, drift=DRIFT, files=None, name="repo"):
    root = drift_repo(mini_repo, drift, files, name)
    return evaluate_repository(load_repository(WorkingTree(root)), AS_OF).models[0]


def test_shifted_inputs_breach_and_feed_the_model_status(mini_repo):
    m = evaluate(mini_repo)
    d = m.drift
    by_name = {f.name: f for f in d.features}
    assert by_name["amount"].status is Status.BREACH
    assert by_name["amount"].method == "ks"  # 560 current rows: small sample -> KS p-value
    assert by_name["channel"].kind == "categorical" and by_name["channel"].status is Status.BREACH
    assert d.share == pytest.approx(1.0) and d.share_status is Status.BREACH
    assert m.status is Level.BREACH
    assert m.performance.answer == "no"
    assert "100% of the inputs have drifted from the reference data" in m.performance.sentence
    assert "median" in by_name["amount"].reading
    assert by_name["amount"].histogram is not None and len(by_name["amount"].histogram.labels) == 10


def test_no_shift_is_ok_and_says_so(mini_repo):
    m = evaluate(mini_repo, files={"m1/drift/samples.csv": samples_csv(dt.date(2026, 9, 1), 0)})
    assert {f.status for f in m.drift.features} == {Status.OK}
    assert m.drift.share == 0.0 and m.status is Level.OK
    assert m.drift.summary.startswith("Neither inputs nor outcomes moved")


def test_drift_over_time_per_month(mini_repo):
    d = evaluate(mini_repo).drift
    months = [p for p, _ in d.share_over_time]
    assert months[0] == dt.date(2026, 8, 1) and months[-1] == dt.date(2026, 11, 1)
    shares = dict(d.share_over_time)
    assert shares[dt.date(2026, 8, 1)] == 0.0 and shares[dt.date(2026, 10, 1)] == 1.0
    assert {p.feature for p in d.over_time} == {"amount", "channel"}


def test_a_declared_feature_missing_from_the_samples_is_an_input_error(mini_repo):
    # Once "cannot evaluate" (NO DATA) while the share was computed over the other features: a
    # misspelt name silently changed the dataset drift share. Now the load refuses it.
    drift = DRIFT.replace("    - {name: channel}\n", "    - {name: channel}\n    - {name: amout}\n")
    with pytest.raises(InputError) as info:
        evaluate(mini_repo, drift=drift)
    err = info.value
    assert (err.path, err.line) == ("metrics/m1/drift/samples.csv", 1)
    assert err.message == (
        "declared feature 'amout' (charter drift.features[2]) is not a column; "
        "did you mean 'amount'?"
    )


def test_a_missing_feature_without_a_close_name_lists_the_columns(mini_repo):
    drift = DRIFT.replace("    - {name: channel}\n", "    - {name: channel}\n    - {name: zzz}\n")
    with pytest.raises(InputError, match=r"is not a column; the columns are 'amount', 'channel'$"):
        evaluate(mini_repo, drift=drift)


def test_a_declared_feature_missing_from_the_reference_file_is_an_input_error(mini_repo):
    drift = """drift:
  reference_samples: drift/ref.csv
  samples: drift/cur.csv
  features:
    - {name: plan}
"""
    files = {"m1/drift/ref.csv": "plans\nbasic\n", "m1/drift/cur.csv": "plan\nbasic\n"}
    with pytest.raises(InputError) as info:
        evaluate(mini_repo, drift=drift, files=files)
    assert str(info.value) == (
        "metrics/m1/drift/ref.csv:1: declared feature 'plan' (charter drift.features[0]) is "
        "not a column; did you mean 'plans'?"
    )


def test_a_declared_feature_missing_from_the_bins_is_an_input_error(mini_repo):
    drift = "drift:\n  bins: drift/bins.csv\n  features:\n    - {name: age}\n    - {name: sise}\n"
    bins = BINS + "".join(f"2026-11-{d:02d},size,{b},500,50\n" for d in (2, 9, 16) for b in "sl")
    with pytest.raises(InputError) as info:
        evaluate(mini_repo, drift=drift, files={"m1/drift/bins.csv": bins})
    assert info.value.path == "metrics/m1/drift/bins.csv"
    assert "declared feature 'sise' (charter drift.features[1]) has no rows in this file" in str(
        info.value
    )
    assert "did you mean 'size'?" in info.value.message


def test_empty_window_cannot_be_evaluated(mini_repo):
    drift = DRIFT.replace("2026-05-05, end: 2026-07-31", "2020-01-01, end: 2020-02-01")
    m = evaluate(mini_repo, drift=drift)
    assert {f.status for f in m.drift.features} == {Status.NO_DATA}
    assert "has no rows" in m.drift.features[0].reading
    assert m.drift.share is None and m.drift.level is Level.WARN
    assert m.performance.answer == "at risk"
    assert m.performance.sentence == "Cannot tell whether the inputs have drifted."


def test_all_missing_values_cannot_be_evaluated(mini_repo):
    text = samples_csv(dt.date(2026, 9, 1), 15).replace(",store", ",").replace(",online", ",")
    d = evaluate(mini_repo, files={"m1/drift/samples.csv": text}).drift
    channel = next(f for f in d.features if f.name == "channel")
    assert channel.status is Status.NO_DATA and channel.reading.startswith("cannot evaluate:")


def test_two_files_and_unseen_categories(mini_repo):
    drift = """drift:
  reference_samples: drift/ref.csv
  samples: drift/cur.csv
  features:
    - {name: plan, kind: categorical, method: psi}
"""
    ref = "plan\n" + "basic\n" * 500 + "plus\n" * 500
    cur = "plan\n" + "basic\n" * 400 + "plus\n" * 400 + "gold\n" * 200
    d = evaluate(
        mini_repo, drift=drift, files={"m1/drift/ref.csv": ref, "m1/drift/cur.csv": cur}
    ).drift
    (plan,) = d.features
    assert plan.status is Status.BREACH
    assert "new categories not in the reference: gold" in plan.reading
    assert d.over_time == []  # no dates, no drift over time


BINS = """period,feature,bin,reference_count,current_count
2026-11-02,age,young,500,50
2026-11-02,age,old,500,50
2026-11-09,age,young,500,90
2026-11-09,age,old,500,10
2026-11-16,age,young,500,95
2026-11-16,age,old,500,5
"""


def test_prebinned_counts_per_period(mini_repo):
    drift = """drift:
  bins: drift/bins.csv
  current_days: 14
  features:
    - {name: age, method: psi}
"""
    d = evaluate(mini_repo, drift=drift, files={"m1/drift/bins.csv": BINS}).drift
    (age,) = d.features
    # current window = the last two weekly periods: 185 young vs 15 old against 50/50
    expected = (0.925 - 0.5) * np.log(0.925 / 0.5) + (0.075 - 0.5) * np.log(0.075 / 0.5)
    assert age.value == pytest.approx(expected)
    assert [p for p, _ in d.share_over_time] == [dt.date(2026, 11, d) for d in (2, 9, 16)]
    # The label says which days the window holds: the periods that start in the last 14 days
    # (2026-11-07 to 2026-11-20), the last one cut at the evaluation date.
    assert d.current_label == (
        "2026-11-09 to 2026-11-20 (2 weekly periods starting in the last 14 days)"
    )
    assert d.reference_label == "reference counts"


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        (BINS.replace("500,90", "400,90"), "differ between periods"),
        (BINS.replace("young,500,95", "young,500,-5"), "non-negative whole number"),
        (BINS + "2026-11-16,size,s,1000,50\n", "do not add up"),
        (BINS.replace("2026-11-02,age,old", "2026-11-02,age,young"), "appears twice"),
        ("feature,bin,reference_count\n", "missing current_count"),
    ],
)
def test_bad_bins_files_are_errors(mini_repo, text, needle):
    drift = "drift:\n  bins: drift/bins.csv\n  features:\n    - {name: age}\n"
    with pytest.raises(InputError, match=needle):
        evaluate(mini_repo, drift=drift, files={"m1/drift/bins.csv": text})


def test_declared_file_must_exist(mini_repo):
    with pytest.raises(InputError, match=r"metrics/m1/drift/samples\.csv does not exist") as info:
        evaluate(mini_repo, files={})
    assert info.value.field == "drift.samples"


def test_charter_drift_section_is_validated(mini_repo):
    with pytest.raises(InputError, match="needs a `reference` window"):
        evaluate(mini_repo, drift="drift:\n  samples: s.csv\n  features: [{name: a}]\n")


def test_results_are_cached_by_content(mini_repo, monkeypatch):
    calls = []
    real = drift_eval._evaluate

    def counting(*args):
        calls.append(1)
        return real(*args)

    monkeypatch.setattr(drift_eval, "_evaluate", counting)
    drift_eval._CACHE.clear()
    evaluate(mini_repo, name="a")
    evaluate(mini_repo, name="b")  # same bytes, same settings: served from the cache
    assert len(calls) == 1
    evaluate(
        mini_repo, files={"m1/drift/samples.csv": samples_csv(dt.date(2026, 9, 1), 1)}, name="c"
    )
    assert len(calls) == 2


def test_demo_drift_story(repo_root):
    portfolio = evaluate_repository(load_repository(WorkingTree(repo_root)), AS_OF)
    supply = portfolio.model("supply-chain-forecast").drift
    assert supply.share_status is Status.BREACH
    assert supply.summary.startswith("Inputs moved and outcomes moved")
    assert portfolio.model("customer-churn").drift.share_status is Status.WARN
    assert portfolio.model("fraud-prevention").drift.share_status is Status.OK


@pytest.mark.parametrize(
    ("feature", "needle"),
    [
        (
            "{name: amount, method: ks, tiers: {warn: 0.01, breach: 0.05}}",
            "need 0 < breach <= warn",
        ),
        ("{name: amount, method: psi, tiers: {warn: 0.3, breach: 0.1}}", "need warn <= breach"),
        ("{name: amount, tiers: {warn: 0.1, breach: 0.2}}", "tiers need an explicit method"),
    ],
)
def test_tiers_in_the_wrong_order_are_input_errors(mini_repo, feature, needle):
    drift = DRIFT.replace("    - {name: amount, importance: 2}", f"    - {feature}")
    with pytest.raises(InputError, match=needle):
        evaluate(mini_repo, drift=drift)


def test_share_tiers_order(mini_repo):
    drift = DRIFT + "  share: {warn: 0.5, breach: 0.25}\n"
    with pytest.raises(InputError, match="share tiers need warn <= breach"):
        evaluate(mini_repo, drift=drift)


def test_nan_text_in_a_numeric_column_is_an_error(mini_repo):
    lines = samples_csv(dt.date(2026, 9, 1), 0).split("\n")
    row = next(i for i, line in enumerate(lines) if line.startswith("2026-10-01"))
    lines[row] = "2026-10-01,NaN,store"
    with pytest.raises(InputError, match="write a missing value as an empty cell") as info:
        evaluate(mini_repo, files={"m1/drift/samples.csv": "\n".join(lines)})
    assert info.value.line == row + 1


def test_answer_names_drifted_features_by_severity_and_weight(mini_repo):
    # "ghost" is a column whose cells are all empty: it cannot be evaluated, and the answer says so.
    text = (
        samples_csv(dt.date(2026, 9, 1), 15)
        .replace("\n", ",\n")
        .replace("channel,", "channel,ghost", 1)
    )
    drift = DRIFT.replace("    - {name: channel}\n", "    - {name: channel}\n    - {name: ghost}\n")
    m = evaluate(mini_repo, drift=drift, files={"m1/drift/samples.csv": text})
    sentence = m.performance.sentence
    assert (
        "100% of the inputs have drifted from the reference data (amount and channel)" in sentence
    )
    assert "cannot tell whether ghost drifted" in sentence
    assert "ks" not in sentence.split() and "p =" not in sentence  # no method, no p-value


# --- the drift input readers (loader) ---------------------------------------------------------


def samples_error(text: str | bytes, dated: bool = True) -> InputError:
    raw = text.encode() if isinstance(text, str) else text
    with pytest.raises(InputError) as info:
        parse_samples_csv(raw, "s.csv", dated=dated)
    return info.value


def bins_error(text: str | bytes) -> InputError:
    raw = text.encode() if isinstance(text, str) else text
    with pytest.raises(InputError) as info:
        parse_bins_csv(raw, "b.csv")
    return info.value


def test_samples_accept_quoted_cells_with_newlines_and_blank_lines():
    text = 'date,amount,channel\n2026-01-01,1.5,"store\n\nnorth"\n2026-01-02,2,"a, b"\n'
    frame = parse_samples_csv(text.encode(), "s.csv", dated=True)
    assert frame["channel"].tolist() == ["store\n\nnorth", "a, b"]
    assert frame["amount"].tolist() == [1.5, 2.0]


@pytest.mark.parametrize(
    ("text", "line", "needle"),
    [
        ('date,amount,channel\n2026-01-01,1,"s\n\nn"\n2026-01-02,inf,x\n', 5, "finite number"),
        ('date,amount,channel\n2026-01-01,1,"s\n\nn"\n2026-02-30,1,x\n', 5, "ISO date"),
        ('date,amount,channel\n2026-01-01,1,"s\n\nn"\n2026-01-02,NaN,x\n', 5, "empty cell"),
        ('date,amount,channel\n2026-01-01,1,"s\n\nn"\n2026-01-02,1\n', 5, "expected 3 fields"),
        ('date,amount,channel\n2026-01-01,1,"s\n\nn"\n\n2026-01-02,1,x\n', 5, "empty line"),
        ("date,amount,channel\n2026-01-01,1,x\n\n2026-01-02,1,x\n", 3, "empty line"),
    ],
)
def test_samples_errors_after_multiline_cells_have_the_physical_line(text, line, needle):
    err = samples_error(text)
    assert err.line == line
    assert needle in err.message


def test_samples_crlf_works_and_cr_only_is_refused():
    frame = parse_samples_csv(b"date,a\r\n2026-01-01,1\r\n", "s.csv", dated=True)
    assert frame["a"].tolist() == [1.0]
    err = samples_error(b"date,a\r2026-01-01,1\r")
    assert err.message == "uses CR-only line endings; save it with LF or CRLF line endings"


def test_one_column_samples_read_an_empty_line_as_a_missing_value():
    frame = parse_samples_csv(b"a\n1\n\n2\n", "s.csv", dated=False)
    assert np.isnan(frame["a"].to_numpy()[1]) and len(frame) == 3


@pytest.mark.parametrize(
    ("char", "name"),
    [
        ("\x00", "U+0000 (NUL)"),
        ("\x1b", "U+001B (ESC)"),
        ("\u202e", "U+202E"),
        ("\ufffe", "U+FFFE"),
    ],
)
def test_samples_refuse_forbidden_characters_with_their_line(char, name):
    err = samples_error(f"date,a\n2026-01-01,x\n2026-01-02,y{char}\n")
    assert err.line == 3 and name in err.message


def test_samples_column_names_are_capped():
    err = samples_error("date," + "f" * 201 + "\n2026-01-01,1\n")
    assert err.line == 1 and "column name 'fff" in err.message and "limit is 200" in err.message


def test_huge_sample_numbers_are_refused_with_their_line():
    err = samples_error("date,a\n2026-01-01,1\n2026-01-02," + "9" * 400 + "\n")
    assert err.line == 3 and "a: expected a finite number" in err.message


BIN_HEAD = "feature,bin,reference_count,current_count\n"


def test_bins_counts_too_large_for_int64_are_an_error_not_an_overflow():
    err = bins_error(BIN_HEAD + "age,young,1,1\nage,old,99999999999999999999999,1\n")
    assert err.line == 3
    assert err.message == (
        "reference_count: count too large, found '99999999999999999999999'; the limit is "
        "1,000,000,000,000,000 (10^15)"
    )


def test_bins_counts_above_the_cap_are_refused_and_the_cap_itself_is_fine():
    frame = parse_bins_csv((BIN_HEAD + "age,a,1000000000000000,1\n").encode(), "b.csv")
    assert frame["reference_count"].tolist() == [10**15]
    err = bins_error(BIN_HEAD + "age,a,1,1000000000000001\n")
    assert err.line == 2 and "current_count: count too large" in err.message
    # Leading zeros do not make a count large.
    frame = parse_bins_csv((BIN_HEAD + "age,a,1," + "0" * 30 + "7\n").encode(), "b.csv")
    assert frame["current_count"].tolist() == [7]


def test_bins_totals_that_int64_cannot_add_exactly_are_refused():
    rows = "".join(f"age,b{i},1000000000000000,1\n" for i in range(10))
    err = bins_error(BIN_HEAD + rows)
    assert err.message == (
        "reference_count: the counts add up to more than 9,007,199,254,740,992, more than "
        "aipo can add exactly"
    )


def test_bins_accept_quoted_labels_with_newlines_and_report_later_lines():
    text = BIN_HEAD + 'age,"young\n\nadult",5,5\nage,old,5,x\n'
    err = bins_error(text)
    assert err.line == 5 and "current_count: expected a non-negative whole number" in err.message
    frame = parse_bins_csv(text.replace(",x\n", ",5\n").encode(), "b.csv")
    assert frame["bin"].tolist() == ["young\n\nadult", "old"]
    assert frame["line"].tolist() == [2, 5]


def test_bins_labels_and_feature_names_are_capped():
    err = bins_error(BIN_HEAD + "age,a,1,1\nage," + "b" * 201 + ",1,1\n")
    assert err.line == 3 and "bin label 'bbb" in err.message and "limit is 200" in err.message
    err = bins_error(BIN_HEAD + "f" * 201 + ",a,1,1\n")
    assert err.line == 2 and err.message.startswith("feature name 'fff")


def test_bins_unicode_digits_are_not_counts():
    err = bins_error(BIN_HEAD + "age,a,\u0661,1\n")
    assert err.line == 2 and "non-negative whole number" in err.message


def test_a_drift_path_that_is_a_folder_is_an_error(mini_repo):
    charter = MINI_CHARTER.format(id="m1", name="x") + DRIFT
    root = mini_repo(charters={"m1": charter})
    (root / "metrics" / "m1" / "drift" / "samples.csv").mkdir(parents=True)
    with pytest.raises(InputError) as info:
        load_repository(WorkingTree(root))
    assert str(info.value) == "metrics/m1/drift/samples.csv: is a folder, not a file"


# --- limits: a limit is the last acceptable value ---------------------------------------------

TWO_FILES = """drift:
  reference_samples: drift/ref.csv
  samples: drift/cur.csv
{extra}  features:
{features}"""


def columns_csv(shift: dict[str, float]) -> str:
    """100 rows of columns a, b, c, d alternating -1 and 1 (mean 0, standard deviation exactly
    1), each column moved by ``shift``: a shift of 0.25 is a Wasserstein value of exactly 0.25."""
    rows = ["a,b,c,d"]
    for i in range(100):
        v = -1.0 if i % 2 else 1.0
        rows.append(",".join(repr(v + shift.get(name, 0.0)) for name in "abcd"))
    return "\n".join(rows) + "\n"


def two_files(mini_repo, features: str, shift: dict[str, float], extra: str = "", name="repo"):
    files = {"m1/drift/ref.csv": columns_csv({}), "m1/drift/cur.csv": columns_csv(shift)}
    drift = TWO_FILES.format(extra=extra, features=features)
    return evaluate(mini_repo, drift=drift, files=files, name=name).drift


@pytest.mark.parametrize(
    ("tiers", "status"),
    [
        ("{warn: 0.25, breach: 0.5}", Status.OK),  # exactly at warn: tolerated (was WARN)
        ("{warn: 0.125, breach: 0.25}", Status.WARN),  # exactly at breach: WARN (was BREACH)
        ("{warn: 0.125, breach: 0.1875}", Status.BREACH),
    ],
)
def test_a_distance_exactly_at_a_limit_is_tolerated(mini_repo, tiers, status):
    features = f"    - {{name: a, method: wasserstein, tiers: {tiers}}}\n"
    (a,) = two_files(mini_repo, features, {"a": 0.25}).features
    assert a.value == 0.25 and a.p_value is None
    assert a.status is status


def test_a_p_value_exactly_at_a_limit_is_tolerated(mini_repo):
    # The p-value of the shifted column, written in the charter with repr: the very same float.
    ref, cur = columns_csv({}), columns_csv({"a": 0.25})
    column = [np.array([float(r.split(",")[0]) for r in t.split()[1:]]) for t in (ref, cur)]
    p = dm.measure("ks", *column).p_value
    assert 0 < p < 0.01

    def status(tiers: str) -> Status:
        features = f"    - {{name: a, method: ks, tiers: {tiers}}}\n"
        (a,) = two_files(mini_repo, features, {"a": 0.25}, name=tiers).features
        assert a.p_value == p
        return a.status

    assert status(f"{{warn: {p!r}, breach: {p / 2!r}}}") is Status.OK  # p == warn: tolerated
    assert status(f"{{warn: 0.5, breach: {p!r}}}") is Status.WARN  # p == breach: only WARN
    assert status(f"{{warn: 0.5, breach: {p * 2!r}}}") is Status.BREACH


FOUR = "".join(f"    - {{name: {c}, method: wasserstein}}\n" for c in "abcd")


@pytest.mark.parametrize(
    ("drifted", "share", "share_status", "level"),
    [
        ("a", 0.25, Status.OK, Level.WARN),  # at the warn limit: the share is tolerated
        ("ab", 0.5, Status.WARN, Level.WARN),  # at the breach limit: WARN, not BREACH
        ("abc", 0.75, Status.BREACH, Level.BREACH),
    ],
)
def test_a_drift_share_exactly_at_a_limit_is_tolerated(
    mini_repo, drifted, share, share_status, level
):
    d = two_files(mini_repo, FOUR, dict.fromkeys(drifted, 5.0))
    assert [f.status for f in d.features] == [
        Status.BREACH if f.name in drifted else Status.OK for f in d.features
    ]
    assert d.share == share and d.share_status is share_status and d.level is level


def test_charter_share_limits_follow_the_same_rule(mini_repo):
    extra = "  share: {warn: 0.125, breach: 0.25}\n"
    assert two_files(mini_repo, FOUR, {"a": 5.0}, extra, "r1").share_status is Status.WARN
    extra = "  share: {warn: 0.25, breach: 0.375}\n"
    assert two_files(mini_repo, FOUR, {"a": 5.0}, extra, "r2").share_status is Status.OK


# --- one value, one meaning: the model, JSON, evidence export, chart data, page ---------------


def test_a_ks_feature_reports_the_same_numbers_everywhere(mini_repo, tmp_path, capsys):
    """``value`` is the KS statistic D and ``p_value`` its p-value in the result, in `aipo check
    --format json`, in the evidence export, in the drift-over-time chart data and on the page.
    The chart once held the p-value under ``value``."""
    # A current window of 20 days is exactly the newest monthly period (2026-11-01 to the
    # evaluation date), so the newest chart cell measures the same rows as the result.
    drift = DRIFT.replace("current_days: 28", "current_days: 20")
    root = drift_repo(mini_repo, drift)
    model = evaluate_repository(load_repository(WorkingTree(root)), AS_OF).models[0]
    amount = next(f for f in model.drift.features if f.name == "amount")
    assert amount.method == "ks" and amount.status is Status.BREACH

    frame = parse_samples_csv(
        (root / "metrics/m1/drift/samples.csv").read_bytes(), "s.csv", dated=True
    )
    dates = frame["date"].to_numpy()
    reference = frame["amount"].to_numpy()[
        (dates >= np.datetime64("2026-05-05")) & (dates <= np.datetime64("2026-07-31"))
    ]
    current = frame["amount"].to_numpy()[dates >= np.datetime64("2026-11-01")]
    expected = dm.measure("ks", reference, current)
    assert 0 < expected.value <= 1 and expected.p_value < 1e-6
    assert (amount.value, amount.p_value) == (expected.value, expected.p_value)
    assert amount.score == expected.p_value  # the tiers compare the p-value

    assert main(["check", "--config", str(root / "mkdocs.yml"), "--format", "json"]) == 1
    record = json.loads(capsys.readouterr().out)["models"][0]["drift"]
    (amount_json,) = [f for f in record["features"] if f["name"] == "amount"]
    assert amount_json["value"] == expected.value
    assert amount_json["p_value"] == expected.p_value
    assert amount_json["tiered_on"] == "p_value"
    assert amount_json["tiers"] == {"warn": 0.05, "breach": 0.01}
    (channel_json,) = [f for f in record["features"] if f["name"] == "channel"]
    assert channel_json["method"] == "chi_square" and channel_json["value"] > 1  # the statistic

    out = tmp_path / "evidence"
    assert main(["export", "--config", str(root / "mkdocs.yml"), "--out", str(out)]) == 0
    evidence = json.loads((out / "aipo-evidence.json").read_text())
    assert evidence["models"][0]["drift"] == record

    spec = drift_time_spec(model.drift, model.kpis)
    cells = [c for c in datasets(spec)["cells"] if c["feature"] == "amount"]
    newest = max(cells, key=lambda c: c["period"])
    assert newest["method"] == "ks"
    assert newest["value"] == expected.value
    assert newest["p_value"] == expected.p_value
    assert newest["status"] == "BREACH"
    assert all(0 <= c["value"] <= 1 and 0 <= c["p_value"] <= 1 for c in cells)

    portal = build_portal(WorkingTree(root), PortalOptions(assets=False), AS_OF)
    page = portal.pages[portal.model_pages["m1"]]
    row = next(
        line
        for line in page.splitlines()
        if "<strong>amount</strong>" in line and "current rows" in line  # the features table
    )
    assert f"<td>D = {expected.value:.4g}</td><td>{expected.p_value:.2g}</td>" in row
    assert "<td>p ≥ 0.05 / p ≥ 0.01</td>" in row
    assert json.dumps(newest["value"]) in page  # the page's chart holds the same data
    assert "Reference: 2026-05-05 to 2026-07-31; current: 2026-11-01 to 2026-11-20" in page


def datasets(spec) -> dict[str, list[dict]]:
    """The inline data of a filled chart spec, by the name of the placeholder it replaced."""
    found: dict[str, list[dict]] = {}

    def walk(node):
        if isinstance(node, dict):
            if "values" in node and isinstance(node["values"], list) and node["values"]:
                keys = set(node["values"][0])
                name = (
                    "cells"
                    if "feature" in keys
                    else "rules"
                    if "tier" in keys
                    else "drops"
                    if "drop" in keys
                    else "shares"
                )
                found.setdefault(name, node["values"])
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(spec)
    return found


# --- since and the timeline -------------------------------------------------------------------


def test_since_and_timeline_per_month(mini_repo):
    """The inputs moved on 2026-09-01: every monthly period from September is BREACH."""
    d = evaluate(mini_repo).drift
    assert d.timeline == [
        (D(2026, 8, 1), D(2026, 8, 31), Level.OK),
        (D(2026, 9, 1), D(2026, 9, 30), Level.BREACH),
        (D(2026, 10, 1), D(2026, 10, 31), Level.BREACH),
        (D(2026, 11, 1), D(2026, 11, 20), Level.BREACH),  # cut at the evaluation date
    ]
    assert d.level is Level.BREACH and d.since == D(2026, 9, 1)
    assert {f.name: f.since for f in d.features} == {
        "amount": D(2026, 9, 1),
        "channel": D(2026, 9, 1),
    }
    assert d.window_start == D(2026, 10, 24)  # 28 days up to and including 2026-11-20


def test_ok_has_a_since_too(mini_repo):
    d = evaluate(mini_repo, files={"m1/drift/samples.csv": samples_csv(D(2026, 9, 1), 0)}).drift
    assert d.level is Level.OK and d.since == D(2026, 8, 1)
    assert {f.since for f in d.features} == {D(2026, 8, 1)}


def bins_csv(periods: dict[str, dict[str, tuple[int, int]]]) -> str:
    """Weekly counts: per period, per feature, the current counts of bins x and y against a
    reference of 500 / 500."""
    rows = ["period,feature,bin,reference_count,current_count"]
    for period, features in periods.items():
        for feature, (x, y) in features.items():
            rows += [f"{period},{feature},x,500,{x}", f"{period},{feature},y,500,{y}"]
    return "\n".join(rows) + "\n"


STABLE, MOVED = (50, 50), (95, 5)  # PSI 0 (OK) and about 1.3 (BREACH)


def bins_drift(current_days: int, features: str = "    - {name: age, method: psi}\n") -> str:
    return (
        f"drift:\n  bins: drift/bins.csv\n  current_days: {current_days}\n  features:\n{features}"
    )


def test_timeline_levels_follow_the_drift_level_rule_per_period(mini_repo):
    """Per period: the share's status (at a limit tolerated), raised to WARN by any drifted
    feature; a feature alone never makes a period BREACH."""
    features = (
        "    - {name: age, method: psi}\n"
        "    - {name: size, method: psi}\n"
        "    - {name: colour, method: psi, importance: 2}\n"
    )
    bins = bins_csv(
        {
            "2026-11-02": {"age": MOVED, "size": STABLE, "colour": STABLE},  # share 0.25
            "2026-11-09": {"age": MOVED, "size": MOVED, "colour": STABLE},  # share 0.5
            "2026-11-16": {"age": MOVED, "size": MOVED, "colour": MOVED},  # share 1
        }
    )
    d = evaluate(mini_repo, drift=bins_drift(7, features), files={"m1/drift/bins.csv": bins}).drift
    assert d.share_over_time == [
        (D(2026, 11, 2), 0.25),
        (D(2026, 11, 9), 0.5),
        (D(2026, 11, 16), 1.0),
    ]
    assert d.timeline == [
        (D(2026, 11, 2), D(2026, 11, 8), Level.WARN),
        (D(2026, 11, 9), D(2026, 11, 15), Level.WARN),
        (D(2026, 11, 16), D(2026, 11, 20), Level.BREACH),
    ]
    assert d.level is Level.BREACH and d.since == D(2026, 11, 16)
    assert {f.name: f.since for f in d.features} == {
        "age": D(2026, 11, 2),
        "size": D(2026, 11, 9),
        "colour": D(2026, 11, 16),
    }
    assert (
        d.current_label == "2026-11-16 to 2026-11-20 (1 weekly period starting in the last 7 days)"
    )


def test_since_is_the_current_window_when_the_newest_period_differs(mini_repo):
    # The current window (two weeks, 140 / 60) is WARN, the newest week alone is OK.
    bins = bins_csv(
        {
            "2026-11-02": {"age": MOVED},
            "2026-11-09": {"age": (90, 10)},
            "2026-11-16": {"age": STABLE},
        }
    )
    d = evaluate(mini_repo, drift=bins_drift(14), files={"m1/drift/bins.csv": bins}).drift
    (age,) = d.features
    assert age.status is Status.WARN and age.since == D(2026, 11, 9)
    assert d.level is Level.BREACH and d.since == D(2026, 11, 9)  # share 100 %
    assert [level for *_, level in d.timeline] == [Level.BREACH, Level.BREACH, Level.OK]
    assert d.window_start == D(2026, 11, 9)


def test_a_missing_period_breaks_the_run(mini_repo):
    bins = bins_csv(
        {p: {"age": MOVED} for p in ("2026-10-19", "2026-11-02", "2026-11-09", "2026-11-16")}
    )
    d = evaluate(mini_repo, drift=bins_drift(28), files={"m1/drift/bins.csv": bins}).drift
    assert d.timeline[0] == (D(2026, 10, 19), D(2026, 10, 25), Level.BREACH)
    assert len(d.timeline) == 4 and d.timeline[1][0] == D(2026, 11, 2)
    assert d.features[0].since == D(2026, 11, 2) and d.since == D(2026, 11, 2)


def test_periods_before_an_empty_current_window_still_give_the_timeline(mini_repo):
    bins = bins_csv({p: {"age": MOVED} for p in ("2026-11-02", "2026-11-09", "2026-11-16")})
    d = evaluate(mini_repo, drift=bins_drift(3), files={"m1/drift/bins.csv": bins}).drift
    (age,) = d.features
    assert age.status is Status.NO_DATA and "no period in the bins file starts" in age.reading
    assert [level for *_, level in d.timeline] == [Level.BREACH] * 3
    # Cannot evaluate (WARN) today, BREACH in every period: since the current window's first day.
    assert d.level is Level.WARN and d.since == D(2026, 11, 18) and age.since == D(2026, 11, 18)


def test_without_drift_over_time_since_is_unknown(mini_repo):
    d = two_files(mini_repo, FOUR, {"a": 5.0})
    assert d.timeline == [] and d.since is None and d.window_start is None
    assert {f.since for f in d.features} == {None}
