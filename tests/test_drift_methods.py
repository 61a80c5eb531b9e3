"""The numerical core of drift (aipo_site/evaluate/drift_methods.py).

PSI against a hand computation; KS, chi-square, Wasserstein and Jensen-Shannon against scipy to
1e-9 on fixed seeded data; invariants with hypothesis; every "cannot evaluate" case raises a
ValueError that says what is wrong.
"""

from __future__ import annotations

import math
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from scipy.spatial import distance

from aipo_site.evaluate import drift_methods as dm

SEED = 20261120
TOL = 1e-9

# --------------------------------------------------------------------------- fixed data


def samples(n_ref: int, n_cur: int, shift: float = 0.2, scale: float = 1.1, seed: int = SEED):
    rng = np.random.default_rng(seed)
    return rng.normal(0.0, 1.0, n_ref), rng.normal(shift, scale, n_cur)


def scipy_ks(reference, current):
    with warnings.catch_warnings():
        # scipy warns when its exact p-value fails and it falls back to the asymptotic one;
        # aipo follows the same path silently.
        warnings.simplefilter("ignore", RuntimeWarning)
        return stats.ks_2samp(reference, current)


# Sizes that exercise every branch of scipy's ks_2samp(method="auto"): exact with equal sizes
# (vectorised here), exact with unequal sizes, asymptotic above 10,000 rows, and ties.
KS_CASES = [
    (1, 1),
    (7, 7),
    (50, 80),
    (500, 500),
    (1000, 1000),
    (1000, 900),
    (3000, 3000),
    (10_000, 10_000),
    (10_001, 10_000),
    (20_000, 700),
]

# --------------------------------------------------------------------------- PSI by hand

# reference 1..8 with 4 bins: the edge for q = 1/4, 2/4, 3/4 is the sorted reference at position
# ceil((8 - 1) * q) = 2, 4, 6 (0-based), i.e. the values 3, 5, 7; bins are closed on the left, so
# each of (-inf, 3), [3, 5), [5, 7), [7, +inf) holds two reference rows.
HAND_REFERENCE = [1, 2, 3, 4, 5, 6, 7, 8]
HAND_EDGES = [3.0, 5.0, 7.0]
# current: 0 and 12 lie outside the reference range and must count in the outer bins.
HAND_CURRENT = [1, 1, 3, 5, 6, 9, 10, 11, 12, 0]
# current with two empty bins (eps applies).
HAND_CURRENT_EMPTY = [0, 1, 7, 8, 9]


def hand_psi(reference, current, inner_edges, eps):
    """PSI with plain loops: bins (-inf, e1), [e1, e2), ..., [ek, +inf)."""

    def counts(values):
        out = [0] * (len(inner_edges) + 1)
        for v in values:
            i = 0
            while i < len(inner_edges) and v >= inner_edges[i]:
                i += 1
            out[i] += 1
        return out

    total = 0.0
    r_counts, c_counts = counts(reference), counts(current)
    for rc, cc in zip(r_counts, c_counts, strict=True):
        r = rc / len(reference) or eps
        c = cc / len(current) or eps
        total += (c - r) * math.log(c / r)
    return total


def test_quantile_edges_of_the_hand_example():
    edges = dm.quantile_edges(HAND_REFERENCE, bins=4)
    assert edges.tolist() == [-math.inf, *HAND_EDGES, math.inf]


def test_psi_equals_the_hand_computation():
    expected = hand_psi(HAND_REFERENCE, HAND_CURRENT, HAND_EDGES, 1e-4)
    # proportions r = 1/4 each, c = 3/10, 1/10, 2/10, 4/10:
    # 0.05 ln 1.2 + 0.15 ln 2.5 + 0.05 ln 1.25 + 0.15 ln 1.6
    assert expected == pytest.approx(0.22821740957339182, abs=1e-15)
    assert dm.psi(HAND_REFERENCE, HAND_CURRENT, bins=4) == pytest.approx(expected, abs=1e-12)


def test_psi_gives_empty_bins_eps_without_renormalising():
    expected = hand_psi(HAND_REFERENCE, HAND_CURRENT_EMPTY, HAND_EDGES, 1e-4)
    # c = 2/5, eps, eps, 3/5 against r = 1/4 each
    assert expected == pytest.approx(4.2873727986867, abs=1e-12)
    assert dm.psi(HAND_REFERENCE, HAND_CURRENT_EMPTY, bins=4) == pytest.approx(expected, abs=1e-12)
    looser = hand_psi(HAND_REFERENCE, HAND_CURRENT_EMPTY, HAND_EDGES, 1e-2)
    assert dm.psi(HAND_REFERENCE, HAND_CURRENT_EMPTY, bins=4, eps=1e-2) == pytest.approx(looser)


