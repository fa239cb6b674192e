"""Ranks within rows for the rank and sign tests, and the generalized rank test's sums.

Average ranks over each row's present values (one argsort per row, scipy's ``rankdata`` only
for rows with ties), the rows' medians, the ranks of the estimation days among themselves, and
:func:`grank_sums`, GRANK's additive per-day sums (Kolari and Pynnönen 2011).
"""

from __future__ import annotations

import numpy as np
from scipy import stats

from ipposaki.study.membership import Member, scaled, window_weights

__all__ = ["grank_sums"]


def _ranks_zero(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """:func:`_rank_rows` for sums: ranks with 0 (not NaN) where missing, the medians, the
    presence mask as 0.0/1.0 floats (ready for a matrix product), and the row-wise argsort."""
    ranks, median, _, order = _rank_rows_tied(x, fill=0.0)
    return ranks, median, (~np.isnan(x)).astype(np.float64), order


def _first_ranks(order: np.ndarray, width: int, present: np.ndarray) -> np.ndarray:
    """Ordinal ranks of each row's first ``width`` values among themselves (0 where missing),
    read off the argsort of the whole row: the k-th of them in sorted order ranks k.

    Examples
    --------
    >>> x = np.array([[3.0, 1.0, 2.5, 0.0]])  # the first three, then one more value
    >>> _first_ranks(np.argsort(x, axis=1), 3, np.ones((1, 3))).tolist()
    [[3.0, 1.0, 2.0]]
    """
    # Running counts in int32: numpy's int64 cumsum along rows is twice as slow.
    ranks = _scatter_rows(order, np.cumsum(order < width, axis=1, dtype=np.int32))
    out = ranks[:, :width]
    out[present == 0] = 0.0
    return out


def grank_sums(
    member: Member, ranks: np.ndarray, present: np.ndarray, scar: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """GRANK's additive per-day sums for one block of pairs (Kolari and Pynnönen 2011).

    For window c, a pair with a CAR (and more than one estimation residual) contributes
    ``U_it = w_i r_it - 1/2`` on each of its valid estimation days, where ``r_it`` ranks the
    residual among the pair's own residuals and ``w_i = 1 / (T_i + 1)``, ``T_i`` its residuals
    plus one. Where the residual lies above the re-standardised CAR it ranks one higher; that
    depends on the CAR's cross-sectional spread, known only for the whole sample, and is added
    by :func:`ipposaki.study.battery._grank`.

    Parameters
    ----------
    member : numpy.ndarray or scipy.sparse.csr_array
        (G, N) group membership (0/1) of the N pairs (:mod:`ipposaki.study.membership`).
    ranks : numpy.ndarray
        (N, L) ordinal ranks of each pair's estimation residuals (0 where missing).
    present : numpy.ndarray
        (N, L) 1.0 where a residual is present.
    scar : numpy.ndarray
        (N, C) standardised CARs of the tested windows (NaN where a pair lacks one).

    Returns
    -------
    tuple[numpy.ndarray, numpy.ndarray]
        (G, C, L) sums of ``U_it`` and counts of the pairs present, per group and window.
    """
    n_groups, n_win = member.shape[0], scar.shape[1]
    t_i = present.sum(axis=1) + 1.0
    has = ~np.isnan(scar) & (t_i > 2)[:, None]
    weights = window_weights(member, has)
    counted = weights @ present
    u = scaled(weights, t_i + 1.0, divide=True) @ ranks - 0.5 * counted
    shape = (n_groups, n_win, ranks.shape[1])
    return u.reshape(shape), counted.reshape(shape)


def _rank_rows(x: np.ndarray, fill: float = np.nan) -> tuple[np.ndarray, np.ndarray]:
    """Average ranks within each row (NaN where missing) and the (rows, 1) medians.

    See :func:`_rank_rows_tied`, which also says which rows have ties.
    """
    ranks, median, _, _ = _rank_rows_tied(x, fill)
    return ranks, median


def _rank_rows_tied(
    x: np.ndarray, fill: float = np.nan
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Average ranks within each row over the non-missing values (``fill`` where missing), and
    medians.

    One argsort per row gives ordinal ranks; they equal average ranks unless a row has ties,
    and only then does scipy's ``rankdata`` recompute those rows. The sorted rows also give each
    row's median without a second pass.

    Returns
    -------
    tuple[numpy.ndarray, numpy.ndarray, numpy.ndarray, numpy.ndarray]
        The ranks, the (rows, 1) medians, (rows,) whether a row has tied values, and the
        row-wise argsort (missing values last).
    """
    missing = np.isnan(x)
    # Missing values sort last as +inf: numpy's SIMD argsort takes no NaN (five times slower).
    order = np.argsort(np.where(missing, np.inf, x), axis=1)
    ranks = _scatter_rows(order, np.arange(1, x.shape[1] + 1, dtype=np.float64))
    ordered = np.sort(x, axis=1)  # a SIMD sort (NaN last): ten times a gather through ``order``
    rows = np.arange(len(x))
    # NaN equals nothing, so only present values can tie.
    tied = (ordered[:, 1:] == ordered[:, :-1]).any(axis=1)
    if tied.any():
        ranks[tied] = stats.rankdata(
            np.where(missing[tied], np.inf, x[tied]), method="average", axis=1
        )
    m = (~missing).sum(axis=1)
    lo = np.clip((m - 1) // 2, 0, x.shape[1] - 1)
    hi = np.clip(m // 2, 0, x.shape[1] - 1)
    median = np.where(m > 0, (ordered[rows, lo] + ordered[rows, hi]) / 2.0, np.nan)
    ranks[missing] = fill
    return ranks, median[:, None], tied, order


def _scatter_rows(order: np.ndarray, values: np.ndarray) -> np.ndarray:
    """``out[i, order[i, k]] = values[i, k]`` as float64 (``values`` may be one row for all):
    ranks from an argsort by one fancy-index scatter, without a second argsort.

    Examples
    --------
    >>> _scatter_rows(np.array([[2, 0, 1]]), np.array([1.0, 2.0, 3.0])).tolist()
    [[2.0, 3.0, 1.0]]
    """
    out = np.empty(order.shape)
    out[np.arange(len(order))[:, None], order] = values
    return out
