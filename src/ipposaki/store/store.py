"""The price store: one embedded DuckDB file.

Where it lives: the ``path`` argument, else ``IPPOSAKI_STORE``, else ``store.duckdb`` in the
user data directory (``platformdirs``).

Each operation opens its own short-lived connection, so several processes can take turns and a
reader never holds the writer's lock for long. Every ingest validates *all* its input before it
opens the store for writing, and writes in one transaction: a failed ingest leaves the file
byte-for-byte as it was, and a process killed mid-write leaves it as before or as after (DuckDB
replays only committed transactions from its write-ahead log).

Every price row records its source: the label of the ingest that last wrote it (see
:mod:`ipposaki.store.schema`).
"""

from __future__ import annotations

import logging
import math
import os
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ipposaki._typing import DateLike
from ipposaki.errors import (
    DuplicateRowWarning,
    InputError,
    StoreError,
    UnknownNameError,
    preview,
)
from ipposaki.instruments import (
    INSTRUMENT_COLUMNS,
    builtin_baskets,
    builtin_instruments,
    guess_exchange,
)
from ipposaki.results import Result, Summary, freeze, versions
from ipposaki.sources.files import Layout, read_price_file
from ipposaki.store.schema import APPLICATION_ID, SCHEMA_VERSION, ddl, upgrade
from ipposaki.store.transaction import transaction
from ipposaki.store.validate import (
    NonSessionPolicy,
    ValidationReport,
    session_gaps,
    validate_prices,
)

__all__ = [
    "DEFAULT_LOCK_TIMEOUT",
    "LOCK_TIMEOUT",
    "IngestResult",
    "Store",
    "check_lock_timeout",
    "default_store_path",
]

#: Seconds a store waits for another process's lock when neither the ``lock_timeout`` argument,
#: :data:`LOCK_TIMEOUT` (set by the CLI's ``--lock-timeout``) nor ``IPPOSAKI_LOCK_TIMEOUT`` says.
DEFAULT_LOCK_TIMEOUT = 30.0

#: The lock timeout of the code running now (the CLI sets it from ``--lock-timeout``).
LOCK_TIMEOUT: ContextVar[float | None] = ContextVar("ipposaki_lock_timeout", default=None)

_log = logging.getLogger("ipposaki.store")

_INST_SELECT = ", ".join(INSTRUMENT_COLUMNS)
_VALUE_COLUMNS = ("open", "high", "low", "close", "adj_close", "volume")
#: The columns of ``prices``, in order; ``source`` is missing from a schema-version-1 store.
_PRICE_COLUMNS = ("symbol", "session", *_VALUE_COLUMNS, "source")


def check_lock_timeout(value: object, argument: str = "lock_timeout") -> float:
    """Check a lock timeout: a finite number of seconds, 0 or more.

    Parameters
    ----------
    value : object
        The timeout given (a number, or text from the environment).
    argument : str, default "lock_timeout"
        The argument's name, for the message.

    Returns
    -------
    float
        The timeout in seconds.

    Raises
    ------
    InputError
        If it is not a finite number >= 0.
    """
    try:
        seconds = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        seconds = math.nan
    if not math.isfinite(seconds) or seconds < 0:
        raise InputError(argument, value, "a number of seconds >= 0")
    return seconds


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else "cannot be opened"


def _refuse_cell(frame: pd.DataFrame, pos: int, column: str, allowed: str, known: set[str]) -> None:
    """Raise a one-line error naming the file, line, column and value of ``frame``'s row."""
    from ipposaki.errors import DataValidationError, close_matches

    value = str(frame[column].iloc[pos])
    where = frame.attrs.get("where")
    at = f"{where[pos]}, " if where and pos < len(where) else ""
    hint = close_matches(value, sorted(known))
    suggestion = f" (did you mean {', '.join(hint)}?)" if hint else ""
    raise DataValidationError(
        str(frame.attrs.get("source", "input")),
        f"{at}column {column}: unknown symbol {value!r} is not allowed: expected {allowed}"
        f"{suggestion}",
    )


