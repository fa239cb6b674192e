"""Returns panels: sessions × symbols matrices on one exchange's own calendar.

Rules, stated once:

* Rows are the exchange's **sessions** (from ``exchange_calendars``), not the dates found in the
  data, so a session without a price is a visible gap.
* A close-to-close return on session *t* needs a price on *t* and on the session just before
  *t*. If either is missing the return is missing: it is never computed across a gap, never
  filled, and never dropped silently.
* The **basis** is the adjusted close when a symbol has one, else the close.
  :attr:`ReturnsPanel.basis` says which was used for each symbol.
* Overnight (``open_t / close_{t-1} - 1``) and daytime (``close_t / open_t - 1``) returns use the
  as-traded close, and exist only where opens exist. For split- and dividend-adjusted sources
  (all US symbols in the shared data) opens and closes are adjusted alike, so the two multiply to
  the close-to-close return.
* **Volume** is shares traded, as stored, on the same sessions; a session without a volume is
  missing (NaN), and a volume of zero is kept as zero. It is never converted.
* Currency conversion divides (or multiplies) each price by the FX rate of the same session
  label; a session without a rate gives a missing converted price.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Literal

import numpy as np
import pandas as pd

from ipposaki._typing import DateLike
from ipposaki.calendars import EXCHANGES, sessions
from ipposaki.errors import InputError, UnknownNameError
from ipposaki.results import Result, Summary, freeze, versions
from ipposaki.store import Store

__all__ = ["ReturnKind", "ReturnsPanel", "build_panel", "panel_from_rows", "returns_from_prices"]

ReturnKind = Literal["simple", "log"]
_EPOCH = np.datetime64("1970-01-01", "D")


def returns_from_prices(prices: np.ndarray, kind: ReturnKind = "simple") -> np.ndarray:
    """Turn a (sessions × symbols) price matrix into returns; row 0 becomes NaN.

    Parameters
    ----------
    prices : numpy.ndarray
        Prices, NaN where missing.
    kind : {"simple", "log"}, default "simple"
        ``p_t / p_{t-1} - 1`` or ``log(p_t / p_{t-1})``.

    Returns
    -------
    numpy.ndarray
        Same shape; NaN wherever either price is missing.

    Examples
    --------
    >>> returns_from_prices(np.array([[100.0], [110.0], [np.nan], [121.0]]))[:, 0].round(4).tolist()
    [nan, 0.1, nan, nan]
    """
    if kind not in ("simple", "log"):
        raise InputError("kind", kind, "one of 'simple', 'log'")
    out = np.empty(prices.shape)
    out[:1] = np.nan
    np.divide(prices[1:], prices[:-1], out=out[1:])
    if kind == "log":
        np.log(out[1:], out=out[1:])
    else:
        out[1:] -= 1.0
    return out


def _hash_arrays(*arrays: np.ndarray) -> str:
    digest = hashlib.blake2b(digest_size=16)
    for arr in arrays:
        digest.update(np.ascontiguousarray(arr).data)
    return digest.hexdigest()[:16]


@dataclass(frozen=True, eq=False)
class ReturnsPanel(Result):
    """Returns of one exchange's symbols, aligned on that exchange's sessions. Read-only.

    Use :func:`build_panel` to make one. Properties return new frames (shallow, copy-on-write),
    so changing them never changes the panel.
    """

    exchange: str
    kind: ReturnKind
    _returns: pd.DataFrame
    _prices: pd.DataFrame
    _open: np.ndarray = field(repr=False)  # as-traded opens, with the seed session first
    _close: np.ndarray = field(repr=False)  # as-traded closes, with the seed session first
    _basis: pd.Series = field(repr=False)
    currency: str | None = None
    data_hash: str = ""
    _volume: np.ndarray | None = field(default=None, repr=False)  # with the seed session first

    @property
    def returns(self) -> pd.DataFrame:
        """Close-to-close returns, sessions × symbols."""
        return self._returns.copy(deep=False)

    def _frame(self, values: np.ndarray) -> pd.DataFrame:
        drop = len(values) - len(self._returns)
        return pd.DataFrame(
            values[drop:], index=self._returns.index, columns=self._returns.columns, copy=False
        )

    @cached_property
    def _overnight(self) -> pd.DataFrame:
        on = np.full(self._open.shape, np.nan)
        with np.errstate(invalid="ignore", divide="ignore"):
            np.divide(self._open[1:], self._close[:-1], out=on[1:])
        return self._frame(np.log(on) if self.kind == "log" else on - 1.0)

    @cached_property
    def _daytime(self) -> pd.DataFrame:
        with np.errstate(invalid="ignore", divide="ignore"):
            ratio = self._close / self._open
        return self._frame(np.log(ratio) if self.kind == "log" else ratio - 1.0)

    @property
    def overnight(self) -> pd.DataFrame:
        """Open over the previous session's close, minus one (or its log); NaN without opens.

        Computed on first use, from the as-traded opens and closes.
        """
        return self._overnight.copy(deep=False)

    @property
    def daytime(self) -> pd.DataFrame:
        """Close over the same session's open, minus one (or its log); NaN without opens."""
        return self._daytime.copy(deep=False)

    @cached_property
    def _volume_frame(self) -> pd.DataFrame:
        if self._volume is None:
            return self._frame(np.full((len(self._returns) + 1, self._returns.shape[1]), np.nan))
        return self._frame(self._volume)

    @property
    def volume(self) -> pd.DataFrame:
        """Shares traded, sessions × symbols; NaN where the data have no volume.

        A zero is a session without trades and stays zero. Volume is never converted to
        another currency (it is a count of shares).
        """
        return self._volume_frame.copy(deep=False)

    @property
    def prices(self) -> pd.DataFrame:
        """The prices the returns were computed from (on :attr:`basis`, converted if asked)."""
        return self._prices.copy(deep=False)

    @property
    def basis(self) -> pd.Series:
        """Per symbol, ``"adj_close"`` or ``"close"``: which price the returns use."""
        return self._basis.copy(deep=False)

    @property
    def sessions(self) -> pd.DatetimeIndex:
        """The sessions (rows)."""
        return pd.DatetimeIndex(self._returns.index)

    @property
    def symbols(self) -> list[str]:
        """The symbols (columns)."""
        return [str(c) for c in self._returns.columns]

    def tidy(self) -> pd.DataFrame:
        """Return the panel long: session, symbol, ret, overnight, daytime, basis."""
        long = pd.DataFrame(
            {
                "ret": self._returns.stack(future_stack=True),
                "overnight": self._overnight.stack(future_stack=True),
                "daytime": self._daytime.stack(future_stack=True),
            }
        ).reset_index()
        long["basis"] = long["symbol"].map(self._basis)
        return long

    @property
    def summary(self) -> Summary:
        """A few lines: exchange, span, symbols, basis and missing counts."""
        n_missing = int(self._returns.iloc[1:].isna().to_numpy().sum())
        idx = self.sessions
        span = f"{idx[0].date()}..{idx[-1].date()}" if len(idx) else "empty"
        bases = self._basis.value_counts().to_dict()
        cur = f", converted to {self.currency}" if self.currency else ""
        return Summary.of(
            f"ReturnsPanel {self.exchange} ({self.kind} returns{cur}): {len(idx)} sessions "
            f"{span} × {len(self.symbols)} symbols; basis {bases}; "
            f"{n_missing} missing returns (kept missing); data hash {self.data_hash}"
        )

    @property
    def manifest(self) -> Mapping[str, Any]:
        """Exchange, return kind, currency, data hash, sessions, symbols with their basis,
        versions."""
        idx = self.sessions
        return freeze(
            {
                "exchange": self.exchange,
                "kind": self.kind,
                "currency": self.currency,
                "data_hash": self.data_hash,
                "sessions": {
                    "first": str(idx[0].date()) if len(idx) else None,
                    "last": str(idx[-1].date()) if len(idx) else None,
                    "count": len(idx),
                },
                "symbols": self.symbols,
                "basis": {str(k): str(v) for k, v in self._basis.items()},
                "versions": versions(),
            }
        )

    def frames(self) -> dict[str, pd.DataFrame]:
        """``returns``: the panel long (:meth:`tidy`), one row per session and symbol."""
        return {"returns": self.tidy()}

    def __repr__(self) -> str:
        return self.summary.as_text()


