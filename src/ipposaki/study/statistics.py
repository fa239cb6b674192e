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
    ``bmp * sqrt((1 - r) / (1 + (N - 1) r))`` with ``r`` the average pairwise correlation of the
    estimation-window residuals (aligned in event time; for a common event date that is
    calendar time); ~ t(N-1). Residuals are standardised per pair and missing ones count as 0,
    which makes ``r`` exact for complete data without forming the N x N matrix.
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
``corrado_rank`` (Corrado 1989)
    Ranks ``K_it`` of each pair's ARs over its estimation and event windows together (M_i valid
    days); ``D_t = mean_i (K_it - (M_i + 1) / 2)``, ``S = sqrt(mean_t D_t^2)`` over all days;
    a window's statistic is ``sum_{t in w} D_t / (sqrt(L_w) S)`` ~ N(0, 1).
``modified_rank`` (Campbell and Wasley 1993)
    As ``corrado_rank`` with standardised ranks ``U_it = K_it / (M_i + 1)`` centred at 1/2,
    which keeps pairs with missing returns comparable.
``corrado_sign`` (Corrado and Zivney 1992)
    ``G_it = sign(AR_it - median_i)`` over the same combined days;
    ``g_t = sum_i G_it / sqrt(N_t)``, ``S = sqrt(mean_t g_t^2)``; a window's statistic is
    ``sum_{t in w} g_t / (sqrt(L_w) S)`` ~ N(0, 1).
``wilcoxon`` (Wilcoxon 1945 signed-rank)
    On the CARs, zeros dropped; the statistic is ``min(W+, W-)``. Up to 50 pairs without ties
    the exact null law decides; with ties, up to 13 pairs, scipy's permutation test; otherwise
    the normal approximation with ``Var = sum r^2 / 4`` over midranks, which includes the tie
    correction. These are scipy's ``wilcoxon`` conventions, and the tests compare with it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

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
}
TEST_NAMES: tuple[str, ...] = tuple(REFERENCES)


