"""The daily test statistics of the R package estudy2, reproduced (``convention="estudy2"``).

estudy2 (Rudnytskyi, CRAN 0.10.0, github.com/irudnyts/estudy2) prints, for each day t of the
event window, the mean abnormal return and twelve statistics: six parametric ones
(``parametric_tests``) and six non-parametric ones (``nonparametric_tests``). This module
computes the same twelve numbers from arrays, for all days at once, so that ipposaki can print
what estudy2 prints. The formulas below were read from estudy2's ``R/parametric_tests.R`` and
``R/nonparametric_tests.R`` (commit 14946383b9d1, 2024-11-13) and written anew here; the test
``tests/test_estudy2_convention.py`` checks them against the 65 numbers printed in estudy2's
COVID-19 vignette.

Notation
--------
N firms, i = 1..N; estimation days τ = 1..L and event days t = 1..W on one common calendar.
``e_iτ`` is firm i's estimation-window abnormal return and ``AR_it`` its event-window one, NaN
where missing. ``L_i`` is firm i's *estimation length*: the days on which both its return and the
market return exist (estudy2's ``estimation_length``, the rows of its OLS fit). ``n_t`` is the
number of firms with an ``AR_it`` on day t. ``m_τ`` and ``m_t`` are market returns. Every mean
over firms skips missing values. ``s_i`` is the sample standard deviation of ``e_iτ`` with
**ddof 1**: ``s_i^2 = sum_τ e_iτ^2 / (L_i - 1)`` (OLS residuals have mean 0).

One estudy2 habit recurs: a "sum over firms" is written ``rowMeans(x, na.rm = TRUE) * ncol(x)``,
that is ``N * mean_i x_i`` over the firms present. It is the plain sum only when no firm is
missing; on a day with ``n_t < N`` firms it is the sum scaled by ``N / n_t``. Below ``Σ*_i x_i``
denotes this scaled sum, ``Σ*_i x_i = (N / n) Σ_i x_i`` over the n firms present.

Parametric tests (``parametric_tests``)
---------------------------------------
``mean``
    ``AAR_t = mean_i AR_it``.
``brown_warner_1980`` (Brown and Warner 1980)
    ``AAR_t / (sqrt(sum_i s_i^2) / N)``; the sum runs over all N firms and the divisor is N,
    also on days with fewer firms. Critical values t(mean_i L_i - 1).
``brown_warner_1985`` (Brown and Warner 1985)
    ``AAR_t / S`` with ``A_τ = mean_i e_iτ`` (firms present on day τ) and ``S`` the sample
    standard deviation (ddof 1) of ``A_τ`` over the days that have one. Critical values
    t(mean_i L_i - 1).
``t_test``
    ``AAR_t / sd_i(AR_it) * sqrt(n_t)`` (ddof 1); critical values t(n_t - 1).
``patell`` (Patell 1976)
    ``SAR_it = AR_it / (s_i sqrt(1 + 1/L_i + (m_t - mbar)^2 / sum_τ (m_τ - mbar)^2))`` with
    ``mbar`` and the sum over **every** estimation day on which the market return exists, not
    only firm i's days. The statistic is ``Σ*_i SAR_it / sqrt(sum_i (L_i - 2) / (L_i - 4))``,
    the denominator over all N firms; critical values N(0, 1).
``boehmer`` (Boehmer, Musumeci and Poulsen 1991)
    ``mean_i SAR_it / sd_i(SAR_it) * sqrt(n_t)`` (ddof 1, the SAR of ``patell``); critical
    values t(n_t - 1).
``lamb`` (Lamb 1995)
    ``AAR_t / (S sqrt(1 + 1/Lbar + (m_t - mbar)^2 / sum_τ (m_τ - mbar)^2))`` with ``S`` of
    ``brown_warner_1985``, ``Lbar = mean_i L_i`` and the market series of the *first* firm
    (estudy2 requires one regressor for all firms). Critical values N(0, 1).

Non-parametric tests (``nonparametric_tests``)
----------------------------------------------
``sign_test`` (the binomial sign test of Boehmer et al. 1991)
    ``w_t = Σ*_i 1[AR_it > 0]``; ``(w_t - n_t/2) / sqrt(n_t/4)``. A zero AR counts as a
    non-positive one and stays in ``n_t``. Critical values N(0, 1).
``generalized_sign_test`` (Cowan 1992)
    ``(w_t - n_t p) / sqrt(n_t p (1 - p))`` with ``p`` the share of positive values among
    **all** estimation-window abnormal returns pooled over firms and days. Critical values
    N(0, 1).
``corrado_sign_test`` (Corrado and Zivney 1992)
    Over each firm's estimation and event days together (``M_i`` values),
    ``G_iτ = sign(e_iτ - median_i)`` (0 at the median); ``g_τ = Σ*_i G_iτ / sqrt(n_τ)``;
    ``S = sqrt(sum_τ g_τ^2 / Mbar)`` with ``Mbar = mean_i M_i`` (all days, estimation and
    event); the statistic is ``g_t / S``. Critical values N(0, 1).
``rank_test`` (Corrado 1989)
    ``K_iτ`` are average ranks within firm i's ``M_i`` values; ``D_τ = Σ*_i (K_iτ - Kbar_i) / n_τ``
    with ``Kbar_i = (M_i + 1) / 2``; ``S = sqrt(sum_τ D_τ^2 / Mbar)``; statistic ``D_t / S``.
    Critical values N(0, 1).
``modified_rank_test`` (Corrado and Zivney 1992; Kolari and Pynnönen 2010)
    ``U_iτ = K_iτ / (M_i + 1)``; ``D_τ = Σ*_i (U_iτ - 1/2) / sqrt(n_τ)``;
    ``S = sqrt(sum_τ D_τ^2 / Mbar)``; statistic ``D_t / S``. Critical values N(0, 1).
``wilcoxon_test`` (Wilcoxon 1945)
    Among the non-zero ``AR_it`` of day t (``n'_t`` of them), rank ``|AR_it|`` (average ranks);
    ``V_t = Σ*_i`` (rank if ``AR_it > 0``, else 0): the sum of the ranks of the positive ARs,
    R's ``wilcox.test`` statistic V. Stars: ``V >= qsignrank(1 - α, n'_t)`` or
    ``V <= n'(n'+1)/2 - qsignrank(1 - α/2, n'_t)``, so the upper tail is tested at one-sided
    level α and the lower one at α/2.

Stars are ``*``, ``**``, ``***`` at α = 0.10, 0.05, 0.01 (two-sided, against the critical values
named above). estudy2 prints no p-values; the p-values returned here are the two-sided ones
under the same null laws (for the Wilcoxon test: the exact two-sided law of the sum of positive
ranks when the absolute ARs are untied, else the normal approximation with midrank variance).

Differences from the textbook choices
-------------------------------------
(``docs/conventions.md`` sets them against ipposaki's default convention.)

1. Residual standard deviation with ddof 1 (``L_i - 1``) in ``patell`` and ``boehmer``; the
   market-model regression, Patell (1976) and Boehmer et al. (1991) use ``L_i - 2``.
2. The prediction-error term of ``patell``/``boehmer`` takes the market mean and sum of squares
   over every estimation day of the window, also days on which the firm had no return, while
   ``1/L_i`` uses the firm's own count; the textbook term ``x'(X'X)^-1 x`` uses the firm's own
   estimation sample throughout.
3. ``Σ*`` instead of Σ: sums over firms are scaled by ``N / n_t`` on days with missing firms
   (``patell``, ``sign_test``, ``generalized_sign_test``, ``wilcoxon_test``,
   ``corrado_sign_test``, ``rank_test``, ``modified_rank_test``), and ``rank_test`` divides
   that scaled sum by ``n_τ``. With every firm present this is the textbook sum.
4. ``patell`` divides by ``sqrt(sum_i (L_i-2)/(L_i-4))`` over all firms, not over those present
   on the day; ``brown_warner_1980`` likewise sums the variances of all firms and divides by N.
5. The rank and sign tests divide the sum of squares over days by ``Mbar``, the mean number of
   valid values per firm, not by the number of days, so firms with short histories (ZM and UBER
   in the vignette) change ``S``.
6. ``generalized_sign_test`` pools the estimation-window signs over firms; Cowan (1992) averages
   the firms' shares of positive residuals.
7. ``sign_test`` keeps zero ARs in ``n_t`` (as non-positive) rather than dropping them.
8. ``wilcoxon_test`` reports V, the sum of the ranks of the positive ARs (as R's
   ``wilcox.test``), not ``min(W+, W-)``; its stars use the asymmetric rule above.
9. ``brown_warner_1980`` and ``brown_warner_1985`` take critical values from
   t(mean_i L_i - 1) (Brown and Warner 1985 use the number of estimation days minus 1);
   ``lamb`` uses the first firm's market series.
10. estudy2 reads the estimation window as calendar dates shared by all firms; a firm that
    lists inside it simply has fewer days (ZM 227 and UBER 212 of the 240).

References
----------
Boehmer, Musumeci and Poulsen (1991), J. Financial Economics 30(2):253-272. Brown and Warner
(1980), J. Financial Economics 8:205-258. Brown and Warner (1985), J. Financial Economics 14:3-31.
Corrado (1989), J. Financial Economics 23:385-395. Corrado and Zivney (1992), J. Financial and
Quantitative Analysis 27(3):465-478. Cowan (1992), Review of Quantitative Finance and Accounting
2:343-358. Kolari and Pynnönen (2010), Review of Financial Studies 23(11):3996-4025. Lamb (1995),
J. Risk and Insurance 62(1):111-123. Patell (1976), J. Accounting Research 14(2):246-276.
Wilcoxon (1945), Biometrics Bulletin 1(6):80-83. Rudnytskyi, estudy2 0.10.0 (2021), CRAN.
"""