def build_panel(
    store: Store,
    exchange: str,
    symbols: list[str] | None = None,
    start: DateLike | None = None,
    end: DateLike | None = None,
    kind: ReturnKind = "simple",
    currency: str | None = None,
    fx_symbol: str = "JPY=X",
) -> ReturnsPanel:
    """Build the returns panel of ``exchange`` from the store.

    Parameters
    ----------
    store : Store
        The price store.
    exchange : str
        ISO MIC whose sessions form the rows.
    symbols : list of str, optional
        Symbols to include. Defaults to every stored symbol listed on ``exchange``. Symbols
        without an exchange (FX rates) may be included and are aligned on its sessions.
    start, end : date-like, optional
        First and last session of the panel; default to the stored data's span.
    kind : {"simple", "log"}, default "simple"
        Return definition.
    currency : str, optional
        Convert prices to this currency (``"USD"`` or ``"JPY"``) with ``fx_symbol`` first.
    fx_symbol : str, default "JPY=X"
        JPY per USD series used for conversion (``"JPY=X"`` or ``"DEXJPUS"``).

    Returns
    -------
    ReturnsPanel
        The panel.

    Raises
    ------
    UnknownNameError
        If the exchange or a symbol is unknown.
    InputError
        If a symbol trades on another exchange, the range holds no session, or ``currency`` is
        not supported.
    """
    if exchange not in EXCHANGES:
        raise UnknownNameError("exchange", exchange, EXCHANGES)
    if kind not in ("simple", "log"):
        raise InputError("kind", kind, "one of 'simple', 'log'")
    inst = store.instruments().set_index("symbol")
    stored = store.symbols()
    if symbols is None:
        on_exchange = inst.index[inst["exchange"] == exchange]
        symbols = [s for s in stored if s in set(on_exchange)]
    symbols = list(dict.fromkeys(symbols))
    unknown = pd.Index(symbols).difference(pd.Index(stored))
    if len(unknown):
        raise UnknownNameError("symbol", str(unknown[0]), stored)
    home = inst["exchange"].reindex(symbols).fillna("")
    elsewhere = home[~home.isin(["", exchange])]
    if len(elsewhere):
        sym, where = str(elsewhere.index[0]), str(elsewhere.iloc[0])
        raise InputError("symbols", sym, f"a symbol listed on {exchange} (it trades on {where})")
    if currency is not None and currency not in ("USD", "JPY"):
        raise InputError("currency", currency, "'USD' or 'JPY'")

    first, last = _span(store, symbols, start, end)
    grid, drop = _session_grid(exchange, first, last)
    arrays = store.panel_arrays(symbols, grid)
    has_adj = arrays.has_adj
    shape = (len(grid), len(symbols))
    basis_px, close, opn, volume = (
        arrays.scatter(c, shape) for c in ("px", "close", "open", "volume")
    )
    del arrays
    if currency is not None:
        basis_px, close, opn = _convert(
            store, inst, symbols, grid, (basis_px, close, opn), currency, fx_symbol
        )
    return _assemble(
        exchange, kind, grid, drop, symbols, basis_px, close, opn, has_adj, currency, volume
    )


