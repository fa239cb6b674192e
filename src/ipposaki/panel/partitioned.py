"""Prices as a partitioned Parquet directory, read in slices through DuckDB.

A directory written by :func:`export_partitioned` (``ipposaki data export --parquet DIR``) or by
``benchmarks/make_panel.py`` holds long rows ``symbol, session, close`` (plus any other price
columns), split into Hive partitions such as ``exchange=XNYS/year=2025/``. The event-study
engine and its Dask backend read it in slices: only the symbols and sessions a block of pairs
needs, so no process holds the whole panel.

Returns follow the panel's rules (:mod:`ipposaki.panel.returns`): simple returns on one
exchange's sessions from ``exchange_calendars``, on each symbol's adjusted close when it has one,
else its close. A missing price leaves both returns around it missing: nothing is filled and no
return spans a gap; a row dated on a day that is not a session is not part of the grid.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ipposaki.calendars import EXCHANGES, sessions
from ipposaki.errors import InputError
from ipposaki.panel.returns import ReturnKind, returns_from_prices
from ipposaki.store.parquet import PARTITION_KEYS, check_parquet_dir, export_partitioned

__all__ = ["PARTITION_KEYS", "PartitionedPrices", "export_partitioned"]

# Writing the directory and checking its files are the store's (ipposaki.store.parquet); they
# are named here too for the readers of this module.


class PartitionedPrices:
    """A partitioned Parquet price directory, read in slices, on one exchange's sessions.

    The returns are those of :func:`ipposaki.panel.build_panel` on the same prices: rows are
    the exchange's sessions (from ``exchange_calendars``) between the first and last price of
    its symbols, each symbol's basis is its adjusted close when it has one (an ``adj_close``
    column with a value), else its close, and a return is never computed across a gap.

    Each symbol's exchange is the ``exchange`` partition or column when it names one (``""``
    for FX rates, which are aligned on the exchange's sessions), else the rule of
    :func:`ipposaki.panel.exchanges.home_exchanges`.

    Parameters
    ----------
    path : str or Path
        The directory.
    exchange : str, optional
        The exchange whose symbols and sessions to read. May be omitted when the directory
        holds one exchange; :attr:`exchanges` lists those it holds.
    kind : {"simple", "log"}, default "simple"
        Return definition.

    Raises
    ------
    InputError
        When the directory holds no Parquet file, or a file lacks ``symbol``, ``session`` or
        ``close`` or types them differently from the others (the file is named). Reading
        :attr:`sessions` or :attr:`symbols` without ``exchange`` from a directory holding
        several exchanges raises too, asking for one.
    UnknownNameError
        For an unknown ``exchange``.
    """

    def __init__(
        self, path: str | Path, exchange: str | None = None, kind: ReturnKind = "simple"
    ) -> None:

        from ipposaki.panel.exchanges import check_exchange, home_exchanges

        if kind not in ("simple", "log"):
            raise InputError("kind", kind, "one of 'simple', 'log'")
        self.kind = kind
        self.path = Path(path)
        files, names, self.fingerprint = check_parquet_dir(self.path)
        self._hive = self._hive_keys(files)
        columns = names | set(self._hive)
        self._has_exchange = "exchange" in columns
        self._has_adj = "adj_close" in columns
        if exchange:  # "" (no exchange) selects nothing: FX rates have no sessions of their own
            check_exchange(exchange)
        self.exchange = exchange

        # One pass over the directory: each symbol's exchange value, basis and span.
        listed = "min(exchange)" if self._has_exchange else "NULL"
        adj = "count(adj_close) > 0" if self._has_adj else "false"
        meta = self._query(
            f"SELECT symbol, {listed} AS listed, {adj} AS has_adj, min(session) AS first, "
            f"max(session) AS last FROM {self._scan()} GROUP BY symbol ORDER BY symbol"
        )
        listed_as = meta["listed"].astype(object).where(meta["listed"].notna(), None)
        known = [x if x in EXCHANGES or x == "" else None for x in listed_as]
        guessed = home_exchanges(meta["symbol"].astype(str), exchange)
        meta["home"] = [k if k is not None else g for k, g in zip(known, guessed, strict=True)]
        self._meta = meta
        self.exchanges: tuple[str, ...] = tuple(sorted(set(meta["home"]) - {""}))
        """The exchanges the directory holds (FX rates, without one, are not counted)."""
        if exchange is None and len(self.exchanges) == 1:
            self.exchange = self.exchanges[0]
        self._sessions: pd.DatetimeIndex | None = None
        self._symbols: list[str] = []
        self._adj = np.zeros(0, dtype=bool)
        self._prune: list[str] = []
        if self.exchange == "":
            self._sessions = pd.DatetimeIndex([], dtype="datetime64[ns]", name="session")
        elif self.exchange is not None:
            self._select(self.exchange)

    def _select(self, exchange: str) -> None:
        """Keep ``exchange``'s symbols (and FX rates) on its sessions."""
        meta = self._meta
        own = meta["home"] == exchange
        keep = own | (meta["home"] == "")
        self._symbols = [str(s) for s in meta.loc[keep, "symbol"]]
        self._adj = meta.loc[keep, "has_adj"].to_numpy(dtype=bool)
        listed = meta.loc[keep, "listed"]
        if self._has_exchange and listed.notna().all():  # an exact filter: prune partitions
            self._prune = sorted(set(listed.astype(str)))
        if not own.any():
            self._sessions = pd.DatetimeIndex([], dtype="datetime64[ns]", name="session")
            return
        lo = pd.Timestamp(meta.loc[own, "first"].min())
        hi = pd.Timestamp(meta.loc[own, "last"].max())
        grid = sessions(exchange, lo, hi)
        self._sessions = pd.DatetimeIndex(grid, name="session").as_unit("ns")

    def _need_exchange(self) -> None:
        if self._sessions is None:
            held = ", ".join(self.exchanges) or "no exchange's symbols"
            raise InputError("exchange", None, f"an exchange: {self.path} holds {held}")

    @property
    def sessions(self) -> pd.DatetimeIndex:
        """The exchange's sessions from the first to the last price of its symbols."""
        self._need_exchange()
        assert self._sessions is not None  # checked just above
        return self._sessions

    @property
    def symbols(self) -> list[str]:
        """The exchange's symbols and the FX rates, sorted."""
        self._need_exchange()
        return self._symbols

    @property
    def basis(self) -> pd.Series:
        """Per symbol, ``"adj_close"`` or ``"close"``: which price the returns use."""
        return pd.Series(
            np.where(self._adj, "adj_close", "close"),
            index=pd.Index(self.symbols, name="symbol"),
            name="basis",
        )

    def __repr__(self) -> str:
        if self._sessions is None:
            return f"PartitionedPrices({str(self.path)!r}, exchanges {', '.join(self.exchanges)})"
        return (
            f"PartitionedPrices({str(self.path)!r}, {self.exchange}, {len(self._symbols)} "
            f"symbols, {len(self._sessions)} sessions)"
        )

    def _hive_keys(self, files: list[Path]) -> list[str]:
        parts = {p for f in files for p in f.relative_to(self.path).parts[:-1] if "=" in p}
        return sorted({p.split("=")[0] for p in parts})

    def _scan(self) -> str:
        hive = "true" if self._hive else "false"
        return f"read_parquet('{self.path.as_posix()}/**/*.parquet', hive_partitioning={hive})"

    def _query(self, sql: str, params: Sequence[object] = (), **tables: Any) -> pd.DataFrame:
        with _connection(tables) as con:
            return con.execute(sql, list(params)).df()

    def _query_numpy(
        self, sql: str, params: Sequence[object] = (), **tables: Any
    ) -> dict[str, Any]:
        """:meth:`_query`'s rows as one numpy array per column, masked where NULL (no frame
        is built)."""
        with _connection(tables) as con:
            return dict(con.execute(sql, list(params)).fetchnumpy())

    def read(self, columns: np.ndarray, lo: int, hi: int) -> np.ndarray:
        """Returns of symbols ``columns`` (positions in :attr:`symbols`) on sessions ``lo..hi``.

        Returns
        -------
        numpy.ndarray
            ``(len(columns), hi - lo + 1)`` returns (:attr:`kind`) on each symbol's basis; NaN
            where a price is missing.
        """
        first = max(lo - 1, 0)  # the price before the first session, for its return
        grid = self.sessions[first : hi + 1]
        picked = np.asarray(columns, dtype=np.int64)
        symbols = self.symbols
        names = pd.DataFrame(
            {
                "symbol": [symbols[int(c)] for c in picked],
                "adj": self._adj[picked] if len(picked) else np.zeros(0, dtype=bool),
                "row": np.arange(len(picked), dtype=np.int64),
            }
        )
        px = "CASE WHEN w.adj THEN p.adj_close ELSE p.close END" if self._has_adj else "p.close"
        conditions = ["p.session BETWEEN ? AND ?"]
        params: list[object] = [grid[0].date(), grid[-1].date()] if len(grid) else [None, None]
        if "year" in self._hive and len(grid):  # prune partitions before reading them
            conditions.append(f"p.year BETWEEN {grid[0].year} AND {grid[-1].year}")
        if self._prune:
            conditions.append(f"p.exchange IN ({', '.join('?' for _ in self._prune)})")
            params.extend(self._prune)
        # Each price's row and day number come back as integers (no strings or timestamps to
        # map back to positions: that was half the time of a read).
        sql = (
            f"SELECT w.row AS row, date_diff('day', DATE '1970-01-01', p.session) AS day, "
            f"{px} AS px FROM {self._scan()} p JOIN wanted w ON p.symbol = w.symbol "
            f"WHERE {' AND '.join(conditions)}"
        )
        rows = self._query_numpy(sql, params, wanted=names)
        prices = np.full((len(picked), len(grid)), np.nan)
        found = rows["px"]  # masked where a price is NULL: missing
        values = np.ma.getdata(found).astype(np.float64, copy=False)  # this query's own array
        if np.ma.is_masked(found):
            values[np.ma.getmaskarray(found)] = np.nan
        # Each price's place in the flat (symbols x sessions) matrix, its session found through
        # a table of the range's calendar days (-1 on a day that is not a session).
        day = np.ma.getdata(rows["day"]).astype(np.int64, copy=False)  # never NULL
        place = _session_of_day(grid, day)
        ok = place >= 0
        place += np.ma.getdata(rows["row"]).astype(np.int64, copy=False) * len(grid)
        flat = prices.reshape(-1)
        if ok.all():
            flat[place] = values
        else:
            flat[place[ok]] = values[ok]
        with np.errstate(invalid="ignore", divide="ignore"):
            ret = returns_from_prices(prices.T, self.kind).T[:, 1:]
        if lo == 0:  # the first session has no previous price
            ret = np.concatenate([np.full((len(picked), 1), np.nan), ret], axis=1)
        return ret

    def frame(self) -> pd.DataFrame:
        """Every return as a sessions x symbols frame (what the local backend reads)."""
        values = self.read(np.arange(len(self.symbols)), 0, len(self.sessions) - 1)
        return pd.DataFrame(values.T, index=self.sessions, columns=self.symbols)