def test_psi_from_counts_matches_psi_on_the_same_bins():
    b = dm.binned_counts(HAND_REFERENCE, HAND_CURRENT, bins=4)
    assert b.reference.tolist() == [2, 2, 2, 2]
    assert b.current.tolist() == [3, 1, 2, 4]
    assert dm.psi_from_counts(b.reference, b.current) == dm.psi(HAND_REFERENCE, HAND_CURRENT, 4)


def test_only_empty_bins_get_eps_small_proportions_are_kept():
    # 1 row in 10,000 is a proportion of 1e-4, below eps = 1e-2: it is data, not clipped.
    r, c = [1e-4, 0.9999], [0.5, 0.5]
    expected = sum((ci - ri) * math.log(ci / ri) for ri, ci in zip(r, c, strict=True))
    assert dm.psi_from_counts([1, 9999], [5000, 5000], eps=1e-2) == pytest.approx(expected)


def test_a_bin_empty_on_both_sides_contributes_nothing():
    assert dm.psi_from_counts([5, 0, 5], [3, 0, 7]) == pytest.approx(
        dm.psi_from_counts([5, 5], [3, 7]), abs=1e-15
    )


def test_discrete_reference_merges_equal_quantiles():
    reference = [0] * 60 + [1] * 20 + [2] * 20
    edges = dm.quantile_edges(reference, bins=10)
    assert edges.tolist() == [-math.inf, 0.0, 1.0, 2.0, math.inf]
    b = dm.binned_counts(reference, [0, 1, 2, 3, -1], bins=10)
    assert b.reference.tolist() == [0, 60, 20, 20]
    assert b.current.tolist() == [1, 1, 1, 2]  # -1 below the range, 3 above it


def test_constant_reference_gets_two_bins():
    edges = dm.quantile_edges([4.0] * 10, bins=10)
    assert edges.tolist() == [-math.inf, 4.0, math.inf]
    assert dm.psi([4.0] * 10, [4.0] * 3) == 0.0
    assert dm.psi([4.0] * 10, [3.0, 5.0]) > 0.25


def test_explicit_edges_count_like_numpy_histogram():
    reference, current = samples(5000, 4000)
    edges = np.histogram_bin_edges(np.concatenate([reference, current]), bins="sturges")
    b = dm.binned_counts(reference, current, bins=edges)
    assert b.reference.tolist() == np.histogram(reference, edges)[0].tolist()
    assert b.current.tolist() == np.histogram(current, edges)[0].tolist()


# --------------------------------------------------------------------------- against scipy


@pytest.mark.parametrize(("n_ref", "n_cur"), KS_CASES)
def test_ks_equals_scipy(n_ref, n_cur):
    reference, current = samples(n_ref, n_cur, shift=0.05)
    expected = scipy_ks(reference, current)
    statistic, p_value = dm.ks(reference, current)
    assert statistic == pytest.approx(expected.statistic, abs=TOL)
    assert p_value == pytest.approx(expected.pvalue, abs=TOL)


@pytest.mark.parametrize(("n_ref", "n_cur"), [(800, 800), (800, 650), (12_000, 12_000)])
def test_ks_equals_scipy_with_ties(n_ref, n_cur):
    rng = np.random.default_rng(SEED)
    reference = rng.integers(0, 12, n_ref).astype(float)
    current = rng.integers(0, 13, n_cur).astype(float)
    expected = scipy_ks(reference, current)
    statistic, p_value = dm.ks(reference, current)
    assert statistic == pytest.approx(expected.statistic, abs=TOL)
    assert p_value == pytest.approx(expected.pvalue, abs=TOL)


@pytest.mark.parametrize("n", [1, 2, 5, 64, 999, 4000, 10_000])
@pytest.mark.parametrize("fraction", [0.0, 1e-4, 0.003, 0.02, 0.1, 0.5, 1.0])
def test_ks_exact_p_value_over_a_grid_of_statistics(n, fraction):
    # reference 0..n-1 against the same shifted by h gives D = h / n exactly: the vectorised
    # exact p-value of equal sizes is checked over the whole range of h.
    h = min(n, round(fraction * n))
    reference = np.arange(n, dtype=float)
    expected = scipy_ks(reference, reference + h)
    statistic, p_value = dm.ks(reference, reference + h)
    assert statistic == pytest.approx(expected.statistic, abs=TOL)
    assert p_value == pytest.approx(expected.pvalue, abs=TOL)


