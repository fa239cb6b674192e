"""The engine's small kernels against plain loops, and the huge-page switch (issue #18).

Each kernel was rewritten for speed; here each is checked against the obvious computation it
replaces, written as a loop over pairs or days (never against its own earlier output).
"""

from __future__ import annotations

import numpy as np
import pytest
from numpy._core import multiarray

from ipposaki.study.battery import _weighted_column_sums
from ipposaki.study.correlation import CorrelationSums
from ipposaki.study.pages import small_pages
from ipposaki.study.ranks import _first_ranks, _rank_rows_tied, _scatter_rows


@pytest.mark.parametrize("equal_weights", [True, False])
def test_weighted_column_sums_equal_a_loop_over_pairs(equal_weights: bool) -> None:
    rng = np.random.default_rng(3)
    above = rng.random((40, 7)) < 0.4
    w = np.full(40, 1 / 9) if equal_weights else rng.random(40)
    rows = rng.random(40) < 0.7
    above &= rows[:, None]  # its contract: nothing above outside the rows
    expected = np.zeros(7)
    for i in range(40):
        if rows[i]:
            expected += w[i] * above[i]
    np.testing.assert_allclose(_weighted_column_sums(above.copy(), w, rows), expected, 1e-14)


def test_ranks_equal_a_double_argsort_and_scipy_with_ties_and_gaps() -> None:
    from scipy import stats

    rng = np.random.default_rng(4)
    x = np.round(rng.standard_normal((30, 12)), 1)  # ties
    x[rng.random(x.shape) < 0.2] = np.nan
    ranks, median, _, order = _rank_rows_tied(x, fill=0.0)
    for i, row in enumerate(x):
        ok = ~np.isnan(row)
        np.testing.assert_allclose(ranks[i, ok], stats.rankdata(row[ok]))
        assert (ranks[i, ~ok] == 0).all()
        if ok.any():
            assert median[i, 0] == np.median(row[ok])
    clean = rng.standard_normal((5, 9))
    np.testing.assert_array_equal(
        _scatter_rows(np.argsort(clean, axis=1), np.arange(1.0, 10.0)),
        np.argsort(np.argsort(clean, axis=1), axis=1) + 1.0,
    )
    est = _first_ranks(order, 8, (~np.isnan(x[:, :8])).astype(float))
    for i, row in enumerate(x[:, :8]):
        ok = ~np.isnan(row)
        # Ordinal ranks among the first eight: ties broken by the argsort, so compare sorted.
        np.testing.assert_array_equal(np.sort(est[i, ok]), np.arange(1.0, ok.sum() + 1))
        assert (est[i, ~ok] == 0).all()