def _session_of_day(grid: pd.DatetimeIndex, day: np.ndarray) -> np.ndarray:
    """Each day number's position on ``grid`` (days since 1970-01-01; -1 where a day is not one
    of its sessions), through a table of the calendar days it spans: one gather instead of a
    binary search per price.

    Examples
    --------
    >>> grid = pd.DatetimeIndex(["1970-01-02", "1970-01-05"])
    >>> _session_of_day(grid, np.array([4, 1, 2, 0, 9])).tolist()
    [1, 0, -1, -1, -1]
    """
    if not len(grid) or not len(day):
        return np.full(len(day), -1, dtype=np.int64)
    sessions = grid.values.astype("datetime64[D]").astype(np.int64)
    table = np.full(int(sessions[-1] - sessions[0]) + 1, -1, dtype=np.int64)
    table[sessions - sessions[0]] = np.arange(len(sessions))
    at = day - sessions[0]
    if at.min() >= 0 and at.max() < len(table):  # the query kept the range: always so
        return table[at]
    inside = (at >= 0) & (at < len(table))
    out = np.full(len(day), -1, dtype=np.int64)
    out[inside] = table[at[inside]]
    return out


@contextlib.contextmanager
def _connection(tables: dict[str, Any]) -> Iterator[Any]:
    """An in-memory DuckDB connection with ``tables`` registered by name, closed afterwards."""
    import duckdb

    con = duckdb.connect(":memory:")
    try:
        for name, table in tables.items():
            con.register(name, table)
        yield con
    finally:
        con.close()
