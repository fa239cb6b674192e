"""Holm and Benjamini-Hochberg adjustments (ipposaki.study.multitest) against statsmodels.

The reference values are statsmodels' own ``multipletests`` (``"holm"``, ``"fdr_bh"``) on the
same p-values; the hand-worked vectors below were adjusted on paper.
"""

from __future__ import annotations

import gc

import numpy as np
import pytest
from statsmodels.stats.multitest import multipletests

from ipposaki.errors import InputError
from ipposaki.study.multitest import adjust_pvalues

SM_METHOD = {"holm": "holm", "bh": "fdr_bh"}


@pytest.fixture(autouse=True)
def _no_gc_per_call(monkeypatch: pytest.MonkeyPatch) -> None:
    """statsmodels' multipletests runs gc.collect() on every call (0.1 s in a full session)."""
    monkeypatch.setattr(gc, "collect", lambda *args: 0)


def _statsmodels(p: np.ndarray, method: str) -> np.ndarray:
    """statsmodels on the non-NaN p-values; NaN stays NaN (statsmodels has no NaN policy)."""
    out = np.full(p.shape, np.nan)
    ok = ~np.isnan(p)
    if ok.any():
        out[ok] = multipletests(p[ok], method=SM_METHOD[method])[1]
    return out


@pytest.mark.parametrize("method", ["holm", "bh"])
@pytest.mark.parametrize("kind", ["uniform", "small", "ties", "nans", "ones"])
def test_equals_statsmodels_on_random_vectors(method: str, kind: str) -> None:
    rng = np.random.default_rng(sum(map(ord, method + kind)))  # fixed across runs
    for _ in range(200):
        m = int(rng.integers(1, 60))
        p = rng.random(m)
        if kind == "small":  # many discoveries: the step-down/step-up paths matter
            p = p**6
        elif kind == "ties":  # coarse p-values repeat (rank tests, bootstrap p-values)
            p = np.round(rng.random(m) * 10) / 20
        elif kind == "nans":
            p[rng.random(m) < 0.3] = np.nan
        elif kind == "ones":
            p[rng.random(m) < 0.4] = 1.0
        ours = adjust_pvalues(p, method)
        np.testing.assert_allclose(ours, _statsmodels(p, method), rtol=1e-12, atol=0)
        assert np.array_equal(np.isnan(ours), np.isnan(p))


@pytest.mark.parametrize("method", ["holm", "bh"])
def test_each_row_is_a_family(method: str) -> None:
    rng = np.random.default_rng(5)
    p = rng.random((30, 12)) ** 3
    p[rng.random(p.shape) < 0.2] = np.nan
    rows = adjust_pvalues(p, method, axis=1)
    cols = adjust_pvalues(p.T, method, axis=0).T
    for i in range(p.shape[0]):
        np.testing.assert_allclose(rows[i], _statsmodels(p[i], method), rtol=1e-12)
    np.testing.assert_array_equal(rows, cols)


def test_hand_worked() -> None:
    # m = 4: sorted 0.01, 0.02, 0.03, 0.5.
    # Holm: 4*0.01, max(., 3*0.02), max(., 2*0.03), max(., 1*0.5) = 0.04, 0.06, 0.06, 0.5.
    # BH: 0.01*4/1, 0.02*4/2, 0.03*4/3, 0.5*4/4 = 0.04, 0.04, 0.04, 0.5; running min from the
    # top leaves them.
    p = [0.03, 0.5, 0.01, 0.02, np.nan]
    np.testing.assert_allclose(
        adjust_pvalues(p, "holm"), [0.06, 0.5, 0.04, 0.06, np.nan], rtol=1e-14
    )
    np.testing.assert_allclose(adjust_pvalues(p, "bh"), [0.04, 0.5, 0.04, 0.04, np.nan], rtol=1e-14)
    np.testing.assert_array_equal(adjust_pvalues(p, "none"), p)


def test_edge_cases() -> None:
    assert adjust_pvalues([], "holm").shape == (0,)
    assert np.isnan(adjust_pvalues([np.nan, np.nan], "bh")).all()
    assert adjust_pvalues([0.2], "holm").tolist() == [0.2]
    assert adjust_pvalues([0.9, 0.8], "holm").tolist() == [1.0, 1.0]  # 2 * 0.8 > 1


@pytest.mark.parametrize(
    ("p", "method", "argument"),
    [([0.1, 1.2], "holm", "p"), ([-0.1], "bh", "p"), ([0.1], "bonferroni", "adjust")],
    ids=["above-one", "negative", "unknown-method"],
)
def test_refused(p: list[float], method: str, argument: str) -> None:
    with pytest.raises(InputError) as err:
        adjust_pvalues(p, method)  # type: ignore[arg-type]
    assert err.value.argument == argument
