"""The arithmetic of Diebold-Yilmaz connectedness: a VAR's moving-average coefficients, its
generalized forecast-error variance decomposition, the spillovers it implies, and VARs fitted
on rolling windows.

A VAR(p) with an intercept is fitted by least squares to N series; its moving-average
coefficients follow by the recursion ``A_0 = I``, ``A_h = sum_{l=1}^{min(h, p)} Phi_l A_{h-l}``.
The generalized forecast-error variance decomposition at horizon H (Koop, Pesaran and Potter
1996; Pesaran and Shin 1998), as used by Diebold and Yilmaz (2012), is::

    theta_ij(H) = s_jj^-1 sum_{h=0}^{H-1} (e_i' A_h S e_j)^2 / sum_{h=0}^{H-1} e_i' A_h S A_h' e_i

with S the residual covariance. Its rows need not sum to one, so each row is divided by its
sum: ``theta~_ij = theta_ij / sum_j theta_ij``. It does not depend on the order of the series.
In percent (x 100):

* FROM_i = sum_{j != i} theta~_ij (what i receives), TO_j = sum_{i != j} theta~_ij (gives);
* NET_i = TO_i - FROM_i; the net pairwise spillover from i to j is theta~_ji - theta~_ij;
* the total index is sum_{i != j} theta~_ij / N.

The rolling version fits each window's VAR from running sums of the normal equations (no
statsmodels loop), so thousands of windows take seconds.

References
----------
Diebold, F. X. and Yilmaz, K. (2009). Measuring financial asset return and volatility spillovers,
with application to global equity markets. The Economic Journal 119, 158-171.
Diebold, F. X. and Yilmaz, K. (2012). Better to give than to receive: Predictive directional
measurement of volatility spillovers. International Journal of Forecasting 28, 57-66.
Koop, G., Pesaran, M. H. and Potter, S. M. (1996). Impulse response analysis in nonlinear
multivariate models. Journal of Econometrics 74, 119-147.
Pesaran, H. H. and Shin, Y. (1998). Generalized impulse response analysis in linear
multivariate models. Economics Letters 58, 17-29.
"""

from __future__ import annotations

import warnings

import numpy as np

from ipposaki.errors import DataWarning

__all__ = ["gfevd", "ma_coefficients", "rolling_shares", "rolling_var", "spillovers"]


def ma_coefficients(coefs: np.ndarray, horizon: int) -> np.ndarray:
    """Moving-average coefficients ``A_0 .. A_{H-1}`` of a VAR, for one or many VARs at once.

    Parameters
    ----------
    coefs : numpy.ndarray
        Lag matrices ``Phi_1 .. Phi_p``, shape ``(..., p, N, N)``; ``Phi_l[i, j]`` is the effect
        of series j at lag l on series i.
    horizon : int
        H, the number of MA matrices returned (h = 0 .. H - 1).

    Returns
    -------
    numpy.ndarray
        Shape ``(..., H, N, N)``, ``A_0 = I`` and ``A_h = sum_l Phi_l A_{h-l}``.
    """
    *batch, p, n, _ = coefs.shape
    out = np.zeros((*batch, horizon, n, n))
    out[..., 0, :, :] = np.eye(n)
    for h in range(1, horizon):
        acc = np.zeros((*batch, n, n))
        for lag in range(1, min(h, p) + 1):
            acc += coefs[..., lag - 1, :, :] @ out[..., h - lag, :, :]
        out[..., h, :, :] = acc
    return out


def gfevd(ma: np.ndarray, sigma: np.ndarray, normalize: bool = True) -> np.ndarray:
    """Generalized forecast-error variance decomposition (Pesaran-Shin), for all i, j at once.

    Parameters
    ----------
    ma : numpy.ndarray
        MA coefficients ``(..., H, N, N)`` from :func:`ma_coefficients`.
    sigma : numpy.ndarray
        Residual covariance ``(..., N, N)``.
    normalize : bool, default True
        Divide each row by its sum (Diebold-Yilmaz 2012), so rows sum to 1.

    Returns
    -------
    numpy.ndarray
        ``theta[..., i, j]``: the share of series i's H-step forecast-error variance due to
        shocks to series j.
    """
    a_sigma = ma @ sigma[..., None, :, :]  # (..., H, N, N): e_i' A_h S e_j
    num = (a_sigma**2).sum(axis=-3) / np.diagonal(sigma, axis1=-2, axis2=-1)[..., None, :]
    # e_i' A_h S A_h' e_i = sum_j (A_h S)_ij (A_h)_ij
    den = (a_sigma * ma).sum(axis=(-3, -1))
    theta = num / den[..., :, None]
    if normalize:
        theta = theta / theta.sum(axis=-1, keepdims=True)
    return theta


