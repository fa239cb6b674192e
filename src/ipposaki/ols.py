"""Least squares for many regressions at once: the one place every stage fits OLS.

* :func:`batched_ols`: one regression per row (the event study's estimation windows), from
  row-wise dot products, with the inverse of each X'X for the covariances.
* :func:`rolling_ols`: rolling and expanding OLS for many targets at once, from cumulative sums
  (the spillover forecasts and the scanner's market model).
* :func:`newey_west`: the HAC covariance of one regression's coefficients.

For target k and session t the coefficients use only sessions strictly before t:
``b_kt = (sum_{s in W_t} x_ks x_ks')^{-1} sum_{s in W_t} x_ks y_ks`` with ``W_t`` the last
``window`` sessions before t (rolling) or all of them (expanding). The window sums are
differences of cumulative sums, so every (k, t) fit costs one small solve and no refit: no loop
over windows or targets, and no statsmodels. Sessions where the target or a driver is missing are
left out of the sums and counted.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

__all__ = ["RollingFit", "batched_ols", "newey_west", "rolling_ols"]


def batched_ols(y: np.ndarray, x: np.ndarray, valid: np.ndarray) -> tuple[np.ndarray, ...]:
    """Batched OLS of y (n, L) on x (n, L, p) over ``valid`` sessions, one regression per row.

    Parameters
    ----------
    y : numpy.ndarray
        (n, L) dependent values.
    x : numpy.ndarray
        (n, L, p) regressors, the intercept included as a column of ones.
    valid : numpy.ndarray
        (n, L) booleans: the sessions each regression uses.

    Returns
    -------
    tuple of numpy.ndarray
        ``coef`` (n, p), ``inv`` (n, p, p) the inverse of each X'X, ``resid`` (n, L) with NaN
        outside ``valid``, and ``nobs`` (n,). A row with too few sessions or a singular design
        has NaN coefficients.
    """
    # Row-wise dot products of contiguous (n, L) columns: one SIMD pass per entry of X'X,
    # with p small, instead of a tiny matrix product per pair.
    p = x.shape[2]
    cols = [np.where(valid, x[..., i], 0.0) for i in range(p)]
    yv = np.where(valid, y, 0.0)
    xtx = np.empty((len(y), p, p))
    xty = np.empty((len(y), p))
    for i in range(p):  # regressors, not firms
        xty[:, i] = np.einsum("nl,nl->n", cols[i], yv)
        for j in range(i, p):
            xtx[:, i, j] = xtx[:, j, i] = np.einsum("nl,nl->n", cols[i], cols[j])
    del cols
    nobs = valid.sum(axis=1)
    ok = nobs > p
    # A design without variation (a constant market series) is singular: no fit for that pair.
    # Hadamard's ratio det(A) / prod(diag A) is 1 for orthogonal columns and 0 for dependent
    # ones; it costs a determinant, where a condition number would cost an SVD per pair.
    if ok.any():
        diag = np.prod(np.diagonal(xtx[ok], axis1=1, axis2=2), axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            ratio = np.linalg.det(xtx[ok]) / diag
        ok[ok] = np.isfinite(ratio) & (ratio > 1e-12)
    coef = np.full((len(y), p), np.nan)
    inv = np.full((len(y), p, p), np.nan)
    if ok.any():
        inv[ok] = np.linalg.inv(xtx[ok])
        coef[ok] = np.einsum("npq,nq->np", inv[ok], xty[ok])
    fitted = np.zeros(y.shape)
    for i in range(p):
        fitted += coef[:, i, None] * x[..., i]
    resid = np.where(valid, y - fitted, np.nan)
    return coef, inv, resid, nobs


@dataclass(frozen=True)
class RollingFit:
    """Coefficients fitted before each session, for every target.

    Attributes
    ----------
    beta : numpy.ndarray
        (K, T, p) coefficients; NaN where the window has too few observations.
    nobs : numpy.ndarray
        (K, T) observations in each window.
    sigma2 : numpy.ndarray
        (K, T) residual variance of each window (dof n - p).
    xtx_inv : numpy.ndarray
        (K, T, p, p) inverse of each window's X'X.
    """

    beta: np.ndarray
    nobs: np.ndarray
    sigma2: np.ndarray
    xtx_inv: np.ndarray

    def at(self, index: int) -> RollingFit:
        """The fits of one session, keeping the (K, 1, ...) shapes."""
        sl = slice(index, index + 1)
        return RollingFit(
            self.beta[:, sl], self.nobs[:, sl], self.sigma2[:, sl], self.xtx_inv[:, sl]
        )

    def predict(self, x: np.ndarray) -> np.ndarray:
        """(K, T) one-step-ahead forecasts for regressors x of shape (K, T, p)."""
        return np.einsum("ktp,ktp->kt", x, self.beta)

    def interval(self, x: np.ndarray, level: float) -> tuple[np.ndarray, np.ndarray]:
        """Forecast and half-width of the prediction interval at ``level``."""
        fc = self.predict(x)
        quad = np.einsum("ktp,ktpq,ktq->kt", x, self.xtx_inv, x)
        dof = self.nobs - x.shape[2]
        with np.errstate(invalid="ignore"):
            crit = stats.t.ppf(0.5 + level / 2.0, dof)
            half = crit * np.sqrt(self.sigma2 * (1.0 + quad))
        return fc, half


def rolling_ols(y: np.ndarray, x: np.ndarray, window: int | None, min_obs: int) -> RollingFit:
    """Fit OLS of y on x over the window before every session, for every target.

    Parameters
    ----------
    y : numpy.ndarray
        (K, T) targets.
    x : numpy.ndarray
        (K, T, p) regressors, the intercept included as a column of ones.
    window : int or None
        Sessions per window; None for an expanding window.
    min_obs : int
        Fewest valid sessions a window needs.

    Returns
    -------
    RollingFit
        Coefficients for each (target, session), fitted on sessions before it.
    """
    k, t, p = x.shape
    valid = ~np.isnan(y) & ~np.isnan(x).any(axis=2)
    xv = np.where(valid[..., None], x, 0.0)
    yv = np.where(valid, y, 0.0)

    def lagged_window(a: np.ndarray) -> np.ndarray:
        """Sum of a over the window strictly before each t, via cumulative sums."""
        c = np.concatenate([np.zeros_like(a[:, :1]), np.cumsum(a, axis=1)], axis=1)
        upto = c[:, :t]  # sums over sessions < t
        if window is None:
            return upto
        lo = np.maximum(np.arange(t) - window, 0)
        return upto - c[:, lo]

    sxx = lagged_window(xv[..., :, None] * xv[..., None, :])
    sxy = lagged_window(xv * yv[..., None])
    syy = lagged_window(yv**2)
    n = lagged_window(valid.astype(float))
    ok = n >= max(min_obs, p + 1)
    beta = np.full((k, t, p), np.nan)
    inv = np.full((k, t, p, p), np.nan)
    if ok.any():
        # Collinear regressors (two identical series) leave X'X singular up to rounding, so
        # its determinant need not be exactly 0: judge the scale-free X'X / sqrt(d_i d_j).
        sub = sxx[ok]
        scale = np.sqrt(np.einsum("npp->np", sub))
        with np.errstate(divide="ignore", invalid="ignore"):
            det = np.linalg.det(sub / (scale[:, :, None] * scale[:, None, :]))
        good = np.isfinite(det) & (det > 1e-12)
        idx = tuple(a[good] for a in np.nonzero(ok))
        inv[idx] = np.linalg.inv(sxx[idx])
        beta[idx] = np.einsum("npq,nq->np", inv[idx], sxy[idx])
    ssr = (
        syy
        - 2.0 * np.einsum("ktp,ktp->kt", beta, sxy)
        + np.einsum("ktp,ktpq,ktq->kt", beta, sxx, beta)
    )
    with np.errstate(invalid="ignore", divide="ignore"):
        sigma2 = np.maximum(ssr, 0.0) / (n - p)
    return RollingFit(beta=beta, nobs=n.astype(np.int64), sigma2=sigma2, xtx_inv=inv)


def newey_west(x: np.ndarray, resid: np.ndarray, lags: int | None = None) -> np.ndarray:
    """Newey-West (Bartlett kernel) covariance of OLS coefficients for one regression.

    Parameters
    ----------
    x : numpy.ndarray
        (n, p) regressors of the valid sessions, in time order.
    resid : numpy.ndarray
        (n,) residuals.
    lags : int, optional
        Bandwidth; default ``floor(4 (n / 100)^(2/9))``.

    Returns
    -------
    numpy.ndarray
        (p, p) covariance ``(X'X)^{-1} S (X'X)^{-1}`` with
        ``S = sum_l w_l sum_t (x_t e_t)(x_{t-l} e_{t-l})'`` (both orders), ``w_l = 1 - l/(L+1)``.
    """
    n = len(resid)
    if lags is None:
        lags = int(np.floor(4.0 * (n / 100.0) ** (2.0 / 9.0)))
    u = x * resid[:, None]
    s = u.T @ u
    for lag in range(1, lags + 1):  # a few lags, not observations
        w = 1.0 - lag / (lags + 1.0)
        g = u[lag:].T @ u[:-lag]
        s += w * (g + g.T)
    bread = np.linalg.inv(x.T @ x)
    return bread @ s @ bread
