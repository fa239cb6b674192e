"""Listed-company data in the store: sectors, shares outstanding and earnings announcements.

Three kinds of dated facts, each kept by the day it became known (``as_of``), so a study never
sees a value before it was published:

* ``listed`` (a table added after schema version 1): TOPIX-17/33 sector codes and names, market
  and size category, per symbol and information date.
* ``characteristics`` (in the schema from the start): ``shares_outstanding`` and
  ``treasury_shares`` per symbol and disclosure date.
* ``earnings`` (added after schema version 1): earnings announcements per symbol and date.

The two new tables are created the first time something is written to them, so a store made
before they existed opens and reads as before (their readers return empty frames).

:class:`~ipposaki.store.Store` exposes these as ``add_listed_info``, ``listed_info``,
``shares_outstanding``, ``add_earnings`` and ``earnings``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ipposaki.errors import DataValidationError
from ipposaki.store.transaction import transaction

if TYPE_CHECKING:
    from ipposaki.store.store import Store

__all__ = [
    "EARNINGS_COLUMNS",
    "LISTED_COLUMNS",
    "SHARES_COLUMNS",
    "TABLES",
    "add_earnings",
    "add_listed_info",
    "check_listed",
    "earnings",
    "earnings_within",
    "listed_info",
    "sector_baskets",
    "shares_outstanding",
    "turnover",
    "write_listed",
]

#: The tables added after schema version 1; created on first write.
TABLES: dict[str, str] = {
    "listed": (
        "symbol VARCHAR NOT NULL, as_of DATE NOT NULL, sector17 VARCHAR, sector17_name VARCHAR, "
        "sector33 VARCHAR, sector33_name VARCHAR, market VARCHAR, scale VARCHAR, "
        "source VARCHAR, PRIMARY KEY (symbol, as_of)"
    ),
    "earnings": (
        "symbol VARCHAR NOT NULL, date DATE NOT NULL, kind VARCHAR NOT NULL, "
        "fiscal_year VARCHAR, fiscal_quarter VARCHAR, source VARCHAR, "
        "PRIMARY KEY (symbol, date, kind)"
    ),
}

#: Columns of :func:`listed_info` (and of the frame :func:`add_listed_info` takes).
LISTED_COLUMNS = (
    "symbol",
    "as_of",
    "sector17",
    "sector17_name",
    "sector33",
    "sector33_name",
    "market",
    "scale",
)
#: Columns of :func:`shares_outstanding`.
SHARES_COLUMNS = ("symbol", "as_of", "shares_outstanding", "treasury_shares", "source")
#: Columns of :func:`earnings` (and of the frame :func:`add_earnings` takes).
EARNINGS_COLUMNS = ("symbol", "date", "kind", "fiscal_year", "fiscal_quarter", "source")

_SHARE_KEYS = ("shares_outstanding", "treasury_shares")


def _create(con: Any) -> None:
    for name, cols in TABLES.items():
        con.execute(f"CREATE TABLE IF NOT EXISTS {name} ({cols})")


def _has(con: Any, table: str) -> bool:
    found = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE table_name = ?", [table]
    ).fetchone()
    return bool(found and found[0])


def _symbols_clause(symbols: Iterable[str] | None) -> tuple[str, list[object]]:
    if symbols is None:
        return "", []
    return "WHERE list_contains(?, symbol)", [list(symbols)]


def _read(
    store: Store,
    table: str,
    columns: Sequence[str],
    symbols: Iterable[str] | None,
    order: str,
    date: str,
) -> pd.DataFrame:
    """Rows of one of this module's tables (empty with ``columns`` when it was never made)."""
    where, params = _symbols_clause(symbols)
    with store._connect(write=False) as con:
        if not _has(con, table):
            return pd.DataFrame(columns=list(columns))
        frame = con.execute(
            f"SELECT {', '.join(columns)} FROM {table} {where} ORDER BY {order}", params
        ).df()
    frame[date] = pd.to_datetime(frame[date])
    return frame


def _check(frame: pd.DataFrame, columns: Iterable[str], what: str) -> pd.DataFrame:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise DataValidationError(what, f"missing column(s) {', '.join(missing)}")
    return frame