def _check_benchmarks(frame: pd.DataFrame, known: set[str]) -> None:
    """Refuse an instrument whose benchmark is neither in ``known`` nor in ``frame``."""
    known = known | set(frame["symbol"])
    unknown = ~frame["benchmark"].isin([*known, ""])
    if unknown.any():
        pos = int(unknown.to_numpy().argmax())
        _refuse_cell(frame, pos, "benchmark", "an instrument of the store or of this file", known)


def default_store_path() -> Path:
    """Return ``IPPOSAKI_STORE`` if set, else ``store.duckdb`` in the user data directory.

    Returns
    -------
    pathlib.Path
        The path of the default store file.
    """
    env = os.environ.get("IPPOSAKI_STORE")
    if env:
        return Path(env)
    import platformdirs

    return Path(platformdirs.user_data_dir("ipposaki", appauthor=False)) / "store.duckdb"


@dataclass(frozen=True)
class IngestResult(Result):
    """What one ingest did.

    Attributes
    ----------
    sources : tuple[str, ...]
        Files (or other sources) read.
    rows_read, rows_written : int
        Rows received, and rows written after validation.
    symbols : tuple[str, ...]
        Symbols written.
    new_instruments : tuple[str, ...]
        Symbols that were not in the instruments table and were added with guessed metadata.
    reports : tuple[ValidationReport, ...]
        Validation report per source.
    listed : Mapping[str, int] or None
        Rows of listed-company data written in the same transaction, by
        :func:`~ipposaki.sources.jquants.load_jquants` with ``listed=True`` (the counts of
        :func:`~ipposaki.store.listed.write_listed`); None otherwise. Read-only.
    """

    sources: tuple[str, ...]
    rows_read: int
    rows_written: int
    symbols: tuple[str, ...]
    new_instruments: tuple[str, ...] = ()
    reports: tuple[ValidationReport, ...] = field(default=(), repr=False)
    listed: Mapping[str, int] | None = None

    def __post_init__(self) -> None:
        if self.listed is not None:
            object.__setattr__(self, "listed", freeze(self.listed))

    @property
    def summary(self) -> Summary:
        """One paragraph saying what was written and what was found."""
        lines = [
            f"Imported {self.rows_written:,} rows for {len(self.symbols)} symbols "
            f"from {len(self.sources)} source(s) ({self.rows_read:,} rows read)."
        ]
        if self.new_instruments:
            lines.append(
                f"New instruments with guessed exchange: {preview(self.new_instruments, 8)}."
            )
        for rep in self.reports:
            if len(rep.missing_sessions):
                lines.append(
                    f"Sessions without a price (left missing): "
                    f"{int(rep.missing_sessions['missing'].sum())} in "
                    f"{len(rep.missing_sessions)} symbols."
                )
            if len(rep.split_like_moves):
                lines.append(f"Split-like moves (>=50%): {len(rep.split_like_moves)}.")
            if len(rep.non_sessions):
                lines.append(f"Rows on non-sessions skipped: {len(rep.non_sessions)}.")
            if rep.duplicates_collapsed:
                lines.append(f"Exact duplicate rows collapsed: {rep.duplicates_collapsed}.")
        return Summary.of("\n".join(lines))

    @property
    def manifest(self) -> Mapping[str, Any]:
        """Sources, row counts, symbols, new instruments, listed-company rows, versions."""
        return freeze(
            {
                "sources": self.sources,
                "rows_read": self.rows_read,
                "rows_written": self.rows_written,
                "symbols": self.symbols,
                "new_instruments": self.new_instruments,
                "listed": self.listed,
                "versions": versions(),
            }
        )

    def frames(self) -> dict[str, pd.DataFrame]:
        """``sources`` (one row per source: rows read and written and what validation found,
        the main table) and, when validation found any, ``missing_sessions``,
        ``split_like_moves`` and ``non_sessions`` (with a ``source`` column)."""
        rows = [
            {
                "source": source,
                "rows_read": rep.rows_in,
                "rows_written": rep.rows_out,
                "missing_sessions": int(rep.missing_sessions["missing"].sum())
                if len(rep.missing_sessions)
                else 0,
                "split_like_moves": len(rep.split_like_moves),
                "non_sessions": len(rep.non_sessions),
                "duplicates_collapsed": rep.duplicates_collapsed,
                "unchecked_rows": rep.unchecked_rows,
            }
            for source, rep in zip(self.sources, self.reports, strict=False)
        ]
        columns = list(rows[0]) if rows else ["source", "rows_read", "rows_written"]
        out = {"sources": pd.DataFrame(rows, columns=columns)}
        for name in ("missing_sessions", "split_like_moves", "non_sessions"):
            found = [
                getattr(rep, name).assign(source=source)
                for source, rep in zip(self.sources, self.reports, strict=False)
                if len(getattr(rep, name))
            ]
            if found:
                frame = pd.concat(found, ignore_index=True)
                out[name] = frame[["source", *[c for c in frame.columns if c != "source"]]]
        return out


