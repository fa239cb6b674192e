"""Yahoo Finance daily prices through ``yfinance`` (the optional ``yahoo`` extra).

The real ``yfinance`` client does the work. Tests serve recorded chart responses on 127.0.0.1
and pass a session that sends yfinance's requests there, so no test ever goes online.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from ipposaki._typing import DateLike
from ipposaki.errors import InputError, SourceUnavailableError

__all__ = ["pull_yahoo", "yahoo_reachable"]


def _yfinance() -> Any:
    try:
        import yfinance
    except ImportError:  # pragma: no cover - depends on the install
        raise SourceUnavailableError(
            "the Yahoo source needs the 'yahoo' extra: pip install 'ipposaki[yahoo]'"
        ) from None
    return yfinance


def pull_yahoo(
    symbols: Sequence[str],
    start: DateLike,
    end: DateLike,
    session: Any = None,
    timeout: float = 10.0,
) -> pd.DataFrame:
    """Download daily prices for ``symbols`` from Yahoo Finance.

    Parameters
    ----------
    symbols : sequence of str
        Yahoo symbols, e.g. ``["NVDA", "8035.T", "^N225"]``.
    start, end : date-like
        Inclusive first and last date.
    session : requests.Session or curl_cffi Session, optional
        HTTP session for yfinance; tests pass one that talks to a loopback server.
    timeout : float, default 10.0
        Seconds per request.

    Returns
    -------
    pandas.DataFrame
        Canonical price rows: symbol, session, open, high, low, close (as traded, split-adjusted
        by Yahoo), adj_close (split- and dividend-adjusted), volume, currency.

    Raises
    ------
    InputError
        If no symbol is given or ``end`` is before ``start``.
    SourceUnavailableError
        If Yahoo cannot be reached or returns no rows for a symbol.
    """
    if not symbols:
        raise InputError("symbols", list(symbols), "at least one Yahoo symbol")
    first, last = pd.Timestamp(start), pd.Timestamp(end)
    if last < first:
        raise InputError("end", str(last.date()), f"a date on or after start {first.date()}")
    yf = _yfinance()
    frames = []
    for symbol in symbols:  # one HTTP request per symbol: I/O, not statistics
        ticker = yf.Ticker(symbol, session=session) if session is not None else yf.Ticker(symbol)
        try:
            hist = ticker.history(
                start=first.strftime("%Y-%m-%d"),
                end=(last + pd.Timedelta(days=1)).strftime("%Y-%m-%d"),
                interval="1d",
                auto_adjust=False,
                actions=False,
                timeout=timeout,
                **_raise_errors(yf),
            )
        except Exception as exc:
            raise SourceUnavailableError(
                f"yahoo: could not download {symbol} ({type(exc).__name__}: {exc})"
            ) from None
        if hist is None or hist.empty:
            raise SourceUnavailableError(
                f"yahoo: no rows for {symbol} in {first.date()}..{last.date()}"
            )
        meta = getattr(ticker, "history_metadata", None) or {}
        index = pd.DatetimeIndex(hist.index)
        if index.tz is not None:
            index = index.tz_localize(None)
        frames.append(
            pd.DataFrame(
                {
                    "symbol": symbol,
                    "session": index.normalize().astype("datetime64[s]"),
                    "open": hist["Open"].to_numpy(dtype=np.float64),
                    "high": hist["High"].to_numpy(dtype=np.float64),
                    "low": hist["Low"].to_numpy(dtype=np.float64),
                    "close": hist["Close"].to_numpy(dtype=np.float64),
                    "adj_close": hist.get("Adj Close", hist["Close"]).to_numpy(dtype=np.float64),
                    "volume": hist["Volume"].to_numpy(dtype=np.float64)
                    if "Volume" in hist
                    else np.nan,
                    "currency": str(meta.get("currency", "")),
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def _raise_errors(yf: Any) -> dict[str, bool]:
    """Make yfinance raise instead of logging: a config switch in new releases, a kwarg in old."""
    debug = getattr(getattr(yf, "config", None), "debug", None)
    if debug is not None and hasattr(debug, "hide_exceptions"):
        debug.hide_exceptions = False
        return {}
    return {"raise_errors": True}


def yahoo_reachable(timeout: float = 3.0) -> bool:
    """Tell whether Yahoo Finance answers within ``timeout`` seconds (for the demo's fallback).

    Parameters
    ----------
    timeout : float, default 3.0
        Seconds to wait.

    Returns
    -------
    bool
        True if a TCP connection to Yahoo's chart host could be opened.
    """
    import socket

    try:
        with socket.create_connection(("query2.finance.yahoo.com", 443), timeout=timeout):
            return True
    except OSError:
        return False
