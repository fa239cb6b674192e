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
    counts = np.cumsum(order < width, axis=1, dtype=np.int32)
    out = _scatter_counts(order, counts)[:, :width].astype(np.float64)
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

    Each row is sorted once as 64-bit integer keys holding the value's order in their high bits
    and its column in the low ones (:func:`_packed_order`): an integer sort is four times faster
    than numpy's argsort and gives the order and the ranks (a second, 32-bit sort inverts it).
    The few rows where two present values share their high bits (ties, or values closer than
    about 1e-13 relative) go through :func:`_rank_rows_exact`, so every rank is exact.

    Returns
    -------
    tuple[numpy.ndarray, numpy.ndarray, numpy.ndarray, numpy.ndarray]
        The ranks, the (rows, 1) medians, (rows,) whether a row has tied values, and the
        row-wise argsort (missing values last).

    Examples
    --------
    >>> ranks, median, tied, order = _rank_rows_tied(np.array([[0.3, np.nan, -1.0, 0.3]]))
    >>> ranks.tolist(), median.tolist(), tied.tolist(), order[0, :3].tolist()
    ([[2.5, nan, 1.0, 2.5]], [[0.3]], [True], [2, 0, 3])
    """
    n, width = x.shape
    bits = max(int(width - 1).bit_length(), 1)
    if bits > _PACKED_BITS:
        return _rank_rows_exact(x, fill)
    missing = np.isnan(x)
    present = width - missing.sum(axis=1)
    order, suspect = _packed_order(x, missing, present, bits)
    ranks = _scatter_counts(order, np.arange(1, width + 1)).astype(np.float64)
    rows = np.arange(n)
    lo = np.clip((present - 1) // 2, 0, width - 1)
    hi = np.clip(present // 2, 0, width - 1)
    with np.errstate(invalid="ignore"):
        mid = (x[rows, order[rows, lo]] + x[rows, order[rows, hi]]) / 2.0
    median = np.where(present > 0, mid, np.nan)
    tied = np.zeros(n, dtype=bool)
    if suspect.any():
        exact_ranks, exact_median, exact_tied, exact_order = _rank_rows_exact(x[suspect], fill)
        ranks[suspect], median[suspect] = exact_ranks, exact_median[:, 0]
        tied[suspect], order[suspect] = exact_tied, exact_order
    ranks[missing] = fill
    return ranks, median[:, None], tied, order


#: Widest column number :func:`_packed_order` packs into a key's low bits (rows of up to 262,144
#: values, such as the Wilcoxon test's windows of 100,000 CARs); wider rows, and rows with two
#: values closer than 2^(bits - 52) relative, rank exactly (in a row of a million values such
#: near neighbours are common, and the packed sort would be work thrown away).
_PACKED_BITS = 18


def _packed_order(
    x: np.ndarray, missing: np.ndarray, present: np.ndarray, bits: int
) -> tuple[np.ndarray, np.ndarray]:
    """Each row's argsort (missing values last) from one sort of integer keys, and which rows
    that order may not be exact for.

    A float's bits read as a signed integer order like the float once the magnitude bits of the
    negative ones are flipped; the low ``bits`` bits then make room for the column number, so
    the sorted keys carry the order. Two present values whose keys agree above those bits may be
    tied or in either order: their row is *suspect*.

    Examples
    --------
    >>> x = np.array([[0.5, -2.0, np.nan, 0.0], [1.0, 1.0, -0.0, 0.0]])
    >>> order, suspect = _packed_order(x, np.isnan(x), np.array([3, 4]), 2)
    >>> order[0, :3].tolist(), suspect.tolist()
    ([1, 3, 0], [False, True])
    """
    width = x.shape[1]
    values = np.where(missing, np.inf, x).astype(np.float64, copy=False)  # 64-bit keys
    values += 0.0  # -0.0 becomes +0.0: they are equal, so they must share a key
    keys: np.ndarray = values.view(np.int64)
    flip = keys >> 63  # all ones for a negative float, else zero
    flip &= np.int64(0x7FFF_FFFF_FFFF_FFFF)
    keys ^= flip
    del flip
    low = np.int64((1 << bits) - 1)
    keys &= ~low
    keys |= np.arange(width, dtype=np.int64)
    keys.sort(axis=1)
    close = (keys[:, 1:] ^ keys[:, :-1]).view(np.uint64) <= np.uint64(low)  # the same high bits
    close &= np.arange(1, width) < present[:, None]  # both present
    suspect = np.asarray(close.any(axis=1))
    keys &= low
    return keys.astype(np.intp, copy=False), suspect


def _scatter_counts(order: np.ndarray, values: np.ndarray) -> np.ndarray:
    """``out[i, order[i, k]] = values[i, k]`` for integers ``0 <= values <= L`` (L the row
    width; ``values`` may be one row for all), as int32: one sort of 32-bit keys holding the
    column in their high bits and the value in their low ones (64-bit keys for rows over
    32,767 values), three times faster than a fancy-index scatter.

    Examples
    --------
    >>> _scatter_counts(np.array([[2, 0, 1]]), np.array([1, 2, 3])).tolist()
    [[2, 3, 1]]
    """
    width = order.shape[1]
    bits = int(width).bit_length()
    kind = np.dtype(np.int32 if 2 * bits <= 31 else np.int64)  # 64 bits past 32,767 values
    keys: np.ndarray = order.astype(kind)
    np.left_shift(keys, bits, out=keys)
    np.bitwise_or(keys, values.astype(kind, copy=False), out=keys)
    keys.sort(axis=1)
    np.bitwise_and(keys, (1 << bits) - 1, out=keys)
    return keys.astype(np.int32, copy=False)


def _rank_rows_exact(
    x: np.ndarray, fill: float = np.nan
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """:func:`_rank_rows_tied` by numpy's argsort of the floats, with scipy's ``rankdata`` for
    rows with ties; the sorted rows give the medians without a second pass."""
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
    np.put_along_axis(out, order, np.broadcast_to(values, order.shape), axis=1)
    return out
