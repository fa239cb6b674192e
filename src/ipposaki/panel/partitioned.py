"""Prices as a partitioned Parquet directory, read in slices through DuckDB.

A directory written by :func:`export_partitioned` (``ipposaki data export --parquet DIR``) or by
``benchmarks/make_panel.py`` holds long rows ``symbol, session, close`` (plus any other price
columns), split into Hive partitions such as ``exchange=XNYS/year=2025/``. The event-study
engine and its Dask backend read it in slices: only the symbols and sessions a block of pairs
needs, so no process holds the whole panel.

Returns are simple returns from one session's close to the next on the directory's session grid
(every session that holds a price, or those of one exchange). A missing close leaves both
returns around it missing: nothing is filled and no return spans a gap.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ipposaki.errors import InputError

__all__ = ["PARTITION_KEYS", "PartitionedPrices", "export_partitioned"]

#: Partition columns ``--partition-by`` accepts; ``bucket`` is a hash of the symbol mod 16.
PARTITION_KEYS = ("exchange", "year", "bucket")


def export_partitioned(store: Any, path: str | Path, partition_by: Sequence[str]) -> Path:
    """Write the store's prices as Hive-partitioned Parquet, atomically.

    Parameters
    ----------
    store : ipposaki.store.Store
        The store to export.
    path : str or Path
        Target directory; it must not exist yet, and appears only once complete.
    partition_by : sequence of str
        Partition columns out of ``exchange``, ``year`` and ``bucket`` (symbol hash mod 16).

    Returns
    -------
    Path
        The directory written.

    Raises
    ------
    InputError
        For an unknown partition column or an existing target.
    """
    keys = [k.strip() for k in partition_by if k.strip()]
    for key in keys or [""]:
        if key not in PARTITION_KEYS:
            raise InputError("--partition-by", key, f"a list out of {', '.join(PARTITION_KEYS)}")
    target = Path(path)
    if target.exists():
        raise InputError("--parquet", str(target), "a directory that does not exist yet")
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        with store._connect(write=False) as con:
            con.execute(
                f"""
                COPY (
                    SELECT p.*, coalesce(i.exchange, 'unknown') AS exchange,
                           year(p.session) AS year, hash(p.symbol) % 16 AS bucket
                    FROM prices p LEFT JOIN instruments i USING (symbol)
                    ORDER BY p.symbol, p.session
                ) TO '{staging / "data"}'
                (FORMAT PARQUET, PARTITION_BY ({", ".join(keys)}))
                """
            )
        os.replace(staging / "data", target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


class PartitionedPrices:
    """A partitioned Parquet price directory, read in slices.

    Parameters
    ----------
    path : str or Path
        The directory.
    exchange : str, optional
        Keep one exchange (the ``exchange`` partition or column); its sessions form the grid.

    Raises
    ------
    InputError
        When the directory holds no Parquet file, or a file lacks ``symbol``, ``session`` or
        ``close`` or types them differently from the others (the file is named).
    """

    def __init__(self, path: str | Path, exchange: str | None = None) -> None:
        import pyarrow.parquet as pq

        self.path = Path(path)
        files = sorted(self.path.rglob("*.parquet"))
        if not files:
            raise InputError("--parquet", str(self.path), "a directory holding .parquet files")
        first: dict[str, str] = {}
        digest = hashlib.blake2b(digest_size=16)
        for file in files:
            schema = pq.read_schema(file)
            types = {
                name: str(schema.field(name).type)
                for name in ("symbol", "session", "close")
                if name in schema.names
            }
            if len(types) < 3:
                missing = sorted({"symbol", "session", "close"} - set(types))
                raise InputError(
                    "--parquet", str(file), f"files with columns symbol, session, close ({missing})"
                )
            if not first:
                first = types
            elif types != first:
                raise InputError(
                    "--parquet", str(file), f"the same column types as the other files ({first})"
                )
            stat = file.stat()
            digest.update(
                f"{file.relative_to(self.path)}:{stat.st_size}:{stat.st_mtime_ns}".encode()
            )
        self._hive = self._hive_keys(files)
        if exchange is not None and "exchange" not in set(schema.names) | set(self._hive):
            raise InputError(
                "--exchange", exchange, "no exchange filter: the files have no exchange"
            )
        self.exchange = exchange
        self.fingerprint = digest.hexdigest()
        where, params = ("WHERE exchange = ?", [exchange]) if exchange is not None else ("", [])
        scan = f"FROM {self._scan()} {where} ORDER BY 1"
        grid = self._query(f"SELECT DISTINCT session {scan}", params)
        symbols = self._query(f"SELECT DISTINCT symbol {scan}", params)
        sessions = pd.DatetimeIndex(pd.to_datetime(grid["session"]).to_numpy(), name="session")
        self.sessions = sessions.as_unit("ns")  # the unit the store and the panels use
        self.symbols = [str(s) for s in symbols["symbol"]]

    def __repr__(self) -> str:
        return (
            f"PartitionedPrices({str(self.path)!r}, {len(self.symbols)} symbols, "
            f"{len(self.sessions)} sessions)"
        )

    def _hive_keys(self, files: list[Path]) -> list[str]:
        parts = {p for f in files for p in f.relative_to(self.path).parts[:-1] if "=" in p}
        return sorted({p.split("=")[0] for p in parts})

    def _scan(self) -> str:
        hive = "true" if self._hive else "false"
        return f"read_parquet('{self.path.as_posix()}/**/*.parquet', hive_partitioning={hive})"

    def _query(self, sql: str, params: Sequence[object] = (), **tables: Any) -> pd.DataFrame:
        import duckdb

        con = duckdb.connect(":memory:")
        try:
            for name, table in tables.items():
                con.register(name, table)
            return con.execute(sql, list(params)).df()
        finally:
            con.close()

    def read(self, columns: np.ndarray, lo: int, hi: int) -> np.ndarray:
        """Returns of symbols ``columns`` (positions in :attr:`symbols`) on sessions ``lo..hi``.

        Returns
        -------
        numpy.ndarray
            ``(len(columns), hi - lo + 1)`` simple returns; NaN where a close is missing.
        """
        first = max(lo - 1, 0)  # the close before the first session, for its return
        grid = self.sessions[first : hi + 1]
        names = pd.DataFrame({"symbol": [self.symbols[int(c)] for c in columns]})
        conditions = ["session BETWEEN ? AND ?", "symbol IN (SELECT symbol FROM wanted)"]
        params: list[object] = [grid[0].date(), grid[-1].date()]
        if "year" in self._hive:  # prune partitions before reading them
            conditions.append(f"year BETWEEN {grid[0].year} AND {grid[-1].year}")
        if self.exchange is not None:
            conditions.append("exchange = ?")
            params.append(self.exchange)
        sql = f"SELECT symbol, session, close FROM {self._scan()} WHERE {' AND '.join(conditions)}"
        rows = self._query(sql, params, wanted=names)
        closes = np.full((len(columns), len(grid)), np.nan)
        row = pd.Index(names["symbol"]).get_indexer(rows["symbol"])
        col = grid.get_indexer(pd.DatetimeIndex(rows["session"]))
        ok = (row >= 0) & (col >= 0)
        closes[row[ok], col[ok]] = rows["close"].to_numpy(np.float64)[ok]
        with np.errstate(invalid="ignore", divide="ignore"):
            ret = closes[:, 1:] / closes[:, :-1] - 1.0
        if lo == 0:  # the first session has no previous close
            ret = np.concatenate([np.full((len(columns), 1), np.nan), ret], axis=1)
        return ret

    def frame(self) -> pd.DataFrame:
        """Every return as a sessions x symbols frame (what the local backend reads)."""
        values = self.read(np.arange(len(self.symbols)), 0, len(self.sessions) - 1)
        return pd.DataFrame(values.T, index=self.sessions, columns=self.symbols)
