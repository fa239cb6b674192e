"""GARCH-family return models and the Savickas (2003) test.

``model="garch"`` is the market model with GARCH(1,1) errors and ``model="egarch"`` the same
with EGARCH(1,1,1) errors, each fitted by Gaussian maximum likelihood (normal errors) on each
pair's estimation window with the :mod:`arch` package
(``arch_model(y, x=m, mean="LS", vol="GARCH", p=1, q=1, dist="normal")``, or ``vol="EGARCH",
p=1, o=1, q=1``)::

    r_t        = a + b m_t + e_t,        e_t = sigma_t z_t,  z_t ~ N(0, 1)
    GARCH:   sigma_t^2 = omega + alpha e_{t-1}^2 + beta sigma_{t-1}^2
    EGARCH:  ln sigma_t^2 = omega + alpha (|z_{t-1}| - sqrt(2/pi)) + gamma z_{t-1}
                           + beta ln sigma_{t-1}^2

The fit runs on returns in percent (``100 r`` on ``100 m``), the scale ``arch`` asks for; the
parameters are reported in return units (``a / 100``, ``b``, ``omega / 100^2`` for GARCH,
``omega + (beta - 1) ln(100^2)`` for EGARCH; ``alpha``, ``gamma`` and ``beta`` do not change).
Missing estimation sessions are dropped: the recursion runs over the valid sessions as if they
were consecutive. ``arch`` starts the recursion from its backcast (an exponentially weighted
mean of the first squared residuals) and fits by SLSQP; a fit whose optimiser does not report
success, or that raises, excludes the pair with the optimiser's message.

Conditional variance in the event window (the recursion used)
    ``sigma_{T+1}^2`` is the one-step-ahead forecast from the last estimation session ``T``
    (its residual and in-sample variance). From there the recursion runs forward over every
    session after ``T``: the sessions between the two windows and the event window, with the
    realised residuals ``e_t = r_t - a - b m_t`` (an event day's abnormal return feeds the next
    day's variance). A session whose return or market return is missing contributes its
    conditional expectation: ``e_t^2`` is replaced by ``sigma_t^2`` (GARCH), and
    ``|z_t| - sqrt(2/pi)`` and ``z_t`` by 0 (EGARCH). So ``sigma_t^2`` on every event day is
    the variance of ``AR_t`` given the returns up to ``t - 1``, and ``SAR_t = AR_t / sigma_t``.
    A window's CAR is standardised by ``sqrt(sum_t sigma_t^2)`` over its valid days (the ARs
    are martingale differences, so their conditional variances add).

The Savickas test (Savickas 2003, J. Financial Research 26(2):165-178), for the ``N`` pairs of
a group on a window::

    S_i = CAR_i / sqrt(sum_{t in w} sigma_it^2)       (S_i = AR_i0 / sigma_i0 on one day)
    Z   = mean(S) / (sd(S) / sqrt(N)),   sd with N - 1 degrees of freedom,   Z ~ t(N - 1)

the cross-sectional (BMP-type) test of the GARCH-standardised abnormal returns, which allows
event-induced variance. Savickas estimates the event effect inside one GARCH fit over the
estimation and event periods with an event dummy; here the GARCH model is fitted on the
estimation window only and filtered through the event window as above.
"""

from __future__ import annotations

import math
import os
import warnings
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import Literal

import numpy as np
from scipy import stats

from ipposaki.study.models import Fit, _r2
from ipposaki.study.statistics import TestResult

__all__ = [
    "GARCH_MIN_OBS",
    "GARCH_MODELS",
    "SAVICKAS_NULL",
    "SAVICKAS_REFERENCE",
    "GarchFit",
    "GarchName",
    "default_workers",
    "fit_garch",
    "fit_garch_pairs",
    "savickas",
    "savickas_tests",
]

GarchName = Literal["garch", "egarch"]
#: The GARCH-family return models.
GARCH_MODELS: tuple[str, ...] = ("garch", "egarch")
#: Returns are fitted in percent: variances scale by this factor squared.
SCALE = 100.0
SAVICKAS_REFERENCE = "Savickas (2003), J. Financial Research 26(2):165-178"
SAVICKAS_NULL = (
    "the mean GARCH-standardised CAR (CAR over the square root of the sum of its days' "
    "conditional variances) is zero (event-induced variance allowed)"
)
_NAMES: dict[str, tuple[str, ...]] = {
    "garch": ("alpha", "beta", "omega", "arch", "garch"),
    "egarch": ("alpha", "beta", "omega", "arch", "leverage", "garch"),
}
#: Pairs per task when the fits run on a process pool.
_POOL_BLOCK = 32
_SQRT_2_PI = math.sqrt(2.0 / math.pi)


