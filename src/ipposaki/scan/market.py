"""The scanner's market-wide channel: raw index returns against their own EWMA volatility.

Abnormal returns against each exchange's market model are near zero when the whole market
falls, so a market-wide crash (Tokyo, 2024-08-05: Nikkei 225 -12.4%) is invisible to the basket
channel. The market channel scores each exchange's broad indices and its equal-weighted
universe of stocks on their *raw* returns:

``z_t = r_t / sigma_t``,  ``sigma_t^2 = lam sigma_{t-1}^2 + (1 - lam) r_{t-1}^2``

an exponentially weighted moving average of squared returns with the RiskMetrics (1996) daily
decay ``lam = 0.94`` and mean zero, using returns *before* t only. A missing return leaves the
variance where it was. EWMA rather than GARCH(1,1): it has no parameters to estimate, so no
fit can fail on a short or gappy window, and its one parameter is the industry default.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["EWMA_DECAY", "ewma_z", "market_series"]

#: The RiskMetrics (J.P. Morgan/Reuters 1996, Technical Document, 4th ed.) daily decay.
EWMA_DECAY = 0.94


def ewma_z(returns: np.ndarray, decay: float = EWMA_DECAY, min_obs: int = 20) -> np.ndarray:
    """Returns over their EWMA volatility from earlier returns only.

    Parameters
    ----------
    returns : numpy.ndarray
        (T, K) returns, NaN where missing.
    decay : float, default 0.94
        The EWMA decay ``lam``.
    min_obs : int, default 20
        Earlier returns needed before a z-score is given.

    Returns
    -------
    numpy.ndarray
        (T, K) z-scores; NaN where the return is missing or fewer than ``min_obs`` earlier
        returns exist.

    Examples
    --------
    >>> r = np.array([[0.01], [-0.01], [0.02]])
    >>> z = ewma_z(r, decay=0.5, min_obs=1)
    >>> # sigma_1^2 = 0.01^2, sigma_2^2 = 0.5 * 0.01^2 + 0.5 * 0.01^2
    >>> [round(float(v), 6) for v in z[1:, 0]]
    [-1.0, 2.0]
    """
    squared = pd.DataFrame(np.asarray(returns, dtype=float) ** 2).shift(1)
    var = (
        squared.ewm(alpha=1.0 - decay, adjust=False, ignore_na=True, min_periods=min_obs)
        .mean()
        .to_numpy()
    )
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.asarray(returns, dtype=float) / np.sqrt(var)


def market_series(instruments: pd.DataFrame, exchange: str, stored: set[str]) -> list[str]:
    """The broad indices of ``exchange`` with stored prices (volatility indices excluded).

    Parameters
    ----------
    instruments : pandas.DataFrame
        The store's instruments, indexed by symbol.
    exchange : str
        ISO MIC.
    stored : set of str
        Symbols with prices.

    Returns
    -------
    list[str]
        Index symbols, sorted.
    """
    inst = instruments
    mask = (inst["kind"] == "index") & (inst["exchange"] == exchange) & (inst["sector"] == "index")
    return sorted(s for s in inst.index[mask] if s in stored)
