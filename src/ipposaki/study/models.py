"""Normal-return models, fitted for every (event, firm) pair at once.

Every model is a least-squares fit ``R_it = x_t' b_i + e_it`` over the pair's estimation window,
with ``x_t`` one of:

==================  ===========================  ===================================
model               regressors ``x_t``           normal return in the event window
==================  ===========================  ===================================
``constant-mean``   ``[1]``                      the estimation-window mean
``market``          ``[1, R_mt]``                ``a + b R_mt`` (the market model)
``factor``          ``[1, F_1t, ..., F_kt]``     ``a + sum_k b_k F_kt``
``market-adjusted`` none                         ``R_mt``
``raw``             none                         ``0`` (abnormal return = return)
``garch``           ``[1, R_mt]``                ``a + b R_mt``, GARCH(1,1) errors
``egarch``          ``[1, R_mt]``                ``a + b R_mt``, EGARCH(1,1,1) errors
==================  ===========================  ===================================

``garch`` and ``egarch`` are fitted by maximum likelihood, one pair at a time, in
:mod:`ipposaki.study.garch` (not by :func:`fit_model`, which fits the least-squares models).

The fits are closed-form normal equations on (pairs x sessions x regressors) blocks, NaN-aware
through a validity mask: a session is used when the return and every regressor are present.
There is no loop over pairs. For the OLS models the forecast-error variance of an event-window
abnormal return is ``s_i^2 (1 + x_t' (X_i'X_i)^{-1} x_t)`` and that of a CAR over the valid days
``W`` of a window is ``s_i^2 (|W| + g' (X_i'X_i)^{-1} g)`` with ``g = sum_{t in W} x_t``
(Campbell, Lo and MacKinlay 1997, ch. 4). For ``market-adjusted`` and ``raw`` no parameter is
estimated, ``s_i^2`` is the sample variance (ddof 1) of the estimation-window abnormal returns,
and the forecast-error variance is ``s_i^2`` per day.

Thin trading (``market`` only): ``scholes-williams`` uses
``b = (b_{-1} + b_0 + b_{+1}) / (1 + 2 rho_m)`` from the three simple regressions on the lagged,
current and leading market return (Scholes and Williams 1977); ``dimson`` uses the sum of the
slopes of one regression on all three (Dimson 1979). In both the intercept is
``mean(R_i) - b mean(R_m)`` over the valid estimation sessions, and the forecast-error variance
uses the market-model form with that ``b`` (an approximation these papers leave open).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ipposaki.errors import InputError
from ipposaki.ols import batched_ols
from ipposaki.study.settings import ModelName, ThinTrading

__all__ = ["MODELS", "OLS_MODELS", "Fit", "ModelName", "ThinTrading", "fit_model"]

MODELS: tuple[str, ...] = (
    "market",
    "market-adjusted",
    "constant-mean",
    "factor",
    "raw",
    "garch",
    "egarch",
)
#: The least-squares models that :func:`fit_model` fits.
OLS_MODELS: tuple[str, ...] = MODELS[:5]


@dataclass(frozen=True)
class Fit:
    """The fitted normal-return model of every pair.

    Attributes
    ----------
    names : tuple of str
        Coefficient names, e.g. ``("alpha", "beta")``; empty for models without parameters.
    coef : numpy.ndarray
        (pairs, p) coefficients.
    xtx_inv : numpy.ndarray
        (pairs, p, p) inverse of ``X'X`` (empty when p = 0).
    sigma2 : numpy.ndarray
        Residual variance per pair.
    nobs : numpy.ndarray
        Valid estimation sessions per pair.
    dof : numpy.ndarray
        Residual degrees of freedom per pair.
    r2 : numpy.ndarray
        R-squared per pair (NaN for models without regressors).
    resid : numpy.ndarray
        (pairs, L) estimation-window abnormal returns, NaN where invalid.
    """

    names: tuple[str, ...]
    coef: np.ndarray
    xtx_inv: np.ndarray
    sigma2: np.ndarray
    nobs: np.ndarray
    dof: np.ndarray
    r2: np.ndarray
    resid: np.ndarray

    def normal(self, design: np.ndarray, offset: np.ndarray) -> np.ndarray:
        """Normal returns for a (pairs, W, p) design plus an offset (market-adjusted)."""
        if not self.names:
            return offset
        return (design @ self.coef[..., None])[..., 0] + offset

    def forecast_var(self, design: np.ndarray) -> np.ndarray:
        """(pairs, W) forecast-error variance of each abnormal return."""
        if not self.names:
            return np.broadcast_to(self.sigma2[:, None], design.shape[:2]).copy()
        quad = _quadratic_form(self.xtx_inv, [design[..., i] for i in range(design.shape[2])])
        return self.sigma2[:, None] * (1.0 + quad)

    def car_var_windows(
        self, design: np.ndarray, valid: np.ndarray, weights: np.ndarray
    ) -> np.ndarray:
        """(pairs, K) CAR variances for K windows given as a (W, K) 0/1 day matrix."""
        days = valid.astype(float) @ weights
        if not self.names:
            return self.sigma2[:, None] * days
        g = [np.where(valid, design[..., i], 0.0) @ weights for i in range(design.shape[2])]
        return self.sigma2[:, None] * (days + _quadratic_form(self.xtx_inv, g))


def _quadratic_form(inv: np.ndarray, cols: list[np.ndarray]) -> np.ndarray:
    """``sum_pq inv[n, p, q] cols[p][n, m] cols[q][n, m]`` for a symmetric ``inv``.

    With p regressors (two for the market model) this is p (p + 1) / 2 elementwise products of
    (n, m) arrays, several times faster than a three-operand ``einsum`` over (n, m, p) blocks.

    Examples
    --------
    >>> inv = np.array([[[2.0, 1.0], [1.0, 3.0]]])
    >>> _quadratic_form(inv, [np.array([[1.0]]), np.array([[2.0]])]).tolist()  # 2 + 4 + 12
    [[18.0]]
    """
    out = np.zeros(cols[0].shape)
    for i, a in enumerate(cols):
        out += inv[:, i, i, None] * a * a
        for j in range(i + 1, len(cols)):
            out += 2.0 * inv[:, i, j, None] * a * cols[j]
    return out


def _r2(y: np.ndarray, resid: np.ndarray, valid: np.ndarray) -> np.ndarray:
    yv = np.where(valid, y, 0.0)
    count = valid.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = yv.sum(axis=1, keepdims=True) / count
        sst = np.where(valid, (y - mean) ** 2, 0.0).sum(axis=1)
        ssr = np.nansum(resid**2, axis=1)
        return 1.0 - ssr / sst


def fit_model(
    model: ModelName,
    y: np.ndarray,
    regressors: np.ndarray,
    offset: np.ndarray,
    thin_trading: ThinTrading = "none",
    lag_lead: tuple[np.ndarray, np.ndarray] | None = None,
    factor_names: tuple[str, ...] = (),
) -> tuple[Fit, np.ndarray]:
    """Fit ``model`` for every pair over its estimation window.

    Parameters
    ----------
    model : {"market", "market-adjusted", "constant-mean", "factor", "raw"}
        The normal-return model.
    y : numpy.ndarray
        (pairs, L) estimation-window returns, NaN where missing or outside the window.
    regressors : numpy.ndarray
        (pairs, L, k) market (k = 1) or factor returns; unused columns may be empty.
    offset : numpy.ndarray
        (pairs, L) market return for ``market-adjusted``; ignored otherwise.
    thin_trading : {"none", "scholes-williams", "dimson"}, default "none"
        Thin-trading beta for the market model.
    lag_lead : tuple of numpy.ndarray, optional
        (pairs, L) market returns one session before and after, for thin trading.
    factor_names : tuple of str
        Names of the factor columns, for ``factor``.

    Returns
    -------
    tuple[Fit, numpy.ndarray]
        The fit, and the (pairs, L) validity mask of the estimation sessions used.
    """
    if model not in OLS_MODELS:
        raise InputError(
            "model", model, f"one of {', '.join(OLS_MODELS)} (GARCH models: study.garch)"
        )
    if thin_trading not in ("none", "scholes-williams", "dimson"):
        raise InputError("thin_trading", thin_trading, "one of none, scholes-williams, dimson")
    if thin_trading != "none" and model != "market":
        raise InputError("thin_trading", thin_trading, "none unless model='market'")
    n = len(y)
    if model in ("market-adjusted", "raw"):
        ab = y - offset if model == "market-adjusted" else y
        valid = ~np.isnan(ab)
        nobs = valid.sum(axis=1)
        filled = np.where(valid, ab, 0.0)
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = filled.sum(axis=1) / nobs
            dev = np.where(valid, ab - mean[:, None], 0.0)
            sigma2 = (dev**2).sum(axis=1) / (nobs - 1)
        fit = Fit(
            names=(),
            coef=np.empty((n, 0)),
            xtx_inv=np.empty((n, 0, 0)),
            sigma2=sigma2,
            nobs=nobs,
            dof=nobs - 1,
            r2=np.full(n, np.nan),
            resid=np.where(valid, ab, np.nan),
        )
        return fit, valid
    if model == "market" and thin_trading == "none":
        return _fit_market(y, regressors[..., 0])
    if model == "constant-mean":
        design = np.ones((*y.shape, 1))
        names: tuple[str, ...] = ("alpha",)
    elif model == "market":
        design = np.concatenate([np.ones((*y.shape, 1)), regressors[..., :1]], axis=2)
        names = ("alpha", "beta")
    else:
        design = np.concatenate([np.ones((*y.shape, 1)), regressors], axis=2)
        names = ("alpha", *factor_names)
    valid = ~np.isnan(y) & ~np.isnan(design).any(axis=2)
    if thin_trading != "none" and lag_lead is not None:
        lag, lead = lag_lead
        valid &= ~np.isnan(lag) & ~np.isnan(lead)
    coef, inv, resid, nobs = batched_ols(y, design, valid)
    if thin_trading != "none" and lag_lead is not None:
        coef, resid = _thin_trading(thin_trading, y, design[..., 1], lag_lead, valid, coef)
    p = design.shape[2]
    dof = nobs - p
    with np.errstate(invalid="ignore", divide="ignore"):
        sigma2 = np.nansum(resid**2, axis=1) / dof
    sigma2 = np.where(np.isnan(coef).any(axis=1), np.nan, sigma2)
    fit = Fit(names, coef, inv, sigma2, nobs, dof, _r2(y, resid, valid), resid)
    return fit, valid


def _fit_market(y: np.ndarray, market: np.ndarray) -> tuple[Fit, np.ndarray]:
    """The market model ``R_it = a_i + b_i R_mt + e_it`` in closed form for every pair.

    The same least squares as :func:`~ipposaki.ols.batched_ols` with the design ``[1, R_m]``,
    from centred sums per pair instead of a (pairs, L, 2) design block: with ``x`` and ``y``
    centred on their means over the valid sessions, ``b = Sxy / Sxx``, ``a = ybar - b xbar`` and
    ``(X'X)^-1 = [[1/n + xbar^2 / Sxx, -xbar / Sxx], [-xbar / Sxx, 1 / Sxx]]``. Centring keeps
    the digits when the regressor is far from zero (log volumes near 15). A pair is singular
    under :func:`~ipposaki.ols.batched_ols`'s rule: Hadamard's ratio ``Sxx / (Sxx + n xbar^2)``
    at most 1e-12, or ``n <= 2``.
    """
    valid = ~np.isnan(y)
    valid &= ~np.isnan(market)
    nobs = valid.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        n = np.where(nobs > 0, nobs, 1)
        # Two working arrays, centred in place where valid and 0 elsewhere.
        xc = np.where(valid, market, 0.0)
        yc = np.where(valid, y, 0.0)
        xbar = xc.sum(axis=1) / n
        ybar = yc.sum(axis=1) / n
        for work, mean in ((xc, xbar), (yc, ybar)):  # a product by the mask: no masked ufunc
            work -= mean[:, None]
            work *= valid
        sxx = np.einsum("nl,nl->n", xc, xc)
        sxy = np.einsum("nl,nl->n", xc, yc)
        syy = np.einsum("nl,nl->n", yc, yc)
        ok = (nobs > 2) & (sxx / (sxx + nobs * xbar**2) > 1e-12)
        sxx = np.where(ok, sxx, np.nan)
        beta = sxy / sxx
        alpha = ybar - beta * xbar
        inv = np.empty((len(y), 2, 2))
        inv[:, 0, 0] = 1.0 / n + xbar**2 / sxx
        inv[:, 0, 1] = inv[:, 1, 0] = -xbar / sxx
        inv[:, 1, 1] = 1.0 / sxx
        yc -= beta[:, None] * xc  # the residuals: y - a - b x = (y - ybar) - b (x - xbar)
        ssr = np.einsum("nl,nl->n", yc, yc)
        r2 = np.where(ok, 1.0 - ssr / syy, np.nan)
        sigma2 = ssr / (nobs - 2)
    resid = np.where(valid, yc, np.nan)
    coef = np.stack([alpha, beta], axis=1)
    fit = Fit(("alpha", "beta"), coef, inv, sigma2, nobs, nobs - 2, r2, resid)
    return fit, valid


def _thin_trading(
    kind: ThinTrading,
    y: np.ndarray,
    market: np.ndarray,
    lag_lead: tuple[np.ndarray, np.ndarray],
    valid: np.ndarray,
    coef: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    lag, lead = lag_lead
    ones = np.ones((*y.shape, 1))
    if kind == "dimson":
        design = np.concatenate([ones, lag[..., None], market[..., None], lead[..., None]], axis=2)
        slopes, _, _, _ = batched_ols(y, design, valid)
        beta = slopes[:, 1:].sum(axis=1)
    else:
        betas = []
        for series in (lag, market, lead):
            b, _, _, _ = batched_ols(y, np.concatenate([ones, series[..., None]], axis=2), valid)
            betas.append(b[:, 1])
        m = np.where(valid, market, np.nan)
        ml = np.where(valid, lag, np.nan)
        mc = m - np.nanmean(m, axis=1, keepdims=True)
        lc = ml - np.nanmean(ml, axis=1, keepdims=True)
        with np.errstate(invalid="ignore", divide="ignore"):
            rho = np.nansum(mc * lc, axis=1) / np.sqrt(
                np.nansum(mc**2, axis=1) * np.nansum(lc**2, axis=1)
            )
        beta = (betas[0] + betas[1] + betas[2]) / (1.0 + 2.0 * rho)
    ym = np.where(valid, y, np.nan)
    mm = np.where(valid, market, np.nan)
    alpha = np.nanmean(ym, axis=1) - beta * np.nanmean(mm, axis=1)
    out = np.stack([alpha, beta], axis=1)
    out[np.isnan(coef).any(axis=1)] = np.nan
    resid = np.where(valid, y - alpha[:, None] - beta[:, None] * market, np.nan)
    return out, resid