@dataclass(frozen=True)
class GarchFit:
    """The GARCH-family fit of every pair, in return units.

    Attributes
    ----------
    names : tuple of str
        ``("alpha", "beta", "omega", "arch", "garch")``, with ``"leverage"`` before
        ``"garch"`` for EGARCH: the mean equation's intercept and slope, then the variance
        equation's ``omega``, ``alpha``, (``gamma``) and ``beta``.
    coef : numpy.ndarray
        (pairs, k) parameters, NaN where the fit failed.
    reason : numpy.ndarray
        (pairs,) object, ``""`` where the fit succeeded, else why it failed.
    resid : numpy.ndarray
        (pairs, L) estimation-window residuals, NaN where the session is not used.
    cond_var : numpy.ndarray
        (pairs, L) in-sample conditional variances ``sigma_t^2`` of the estimation sessions.
    path_var : numpy.ndarray
        (pairs, P) conditional variances of the sessions after the estimation window (see the
        module docstring for the recursion).
    loglik : numpy.ndarray
        (pairs,) maximised log-likelihood, on the percent scale of the fit.
    nobs : numpy.ndarray
        (pairs,) sessions used.
    """

    names: tuple[str, ...]
    coef: np.ndarray
    reason: np.ndarray
    resid: np.ndarray
    cond_var: np.ndarray
    path_var: np.ndarray
    loglik: np.ndarray
    nobs: np.ndarray