@pytest.mark.parametrize(("n_ref", "n_cur"), [(1, 5), (300, 200), (10_000, 10_000), (5000, 7)])
def test_wasserstein_equals_scipy(n_ref, n_cur):
    reference, current = samples(n_ref, n_cur)
    expected = stats.wasserstein_distance(reference, current)
    assert dm.wasserstein(reference, current) == pytest.approx(expected, abs=TOL)
    if n_ref > 1:
        normalised = expected / np.std(reference)
        assert dm.wasserstein_norm(reference, current) == pytest.approx(normalised, abs=TOL)


def test_wasserstein_with_ties_equals_scipy():
    rng = np.random.default_rng(SEED)
    reference = rng.integers(0, 6, 3000).astype(float)
    current = rng.integers(1, 8, 2000).astype(float)
    expected = stats.wasserstein_distance(reference, current)
    assert dm.wasserstein(reference, current) == pytest.approx(expected, abs=TOL)


def test_wasserstein_norm_of_a_location_shift_is_the_shift_in_sds():
    reference = np.random.default_rng(SEED).normal(0, 2.0, 5000)
    sd = np.std(reference)
    assert dm.wasserstein_norm(reference, reference + 0.3 * sd) == pytest.approx(0.3, abs=1e-12)


@pytest.mark.parametrize("bins", [2, 10, 30])
def test_jensen_shannon_equals_scipy_on_the_same_bins(bins):
    reference, current = samples(2000, 1500)
    b = dm.binned_counts(reference, current, bins=bins)
    expected = distance.jensenshannon(
        b.reference / b.reference.sum(), b.current / b.current.sum(), base=2
    )
    assert dm.jensen_shannon(reference, current, bins=bins) == pytest.approx(expected, abs=TOL)
    assert dm.jensen_shannon_from_counts(b.reference, b.current) == pytest.approx(expected, abs=TOL)


def test_jensen_shannon_with_empty_bins_and_natural_log_equals_scipy():
    r, c = [10, 0, 5, 3, 0], [0, 4, 5, 9, 0]
    expected = distance.jensenshannon(r, c)  # natural log, as Evidently
    assert dm.jensen_shannon_from_counts(r, c, base=math.e) == pytest.approx(expected, abs=TOL)
    assert dm.jensen_shannon_from_counts(r, c) == pytest.approx(
        distance.jensenshannon(r, c, base=2), abs=TOL
    )


def test_jensen_shannon_of_disjoint_distributions_is_one():
    assert dm.jensen_shannon_from_counts([5, 0], [0, 7]) == pytest.approx(1.0, abs=1e-15)


CHI_CASES = [
    ([120, 340, 90, 50], [100, 360, 120, 20]),
    ([500, 500], [450, 560]),
    ([30, 0, 12, 7], [25, 9, 10, 0]),  # "b" unseen in the reference, "d" absent from current
    ([3, 1, 4, 1, 5, 9, 2, 6], [2, 7, 1, 8, 2, 8, 1, 8]),
]


@pytest.mark.parametrize(("reference", "current"), CHI_CASES)
def test_chi_square_equals_scipy_contingency_without_yates(reference, current):
    table = np.array([reference, current])
    expected_stat, expected_p, _, _ = stats.chi2_contingency(table, correction=False)
    statistic, p_value = dm.chi_square(reference, current)
    assert statistic == pytest.approx(expected_stat, abs=TOL)
    assert p_value == pytest.approx(expected_p, abs=TOL)


def test_chi_square_on_seeded_categorical_samples_equals_scipy():
    rng = np.random.default_rng(SEED)
    reference = rng.choice(["a", "b", "c", "d"], 900, p=[0.4, 0.3, 0.2, 0.1])
    current = rng.choice(["a", "b", "c", "d", "e"], 700, p=[0.35, 0.3, 0.2, 0.1, 0.05])
    b = dm.categorical_counts(reference, current)
    assert b.categories == ("a", "b", "c", "d", "e")
    assert b.unseen == ("e",)
    expected = stats.chi2_contingency(np.array([b.reference, b.current]), correction=False)
    assert dm.chi_square(b.reference, b.current) == pytest.approx(
        (expected[0], expected[1]), abs=TOL
    )


