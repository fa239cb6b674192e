"""The test battery, vectorised across firms and windows: the tests and their formulas.

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

import numpy as np
from scipy import special, stats

from ipposaki.study.correlation import window_rbar
from ipposaki.study.hypotheses import NULLS, REFERENCES, TEST_NAMES, TestResult
from ipposaki.study.ranks import _rank_rows_tied, _ranks_zero, grank_sums
from ipposaki.study.signed_rank import signed_rank_cdf
from ipposaki.study.sums import PairStats, TimeSums, _moments

__all__ = ["run_battery"]


def _two_sided_t(stat: np.ndarray, df: np.ndarray | float) -> np.ndarray:
    """``2 P(T_df > |stat|)``: scipy's ``2 * stats.t.sf(|stat|, df)`` value for value (NaN
    where ``df <= 0`` or either is NaN), through the ufunc it calls, without the distribution
    object's argument checks (a tenth of a millisecond a call, a dozen calls a basket).

    Examples
    --------
    >>> float(_two_sided_t(np.array(2.0), 10.0).round(6))  # t tables: 0.073388
    0.073388
    """
    with np.errstate(invalid="ignore"):
        df = np.asarray(df, dtype=np.float64)
        return 2.0 * np.where(df > 0, special.stdtr(df, -np.abs(stat)), np.nan)


def _two_sided_z(stat: np.ndarray) -> np.ndarray:
    """``2 P(Z > |stat|)`` (scipy's ``2 * stats.norm.sf(|stat|)``, through ``ndtr``).

    Examples
    --------
    >>> float(_two_sided_z(np.array(1.959964)).round(6))
    0.05
    """
    return 2.0 * special.ndtr(-np.abs(stat))


def _window_sum(daily: np.ndarray, window_days: np.ndarray) -> np.ndarray:
    """Sum a (W,) daily series over each window's days; NaN days count as 0."""
    return window_days.astype(float) @ np.nan_to_num(daily)


#: Values the Wilcoxon test ranks in one pass (windows x pairs; 8 MB of float ranks).
_RANKED_AT_ONCE = 1 << 20


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
    r_plus, sum_sq = np.empty(x.shape[1]), np.empty(x.shape[1])
    tied = np.zeros(x.shape[1], dtype=bool)
    # Windows ranked together, as many as keep the ranks under _RANKED_AT_ONCE values (one
    # window at a time at a million pairs; every window at once for a small study).
    step = max(1, _RANKED_AT_ONCE // max(len(x), 1))
    for lo in range(0, x.shape[1], step):
        cols = x[:, lo : lo + step].T
        ranks, _, tie, _ = _rank_rows_tied(np.abs(cols), fill=0.0)
        r_plus[lo : lo + step] = np.sum(np.where(cols > 0, ranks, 0.0), axis=1)
        sum_sq[lo : lo + step] = np.sum(ranks**2, axis=1)
        tied[lo : lo + step] = tie
    mean = n * (n + 1) / 4.0
    sd = np.sqrt(sum_sq / 4.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        z = (r_plus - mean) / sd
    p = _two_sided_z(z)
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
    star = _scaled_cars(scar[:, tested], has)
    shift = np.zeros((len(tested), sar.shape[1]))  # residuals above SCAR* rank one higher
    below = np.zeros(has.shape)  # residuals below SCAR*, ties counted half
    for lo in range(0, n_pairs, _GRANK_BLOCK):
        block = slice(lo, lo + _GRANK_BLOCK)
        x, w = sar[block], weight[block]
        for c in range(len(tested)):
            cut = star[block, c, None]  # NaN where the pair is not tested: nothing above it
            above = x > cut
            n_above = above.sum(axis=1, dtype=np.int32)
            n_lower = (x < cut).sum(axis=1, dtype=np.int32)
            tie = n_valid[block] - n_lower - n_above
            below[block, c] = n_lower + tie / 2.0
            shift[c] += _weighted_column_sums(above, w, has[block, c])
    stat[tested], dof[tested] = _grank_t(has, below, weight, shift, u_base[tested], n_base[tested])
    return stat, dof


def _scaled_cars(scar: np.ndarray, has: np.ndarray) -> np.ndarray:
    """GRANK's re-standardised CARs ``SCAR*``: each window's standardised CARs of the pairs it
    tests (``has``) divided by their cross-sectional spread, as float32; NaN where a pair is
    not tested. A window whose spread is not positive tests nobody (``has`` is cleared there).

    Examples
    --------
    >>> has = np.array([[True, True], [True, True], [False, True]])
    >>> scar = np.array([[1.0, 2.0], [3.0, 2.0], [np.nan, 2.0]])
    >>> _scaled_cars(scar, has).tolist(), has[:, 1].tolist()
    ([[0.7071067690849304, nan], [2.1213202476501465, nan], [nan, nan]], [False, False, False])
    """
    star = np.full(has.shape, np.nan, dtype=np.float32)
    for c in range(has.shape[1]):
        x = scar[has[:, c], c]
        spread = float(np.std(x, ddof=1)) if len(x) > 1 else np.nan
        if spread > 0:
            star[has[:, c], c] = x / spread
        else:
            has[:, c] = False
    return star


def _grank_t(
    has: np.ndarray,
    below: np.ndarray,
    weight: np.ndarray,
    shift: np.ndarray,
    u_base: np.ndarray,
    n_base: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """GRANK's t statistic and degrees of freedom of each window from one group's sums: which
    pairs it tests, their ranks below ``SCAR*``, their weights ``1 / (T_i + 1)``, the (C, L)
    shifts of the residuals above ``SCAR*`` and the (C, L) sums and counts of the blocks."""
    n_windows = has.shape[1]
    stat = np.full(n_windows, np.nan)
    dof = np.full(n_windows, np.nan)
    for c in range(n_windows):
        n0 = int(has[:, c].sum())
        if n0 < 2:
            continue
        u0 = (below[has[:, c], c] + 1.0) * weight[has[:, c]] - 0.5
        n_t = np.append(n_base[c], n0)  # estimation days, then the window
        x_t = _ratio(np.append(u_base[c] + shift[c], u0.sum()), n_t)
        var_t = _daily_variance(x_t, n_t, n_t, centre=False)
        big_t = float(np.sum(n_t > 0))
        z = x_t[-1] / np.sqrt(var_t[-1])
        stat[c] = z * np.sqrt((big_t - 2.0) / (big_t - 1.0 - z**2))
        dof[c] = big_t - 2.0
    return stat, dof


def _weighted_column_sums(above: np.ndarray, w: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """``sum_i w_i above_it`` per day, where ``above`` is False outside the pairs in ``rows``.

    Pairs with equal weights (the same number of residuals, the usual case) are counted in
    integers and scaled once; a float matrix product would first copy the (N, L) booleans to
    float64.

    Examples
    --------
    >>> above = np.array([[True, False], [True, True], [False, False]])
    >>> _weighted_column_sums(above, np.array([0.5, 0.5, 0.25]), np.array([1, 1, 0], bool))
    array([1. , 0.5])
    """
    weights = w[rows]
    if len(weights) and weights.min() == weights.max():
        return float(weights[0]) * above.sum(axis=0, dtype=np.int32)
    return np.where(rows, w, 0.0) @ above


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
    _, _, mean_car, sd_car = _moments(car, 0)
    t_cs = mean_car / (sd_car / np.sqrt(n))
    out["t_cross_section"] = (t_cs, _two_sided_t(t_cs, n - 1), n - 1, "t")
    n_s, sum_scar, mean_scar, sd_scar = _moments(scar, 0)
    bmp = mean_scar / (sd_scar / np.sqrt(n_s))
    out["bmp"] = (bmp, _two_sided_t(bmp, n_s - 1), n_s - 1, "t")

    # Brown-Warner 1980: independence, each firm's estimation-window variance.
    var_sum = _column_dots(valid_car, days, pairs.s2)
    bw80 = mean_car / (np.sqrt(var_sum) / n)
    df80 = float(np.mean(pairs.n_est)) - 1.0
    out["brown_warner_1980"] = (bw80, _two_sided_t(bw80, df80), df80, "t")

    # Patell: sum of standardised CARs over the sum of their variances under the null.
    d = pairs.dof.astype(float)
    var_t = np.where(d > 2, d / (d - 2), np.nan)
    patell_var = _column_dots(~np.isnan(scar), None, var_t)
    patell = sum_scar / np.sqrt(patell_var)
    out["patell"] = (patell, _two_sided_z(patell), np.nan, "N(0,1)")

    # Kolari-Pynnönen: BMP adjusted for the cross-correlation of the pairs' CARs.
    rbar = window_rbar(sums.corr, wd.sum(axis=1)) if rbar is None else rbar
    with np.errstate(invalid="ignore"):
        kp = bmp * np.sqrt((1.0 - rbar) / (1.0 + (n_s - 1) * rbar))
    out["kolari_pynnonen"] = (kp, _two_sided_t(kp, n_s - 1), n_s - 1, "t")
    return out


def _column_dots(valid: np.ndarray, x: np.ndarray | None, w: np.ndarray) -> np.ndarray:
    """Per column j: ``sum_i x_ij w_i`` over the rows valid in column j with a number in
    ``w`` (``x`` None: ones), column by column, so no (N, K) float temporary is made (at a
    million pairs each was 0.15 GiB).

    Examples
    --------
    >>> valid = np.array([[True, False], [True, True], [False, True]])
    >>> _column_dots(valid, np.array([[1, 9], [2, 3], [9, 4]]), np.array([1.0, 10.0, np.nan]))
    array([21., 30.])
    """
    ok = ~np.isnan(w)
    out = np.empty(valid.shape[1])
    for j in range(valid.shape[1]):
        rows = valid[:, j] & ok
        out[j] = np.sum(w[rows]) if x is None else x[rows, j] @ w[rows]
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
    s2 = pairs.s2[~np.isnan(pairs.s2)]  # no pair with a variance: no scale (and no warning)
    no_variance = not np.nanmax(var_ev, initial=0.0) > 1e-20 * (s2.mean() if len(s2) else np.nan)
    caar = _window_sum(aar_ev, wd)
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
        # over the days that have a standardised AAR: a day without one is left out, not a 0
        lw = wd.astype(float) @ np.isfinite(daily_lamb)
        lamb = np.where(lw > 0, _window_sum(daily_lamb, wd) / np.sqrt(lw), np.nan)
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
    k = len(windows)
    nobs, no_z = n.astype(np.int64).tolist(), [float("nan")] * k
    for name in TEST_NAMES:
        *values, dist = out[name]
        # Python floats for a whole test at once (tolist), not one numpy scalar at a time.
        stat_l, p_l, df_l = (
            np.broadcast_to(np.asarray(v, dtype=float), (k,)).tolist() for v in values
        )
        dists = [f"t({d:g})" for d in df_l] if dist == "t" else [dist] * k
        z_l = w_z.astype(float).tolist() if name == "wilcoxon" else no_z
        null, reference = NULLS[name], REFERENCES[name]
        results.extend(
            TestResult.many(
                (name, basket, label, stat, p, df, count, law, null, reference, z)
                for label, stat, p, df, count, law, z in zip(
                    windows, stat_l, p_l, df_l, nobs, dists, z_l, strict=True
                )
            )
        )
    return results
