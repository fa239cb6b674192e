"""The ingest path of the store: price rows read and validated, then written in one transaction.

Every ingest validates *all* its input before it opens the store for writing, and writes in one
transaction: a failed ingest leaves the file byte-for-byte as it was, and a process killed
mid-write leaves it as before or as after (DuckDB replays only committed transactions from its
write-ahead log). Each row written records the label of its source (see
:mod:`ipposaki.store.schema`). :class:`~ipposaki.store.Store` calls these; they are not public.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ipposaki.errors import DuplicateRowWarning, InputError
from ipposaki.instruments import INSTRUMENT_COLUMNS, guess_exchange
from ipposaki.sources.files import Layout, read_price_file
from ipposaki.store.refusals import check_benchmarks
from ipposaki.store.results import IngestResult
from ipposaki.store.schema import PRICE_COLUMNS, PRICE_VALUES, SCHEMA_VERSION, upgrade
from ipposaki.store.transaction import transaction
from ipposaki.store.validate import NonSessionPolicy, ValidationReport, validate_prices

if TYPE_CHECKING:
    from ipposaki.store.store import Store

__all__ = [
    "canonical_rows",
    "ingest_frames",
    "put_baskets",
    "put_instruments",
    "read_price_files",
    "upgrade_schema",
]


def read_price_files(paths: Sequence[str | Path], layout: Layout) -> list[tuple[str, pd.DataFrame]]:
    """Read price files, and the files of partitioned Parquet directories, as (label, rows).

    Raises
    ------
    InputError
        If ``paths`` is empty.
    DataValidationError
        If a file cannot be read as prices, or a directory's files differ in schema.
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
    return [(str(p), read_price_file(p, layout)) for p in files]


def canonical_rows(rows: pd.DataFrame) -> pd.DataFrame:
    """A copy of price rows from any source with every column the validation reads: float
    price columns (NaN when absent), ``currency`` (blank), ``line`` (1, 2, ...) and
    second-resolution sessions."""
    rows = rows.copy()
    for col in PRICE_VALUES:
        if col not in rows.columns:
            rows[col] = np.nan
        rows[col] = rows[col].astype(np.float64)
    if "currency" not in rows.columns:
        rows["currency"] = ""
    if "line" not in rows.columns:
        rows["line"] = np.arange(len(rows), dtype=np.int64) + 1
    rows["session"] = pd.to_datetime(rows["session"]).astype("datetime64[s]")
    return rows


def ingest_frames(
    store: Store,
    frames: list[tuple[str, pd.DataFrame]],
    non_sessions: NonSessionPolicy,
    replace_rows: bool = False,
    instruments: pd.DataFrame | None = None,
    before_commit: Callable[[Any], object] | None = None,
) -> IngestResult:
    """Validate every frame of (source label, rows), then write them all in one transaction.

    The arguments are those of :meth:`~ipposaki.store.Store.ingest` and
    :meth:`~ipposaki.store.Store.import_files`, which call it directly: its duplicate-row
    warning points at their caller.
    """
    known = store.instruments()
    given = pd.DataFrame(columns=list(INSTRUMENT_COLUMNS))
    if instruments is not None and len(instruments):
        given = instruments.loc[~instruments["symbol"].isin(known["symbol"])]
        given = given.loc[:, list(INSTRUMENT_COLUMNS)].reset_index(drop=True)
        check_benchmarks(given, set(known["symbol"]))
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
    guessed = _new_instruments(batch, new)
    given = given.loc[given["symbol"].isin(batch["symbol"].unique())]
    new_inst = pd.concat([given, guessed], ignore_index=True) if len(given) else guessed
    _write(store, batch, new_inst, [s for s, _ in frames], origin, replace_rows, before_commit)
    return IngestResult(
        sources=tuple(s for s, _ in frames),
        rows_read=sum(r.rows_in for r in reports),
        rows_written=len(batch),
        symbols=tuple(sorted(batch["symbol"].unique())),
        new_instruments=tuple(guessed["symbol"]),
        reports=tuple(reports),
    )


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
    store: Store,
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

    write = ("symbol", "session", *PRICE_VALUES)
    table = pa.Table.from_pandas(batch.loc[:, list(write)], preserve_index=False).cast(
        pa.schema(
            [("symbol", pa.string()), ("session", pa.date32())]
            + [(c, pa.float64()) for c in PRICE_VALUES]
        )
    )
    # One label per source, one small index per row: DuckDB reads it as VARCHAR.
    labels = pa.DictionaryArray.from_arrays(
        pa.array(origin, pa.int32()), pa.array(sources, pa.string())
    )
    table = table.append_column("source", labels)
    with store._connect(write=True) as con:
        con.register("_batch", table)
        with transaction(con):
            upgrade_schema(con)
            if len(new_inst):
                con.register("_new", new_inst)
                con.execute(
                    f"INSERT INTO instruments SELECT {', '.join(INSTRUMENT_COLUMNS)} FROM _new "
                    "WHERE symbol NOT IN (SELECT symbol FROM instruments)"
                )
            # Merge, never wipe: a column the batch leaves empty (absent from the file, or a
            # blank cell) keeps the stored value of that (symbol, session).
            keep = "b.{c} AS {c}" if replace_rows else "coalesce(b.{c}, p.{c}) AS {c}"
            merged = ", ".join(keep.format(c=c) for c in PRICE_VALUES)
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
            columns = ", ".join(PRICE_COLUMNS)
            con.execute(f"INSERT INTO prices ({columns}) SELECT {columns} FROM _merged")
            con.execute("DROP TABLE _merged")
            for source in sources:
                con.execute(
                    "INSERT OR REPLACE INTO meta VALUES (?, ?)",
                    [f"source:{source}", str(len(batch))],
                )
            if before_commit is not None:
                before_commit(con)


def upgrade_schema(con: Any) -> None:
    """Bring a store of an older schema version up to this one, inside the caller's
    transaction: a version-1 store gains ``prices.source`` (NULL for its rows)."""
    # fetchall, not fetchone: an unfinished result would block the next register().
    version = con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchall()
    if version and version[0][0] == SCHEMA_VERSION:
        return
    for stmt in upgrade():
        con.execute(stmt)
    con.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", [SCHEMA_VERSION])


def put_instruments(con: Any, frame: pd.DataFrame) -> None:
    """Replace ``frame``'s instruments inside the caller's transaction."""
    con.register("_inst", frame.loc[:, list(INSTRUMENT_COLUMNS)])
    con.execute("DELETE FROM instruments WHERE symbol IN (SELECT symbol FROM _inst)")
    con.execute(f"INSERT INTO instruments SELECT {', '.join(INSTRUMENT_COLUMNS)} FROM _inst")
    con.unregister("_inst")


def put_baskets(con: Any, frame: pd.DataFrame) -> None:
    """Replace ``frame``'s baskets whole inside the caller's transaction."""
    con.register("_b", frame.loc[:, ["basket", "symbol", "name", "name_ja"]])
    con.execute("DELETE FROM baskets WHERE basket IN (SELECT basket FROM _b)")
    con.execute("INSERT INTO baskets SELECT basket, symbol, name, name_ja FROM _b")
    con.unregister("_b")