def _dates(frame: pd.DataFrame, column: str, what: str) -> pd.Series:
    """``frame[column]`` as dates; refuse an empty or unreadable one, naming its row."""
    days = pd.to_datetime(frame[column], errors="coerce")
    bad = days.isna().to_numpy()
    if bad.any():
        pos = int(bad.argmax())
        raise DataValidationError(
            what,
            f"row {pos + 1}: {column}={frame[column].iloc[pos]!r} for "
            f"{frame['symbol'].iloc[pos]} is not allowed: expected a date",
        )
    return days.dt.date


def _listed_rows(info: pd.DataFrame, source: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Check listed info and split it into ``listed`` rows and share-count rows."""
    _check(info, ("symbol", "as_of"), "listed info")
    frame = info.copy()
    frame["as_of"] = _dates(frame, "as_of", "listed info")
    for col in LISTED_COLUMNS[2:]:
        if col not in frame.columns:
            frame[col] = None
    sectors = frame.loc[frame[list(LISTED_COLUMNS[2:])].notna().any(axis=1), list(LISTED_COLUMNS)]
    sectors = sectors.drop_duplicates(["symbol", "as_of"], keep="last").assign(source=source)
    shares = []
    for key in _SHARE_KEYS:
        if key in frame.columns:
            part = frame.loc[frame[key].notna(), ["symbol", "as_of", key]]
            value = pd.to_numeric(part[key], errors="coerce").astype("float64")
            bad = ~(np.isfinite(value.to_numpy()) & (value.to_numpy() >= 0))
            if bad.any():
                pos = int(bad.argmax())
                raise DataValidationError(
                    "listed info",
                    f"{key}={part[key].iloc[pos]!r} for {part['symbol'].iloc[pos]} on "
                    f"{part['as_of'].iloc[pos]} is not allowed: expected a share count >= 0",
                )
            shares.append(
                pd.DataFrame(
                    {
                        "symbol": part["symbol"],
                        "key": key,
                        "value": value,
                        "as_of": part["as_of"],
                        "source": source,
                    }
                )
            )
    chars = (
        pd.concat(shares, ignore_index=True).drop_duplicates(
            ["symbol", "key", "as_of"], keep="last"
        )
        if shares
        else pd.DataFrame(columns=["symbol", "key", "value", "as_of", "source"])
    )
    return sectors, chars


def _put_listed(con: Any, sectors: pd.DataFrame, chars: pd.DataFrame) -> None:
    """Replace the rows of the same symbol and date, inside the caller's transaction."""
    _create(con)
    if len(sectors):
        con.register("_listed", sectors)
        con.execute(
            "DELETE FROM listed USING _listed "
            "WHERE listed.symbol = _listed.symbol AND listed.as_of = _listed.as_of"
        )
        con.execute(f"INSERT INTO listed SELECT {', '.join(LISTED_COLUMNS)}, source FROM _listed")
        con.unregister("_listed")
    if len(chars):
        con.register("_chars", chars)
        con.execute(
            "DELETE FROM characteristics USING _chars WHERE characteristics.symbol = "
            "_chars.symbol AND characteristics.key = _chars.key AND "
            "characteristics.as_of = _chars.as_of"
        )
        con.execute(
            "INSERT INTO characteristics SELECT symbol, key, value, as_of, source FROM _chars"
        )
        con.unregister("_chars")


def add_listed_info(store: Store, info: pd.DataFrame, source: str = "jquants") -> int:
    """Write sectors and shares outstanding, replacing rows of the same symbol and date.

    Parameters
    ----------
    store : Store
        Target store.
    info : pandas.DataFrame
        :data:`LISTED_COLUMNS` for sectors; optionally also rows with ``shares_outstanding``
        (and ``treasury_shares``) and their own ``as_of`` (the disclosure date). Rows whose
        sector columns are all empty write no ``listed`` row; rows without a share count write
        no share row.
    source : str, default "jquants"
        Recorded with each share count.

    Returns
    -------
    int
        Rows written: sector rows plus share and treasury counts.

    Raises
    ------
    DataValidationError
        If ``symbol`` or ``as_of`` is missing, an ``as_of`` is not a date, or a share count is
        not a number >= 0. Nothing is written.
    """
    sectors, chars = _listed_rows(info, source)
    with store._connect(write=True) as con:
        with transaction(con):
            _put_listed(con, sectors, chars)
    return len(sectors) + len(chars)


def check_listed(
    store: Store,
    info: pd.DataFrame,
    earnings: pd.DataFrame | None = None,
    instruments: pd.DataFrame | None = None,
    source: str = "jquants",
) -> Callable[[Any], dict[str, int]]:
    """Check listed info, earnings and instrument updates; return what writes them.

    Nothing is written here. The function returned writes everything inside its caller's open
    transaction (a DuckDB connection of the store): as :func:`write_listed` does in its own,
    or :meth:`~ipposaki.store.Store.ingest` (``before_commit``) in the one of its price rows.

    Parameters
    ----------
    store : Store
        Target store.
    info, earnings, instruments, source
        As for :func:`write_listed`.

    Returns
    -------
    callable
        ``put(con)``: writes the rows, names the bare instruments and rebuilds the sector
        baskets, reading the instruments and listed info back inside the transaction, and
        returns the counts :func:`write_listed` returns.

    Raises
    ------
    DataValidationError
        As for :func:`write_listed`.
    """
    from ipposaki.store.ingest import put_baskets, put_instruments
    from ipposaki.store.refusals import check_benchmarks

    sectors, chars = _listed_rows(info, source)
    earn = _earnings_rows(earnings) if earnings is not None and len(earnings) else None
    given = instruments if instruments is not None and len(instruments) else None
    if given is not None:
        check_benchmarks(given, set(store.instruments()["symbol"]))
    names = _latest_names(info)

    def put(con: Any) -> dict[str, int]:
        _put_listed(con, sectors, chars)
        named = 0
        if given is not None:
            put_instruments(con, given)
            named += len(given)
        if names is not None:
            # Read inside the transaction: an instrument this transaction made is seen.
            bare = _name_bare(con.execute("SELECT * FROM instruments").df().fillna(""), names)
            if len(bare):
                put_instruments(con, bare)
                named += len(bare)
        if earn is not None:
            _put_earnings(con, earn)
        # Read back inside the transaction: the baskets see the rows just written.
        cols = ", ".join(LISTED_COLUMNS)
        stored = con.execute(f"SELECT {cols} FROM listed ORDER BY symbol, as_of").df()
        known = set(con.execute("SELECT symbol FROM instruments").df()["symbol"])
        baskets = _sector_baskets(stored, known)
        if len(baskets):
            put_baskets(con, baskets)
        return {
            "listed": len(sectors) + len(chars),
            "instruments_named": named,
            "earnings": 0 if earn is None else len(earn),
            "basket_members": len(baskets),
        }

    return put


def _latest_names(info: pd.DataFrame) -> pd.DataFrame | None:
    """Each symbol's latest company names and 33-sector in ``info`` (columns ``name`` and
    ``name_ja``), or None when it gives no name."""
    if "name" not in info.columns and "name_ja" not in info.columns:
        return None
    frame = info.copy()
    for col in ("name", "name_ja", "sector33_name"):
        if col not in frame.columns:
            frame[col] = None
    named = frame.loc[frame["name"].notna() | frame["name_ja"].notna()]
    if named.empty:
        return None
    latest = named.groupby("symbol").tail(1).set_index("symbol")
    return latest.loc[:, ["name", "name_ja", "sector33_name"]]


def _name_bare(inst: pd.DataFrame, names: pd.DataFrame) -> pd.DataFrame:
    """The instruments an ingest made with only their symbol (name == symbol), given the
    company names and 33-sector of ``names``; curated instruments are left alone."""
    inst = inst.set_index("symbol")
    bare = [s for s in names.index if s in inst.index and inst.loc[s, "name"] in ("", s)]
    rows = inst.loc[bare].reset_index()
    rows["name"] = [names.loc[s, "name"] or names.loc[s, "name_ja"] for s in bare]
    rows["name_ja"] = [names.loc[s, "name_ja"] or names.loc[s, "name"] for s in bare]
    rows["sector"] = [names.loc[s, "sector33_name"] or inst.loc[s, "sector"] for s in bare]
    rows["kind"] = [inst.loc[s, "kind"] or "stock" for s in bare]
    return rows


def write_listed(
    store: Store,
    info: pd.DataFrame,
    earnings: pd.DataFrame | None = None,
    instruments: pd.DataFrame | None = None,
    source: str = "jquants",
) -> dict[str, int]:
    """Write listed info, earnings and instrument updates, and rebuild the sector baskets,
    all in one transaction after everything is checked: a failure leaves the store as it was.

    To write them in the same transaction as price rows, give
    :func:`check_listed`'s function to :meth:`~ipposaki.store.Store.ingest` instead.

    Parameters
    ----------
    store : Store
        Target store.
    info : pandas.DataFrame
        As for :func:`add_listed_info`; with ``name`` and ``name_ja`` (company names), the
        instruments an ingest made with only their symbol (name == symbol) get those names and
        the row's 33-sector (each symbol's latest named row); curated instruments are left
        alone.
    earnings : pandas.DataFrame, optional
        As for :func:`add_earnings`.
    instruments : pandas.DataFrame, optional
        Instruments to replace (columns of :data:`~ipposaki.instruments.INSTRUMENT_COLUMNS`).
    source : str, default "jquants"
        Recorded with each sector row and share count.

    Returns
    -------
    dict
        Rows written: ``listed``, ``instruments_named`` (``instruments`` and the instruments
        named from ``info``), ``earnings`` and ``basket_members`` (the sector baskets of
        :func:`sector_baskets`, rebuilt from all stored listed info).

    Raises
    ------
    DataValidationError
        As for :func:`add_listed_info` and :func:`add_earnings`, or if an instrument names an
        unknown benchmark. Nothing is written.
    """
    put = check_listed(store, info, earnings, instruments, source)
    with store._connect(write=True) as con:
        with transaction(con):
            written = put(con)
    return written


def listed_info(store: Store, symbols: Iterable[str] | None = None) -> pd.DataFrame:
    """Return stored sectors, one row per symbol and information date, sorted.

    Parameters
    ----------
    store : Store
        The store.
    symbols : iterable of str, optional
        Symbols to return; all when omitted.

    Returns
    -------
    pandas.DataFrame
        :data:`LISTED_COLUMNS`; empty when nothing was stored.
    """
    return _read(store, "listed", LISTED_COLUMNS, symbols, "symbol, as_of", "as_of")


def sector_baskets(store: Store) -> pd.DataFrame:
    """Baskets by sector from the stored listed info: ``sector33:<name>``, ``sector17:<name>``.

    Each symbol counts in the sectors of its latest listed-info row; symbols that are not
    instruments of the store are left out.

    Parameters
    ----------
    store : Store
        The store.

    Returns
    -------
    pandas.DataFrame
        Columns basket, symbol, name, name_ja (for :meth:`~ipposaki.store.Store.add_baskets`),
        e.g. basket ``sector33:電気機器`` named ``TOPIX-33 sector 3650``.
    """
    return _sector_baskets(listed_info(store), set(store.instruments()["symbol"]))


def _sector_baskets(info: pd.DataFrame, known: set[str]) -> pd.DataFrame:
    """:func:`sector_baskets` of listed info sorted by symbol and date, for ``known`` symbols."""
    latest = info.loc[info["symbol"].isin(known)].groupby("symbol").tail(1)
    frames = []
    for series, code_col, name_col in (
        ("33", "sector33", "sector33_name"),
        ("17", "sector17", "sector17_name"),
    ):
        part = latest.loc[latest[name_col].notna()]
        frames.append(
            pd.DataFrame(
                {
                    "basket": "sector" + series + ":" + part[name_col].astype(str),
                    "symbol": part["symbol"],
                    "name": "TOPIX-" + series + " sector " + part[code_col].astype(str),
                    "name_ja": "TOPIX-" + series + " " + part[name_col].astype(str),
                }
            )
        )
    out = pd.concat(frames, ignore_index=True)
    return out.sort_values(["basket", "symbol"]).reset_index(drop=True)


def shares_outstanding(store: Store, symbols: Iterable[str] | None = None) -> pd.DataFrame:
    """Return stored share counts, one row per symbol and disclosure date, sorted.

    Parameters
    ----------
    store : Store
        The store.
    symbols : iterable of str, optional
        Symbols to return; all when omitted.

    Returns
    -------
    pandas.DataFrame
        :data:`SHARES_COLUMNS`: ``shares_outstanding`` is the number of issued shares at the
        end of the reported period including treasury stock, ``treasury_shares`` the treasury
        stock (NaN when not reported), ``as_of`` the date the count was disclosed.
    """
    where, params = _symbols_clause(symbols)
    clause = (where + " AND " if where else "WHERE ") + "list_contains(?, key)"
    with store._connect(write=False) as con:
        long = con.execute(
            f"SELECT symbol, as_of, key, value, source FROM characteristics {clause}",
            [*params, list(_SHARE_KEYS)],
        ).df()
    if long.empty:
        return pd.DataFrame(columns=list(SHARES_COLUMNS))
    wide = long.pivot_table(
        index=["symbol", "as_of", "source"], columns="key", values="value", aggfunc="last"
    ).reset_index()
    for key in _SHARE_KEYS:
        if key not in wide.columns:
            wide[key] = float("nan")
    wide["as_of"] = pd.to_datetime(wide["as_of"])
    wide.columns.name = None
    out = wide.loc[:, list(SHARES_COLUMNS)].sort_values(["symbol", "as_of"])
    return out.reset_index(drop=True)


def _earnings_rows(frame: pd.DataFrame) -> pd.DataFrame:
    """Check earnings announcements; one row per symbol, date and kind (the last wins)."""
    _check(frame, EARNINGS_COLUMNS, "earnings")
    rows = frame.loc[:, list(EARNINGS_COLUMNS)].reset_index(drop=True)
    rows["date"] = _dates(rows, "date", "earnings")
    return rows.drop_duplicates(["symbol", "date", "kind"], keep="last")


def _put_earnings(con: Any, rows: pd.DataFrame) -> None:
    """Replace the rows of the same symbol, date and kind, inside the caller's transaction."""
    _create(con)
    con.register("_earn", rows)
    con.execute(
        "DELETE FROM earnings USING _earn WHERE earnings.symbol = _earn.symbol AND "
        "earnings.date = _earn.date AND earnings.kind = _earn.kind"
    )
    con.execute(f"INSERT INTO earnings SELECT {', '.join(EARNINGS_COLUMNS)} FROM _earn")
    con.unregister("_earn")


def add_earnings(store: Store, frame: pd.DataFrame) -> int:
    """Write earnings announcements, replacing rows of the same symbol, date and kind.

    Parameters
    ----------
    store : Store
        Target store.
    frame : pandas.DataFrame
        :data:`EARNINGS_COLUMNS`; ``kind`` says where the date comes from (``scheduled`` from
        the earnings calendar, or the disclosed document type).

    Returns
    -------
    int
        Rows written.

    Raises
    ------
    DataValidationError
        If a column is missing or a date is not a date. Nothing is written.
    """
    rows = _earnings_rows(frame)
    with store._connect(write=True) as con:
        with transaction(con):
            _put_earnings(con, rows)
    return len(rows)


def earnings(store: Store, symbols: Iterable[str] | None = None) -> pd.DataFrame:
    """Return stored earnings announcements, sorted by symbol and date.

    Parameters
    ----------
    store : Store
        The store.
    symbols : iterable of str, optional
        Symbols to return; all when omitted.

    Returns
    -------
    pandas.DataFrame
        :data:`EARNINGS_COLUMNS`; empty when nothing was stored.
    """
    return _read(store, "earnings", EARNINGS_COLUMNS, symbols, "symbol, date, kind", "date")


def earnings_within(
    events: pd.DataFrame,
    announcements: pd.DataFrame,
    sessions: int = 1,
    exchange: str = "XTKS",
) -> pd.DataFrame:
    """Find each event's own earnings announcements within ``sessions`` sessions either side.

    Dates are placed on ``exchange``'s sessions; a date that is not a session (an announcement
    on a Saturday) counts as the next session. An announcement listed both as scheduled and
    as disclosed on the same day counts once.

    Parameters
    ----------
    events : pandas.DataFrame
        Columns ``symbol`` and ``date`` (date-like), one row per event, in any order.
    announcements : pandas.DataFrame
        Columns ``symbol`` and ``date``, e.g. :meth:`~ipposaki.store.Store.earnings`.
    sessions : int, default 1
        Half-width of the window, in sessions.
    exchange : str, default "XTKS"
        ISO MIC whose sessions count.

    Returns
    -------
    pandas.DataFrame
        The events' ``symbol`` and ``date`` (same rows, same order and index), with
        ``earnings_count`` (int) and ``earnings_dates`` (str: the announcement dates with
        their offset in sessions, e.g. ``"2024-03-28 (+1)"``, ``"; "``-separated; ``""``
        when there is none).

    Raises
    ------
    InputError
        If ``sessions`` is negative or a column is missing.

    Examples
    --------
    >>> ev = pd.DataFrame({"symbol": ["8035.T", "8035.T"], "date": ["2024-03-27", "2024-03-01"]})
    >>> ann = pd.DataFrame({"symbol": ["8035.T"], "date": ["2024-03-28"]})
    >>> earnings_within(ev, ann)[["earnings_count", "earnings_dates"]].values.tolist()
    [[1, '2024-03-28 (+1)'], [0, '']]
    """
    from ipposaki.calendars import sessions as exchange_sessions
    from ipposaki.errors import InputError

    if isinstance(sessions, bool) or not isinstance(sessions, int | np.integer) or sessions < 0:
        raise InputError("sessions", sessions, "a whole number of sessions, 0 or more")
    for name, frame in (("events", events), ("announcements", announcements)):
        missing = [c for c in ("symbol", "date") if c not in frame.columns]
        if missing:
            raise InputError(name, f"columns {list(frame.columns)}", "columns symbol and date")
    days = exchange_sessions(exchange)
    ev_day = pd.to_datetime(events["date"]).to_numpy(dtype="datetime64[ns]")
    ev_pos = days.searchsorted(ev_day.astype("datetime64[D]").astype("datetime64[ns]"))
    ann = announcements.loc[:, ["symbol", "date"]].copy()
    ann["date"] = pd.to_datetime(ann["date"]).dt.normalize()
    ann = ann.drop_duplicates()
    ann["pos"] = days.searchsorted(ann["date"].to_numpy(dtype="datetime64[ns]"))
    left = pd.DataFrame(
        {"row": np.arange(len(events)), "symbol": events["symbol"].to_numpy(), "epos": ev_pos}
    )
    pairs = left.merge(ann, on="symbol", how="inner")
    pairs["offset"] = pairs["pos"] - pairs["epos"]
    pairs = pairs.loc[pairs["offset"].abs() <= sessions].sort_values(["row", "date"])
    text = pairs["date"].dt.strftime("%Y-%m-%d") + pairs["offset"].map(lambda k: f" ({k:+d})")
    joined = text.groupby(pairs["row"]).agg("; ".join)
    counts = pairs.groupby("row").size()
    rows = np.arange(len(events))
    out = pd.DataFrame(
        {
            "symbol": events["symbol"].to_numpy(),
            "date": pd.to_datetime(events["date"]).to_numpy(),
            "earnings_count": counts.reindex(rows, fill_value=0).to_numpy(dtype=np.int64),
            "earnings_dates": joined.reindex(rows, fill_value="").to_numpy(dtype=object),
        },
        index=events.index,
    )
    return out


def turnover(
    prices: pd.DataFrame, shares: pd.DataFrame, exclude_treasury: bool = True
) -> pd.DataFrame:
    """Daily turnover: shares traded over the shares outstanding known on that session.

    Each session takes the latest share count disclosed on or before it (``as_of``), so no
    count is used before it was published; sessions before a symbol's first count get NaN.
    A split between the disclosure and the session is allowed for when ``prices`` has
    ``close`` and ``adj_close``: their ratio on each day (the adjustment for later splits)
    rescales the disclosed count to the session's share basis, the basis of its raw volume.
    A disclosure dated outside the prices' range takes the ratio of the nearest session.

    Parameters
    ----------
    prices : pandas.DataFrame
        Columns ``symbol``, ``session`` and ``volume`` (shares traded, as traded), and
        optionally ``close`` and ``adj_close``, e.g. :meth:`~ipposaki.store.Store.prices`.
    shares : pandas.DataFrame
        :data:`SHARES_COLUMNS`, e.g. :meth:`~ipposaki.store.Store.shares_outstanding`.
    exclude_treasury : bool, default True
        Divide by shares outstanding less treasury stock where the treasury count is known
        (the shares a market can trade); else by all issued shares.

    Returns
    -------
    pandas.DataFrame
        ``symbol``, ``session``, ``volume``, ``shares`` (the denominator used, in the
        session's share basis) and ``turnover`` (``volume / shares``), in the rows and order
        of ``prices``.

    Raises
    ------
    InputError
        If a column is missing.

    Examples
    --------
    >>> px = pd.DataFrame({"symbol": ["X"] * 3, "volume": [1e6, 2e6, 3e6],
    ...                    "session": pd.to_datetime(["2024-05-21", "2024-05-22", "2024-05-23"])})
    >>> sh = pd.DataFrame({"symbol": ["X"], "as_of": pd.to_datetime(["2024-05-22"]),
    ...                    "shares_outstanding": [1e8], "treasury_shares": [0.0]})
    >>> turnover(px, sh)["turnover"].tolist()
    [nan, 0.02, 0.03]
    """
    from ipposaki.errors import InputError

    for name, frame, cols in (
        ("prices", prices, ("symbol", "session", "volume")),
        ("shares", shares, ("symbol", "as_of", "shares_outstanding")),
    ):
        missing = [c for c in cols if c not in frame.columns]
        if missing:
            raise InputError(name, f"columns {list(frame.columns)}", f"columns {', '.join(cols)}")
    count = shares["shares_outstanding"].astype("float64")
    if exclude_treasury and "treasury_shares" in shares.columns:
        count = count - shares["treasury_shares"].astype("float64").fillna(0.0)
    left = pd.DataFrame(
        {
            "row": np.arange(len(prices)),
            "symbol": prices["symbol"].astype(str).to_numpy(),
            "key": pd.to_datetime(prices["session"]).to_numpy(dtype="datetime64[ns]"),
            "volume": prices["volume"].astype("float64").to_numpy(),
            "ratio": _split_ratio(prices),
        }
    ).sort_values("key")
    right = pd.DataFrame(
        {
            "symbol": shares["symbol"].astype(str).to_numpy(),
            "key": pd.to_datetime(shares["as_of"]).to_numpy(dtype="datetime64[ns]"),
            "count": count.to_numpy(),
        }
    ).sort_values("key")
    # The split ratio on each disclosure date: the first session on or after it, else before.
    days = left.loc[:, ["symbol", "key", "ratio"]].rename(columns={"ratio": "ratio_disc"})
    ahead = pd.merge_asof(right, days, on="key", by="symbol", direction="forward")
    behind = pd.merge_asof(right, days, on="key", by="symbol", direction="backward")
    right["ratio_disc"] = ahead["ratio_disc"].fillna(behind["ratio_disc"]).fillna(1.0).to_numpy()
    joined = pd.merge_asof(left, right, on="key", by="symbol", direction="backward")
    joined = joined.sort_values("row")
    used = (joined["count"] * joined["ratio"] / joined["ratio_disc"]).to_numpy(dtype=np.float64)
    used = np.where(used > 0, used, np.nan)
    volume = joined["volume"].to_numpy(dtype=np.float64)
    return pd.DataFrame(
        {
            "symbol": prices["symbol"].to_numpy(),
            "session": pd.to_datetime(prices["session"]).to_numpy(),
            "volume": volume,
            "shares": used,
            "turnover": volume / used,
        },
        index=prices.index,
    )


def _split_ratio(prices: pd.DataFrame) -> np.ndarray:
    """adj_close / close per row (1 where either is missing): the adjustment for later splits."""
    if "close" not in prices.columns or "adj_close" not in prices.columns:
        return np.ones(len(prices))
    close = prices["close"].astype("float64").to_numpy()
    adj = prices["adj_close"].astype("float64").to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = adj / close
    return np.where(np.isfinite(ratio) & (ratio > 0), ratio, 1.0)
