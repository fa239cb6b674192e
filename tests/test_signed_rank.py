"""Median, Hodges–Lehmann estimate and Tukey's interval (ipposaki.study.signed_rank).

Checked against brute force written out here (every sign pattern, every Walsh average) and the
textbook critical value: for n = 10 and a 95% interval, Hollander and Wolfe (1999, Table A.4)
give P(T+ >= 47) = 0.024, so the interval is [W_(9), W_(47)].
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ipposaki.study import signed_rank
from ipposaki.study.signed_rank import median_interval, signed_rank_cdf, walsh_order


def _walsh(x: np.ndarray) -> np.ndarray:
    upper = np.triu_indices(len(x))  # every i <= j
    return np.sort(np.add.outer(x, x)[upper] / 2.0)


@pytest.mark.parametrize("n", range(0, 12))
def test_cdf_counts_every_sign_pattern(n: int) -> None:
    sums = [
        sum(r for r, on in zip(range(1, n + 1), signs, strict=True) if on)
        for signs in itertools.product((False, True), repeat=n)
    ]
    expected = np.cumsum(np.bincount(sums, minlength=n * (n + 1) // 2 + 1)) / 2**n
    np.testing.assert_allclose(signed_rank_cdf(n), expected, rtol=0, atol=1e-15)


def test_textbook_interval_n10() -> None:
    # P(V <= 8) = 25/1024 = 0.0244 <= 0.025 < P(V <= 9) = 33/1024: c = 8
    assert signed_rank_cdf(10)[8] * 1024 == pytest.approx(25)
    assert signed_rank_cdf(10)[9] * 1024 == pytest.approx(33)
    x = np.array([0.012, -0.004, 0.031, 0.007, -0.015, 0.022, 0.003, 0.018, -0.001, 0.009])
    w = _walsh(x)
    res = median_interval(x)
    assert (res.low, res.high) == (pytest.approx(w[8]), pytest.approx(w[46]))
    assert res.hodges_lehmann == pytest.approx(w[27])  # M = 55: the 28th
    assert res.median == pytest.approx(np.median(x))


def test_small_sample_is_min_max_and_nans_dropped() -> None:
    res = median_interval(np.array([0.03, np.nan, -0.01, 0.02]))
    assert (res.n, res.low, res.median, res.high) == (3, -0.01, 0.02, 0.03)
    empty = median_interval(np.array([np.nan]))
    assert empty.n == 0 and np.isnan(empty.median)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.floats(-1, 1, allow_nan=False).map(lambda v: round(v, 2)), min_size=1, max_size=90),
    st.floats(0, 1),
)
def test_walsh_order_equals_brute_force(values: list[float], q: float) -> None:
    x = np.array(values)  # rounded to 2 decimals: many ties
    w = _walsh(x)
    k = 1 + int(q * (len(w) - 1))
    assert walsh_order(x, k) == pytest.approx(w[k - 1], abs=1e-15)


def test_large_sample_normal_law_agrees_with_exact(monkeypatch: pytest.MonkeyPatch) -> None:
    n = 600
    exact = signed_rank.signed_rank_cdf(n)
    c_exact = int(np.flatnonzero(exact <= 0.025)[-1])
    assert abs(signed_rank._cutoff(n, 0.05) - c_exact) <= 3  # normal, n > EXACT_MAX
    rng = np.random.default_rng(3)
    x = rng.standard_t(4, 3000)
    res = median_interval(x)
    assert res.low < res.hodges_lehmann < res.high
    assert res.hodges_lehmann == pytest.approx(np.median(_walsh(x)), abs=1e-15)
    monkeypatch.setattr(signed_rank, "EXACT_MAX", 10_000)
    assert signed_rank._cutoff(n, 0.05) == c_exact


def test_k_outside_range_is_an_error() -> None:
    with pytest.raises(ValueError, match="k=7 outside 1..6"):
        walsh_order(np.array([1.0, 2.0, 3.0]), 7)


def test_wilcoxon_columns_match_scipy() -> None:
    """The battery's vectorised Wilcoxon against scipy's, column by column: sizes 1..70,
    with and without ties, zeros and NaNs (exact law, permutation test, normal law)."""
    from scipy import stats

    from ipposaki.study.statistics import _wilcoxon

    rng = np.random.default_rng(11)
    cols = []
    for size in (1, 2, 3, 5, 8, 13, 20, 50, 51, 70):
        cols.append(np.r_[rng.normal(size=size), np.full(70 - size, np.nan)])
        tied = np.round(rng.normal(size=size), 1)
        tied[0] = 0.0
        cols.append(np.r_[tied, np.full(70 - size, np.nan)])
    car = np.column_stack(cols)
    stat, p, z = _wilcoxon(car)
    for j in range(car.shape[1]):
        x = car[~np.isnan(car[:, j]), j]
        x = x[x != 0]
        if len(x) == 0:
            assert np.isnan(p[j])
            continue
        ref = stats.wilcoxon(x)
        # The battery reports W+ (signed: it shows the direction); scipy prints min(W+, W-).
        ranks = stats.rankdata(np.abs(x))
        w_plus = float(ranks[x > 0].sum())
        n = len(x)
        assert min(w_plus, n * (n + 1) / 2 - w_plus) == pytest.approx(ref.statistic), j
        assert (stat[j], p[j]) == (pytest.approx(w_plus), pytest.approx(ref.pvalue)), j
        expected_z = (w_plus - n * (n + 1) / 4) / np.sqrt(np.sum(ranks**2) / 4)
        assert z[j] == pytest.approx(expected_z), j