@dataclass(frozen=True)
class TestResult:
    """One test of one window in one group.

    Attributes
    ----------
    test : str
        Test name (see :data:`TEST_NAMES`).
    group, window : str
        Group of pairs and window (``"k:k"`` for a single day).
    statistic, p_value : float
        The statistic and its two-sided p-value.
    df : float
        Degrees of freedom (NaN where the distribution has none).
    n : int
        Pairs used.
    distribution : str
        Null distribution, e.g. ``"t(24)"`` or ``"N(0,1)"``.
    null : str
        The null hypothesis.
    reference : str
        The paper the test follows.
    """

    test: str
    group: str
    window: str
    statistic: float
    p_value: float
    df: float
    n: int
    distribution: str
    null: str
    reference: str


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
    """

    car: np.ndarray
    scar: np.ndarray
    days: np.ndarray
    dof: np.ndarray
    s2: np.ndarray
    frac_pos: np.ndarray
    n_est: np.ndarray


@dataclass(frozen=True)
class TimeSums:
    """Sums over a group's pairs, per estimation day (L) and event day (W); additive.

    Everything the portfolio, correlation, rank and sign tests need reduces to these sums, so
    pairs can be processed in chunks (or on other machines) and their sums added exactly.
    """

    resid_sum: np.ndarray
    resid_cnt: np.ndarray
    ar_sum: np.ndarray
    ar_cnt: np.ndarray
    m_est_sum: np.ndarray
    m_est_cnt: np.ndarray
    m_ev_sum: np.ndarray
    m_ev_cnt: np.ndarray
    z_sum: np.ndarray
    z_sq: float
    z_n: int
    rank_sum: np.ndarray
    urank_sum: np.ndarray
    rank_cnt: np.ndarray
    sign_sum: np.ndarray
    sign_cnt: np.ndarray

    def __add__(self, other: TimeSums) -> TimeSums:
        return TimeSums(
            **{
                name: getattr(self, name) + getattr(other, name)
                for name in self.__dataclass_fields__
            }
        )


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

    Returns
    -------
    list[TimeSums]
        One per group.
    """

    def sums(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        valid = ~np.isnan(x)
        return member @ np.where(valid, x, 0.0), member @ valid.astype(float)

    rs, rc = sums(resid)
    as_, ac = sums(ar)
    mes, mec = sums(market_est)
    mvs, mvc = sums(market_event)
    # Kolari-Pynnönen: standardise each pair's residuals (missing -> 0), then sum per group.
    valid = ~np.isnan(resid)
    count = valid.sum(axis=1)
    use = (count >= 3).astype(float)
    filled = np.where(valid, resid, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = filled.sum(axis=1) / count
    filled -= np.nan_to_num(mean)[:, None]
    filled[~valid] = 0.0
    with np.errstate(invalid="ignore", divide="ignore"):
        sd = np.sqrt(np.einsum("nl,nl->n", filled, filled) / count)
    scale = np.where((sd > 0) & (use > 0), 1.0 / np.where(sd > 0, sd, 1.0), 0.0)
    filled *= scale[:, None]
    z_sq_pair = np.einsum("nl,nl->n", filled, filled)
    z_sum = member @ filled
    z_sq = member @ z_sq_pair
    z_n = member @ (use * (scale > 0))
    # Ranks and signs over each pair's estimation and event days together.
    combined = np.concatenate([resid, ar], axis=1)
    m_i = np.sum(~np.isnan(combined), axis=1, keepdims=True)
    ranks, med = _rank_rows(combined)
    centred = ranks - (m_i + 1) / 2.0
    standard = ranks / (m_i + 1) - 0.5
    signs = np.sign(combined - med)
    rank_sum, rank_cnt = sums(centred)
    urank_sum, _ = sums(standard)
    sign_sum, sign_cnt = sums(signs)
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
            z_sum=z_sum[g],
            z_sq=float(z_sq[g]),
            z_n=int(round(z_n[g])),
            rank_sum=rank_sum[g],
            urank_sum=urank_sum[g],
            rank_cnt=rank_cnt[g],
            sign_sum=sign_sum[g],
            sign_cnt=sign_cnt[g],
        )
        for g in range(member.shape[0])
    ]


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


