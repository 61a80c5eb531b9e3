"""Drift evaluation: windows, tiers, share, over time, cannot-evaluate findings, caching."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from aipo_site.errors import InputError
from aipo_site.evaluate import drift as drift_eval
from aipo_site.evaluate import evaluate_repository
from aipo_site.load.drift import parse_bins_csv, parse_samples_csv
from aipo_site.load.repository import load_repository
from aipo_site.load.source import WorkingTree
from aipo_site.model.results import Level, Status
from tests.conftest import AS_OF, MINI_CHARTER, daily_csv


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


def evaluate(mini_repo, drift=DRIFT, files=None, name="repo"):
    files = (
        files
        if files is not None
        else {"m1/drift/samples.csv": samples_csv(dt.date(2026, 9, 1), 15)}
    )
    charter = MINI_CHARTER.format(id="m1", name="x") + drift
    root = mini_repo(
        charters={"m1": charter}, metrics={"m1/kpis.csv": daily_csv([0.9] * 30), **files}, name=name
    )
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
    assert "data drift: 100% of the inputs drifted" in m.answer
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
    assert "cannot be evaluated" in m.answer


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
    assert d.current_label == "2 periods from 2026-11-09"


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
    assert "data drift: 100% of the inputs drifted (amount, channel)" in m.answer
    assert "drift of ghost cannot be evaluated" in m.answer


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