def panel_from_rows(
    rows: pd.DataFrame,
    exchange: str,
    symbols: list[str] | None = None,
    start: DateLike | None = None,
    end: DateLike | None = None,
    kind: ReturnKind = "simple",
) -> ReturnsPanel:
    """Build the returns panel of ``exchange`` from price rows, exactly as the store does.

    The rows are placed on the exchange's sessions (rows dated on other days are not part of
    the panel), each symbol's basis is its adjusted close when it has one in range, else its
    close, and returns follow :func:`returns_from_prices`. A file, a Parquet file, a partitioned
    directory and the store thus give one definition of a return.

    Parameters
    ----------
    rows : pandas.DataFrame
        Canonical price rows (see :func:`ipposaki.sources.read_price_file`), validated, one per
        (symbol, session): columns ``symbol``, ``session``, ``close``, ``adj_close`` and
        optionally ``open`` and ``volume``.
    exchange : str
        ISO MIC whose sessions form the rows.
    symbols : list of str, optional
        Columns, in order; default every symbol of ``rows``, sorted.
    start, end : date-like, optional
        First and last session; default the span of the rows.
    kind : {"simple", "log"}, default "simple"
        Return definition.

    Returns
    -------
    ReturnsPanel
        The panel.

    Raises
    ------
    UnknownNameError
        If the exchange is unknown.
    InputError
        If ``kind`` is unknown or the range holds no session.
    """
    if exchange not in EXCHANGES:
        raise UnknownNameError("exchange", exchange, EXCHANGES)
    if kind not in ("simple", "log"):
        raise InputError("kind", kind, "one of 'simple', 'log'")
    names = pd.Index(rows["symbol"].astype(str))
    if symbols is None:
        symbols = sorted(set(names))
    symbols = list(dict.fromkeys(symbols))
    days = pd.DatetimeIndex(rows["session"]).as_unit("ns")
    c = pd.Index(symbols).get_indexer(names)
    wanted = days[c >= 0]
    if (start is None or end is None) and len(wanted) == 0:
        raise InputError("symbols", symbols, "symbols with price rows")
    first = pd.Timestamp(start) if start is not None else wanted.min()
    last = pd.Timestamp(end) if end is not None else wanted.max()
    grid, drop = _session_grid(exchange, first, last)
    r = grid.get_indexer(days)
    ok = (r >= 0) & (c >= 0)
    r, c = r[ok], c[ok]
    shape = (len(grid), len(symbols))

    def matrix(column: str) -> np.ndarray:
        out = np.full(shape, np.nan)
        if column in rows.columns:
            out[r, c] = rows[column].to_numpy(dtype=np.float64)[ok]
        return out

    close, opn, adj = matrix("close"), matrix("open"), matrix("adj_close")
    has_adj = ~np.isnan(adj).all(axis=0)
    basis_px = np.where(has_adj[None, :], adj, close)
    return _assemble(
        exchange, kind, grid, drop, symbols, basis_px, close, opn, has_adj, None, matrix("volume")
    )


