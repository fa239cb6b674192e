"""Prices as Hive-partitioned Parquet: writing the store's prices out, and checking a directory.

:func:`export_partitioned` writes ``ipposaki data export --parquet DIR`` (the columns of
:meth:`ipposaki.store.Store.prices`, ``source`` included, and the partition columns);
:func:`check_parquet_dir` checks that every file of a directory has ``symbol``, ``session`` and
``close`` typed alike (the import of such a directory, and
:class:`ipposaki.panel.partitioned.PartitionedPrices`, which reads it in slices, use it).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ipposaki.errors import InputError
from ipposaki.outdir import check_writable

__all__ = ["PARTITION_KEYS", "check_parquet_dir", "export_partitioned"]

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
            raise InputError("partition_by", key, f"a list out of {', '.join(PARTITION_KEYS)}")
    if len(set(keys)) != len(keys):
        raise InputError("partition_by", ",".join(keys), "each partition column once")
    target = Path(path)
    if target.exists():
        raise InputError("path", str(target), "a directory that does not exist yet")
    check_writable(target, "path")  # not under a file, nor in a folder we cannot write to
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        with store._connect(write=False) as con:
            select = store._price_select(con, "p")  # with each row's source
            con.execute(
                f"""
                COPY (
                    SELECT {select}, coalesce(i.exchange, 'unknown') AS exchange,
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


def check_parquet_dir(path: Path) -> tuple[list[Path], set[str], str]:
    """The Parquet files of a directory, after checking that they agree on their key columns.

    Parameters
    ----------
    path : pathlib.Path
        The directory.

    Returns
    -------
    tuple[list[pathlib.Path], set[str], str]
        The files (sorted), the union of their column names, and a fingerprint of their names,
        sizes and modification times.

    Raises
    ------
    InputError
        When the directory holds no Parquet file, or a file lacks ``symbol``, ``session`` or
        ``close`` or types them differently from the others (the file is named).
    """
    import pyarrow.parquet as pq

    files = sorted(path.rglob("*.parquet"))
    if not files:
        raise InputError("path", str(path), "a directory holding .parquet files")
    first: dict[str, str] = {}
    names: set[str] = set()
    digest = hashlib.blake2b(digest_size=16)
    for file in files:
        schema = pq.read_schema(file)
        names |= set(schema.names)
        types = {
            name: str(schema.field(name).type)
            for name in ("symbol", "session", "close")
            if name in schema.names
        }
        if len(types) < 3:
            missing = sorted({"symbol", "session", "close"} - set(types))
            raise InputError(
                "path", str(file), f"files with columns symbol, session, close ({missing})"
            )
        if not first:
            first = types
        elif types != first:
            raise InputError(
                "path", str(file), f"the same column types as the other files ({first})"
            )
        stat = file.stat()
        digest.update(f"{file.relative_to(path)}:{stat.st_size}:{stat.st_mtime_ns}".encode())
    return files, names, digest.hexdigest()
