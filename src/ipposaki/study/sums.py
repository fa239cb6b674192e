"""The battery's inputs for one group of pairs: per-pair arrays and additive per-day sums.

:class:`PairStats` holds each pair's CARs, standardised CARs and estimation-window moments;
:class:`TimeSums` the sums over a group's pairs per estimation and event day, which every
portfolio, rank and sign test reduces to. The sums of blocks of pairs add exactly, so blocks
can run apart (other processes or machines) and be merged.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from ipposaki.study.correlation import CorrelationSums
from ipposaki.study.membership import Member, group_rows, scaled, stacked
from ipposaki.study.ranks import _first_ranks, _ranks_zero, grank_sums

__all__ = ["PairStats", "TimeSums", "pair_stats_est", "time_sums"]


@dataclass(frozen=True)
class PairStats:
    """Per-pair inputs of the battery for one group (N pairs, K windows).

    Attributes
    ----------
    car, scar, days : numpy.ndarray
        (N, K) CAR, standardised CAR and valid-day count.
    dof : numpy.ndarray
        (N,) residual degrees of freedom.
    s2 : numpy.ndarray
        (N,) sample variance (ddof 1) of the estimation-window abnormal returns.
    frac_pos : numpy.ndarray
        (N,) share of positive estimation-window abnormal returns.
    n_est : numpy.ndarray
        (N,) valid estimation sessions.
    sar_est : numpy.ndarray
        (N, L) standardised estimation residuals ``e_it / s_i`` (NaN where missing), for the
        generalized rank test.
    """

    car: np.ndarray
    scar: np.ndarray
    days: np.ndarray
    dof: np.ndarray
    s2: np.ndarray
    frac_pos: np.ndarray
    n_est: np.ndarray
    sar_est: np.ndarray


@dataclass(frozen=True)
class TimeSums:
    """Sums over a group's pairs, per estimation day (L) and event day (W); additive.

    Everything the portfolio, rank and sign tests need reduces to these sums, so pairs can be
    processed in chunks (or on other machines) and their sums added exactly. The
    cross-correlation sums (:class:`~ipposaki.study.correlation.CorrelationSums`) merge
    exactly too.
    """

    resid_sum: np.ndarray
    resid_cnt: np.ndarray
    ar_sum: np.ndarray
    ar_cnt: np.ndarray
    m_est_sum: np.ndarray
    m_est_cnt: np.ndarray
    m_ev_sum: np.ndarray
    m_ev_cnt: np.ndarray
    rank_sum: np.ndarray
    rank_var: np.ndarray
    urank_sum: np.ndarray
    rank_cnt: np.ndarray
    sign_sum: np.ndarray
    sign_cnt: np.ndarray
    #: (C, L) GRANK's per-day sums for its C windows before the window's own value is placed:
    #: ``sum_i (U_it - 1/2 ... )`` as :func:`grank_sums` defines them, and the pairs counted.
    grank_u: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))
    grank_n: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))
    corr: CorrelationSums | None = None

    def __add__(self, other: TimeSums) -> TimeSums:
        return TimeSums.combine([self, other])

    @staticmethod
    def combine(parts: Sequence[TimeSums]) -> TimeSums:
        """The sums of several blocks at once (one merge of their correlation sums)."""
        added = {
            name: sum((getattr(p, name) for p in parts[1:]), start=getattr(parts[0], name))
            for name in TimeSums.__dataclass_fields__
            if name != "corr"
        }
        corrs = [p.corr for p in parts if p.corr is not None]
        return TimeSums(**added, corr=CorrelationSums.combine(corrs) if corrs else None)


def pair_stats_est(resid: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per pair: sample variance (ddof 1), share of positive values, count of ``resid``."""
    n_est, total, squares = _present_sums(resid, 1, squares=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        frac = np.sum(resid > 0, axis=1) / n_est
        var = (squares - total**2 / n_est) / (n_est - 1)
    return np.sqrt(np.maximum(var, 0.0)) ** 2, frac, n_est


def time_sums(
    member: Member,
    resid: np.ndarray,
    ar: np.ndarray,
    market_est: np.ndarray,
    market_event: np.ndarray,
    est_lo: np.ndarray | None = None,
    day0: np.ndarray | None = None,
    origin: int | None = None,
    span: int | None = None,
    scar: np.ndarray | None = None,
    sar_est: np.ndarray | None = None,
) -> list[TimeSums]:
    """The :class:`TimeSums` of each group for one chunk of pairs.

    Parameters
    ----------
    member : numpy.ndarray or scipy.sparse.csr_array
        (G, N) float 0/1 matrix: which of the N pairs belong to each of G groups
        (:mod:`ipposaki.study.membership`).
    resid, ar : numpy.ndarray
        (N, L) estimation-window and (N, W) event-window abnormal returns.
    market_est, market_event : numpy.ndarray
        (N, L) and (N, W) market returns (NaN where unused).
    est_lo, day0 : numpy.ndarray, optional
        (N,) each pair's first estimation day relative to day 0, and the session position of
        its day 0, for the cross-correlation sums; without them every pair starts its
        estimation window at -L on one common event session.
    origin, span : int, optional
        The earliest estimation offset of the whole study and the number of offsets its
        estimation windows cover (blocks must agree on them to add their sums); default those
        of this block.
    scar : numpy.ndarray, optional
        (N, C) standardised CARs of the C windows GRANK tests, for :func:`grank_sums`.
    sar_est : numpy.ndarray, optional
        (N, L) standardised estimation residuals when their order is not that of ``resid``
        (GARCH: each day has its own scale); GRANK then ranks them itself.

    Returns
    -------
    list[TimeSums]
        One per group.
    """

    mes, mec = _masked_sums(member, market_est)
    mvs, mvc = _masked_sums(member, market_event)
    n, width = resid.shape
    ranks = _RankSums.of(member, resid, ar, scar, sar_est)
    rs, as_ = ranks.value_sum[:, :width], ranks.value_sum[:, width:]
    rc, ac = ranks.rank_cnt[:, :width], ranks.rank_cnt[:, width:]
    if est_lo is None or day0 is None:
        est_lo, day0 = np.full(n, -width, dtype=np.int64), np.zeros(n, dtype=np.int64)
    if origin is None:
        origin = int(est_lo.min()) if n else 0
    if span is None:
        span = int((est_lo + width).max()) - origin if n else 0
    in_group = [group_rows(member, g) for g in range(member.shape[0])]
    return [
        TimeSums(
            resid_sum=rs[g],
            resid_cnt=rc[g],
            ar_sum=as_[g],
            ar_cnt=ac[g],
            m_est_sum=mes[g],
            m_est_cnt=mec[g],
            m_ev_sum=mvs[g],
            m_ev_cnt=mvc[g],
            rank_sum=ranks.rank_sum[g],
            rank_var=ranks.rank_var[g],
            urank_sum=ranks.urank_sum[g],
            rank_cnt=ranks.rank_cnt[g],
            sign_sum=ranks.sign_sum[g],
            sign_cnt=ranks.rank_cnt[g],
            grank_u=ranks.grank_u[g],
            grank_n=ranks.grank_n[g],
            corr=(
                CorrelationSums.of(
                    resid[in_group[g]], est_lo[in_group[g]], day0[in_group[g]], origin, span
                )
                if len(in_group[g])
                else None
            ),
        )
        for g in range(member.shape[0])
    ]


def _masked_sums(member: Member, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per group and day: the sum of the present values of ``x`` and their count.

    Parameters
    ----------
    member : numpy.ndarray or scipy.sparse.csr_array
        (G, N) membership matrix.
    x : numpy.ndarray
        (N, T) values, NaN where missing.

    Returns
    -------
    tuple of numpy.ndarray
        (G, T) sums and (G, T) counts.
    """
    valid = ~np.isnan(x)
    return member @ np.where(valid, x, 0.0), member @ valid.astype(float)


@dataclass(frozen=True)
class _RankSums:
    """Per group and day: the rank, sign and GRANK sums of one chunk of pairs, and the sums of
    the values themselves (their counts are ``rank_cnt``)."""

    value_sum: np.ndarray
    rank_sum: np.ndarray
    rank_var: np.ndarray
    urank_sum: np.ndarray
    rank_cnt: np.ndarray
    sign_sum: np.ndarray
    grank_u: np.ndarray
    grank_n: np.ndarray

    @staticmethod
    def of(
        member: Member,
        resid: np.ndarray,
        ar: np.ndarray,
        scar: np.ndarray | None,
        sar_est: np.ndarray | None,
    ) -> _RankSums:
        """Ranks and signs over each pair's estimation and event days together.

        Every sum is a product of a weighted membership matrix with the ranks (0 where
        missing) or with the presence mask: sum of (K_it - (m_i + 1) / 2) = member @ K -
        (member (m + 1) / 2) @ P.

        Parameters
        ----------
        member : numpy.ndarray or scipy.sparse.csr_array
            (G, N) membership matrix.
        resid, ar : numpy.ndarray
            (N, L) estimation-window and (N, W) event-window abnormal returns.
        scar, sar_est : numpy.ndarray or None
            As for :func:`time_sums` (no GRANK sums without ``scar``).

        Returns
        -------
        _RankSums
            (G, L + W) sums (the values', then the ranks' and signs'), and (G, C, L) GRANK
            sums.
        """
        combined = np.concatenate([resid, ar], axis=1)
        ranks, med, present, order = _ranks_zero(combined)
        width = resid.shape[1]
        g = member.shape[0]
        g_u = g_n = np.zeros((g, 0, width))
        if scar is not None:
            if sar_est is None:  # the residuals' own order, read off the combined argsort
                est_ranks = _first_ranks(order, width, present[:, :width])
            else:
                est_ranks = _ranks_zero(np.asarray(sar_est, dtype=np.float64))[0]
            g_u, g_n = grank_sums(member, est_ranks, present[:, :width], scar)
        m_i = present.sum(axis=1).astype(float)
        by_rank = stacked([member, scaled(member, m_i + 1.0, divide=True)]) @ ranks
        by_count = (
            stacked(
                [member, scaled(member, (m_i + 1.0) / 2.0), scaled(member, (m_i**2 - 1.0) / 12.0)]
            )
            @ present
        )
        rank_cnt = by_count[:g]
        with np.errstate(invalid="ignore"):  # signs as int8, 0 where missing (NaN compares False)
            signs = np.greater(combined, med).view(np.int8)
            signs -= np.less(combined, med).view(np.int8)
        sign_sum = member @ signs
        np.copyto(combined, 0.0, where=present == 0.0)  # the values, 0 where missing
        return _RankSums(
            value_sum=member @ combined,
            rank_sum=by_rank[:g] - by_count[g : 2 * g],
            rank_var=by_count[2 * g :],
            urank_sum=by_rank[g:] - 0.5 * rank_cnt,
            rank_cnt=rank_cnt,
            sign_sum=sign_sum,
            grank_u=g_u,
            grank_n=g_n,
        )


def _moments(x: np.ndarray, axis: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Count, sum, mean and standard deviation (ddof 1) of the present values along ``axis``."""
    count, total, squares = _present_sums(x, axis, squares=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(count > 0, total / count, np.nan)
        var = (squares - total**2 / count) / (count - 1)
    return count, total, mean, np.sqrt(np.maximum(var, 0.0))


def _present_sums(
    x: np.ndarray, axis: int, squares: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Count, sum and (if ``squares``) sum of squares of the present values along ``axis``.

    Across pairs (``axis=0``, a few windows) column by column, so a million pairs make no
    (pairs, windows) float copy; along a pair's days (``axis=1``) all rows at once.
    """
    if axis == 0:
        count = np.zeros(x.shape[1], dtype=np.int64)
        total, sq = np.zeros(x.shape[1]), np.zeros(x.shape[1])
        for j in range(x.shape[1]):  # one column's present values at a time
            col = x[:, j]
            col = col[~np.isnan(col)]
            count[j], total[j] = len(col), col.sum()
            if squares:
                sq[j] = col @ col
        return count, total, sq
    valid = ~np.isnan(x)
    filled = np.where(valid, x, 0.0)
    sq = np.einsum("ij,ij->i", filled, filled) if squares else filled
    return valid.sum(axis=1), filled.sum(axis=1), sq