def _session_grid(
    exchange: str, first: pd.Timestamp, last: pd.Timestamp
) -> tuple[pd.DatetimeIndex, int]:
    """Sessions ``first..last`` with one session before them, and how many rows to drop (0/1).

    The extra leading session exists only to seed the first return of the panel.
    """
    all_sessions = sessions(exchange)
    lo = all_sessions.searchsorted(first, "left")
    hi = all_sessions.searchsorted(last, "right")
    if hi <= lo:
        raise InputError(
            "start..end", f"{first.date()}..{last.date()}", f"a range with {exchange} sessions"
        )
    return all_sessions[max(lo - 1, 0) : hi], 1 if lo > 0 else 0


def _assemble(
    exchange: str,
    kind: ReturnKind,
    grid: pd.DatetimeIndex,
    drop: int,
    symbols: list[str],
    basis_px: np.ndarray,
    close: np.ndarray,
    opn: np.ndarray,
    has_adj: np.ndarray,
    currency: str | None,
    volume: np.ndarray | None = None,
) -> ReturnsPanel:
    """The panel from (seeded grid x symbols) price matrices: returns, basis and hash."""
    ret = returns_from_prices(basis_px, kind)
    index = pd.DatetimeIndex(grid[drop:], name="session")
    cols = pd.Index(symbols, name="symbol")
    grid_days = (grid.values.astype("datetime64[D]") - _EPOCH).astype(np.int64)

    def frame(values: np.ndarray) -> pd.DataFrame:
        return pd.DataFrame(values[drop:], index=index, columns=cols, copy=False)

    return ReturnsPanel(
        exchange=exchange,
        kind=kind,
        _returns=frame(ret),
        _prices=frame(basis_px),
        _open=opn,
        _close=close,
        _basis=pd.Series(np.where(has_adj, "adj_close", "close"), index=cols, name="basis"),
        currency=currency,
        data_hash=_hash_arrays(grid_days, basis_px, opn, np.asarray(symbols, dtype="U")),
        _volume=volume,
    )


def _span(
    store: Store, symbols: list[str], start: DateLike | None, end: DateLike | None
) -> tuple[pd.Timestamp, pd.Timestamp]:
    """Return the panel's bounds: the given ones, else the stored data's span."""
    if start is not None and end is not None:
        return pd.Timestamp(start), pd.Timestamp(end)
    first_stored, last_stored = store.span(symbols)
    if first_stored is None or last_stored is None:
        raise InputError("symbols", symbols, "symbols with stored prices")
    first = pd.Timestamp(start) if start is not None else first_stored
    last = pd.Timestamp(end) if end is not None else last_stored
    return first, last


def _convert(
    store: Store,
    inst: pd.DataFrame,
    symbols: list[str],
    grid: pd.DatetimeIndex,
    matrices: tuple[np.ndarray, np.ndarray, np.ndarray],
    currency: str,
    fx_symbol: str,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    fx_rows = store.prices([fx_symbol], grid[0], grid[-1])
    if fx_rows.empty:
        raise InputError("fx_symbol", fx_symbol, "a stored JPY-per-USD series with data in range")
    fx = (
        fx_rows.set_index(pd.to_datetime(fx_rows["session"]))["close"]
        .reindex(grid)
        .to_numpy(dtype=np.float64)
    )
    # FX series are rates, not prices in a currency: they are never converted.
    src = np.array(
        ["" if inst["kind"].get(s, "") == "fx" else inst["currency"].get(s, "") for s in symbols]
    )
    factor = np.ones(len(symbols))[None, :] * np.ones(len(grid))[:, None]
    if currency == "USD":
        factor[:, src == "JPY"] = 1.0 / fx[:, None]
    else:
        factor[:, src == "USD"] = fx[:, None]
    return tuple(m * factor for m in matrices)  # type: ignore[return-value]
