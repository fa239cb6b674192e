"""The price store: one embedded DuckDB file, and the :class:`Store` that reads and writes it.

Where it lives: the ``path`` argument, else ``IPPOSAKI_STORE``, else ``store.duckdb`` in the
user data directory (``platformdirs``).

Each operation opens its own short-lived connection (:mod:`ipposaki.store.connection`), so
several processes can take turns and a reader never holds the writer's lock for long. Every
ingest validates *all* its input before it opens the store for writing, and writes in one
transaction (:mod:`ipposaki.store.ingest`): a failed ingest leaves the file byte-for-byte as it
was, and a process killed mid-write leaves it as before or as after (DuckDB replays only
committed transactions from its write-ahead log).

Every price row records its source: the label of the ingest that last wrote it (see
:mod:`ipposaki.store.schema`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ipposaki._typing import DateLike
from ipposaki.errors import InputError, UnknownNameError
from ipposaki.instruments import INSTRUMENT_COLUMNS, builtin_baskets
from ipposaki.sources.files import Layout
from ipposaki.store.connection import (
    DEFAULT_LOCK_TIMEOUT,
    LOCK_TIMEOUT,
    check_lock_timeout,
    connect,
    default_store_path,
)
from ipposaki.store.ingest import (
    canonical_rows,
    ingest_frames,
    put_baskets,
    put_instruments,
    read_price_files,
)
from ipposaki.store.refusals import check_benchmarks, refuse_cell
from ipposaki.store.results import IngestResult, PanelArrays
from ipposaki.store.schema import PRICE_COLUMNS
from ipposaki.store.transaction import transaction
from ipposaki.store.validate import NonSessionPolicy, session_gaps

__all__ = [
    "DEFAULT_LOCK_TIMEOUT",
    "LOCK_TIMEOUT",
    "IngestResult",
    "Store",
    "check_lock_timeout",
    "default_store_path",
]


class Store:
    """An embedded DuckDB store of instruments, prices, baskets, characteristics and events.

    Parameters
    ----------
    path : str or pathlib.Path, optional
        The store file. Defaults to :func:`default_store_path`.
    lock_timeout : float, optional
        Seconds to wait when another process holds the store's lock, then fail naming it.
        Defaults to :data:`LOCK_TIMEOUT` when set, else ``IPPOSAKI_LOCK_TIMEOUT``, else
        :data:`DEFAULT_LOCK_TIMEOUT` (30). While it waits, the ``ipposaki.store`` logger says so
        once (the CLI prints it as one line).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> store = Store(pathlib.Path(tempfile.mkdtemp()) / "s.duckdb")
    >>> store.basket("jp_electric_wires")
    ['5801.T', '5802.T', '5803.T', '5805.T']
    """

    def __init__(self, path: str | Path | None = None, lock_timeout: float | None = None) -> None:
        self._path = Path(path) if path is not None else default_store_path()
        self._lock_timeout = None if lock_timeout is None else check_lock_timeout(lock_timeout)
        self._small: dict[str, pd.DataFrame] = {}
        self._small_state: tuple[int, ...] = ()
        if self._path.exists() and self._path.is_dir():
            raise InputError("store", str(self._path), "a file path, not a directory")

    @property
    def path(self) -> Path:
        """The store file."""
        return self._path

    def __repr__(self) -> str:
        return f"Store({str(self._path)!r})"

    # -- connections ---------------------------------------------------------------------------

    def _connect(self, write: bool) -> AbstractContextManager[Any]:
        """A short-lived connection to the store file (see
        :func:`~ipposaki.store.connection.connect`)."""
        return connect(self._path, write, self._lock_timeout)

    def _query(self, sql: str, params: Sequence[object] = ()) -> pd.DataFrame:
        with self._connect(write=False) as con:
            return con.execute(sql, list(params)).df()

    def _file_state(self) -> tuple[int, ...]:
        """What any write to the store changes: the inode, size and modification time of its
        file and of its write-ahead log (zeros for a file that does not exist)."""
        state: list[int] = []
        for path in (self._path, self._path.with_name(self._path.name + ".wal")):
            try:
                st = path.stat()
            except (FileNotFoundError, NotADirectoryError):  # none yet, or a path under a file
                state += [0, 0, 0]
            else:
                state += [st.st_ino, st.st_size, st.st_mtime_ns]
        return tuple(state)

    def _query_small(self, sql: str) -> pd.DataFrame:
        """:meth:`_query` for the small tables every stage asks for again and again
        (instruments, baskets, symbols): remembered until the file changes, a copy each time."""
        state = self._file_state()
        if state != self._small_state:
            self._small, self._small_state = {}, state
        if sql not in self._small:
            self._small[sql] = self._query(sql)
        return self._small[sql].copy()

    # -- reading -------------------------------------------------------------------------------

    def instruments(self) -> pd.DataFrame:
        """Return the instruments table, one row per symbol, sorted by symbol."""
        return self._query_small("SELECT * FROM instruments ORDER BY symbol").fillna("")

    def exchange_map(self) -> pd.Series:
        """Return a Series mapping each known symbol to its exchange (``""`` for FX)."""
        inst = self.instruments()
        return pd.Series(inst["exchange"].to_numpy(), index=inst["symbol"].to_numpy())

    def baskets(self) -> pd.DataFrame:
        """Return the baskets table: basket, symbol, name, name_ja."""
        return self._query_small("SELECT * FROM baskets ORDER BY basket, symbol")

    def basket(self, name: str) -> list[str]:
        """Return the members of basket ``name`` in stored order.

        Parameters
        ----------
        name : str
            Basket name.

        Returns
        -------
        list[str]
            Member symbols.

        Raises
        ------
        UnknownNameError
            If no basket has that name; the message lists close matches.
        """
        table = self.baskets()
        members = table.loc[table["basket"] == name, "symbol"].tolist()
        if not members:
            raise UnknownNameError("basket", name, sorted(table["basket"].unique()))
        order = builtin_baskets()
        builtin = order.loc[order["basket"] == name, "symbol"].tolist()
        return builtin if set(builtin) == set(members) else sorted(members)

    def sources(self) -> list[str]:
        """Return the label of every source whose prices were ever written (files, ``yahoo``,
        ``synthetic data``), sorted."""
        keys = self._query("SELECT key FROM meta WHERE key LIKE 'source:%' ORDER BY key")["key"]
        return [k.removeprefix("source:") for k in keys]

    def symbols(self) -> list[str]:
        """Return the symbols that have at least one price, sorted."""
        return self._query_small("SELECT DISTINCT symbol FROM prices ORDER BY symbol")[
            "symbol"
        ].tolist()

    def prices(
        self,
        symbols: Iterable[str] | None = None,
        start: DateLike | None = None,
        end: DateLike | None = None,
    ) -> pd.DataFrame:
        """Return stored prices in long form, sorted by symbol and session.

        Parameters
        ----------
        symbols : iterable of str, optional
            Symbols to return; all when omitted.
        start, end : date-like, optional
            Inclusive session bounds.

        Returns
        -------
        pandas.DataFrame
            Columns symbol, session, open, high, low, close, adj_close, volume, source (the
            label of the ingest that last wrote the row: a file path, ``"yahoo"``,
            ``"jquants"``...; None for rows stored before the store recorded it).
        """
        where, params = self._where(symbols, start, end)
        with self._connect(write=False) as con:
            select = self._price_select(con)
            return con.execute(
                f"SELECT {select} FROM prices {where} ORDER BY symbol, session", params
            ).df()

    @staticmethod
    def _price_select(con: Any, alias: str = "") -> str:
        """The select list of every column of :data:`PRICE_COLUMNS`, in order: ``source`` is
        a typed NULL in a store of schema version 1, which has no such column."""
        has_source = con.execute(
            "SELECT count(*) FROM duckdb_columns() WHERE table_name = 'prices' "
            "AND column_name = 'source'"
        ).fetchall()[0][0]
        prefix = f"{alias}." if alias else ""
        cols = [f"{prefix}{c}" for c in PRICE_COLUMNS[:-1]]
        return ", ".join([*cols, f"{prefix}source" if has_source else "NULL::VARCHAR AS source"])

    @staticmethod
    def _where(
        symbols: Iterable[str] | None, start: DateLike | None, end: DateLike | None
    ) -> tuple[str, list[object]]:
        clauses: list[str] = []
        params: list[object] = []
        if symbols is not None:
            clauses.append("list_contains(?, symbol)")
            params.append(list(symbols))
        if start is not None:
            clauses.append("session >= ?")
            params.append(pd.Timestamp(start).date())
        if end is not None:
            clauses.append("session <= ?")
            params.append(pd.Timestamp(end).date())
        return ("WHERE " + " AND ".join(clauses) if clauses else ""), params

    def span(self, symbols: Iterable[str] | None = None) -> tuple[pd.Timestamp | None, ...]:
        """Return the first and last stored session of ``symbols`` (all when omitted).

        Parameters
        ----------
        symbols : iterable of str, optional
            Symbols to consider.

        Returns
        -------
        tuple[pandas.Timestamp or None, pandas.Timestamp or None]
            ``(None, None)`` when nothing is stored for them.
        """
        where, params = self._where(symbols, None, None)
        with self._connect(write=False) as con:
            lo, hi = con.execute(
                f"SELECT min(session), max(session) FROM prices {where}", params
            ).fetchone()
        return (pd.Timestamp(lo) if lo else None, pd.Timestamp(hi) if hi else None)

    def panel_arrays(self, symbols: Sequence[str], grid: pd.DatetimeIndex) -> PanelArrays:
        """Return the prices of ``symbols`` on the sessions ``grid`` as flat numpy arrays.

        The join to the grid and the choice of price basis happen inside DuckDB, so only five
        columns cross into numpy; this is what keeps a 5,000 x 2,500 panel fast.

        Parameters
        ----------
        symbols : sequence of str
            Symbols; their positions are the panel's columns.
        grid : pandas.DatetimeIndex
            Sessions; their positions are the panel's rows. Rows dated on other days (an FX
            rate on an exchange holiday) are left out.

        Returns
        -------
        PanelArrays
            ``table`` with columns ``flat`` (row * len(symbols) + column), ``px`` (the adjusted
            close for symbols that have one in range, else the close), ``open`` and ``close``
            (as traded), ``volume`` (shares traded), and ``has_adj`` (per symbol: whether ``px``
            is the adjusted close).
        """
        import pyarrow as pa

        want = pa.table(
            {"symbol": pa.array(list(symbols), pa.string()), "i": np.arange(len(symbols))}
        )
        days = pa.table(
            {
                "session": pa.array(grid.values.astype("datetime64[D]"), pa.date32()),
                "r": np.arange(len(grid), dtype=np.int64),
            }
        )
        with self._connect(write=False) as con:
            con.register("_want", want)
            con.register("_grid", days)
            has_adj = con.sql(
                "SELECT w.i, count(p.adj_close) > 0 AS has_adj FROM prices p "
                "JOIN _want w USING (symbol) JOIN _grid g USING (session) GROUP BY w.i"
            ).fetchnumpy()
            flags = np.zeros(len(symbols), dtype=bool)
            flags[np.asarray(has_adj["i"], dtype=np.int64)] = np.asarray(has_adj["has_adj"])
            con.register("_adj", pa.table({"i": np.arange(len(symbols)), "has_adj": flags}))
            table = con.sql(
                f"SELECT g.r * {len(symbols)} + w.i AS flat, "
                "CASE WHEN a.has_adj THEN p.adj_close ELSE p.close END AS px, "
                "p.open, p.close, p.volume FROM prices p JOIN _want w USING (symbol) "
                "JOIN _grid g USING (session) JOIN _adj a ON a.i = w.i"
            ).to_arrow_table()
        return PanelArrays(table=table, has_adj=flags)

    def info(self) -> pd.DataFrame:
        """Return one row per stored symbol: exchange, first and last session, rows, gaps.

        Gaps are sessions of the symbol's exchange, between its first and last price, that have
        no price. Symbols without an exchange (FX) have no gap count.

        Returns
        -------
        pandas.DataFrame
            Columns symbol, name, exchange, currency, first, last, rows, missing_sessions.
        """
        stats = self._query(
            "SELECT p.symbol, i.name, coalesce(i.exchange, '') AS exchange, i.currency, "
            "min(p.session) AS first, max(p.session) AS last, count(*) AS rows "
            "FROM prices p LEFT JOIN instruments i USING (symbol) GROUP BY ALL ORDER BY p.symbol"
        )
        missing = pd.Series(0, index=stats["symbol"], dtype="Int64")
        for exchange in sorted(set(stats["exchange"]) - {""}):
            members = stats.loc[stats["exchange"] == exchange, "symbol"].tolist()
            rows = self.prices(members)
            gaps = session_gaps(
                rows["symbol"].to_numpy(dtype=object), rows["session"].to_numpy(), exchange
            )
            counts = gaps.groupby("symbol")["missing"].sum()
            missing.loc[members] = counts.reindex(members, fill_value=0).to_numpy()
        missing = missing.mask((stats["exchange"] == "").to_numpy())
        stats["missing_sessions"] = missing.to_numpy()
        return stats

    # -- writing -------------------------------------------------------------------------------

    def import_files(
        self,
        paths: Sequence[str | Path],
        layout: Layout = "auto",
        non_sessions: NonSessionPolicy = "error",
        replace_rows: bool = False,
    ) -> IngestResult:
        """Validate every file, then write them all in one transaction.

        Parameters
        ----------
        paths : sequence of path-like
            CSV or Parquet files, long or wide (see :func:`~ipposaki.sources.read_price_file`),
            or partitioned Parquet directories written by ``data export``.
        layout : {"auto", "long", "wide"}, default "auto"
            File layout.
        non_sessions : {"error", "skip"}, default "error"
            What to do with rows dated on a day that is not a session of their exchange.
        replace_rows : bool, default False
            Replace each stored (symbol, session) row the files hold with the file's row, columns
            the file leaves empty included. By default rows merge: an empty or absent column keeps
            its stored value.

        Returns
        -------
        IngestResult
            What was written and what validation found.

        Raises
        ------
        DataValidationError
            If any file fails validation. Nothing is written.
        """
        frames = read_price_files(paths, layout)
        return ingest_frames(self, frames, non_sessions, replace_rows)

    def ingest(
        self,
        rows: pd.DataFrame,
        source: str,
        non_sessions: NonSessionPolicy = "error",
        instruments: pd.DataFrame | None = None,
        before_commit: Callable[[Any], object] | None = None,
    ) -> IngestResult:
        """Validate canonical price rows from any source, then write them in one transaction.

        Parameters
        ----------
        rows : pandas.DataFrame
            Columns symbol, session and at least close or adj_close; other price columns,
            ``currency`` and ``line`` are optional.
        source : str
            Name used in messages and recorded as the source of every row written, e.g.
            ``"yahoo"``.
        non_sessions : {"error", "skip"}, default "error"
            What to do with rows on non-sessions.
        instruments : pandas.DataFrame, optional
            Instruments (columns of :data:`INSTRUMENT_COLUMNS`) for symbols of ``rows`` the
            store does not know yet, e.g. indices with their exchange: the rows are validated
            as theirs, and they are written in the same transaction as the rows (only those
            that still have rows after validation). Symbols the store knows keep their row.
        before_commit : callable, optional
            Writes more in the same transaction: called with the open connection after the
            rows and instruments are written, before COMMIT (e.g. the function of
            :func:`~ipposaki.store.listed.check_listed`). It must only write rows checked
            already; if it raises, nothing is written.

        Returns
        -------
        IngestResult
            What was written; ``new_instruments`` lists only the guessed ones.

        Raises
        ------
        DataValidationError
            If a row fails validation, or an instrument names an unknown benchmark. Nothing
            is written, not even the instruments.
        """
        return ingest_frames(
            self,
            [(source, canonical_rows(rows))],
            non_sessions,
            instruments=instruments,
            before_commit=before_commit,
        )

    def add_instruments(self, frame: pd.DataFrame) -> int:
        """Insert instruments, or update those the store has (columns of
        :data:`INSTRUMENT_COLUMNS`).

        A blank field of a symbol the store already has keeps its stored value, so a file that
        gives only some fields (``symbol,exchange``) changes those and loses nothing.

        Parameters
        ----------
        frame : pandas.DataFrame
            Instruments, e.g. from :func:`~ipposaki.instruments.read_instruments`.

        Returns
        -------
        int
            Rows written.
        """
        stored = self.instruments().set_index("symbol")
        frame = frame.loc[:, list(INSTRUMENT_COLUMNS)].reset_index(drop=True)
        known = frame["symbol"].isin(stored.index).to_numpy()
        if known.any():
            before = stored.reindex(frame["symbol"]).reset_index(drop=True)
            frame = frame.copy()
            for col in INSTRUMENT_COLUMNS[1:]:
                keep = known & (frame[col].fillna("").astype(str) == "").to_numpy()
                frame.loc[keep, col] = before.loc[keep, col].fillna("").astype(str)
        check_benchmarks(frame, set(stored.index))
        frame = frame.loc[:, list(INSTRUMENT_COLUMNS)]
        with self._connect(write=True) as con:
            with transaction(con):
                put_instruments(con, frame)
        return len(frame)

    def add_baskets(self, frame: pd.DataFrame) -> int:
        """Insert baskets, replacing any basket of the same name whole.

        Parameters
        ----------
        frame : pandas.DataFrame
            Columns basket, symbol, name, name_ja (see
            :func:`~ipposaki.instruments.read_baskets`).

        Returns
        -------
        int
            Member rows written.
        """
        known = set(self.instruments()["symbol"])
        unknown = ~frame["symbol"].isin(known)
        if unknown.any():
            pos = int(unknown.to_numpy().argmax())
            refuse_cell(
                frame,
                pos,
                "symbol",
                "an instrument of the store (add it with 'data instruments' first)",
                known,
            )
        frame = frame.loc[:, ["basket", "symbol", "name", "name_ja"]]
        with self._connect(write=True) as con:
            with transaction(con):
                put_baskets(con, frame)
        return len(frame)

    # -- listed-company data (ipposaki.store.listed) ---------------------------------------------

    def add_listed_info(self, info: pd.DataFrame, source: str = "jquants") -> int:
        """Write sectors and share counts; see :func:`ipposaki.store.listed.add_listed_info`."""
        from ipposaki.store.listed import add_listed_info

        return add_listed_info(self, info, source)

    def listed_info(self, symbols: Iterable[str] | None = None) -> pd.DataFrame:
        """Return dated TOPIX-17/33 sectors; see :func:`ipposaki.store.listed.listed_info`."""
        from ipposaki.store.listed import listed_info

        return listed_info(self, symbols)

    def shares_outstanding(self, symbols: Iterable[str] | None = None) -> pd.DataFrame:
        """Return dated share counts; see :func:`ipposaki.store.listed.shares_outstanding`."""
        from ipposaki.store.listed import shares_outstanding

        return shares_outstanding(self, symbols)

    def add_earnings(self, frame: pd.DataFrame) -> int:
        """Write earnings announcements; see :func:`ipposaki.store.listed.add_earnings`."""
        from ipposaki.store.listed import add_earnings

        return add_earnings(self, frame)

    def earnings(self, symbols: Iterable[str] | None = None) -> pd.DataFrame:
        """Return earnings announcements; see :func:`ipposaki.store.listed.earnings`."""
        from ipposaki.store.listed import earnings

        return earnings(self, symbols)
