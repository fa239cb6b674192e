"""Deterministic synthetic prices, for offline runs without the real data and for benchmarks.

Everything made here is **synthetic data**: the demo says so in its output, title and tables.
Returns follow a one-factor market model on each exchange's real sessions,
``r_it = beta_i * m_t + e_it``, with a stylised shock on the DeepSeek dates so that the demo's
pipeline has something to find. The numbers mean nothing about real markets.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ipposaki.calendars import sessions
from ipposaki.instruments import builtin_baskets, builtin_instruments

__all__ = ["SYNTHETIC_LABEL", "synthetic_panel", "synthetic_prices"]

#: The label every synthetic output carries.
SYNTHETIC_LABEL = "synthetic data"

#: Stylised shocks (exchange, session, basket) -> return added on that session.
_SHOCKS: dict[tuple[str, str, str], float] = {
    ("XNYS", "2025-01-27", "us_ai_chips"): -0.15,
    ("XNYS", "2025-01-27", "us_power"): -0.12,
    ("XNYS", "2025-01-27", "us_hyperscalers"): -0.03,
    ("XTKS", "2025-01-27", "jp_semi_equipment"): -0.05,
    ("XTKS", "2025-01-28", "jp_semi_equipment"): -0.06,
    ("XTKS", "2025-01-27", "jp_electric_wires"): -0.09,
    ("XTKS", "2025-01-28", "jp_electric_wires"): -0.08,
}


def synthetic_prices(
    start: str = "2023-01-04", end: str = "2025-06-30", seed: int = 20250127
) -> pd.DataFrame:
    """Make synthetic daily prices for the built-in demo universe.

    Parameters
    ----------
    start, end : str
        First and last date; rows fall on each exchange's real sessions.
    seed : int, default 20250127
        Seed of the generator; the same seed gives the same rows.

    Returns
    -------
    pandas.DataFrame
        Canonical price rows (symbol, session, open, high, low, close, adj_close, volume,
        currency), with closes only for indices and FX.
    """
    rng = np.random.default_rng(seed)
    inst = builtin_instruments()
    baskets = builtin_baskets()
    member_of = baskets.groupby("symbol")["basket"].agg(list).to_dict()
    frames = []
    fx_dates = pd.bdate_range(start, end)
    for exchange in ("XNYS", "XTKS"):
        idx = sessions(exchange, start, end)
        market = rng.normal(0.0004, 0.011, len(idx))
        members = inst.loc[inst["exchange"] == exchange]
        for row in members.itertuples():
            beta = 1.0 if row.kind == "index" else rng.uniform(0.6, 1.6)
            noise = 0.0 if row.kind == "index" else rng.normal(0.0, 0.018, len(idx))
            ret = beta * market + noise
            for basket in member_of.get(row.symbol, []):
                for (x, day, b), shock in _SHOCKS.items():
                    if x == exchange and b == basket:
                        ret[idx.get_loc(pd.Timestamp(day))] += shock
            close = 100.0 * np.exp(np.cumsum(np.log1p(ret)))
            gap = rng.normal(0.0, 0.004, len(idx))
            opn = np.concatenate([[100.0], close[:-1]]) * (1.0 + gap)
            frames.append(
                pd.DataFrame(
                    {
                        "symbol": row.symbol,
                        "session": idx,
                        "open": opn,
                        "high": np.maximum(opn, close) * 1.004,
                        "low": np.minimum(opn, close) * 0.996,
                        "close": close,
                        "adj_close": close if row.currency == "USD" else np.nan,
                        "volume": np.nan if row.kind == "index" else 1e6,
                        "currency": row.currency,
                    }
                )
            )
    fx = 150.0 * np.exp(np.cumsum(rng.normal(0.0, 0.005, len(fx_dates))))
    for symbol in ("JPY=X", "DEXJPUS"):
        frames.append(
            pd.DataFrame(
                {
                    "symbol": symbol,
                    "session": fx_dates,
                    "open": np.nan,
                    "high": np.nan,
                    "low": np.nan,
                    "close": fx,
                    "adj_close": fx,
                    "volume": np.nan,
                    "currency": "JPY",
                }
            )
        )
    out = pd.concat(frames, ignore_index=True)
    out["session"] = pd.to_datetime(out["session"]).astype("datetime64[s]")
    return out


def synthetic_panel(
    n_symbols: int,
    n_sessions: int,
    seed: int = 0,
    gap_rate: float = 0.0,
    exchange: str = "XNYS",
    end: str = "2025-12-31",
) -> pd.DataFrame:
    """Make a large synthetic long price table for benchmarks and scale tests.

    Parameters
    ----------
    n_symbols, n_sessions : int
        Size of the panel. Sessions are the last ``n_sessions`` of ``exchange`` up to ``end``.
    seed : int, default 0
        Generator seed.
    gap_rate : float, default 0.0
        Share of rows removed at random (missing prices).
    exchange : str, default "XNYS"
        Calendar of the sessions.
    end : str, default "2025-12-31"
        Last session.

    Returns
    -------
    pandas.DataFrame
        Columns symbol, session, open, high, low, close, adj_close, volume, currency, sorted by
        symbol then session. Symbols are ``S00000``, ``S00001``, … on the given exchange.
    """
    rng = np.random.default_rng(seed)
    idx = sessions(exchange, None, end)[-n_sessions:]
    market = rng.normal(0.0003, 0.01, n_sessions)
    beta = rng.uniform(0.5, 1.5, n_symbols)
    ret = market[:, None] * beta[None, :] + rng.normal(0.0, 0.02, (n_sessions, n_symbols))
    close = 50.0 * np.exp(np.cumsum(np.log1p(ret), axis=0))
    opn = close * (1.0 + rng.normal(0.0, 0.003, close.shape))
    symbols = np.array([f"S{i:05d}" for i in range(n_symbols)], dtype=object)
    frame = pd.DataFrame(
        {
            "symbol": np.repeat(symbols, n_sessions),
            "session": np.tile(idx.values.astype("datetime64[s]"), n_symbols),
            "open": opn.T.ravel(),
            "high": np.maximum(opn, close).T.ravel(),
            "low": np.minimum(opn, close).T.ravel(),
            "close": close.T.ravel(),
            "adj_close": close.T.ravel(),
            "volume": np.full(n_symbols * n_sessions, 1e5),
            "currency": "JPY" if exchange == "XTKS" else "USD",
        }
    )
    if gap_rate > 0:
        frame = frame.loc[rng.random(len(frame)) >= gap_rate].reset_index(drop=True)
    return frame
