"""One transaction on a DuckDB connection: every write of the store goes through it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

__all__ = ["rollback", "transaction"]


def rollback(con: Any) -> None:
    """Roll back if a transaction is still open, never hiding the error that caused it."""
    try:
        con.execute("ROLLBACK")
    except Exception:  # the original error is the one to report
        pass


@contextmanager
def transaction(con: Any) -> Iterator[Any]:
    """``BEGIN``, then ``COMMIT`` when the block ends, or ``ROLLBACK`` when it raises.

    A failed ``COMMIT`` has rolled back already; its error is the one raised.

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection
        An open connection with no transaction in progress.

    Examples
    --------
    >>> import duckdb
    >>> con = duckdb.connect()
    >>> _ = con.execute("CREATE TABLE t (x INTEGER)")
    >>> try:
    ...     with transaction(con):
    ...         _ = con.execute("INSERT INTO t VALUES (1)")
    ...         raise ValueError("stop")
    ... except ValueError:
    ...     pass
    >>> con.execute("SELECT count(*) FROM t").fetchone()[0]
    0
    """
    con.execute("BEGIN TRANSACTION")
    try:
        yield con
        con.execute("COMMIT")
    except BaseException:
        rollback(con)
        raise