@pytest.mark.parametrize("width", [1, 2, 271, 40_000, 270_000])
def test_packed_ranks_equal_scipy_on_near_ties_signed_zeros_and_gaps(width: int) -> None:
    """The integer-key sort (:func:`_packed_order`) against scipy row by row, on rows built to
    trip it: values one float step apart, -0.0 beside 0.0, exact ties, empty rows, rows whose
    ranks scatter through 64-bit keys (40,000 columns) and rows wider than its keys hold
    (270,000 columns: numpy's argsort)."""
    from scipy import stats

    rng = np.random.default_rng(11)
    x = rng.standard_normal((60 if width < 100_000 else 8, width)) * 0.02
    x[rng.random(x.shape) < 0.15] = np.nan
    x[1] = np.nan
    if width > 1:
        x[2, :2] = [0.01, np.nextafter(0.01, 1.0)]  # one step apart: distinct ranks
        x[3, :2] = [-0.0, 0.0]  # equal: an average rank
        x[4, :2] = [-0.03, -0.03]
        x[5, :2] = [np.nextafter(-0.02, 0.0), -0.02]
        x[6, :2] = [0.05, np.nan]
    ranks, median, tied, order = _rank_rows_tied(x, fill=0.0)
    for i, row in enumerate(x):
        ok = ~np.isnan(row)
        np.testing.assert_array_equal(ranks[i, ok], stats.rankdata(row[ok]))
        assert (ranks[i, ~ok] == 0).all()
        assert tied[i] == (len(np.unique(row[ok])) < ok.sum())
        assert np.isnan(median[i, 0]) if not ok.any() else median[i, 0] == np.median(row[ok])
        m = int(ok.sum())
        assert (np.diff(row[order[i, :m]]) >= 0).all()  # the present values, in order
        assert set(order[i, :m]) == set(np.flatnonzero(ok))
    single = x[:8].astype(np.float32)  # float32 rows rank as their values, not their bytes
    single_ranks = _rank_rows_tied(single, fill=0.0)[0]
    for i, row in enumerate(single):
        ok = ~np.isnan(row)
        np.testing.assert_array_equal(single_ranks[i, ok], stats.rankdata(row[ok]))
    half = max(width // 2, 1)  # GRANK's ranks among the first values, off the same order
    est = _first_ranks(order, half, (~np.isnan(x[:, :half])).astype(float))
    for i, row in enumerate(x[:, :half]):
        ok = ~np.isnan(row)
        if not tied[i]:
            np.testing.assert_array_equal(est[i, ok], stats.rankdata(row[ok]))
        assert (est[i, ~ok] == 0).all()
    if width > 1:
        assert ranks[2, 0] + 1 == ranks[2, 1] and ranks[5, 0] == ranks[5, 1] + 1
        assert tied[3] and tied[4] and ranks[3, 0] == ranks[3, 1]


def test_correlation_sums_of_blocks_add_to_per_day_loops() -> None:
    rng = np.random.default_rng(5)
    n, width = 60, 15
    resid = rng.standard_normal((n, width))
    resid[rng.random(resid.shape) < 0.1] = np.nan
    est_lo = np.full(n, -width)
    day0 = rng.integers(0, 6, n) + 100
    parts = [
        CorrelationSums.of(resid[s], est_lo[s], day0[s], -width, width)
        for s in (slice(0, 25), slice(25, 60))
    ]
    merged = CorrelationSums.combine(parts)
    whole = CorrelationSums.of(resid, est_lo, day0, -width, width)
    np.testing.assert_array_equal(merged.day0, np.unique(day0))
    for k, day in enumerate(merged.day0):
        z = resid[day0 == day]
        z = (z - np.nanmean(z, axis=1, keepdims=True)) / np.nanstd(z, axis=1, keepdims=True)
        np.testing.assert_allclose(merged.total[k], np.nansum(z, axis=0), atol=1e-12)
        np.testing.assert_allclose(merged.square[k], np.nansum(z * z, axis=0), atol=1e-12)
        np.testing.assert_array_equal(merged.count[k], (~np.isnan(z)).sum(axis=0))
        assert merged.pairs[k] == (day0 == day).sum()
    np.testing.assert_allclose(merged.total, whole.total, atol=1e-12)


def test_small_pages_turns_the_advice_off_and_restores_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("NUMPY_MADVISE_HUGEPAGE", raising=False)
    before = multiarray._get_madvise_hugepage()
    try:
        multiarray._set_madvise_hugepage(True)
        with small_pages():
            assert multiarray._get_madvise_hugepage() is False
            with small_pages():
                pass
            assert multiarray._get_madvise_hugepage() is False
        assert multiarray._get_madvise_hugepage() is True
        with small_pages(active=False):  # a small study keeps the advice
            assert multiarray._get_madvise_hugepage() is True
        with pytest.raises(RuntimeError), small_pages():
            raise RuntimeError("a failing study")
        assert multiarray._get_madvise_hugepage() is True
        monkeypatch.setenv("NUMPY_MADVISE_HUGEPAGE", "1")  # the user's choice stands
        with small_pages():
            assert multiarray._get_madvise_hugepage() is True
    finally:
        multiarray._set_madvise_hugepage(before)


def test_sparse_membership_equals_the_dense_one_and_a_loop_over_pairs() -> None:
    """Many groups: the sparse matrix gives the dense one's rows, scalings and products."""
    from scipy import sparse

    from ipposaki.study import membership as mb

    rng = np.random.default_rng(8)
    codes = rng.integers(0, 40, 300)
    many = mb.membership(codes, 40)
    assert isinstance(many, sparse.csr_array)
    dense = np.zeros((40, 300))
    for i, c in enumerate(codes):  # every pair in "all", and in its basket (code 0: none)
        dense[0, i] = 1.0
        dense[c, i] = 1.0
    np.testing.assert_array_equal(many.toarray(), dense)
    w = rng.random(300) + 0.5
    has = rng.random((300, 3)) < 0.8
    x = rng.standard_normal((300, 5))
    np.testing.assert_allclose(mb.scaled(many, w) @ x, (dense * w) @ x, atol=1e-12)
    np.testing.assert_allclose(mb.scaled(many, w, True) @ x, (dense / w) @ x, atol=1e-12)
    stacked = mb.stacked([many, mb.scaled(many, w)]).toarray()
    np.testing.assert_array_equal(stacked, np.vstack([dense, dense * w]))
    loop = np.array([dense[g] * has[:, c] for g in range(40) for c in range(3)])
    np.testing.assert_array_equal(mb.window_weights(many, has).toarray(), loop)
    for g in (0, 5, 39):
        assert mb.group_rows(many, g).tolist() == np.flatnonzero(dense[g]).tolist()


def test_a_study_with_many_baskets_equals_its_dense_sums(monkeypatch: pytest.MonkeyPatch) -> None:
    """A study of 30 baskets (sparse membership) against the same with dense membership."""
    import sys

    import pandas as pd

    from ipposaki.study import membership as mb
    from ipposaki.study import run_study

    sys.path.insert(0, str(__import__("pathlib").Path(__file__).parents[1] / "benchmarks"))
    from bench_study import make_data

    returns, events = make_data(300, None, 9)
    rng = np.random.default_rng(9)
    returns = returns.mask(rng.random(returns.shape) < 0.05).assign(MKT=returns["MKT"])
    events = events.assign(basket=[f"b{i % 30}" for i in range(len(events))])
    kw = {"market": "MKT", "event_window": "-3:3", "car_windows": ["0:0", "-1:1"]}
    sparse_run = run_study(returns, events, **kw)
    monkeypatch.setattr(mb, "DENSE_GROUPS", 1000)
    dense_run = run_study(returns, events, **kw)
    assert len(sparse_run.tests) == len(dense_run.tests) == 31 * 14 * 8
    pd.testing.assert_frame_equal(sparse_run.tests, dense_run.tests, rtol=1e-12)
    pd.testing.assert_frame_equal(sparse_run.caar, dense_run.caar, rtol=1e-12)
