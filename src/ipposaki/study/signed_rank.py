"""The median of a cross-section of CARs with Tukey's distribution-free interval.

For values :math:`x_1, \\dots, x_n` the :math:`M = n(n+1)/2` *Walsh averages* are
:math:`(x_i + x_j)/2` for :math:`i \\le j`; sorted, :math:`W_{(1)} \\le \\dots \\le W_{(M)}`.
Their median is the Hodges–Lehmann (1963) estimate of the centre of a symmetric distribution,
and Tukey's interval (Hollander and Wolfe 1999, *Nonparametric Statistical Methods*, 2nd ed.,
§3.3, Comment 26) is

.. math:: [W_{(c+1)},\\; W_{(M-c)}],

where :math:`c` is the largest integer with :math:`P(V \\le c) \\le \\alpha/2` under the null law
of the Wilcoxon signed-rank statistic :math:`V` (each of :math:`2^n` sign patterns equally
likely), so that the interval covers the centre with probability at least :math:`1-\\alpha`.
When no :math:`c \\ge 1` qualifies, :math:`c = 0` and the interval is :math:`[\\min x, \\max x]`
(the widest one; with :math:`n = 3` the largest achievable level is 75%). This is the interval
of R's eventstudies ``inference.wilcox`` (xKDR), which shows it around the plain median.

The null law of :math:`V` is exact (a recursion over the ranks) for ``n <= EXACT_MAX`` and
otherwise normal with mean :math:`M/2`, variance :math:`n(n+1)(2n+1)/24` and a continuity
correction. Order statistics of the Walsh averages are selected by counting, in
:math:`O(n \\log n)` per step, without forming all :math:`M` of them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import overload

import numpy as np
from scipy import stats

__all__ = ["EXACT_MAX", "MedianInterval", "median_interval", "signed_rank_cdf", "walsh_order"]

#: Largest n for which the null law of the signed-rank statistic is computed exactly.
EXACT_MAX = 400


@dataclass(frozen=True)
class MedianInterval:
    """The centre of a sample: its median, the Hodges–Lehmann estimate and Tukey's interval."""

    n: int
    median: float
    hodges_lehmann: float
    low: float
    high: float


def signed_rank_cdf(n: int) -> np.ndarray:
    """Exact null CDF of the Wilcoxon signed-rank statistic for ``n`` untied, non-zero values.

    Parameters
    ----------
    n : int
        Sample size, ``n >= 0``.

    Returns
    -------
    numpy.ndarray
        ``cdf[v] = P(V <= v)`` for ``v = 0, ..., n(n+1)/2`` (read-only, cached per ``n``).
        Each rank ``r`` enters ``V`` with probability 1/2, so the law is built by
        ``p <- (p + shift(p, r)) / 2`` for r = 1..n.
    """
    return _cdf(n)


@lru_cache(maxsize=64)
def _cdf(n: int) -> np.ndarray:
    """:func:`signed_rank_cdf`, computed once per ``n`` (read-only: it is shared)."""
    m = n * (n + 1) // 2
    p = np.zeros(m + 1)
    p[0] = 1.0
    top = 0
    for r in range(1, n + 1):
        top += r
        shifted = np.zeros(top + 1)
        shifted[r:] = p[: top + 1 - r]
        p[: top + 1] = 0.5 * (p[: top + 1] + shifted)
    cdf = np.cumsum(p)
    cdf.setflags(write=False)
    return cdf


def _cutoff(n: int, alpha: float) -> int:
    """Largest ``c`` with ``P(V <= c) <= alpha/2`` (0 when none)."""
    if n <= EXACT_MAX:
        below = np.flatnonzero(signed_rank_cdf(n) <= alpha / 2.0)
        return int(below[-1]) if below.size else 0
    mu = n * (n + 1) / 4.0
    sd = np.sqrt(n * (n + 1) * (2 * n + 1) / 24.0)
    return max(0, int(np.floor(mu + sd * stats.norm.ppf(alpha / 2.0) - 0.5)))


def _count_at_most(x: np.ndarray, s: float) -> int:
    """How many pairs ``i <= j`` of the sorted ``x`` have ``x_i + x_j <= s``."""
    right = np.searchsorted(x, s - x, side="right")
    return int(np.maximum(right - np.arange(len(x)), 0).sum())


