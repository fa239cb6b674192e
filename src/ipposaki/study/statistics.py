"""The test battery, vectorised across firms and windows.

Notation, for one group of N pairs: ``AR_it`` is pair i's abnormal return on event day t,
``e_iτ`` its estimation-window abnormal return (τ in event time), ``s_i^2`` its residual variance
with ``d_i`` degrees of freedom. A *window* w (a single day ``k:k`` or a CAR window ``a:b``) has
``L_w`` days; ``CAR_iw`` is the sum of pair i's valid ARs in w and ``SCAR_iw = CAR_iw /
sqrt(Var CAR_iw)`` uses the forecast-error variance with the prediction-error term (so a
single-day SCAR is the standardised AR, SAR). Averages over firms skip missing values.
All p-values are two-sided.

Parametric tests

``t_cross_section``
    ``mean(CAR) / (sd(CAR) / sqrt(N))`` ~ t(N-1).
``brown_warner_1980`` (Brown and Warner 1980, appendix; independence)
    ``mean(CAR) / (sqrt(sum_i L_iw S_i^2) / N)`` with ``S_i^2`` the sample variance (ddof 1) of
    ``e_iτ``; ~ t(mean estimation length - 1).
``brown_warner_1985`` (Brown and Warner 1985; crude dependence adjustment)
    ``CAAR_w / (sqrt(L_w) S)`` with ``AAR_τ = mean_i e_iτ``, ``S = sd_τ(AAR_τ)`` (ddof 1) and
    ``CAAR_w = sum_{t in w} AAR_t``; ~ t(number of estimation days - 1).
``patell`` (Patell 1976)
    ``sum_i SCAR_iw / sqrt(sum_i d_i / (d_i - 2))`` ~ N(0, 1).
``bmp`` (Boehmer, Musumeci and Poulsen 1991)
    ``mean(SCAR) / (sd(SCAR) / sqrt(N))`` ~ t(N-1).
``kolari_pynnonen`` (Kolari and Pynnönen 2010)
    ``bmp * sqrt((1 - r_w) / (1 + (N - 1) r_w))`` ~ t(N-1), with ``r_w`` the average
    cross-correlation of the pairs' CARs over window w: pairwise Pearson correlations of the
    estimation-window residuals over the sessions both pairs have, in calendar time, weighted by
    the share of the window's days the two events have in common (see
    :mod:`ipposaki.study.correlation`).
``lamb`` (Lamb 1995)
    Daily ``AAR_t / (S sqrt(1 + 1/L + (m_t - mean m)^2 / sum_τ (m_τ - mean m)^2))`` with ``S``
    as in ``brown_warner_1985``, ``m`` the pairs' mean market return and ``L`` the mean
    estimation length; a window sums its daily statistics and divides by ``sqrt(L_w)``;
    ~ N(0, 1).

Non-parametric tests

``sign``
    ``N+`` of ``CAR > 0`` among the non-zero CARs; exact two-sided binomial p-value (p = 0.5);
    the statistic is ``(N+ - N/2) / sqrt(N/4)``.
``generalized_sign`` (Cowan 1992)
    ``(w - N p) / sqrt(N p (1 - p))`` with ``w`` the count of positive CARs and ``p`` the mean
    share of positive estimation-window residuals; ~ N(0, 1).
Rank and sign tests over each pair's estimation and event days together (M_i valid days) work
on a daily cross-sectional mean ``x_t`` over the ``N_t`` pairs present on day t. With gaps,
``N_t`` varies, and so does ``Var(x_t)``: it is modelled as ``V_t = a + b / N_t`` (``a`` the
common, ``b`` the independent part; :func:`_daily_variance`, fitted on all days). With
``q_t = sqrt(N_t) x_t``, a window's statistic is ``sum_{t in w} q_t / sqrt(sum_{t in w} N_t
V_t)`` ~ N(0, 1). With every pair present every day, ``N_t V_t = mean_t q_t^2 = S^2`` and this
is the paper's ``sum_{t in w} q_t / (sqrt(L_w) S)``; scaling by ``sqrt(N_t)`` alone
(Campbell and Wasley 1993 as written in Kolari and Pynnönen 2011) is the case ``a = 0``, which
stays mis-sized when the pairs' returns are cross-correlated.

``corrado_rank`` (Corrado 1989)
    Ranks ``K_it``; ``x_t = mean_i (K_it - (M_i + 1) / 2) / sqrt(mean_i (M_i^2 - 1) / 12)``
    (the centred rank sum over its standard deviation under the null, divided by
    ``sqrt(N_t)``).
``modified_rank`` (Campbell and Wasley 1993)
    Standardised ranks ``U_it = K_it / (M_i + 1)``; ``x_t = mean_i (U_it - 1/2)``, which keeps
    pairs with different numbers of returns comparable.
``corrado_sign`` (Corrado and Zivney 1992)
    ``G_it = sign(AR_it - median_i)``; ``x_t = mean_i G_it``.
``grank`` (Kolari and Pynnönen 2011, generalized rank test for CARs)
    Run on the CAR windows (single event days that are not CAR windows get NaN). Each pair's
    window is one observation: its standardised CAR re-standardised by the
    cross-sectional standard deviation, ``SCAR*_i = SCAR_i / sd(SCAR)``, joins the pair's
    standardised estimation residuals ``SAR_it = e_it / s_i``; ``U_it = rank / (T_i + 1) - 1/2``
    over these ``T_i`` values. ``Z = Ubar_0 / sqrt(V_0)`` with ``Ubar_t = mean_i U_it`` (t = the
    window, then each estimation day) and ``V_t`` the variance model of the rank tests below,
    and ``t = Z sqrt((T - 2) / (T - 1 - Z^2))`` ~ t(T - 2), T the number of days. With every
    pair present every day, ``V_0 = mean_t Ubar_t^2``: the paper's ``S_Ubar``. Robust to
    cross-correlation and event-induced volatility; with fewer than about ten pairs the
    re-standardisation makes it over-reject (9% at 5% with 7 pairs, simulated).
``wilcoxon`` (Wilcoxon 1945 signed-rank)
    On the CARs, zeros dropped; the statistic is ``W+``, the sum of the ranks of the positive
    CARs (so it says the direction; ``z = (W+ - n(n+1)/4) / sqrt(sum r^2 / 4)`` is given too).
    Up to 50 pairs without ties
    the exact null law decides; with ties, up to 13 pairs, scipy's permutation test; otherwise
    the normal approximation with ``Var = sum r^2 / 4`` over midranks, which includes the tie
    correction. These are scipy's ``wilcoxon`` conventions, and the tests compare with it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy import stats

from ipposaki.study.correlation import CorrelationSums, window_rbar
from ipposaki.study.signed_rank import signed_rank_cdf

__all__ = [
    "REFERENCES",
    "TEST_NAMES",
    "PairStats",
    "TestResult",
    "TimeSums",
    "pair_stats_est",
    "run_battery",
    "time_sums",
]

REFERENCES: dict[str, str] = {
    "t_cross_section": "cross-sectional t test",
    "brown_warner_1980": "Brown and Warner (1980), J. Financial Economics 8:205-258",
    "brown_warner_1985": "Brown and Warner (1985), J. Financial Economics 14:3-31",
    "patell": "Patell (1976), J. Accounting Research 14(2):246-276",
    "bmp": "Boehmer, Musumeci and Poulsen (1991), J. Financial Economics 30(2):253-272",
    "kolari_pynnonen": "Kolari and Pynnönen (2010), Review of Financial Studies 23(11):3996-4025",
    "lamb": "Lamb (1995), J. Risk and Insurance 62(1):111-123",
    "sign": "sign test (binomial, p = 0.5)",
    "generalized_sign": "Cowan (1992), Review of Quantitative Finance and Accounting 2:343-358",
    "corrado_rank": "Corrado (1989), J. Financial Economics 23(2):385-395",
    "modified_rank": "Campbell and Wasley (1993), J. Financial Economics 33(1):73-92",
    "corrado_sign": (
        "Corrado and Zivney (1992), J. Financial and Quantitative Analysis 27(3):465-478"
    ),
    "wilcoxon": "Wilcoxon (1945) signed-rank test",
    "grank": "Kolari and Pynnönen (2011), J. Empirical Finance 18(5):953-971",
}
#: The null hypothesis of each test.
NULLS: dict[str, str] = {
    "t_cross_section": "the mean CAR over the window is zero (CARs independent across pairs)",
    "brown_warner_1980": (
        "the mean CAR is zero, with each pair's variance from its estimation residuals "
        "(independent pairs)"
    ),
    "brown_warner_1985": (
        "the portfolio's cumulative abnormal return is zero, with its variance from the "
        "portfolio's estimation-window residuals"
    ),
    "patell": "every standardised CAR has mean zero (independent pairs, no event-induced variance)",
    "bmp": "the mean standardised CAR is zero (event-induced variance allowed)",
    "kolari_pynnonen": (
        "the mean standardised CAR is zero, allowing event-induced variance and "
        "cross-correlation between pairs"
    ),
    "lamb": "the portfolio's abnormal return is zero, with the prediction-error adjustment",
    "sign": "positive and negative CARs are equally likely",
    "generalized_sign": (
        "the share of positive CARs equals the share of positive estimation residuals"
    ),
    "corrado_rank": "event-window ARs rank like estimation-window ARs (mean rank in the middle)",
    "modified_rank": (
        "event-window ARs rank like estimation-window ARs (standardised ranks average 1/2)"
    ),
    "corrado_sign": "event-window ARs fall above the pair's median as often as below it",
    "wilcoxon": "the CARs are symmetric about zero (median CAR zero)",
    "grank": (
        "standardised CARs rank like standardised estimation residuals (allowing "
        "cross-correlation and event-induced variance)"
    ),
}
TEST_NAMES: tuple[str, ...] = tuple(REFERENCES)


@dataclass(frozen=True)
class TestResult:
    """One test of one window in one basket.

    Attributes
    ----------
    test : str
        Test name (see :data:`TEST_NAMES`).
    basket, window : str
        Basket of pairs (``"all"``: every pair) and window (``"k:k"`` for a single day).
    statistic, p_value : float
        The statistic and its two-sided p-value.
    df : float
        Degrees of freedom (NaN where the distribution has none).
    nobs : int
        Pairs used.
    distribution : str
        Null distribution, e.g. ``"t(24)"`` or ``"N(0,1)"``.
    null : str
        The null hypothesis.
    reference : str
        The paper the test follows.
    z : float
        The standardised statistic where the test reports another one (Wilcoxon's ``W+``);
        NaN otherwise.
    """

    test: str
    basket: str
    window: str
    statistic: float
    p_value: float
    df: float
    nobs: int
    distribution: str
    null: str
    reference: str
    z: float = float("nan")


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
    n_est = np.sum(~np.isnan(resid), axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        frac = np.sum(resid > 0, axis=1) / n_est
    return _nanstd(resid, 1) ** 2, frac, n_est


def time_sums(
    member: np.ndarray,
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
    member : numpy.ndarray
        (G, N) float 0/1 matrix: which of the N pairs belong to each of G groups.
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

    rs, rc = _masked_sums(member, resid)
    as_, ac = _masked_sums(member, ar)
    mes, mec = _masked_sums(member, market_est)
    mvs, mvc = _masked_sums(member, market_event)
    n, width = resid.shape
    ranks = _RankSums.of(member, resid, ar, scar, sar_est)
    if est_lo is None or day0 is None:
        est_lo, day0 = np.full(n, -width, dtype=np.int64), np.zeros(n, dtype=np.int64)
    if origin is None:
        origin = int(est_lo.min()) if n else 0
    if span is None:
        span = int((est_lo + width).max()) - origin if n else 0
    in_group = member > 0
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
                if in_group[g].any()
                else None
            ),
        )
        for g in range(member.shape[0])
    ]


def _masked_sums(member: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per group and day: the sum of the present values of ``x`` and their count.

    Parameters
    ----------
    member : numpy.ndarray
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
    """Per group and day: the rank, sign and GRANK sums of one chunk of pairs."""

    rank_sum: np.ndarray
    rank_var: np.ndarray
    urank_sum: np.ndarray
    rank_cnt: np.ndarray
    sign_sum: np.ndarray
    grank_u: np.ndarray
    grank_n: np.ndarray

    @staticmethod
    def of(
        member: np.ndarray,
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
        member : numpy.ndarray
            (G, N) membership matrix.
        resid, ar : numpy.ndarray
            (N, L) estimation-window and (N, W) event-window abnormal returns.
        scar, sar_est : numpy.ndarray or None
            As for :func:`time_sums` (no GRANK sums without ``scar``).

        Returns
        -------
        _RankSums
            (G, L + W) sums, and (G, C, L) GRANK sums.
        """
        combined = np.concatenate([resid, ar], axis=1)
        ranks, med, present, order = _ranks_zero(combined)
        width = resid.shape[1]
        g_u = g_n = np.zeros((len(member), 0, width))
        if scar is not None:
            if sar_est is None:  # the residuals' own order, read off the combined argsort
                est_ranks = _first_ranks(order, width, present[:, :width])
            else:
                est_ranks = _ranks_zero(np.asarray(sar_est, dtype=np.float64))[0]
            g_u, g_n = grank_sums(member, est_ranks, present[:, :width], scar)
        m_i = present.sum(axis=1).astype(float)
        g = len(member)
        by_rank = np.vstack([member, member / (m_i + 1.0)]) @ ranks
        by_count = (
            np.vstack([member, member * (m_i + 1.0) / 2.0, member * (m_i**2 - 1.0) / 12.0])
            @ present
        )
        rank_cnt = by_count[:g]
        with np.errstate(invalid="ignore"):
            sign_sum = member @ np.sign(np.where(present > 0, combined - med, 0.0))
        return _RankSums(
            rank_sum=by_rank[:g] - by_count[g : 2 * g],
            rank_var=by_count[2 * g :],
            urank_sum=by_rank[g:] - 0.5 * rank_cnt,
            rank_cnt=rank_cnt,
            sign_sum=sign_sum,
            grank_u=g_u,
            grank_n=g_n,
        )


def _two_sided_t(stat: np.ndarray, df: np.ndarray | float) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        return 2.0 * stats.t.sf(np.abs(stat), df)


def _two_sided_z(stat: np.ndarray) -> np.ndarray:
    return 2.0 * stats.norm.sf(np.abs(stat))


def _nanmean(x: np.ndarray, axis: int) -> np.ndarray:
    count = np.sum(~np.isnan(x), axis=axis)
    total = np.nansum(x, axis=axis)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, total / count, np.nan)