def test_chi_square_on_two_categories_is_the_two_proportion_z_test():
    # Evidently tests binary features with a pooled two-proportion z-test: same p-value.
    r1, n1, c1, n2 = 420, 1000, 380, 900
    p1, p2, pooled = r1 / n1, c1 / n2, (r1 + c1) / (n1 + n2)
    z = (p1 - p2) / math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    statistic, p_value = dm.chi_square([r1, n1 - r1], [c1, n2 - c1])
    assert statistic == pytest.approx(z * z, rel=1e-12)
    assert p_value == pytest.approx(math.erfc(abs(z) / math.sqrt(2)), abs=TOL)


def test_chi_square_with_one_category_left_is_no_drift():
    assert dm.chi_square([10, 0], [4, 0]) == (0.0, 1.0)


# --------------------------------------------------------------------------- invariants

finite = st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False)
sample = st.lists(finite, min_size=1, max_size=150)
small_ints = st.lists(st.integers(-5, 5).map(float), min_size=1, max_size=150)
any_sample = st.one_of(sample, small_ints)
count_vectors = st.integers(1, 12).flatmap(
    lambda k: st.tuples(
        st.lists(st.integers(0, 1000), min_size=k, max_size=k).filter(any),
        st.lists(st.integers(0, 1000), min_size=k, max_size=k).filter(any),
    )
)
FEW = settings(max_examples=50, deadline=None)


@FEW
@given(any_sample, st.integers(2, 12))
def test_identical_samples_do_not_drift(values, bins):
    assert dm.psi(values, values, bins=bins) == 0.0
    assert dm.jensen_shannon(values, values, bins=bins) == 0.0
    assert dm.wasserstein(values, values) == 0.0
    assert dm.ks(values, values) == (0.0, 1.0)
    if np.std(values) > 0:
        assert dm.wasserstein_norm(values, values) == 0.0


@FEW
@given(any_sample, any_sample, st.integers(2, 12))
def test_psi_is_non_negative(reference, current, bins):
    assert dm.psi(reference, current, bins=bins) >= 0.0


@FEW
@given(count_vectors)
def test_binned_measures_on_counts(pair):
    r, c = pair
    assert dm.psi_from_counts(r, c) >= 0.0
    js = dm.jensen_shannon_from_counts(r, c)
    assert 0.0 <= js <= 1.0 + 1e-12
    assert js == dm.jensen_shannon_from_counts(c, r)  # symmetric
    statistic, p_value = dm.chi_square(r, c)
    assert statistic >= 0.0
    assert 0.0 <= p_value <= 1.0
    assert dm.chi_square(c, r) == pytest.approx((statistic, p_value), rel=1e-12, abs=1e-12)


@FEW
@given(any_sample, any_sample)
def test_wasserstein_and_ks_are_symmetric(a, b):
    assert dm.wasserstein(a, b) == pytest.approx(dm.wasserstein(b, a), rel=1e-12, abs=1e-9)
    d_ab, p_ab = dm.ks(a, b)
    d_ba, p_ba = dm.ks(b, a)
    assert d_ab == pytest.approx(d_ba, abs=1e-12)
    assert p_ab == pytest.approx(p_ba, abs=1e-9)


@FEW
@given(any_sample, any_sample)
def test_ks_equals_scipy_on_arbitrary_samples(a, b):
    expected = scipy_ks(a, b)
    assert dm.ks(a, b) == pytest.approx((expected.statistic, expected.pvalue), abs=TOL)