def _fit_one(y: np.ndarray, m: np.ndarray, vol: str) -> tuple[np.ndarray, np.ndarray, float, str]:
    """One pair's fit on percent returns: (params, in-sample variances, loglik, failure)."""
    from arch import arch_model

    k = len(_NAMES[vol])
    fail = np.full(k, np.nan), np.full(len(y), np.nan), float("nan")
    try:
        model = arch_model(
            y,
            x=m[:, None],
            mean="LS",
            vol="EGARCH" if vol == "egarch" else "GARCH",
            p=1,
            o=1 if vol == "egarch" else 0,
            q=1,
            dist="normal",
            rescale=False,
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = model.fit(disp="off", show_warning=False)
    except Exception as exc:  # arch and scipy raise many kinds; a failed fit is an exclusion
        return (*fail, f"GARCH fit failed: {type(exc).__name__}: {exc}")
    opt = res.optimization_result
    params = np.asarray(res.params, dtype=np.float64)
    if not opt.success or not np.isfinite(params).all():
        return (*fail, f"GARCH fit did not converge: {opt.message} (SLSQP status {opt.status})")
    return params, np.asarray(res.conditional_volatility, dtype=np.float64) ** 2, -opt.fun, ""


def _fit_block(
    y: np.ndarray, m: np.ndarray, valid: np.ndarray, vol: str
) -> list[tuple[np.ndarray, np.ndarray, float, str]]:
    """Fit every pair of a block (percent returns) one after the other.

    BLAS and LAPACK run on one thread: the optimiser turns the last-bit differences that the
    thread count makes in the starting values into visible ones, so without this the fits
    would depend on the machine and the backend (Dask's workers run BLAS on one thread).
    """
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        return [_fit_one(y[i, valid[i]], m[i, valid[i]], vol) for i in range(len(y))]


def _recurse(
    vol: str,
    params: np.ndarray,
    last_e: float,
    last_var: float,
    path_e: np.ndarray,
) -> np.ndarray:
    """Conditional variances after the estimation window (percent units).

    ``path_e`` holds the residuals of the sessions after the window (NaN where missing); the
    result's entry ``k`` is the variance of session ``k`` given the sessions before it.
    """
    out = np.empty(len(path_e))
    omega, alpha = params[2], params[3]
    if vol == "garch":
        beta = params[4]
        e2, var = last_e**2, last_var
        for k, e in enumerate(path_e):
            var = omega + alpha * e2 + beta * var
            out[k] = var
            e2 = e * e if e == e else var  # a missing residual: its expectation
        return out
    gamma, beta = params[4], params[5]
    z, lnvar = last_e / math.sqrt(last_var), math.log(last_var)
    shock = alpha * (abs(z) - _SQRT_2_PI) + gamma * z
    for k, e in enumerate(path_e):
        lnvar = omega + shock + beta * lnvar
        out[k] = math.exp(lnvar)
        if e == e and out[k] > 0.0:
            z = e / math.sqrt(out[k])
            shock = alpha * (abs(z) - _SQRT_2_PI) + gamma * z
        else:
            shock = 0.0
    return out


def fit_garch(
    model: GarchName,
    y: np.ndarray,
    m: np.ndarray,
    valid: np.ndarray,
    path_y: np.ndarray,
    path_m: np.ndarray,
    workers: int = 1,
) -> GarchFit:
    """Fit the GARCH-family market model for every pair and filter it past the window.

    Parameters
    ----------
    model : {"garch", "egarch"}
        GARCH(1,1) or EGARCH(1,1,1) errors.
    y, m : numpy.ndarray
        (pairs, L) estimation-window returns and market returns.
    valid : numpy.ndarray
        (pairs, L) bool, the sessions to use (both present).
    path_y, path_m : numpy.ndarray
        (pairs, P) returns and market returns of the sessions after each pair's estimation
        window, NaN where missing.
    workers : int, default 1
        Processes to fit on; the pairs are fitted in blocks on a process pool when above 1.

    Returns
    -------
    GarchFit
        Parameters, failures, residuals and conditional variances, in return units.
    """
    n, width = y.shape
    ys, ms = SCALE * y, SCALE * m
    blocks = [slice(lo, min(lo + _POOL_BLOCK, n)) for lo in range(0, n, _POOL_BLOCK)]
    if workers > 1 and len(blocks) > 1:
        with ProcessPoolExecutor(max_workers=min(workers, len(blocks))) as pool:
            parts = pool.map(
                _fit_block,
                [ys[b] for b in blocks],
                [ms[b] for b in blocks],
                [valid[b] for b in blocks],
                [model] * len(blocks),
            )
            fits = [f for part in parts for f in part]
    else:
        fits = _fit_block(ys, ms, valid, model)
    names = _NAMES[model]
    coef = np.full((n, len(names)), np.nan)
    reason = np.full(n, "", dtype=object)
    cond_var = np.full((n, width), np.nan)
    path_var = np.full(path_y.shape, np.nan)
    loglik = np.full(n, np.nan)
    for i, (params, var, ll, why) in enumerate(fits):
        if why:
            reason[i] = why
            continue
        used = np.flatnonzero(valid[i])
        resid = ys[i, used] - params[0] - params[1] * ms[i, used]
        path_e = SCALE * path_y[i] - params[0] - params[1] * SCALE * path_m[i]
        with np.errstate(all="ignore"):
            filtered = _recurse(model, params, float(resid[-1]), float(var[-1]), path_e)
        if not (np.isfinite(filtered).all() and (filtered > 0).all()):
            reason[i] = (
                "GARCH filter: the conditional variance after the estimation window fell to 0 "
                "or overflowed (an unstable fit, e.g. EGARCH with a negative alpha)"
            )
            continue
        path_var[i] = filtered
        cond_var[i, used] = var
        coef[i] = params
        loglik[i] = ll
    with np.errstate(invalid="ignore"):
        resid_all = np.where(valid, y - coef[:, :1] / SCALE - coef[:, 1:2] * m, np.nan)
    coef[:, 0] /= SCALE
    if model == "garch":
        coef[:, 2] /= SCALE**2
    else:  # ln(s^2) = ln(s_pct^2) - ln(SCALE^2)
        coef[:, 2] += (coef[:, 5] - 1.0) * math.log(SCALE**2)
    return GarchFit(
        names=names,
        coef=coef,
        reason=reason,
        resid=resid_all,
        cond_var=cond_var / SCALE**2,
        path_var=path_var / SCALE**2,
        loglik=loglik,
        nobs=valid.sum(axis=1),
    )


#: Fewest estimation sessions a GARCH fit is tried on, whatever ``min_estimation_obs``.
GARCH_MIN_OBS = 20


def fit_garch_pairs(
    model: GarchName,
    y: np.ndarray,
    m: np.ndarray,
    path_y: np.ndarray,
    path_m: np.ndarray,
    *,
    before: np.ndarray,
    min_obs: int,
    workers: int = 1,
) -> tuple[GarchFit, Fit, np.ndarray]:
    """Fit the pairs that can be fitted and say why the others cannot.

    Parameters
    ----------
    model : {"garch", "egarch"}
        The variance model.
    y, m : numpy.ndarray
        (pairs, L) estimation-window returns and market returns, NaN where missing.
    path_y, path_m : numpy.ndarray
        (pairs, P) the same for the sessions after each estimation window.
    before : numpy.ndarray
        (pairs,) bool, whether the estimation window ends before the event window.
    min_obs : int
        ``min_estimation_obs``: pairs with fewer valid sessions are left to the engine's
        reason; pairs with at least that many but fewer than :data:`GARCH_MIN_OBS` are not
        fitted.
    workers : int, default 1
        Processes to fit on (:func:`fit_garch`).

    Returns
    -------
    tuple[GarchFit, Fit, numpy.ndarray]
        The GARCH fit of every pair (``reason`` says why a pair has none), the mean equation
        as a :class:`~ipposaki.study.models.Fit` (intercept and slope; ``sigma2`` is
        ``sum e^2 / (T - k)`` with ``k`` the number of parameters; no ``(X'X)^-1``: the
        variances come from the GARCH recursion) and the (pairs, L) mask of the sessions used.
    """
    valid = ~np.isnan(y) & ~np.isnan(m)
    nobs = valid.sum(axis=1)
    todo = np.flatnonzero((nobs >= max(min_obs, GARCH_MIN_OBS)) & before)
    part = fit_garch(
        model, y[todo], m[todo], valid[todo], path_y[todo], path_m[todo], workers=workers
    )
    n = len(y)

    def spread(a: np.ndarray, fill: object = np.nan) -> np.ndarray:
        out = np.full((n, *a.shape[1:]), fill, dtype=a.dtype)
        out[todo] = a
        return out

    reason = spread(part.reason, "")
    reason[(nobs >= min_obs) & (nobs < GARCH_MIN_OBS)] = (
        f"fewer than {GARCH_MIN_OBS} valid estimation returns: too few for a GARCH fit"
    )
    reason[~before] = (
        f"estimation window after the event window: model={model!r} needs it before (the "
        "conditional variance runs forward from it)"
    )
    garch = GarchFit(
        names=part.names,
        coef=spread(part.coef),
        reason=reason,
        resid=spread(part.resid),
        cond_var=spread(part.cond_var),
        path_var=spread(part.path_var),
        loglik=spread(part.loglik),
        nobs=nobs,
    )
    dof = nobs - len(garch.names)
    with np.errstate(invalid="ignore", divide="ignore"):
        sigma2 = np.nansum(garch.resid**2, axis=1) / dof
    sigma2 = np.where(np.isnan(garch.coef[:, 0]), np.nan, sigma2)
    fit = Fit(
        names=garch.names[:2],
        coef=garch.coef[:, :2],
        xtx_inv=np.zeros((n, 2, 2)),
        sigma2=sigma2,
        nobs=nobs,
        dof=dof,
        r2=_r2(y, garch.resid, valid),
        resid=garch.resid,
    )
    return garch, fit, valid


def default_workers() -> int:
    """Processes for the local fits: the machine's cores (at least 1)."""
    return max(os.cpu_count() or 1, 1)


def savickas(scar: np.ndarray, *, basket: str = "all", window: str = "0:0") -> TestResult:
    """The Savickas (2003) test on GARCH-standardised CARs of one group and window.

    Parameters
    ----------
    scar : numpy.ndarray
        (N,) ``S_i = CAR_i / sqrt(sum_t sigma_it^2)``; NaN entries are skipped.
    basket, window : str
        Labels for the result.

    Returns
    -------
    TestResult
        ``Z = mean(S) / (sd(S) / sqrt(N))`` (``sd`` with ddof 1) with its two-sided p-value
        from ``t(N - 1)``; NaN with fewer than two pairs.

    Examples
    --------
    >>> r = savickas(np.array([1.0, 2.0, 3.0]))
    >>> round(r.statistic, 6), r.df
    (3.464102, 2.0)
    """
    s = np.asarray(scar, dtype=np.float64)
    s = s[np.isfinite(s)]
    n = len(s)
    stat = p = float("nan")
    if n >= 2:
        sd = float(np.std(s, ddof=1))
        stat = float(np.mean(s) / (sd / math.sqrt(n))) if sd > 0 else float("nan")
        p = float(2.0 * stats.t.sf(abs(stat), n - 1)) if stat == stat else float("nan")
    return TestResult(
        test="savickas",
        basket=basket,
        window=window,
        statistic=stat,
        p_value=p,
        df=float(n - 1),
        nobs=n,
        distribution=f"t({n - 1})",
        null=SAVICKAS_NULL,
        reference=SAVICKAS_REFERENCE,
    )


def savickas_tests(scar: np.ndarray, windows: Sequence[str], basket: str) -> list[TestResult]:
    """:func:`savickas` on each column of a (N, K) matrix of standardised CARs."""
    return [savickas(scar[:, j], basket=basket, window=w) for j, w in enumerate(windows)]
