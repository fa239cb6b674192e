"""Rejection rates of the event-study tests over many runs, with exact binomial intervals.

A test rejects in a run when its two-sided p-value is below ``alpha``; runs in which it is
undefined (NaN p-value) are left out of its count. :func:`rejection_rates` reads the tests of
one study whose groups are the runs (see :func:`ipposaki.study.simulate.simulate`); the
interval is Clopper and Pearson's (exact binomial) 95% interval of the rate.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

__all__ = ["ALPHAS", "rejection_rates"]

#: Test levels at which rejection rates are reported.
ALPHAS: tuple[float, ...] = (0.01, 0.05, 0.10)
_RATE_COLUMNS = ["test", "window", "abnormal", "nobs", "rejection_rate", "ci_low", "ci_high"]


def _clopper_pearson(k: np.ndarray, n: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Exact binomial 95% interval of ``k`` successes in ``n`` trials (NaN where n = 0)."""
    from scipy import stats

    k = np.asarray(k, dtype=float)
    n = np.asarray(n, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        low = np.where(k > 0, stats.beta.ppf(0.025, k, n - k + 1), 0.0)
        high = np.where(k < n, stats.beta.ppf(0.975, k + 1, n - k), 1.0)
    return np.where(n > 0, low, np.nan), np.where(n > 0, high, np.nan)


def rejection_rates(
    tests: pd.DataFrame,
    windows: Sequence[str] | None = None,
    alphas: Sequence[float] = ALPHAS,
) -> pd.DataFrame:
    """Rejection rates over groups (runs) of an event study's tests.

    Parameters
    ----------
    tests : pandas.DataFrame
        :attr:`EventStudyResult.tests <ipposaki.study.EventStudyResult.tests>` of a study whose
        groups are the runs (samples); the pooled group ``all`` is ignored.
    windows : sequence of str, optional
        Windows to report, e.g. ``["0:0", "-1:1"]``; all when omitted.
    alphas : sequence of float, default (0.01, 0.05, 0.10)
        Test levels; a test rejects when its p-value is below the level.

    Returns
    -------
    pandas.DataFrame
        test, window, nobs (the runs with a p-value), rejection_rate, ci_low, ci_high (exact
        binomial 95% interval) and alpha; one row per test, window and level.
    """
    frame = tests.loc[tests["basket"] != "all", ["window", "test", "p_value"]]
    if windows is not None:
        frame = frame.loc[frame["window"].isin(list(windows))]
    p = frame["p_value"].to_numpy(dtype=float)
    keys = [frame["test"].to_numpy(), frame["window"].to_numpy()]
    index = pd.MultiIndex.from_arrays(keys, names=["test", "window"])
    runs = pd.Series(np.isfinite(p).astype(int), index=index).groupby(level=[0, 1]).sum()
    rows = []
    for alpha in alphas:
        hits = pd.Series((p < alpha).astype(int), index=index).groupby(level=[0, 1]).sum()
        k, n = hits.to_numpy(), runs.reindex(hits.index).to_numpy()
        low, high = _clopper_pearson(k, n)
        with np.errstate(invalid="ignore", divide="ignore"):
            rate = np.where(n > 0, k / np.maximum(n, 1), np.nan)
        rows.append(
            pd.DataFrame(
                {
                    "test": hits.index.get_level_values(0),
                    "window": hits.index.get_level_values(1),
                    "nobs": n,
                    "rejection_rate": rate,
                    "ci_low": low,
                    "ci_high": high,
                    "alpha": float(alpha),
                }
            )
        )
    out = pd.concat(rows, ignore_index=True)
    test_rank = {name: i for i, name in enumerate(pd.unique(tests["test"]))}
    listed = list(windows) if windows is not None else list(pd.unique(tests["window"]))
    window_rank = {w: i for i, w in enumerate(listed)}
    out = out.assign(_w=out["window"].map(window_rank), _t=out["test"].map(test_rank))
    out = out.sort_values(["alpha", "_w", "_t"], kind="stable").drop(columns=["_w", "_t"])
    return out.reset_index(drop=True)


def _run_pvalues(tests: pd.DataFrame, labels: list[str], abnormal: float) -> pd.DataFrame:
    """Each run's p-value of each test and reported window, at one abnormal return.

    Parameters
    ----------
    tests : pandas.DataFrame
        The tests of the widened study (one group per run, and ``all``).
    labels : list of str
        The reported windows.
    abnormal : float
        The abnormal return added.

    Returns
    -------
    pandas.DataFrame
        abnormal, run, test, window, p_value.
    """
    mine = tests.loc[(tests["basket"] != "all") & tests["window"].isin(labels)]
    return pd.DataFrame(
        {
            "abnormal": abnormal,
            "run": mine["basket"].str.slice(3).astype(int).to_numpy(),
            "test": mine["test"].to_numpy(),
            "window": mine["window"].to_numpy(),
            "p_value": mine["p_value"].to_numpy(),
        }
    )


def _tidy_rates(rates: pd.DataFrame, labels: list[str]) -> pd.DataFrame:
    """Level, window and test as given, then each test's curve over the abnormal returns."""
    test_rank = {name: i for i, name in enumerate(pd.unique(rates["test"]))}
    rates = rates.assign(
        _w=rates["window"].map({w: i for i, w in enumerate(labels)}),
        _t=rates["test"].map(test_rank),
    )
    rates = rates.sort_values(["alpha", "_w", "_t", "abnormal"], kind="stable")
    return rates.loc[:, [*_RATE_COLUMNS, "alpha"]].reset_index(drop=True)
