"""Bootstrap inference for the CAAR: the wild bootstrap of the cross-section of CARs, and the
stationary bootstrap of a pair's estimation-window residuals.

**Wild bootstrap (cross-section).** A window's CARs ``c_1..c_N`` of one group are resampled as
``c*_i = c̄ + w_i (c_i - c̄)`` with independent weights of mean 0 and variance 1 (Wu 1986,
Liu 1988), so each firm keeps its own variance (event-induced heteroskedasticity is not averaged
away). The default weights are Rademacher (±1 with probability 1/2, Liu 1988; Davidson and
Flachaire 2008 find them the most reliable); Mammen's (1993) two-point weights, which also match
the third moment, are available as ``weights="mammen"``.

- *Interval*: percentile-t. Each draw's ``t* = (c̄* - c̄) / se*`` (se: the standard error of the
  mean, ``sd / sqrt(N)``) and the interval is ``[c̄ - q_{0.975} se, c̄ - q_{0.025} se]`` with
  ``q`` the quantiles of ``t*``. The t statistic is asymptotically pivotal, so the percentile-t
  interval has a coverage error of smaller order than the plain percentile interval (Hall 1992,
  ch. 3); it is equal-tailed.
- *p-value*: with the null imposed (Davidson and MacKinnon 1999): ``c*_i = w_i c_i``, mean zero
  by construction, and ``p = (1 + #{|t*| >= |t|}) / (B + 1)``. With Rademacher weights this is
  Fisher's sign-flip test of a distribution symmetric about zero, exact under that symmetry.

**Stationary bootstrap (time series).** For one firm (or a few), the CAR's null distribution is
the distribution of a sum of ``k`` consecutive residuals, ``k`` the window's days. The pair's
estimation-window residuals, recentred to mean zero, are resampled in blocks that start at a
uniform position and whose lengths are geometric with mean ``b`` (Politis and Romano 1994),
wrapping around the end; this keeps their short-range dependence and the stationarity of the
resampled series. The default mean block length is ``b = L^(1/3)`` (``L`` the residuals, about
6 for 240), the rate that minimises the mean squared error of the block-bootstrap variance
(Politis and White 2004 give the constant; Patton, Politis and White 2009 correct it). Pairs are
resampled independently, so with several pairs the CAAR's null assumes independent firms (as
the Patell and BMP tests do); the wild bootstrap does not, and is the one for cross-sections.
The interval is the basic one, ``[CAAR - q_{0.975}, CAAR - q_{0.025}]`` with ``q`` the quantiles
of the resampled CAARs; the p-value is ``(1 + #{|CAAR*| >= |CAAR|}) / (B + 1)``.

Draws are vectorised: a (B x N) weight matrix, cut into chunks of at most :data:`CHUNK_CELLS`
cells so that memory stays bounded whatever B and N. Everything is reproducible from ``seed``
(an int or a :class:`numpy.random.Generator`).

References
----------
Davidson, R. and Flachaire, E. (2008). The wild bootstrap, tamed at last. *Journal of
Econometrics* 146(1), 162-169.

Davidson, R. and MacKinnon, J. G. (1999). The size distortion of bootstrap tests. *Econometric
Theory* 15(3), 361-376.

Hall, P. (1992). *The Bootstrap and Edgeworth Expansion*. Springer.

Liu, R. Y. (1988). Bootstrap procedures under some non-i.i.d. models. *Annals of Statistics*
16(4), 1696-1708.

Mammen, E. (1993). Bootstrap and wild bootstrap for high dimensional linear models. *Annals of
Statistics* 21(1), 255-285.

Politis, D. N. and Romano, J. P. (1994). The stationary bootstrap. *Journal of the American
Statistical Association* 89(428), 1303-1313.

Politis, D. N. and White, H. (2004). Automatic block-length selection for the dependent
bootstrap. *Econometric Reviews* 23(1), 53-70.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from ipposaki.errors import InputError
from ipposaki.study.statistics import TestResult

__all__ = [
    "BOOTSTRAP_METHODS",
    "BOOT_TEST_NAMES",
    "CHUNK_CELLS",
    "DRAWS_RANGE",
    "WILD_WEIGHTS",
    "Bootstrap",
    "BootstrapInterval",
    "Seed",
    "WildWeights",
    "caar_bootstrap",
    "check_draws",
    "resolve_seed",
    "stationary_car",
    "stationary_sums",
    "wild_mean",
    "wild_weights",
]

Bootstrap = Literal["none", "wild", "stationary"]
#: Bootstrap methods of :meth:`ipposaki.study.EventStudyResult.with_inference`.
BOOTSTRAP_METHODS: tuple[str, ...] = ("none", "wild", "stationary")
WildWeights = Literal["rademacher", "mammen"]
#: Weight distributions of the wild bootstrap.
WILD_WEIGHTS: tuple[str, ...] = ("rademacher", "mammen")
#: Allowed number of draws (inclusive).
DRAWS_RANGE = (99, 10**6)
#: Largest number of cells (draws x firms, or draws x firms x days) held at once.
CHUNK_CELLS = 1 << 21
Seed = int | np.random.Generator | None
#: The test each method adds to a study's tests.
BOOT_TEST_NAMES = {"wild": "wild_bootstrap", "stationary": "stationary_bootstrap"}
_REFERENCES = {
    "wild": "Wu (1986), Liu (1988), Mammen (1993); percentile-t interval (Hall 1992), "
    "null-imposed p-value (Davidson and MacKinnon 1999); see ipposaki.study.bootstrap",
    "stationary": "Politis and Romano (1994), mean block length L^(1/3) (Politis and White "
    "2004); see ipposaki.study.bootstrap",
}


@dataclass(frozen=True)
class BootstrapInterval:
    """A bootstrap test and interval of a mean (the CAAR of one group and window).

    Attributes
    ----------
    estimate : float
        The mean (CAAR).
    statistic : float
        The t statistic (wild) or the CAAR over the bootstrap standard deviation (stationary).
    p_value : float
        Two-sided bootstrap p-value, ``(1 + #{|T*| >= |T|}) / (B + 1)``.
    low, high : float
        The interval at ``level``.
    n : int
        Firms used.
    draws : int
        Bootstrap draws B.
    """

    estimate: float
    statistic: float
    p_value: float
    low: float
    high: float
    n: int
    draws: int


def check_draws(draws: int) -> int:
    """Return ``draws`` if it is an allowed number of bootstrap draws.

    Raises
    ------
    InputError
        Unless ``draws`` is an integer from 99 to 10**6.
    """
    lo, hi = DRAWS_RANGE
    if isinstance(draws, bool) or not isinstance(draws, int | np.integer) or not lo <= draws <= hi:
        raise InputError("draws", draws, "an integer from 99 to 10**6")
    return int(draws)


def _rng(seed: Seed) -> np.random.Generator:
    return resolve_seed(seed, fresh=False)[0]


def resolve_seed(seed: Seed, fresh: bool = True) -> tuple[np.random.Generator, int | None]:
    """A generator from ``seed``, and the integer seed to record (None for a Generator).

    Parameters
    ----------
    seed : int or numpy.random.Generator or None
        The seed; None draws fresh entropy.
    fresh : bool, default True
        With ``seed=None``, draw an integer seed from fresh entropy and return it, so that the
        run can be repeated; with False, return an unseeded generator and None.

    Returns
    -------
    tuple
        The generator and the recorded seed.

    Raises
    ------
    InputError
        Unless ``seed`` is an integer >= 0, a Generator or None.
    """
    if isinstance(seed, np.random.Generator):
        return seed, None
    if seed is not None and (
        isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0
    ):
        raise InputError("seed", seed, "an integer >= 0, a numpy Generator or None")
    if seed is None and not fresh:
        return np.random.default_rng(), None
    recorded = int(seed) if seed is not None else int(np.random.SeedSequence().entropy % (1 << 63))  # type: ignore[operator]
    return np.random.default_rng(recorded), recorded


def wild_weights(
    rng: np.random.Generator, shape: tuple[int, ...], kind: WildWeights = "rademacher"
) -> NDArray[np.float64]:
    """Draw wild-bootstrap weights of mean 0 and variance 1.

    Parameters
    ----------
    rng : numpy.random.Generator
        Source of randomness.
    shape : tuple of int
        Shape of the weight array, e.g. ``(B, N)``.
    kind : {"rademacher", "mammen"}, default "rademacher"
        Rademacher: ±1 with probability 1/2. Mammen (1993): ``-(√5 - 1)/2`` with probability
        ``(√5 + 1)/(2√5)``, else ``(√5 + 1)/2`` (third moment 1).

    Returns
    -------
    numpy.ndarray
        The weights.

    Raises
    ------
    InputError
        For an unknown ``kind``.
    """
    if kind == "rademacher":
        return np.where(rng.random(shape) < 0.5, -1.0, 1.0)
    if kind == "mammen":
        root5 = math.sqrt(5.0)
        low = rng.random(shape) < (root5 + 1.0) / (2.0 * root5)
        return np.where(low, -(root5 - 1.0) / 2.0, (root5 + 1.0) / 2.0)
    raise InputError("weights", kind, f"one of {', '.join(WILD_WEIGHTS)}")


def _mean_t(x: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Row means and standard errors of the mean (ddof 1) of a (B, N) array."""
    n = x.shape[-1]
    mean = x.mean(axis=-1)
    se = np.sqrt(((x - mean[..., None]) ** 2).sum(axis=-1) / (n - 1) / n)
    return mean, se


def wild_mean(
    values: ArrayLike,
    draws: int = 999,
    seed: Seed = None,
    weights: WildWeights = "rademacher",
    level: float = 0.95,
) -> BootstrapInterval:
    """Wild-bootstrap test and percentile-t interval of a mean (the CAAR of N firms' CARs).

    Parameters
    ----------
    values : array_like
        The CARs; NaN are dropped.
    draws : int, default 999
        Bootstrap draws B (99 to 10**6).
    seed : int or numpy.random.Generator, optional
        Seed or generator; the same seed gives the same draws.
    weights : {"rademacher", "mammen"}, default "rademacher"
        Weight distribution (see :func:`wild_weights`).
    level : float, default 0.95
        Coverage of the interval.

    Returns
    -------
    BootstrapInterval
        Estimate, t statistic, null-imposed p-value and percentile-t interval; NaN when fewer
        than two CARs are left or they are all equal.

    Raises
    ------
    InputError
        For a bad number of draws, seed, weights or level.

    Examples
    --------
    >>> out = wild_mean([0.010, 0.020, -0.004, 0.015, 0.008, 0.030], draws=999, seed=1)
    >>> round(out.estimate, 5), out.low < out.estimate < out.high, 0 < out.p_value < 1
    (0.01317, True, True)
    """
    draws = check_draws(draws)
    alpha = _check_level(level)
    rng = _rng(seed)
    x = np.asarray(values, dtype=np.float64).ravel()
    x = x[~np.isnan(x)]
    n = x.size
    if n < 2:
        estimate = float(x.mean()) if n else np.nan
        return BootstrapInterval(estimate, np.nan, np.nan, np.nan, np.nan, n, draws)
    mean, se = _mean_t(x[None, :])
    mean0, se0 = float(mean[0]), float(se[0])
    if not se0 > 0:
        return BootstrapInterval(mean0, np.nan, np.nan, np.nan, np.nan, n, draws)
    t0 = mean0 / se0
    resid = x - mean0
    t_boot = np.empty(draws)
    t_null = np.empty(draws)
    rows = max(1, CHUNK_CELLS // n)
    for lo in range(0, draws, rows):  # bounded memory: at most CHUNK_CELLS weights at a time
        w = wild_weights(rng, (min(rows, draws - lo), n), weights)
        w2 = w * w
        # Resample c̄ + w_i e_i (shifted by c̄, which changes no spread) and, with the null
        # imposed, w_i c_i: each draw's mean and sum of squares are two matrix-vector products.
        shift = w @ resid / n
        ss_b = w2 @ (resid * resid) - n * shift**2
        m_0 = w @ x / n
        ss_0 = w2 @ (x * x) - n * m_0**2
        with np.errstate(invalid="ignore", divide="ignore"):
            t_boot[lo : lo + len(w)] = shift / np.sqrt(np.maximum(ss_b, 0.0) / (n - 1) / n)
            t_null[lo : lo + len(w)] = m_0 / np.sqrt(np.maximum(ss_0, 0.0) / (n - 1) / n)
    # A draw whose resample is constant has no t; it counts as not more extreme.
    exceed = np.sum(np.abs(np.nan_to_num(t_null, nan=0.0)) >= abs(t0) * (1 - 1e-12))
    q_low, q_high = np.nanquantile(t_boot, [alpha / 2, 1 - alpha / 2])
    return BootstrapInterval(
        estimate=mean0,
        statistic=t0,
        p_value=float((1 + exceed) / (draws + 1)),
        low=mean0 - float(q_high) * se0,
        high=mean0 - float(q_low) * se0,
        n=n,
        draws=draws,
    )


def _check_level(level: float) -> float:
    if not 0.5 <= level < 1.0:
        raise InputError("level", level, "a coverage in [0.5, 1), e.g. 0.95")
    return 1.0 - level


def stationary_sums(
    series: ArrayLike,
    lengths: ArrayLike,
    draws: int = 999,
    seed: Seed = None,
    block: float | None = None,
) -> NDArray[np.float64]:
    """Stationary-bootstrap sums of ``lengths[i]`` consecutive values of each row of ``series``.

    Parameters
    ----------
    series : array_like
        (N, L) residuals, one row per pair, NaN where a session is missing (dropped; the
        remaining values are treated as one series). Each row is recentred to mean zero.
    lengths : array_like
        (N,) number of values summed per pair (the CAR window's days).
    draws : int, default 999
        Bootstrap draws B.
    seed : int or numpy.random.Generator, optional
        Seed or generator.
    block : float, optional
        Mean block length; default ``L_i ** (1/3)`` for a row with ``L_i`` values.

    Returns
    -------
    numpy.ndarray
        (B, N) sums; a row with fewer than two values gives NaN.

    Raises
    ------
    InputError
        For a bad number of draws, seed or block length.
    """
    draws = check_draws(draws)
    rng = _rng(seed)
    x = np.atleast_2d(np.asarray(series, dtype=np.float64))
    k = np.asarray(lengths, dtype=np.int64).ravel()
    n = x.shape[0]
    if k.shape != (n,):
        raise InputError("lengths", k.shape, f"one length per row of series ({n})")
    if block is not None and not (np.isfinite(block) and block >= 1.0):
        raise InputError("block", block, "a mean block length >= 1 (sessions)")
    # Valid values first in each row (stable: their order kept), then recentred.
    order = np.argsort(np.isnan(x), axis=1, kind="stable")
    comp = np.take_along_axis(x, order, axis=1)
    size = np.sum(~np.isnan(x), axis=1)
    with np.errstate(invalid="ignore"):
        comp = comp - np.nanmean(np.where(size[:, None] > 0, comp, 0.0), axis=1)[:, None]
    usable = size >= 2
    size_c = np.maximum(size, 1)
    mean_block = np.full(n, float(block)) if block is not None else size_c ** (1.0 / 3.0)
    p_new = 1.0 / np.maximum(mean_block, 1.0)
    out = np.full((draws, n), np.nan)
    kmax = int(k.max()) if n else 0
    cols = max(1, CHUNK_CELLS // max(draws, 1))
    for lo in range(0, n, cols):  # chunks of pairs: (B, chunk) arrays per step
        hi = min(n, lo + cols)
        rows = np.arange(lo, hi)
        length = size_c[rows]
        pos = np.floor(rng.random((draws, len(rows))) * length).astype(np.int64)
        acc = np.zeros((draws, len(rows)))
        for step in range(kmax):
            if step:
                fresh = rng.random((draws, len(rows))) < p_new[rows]
                start = np.floor(rng.random((draws, len(rows))) * length).astype(np.int64)
                pos = np.where(fresh, start, (pos + 1) % length)
            acc += np.where(step < k[rows], comp[rows, pos], 0.0)
        out[:, lo:hi] = np.where(usable[rows], acc, np.nan)
    return out


def stationary_car(
    car: ArrayLike,
    series: ArrayLike,
    lengths: ArrayLike,
    scale: ArrayLike | None = None,
    draws: int = 999,
    seed: Seed = None,
    block: float | None = None,
    level: float = 0.95,
) -> BootstrapInterval:
    """Stationary-bootstrap test and interval of the mean CAR of N pairs (one pair: its CAR).

    The null distribution of the CAAR is the mean over pairs of ``scale_i`` times the
    stationary-bootstrap sum of ``lengths[i]`` of the pair's residuals, pairs independent.

    Parameters
    ----------
    car : array_like
        (N,) CARs.
    series : array_like
        (N, L) estimation-window residuals (NaN where missing); standardised ones with
        ``scale`` the residual standard deviations.
    lengths : array_like
        (N,) days in each pair's CAR window.
    scale : array_like, optional
        (N,) factors that put ``series`` in the CARs' units; default 1.
    draws : int, default 999
        Bootstrap draws B.
    seed : int or numpy.random.Generator, optional
        Seed or generator.
    block : float, optional
        Mean block length; default ``L ** (1/3)``.
    level : float, default 0.95
        Coverage of the basic interval.

    Returns
    -------
    BootstrapInterval
        CAAR, CAAR over the bootstrap standard deviation, p-value and basic interval; NaN
        when no pair has a CAR and at least two residuals.

    Raises
    ------
    InputError
        For a bad number of draws, seed, block length or level.
    """
    alpha = _check_level(level)
    draws = check_draws(draws)
    c = np.asarray(car, dtype=np.float64).ravel()
    x = np.atleast_2d(np.asarray(series, dtype=np.float64))
    k = np.asarray(lengths, dtype=np.int64).ravel()
    s = np.ones_like(c) if scale is None else np.asarray(scale, dtype=np.float64).ravel()
    ok = ~np.isnan(c) & (np.sum(~np.isnan(x), axis=1) >= 2) & np.isfinite(s) & (k > 0)
    n = int(ok.sum())
    if n == 0:
        return BootstrapInterval(np.nan, np.nan, np.nan, np.nan, np.nan, 0, draws)
    sums = stationary_sums(x[ok], k[ok], draws, seed, block) * s[ok]
    null = sums.mean(axis=1)
    caar = float(c[ok].mean())
    sd = float(null.std(ddof=1))
    exceed = np.sum(np.abs(null) >= abs(caar) * (1 - 1e-12))
    q_low, q_high = np.quantile(null, [alpha / 2, 1 - alpha / 2])
    return BootstrapInterval(
        estimate=caar,
        statistic=caar / sd if sd > 0 else np.nan,
        p_value=float((1 + exceed) / (draws + 1)),
        low=caar - float(q_high),
        high=caar - float(q_low),
        n=n,
        draws=draws,
    )


def caar_bootstrap(
    car: pd.DataFrame,
    caar: pd.DataFrame,
    sigma: NDArray[np.float64],
    sar_est: NDArray[np.floating] | None,
    method: Bootstrap,
    draws: int,
    rng: np.random.Generator,
    weights: WildWeights = "rademacher",
    block: float | None = None,
) -> tuple[tuple[TestResult, ...], pd.DataFrame]:
    """The bootstrap test and interval of each group's CAAR in each CAR window of a study.

    Parameters
    ----------
    car : pandas.DataFrame
        The study's CARs (``EventStudyResult.car``): one row per pair and window, pairs in the
        order of ``sigma`` and ``sar_est``.
    caar : pandas.DataFrame
        The study's CAARs: the groups and windows to bootstrap.
    sigma : numpy.ndarray
        (pairs,) residual standard deviations.
    sar_est : numpy.ndarray or None
        (pairs, L) standardised estimation residuals, for ``method="stationary"``.
    method : {"wild", "stationary"}
        The bootstrap.
    draws : int
        Bootstrap draws.
    rng : numpy.random.Generator
        Source of the draws, used group by group and window by window in ``caar``'s order.
    weights : {"rademacher", "mammen"}, default "rademacher"
        Wild-bootstrap weights.
    block : float, optional
        Stationary bootstrap mean block length.

    Returns
    -------
    tuple
        The tests (one per row of ``caar``) and a frame of group, window, ci_boot_low,
        ci_boot_high.
    """
    name = BOOT_TEST_NAMES[method]
    tests, cis = [], []
    for row in caar.itertuples():
        basket, window = str(row.basket), str(row.window)
        sub = car[car["window"] == window]  # one row per pair, pair order
        member = (
            np.ones(len(sub), dtype=bool)
            if basket == "all"
            else (sub["basket"].astype(str) == basket).to_numpy()
        )
        cars = sub["car"].to_numpy(np.float64)[member]
        if method == "wild":
            out = wild_mean(cars, draws, rng, weights)
            distribution = f"wild bootstrap ({weights} weights, B={draws}), percentile-t"
        else:
            if sar_est is None:
                raise InputError("bootstrap", method, "'wild' without estimation residuals")
            out = stationary_car(
                cars,
                sar_est[member].astype(np.float64),
                sub["nobs"].to_numpy()[member],
                sigma[member],
                draws,
                rng,
                block,
            )
            blocks = f"{block:g}" if block is not None else "L^(1/3)"
            distribution = f"stationary bootstrap (mean block {blocks}, B={draws}), basic"
        tests.append(
            TestResult(
                test=name,
                basket=basket,
                window=window,
                statistic=out.statistic,
                p_value=out.p_value,
                df=float("nan"),
                nobs=out.n,
                distribution=distribution,
                null="CAAR = 0",
                reference=_REFERENCES[method],
            )
        )
        cis.append(
            {"basket": basket, "window": window, "ci_boot_low": out.low, "ci_boot_high": out.high}
        )
    frame = pd.DataFrame(cis, columns=["basket", "window", "ci_boot_low", "ci_boot_high"])
    return tuple(tests), frame