from __future__ import annotations

import warnings
from typing import Final

import numpy as np
from scipy import stats

from ipposaki._typing import FloatArray
from ipposaki.errors import InputError
from ipposaki.study.signed_rank import EXACT_MAX, signed_rank_cdf

__all__ = [
    "ESTUDY2_COLUMNS",
    "ESTUDY2_TESTS",
    "IPPOSAKI_NAMES",
    "SIGNIFICANCE_LEVELS",
    "estudy2_statistics",
]

#: estudy2's test functions, in the order of its printed tables.
ESTUDY2_TESTS: Final[tuple[str, ...]] = (
    "brown_warner_1980",
    "brown_warner_1985",
    "t_test",
    "patell",
    "boehmer",
    "lamb",
    "sign_test",
    "generalized_sign_test",
    "corrado_sign_test",
    "rank_test",
    "modified_rank_test",
    "wilcoxon_test",
)

#: The column estudy2 prints each statistic under.
ESTUDY2_COLUMNS: Final[dict[str, str]] = {
    "brown_warner_1980": "bw_1980_stat",
    "brown_warner_1985": "bw_1985_stat",
    "t_test": "t_test_stat",
    "patell": "pt_stat",
    "boehmer": "bh_stat",
    "lamb": "lmb_stat",
    "sign_test": "sign_stat",
    "generalized_sign_test": "gsign_stat",
    "corrado_sign_test": "csign_stat",
    "rank_test": "rank_stat",
    "modified_rank_test": "mrank_stat",
    "wilcoxon_test": "wlcx_stat",
}