@dataclass(frozen=True)
class PanelArrays:
    """Prices of a panel as an Arrow table of flat positions, plus each symbol's basis.

    :meth:`scatter` places one column into a (sessions x symbols) matrix chunk by chunk, so no
    column is ever copied whole into numpy.
    """

    table: Any
    has_adj: np.ndarray

    def scatter(self, column: str, shape: tuple[int, int]) -> np.ndarray:
        """Return a NaN matrix of ``shape`` holding ``column`` at its flat positions.

        Parameters
        ----------
        column : str
            ``"px"``, ``"open"``, ``"close"`` or ``"volume"``.
        shape : tuple[int, int]
            (sessions, symbols).

        Returns
        -------
        numpy.ndarray
            The matrix.
        """
        out = np.full(shape, np.nan)
        flat_out = out.reshape(-1)
        flats = self.table.column("flat").chunks
        values = self.table.column(column).chunks
        for flat, vals in zip(flats, values, strict=True):
            flat_out[flat.to_numpy()] = vals.to_numpy(zero_copy_only=False)
        return out


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
        if self._path.exists() and self._path.is_dir():
            raise InputError("store", str(self._path), "a file path, not a directory")

    @property
    def path(self) -> Path:
        """The store file."""
        return self._path

    def __repr__(self) -> str:
        return f"Store({str(self._path)!r})"

    # -- connections ---------------------------------------------------------------------------

    @contextmanager
    def _connect(self, write: bool) -> Iterator[Any]:
        import duckdb

        if not write and not self._path.exists():
            con = duckdb.connect(":memory:")
            self._create(con)
        else:
            if self._path.exists():
                self._check_file()
            self._path.parent.mkdir(parents=True, exist_ok=True)
            con = self._open(write)
            try:
                found = self._check_tables(con)
                if found is None:  # a DuckDB file with no tables: ours now
                    if write:
                        self._create(con)
                    else:
                        con.close()
                        con = duckdb.connect(":memory:")
                        self._create(con)
                elif write and not found[1]:
                    self._stamp(con)
            except BaseException:
                con.close()
                raise
        try:
            yield con
        finally:
            con.close()

    def _timeout(self) -> tuple[float, str]:
        """The lock timeout in seconds, and where it was set (for messages)."""
        if self._lock_timeout is not None:
            return self._lock_timeout, "`lock_timeout`"
        if LOCK_TIMEOUT.get() is not None:
            return float(LOCK_TIMEOUT.get() or 0), "`lock_timeout`"
        env = os.environ.get("IPPOSAKI_LOCK_TIMEOUT", "")
        if env.strip():
            return check_lock_timeout(env, "IPPOSAKI_LOCK_TIMEOUT"), "IPPOSAKI_LOCK_TIMEOUT"
        return DEFAULT_LOCK_TIMEOUT, "`lock_timeout`"

    def _open(self, write: bool) -> Any:
        """Connect, waiting up to the lock timeout (see :class:`Store`) for another's lock."""
        import time

        import duckdb

        timeout, setting = self._timeout()
        deadline = time.monotonic() + timeout
        delay = 0.05
        told = False
        while True:
            try:
                return duckdb.connect(str(self._path), read_only=not write)
            except duckdb.IOException as exc:
                text = str(exc)
                if "lock" not in text.lower():
                    raise StoreError(str(self._path), _first_line(text)) from None
                holder = text.split("Conflicting lock is held in", 1)[-1].split(". See")[0]
                who = f" (held by {holder.strip()})" if holder != text else ""
                if time.monotonic() >= deadline:
                    raise StoreError(
                        str(self._path),
                        f"busy: another process holds its lock{who}; waited {timeout:g} s "
                        f"({setting})",
                    ) from None
                if not told:
                    _log.warning(
                        "store %s is busy%s; waiting up to %g s for its lock (%s)",
                        self._path,
                        who,
                        timeout,
                        setting,
                    )
                    told = True
                time.sleep(min(delay, max(deadline - time.monotonic(), 0.0)))
                delay = min(delay * 2, 1.0)
            except duckdb.Error as exc:
                raise StoreError(str(self._path), _first_line(str(exc))) from None

    def _check_file(self) -> None:
        """Refuse a file that is not a DuckDB database (a CSV given as the store, say)."""
        with self._path.open("rb") as fh:
            head = fh.read(12)
        if head[8:12] != b"DUCK":
            what = "an empty file" if not head else "not a DuckDB database"
            raise StoreError(
                str(self._path),
                f"{what}; expected an ipposaki store (a DuckDB file) or a new path",
            )

    def _check_tables(self, con: Any) -> tuple[str, bool] | None:
        """Return the store's schema version and whether it carries the application id, or
        None for a DuckDB file with no tables.

        Raises
        ------
        StoreError
            If the file holds tables but not ipposaki's ``meta``, belongs to another
            application, or has a newer schema version.
        """
        tables = sorted(
            r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()
        )
        if not tables:
            return None
        if "meta" not in tables:
            raise StoreError(
                str(self._path),
                f"not an ipposaki store: it holds other tables ({preview(tables)}) and no "
                "ipposaki meta table; give another `store`",
            )
        try:
            meta = dict(
                con.execute(
                    "SELECT key, value FROM meta WHERE key IN ('application_id', 'schema_version')"
                ).fetchall()
            )
        except Exception:  # a foreign table that happens to be called meta
            meta = {}
        app = meta.get("application_id", APPLICATION_ID)  # stores before 0.x had no id
        version = meta.get("schema_version")
        if app != APPLICATION_ID or version is None:
            raise StoreError(
                str(self._path),
                f"not an ipposaki store: its meta table has application_id={app!r} and "
                f"schema_version={version!r}; give another `store`",
            )
        if not str(version).isdigit() or int(version) > int(SCHEMA_VERSION):
            raise StoreError(
                str(self._path),
                f"schema version {version} is newer than this ipposaki's "
                f"({SCHEMA_VERSION}); upgrade ipposaki to use it",
            )
        return str(version), "application_id" in meta

    @staticmethod
    def _stamp(con: Any) -> None:
        """Record the application id in a store made before it was written."""
        con.execute(
            "INSERT INTO meta SELECT 'application_id', ? WHERE NOT EXISTS "
            "(SELECT 1 FROM meta WHERE key = 'application_id')",
            [APPLICATION_ID],
        )

    @staticmethod
    def _create(con: Any) -> None:
        """Create the tables and load the built-in universe, once, in one transaction."""
        with transaction(con):
            for stmt in ddl():
                con.execute(stmt)
            inst = builtin_instruments()
            con.register("_inst", inst)
            con.execute(
                f"INSERT INTO instruments SELECT {', '.join(INSTRUMENT_COLUMNS)} FROM _inst"
            )
            con.unregister("_inst")
            bask = builtin_baskets()
            con.register("_bask", bask)
            con.execute("INSERT INTO baskets SELECT basket, symbol, name, name_ja FROM _bask")
            con.unregister("_bask")
            con.execute("INSERT INTO meta VALUES ('schema_version', ?)", [SCHEMA_VERSION])
            con.execute("INSERT INTO meta VALUES ('application_id', ?)", [APPLICATION_ID])

    def _query(self, sql: str, params: Sequence[object] = ()) -> pd.DataFrame:
        with self._connect(write=False) as con:
            return con.execute(sql, list(params)).df()

    # -- reading -------------------------------------------------------------------------------

    def instruments(self) -> pd.DataFrame:
        """Return the instruments table, one row per symbol, sorted by symbol."""
        return self._query("SELECT * FROM instruments ORDER BY symbol").fillna("")

    def exchange_map(self) -> pd.Series:
        """Return a Series mapping each known symbol to its exchange (``""`` for FX)."""
        inst = self.instruments()
        return pd.Series(inst["exchange"].to_numpy(), index=inst["symbol"].to_numpy())

    def baskets(self) -> pd.DataFrame:
        """Return the baskets table: basket, symbol, name, name_ja."""
        return self._query("SELECT * FROM baskets ORDER BY basket, symbol")

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
        return self._query("SELECT DISTINCT symbol FROM prices ORDER BY symbol")["symbol"].tolist()

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
        """The select list of every column of :data:`_PRICE_COLUMNS`, in order: ``source`` is
        a typed NULL in a store of schema version 1, which has no such column."""
        has_source = con.execute(
            "SELECT count(*) FROM duckdb_columns() WHERE table_name = 'prices' "
            "AND column_name = 'source'"
        ).fetchall()[0][0]
        prefix = f"{alias}." if alias else ""
        cols = [f"{prefix}{c}" for c in _PRICE_COLUMNS[:-1]]
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
        if not paths:
            raise InputError("paths", list(paths), "at least one CSV or Parquet file")
        files: list[Path] = []
        for p in map(Path, paths):
            if p.is_dir():  # a partitioned Parquet directory (``data export``): its files
                from ipposaki.store.parquet import check_parquet_dir

                files += check_parquet_dir(p)[0]  # one schema, or the odd file is named
            else:
                files.append(p)
        frames = [(str(p), read_price_file(p, layout)) for p in files]
        return self._ingest(frames, non_sessions, replace_rows)

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
        rows = rows.copy()
        for col in ("open", "high", "low", "close", "adj_close", "volume"):
            if col not in rows.columns:
                rows[col] = np.nan
            rows[col] = rows[col].astype(np.float64)
        if "currency" not in rows.columns:
            rows["currency"] = ""
        if "line" not in rows.columns:
            rows["line"] = np.arange(len(rows), dtype=np.int64) + 1
        rows["session"] = pd.to_datetime(rows["session"]).astype("datetime64[s]")
        return self._ingest(
            [(source, rows)], non_sessions, instruments=instruments, before_commit=before_commit
        )

    def _ingest(
        self,
        frames: list[tuple[str, pd.DataFrame]],
        non_sessions: NonSessionPolicy,
        replace_rows: bool = False,
        instruments: pd.DataFrame | None = None,
        before_commit: Callable[[Any], object] | None = None,
    ) -> IngestResult:
        known = self.instruments()
        given = pd.DataFrame(columns=list(INSTRUMENT_COLUMNS))
        if instruments is not None and len(instruments):
            given = instruments.loc[~instruments["symbol"].isin(known["symbol"])]
            given = given.loc[:, list(INSTRUMENT_COLUMNS)].reset_index(drop=True)
            _check_benchmarks(given, set(known["symbol"]))
            known = pd.concat([known, given], ignore_index=True)
        exchange_of = pd.Series(known["exchange"].to_numpy(), index=known["symbol"].to_numpy())
        incoming = sorted(set().union(*(set(f["symbol"].unique()) for _, f in frames)))
        new = [s for s in incoming if s not in exchange_of.index]
        exchange_of = pd.concat(
            [exchange_of, pd.Series([guess_exchange(s) for s in new], index=new, dtype=object)]
        )
        exempt = frozenset(known.loc[known["kind"].isin(["index", "fx"]), "symbol"])
        exempt = exempt | frozenset(s for s in new if guess_exchange(s) == "")
        cleaned: list[pd.DataFrame] = []
        reports: list[ValidationReport] = []
        for source, rows in frames:
            good, report = validate_prices(rows, exchange_of, source, non_sessions, exempt)
            cleaned.append(good)
            reports.append(report)
        batch = pd.concat(cleaned, ignore_index=True) if len(cleaned) > 1 else cleaned[0]
        # Which frame each row of the batch came from: its source label, per row.
        origin = np.repeat(np.arange(len(cleaned), dtype=np.int32), [len(g) for g in cleaned])
        if len(cleaned) > 1:
            dup = batch.duplicated(["symbol", "session"], keep="last")
            if dup.any():
                first = batch.loc[dup].iloc[0]
                warnings.warn(
                    f"{int(dup.sum())} rows appear in more than one file; the last file wins "
                    f"(first: {first['symbol']} {first['session'].date()})",
                    DuplicateRowWarning,
                    stacklevel=3,
                )
                batch = batch.loc[~dup]
                origin = origin[~dup.to_numpy()]
        guessed = self._new_instruments(batch, new)
        given = given.loc[given["symbol"].isin(batch["symbol"].unique())]
        new_inst = pd.concat([given, guessed], ignore_index=True) if len(given) else guessed
        self._write(batch, new_inst, [s for s, _ in frames], origin, replace_rows, before_commit)
        return IngestResult(
            sources=tuple(s for s, _ in frames),
            rows_read=sum(r.rows_in for r in reports),
            rows_written=len(batch),
            symbols=tuple(sorted(batch["symbol"].unique())),
            new_instruments=tuple(guessed["symbol"]),
            reports=tuple(reports),
        )

    @staticmethod
    def _new_instruments(batch: pd.DataFrame, new: list[str]) -> pd.DataFrame:
        """Instruments for the new symbols that still have rows after validation (a symbol
        whose rows were all skipped as non-sessions does not become an instrument)."""
        kept = set(batch["symbol"].unique())
        new = [s for s in new if s in kept]
        if not new:
            return pd.DataFrame(columns=list(INSTRUMENT_COLUMNS))
        cur = batch.loc[batch["symbol"].isin(new)].groupby("symbol")["currency"].first()
        frame = pd.DataFrame({"symbol": new})
        for col in INSTRUMENT_COLUMNS[1:]:
            frame[col] = ""
        frame["name"] = frame["symbol"]
        frame["name_ja"] = frame["symbol"]
        frame["exchange"] = frame["symbol"].map(guess_exchange)
        frame["currency"] = [str(cur.get(sym, "") or "") for sym in new]  # one per new symbol
        frame["kind"] = np.where(frame["exchange"] == "", "fx", "")
        return frame

    def _write(
        self,
        batch: pd.DataFrame,
        new_inst: pd.DataFrame,
        sources: list[str],
        origin: np.ndarray,
        replace_rows: bool = False,
        before_commit: Callable[[Any], object] | None = None,
    ) -> None:
        """Merge the batch's (symbol, session) rows and record its sources, atomically.

        A column the batch leaves empty keeps its stored value, so a file of closes only never
        wipes a stored row's open, high, low, adjusted close or volume; with ``replace_rows``
        the batch's rows replace the stored ones whole. Either way each row written records
        ``sources[origin[i]]`` as its source, merged or not. A store of an older schema is
        upgraded (:func:`~ipposaki.store.schema.upgrade`) in the same transaction, first.
        ``before_commit(con)`` writes more in the same transaction, last.
        """
        import pyarrow as pa

        write = ("symbol", "session", *_VALUE_COLUMNS)
        table = pa.Table.from_pandas(batch.loc[:, list(write)], preserve_index=False).cast(
            pa.schema(
                [("symbol", pa.string()), ("session", pa.date32())]
                + [(c, pa.float64()) for c in _VALUE_COLUMNS]
            )
        )
        # One label per source, one small index per row: DuckDB reads it as VARCHAR.
        labels = pa.DictionaryArray.from_arrays(
            pa.array(origin, pa.int32()), pa.array(sources, pa.string())
        )
        table = table.append_column("source", labels)
        with self._connect(write=True) as con:
            con.register("_batch", table)
            with transaction(con):
                self._upgrade(con)
                if len(new_inst):
                    con.register("_new", new_inst)
                    con.execute(
                        f"INSERT INTO instruments SELECT {', '.join(INSTRUMENT_COLUMNS)} FROM _new "
                        "WHERE symbol NOT IN (SELECT symbol FROM instruments)"
                    )
                # Merge, never wipe: a column the batch leaves empty (absent from the file, or a
                # blank cell) keeps the stored value of that (symbol, session).
                keep = "b.{c} AS {c}" if replace_rows else "coalesce(b.{c}, p.{c}) AS {c}"
                merged = ", ".join(keep.format(c=c) for c in _VALUE_COLUMNS)
                # The row's source is this ingest's, whether it merged with a stored row or not.
                con.execute(
                    "CREATE TEMP TABLE _merged AS SELECT b.symbol, b.session, "
                    f"{merged}, b.source::VARCHAR AS source FROM _batch b LEFT JOIN prices p "
                    "ON p.symbol = b.symbol AND p.session = b.session"
                )
                con.execute(
                    "DELETE FROM prices USING _batch "
                    "WHERE prices.symbol = _batch.symbol AND prices.session = _batch.session"
                )
                columns = ", ".join(_PRICE_COLUMNS)
                con.execute(f"INSERT INTO prices ({columns}) SELECT {columns} FROM _merged")
                con.execute("DROP TABLE _merged")
                for source in sources:
                    con.execute(
                        "INSERT OR REPLACE INTO meta VALUES (?, ?)",
                        [f"source:{source}", str(len(batch))],
                    )
                if before_commit is not None:
                    before_commit(con)

    @staticmethod
    def _upgrade(con: Any) -> None:
        """Bring a store of an older schema version up to this one, inside the caller's
        transaction: a version-1 store gains ``prices.source`` (NULL for its rows)."""
        # fetchall, not fetchone: an unfinished result would block the next register().
        version = con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchall()
        if version and version[0][0] == SCHEMA_VERSION:
            return
        for stmt in upgrade():
            con.execute(stmt)
        con.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", [SCHEMA_VERSION])

    def add_instruments(self, frame: pd.DataFrame) -> int:
        """Insert or replace instruments (columns of :data:`INSTRUMENT_COLUMNS`).

        Parameters
        ----------
        frame : pandas.DataFrame
            Instruments, e.g. from :func:`~ipposaki.instruments.read_instruments`.

        Returns
        -------
        int
            Rows written.
        """
        _check_benchmarks(frame, set(self.instruments()["symbol"]))
        frame = frame.loc[:, list(INSTRUMENT_COLUMNS)]
        with self._connect(write=True) as con:
            with transaction(con):
                self._put_instruments(con, frame)
        return len(frame)

    @staticmethod
    def _put_instruments(con: Any, frame: pd.DataFrame) -> None:
        """Replace ``frame``'s instruments inside the caller's transaction."""
        con.register("_inst", frame.loc[:, list(INSTRUMENT_COLUMNS)])
        con.execute("DELETE FROM instruments WHERE symbol IN (SELECT symbol FROM _inst)")
        con.execute(f"INSERT INTO instruments SELECT {', '.join(INSTRUMENT_COLUMNS)} FROM _inst")
        con.unregister("_inst")

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
            _refuse_cell(
                frame,
                pos,
                "symbol",
                "an instrument of the store (add it with 'data instruments' first)",
                known,
            )
        frame = frame.loc[:, ["basket", "symbol", "name", "name_ja"]]
        with self._connect(write=True) as con:
            with transaction(con):
                self._put_baskets(con, frame)
        return len(frame)

    @staticmethod
    def _put_baskets(con: Any, frame: pd.DataFrame) -> None:
        """Replace ``frame``'s baskets whole inside the caller's transaction."""
        con.register("_b", frame.loc[:, ["basket", "symbol", "name", "name_ja"]])
        con.execute("DELETE FROM baskets WHERE basket IN (SELECT basket FROM _b)")
        con.execute("INSERT INTO baskets SELECT basket, symbol, name, name_ja FROM _b")
        con.unregister("_b")

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