@FEW
@given(any_sample, st.integers(2, 20))
def test_quantile_edges_are_observed_values_at_the_documented_positions(values, bins):
    ordered = sorted(values)
    n = len(ordered)
    expected = sorted({ordered[-((-(n - 1) * j) // bins)] for j in range(1, bins)})
    assert dm.quantile_edges(values, bins)[1:-1].tolist() == expected


def test_quantile_edges_are_numpys_higher_quantiles():
    reference, _ = samples(9973, 1)
    q = np.arange(1, 10) / 10
    expected = np.quantile(reference, q, method="higher")
    assert dm.quantile_edges(reference, 10)[1:-1].tolist() == expected.tolist()


@FEW
@given(any_sample, any_sample, st.integers(2, 12))
def test_bins_count_every_current_row(reference, current, bins):
    b = dm.binned_counts(reference, current, bins)
    assert b.reference.sum() == len(reference)
    assert b.current.sum() == len(current)
    assert len(b.edges) == len(b.reference) + 1


# --------------------------------------------------------------------------- NaN and errors


def test_measure_drops_nan_and_reports_it():
    reference, current = samples(400, 300)
    reference[:7] = np.nan
    current[-3:] = np.nan
    result = dm.measure("ks", reference, current)
    assert (result.n_reference, result.n_current) == (393, 297)
    assert (result.dropped_nan_reference, result.dropped_nan_current, result.dropped_nan) == (
        7,
        3,
        10,
    )
    assert (result.value, result.p_value) == dm.ks(reference[7:], current[:-3])
    assert result.score == result.p_value


@pytest.mark.parametrize(
    ("reference", "current", "message"),
    [
        ([], [1.0], "reference sample is empty"),
        ([1.0], [], "current sample is empty"),
        ([np.nan, np.nan], [1.0], "reference sample has only NaN values"),
        ([1.0, 2.0], [np.nan], "current sample has only NaN values"),
        ([1.0, np.inf], [1.0], "reference sample contains infinite values"),
        ([[1.0, 2.0]], [1.0], "one-dimensional"),
        (["a", "b"], [1.0], "must be numeric"),
    ],
)
@pytest.mark.parametrize("function", [dm.psi, dm.ks, dm.wasserstein_norm, dm.jensen_shannon])
def test_samples_that_cannot_be_evaluated_raise(function, reference, current, message):
    with pytest.raises(ValueError, match=message):
        function(reference, current)


@pytest.mark.parametrize(
    ("reference", "current", "message"),
    [
        ([1, 2, 3], [1, 2], "same bins: 3 reference bins, 2 current bins"),
        ([1, -2], [1, 2], "reference counts contain negative values"),
        ([0, 0], [1, 2], "reference counts add up to zero"),
        ([1, 2], [0, 0], "current counts add up to zero"),
        ([], [], "reference counts are empty"),
        ([1, np.nan], [1, 2], "NaN or infinite"),
    ],
)
@pytest.mark.parametrize(
    "function", [dm.psi_from_counts, dm.jensen_shannon_from_counts, dm.chi_square]
)
def test_counts_that_cannot_be_compared_raise(function, reference, current, message):
    with pytest.raises(ValueError, match=message):
        function(reference, current)


def test_constant_reference_cannot_be_normalised():
    assert dm.wasserstein_norm([2.0, 2.0], [2.0]) == 0.0
    with pytest.raises(ValueError, match="reference sample is constant"):
        dm.wasserstein_norm([2.0, 2.0, 2.0], [2.0, 3.0])


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: dm.psi([1, 2], [1, 2], bins=1), "bins must be at least 2"),
        (lambda: dm.psi([1, 2], [1, 2], bins=[0, 2, 1]), "strictly increasing"),
        (lambda: dm.psi([1, 2], [1, 2], eps=0), "eps must be between 0 and 1"),
        (lambda: dm.jensen_shannon([1, 2], [1, 2], base=1), "base must be positive and not 1"),
        (lambda: dm.measure("hellinger", [1, 2], [1, 2]), "unknown drift method 'hellinger'"),
        (lambda: dm.measure("ks", ["a"], ["b"], kind="categorical"), "ks needs numeric"),
        (lambda: dm.measure("psi", [1], [1], kind="ordinal"), "kind must be"),
        (lambda: dm.measure_counts("wasserstein", [1], [1]), "needs raw samples"),
        (lambda: dm.measure_counts("psi", [1, 2], [1, 2], categories=["a"]), "1 category"),
        (lambda: dm.measure_many("psi", np.ones((3, 2)), np.ones((3, 3))), "2 features"),
        (lambda: dm.measure_many("psi", np.ones((3, 2)), np.ones(3)), "2-D arrays"),
        (lambda: dm.measure_many(["psi"], np.ones((3, 2)), np.ones((3, 2))), "1 methods"),
    ],
)
def test_bad_arguments_raise(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_measure_many_names_the_feature_that_failed():
    reference = np.column_stack([np.arange(10.0), np.full(10, np.nan)])
    with pytest.raises(ValueError, match="feature 1: reference sample has only NaN values"):
        dm.measure_many("psi", reference, reference)
    first, second = dm.measure_many("psi", reference, reference, errors="collect")
    assert first == dm.measure("psi", reference[:, 0], reference[:, 0])
    assert isinstance(second, ValueError)
    assert str(second) == "feature 1: reference sample has only NaN values (10 rows)"
    reference[3, 1] = np.inf
    reference[:3, 1] = 1.0
    with pytest.raises(ValueError, match="feature 1: reference sample contains infinite values"):
        dm.measure_many("jensen_shannon", reference, reference)


# --------------------------------------------------------------------------- categorical


def test_categorical_counts_of_object_values_drop_missing():
    reference = np.array(["b", "a", None, "a", float("nan")], dtype=object)
    current = np.array(["a", "c", "c", None], dtype=object)
    b = dm.categorical_counts(reference, current)
    assert b.categories == ("a", "b", "c")
    assert b.reference.tolist() == [2, 1, 0]
    assert b.current.tolist() == [1, 0, 2]
    assert (b.dropped_nan_reference, b.dropped_nan_current) == (2, 1)
    assert b.unseen == ("c",)


def test_categorical_counts_of_mixed_types_are_ordered_deterministically():
    b = dm.categorical_counts(np.array([2, "x", 1], dtype=object), np.array(["x", 2], dtype=object))
    assert b.categories == (1, 2, "x")


def test_categorical_counts_keep_numbers_and_strings_apart():
    b = dm.categorical_counts(np.array([1, 2, 2]), np.array(["1", "2"]))
    assert b.categories == (1, 2, "1", "2")
    assert b.reference.tolist() == [1, 2, 0, 0]
    assert b.unseen == ("1", "2")


def test_categorical_counts_with_only_missing_values_raise():
    with pytest.raises(ValueError, match="current sample has only missing values"):
        dm.categorical_counts(["a"], np.array([None, None], dtype=object))


def test_measure_categorical_reports_unseen_categories():
    result = dm.measure("psi", ["a", "a", "b"], ["a", "b", "z"], kind="categorical")
    assert result.unseen == ("z",)
    assert result.bins == 3
    r, c = [2 / 3, 1 / 3, 1e-4], [1 / 3, 1 / 3, 1 / 3]
    assert result.value == pytest.approx(
        sum((ci - ri) * math.log(ci / ri) for ri, ci in zip(r, c, strict=True)), abs=1e-12
    )


def test_measure_counts_labels_unseen_bins():
    result = dm.measure_counts("chi_square", [5, 0, 3], [4, 2, 3], categories=["x", "y", "z"])
    assert result.unseen == ("y",)
    assert result.p_value == dm.chi_square([5, 0, 3], [4, 2, 3])[1]
    assert (result.n_reference, result.n_current) == (8, 9)


def test_numeric_chi_square_uses_each_value_as_a_category():
    result = dm.measure("chi_square", [0, 0, 1, 1, 2], [0, 1, 1, 1, 3])
    assert result.bins == 4
    assert (result.value, result.p_value) == dm.chi_square([2, 2, 1, 0], [1, 3, 0, 1])


# --------------------------------------------------------------------------- automatic choice


@pytest.mark.parametrize(
    ("kind", "n_reference", "n_current", "n_unique", "expected"),
    [
        ("numeric", 1000, 1000, None, "ks"),
        ("numeric", 1001, 1001, None, "wasserstein"),
        ("numeric", 50_000, 1000, None, "ks"),  # the smaller sample decides
        ("numeric", 1000, 50_000, None, "ks"),
        ("numeric", 1001, 50_000, 6, "wasserstein"),
        ("numeric", 1001, 50_000, 5, "jensen_shannon"),  # low cardinality: categorical
        ("numeric", 10, 10, 5, "chi_square"),
        ("numeric", 10, 10, 2, "chi_square"),
        ("numeric", 10, 10, 6, "ks"),
        ("categorical", 1000, 1000, None, "chi_square"),
        ("categorical", 1001, 1001, 40, "jensen_shannon"),
        ("categorical", 1, 1, 1, "chi_square"),
    ],
)
def test_choose_method_on_its_boundaries(kind, n_reference, n_current, n_unique, expected):
    assert dm.choose_method(kind, n_reference, n_current, n_unique) == expected


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("text", 10, 10), "kind must be 'numeric' or 'categorical'"),
        (("numeric", 0, 10), "n_reference must be at least 1"),
        (("numeric", 10, 0), "n_current must be at least 1"),
        (("numeric", 10, 10, 0), "n_unique must be at least 1"),
    ],
)
def test_choose_method_rejects_impossible_inputs(args, message):
    with pytest.raises(ValueError, match=message):
        dm.choose_method(*args)


