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

from dataclasses import dataclass

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
        ``cdf[v] = P(V <= v)`` for ``v = 0, ..., n(n+1)/2``. Each rank ``r`` enters ``V`` with
        probability 1/2, so the law is built by ``p <- (p + shift(p, r)) / 2`` for r = 1..n.
    """
    m = n * (n + 1) // 2
    p = np.zeros(m + 1)
    p[0] = 1.0
    top = 0
    for r in range(1, n + 1):
        top += r
        shifted = np.zeros(top + 1)
        shifted[r:] = p[: top + 1 - r]
        p[: top + 1] = 0.5 * (p[: top + 1] + shifted)
    return np.cumsum(p)


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


def walsh_order(x: np.ndarray, k: int) -> float:
    """The ``k``-th smallest Walsh average (1-based) of ``x``.

    Parameters
    ----------
    x : numpy.ndarray
        Finite values.
    k : int
        Rank, ``1 <= k <= n(n+1)/2``.

    Returns
    -------
    float
        :math:`W_{(k)}`. Bisection on a value ``s``, counting the pair sums at or below it,
        narrows ``(lo, hi]`` until it holds at most ``max(n, 64)`` pair sums with
        ``count(lo) < k <= count(hi)``; those are listed and the right one taken.
    """
    xs = np.sort(np.asarray(x, dtype=float))
    n = len(xs)
    if not 1 <= k <= n * (n + 1) // 2:
        raise ValueError(f"k={k} outside 1..{n * (n + 1) // 2}")
    lo, hi = 2.0 * float(xs[0]) - 1.0, 2.0 * float(xs[-1])  # count(lo) = 0 < k <= count(hi) = M
    n_lo, n_hi = 0, n * (n + 1) // 2
    while n_hi - n_lo > max(n, 64):
        mid = 0.5 * (lo + hi)
        if mid <= lo or mid >= hi:
            break
        n_mid = _count_at_most(xs, mid)
        if n_mid >= k:
            hi, n_hi = mid, n_mid
        else:
            lo, n_lo = mid, n_mid
    # the few pair sums in (lo, hi]: for each i, the j >= i between the two cut points
    first = np.arange(n)
    start = np.maximum(np.searchsorted(xs, lo - xs, side="right"), first)
    stop = np.maximum(np.searchsorted(xs, hi - xs, side="right"), first)
    lengths = stop - start
    i = np.repeat(first, lengths)
    j = np.repeat(start - np.cumsum(lengths) + lengths, lengths) + np.arange(lengths.sum())
    sums = np.sort(xs[i] + xs[j])
    return float(sums[k - n_lo - 1]) / 2.0


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
    hl = walsh_order(x, (m + 1) // 2)
    if m % 2 == 0:
        hl = 0.5 * (hl + walsh_order(x, m // 2 + 1))
    c = _cutoff(n, alpha)
    return MedianInterval(n, float(np.median(x)), hl, walsh_order(x, c + 1), walsh_order(x, m - c))