def _nanstd(x: np.ndarray, axis: int) -> np.ndarray:
    valid = ~np.isnan(x)
    count = valid.sum(axis=axis)
    filled = np.where(valid, x, 0.0)
    total = filled.sum(axis=axis)
    squares = np.einsum("ij,ij->j" if axis == 0 else "ij,ij->i", filled, filled)
    with np.errstate(invalid="ignore", divide="ignore"):
        var = (squares - total**2 / count) / (count - 1)
    return np.sqrt(np.maximum(var, 0.0))


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
    ranks = np.empty(order.shape)
    np.put_along_axis(ranks, order, np.cumsum(order < width, axis=1).astype(np.float64), 1)
    out = ranks[:, :width]
    out[present == 0] = 0.0
    return out


def grank_sums(
    member: np.ndarray, ranks: np.ndarray, present: np.ndarray, scar: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """GRANK's additive per-day sums for one block of pairs (Kolari and Pynnönen 2011).

    For window c, a pair with a CAR (and more than one estimation residual) contributes
    ``U_it = w_i r_it - 1/2`` on each of its valid estimation days, where ``r_it`` ranks the
    residual among the pair's own residuals and ``w_i = 1 / (T_i + 1)``, ``T_i`` its residuals
    plus one. Where the residual lies above the re-standardised CAR it ranks one higher; that
    depends on the CAR's cross-sectional spread, known only for the whole sample, and is added
    by :func:`_grank`.

    Parameters
    ----------
    member : numpy.ndarray
        (G, N) group membership (0/1) of the N pairs.
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
    n_groups, (n_pairs, n_win) = len(member), scar.shape
    t_i = present.sum(axis=1) + 1.0
    has = ~np.isnan(scar) & (t_i > 2)[:, None]
    weights = (member[:, None, :] * has.T[None, :, :]).reshape(n_groups * n_win, n_pairs)
    counted = weights @ present
    u = (weights / (t_i + 1.0)) @ ranks - 0.5 * counted
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
    filled = np.where(missing, np.inf, x)
    order = np.argsort(filled, axis=1)
    ranks = np.empty(x.shape)
    np.put_along_axis(ranks, order, np.arange(1, x.shape[1] + 1, dtype=float)[None, :], axis=1)
    ordered = np.sort(filled, axis=1)  # a SIMD sort: ten times a gather through ``order``
    with np.errstate(invalid="ignore"):
        tied = ((np.diff(ordered, axis=1) == 0) & np.isfinite(ordered[:, 1:])).any(axis=1)
    if tied.any():
        ranks[tied] = stats.rankdata(filled[tied], method="average", axis=1)
    m = (~missing).sum(axis=1)
    lo = np.clip((m - 1) // 2, 0, x.shape[1] - 1)
    hi = np.clip(m // 2, 0, x.shape[1] - 1)
    rows = np.arange(len(x))
    median = np.where(m > 0, (ordered[rows, lo] + ordered[rows, hi]) / 2.0, np.nan)
    ranks[missing] = fill
    return ranks, median[:, None], tied, order


def _window_sum(daily: np.ndarray, window_days: np.ndarray) -> np.ndarray:
    """Sum a (W,) daily series over each window's days; NaN days count as 0."""
    return window_days.astype(float) @ np.nan_to_num(daily)


def _wilcoxon(car: np.ndarray, exact_max: int = 50) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Two-sided Wilcoxon signed-rank per column, zeros dropped (scipy's conventions).

    Returns ``W+`` (the sum of the ranks of the positive values), its two-sided p-value and its
    standardised ``z = (W+ - n(n+1)/4) / sqrt(sum r^2 / 4)``.

    The exact law of :func:`~ipposaki.study.signed_rank.signed_rank_cdf` decides untied
    columns of up to ``exact_max`` values, ``p = min(1, 2 min(P(V <= W+), P(V >= W+)))``; tied
    columns of up to 13 values go to scipy (its permutation test over all 2^n signs); all
    others use the normal approximation.
    """
    x = np.where(car == 0, np.nan, car)
    n = np.sum(~np.isnan(x), axis=0)
    ranks_t, _, tied, _ = _rank_rows_tied(np.abs(x).T)
    ranks = ranks_t.T
    r_plus = np.nansum(np.where(x > 0, ranks, 0.0), axis=0)
    mean = n * (n + 1) / 4.0
    sd = np.sqrt(np.nansum(ranks**2, axis=0) / 4.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        z = (r_plus - mean) / sd
    p = 2.0 * stats.norm.sf(np.abs(z))
    small = (n > 0) & (n <= exact_max)
    for size in np.unique(n[small & ~tied]):  # one exact law per sample size
        cols = small & ~tied & (n == size)
        cdf = signed_rank_cdf(int(size))
        w = r_plus[cols].astype(np.int64)
        upper = 1.0 - np.where(w > 0, cdf[np.maximum(w - 1, 0)], 0.0)
        p[cols] = 2.0 * np.minimum(cdf[w], upper)
    for j in np.flatnonzero(small & tied & (n <= 13)):  # rare: ties in a tiny sample
        res = stats.wilcoxon(x[~np.isnan(x[:, j]), j], zero_method="wilcox")
        p[j] = float(res.pvalue)
    p = np.where(n > 0, np.minimum(p, 1.0), np.nan)
    return np.where(n > 0, r_plus, np.nan), p, np.where(n > 0, z, np.nan)


def run_battery(
    pairs: PairStats,
    sums: TimeSums,
    window_days: np.ndarray,
    windows: list[str],
    basket: str,
    rbar: np.ndarray | None = None,
    grank_windows: np.ndarray | None = None,
    grank_base: tuple[np.ndarray, np.ndarray] | None = None,
) -> list[TestResult]:
    """Run every test of :data:`TEST_NAMES` for each window of one group.

    Parameters
    ----------
    pairs : PairStats
        The group's per-pair arrays.
    sums : TimeSums
        The group's sums per estimation and event day.
    window_days : numpy.ndarray
        (K, W) bool: which event days each window covers.
    windows : list of str
        Window labels, aligned with the K columns of ``pairs.car``.
    basket : str
        Group label.
    rbar : numpy.ndarray, optional
        (K,) average cross-correlation per window for Kolari-Pynnönen, when already computed
        (:func:`~ipposaki.study.correlation.window_rbar` of ``sums.corr``).
    grank_windows : numpy.ndarray, optional
        (K,) bool: the windows the generalized rank test is run on (the engine passes its CAR
        windows; the test is for CARs); default all. Others get NaN.
    grank_base : tuple of numpy.ndarray, optional
        (K, L) GRANK sums of the blocks (:func:`grank_sums`), aligned with ``windows``.

    Returns
    -------
    list[TestResult]
        One result per test and window; a test that is undefined for the sample (one firm,
        zero variance) has a NaN statistic and p-value.
    """
    with np.errstate(invalid="ignore", divide="ignore"):
        return _battery(pairs, sums, window_days, windows, basket, rbar, grank_windows, grank_base)


def _ratio(total: np.ndarray, count: np.ndarray) -> np.ndarray:
    return np.where(count > 0, total / np.where(count > 0, count, 1.0), np.nan)


def _daily_variance(x: np.ndarray, n: np.ndarray, n_out: np.ndarray, centre: bool) -> np.ndarray:
    """Variance of daily cross-sectional means, modelled on the number of pairs averaged.

    A mean of ``N_t`` values with variance ``s^2`` and average correlation ``rho`` has variance
    ``a + b / N_t`` with ``a = rho s^2`` and ``b = (1 - rho) s^2``. Fitted by least squares on
    the days of ``x`` (``a, b >= 0``; centred first when ``centre``, with the ddof-1 factor),
    it gives the variance of each day of ``n_out``. When every day averages the same number of
    pairs this is the sample variance of ``x`` (Brown and Warner 1985; Corrado 1989); with gaps
    a day of few pairs no longer passes for as precise as the full event day.

    Parameters
    ----------
    x : numpy.ndarray
        Daily means (NaN on days without pairs).
    n : numpy.ndarray
        Pairs averaged on each day of ``x``.
    n_out : numpy.ndarray
        Pairs averaged on the days whose variance is wanted.
    centre : bool
        Subtract the mean of ``x`` first.

    Returns
    -------
    numpy.ndarray
        ``a + b / n_out`` (NaN where ``n_out`` is 0).
    """
    ok = (n > 0) & ~np.isnan(x)
    if ok.sum() < 2:
        return np.full(len(n_out), np.nan)
    y = x[ok]
    if centre:
        y = y - y.mean()
    y2 = y**2 * (len(y) / (len(y) - 1.0) if centre else 1.0)
    inv = 1.0 / n[ok]
    if np.ptp(inv) <= 1e-9 * inv.mean():  # one sample size: the plain mean square
        a, b = 0.0, float(y2.mean() / inv.mean())
    else:
        design = np.column_stack([np.ones_like(inv), inv])
        a, b = (float(v) for v in np.linalg.lstsq(design, y2, rcond=None)[0])
        if a < 0:
            a, b = 0.0, float(y2 @ inv / (inv @ inv))
        elif b < 0:
            a, b = float(y2.mean()), 0.0
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(n_out > 0, a + b / np.where(n_out > 0, n_out, 1.0), np.nan)


#: Pairs per block in :func:`_grank`: the comparisons of a block stay a few MB.
_GRANK_BLOCK = 8192


def _grank(
    scar: np.ndarray,
    sar_est: np.ndarray,
    which: np.ndarray | None = None,
    u_base: np.ndarray | None = None,
    n_base: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Kolari and Pynnönen's (2011) generalized rank t statistic per window, and its df.

    Parameters
    ----------
    scar : numpy.ndarray
        (N, K) standardised CARs (NaN where a pair lacks the window).
    sar_est : numpy.ndarray
        (N, L) standardised estimation residuals (NaN where missing).
    which : numpy.ndarray, optional
        (K,) bool: the windows to test (default all); the others get NaN.
    u_base, n_base : numpy.ndarray, optional
        (K, L) the blocks' :func:`grank_sums` for the same pairs and windows (rows of windows
        not tested are ignored); computed here from ``sar_est`` when not given.

    Returns
    -------
    tuple[numpy.ndarray, numpy.ndarray]
        (K,) t statistics and (K,) degrees of freedom ``T - 2``.

    Notes
    -----
    Each pair's ``T_i = L_i + 1`` values (its valid estimation residuals and the re-standardised
    CAR ``SCAR*``) are ranked and scaled, ``U_it = rank / (T_i + 1) - 1/2``. A residual ranks
    as among the residuals alone (the sums of :func:`grank_sums`, made where the pairs were
    ranked for the other rank tests), plus one where it lies above ``SCAR*``: that needs the
    CAR's spread over the whole sample, so it is counted here, in blocks of pairs.
    """
    n_pairs, k_windows = scar.shape
    stat = np.full(k_windows, np.nan)
    dof = np.full(k_windows, np.nan)
    if n_pairs < 2:
        return stat, dof
    sar = np.asarray(sar_est, dtype=np.float32)  # comparisons with NaN are False
    n_valid = np.sum(~np.isnan(sar), axis=1)
    t_i = n_valid + 1.0  # estimation days plus the window
    weight = 1.0 / (t_i + 1.0)
    if u_base is None or n_base is None:
        present = (~np.isnan(sar)).astype(np.float64)
        ranks = _ranks_zero(np.asarray(sar, dtype=np.float64))[0]
        u_base, n_base = (x[0] for x in grank_sums(np.ones((1, n_pairs)), ranks, present, scar))
    tested = [k for k in range(k_windows) if which is None or which[k]]
    has = ~np.isnan(scar[:, tested]) & (t_i > 2)[:, None]
    star = np.full(has.shape, np.nan, dtype=np.float32)
    for c in range(len(tested)):
        x = scar[has[:, c], tested[c]]
        spread = float(np.std(x, ddof=1)) if len(x) > 1 else np.nan
        if spread > 0:
            star[has[:, c], c] = x / spread
        else:
            has[:, c] = False
    shift = np.zeros((len(tested), sar.shape[1]))  # residuals above SCAR* rank one higher
    below = np.zeros(has.shape)  # residuals below SCAR*, ties counted half
    for lo in range(0, n_pairs, _GRANK_BLOCK):
        block = slice(lo, lo + _GRANK_BLOCK)
        x = sar[block]
        for c in range(len(tested)):
            above = x > star[block, c, None]
            shift[c] += np.where(has[block, c], weight[block], 0.0) @ above
            lower = np.count_nonzero(x < star[block, c, None], axis=1)
            tie = n_valid[block] - lower - np.count_nonzero(above, axis=1)
            below[block, c] = lower + tie / 2.0
    for c, k in enumerate(tested):
        n0 = int(has[:, c].sum())
        if n0 < 2:
            continue
        u0 = (below[has[:, c], c] + 1.0) * weight[has[:, c]] - 0.5
        n_t = np.append(n_base[k], n0)  # estimation days, then the window
        x_t = _ratio(np.append(u_base[k] + shift[c], u0.sum()), n_t)
        var_t = _daily_variance(x_t, n_t, n_t, centre=False)
        big_t = float(np.sum(n_t > 0))
        z = x_t[-1] / np.sqrt(var_t[-1])
        stat[k] = z * np.sqrt((big_t - 2.0) / (big_t - 1.0 - z**2))
        dof[k] = big_t - 2.0
    return stat, dof


def _battery(
    pairs: PairStats,
    sums: TimeSums,
    wd: np.ndarray,
    windows: list[str],
    basket: str,
    rbar: np.ndarray | None,
    grank_windows: np.ndarray | None,
    grank_base: tuple[np.ndarray, np.ndarray] | None = None,
) -> list[TestResult]:
    n = (~np.isnan(pairs.car)).sum(axis=0)
    out = _parametric_tests(pairs, sums, wd, n, rbar)
    out |= _portfolio_tests(pairs, sums, wd, len(windows))
    out |= _sign_tests(pairs, n)
    out |= _rank_tests(sums, wd)
    # Wilcoxon signed-rank on the CARs: scipy's exact test for small samples, the normal
    # approximation (midranks, so Var = sum r^2 / 4 carries the tie correction) for large ones.
    w_stat, w_p, w_z = _wilcoxon(pairs.car)
    out["wilcoxon"] = (w_stat, w_p, np.nan, "Wilcoxon signed-rank (W+)")
    base = (None, None) if grank_base is None else grank_base
    t_gr, df_gr = _grank(pairs.scar, pairs.sar_est, grank_windows, *base)
    out["grank"] = (t_gr, _two_sided_t(t_gr, df_gr), df_gr, "t")
    return _test_rows(out, windows, basket, n, w_z)


#: Per test: statistic, p-value and degrees of freedom (per window, or one for all) and the
#: distribution (``"t"`` is written with its degrees of freedom).
_Columns = dict[str, tuple[np.ndarray, np.ndarray, np.ndarray | float, str]]


def _parametric_tests(
    pairs: PairStats, sums: TimeSums, wd: np.ndarray, n: np.ndarray, rbar: np.ndarray | None
) -> _Columns:
    """Cross-sectional t, BMP, Brown-Warner 1980, Patell and Kolari-Pynnönen.

    Parameters
    ----------
    pairs : PairStats
        The group's per-pair arrays.
    sums : TimeSums
        The group's sums (their cross-correlation sums, when ``rbar`` is None).
    wd : numpy.ndarray
        (K, W) bool: which event days each window covers.
    n : numpy.ndarray
        (K,) pairs with a CAR in each window.
    rbar : numpy.ndarray or None
        (K,) average cross-correlation per window, when already computed.

    Returns
    -------
    dict
        The tests' columns, by test name.
    """
    car, scar, days = pairs.car, pairs.scar, pairs.days
    valid_car = ~np.isnan(car)
    out: _Columns = {}
    # t_cross_section and bmp: cross-sectional t on CAR and on SCAR.
    t_cs = _nanmean(car, 0) / (_nanstd(car, 0) / np.sqrt(n))
    out["t_cross_section"] = (t_cs, _two_sided_t(t_cs, n - 1), n - 1, "t")
    n_s = np.sum(~np.isnan(scar), axis=0)
    bmp = _nanmean(scar, 0) / (_nanstd(scar, 0) / np.sqrt(n_s))
    out["bmp"] = (bmp, _two_sided_t(bmp, n_s - 1), n_s - 1, "t")

    # Brown-Warner 1980: independence, each firm's estimation-window variance.
    var_sum = np.nansum(np.where(valid_car, days * pairs.s2[:, None], np.nan), axis=0)
    bw80 = _nanmean(car, 0) / (np.sqrt(var_sum) / n)
    df80 = float(np.mean(pairs.n_est)) - 1.0
    out["brown_warner_1980"] = (bw80, _two_sided_t(bw80, df80), df80, "t")

    # Patell: sum of standardised CARs over the sum of their variances under the null.
    d = pairs.dof.astype(float)
    var_t = np.where(d > 2, d / (d - 2), np.nan)
    patell_var = np.nansum(np.where(~np.isnan(scar), var_t[:, None], np.nan), axis=0)
    patell = np.nansum(scar, axis=0) / np.sqrt(patell_var)
    out["patell"] = (patell, _two_sided_z(patell), np.nan, "N(0,1)")

    # Kolari-Pynnönen: BMP adjusted for the cross-correlation of the pairs' CARs.
    rbar = window_rbar(sums.corr, wd.sum(axis=1)) if rbar is None else rbar
    with np.errstate(invalid="ignore"):
        kp = bmp * np.sqrt((1.0 - rbar) / (1.0 + (n_s - 1) * rbar))
    out["kolari_pynnonen"] = (kp, _two_sided_t(kp, n_s - 1), n_s - 1, "t")
    return out


def _portfolio_tests(pairs: PairStats, sums: TimeSums, wd: np.ndarray, n_windows: int) -> _Columns:
    """Brown-Warner 1985 and Lamb: tests on the portfolio's AAR series.

    Parameters
    ----------
    pairs : PairStats
        The group's per-pair arrays.
    sums : TimeSums
        The group's sums per estimation and event day.
    wd : numpy.ndarray
        (K, W) bool: which event days each window covers.
    n_windows : int
        K, the number of windows.

    Returns
    -------
    dict
        The tests' columns, by test name.
    """
    out: _Columns = {}
    # Brown-Warner 1985: crude dependence adjustment on the portfolio's AAR series, with the
    # variance of each day's AAR modelled on the number of pairs it averages.
    aar_est = _ratio(sums.resid_sum, sums.resid_cnt)
    aar_ev = _ratio(sums.ar_sum, sums.ar_cnt)
    var_ev = _daily_variance(aar_est, sums.resid_cnt, sums.ar_cnt, centre=True)
    # A portfolio whose mean residual is zero by construction (every firm of an equal-weighted
    # market regressed on it, e.g. log volume on the sample's own mean) has no AAR variance to
    # scale by: its ratio would be rounding noise over rounding noise.
    no_variance = not np.nanmax(var_ev, initial=0.0) > 1e-20 * np.nanmean(pairs.s2)
    caar = _window_sum(aar_ev, wd)
    lw = wd.sum(axis=1)
    bw85 = caar / np.sqrt(_window_sum(var_ev, wd)) if not no_variance else np.nan * caar
    df85 = float(np.sum(sums.resid_cnt > 0) - 1)
    out["brown_warner_1985"] = (bw85, _two_sided_t(bw85, df85), df85, "t")

    # Lamb: the portfolio test with the prediction-error adjustment.
    m_ev = _ratio(sums.m_ev_sum, sums.m_ev_cnt)
    m_est = _ratio(sums.m_est_sum, sums.m_est_cnt)
    m_bar = np.nanmean(m_est) if np.isfinite(m_est).any() else np.nan
    sxx = np.nansum((m_est - m_bar) ** 2)
    length = float(np.mean(pairs.n_est))
    with np.errstate(invalid="ignore", divide="ignore"):
        adj = np.sqrt(1.0 + 1.0 / length + (m_ev - m_bar) ** 2 / sxx)
        daily_lamb = aar_ev / (np.sqrt(var_ev) * adj)
        lamb = _window_sum(daily_lamb, wd) / np.sqrt(lw)
    if not np.isfinite(m_ev).any() or no_variance:
        lamb = np.full(n_windows, np.nan)
    out["lamb"] = (lamb, _two_sided_z(lamb), np.nan, "N(0,1)")
    return out


def _sign_tests(pairs: PairStats, n: np.ndarray) -> _Columns:
    """The sign test (exact binomial) and the generalized sign test (Cowan 1992) on the CARs.

    Parameters
    ----------
    pairs : PairStats
        The group's per-pair arrays.
    n : numpy.ndarray
        (K,) pairs with a CAR in each window.

    Returns
    -------
    dict
        The tests' columns, by test name.
    """
    car = pairs.car
    out: _Columns = {}
    pos = np.sum(car > 0, axis=0)
    nz = np.sum(~np.isnan(car) & (car != 0), axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        sign_z = (pos - nz / 2.0) / np.sqrt(nz / 4.0)
    k = np.minimum(pos, nz - pos)
    sign_p = np.minimum(1.0, 2.0 * stats.binom.cdf(k, nz, 0.5))
    out["sign"] = (sign_z, np.where(nz > 0, sign_p, np.nan), np.nan, "binomial(n, 0.5)")

    p_hat = float(np.nanmean(pairs.frac_pos))
    with np.errstate(invalid="ignore", divide="ignore"):
        gsign = (pos - n * p_hat) / np.sqrt(n * p_hat * (1.0 - p_hat))
    out["generalized_sign"] = (gsign, _two_sided_z(gsign), np.nan, "N(0,1)")
    return out


def _rank_tests(sums: TimeSums, wd: np.ndarray) -> _Columns:
    """Corrado rank, modified rank and Corrado sign over the combined estimation + event days.

    Parameters
    ----------
    sums : TimeSums
        The group's sums per estimation and event day.
    wd : numpy.ndarray
        (K, W) bool: which event days each window covers.

    Returns
    -------
    dict
        The tests' columns, by test name.
    """
    out: _Columns = {}
    ev = slice(len(sums.resid_sum), None)
    n_rank = sums.rank_cnt
    daily_mean = {
        "corrado_rank": _ratio(sums.rank_sum, np.sqrt(sums.rank_var * n_rank)),
        "modified_rank": _ratio(sums.urank_sum, n_rank),
        "corrado_sign": _ratio(sums.sign_sum, sums.sign_cnt),
    }
    for name, x_t in daily_mean.items():
        n_t = sums.sign_cnt if name == "corrado_sign" else n_rank
        var_t = _daily_variance(x_t, n_t, n_t, centre=False)
        q_t = x_t * np.sqrt(n_t)  # sqrt(N_t) times the day's mean
        stat = _window_sum(q_t[ev], wd) / np.sqrt(_window_sum((n_t * var_t)[ev], wd))
        out[name] = (stat, _two_sided_z(stat), np.nan, "N(0,1)")
    return out


def _test_rows(
    out: _Columns, windows: list[str], basket: str, n: np.ndarray, w_z: np.ndarray
) -> list[TestResult]:
    """One :class:`TestResult` per test of :data:`TEST_NAMES` and window.

    Parameters
    ----------
    out : dict
        The tests' columns, by test name.
    windows : list of str
        Window labels.
    basket : str
        Group label.
    n : numpy.ndarray
        (K,) pairs with a CAR in each window.
    w_z : numpy.ndarray
        (K,) the Wilcoxon test's normal score.

    Returns
    -------
    list of TestResult
        Test by test, window by window.
    """
    results: list[TestResult] = []
    for name in TEST_NAMES:
        stat, p_val, df, dist = out[name]
        stat_a = np.broadcast_to(np.asarray(stat, dtype=float), (len(windows),))
        p_a = np.broadcast_to(np.asarray(p_val, dtype=float), (len(windows),))
        df_a = np.broadcast_to(np.asarray(df, dtype=float), (len(windows),))
        for j, label in enumerate(windows):
            dist_j = f"t({df_a[j]:g})" if dist == "t" else dist
            results.append(
                TestResult(
                    test=name,
                    basket=basket,
                    window=label,
                    statistic=float(stat_a[j]),
                    p_value=float(p_a[j]),
                    df=float(df_a[j]),
                    nobs=int(n[j]),
                    distribution=dist_j,
                    null=NULLS[name],
                    reference=REFERENCES[name],
                    z=float(w_z[j]) if name == "wilcoxon" else float("nan"),
                )
            )
    return results