def _rank_rows(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Average ranks within each row over the non-missing values (NaN stays NaN), and medians.

    One argsort per row gives ordinal ranks; they equal average ranks unless a row has ties,
    and only then does scipy's ``rankdata`` recompute those rows. The sorted rows also give each
    row's median without a second pass.

    Returns
    -------
    tuple[numpy.ndarray, numpy.ndarray]
        The ranks, and the (rows, 1) medians.
    """
    missing = np.isnan(x)
    filled = np.where(missing, np.inf, x)
    order = np.argsort(filled, axis=1)
    ranks = np.empty(x.shape)
    np.put_along_axis(ranks, order, np.arange(1, x.shape[1] + 1, dtype=float)[None, :], axis=1)
    ordered = np.take_along_axis(filled, order, axis=1)
    with np.errstate(invalid="ignore"):
        tied = ((np.diff(ordered, axis=1) == 0) & np.isfinite(ordered[:, 1:])).any(axis=1)
    if tied.any():
        ranks[tied] = stats.rankdata(filled[tied], method="average", axis=1)
    m = (~missing).sum(axis=1)
    lo = np.clip((m - 1) // 2, 0, x.shape[1] - 1)
    hi = np.clip(m // 2, 0, x.shape[1] - 1)
    rows = np.arange(len(x))
    median = np.where(m > 0, (ordered[rows, lo] + ordered[rows, hi]) / 2.0, np.nan)
    return np.where(missing, np.nan, ranks), median[:, None]


def _window_sum(daily: np.ndarray, window_days: np.ndarray) -> np.ndarray:
    """Sum a (W,) daily series over each window's days; NaN days count as 0."""
    return window_days.astype(float) @ np.nan_to_num(daily)


def _wilcoxon(car: np.ndarray, exact_max: int = 50) -> tuple[np.ndarray, np.ndarray]:
    """Two-sided Wilcoxon signed-rank per column, zeros dropped (scipy's conventions).

    The exact law of :func:`~ipposaki.study.signed_rank.signed_rank_cdf` decides untied
    columns of up to ``exact_max`` values, ``p = min(1, 2 min(P(V <= W+), P(V >= W+)))``; tied
    columns of up to 13 values go to scipy (its permutation test over all 2^n signs); all
    others use the normal approximation.
    """
    x = np.where(car == 0, np.nan, car)
    n = np.sum(~np.isnan(x), axis=0)
    ranks = _rank_rows(np.abs(x).T)[0].T
    r_plus = np.nansum(np.where(x > 0, ranks, 0.0), axis=0)
    r_minus = np.nansum(np.where(x < 0, ranks, 0.0), axis=0)
    stat = np.minimum(r_plus, r_minus)
    mean = n * (n + 1) / 4.0
    sd = np.sqrt(np.nansum(ranks**2, axis=0) / 4.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = 2.0 * stats.norm.sf(np.abs((stat - mean) / sd))
    ordered = np.sort(np.abs(x), axis=0)  # NaNs last, and NaN == NaN is False
    tied = (np.diff(ordered, axis=0) == 0).any(axis=0)
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
    return np.where(n > 0, stat, np.nan), p


def run_battery(
    pairs: PairStats,
    sums: TimeSums,
    window_days: np.ndarray,
    windows: list[str],
    group: str,
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
    group : str
        Group label.

    Returns
    -------
    list[TestResult]
        One result per test and window; a test that is undefined for the sample (one firm,
        zero variance) has a NaN statistic and p-value.
    """
    with np.errstate(invalid="ignore", divide="ignore"):
        return _battery(pairs, sums, window_days, windows, group)


def _ratio(total: np.ndarray, count: np.ndarray) -> np.ndarray:
    return np.where(count > 0, total / np.where(count > 0, count, 1.0), np.nan)


def _battery(
    pairs: PairStats, sums: TimeSums, wd: np.ndarray, windows: list[str], group: str
) -> list[TestResult]:
    car, scar, days = pairs.car, pairs.scar, pairs.days
    valid_car = ~np.isnan(car)
    n = valid_car.sum(axis=0)
    null = "mean abnormal return over the window is zero"
    out: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray | float, str]] = {}

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

    # Brown-Warner 1985: crude dependence adjustment on the portfolio's AAR series.
    aar_est = _ratio(sums.resid_sum, sums.resid_cnt)
    aar_est_ok = aar_est[~np.isnan(aar_est)]
    s_aar = float(np.std(aar_est_ok, ddof=1)) if len(aar_est_ok) > 1 else np.nan
    aar_ev = _ratio(sums.ar_sum, sums.ar_cnt)
    caar = _window_sum(aar_ev, wd)
    lw = wd.sum(axis=1)
    bw85 = caar / (np.sqrt(lw) * s_aar)
    df85 = float(len(aar_est_ok) - 1)
    out["brown_warner_1985"] = (bw85, _two_sided_t(bw85, df85), df85, "t")

    # Patell: sum of standardised CARs over the sum of their variances under the null.
    d = pairs.dof.astype(float)
    var_t = np.where(d > 2, d / (d - 2), np.nan)
    patell_var = np.nansum(np.where(~np.isnan(scar), var_t[:, None], np.nan), axis=0)
    patell = np.nansum(scar, axis=0) / np.sqrt(patell_var)
    out["patell"] = (patell, _two_sided_z(patell), np.nan, "N(0,1)")

    # Kolari-Pynnönen: BMP adjusted for cross-correlation of estimation residuals.
    zn = sums.z_n
    length_l = len(sums.z_sum)
    rbar = (
        float((sums.z_sum @ sums.z_sum - sums.z_sq) / (zn * (zn - 1) * length_l))
        if zn >= 2
        else 0.0
    )
    with np.errstate(invalid="ignore"):
        kp = bmp * np.sqrt((1.0 - rbar) / (1.0 + (n_s - 1) * rbar))
    out["kolari_pynnonen"] = (kp, _two_sided_t(kp, n_s - 1), n_s - 1, "t")

    # Lamb: the portfolio test with the prediction-error adjustment.
    m_ev = _ratio(sums.m_ev_sum, sums.m_ev_cnt)
    m_est = _ratio(sums.m_est_sum, sums.m_est_cnt)
    m_bar = np.nanmean(m_est) if np.isfinite(m_est).any() else np.nan
    sxx = np.nansum((m_est - m_bar) ** 2)
    length = float(np.mean(pairs.n_est))
    with np.errstate(invalid="ignore", divide="ignore"):
        adj = np.sqrt(1.0 + 1.0 / length + (m_ev - m_bar) ** 2 / sxx)
        daily_lamb = aar_ev / (s_aar * adj)
        lamb = _window_sum(daily_lamb, wd) / np.sqrt(lw)
    if not np.isfinite(m_ev).any():
        lamb = np.full(len(windows), np.nan)
    out["lamb"] = (lamb, _two_sided_z(lamb), np.nan, "N(0,1)")

    # Sign test, exact binomial.
    pos = np.sum(car > 0, axis=0)
    nz = np.sum(valid_car & (car != 0), axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        sign_z = (pos - nz / 2.0) / np.sqrt(nz / 4.0)
    k = np.minimum(pos, nz - pos)
    sign_p = np.minimum(1.0, 2.0 * stats.binom.cdf(k, nz, 0.5))
    out["sign"] = (sign_z, np.where(nz > 0, sign_p, np.nan), np.nan, "binomial(n, 0.5)")

    # Generalized sign (Cowan 1992).
    p_hat = float(np.nanmean(pairs.frac_pos))
    with np.errstate(invalid="ignore", divide="ignore"):
        gsign = (pos - n * p_hat) / np.sqrt(n * p_hat * (1.0 - p_hat))
    out["generalized_sign"] = (gsign, _two_sided_z(gsign), np.nan, "N(0,1)")

    # Rank and sign tests over the combined estimation + event days.
    ev = slice(len(sums.resid_sum), None)
    for name, total in (("corrado_rank", sums.rank_sum), ("modified_rank", sums.urank_sum)):
        daily = _ratio(total, sums.rank_cnt)
        s_k = np.sqrt(np.nanmean(daily**2))
        stat = _window_sum(daily[ev], wd) / (np.sqrt(lw) * s_k)
        out[name] = (stat, _two_sided_z(stat), np.nan, "N(0,1)")
    g_t = np.where(
        sums.sign_cnt > 0,
        sums.sign_sum / np.sqrt(np.where(sums.sign_cnt > 0, sums.sign_cnt, 1.0)),
        np.nan,
    )
    s_g = np.sqrt(np.nanmean(g_t**2))
    csign = _window_sum(g_t[ev], wd) / (np.sqrt(lw) * s_g)
    out["corrado_sign"] = (csign, _two_sided_z(csign), np.nan, "N(0,1)")

    # Wilcoxon signed-rank on the CARs: scipy's exact test for small samples, the normal
    # approximation (midranks, so Var = sum r^2 / 4 carries the tie correction) for large ones.
    w_stat, w_p = _wilcoxon(car)
    out["wilcoxon"] = (w_stat, w_p, np.nan, "Wilcoxon signed-rank")

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
                    group=group,
                    window=label,
                    statistic=float(stat_a[j]),
                    p_value=float(p_a[j]),
                    df=float(df_a[j]),
                    n=int(n[j]),
                    distribution=dist_j,
                    null=null,
                    reference=REFERENCES[name],
                )
            )
    return results