def test_measure_auto_follows_choose_method():
    small_ref, small_cur = samples(500, 400)
    big_ref, big_cur = samples(5000, 4000)
    assert dm.measure("auto", small_ref, small_cur).method == "ks"
    assert dm.measure("auto", big_ref, big_cur).method == "wasserstein"
    assert dm.measure("auto", np.round(big_ref) % 3, np.round(big_cur) % 3).method == (
        "jensen_shannon"
    )
    assert dm.measure("auto", ["a", "b"] * 50, ["a"] * 70, kind="categorical").method == (
        "chi_square"
    )
    assert dm.measure_counts("auto", [600, 600], [700, 500]).method == "jensen_shannon"
    assert dm.measure_counts("auto", [60, 60], [70, 50]).method == "chi_square"


def test_auto_counts_low_cardinality_numbers_by_value():
    result = dm.measure("auto", [1, 2, 3] * 400, [1, 2, 3, 4] * 300)
    assert result.method == "jensen_shannon"
    assert (result.bins, result.unseen) == (4, (4.0,))
    assert result.value == dm.jensen_shannon_from_counts([400, 400, 400, 0], [300] * 4)


def test_measure_many_equals_measure_per_column():
    rng = np.random.default_rng(SEED)
    reference = rng.normal(size=(3000, 4))
    current = rng.normal(0.1, 1.2, size=(2500, 4))
    current[::7, 2] = np.nan
    methods = ["psi", "ks", "wasserstein", "jensen_shannon"]
    results = dm.measure_many(methods, reference, current)
    for i, (method, result) in enumerate(zip(methods, results, strict=True)):
        assert result == dm.measure(method, reference[:, i], current[:, i])
    assert results[2].dropped_nan_current == len(range(0, 2500, 7))


