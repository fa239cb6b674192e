"""Opening the store file: where it lives, its lock timeout, and the checks and creation of its
tables.

Each operation opens its own short-lived connection (:func:`connect`), so several processes can
take turns and a reader never holds the writer's lock for long. A connection to a busy file
waits up to the lock timeout for the other process's lock, then fails naming it.
"""

from __future__ import annotations

import logging
import math
import os
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any

from ipposaki.errors import InputError, StoreError, preview
from ipposaki.instruments import INSTRUMENT_COLUMNS, builtin_baskets, builtin_instruments
from ipposaki.store.schema import APPLICATION_ID, SCHEMA_VERSION, ddl
from ipposaki.store.transaction import transaction

__all__ = [
    "DEFAULT_LOCK_TIMEOUT",
    "LOCK_TIMEOUT",
    "check_lock_timeout",
    "connect",
    "default_store_path",
]

#: Seconds a store waits for another process's lock when neither the ``lock_timeout`` argument,
#: :data:`LOCK_TIMEOUT` (set by the CLI's ``--lock-timeout``) nor ``IPPOSAKI_LOCK_TIMEOUT`` says.
DEFAULT_LOCK_TIMEOUT = 30.0

#: The lock timeout of the code running now (the CLI sets it from ``--lock-timeout``).
LOCK_TIMEOUT: ContextVar[float | None] = ContextVar("ipposaki_lock_timeout", default=None)

_log = logging.getLogger("ipposaki.store")


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


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else "cannot be opened"


@contextmanager
def connect(path: Path, write: bool, lock_timeout: float | None = None) -> Iterator[Any]:
    """Open the store file ``path`` for one operation, creating its tables when it has none.

    A reader of a missing file, or of a DuckDB file with no tables, gets an in-memory store of
    the built-in universe; a writer creates the file and its tables. A writer also stamps the
    application id on a store made before it was recorded.

    Parameters
    ----------
    path : pathlib.Path
        The store file.
    write : bool
        Whether to open it for writing.
    lock_timeout : float, optional
        Seconds to wait for another process's lock (see :class:`~ipposaki.store.Store`).

    Yields
    ------
    duckdb.DuckDBPyConnection
        The connection, closed on exit.

    Raises
    ------
    StoreError
        If the file is not an ipposaki store, is of a newer schema, or stays locked.
    """
    import duckdb

    if not write and not path.exists():
        con = duckdb.connect(":memory:")
        _create(con)
    else:
        if path.exists():
            _check_file(path)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:  # a parent is a file, or cannot be created here
            clash = next((p for p in path.parents if p.exists() and not p.is_dir()), None)
            why = f"{clash} is a file" if clash is not None else exc.strerror
            raise StoreError(
                str(path), f"its folder cannot be created ({why}); choose another path"
            ) from None
        con = _open(path, write, lock_timeout)
        try:
            found = _check_tables(con, path)
            if found is None:  # a DuckDB file with no tables: ours now
                if write:
                    _create(con)
                else:
                    con.close()
                    con = duckdb.connect(":memory:")
                    _create(con)
            elif write and not found[1]:
                _stamp(con)
        except BaseException:
            con.close()
            raise
    try:
        yield con
    finally:
        con.close()


def _timeout(lock_timeout: float | None) -> tuple[float, str]:
    """The lock timeout in seconds, and where it was set (for messages)."""
    if lock_timeout is not None:
        return lock_timeout, "`lock_timeout`"
    if LOCK_TIMEOUT.get() is not None:
        return float(LOCK_TIMEOUT.get() or 0), "`lock_timeout`"
    env = os.environ.get("IPPOSAKI_LOCK_TIMEOUT", "")
    if env.strip():
        return check_lock_timeout(env, "IPPOSAKI_LOCK_TIMEOUT"), "IPPOSAKI_LOCK_TIMEOUT"
    return DEFAULT_LOCK_TIMEOUT, "`lock_timeout`"


def _open(path: Path, write: bool, lock_timeout: float | None) -> Any:
    """Connect, waiting up to the lock timeout (see :class:`~ipposaki.store.Store`) for
    another's lock."""
    import time

    import duckdb

    timeout, setting = _timeout(lock_timeout)
    deadline = time.monotonic() + timeout
    delay = 0.05
    told = False
    while True:
        try:
            return duckdb.connect(str(path), read_only=not write)
        except duckdb.IOException as exc:
            text = str(exc)
            if "lock" not in text.lower():
                raise StoreError(str(path), _first_line(text)) from None
            holder = text.split("Conflicting lock is held in", 1)[-1].split(". See")[0]
            who = f" (held by {holder.strip()})" if holder != text else ""
            if time.monotonic() >= deadline:
                raise StoreError(
                    str(path),
                    f"busy: another process holds its lock{who}; waited {timeout:g} s ({setting})",
                ) from None
            if not told:
                _log.warning(
                    "store %s is busy%s; waiting up to %g s for its lock (%s)",
                    path,
                    who,
                    timeout,
                    setting,
                )
                told = True
            time.sleep(min(delay, max(deadline - time.monotonic(), 0.0)))
            delay = min(delay * 2, 1.0)
        except duckdb.Error as exc:
            raise StoreError(str(path), _first_line(str(exc))) from None


def _check_file(path: Path) -> None:
    """Refuse a file that is not a DuckDB database (a CSV given as the store, say)."""
    with path.open("rb") as fh:
        head = fh.read(12)
    if head[8:12] != b"DUCK":
        what = "an empty file" if not head else "not a DuckDB database"
        raise StoreError(
            str(path),
            f"{what}; expected an ipposaki store (a DuckDB file) or a new path",
        )


def _check_tables(con: Any, path: Path) -> tuple[str, bool] | None:
    """Return the store's schema version and whether it carries the application id, or
    None for a DuckDB file with no tables.

    Raises
    ------
    StoreError
        If the file holds tables but not ipposaki's ``meta``, belongs to another
        application, or has a newer schema version.
    """
    tables = sorted(r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall())
    if not tables:
        return None
    if "meta" not in tables:
        raise StoreError(
            str(path),
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
            str(path),
            f"not an ipposaki store: its meta table has application_id={app!r} and "
            f"schema_version={version!r}; give another `store`",
        )
    if not str(version).isdigit() or int(version) > int(SCHEMA_VERSION):
        raise StoreError(
            str(path),
            f"schema version {version} is newer than this ipposaki's "
            f"({SCHEMA_VERSION}); upgrade ipposaki to use it",
        )
    return str(version), "application_id" in meta


def _stamp(con: Any) -> None:
    """Record the application id in a store made before it was written."""
    con.execute(
        "INSERT INTO meta SELECT 'application_id', ? WHERE NOT EXISTS "
        "(SELECT 1 FROM meta WHERE key = 'application_id')",
        [APPLICATION_ID],
    )


def _create(con: Any) -> None:
    """Create the tables and load the built-in universe, once, in one transaction."""
    with transaction(con):
        for stmt in ddl():
            con.execute(stmt)
        inst = builtin_instruments()
        con.register("_inst", inst)
        con.execute(f"INSERT INTO instruments SELECT {', '.join(INSTRUMENT_COLUMNS)} FROM _inst")
        con.unregister("_inst")
        bask = builtin_baskets()
        con.register("_bask", bask)
        con.execute("INSERT INTO baskets SELECT basket, symbol, name, name_ja FROM _bask")
        con.unregister("_bask")
        con.execute("INSERT INTO meta VALUES ('schema_version', ?)", [SCHEMA_VERSION])
        con.execute("INSERT INTO meta VALUES ('application_id', ?)", [APPLICATION_ID])