def spillovers(share: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """TO, FROM, NET (``(..., N)``) and the total index (``(...)``), in percent, from
    normalised GFEVD shares ``(..., N, N)``."""
    n = share.shape[-1]
    off = share * (1.0 - np.eye(n))
    to = off.sum(axis=-2) * 100.0
    frm = off.sum(axis=-1) * 100.0
    return to, frm, to - frm, frm.sum(axis=-1) / n


def rolling_var(
    values: np.ndarray, lags: int, window: int, step: int = 1
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Least-squares VAR(p) with an intercept on every window, from running normal equations.

    Window w holds rows ``starts[w] .. starts[w] + window - 1`` (the last window ends at the
    last row; earlier ones every ``step`` rows before it) and uses its own first p rows
    as the lags of its first observation, exactly as fitting statsmodels' ``VAR`` to that
    slice. The data are centred on their full-sample means first (the slopes and residuals
    of a VAR with an intercept do not change), which keeps the running sums accurate.

    Parameters
    ----------
    values : numpy.ndarray
        ``(T, N)`` data without missing values.
    lags : int
        VAR order p.
    window : int
        Rows per window.
    step : int, default 1
        Rows between window starts.

    Returns
    -------
    starts : numpy.ndarray
        First row of each window, ``(W,)``.
    intercepts : numpy.ndarray
        ``(W, N)`` intercepts on the original (uncentred) scale.
    coefs : numpy.ndarray
        ``(W, p, N, N)`` lag matrices.
    sigma : numpy.ndarray
        ``(W, N, N)`` residual covariances, divided by ``window - p - (1 + N p)`` as statsmodels'
        ``sigma_u``.
    """
    t, n = values.shape
    mean = values.mean(axis=0)
    z = values - mean
    # Observation rows t = p .. T-1: x_t = [1, z_{t-1}, ..., z_{t-p}], y_t = z_t.
    x = np.concatenate(
        [np.ones((t - lags, 1))] + [z[lags - lag : t - lag] for lag in range(1, lags + 1)], axis=1
    )
    y = z[lags:]
    m = x.shape[1]
    starts = np.arange((t - window) % step, t - window + 1, step)  # the last window ends at T
    # Prefix sums over observations: P[k] = sum of the first k observations' products.
    xy = np.concatenate([x, y], axis=1)
    cross = np.zeros((t - lags + 1, m + n, m + n))
    np.cumsum(xy[:, :, None] * xy[:, None, :], axis=0, out=cross[1:])
    # Window w's observations are rows starts[w] + p .. starts[w] + window - 1 of the data,
    # i.e. observation indices starts[w] .. starts[w] + window - p - 1.
    sums = cross[starts + window - lags] - cross[starts]
    xtx, xty, yty = sums[:, :m, :m], sums[:, :m, m:], sums[:, m:, m:]
    try:
        beta = np.linalg.solve(xtx, xty)  # (W, m, N)
    except np.linalg.LinAlgError:  # some window is singular: solve one by one, NaN for those
        beta = np.full(xty.shape, np.nan)
        for w in range(len(starts)):
            try:
                beta[w] = np.linalg.solve(xtx[w], xty[w])
            except np.linalg.LinAlgError:
                pass
    dof = window - lags - m
    sigma = (yty - np.swapaxes(beta, -1, -2) @ xty) / dof
    sigma = (sigma + np.swapaxes(sigma, -1, -2)) / 2.0
    slopes = beta[:, 1:, :].reshape(len(starts), lags, n, n)  # [w, l, j, i]
    coefs = np.swapaxes(slopes, -1, -2)  # Phi_l[i, j]
    intercepts = beta[:, 0, :] + mean - np.einsum("wlij,j->wi", coefs, mean)
    return starts, intercepts, coefs, sigma


def rolling_shares(
    values: np.ndarray,
    starts: np.ndarray,
    coefs: np.ndarray,
    sigma: np.ndarray,
    horizon: int,
    window: int,
) -> np.ndarray:
    """Each window's generalized FEVD shares, NaN for a window whose VAR is singular.

    Parameters
    ----------
    values : numpy.ndarray
        (T, N) returns.
    starts : numpy.ndarray
        (W,) first row of each window.
    coefs, sigma : numpy.ndarray
        (W, p, N, N) VAR coefficients and (W, N, N) residual covariances, per window.
    horizon : int
        Forecast horizon H.
    window : int
        Rows per window.

    Returns
    -------
    numpy.ndarray
        (W, N, N) shares, computed in chunks that bound the (chunk, H, N, N) temporaries.

    Warns
    -----
    DataWarning
        When some window has a series constant in it or non-finite shares, pointing at the
        caller of :func:`rolling_connectedness`.
    """
    shares = np.empty((len(starts), values.shape[1], values.shape[1]))
    chunk = max(1, 2_000_000 // (horizon * values.shape[1] ** 2))  # (chunk, H, N, N) temporaries
    with np.errstate(divide="ignore", invalid="ignore"):
        for lo in range(0, len(starts), chunk):
            hi = lo + chunk
            shares[lo:hi] = gfevd(ma_coefficients(coefs[lo:hi], horizon), sigma[lo:hi])
    windows = np.lib.stride_tricks.sliding_window_view(values, window, axis=0)[starts]
    flat = (np.ptp(windows, axis=-1) == 0).any(axis=-1)  # a series constant in the window
    singular = flat | ~np.isfinite(shares).all(axis=(1, 2))
    if singular.any():
        warnings.warn(
            f"{int(singular.sum())} of {len(starts)} windows have a singular VAR (a series "
            "constant, or series collinear, within the window); their indices are NaN",
            DataWarning,
            stacklevel=3,
        )
        shares[singular] = np.nan
    return shares