#: The name of the same test in :data:`ipposaki.study.statistics.TEST_NAMES`.
IPPOSAKI_NAMES: Final[dict[str, str]] = {
    "brown_warner_1980": "brown_warner_1980",
    "brown_warner_1985": "brown_warner_1985",
    "t_test": "t_cross_section",
    "patell": "patell",
    "boehmer": "bmp",
    "lamb": "lamb",
    "sign_test": "sign",
    "generalized_sign_test": "generalized_sign",
    "corrado_sign_test": "corrado_sign",
    "rank_test": "corrado_rank",
    "modified_rank_test": "modified_rank",
    "wilcoxon_test": "wilcoxon",
}

#: Levels of the stars ``*``, ``**``, ``***``.
SIGNIFICANCE_LEVELS: Final[tuple[float, float, float]] = (0.10, 0.05, 0.01)

# R's qsignrank compares cumulative probabilities with a fuzz of 10 machine epsilons.
_FUZZ = 10.0 * np.finfo(float).eps


def estudy2_statistics(
    resid: FloatArray,
    ar: FloatArray,
    market_est: FloatArray,
    market_ev: FloatArray,
    *,
    estimation_length: np.ndarray | None = None,
) -> dict[str, np.ndarray]:
    """estudy2's mean abnormal return and twelve test statistics for each event day.

    Parameters
    ----------
    resid : numpy.ndarray
        (N, L) estimation-window abnormal returns (OLS residuals of the market model) of N
        firms on the L days of the common estimation window, NaN where the firm has no return.
    ar : numpy.ndarray
        (N, W) event-window abnormal returns, NaN where missing.
    market_est : numpy.ndarray
        (L,) market returns on the estimation days, or (N, L) one series per firm. Pass the
        market on **every** day of the window, not masked by the firm's missing days: estudy2
        takes the market mean and sum of squares of the prediction-error term over all of them.
        ``lamb`` uses the first row (estudy2 requires one regressor for all firms).
    market_ev : numpy.ndarray
        (W,) or (N, W) market returns on the event days.
    estimation_length : numpy.ndarray, optional
        (N,) the number of days in each firm's OLS fit (estudy2's ``estimation_length``).
        Defaults to the count of non-missing values in each row of ``resid``.

    Returns
    -------
    dict[str, numpy.ndarray]
        ``"mean"``: the (W,) mean abnormal return; ``"n"``: firms with an AR per day;
        ``"percentage"``: ``100 n / N``. For each name of :data:`ESTUDY2_TESTS`: the (W,)
        statistic under the name, its two-sided p-value under ``name + "_p"`` and estudy2's
        stars (``""``, ``"*"``, ``"**"``, ``"***"``) under ``name + "_signif"``. A statistic
        that is undefined (no firm that day, zero variance) is NaN with no stars.

    Raises
    ------
    InputError
        If the arrays are not 2-D with matching shapes, or ``estimation_length`` does not hold
        one value per firm.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> out = estudy2_statistics(
    ...     rng.normal(0, 0.01, (5, 60)), rng.normal(0, 0.01, (5, 3)),
    ...     rng.normal(0, 0.01, 60), rng.normal(0, 0.01, 3))
    >>> out["patell"].shape, out["wilcoxon_test_signif"].dtype.kind
    ((3,), 'U')
    """
    resid, ar, m_est, m_ev, length = _validate(resid, ar, market_est, market_ev, estimation_length)
    with np.errstate(invalid="ignore", divide="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return _compute(resid, ar, m_est, m_ev, length)


def _validate(
    resid: FloatArray,
    ar: FloatArray,
    market_est: FloatArray,
    market_ev: FloatArray,
    estimation_length: np.ndarray | None,
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray, FloatArray]:
    resid = np.asarray(resid, dtype=float)
    ar = np.asarray(ar, dtype=float)
    if resid.ndim != 2 or resid.shape[0] == 0 or resid.shape[1] < 2:
        raise InputError("resid", f"array of shape {resid.shape}", "a 2-D (N, L) array, L >= 2")
    n, length = resid.shape
    if ar.ndim != 2 or ar.shape[0] != n or ar.shape[1] == 0:
        raise InputError("ar", f"array of shape {ar.shape}", f"a 2-D ({n}, W) array, W >= 1")
    width = ar.shape[1]
    m_est = _market(market_est, "market_est", n, length)
    m_ev = _market(market_ev, "market_ev", n, width)
    if estimation_length is None:
        count = np.sum(~np.isnan(resid), axis=1).astype(float)
    else:
        count = np.asarray(estimation_length, dtype=float)
        if count.shape != (n,):
            raise InputError(
                "estimation_length", f"array of shape {count.shape}", f"one value per firm ({n},)"
            )
    return resid, ar, m_est, m_ev, count


def _market(x: FloatArray, name: str, n: int, days: int) -> FloatArray:
    arr = np.asarray(x, dtype=float)
    if arr.shape == (days,):
        return np.broadcast_to(arr, (n, days))
    if arr.shape == (n, days):
        return arr
    raise InputError(name, f"array of shape {arr.shape}", f"shape ({days},) or ({n}, {days})")


def _count(x: FloatArray) -> FloatArray:
    """Non-missing values per column (firms are rows)."""
    return np.sum(~np.isnan(x), axis=0).astype(float)


def _mean(x: FloatArray) -> FloatArray:
    """Mean over firms (rows) of the values present; NaN where none is."""
    k = _count(x)
    return np.where(k > 0, np.nansum(x, axis=0) / k, np.nan)


def _sd(x: FloatArray, axis: int) -> FloatArray:
    """Sample standard deviation (ddof 1) of the values present; NaN below two values."""
    k = np.sum(~np.isnan(x), axis=axis)
    centred = x - np.nanmean(x, axis=axis, keepdims=True)
    var = np.nansum(centred**2, axis=axis) / (k - 1)
    return np.where(k > 1, np.sqrt(var), np.nan)


def _scaled_sum(x: FloatArray) -> FloatArray:
    """estudy2's ``rowMeans(x, na.rm = TRUE) * ncol(x)``: N times the mean of the firms present."""
    return _mean(x) * x.shape[0]


def _ranks(x: FloatArray, axis: int) -> FloatArray:
    """Average ranks along ``axis`` among the values present; NaN stays NaN."""
    missing = np.isnan(x)
    ranks = stats.rankdata(np.where(missing, np.inf, x), method="average", axis=axis)
    return np.where(missing, np.nan, ranks)


def _stars(stat: FloatArray, critical: list[FloatArray]) -> np.ndarray:
    """Stars for ``|stat| >= critical[k]`` at the three levels (NaN never has a star)."""
    out = np.full(stat.shape, "", dtype="<U3")
    magnitude = np.abs(stat)
    for k, crit in enumerate(critical):
        out[magnitude >= crit] = "*" * (k + 1)
    return out


def _t_result(stat: FloatArray, df: FloatArray | float) -> tuple[FloatArray, np.ndarray]:
    df_arr = np.where(np.asarray(df, dtype=float) > 0, df, np.nan)
    crit = [np.asarray(stats.t.ppf(1 - a / 2, df_arr), dtype=float) for a in SIGNIFICANCE_LEVELS]
    return 2.0 * stats.t.sf(np.abs(stat), df_arr), _stars(stat, crit)


def _z_result(stat: FloatArray) -> tuple[FloatArray, np.ndarray]:
    crit = [np.full(stat.shape, stats.norm.ppf(1.0 - a / 2.0)) for a in SIGNIFICANCE_LEVELS]
    return 2.0 * stats.norm.sf(np.abs(stat)), _stars(stat, crit)


def _qsignrank(p: float, n: int) -> float:
    """R's ``qsignrank(p, n)``: the smallest v with ``P(V <= v) >= p`` (for p > 1/2)."""
    cdf = signed_rank_cdf(n)
    top = n * (n + 1) // 2
    if p > 0.5:  # by symmetry, as R does: from the lower tail of 1 - p
        return float(top - int(np.searchsorted(cdf, 1.0 - p + _FUZZ, side="right")))
    return float(np.searchsorted(cdf, p - _FUZZ, side="left"))


def _wilcoxon(ar: FloatArray) -> tuple[FloatArray, FloatArray, np.ndarray]:
    """V per day, its two-sided p-value and estudy2's (asymmetric) stars."""
    absolute = np.where(ar == 0, np.nan, np.abs(ar))
    ranks = _ranks(absolute, axis=0)
    positive = np.where(ar < 0, 0.0, ranks)
    v = _scaled_sum(positive)
    n_nz = _count(absolute)
    w_plus = np.nansum(positive, axis=0)
    p = np.full(v.shape, np.nan)
    signif = np.full(v.shape, "", dtype="<U3")
    for t, size in enumerate(n_nz.astype(int)):
        if size == 0:
            continue
        top = size * (size + 1) / 2.0
        col = absolute[:, t][~np.isnan(absolute[:, t])]
        untied = len(np.unique(col)) == size
        if untied and size <= EXACT_MAX and float(w_plus[t]).is_integer():
            cdf = signed_rank_cdf(size)
            w = int(w_plus[t])
            upper = 1.0 - cdf[w - 1] if w > 0 else 1.0
            p[t] = min(1.0, 2.0 * min(float(cdf[w]), upper))
        else:
            r = ranks[:, t][~np.isnan(ranks[:, t])]
            z = (w_plus[t] - top / 2.0) / np.sqrt(np.sum(r**2) / 4.0)
            p[t] = 2.0 * stats.norm.sf(abs(z))
        for k, alpha in enumerate(SIGNIFICANCE_LEVELS):
            upper_crit = _qsignrank(1.0 - alpha, size)
            lower_crit = top - _qsignrank(1.0 - alpha / 2.0, size)
            if v[t] >= upper_crit or v[t] <= lower_crit:
                signif[t] = "*" * (k + 1)
    return np.where(n_nz > 0, v, np.nan), p, signif


def _combined_tests(resid: FloatArray, ar: FloatArray) -> dict[str, FloatArray]:
    """Corrado sign, rank and modified rank statistics over estimation + event days."""
    full = np.concatenate([resid, ar], axis=1)
    width = ar.shape[1]
    valid = ~np.isnan(full)
    m_i = valid.sum(axis=1).astype(float)
    m_bar = float(np.mean(m_i))
    n_tau = np.where(valid.any(axis=0), valid.sum(axis=0), np.nan).astype(float)

    def scaled(d: FloatArray) -> FloatArray:
        spread = np.sqrt(np.nansum(d**2) / m_bar)
        return (d / spread)[-width:]

    median = np.nanmedian(full, axis=1, keepdims=True)
    g = _scaled_sum(np.sign(full - median)) / np.sqrt(n_tau)
    ranks = _ranks(full, axis=1)
    k_bar = np.nanmean(ranks, axis=1, keepdims=True)
    d_rank = _scaled_sum(ranks - k_bar) / n_tau
    u = ranks / (m_i[:, None] + 1.0) - 0.5
    d_mod = _scaled_sum(u) / np.sqrt(n_tau)
    return {
        "corrado_sign_test": scaled(g),
        "rank_test": scaled(d_rank),
        "modified_rank_test": scaled(d_mod),
    }


def _compute(
    resid: FloatArray, ar: FloatArray, m_est: FloatArray, m_ev: FloatArray, length: FloatArray
) -> dict[str, np.ndarray]:
    n_firms = ar.shape[0]
    n_t = _count(ar)
    aar = _mean(ar)
    out: dict[str, np.ndarray] = {"mean": aar, "n": n_t, "percentage": 100.0 * n_t / n_firms}
    stat: dict[str, FloatArray] = {}
    df_mean = float(np.mean(length)) - 1.0

    # Portfolio tests on the estimation-window residuals.
    s_i = _sd(resid, axis=1)
    stat["brown_warner_1980"] = aar / (np.sqrt(np.nansum(s_i**2)) / n_firms)
    s_portfolio = float(_sd(_mean(resid)[None, :], axis=1)[0])
    stat["brown_warner_1985"] = aar / s_portfolio
    stat["t_test"] = aar / _sd(ar, axis=0) * np.sqrt(n_t)

    # Standardised ARs: ddof-1 residual sd, market moments over the whole estimation window.
    m_bar = np.nanmean(m_est, axis=1, keepdims=True)
    sxx = np.nansum((m_est - m_bar) ** 2, axis=1, keepdims=True)
    adj = np.sqrt(1.0 + 1.0 / length[:, None] + (m_ev - m_bar) ** 2 / sxx)
    sar = ar / s_i[:, None] / adj
    stat["patell"] = _scaled_sum(sar) / np.sqrt(np.sum((length - 2.0) / (length - 4.0)))
    stat["boehmer"] = _mean(sar) / _sd(sar, axis=0) * np.sqrt(n_t)
    lamb_adj = np.sqrt(
        1.0 + 1.0 / float(np.mean(length)) + (m_ev[0] - m_bar[0, 0]) ** 2 / sxx[0, 0]
    )
    stat["lamb"] = aar / (s_portfolio * lamb_adj)

    # Sign tests.
    n_or_nan = np.where(n_t > 0, n_t, np.nan)
    positive = _scaled_sum(np.where(np.isnan(ar), np.nan, (ar > 0).astype(float)))
    stat["sign_test"] = (positive - 0.5 * n_or_nan) / np.sqrt(0.25 * n_or_nan)
    valid_est = ~np.isnan(resid)
    p_hat = float(np.sum(resid[valid_est] > 0) / np.sum(valid_est))
    stat["generalized_sign_test"] = (positive - n_or_nan * p_hat) / np.sqrt(
        n_or_nan * p_hat * (1.0 - p_hat)
    )
    stat.update(_combined_tests(resid, ar))

    for name in ("brown_warner_1980", "brown_warner_1985"):
        p, signif = _t_result(stat[name], df_mean)
        out.update({name: stat[name], f"{name}_p": p, f"{name}_signif": signif})
    for name in ("t_test", "boehmer"):
        p, signif = _t_result(stat[name], n_t - 1.0)
        out.update({name: stat[name], f"{name}_p": p, f"{name}_signif": signif})
    normal = (
        "patell",
        "lamb",
        "sign_test",
        "generalized_sign_test",
        "corrado_sign_test",
        "rank_test",
        "modified_rank_test",
    )
    for name in normal:
        p, signif = _z_result(stat[name])
        out.update({name: stat[name], f"{name}_p": p, f"{name}_signif": signif})
    v, p_w, signif_w = _wilcoxon(ar)
    out.update({"wilcoxon_test": v, "wilcoxon_test_p": p_w, "wilcoxon_test_signif": signif_w})
    ordered = ["mean", "n", "percentage"]
    ordered += [f"{name}{suffix}" for name in ESTUDY2_TESTS for suffix in ("", "_p", "_signif")]
    return {key: out[key] for key in ordered}