def _select(xs: np.ndarray, k: int, sample: np.ndarray | None) -> float:
    """The k-th smallest pair sum ``x_i + x_j`` (i <= j) of the sorted ``xs``.

    ``(lo, hi]`` starts as the whole range, or, given a sorted ``sample`` of random pair sums,
    as its order statistics ``4`` standard errors either side of the quantile ``p = k/M``
    (each end kept only when its exact count confirms it brackets k). Interpolation on the
    count (it rises like M times the pair sums' CDF), with a bisection after two steps that
    each failed to halve the bracket, narrows it to at most ``max(n, 64)`` sums, which are then
    listed.
    """
    n = len(xs)
    lo, hi = 2.0 * float(xs[0]) - 1.0, 2.0 * float(xs[-1])  # count(lo) = 0 < k <= count(hi) = M
    n_lo, n_hi = 0, n * (n + 1) // 2
    if sample is not None:
        size = len(sample)
        p = (k - 0.5) / n_hi
        half = 4.0 * np.sqrt(p * (1.0 - p) / size) + 2.0 / size
        a = float(sample[max(int(np.floor((p - half) * size)), 0)])
        b = float(sample[min(int(np.ceil((p + half) * size)), size - 1)])
        n_a, n_b = _count_at_most(xs, a), _count_at_most(xs, b)
        if n_a < k:
            lo, n_lo = a, n_a
        if n_b >= k:
            hi, n_hi = b, n_b
    room = max(n, 64)
    aims = (k - room // 3, k + room // 3)  # alternate targets inside the final bracket
    turn = stalls = 0
    while n_hi - n_lo > room:
        width = n_hi - n_lo
        frac = (aims[turn % 2] - n_lo) / width if stalls < 2 else 0.5
        mid = lo + (hi - lo) * min(max(frac, 1e-4), 1.0 - 1e-4)
        if mid <= lo or mid >= hi:
            break
        n_mid = _count_at_most(xs, mid)
        if n_mid >= k:
            hi, n_hi = mid, n_mid
        else:
            lo, n_lo = mid, n_mid
        turn += 1
        stalls = stalls + 1 if n_hi - n_lo > width // 2 else 0
    # the few pair sums in (lo, hi]: for each i, the j >= i between the two cut points
    first = np.arange(n)
    start = np.maximum(np.searchsorted(xs, lo - xs, side="right"), first)
    stop = np.maximum(np.searchsorted(xs, hi - xs, side="right"), first)
    lengths = stop - start
    i = np.repeat(first, lengths)
    j = np.repeat(start - np.cumsum(lengths) + lengths, lengths) + np.arange(lengths.sum())
    return float(np.sort(xs[i] + xs[j])[k - n_lo - 1])


@overload
def walsh_order(x: np.ndarray, k: int) -> float: ...


@overload
def walsh_order(x: np.ndarray, k: Sequence[int]) -> np.ndarray: ...


def walsh_order(x: np.ndarray, k: int | Sequence[int]) -> float | np.ndarray:
    """The ``k``-th smallest Walsh average (1-based) of ``x``, or one per rank in ``k``.

    Parameters
    ----------
    x : numpy.ndarray
        Finite values.
    k : int or sequence of int
        Ranks, ``1 <= k <= n(n+1)/2``.

    Returns
    -------
    float or numpy.ndarray
        :math:`W_{(k)}`, found without forming all :math:`M` averages: the pair sums at or
        below a value are counted in :math:`O(n \\log n)`, a search on that count narrows an
        interval to at most ``max(n, 64)`` sums, and those are listed (see ``_select``).
    """
    xs = np.sort(np.asarray(x, dtype=float))
    n = len(xs)
    ranks = np.atleast_1d(np.asarray(k, dtype=np.int64))
    m = n * (n + 1) // 2
    bad = ranks[(ranks < 1) | (ranks > m)]
    if bad.size:
        raise ValueError(f"k={int(bad[0])} outside 1..{m}")
    sample = None
    if m > 16 * max(n, 64):  # many pair sums: bracket each rank from a sample of them first
        size = min(2 * n, 500_000)
        rng = np.random.default_rng(n)
        sample = np.sort(xs[rng.integers(0, n, size)] + xs[rng.integers(0, n, size)])
    out = np.array([_select(xs, int(r), sample) for r in ranks]) / 2.0
    return float(out[0]) if np.ndim(k) == 0 else out


def median_interval(values: np.ndarray, alpha: float = 0.05) -> MedianInterval:
    """Median, Hodges–Lehmann estimate and Tukey's ``1 - alpha`` interval of ``values``.

    Parameters
    ----------
    values : numpy.ndarray
        A cross-section (e.g. CARs); NaNs are dropped.
    alpha : float, default 0.05
        One minus the coverage.

    Returns
    -------
    MedianInterval
        All NaN when no value is left.
    """
    x = np.sort(np.asarray(values, dtype=float))
    x = x[~np.isnan(x)]
    n = len(x)
    if n == 0:
        return MedianInterval(0, np.nan, np.nan, np.nan, np.nan)
    m = n * (n + 1) // 2
    c = _cutoff(n, alpha)
    w = walsh_order(x, [(m + 1) // 2, m // 2 + 1, c + 1, m - c])
    hl = float(w[0]) if m % 2 else 0.5 * float(w[0] + w[1])
    return MedianInterval(n, float(np.median(x)), hl, float(w[2]), float(w[3]))