@FEW
@given(
    st.integers(1, 4).flatmap(
        lambda k: st.tuples(
            st.lists(st.lists(st.integers(0, 6), min_size=k, max_size=k), min_size=1, max_size=60),
            st.lists(st.lists(st.integers(0, 7), min_size=k, max_size=k), min_size=1, max_size=60),
        )
    ),
    st.sampled_from(["psi", "jensen_shannon"]),
    st.integers(2, 12),
)
def test_batched_binned_methods_equal_the_per_feature_path(data, method, bins):
    # Discrete values (merged quantiles) and NaN (code 6 in the reference, 7 in current).
    reference = np.array(data[0], dtype=float)
    current = np.array(data[1], dtype=float)
    reference[reference == 6] = np.nan
    current[current == 7] = np.nan
    batch = dm.measure_many(method, reference, current, bins=bins, errors="collect")
    for i, result in enumerate(batch):
        try:
            expected = dm.measure(method, reference[:, i], current[:, i], bins=bins)
        except ValueError as e:
            assert isinstance(result, ValueError)
            assert str(result) == f"feature {i}: {e}"
            continue
        assert isinstance(result, dm.DriftValue)
        assert result.value == pytest.approx(expected.value, rel=1e-12, abs=1e-15)
        assert result == dm.DriftValue(**{**expected.__dict__, "value": result.value})


# --------------------------------------------------------------------------- tiers and share


@pytest.mark.parametrize(
    ("method", "value", "expected"),
    [
        # A limit is the last acceptable value: a distance exactly at it is on the good side.
        ("psi", 0.0999, 0),
        ("psi", 0.1, 0),
        ("psi", 0.1001, 1),
        ("psi", 0.2499, 1),
        ("psi", 0.25, 1),
        ("psi", 0.2501, 2),
        ("ks", 0.05, 0),  # p-values: lower is worse, strict inequalities
        ("ks", 0.0499, 1),
        ("ks", 0.01, 1),
        ("ks", 0.0099, 2),
        ("chi_square", 1e-30, 2),
        ("chi_square", 1.0, 0),
        ("wasserstein", 0.1, 0),
        ("wasserstein", 0.2, 1),
        ("wasserstein", 0.2001, 2),
        ("jensen_shannon", 0.05, 0),
        ("jensen_shannon", 0.15, 1),
        ("jensen_shannon", 0.2, 1),
        ("jensen_shannon", 0.21, 2),
    ],
)
def test_tier_with_default_thresholds(method, value, expected):
    assert dm.tier(method, value) == expected


def test_tier_with_charter_thresholds():
    assert dm.tier("psi", 0.15, warn=0.2, breach=0.3) == 0
    assert dm.tier("ks", 0.04, warn=0.1, breach=0.05) == 2
    assert dm.tier("wasserstein", 0.15, breach=0.15) == 1  # at the breach limit: still WARN
    assert dm.tier("wasserstein", 0.15, breach=0.125) == 2


