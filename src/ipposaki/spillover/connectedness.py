"""Diebold-Yilmaz connectedness from a VAR's generalized forecast-error variance decomposition.

The formulas (the VAR's moving-average coefficients, the generalized forecast-error variance
decomposition of Koop, Pesaran and Potter 1996 and Pesaran and Shin 1998, row-normalised as in
Diebold and Yilmaz 2012, and the FROM, TO, NET and total indices) are written out in
:mod:`ipposaki.spillover.fevd`, which computes them.

This module holds the two fits, :func:`connectedness` and :func:`rolling_connectedness`, and
re-exports the rest: the arithmetic in :mod:`ipposaki.spillover.fevd`, the result classes in
:mod:`ipposaki.spillover.connectedness_results`, and the returns they are fitted to in
:mod:`ipposaki.spillover.returns`.

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

import operator
from typing import Any

import numpy as np
import pandas as pd

from ipposaki.errors import InputError
from ipposaki.spillover.connectedness_results import Connectedness, RollingConnectedness
from ipposaki.spillover.fevd import (
    gfevd,
    ma_coefficients,
    rolling_shares,
    rolling_var,
    spillovers,
)
from ipposaki.spillover.returns import ALIGNMENT_NOTE, connectedness_returns, read_returns

__all__ = [
    "ALIGNMENT_NOTE",
    "Connectedness",
    "RollingConnectedness",
    "connectedness",
    "connectedness_returns",
    "gfevd",
    "ma_coefficients",
    "read_returns",
    "rolling_connectedness",
    "rolling_var",
]


def _check_int(value: object, name: str, low: int) -> int:
    try:
        number = operator.index(value)  # type: ignore[arg-type]
    except TypeError:
        raise InputError(name, value, f"an integer >= {low}") from None
    if number < low:
        raise InputError(name, value, f"an integer >= {low}")
    return number


def _check_returns(returns: pd.DataFrame, lags: int, need: int | None = None) -> np.ndarray:
    """The data as a float array: at least two columns, finite, enough rows for the VAR."""
    if not isinstance(returns, pd.DataFrame):
        raise InputError("returns", type(returns).__name__, "a pandas DataFrame, one column each")
    if returns.shape[1] < 2:
        raise InputError("returns", f"{returns.shape[1]} column(s)", "at least two series")
    if returns.columns.duplicated().any():
        dup = list(returns.columns[returns.columns.duplicated()])
        raise InputError("returns", f"duplicate columns {dup}", "one column per series")
    try:
        values = returns.to_numpy(dtype=float)
    except (TypeError, ValueError):
        raise InputError("returns", "non-numeric columns", "numbers only") from None
    bad = ~np.isfinite(values).all(axis=1)
    if bad.any():
        raise InputError(
            "returns",
            f"{int(bad.sum())} row(s) with missing or infinite values",
            "complete rows (drop or fill them first)",
        )
    spread = np.ptp(values, axis=0) if len(values) else np.ones(values.shape[1])
    flat = [str(c) for c, v in zip(returns.columns, spread, strict=True) if v == 0]
    if flat:
        raise InputError("returns", f"constant column(s) {flat}", "series that vary")
    n = values.shape[1]
    rows = need if need is not None else len(values)
    # VAR(p) with an intercept: rows - p observations, 1 + N p coefficients per equation.
    if rows - lags <= 1 + n * lags:
        what = "window" if need is not None else "returns"
        raise InputError(
            what,
            rows if need is not None else f"{rows} rows",
            f"more than {lags + 1 + n * lags} rows for a VAR({lags}) of {n} series",
        )
    if need is not None and need > len(values):
        raise InputError("window", need, f"at most the {len(values)} rows of returns")
    return values


def _labels(columns: pd.Index) -> list[str]:
    return [str(c) for c in columns]


def _fit_statsmodels(values: np.ndarray, lags: int) -> tuple[np.ndarray, np.ndarray, int]:
    from statsmodels.tsa.api import VAR

    res = VAR(values).fit(lags, trend="c")
    return np.asarray(res.coefs), np.asarray(res.sigma_u), int(res.nobs)


def connectedness(
    returns: pd.DataFrame, lags: int = 1, horizon: int = 10, manifest: dict[str, Any] | None = None
) -> Connectedness:
    """Diebold-Yilmaz (2012) connectedness of a VAR(p) fitted to ``returns``.

    Parameters
    ----------
    returns : pandas.DataFrame
        Rows in time order, one column per series (returns or log volatilities), no missing
        values.
    lags : int, default 1
        VAR order p (with an intercept; fitted by statsmodels' ``VAR``).
    horizon : int, default 10
        Forecast horizon H (MA terms h = 0 .. H - 1).
    manifest : dict, optional
        Extra provenance kept in the result's manifest.

    Returns
    -------
    Connectedness
        The table, total index, directional and pairwise spillovers.

    Raises
    ------
    InputError
        For fewer than two series, missing values, a constant series, too few rows, or
        lags/horizon below 1.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> data = pd.DataFrame(rng.normal(size=(300, 3)), columns=["a", "b", "c"])
    >>> res = connectedness(data, lags=1, horizon=10)
    >>> list(res.table.columns)
    ['a', 'b', 'c', 'FROM']
    >>> bool(np.allclose(res.fevd.sum(axis=1), 1.0))
    True
    """
    lags = _check_int(lags, "lags", 1)
    horizon = _check_int(horizon, "horizon", 1)
    values = _check_returns(returns, lags)
    coefs, sigma, nobs = _fit_statsmodels(values, lags)
    share = gfevd(ma_coefficients(coefs, horizon), sigma)
    names = _labels(returns.columns)
    frame = pd.DataFrame(
        share,
        index=pd.Index(names, name="receiver"),
        columns=pd.Index(names, name="sender"),
    )
    info: dict[str, Any] = {
        "series": names,
        "lags": lags,
        "horizon": horizon,
        "nobs": nobs,
        "start": str(returns.index[0]) if len(returns) else None,
        "end": str(returns.index[-1]) if len(returns) else None,
    }
    info.update(manifest or {})
    for key in ("start", "end"):
        if isinstance(info[key], str) and info[key].endswith(" 00:00:00"):
            info[key] = info[key][:10]
    return Connectedness(frame, lags, horizon, nobs, info)


def rolling_connectedness(
    returns: pd.DataFrame,
    lags: int = 1,
    horizon: int = 10,
    window: int = 250,
    step: int = 1,
    manifest: dict[str, Any] | None = None,
) -> RollingConnectedness:
    """Connectedness over rolling windows: the total index and directional spillovers.

    Parameters
    ----------
    returns : pandas.DataFrame
        Rows in time order, one column per series, no missing values.
    lags : int, default 1
        VAR order p.
    horizon : int, default 10
        Forecast horizon H.
    window : int, default 250
        Rows per window (the VAR uses ``window - lags`` observations).
    step : int, default 1
        Rows between consecutive windows.
    manifest : dict, optional
        Extra provenance kept in the result's manifest.

    Returns
    -------
    RollingConnectedness
        One row per window, labelled by the window's last row; the last window ends at the last
        row of ``returns``.

    Raises
    ------
    InputError
        For bad lags, horizon, window or step, missing values, or a window longer than the data
        or too short for the VAR.

    Warns
    -----
    DataWarning
        When some window's VAR is singular (a series constant within it, or collinear series):
        that window's indices are NaN.
    """
    lags = _check_int(lags, "lags", 1)
    horizon = _check_int(horizon, "horizon", 1)
    window = _check_int(window, "window", 2)
    step = _check_int(step, "step", 1)
    values = _check_returns(returns, lags, need=window)
    starts, _, coefs, sigma = rolling_var(values, lags, window, step)
    to, frm, _, total = spillovers(rolling_shares(values, starts, coefs, sigma, horizon, window))
    names = _labels(returns.columns)
    ends = returns.index[starts + window - 1]
    index = pd.Index(ends, name="end")
    info: dict[str, Any] = {
        "series": names,
        "lags": lags,
        "horizon": horizon,
        "window": window,
        "step": step,
        "windows": len(starts),
    }
    info.update(manifest or {})
    return RollingConnectedness(
        pd.Series(total, index=index, name="total"),
        pd.DataFrame(to, index=index, columns=names),
        pd.DataFrame(frm, index=index, columns=names),
        lags,
        horizon,
        window,
        step,
        info,
    )