# Exactly representable limits (binary fractions), so no rounding can decide the tier.
@pytest.mark.parametrize("method", ["psi", "wasserstein", "jensen_shannon"])
@pytest.mark.parametrize(
    ("value", "expected"),
    [(0.0, 0), (0.125, 0), (0.125 + 2**-20, 1), (0.25, 1), (0.25 + 2**-20, 2), (1.0, 2)],
)
def test_distance_tiers_tolerate_a_value_at_the_limit(method, value, expected):
    """Distances: value > warn is WARN, value > breach is BREACH; at a limit it is tolerated."""
    assert dm.tier(method, value, warn=0.125, breach=0.25) == expected


@pytest.mark.parametrize("method", ["ks", "chi_square"])
@pytest.mark.parametrize(
    ("p", "expected"),
    [(1.0, 0), (0.125, 0), (0.125 - 2**-20, 1), (0.0625, 1), (0.0625 - 2**-20, 2), (0.0, 2)],
)
def test_p_value_tiers_tolerate_a_p_value_at_the_limit(method, p, expected):
    """p-values: p < warn is WARN, p < breach is BREACH; a p-value at a limit is tolerated."""
    assert dm.tier(method, p, warn=0.125, breach=0.0625) == expected


def test_equal_limits_have_no_warn_zone():
    assert dm.tier("psi", 0.25, warn=0.25, breach=0.25) == 0
    assert dm.tier("psi", 0.25 + 2**-20, warn=0.25, breach=0.25) == 2
    assert dm.tier("ks", 0.125, warn=0.125, breach=0.125) == 0
    assert dm.tier("ks", 0.125 - 2**-20, warn=0.125, breach=0.125) == 2


@pytest.mark.parametrize(
    ("share", "expected"),
    [(0.0, 0), (0.25, 0), (0.25 + 2**-20, 1), (0.5, 1), (0.5 + 2**-20, 2), (1.0, 2)],
)
def test_share_tier_tolerates_a_share_at_the_limit(share, expected):
    assert dm.share_tier(share, 0.25, 0.5) == expected
    assert dm.share_tier(share) == expected  # the defaults are 25 % / 50 %


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((math.nan,), "between 0 and 1"),
        ((1.5,), "between 0 and 1"),
        ((0.5, 0.5, 0.25), "need 0 <= warn <= breach"),
    ],
)
def test_share_tier_rejects_bad_input(args, message):
    with pytest.raises(ValueError, match=message):
        dm.share_tier(*args)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("psi", 0.1, 0.3, 0.2), "need 0 <= warn <= breach"),
        (("ks", 0.1, 0.01, 0.05), "need 0 < breach <= warn <= 1"),
        (("ks", 0.1, 0.05, 0.0), "need 0 < breach <= warn <= 1"),
        (("psi", math.nan), "psi value is NaN"),
        (("entropy", 0.1), "unknown drift method"),
    ],
)
def test_tier_rejects_bad_thresholds(args, message):
    with pytest.raises(ValueError, match=message):
        dm.tier(*args)


def test_every_method_has_default_tiers():
    assert set(dm.DEFAULT_TIERS) == set(dm.METHODS)
    for method, (warn, breach) in dm.DEFAULT_TIERS.items():
        if method in dm.P_VALUE_METHODS:
            assert breach < warn
        else:
            assert warn < breach


def test_drift_share():
    drifted = np.array([True, False, False, True])
    assert dm.drift_share(drifted) == 0.5
    assert dm.drift_share(drifted, [3, 1, 1, 0]) == 0.6
    assert dm.drift_share(np.zeros(3, dtype=bool)) == 0.0


@pytest.mark.parametrize(
    ("drifted", "weights", "message"),
    [
        ([], None, "non-empty"),
        ([1, 0], None, "must be booleans"),
        ([True, False], [1.0], "one entry per feature"),
        ([True, False], [1.0, -1.0], "finite and non-negative"),
        ([True, False], [0.0, 0.0], "add up to zero"),
    ],
)
def test_drift_share_rejects_bad_input(drifted, weights, message):
    with pytest.raises(ValueError, match=message):
        dm.drift_share(np.asarray(drifted), weights)


# --------------------------------------------------------------------------- benchmark


def test_the_benchmark_script_runs(tmp_path):
    script = Path(__file__).resolve().parent.parent / "benchmarks" / "drift_speed.py"
    proc = subprocess.run(
        [sys.executable, str(script), "--models", "2", "--features", "5", "--rows", "300"],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    for method in ("auto", "psi", "ks", "wasserstein", "jensen_shannon"):
        assert f"\n{method} " in proc.stdout
    assert "Evidently: not compared" in proc.stdout
