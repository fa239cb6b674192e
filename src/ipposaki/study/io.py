"""The study's file interface: returns, prices, events and factors files in, tables out.

Inputs are parsed strictly where they enter, and a bad cell is an error naming the file, the
line (CSV: the header is line 1) or row (Parquet, from 1), the column and the value:

* **Dates** are ISO ``YYYY-MM-DD`` unless a ``date_format`` (``--date-format``, a ``strptime``
  format such as ``%d/%m/%Y``) is given for the files' date columns; an event date may also be a
  timestamp with its zone (``2025-01-27T09:00+09:00``), mapped to each exchange's session.
  ``05/02/2024`` is never guessed.
* **Returns and factor returns** are decimal numbers. An empty cell is a missing return (kept
  missing); any other text (``n/a``, ``NaN``), an infinite value, or a simple return below
  -1 (a fall of more than 100%) is an error. Log returns may take any finite value.
* **Prices** follow the import's rules (:func:`ipposaki.sources.read_price_file` and
  :func:`ipposaki.store.validate.validate_prices`): positive and finite, one row per symbol and
  date. Rows dated on a non-session of the symbol's exchange are left out with a
  :class:`~ipposaki.errors.NonSessionWarning` (a panel only has sessions).

Prices become returns through the same panel construction as the store
(:func:`ipposaki.panel.panel_from_rows`): on each exchange's own sessions, on each symbol's
adjusted close when it has one, else its close. A file holding several exchanges is split by each
symbol's exchange (:func:`ipposaki.panel.exchanges.home_exchanges`: the instrument catalogue,
else the ``.T`` suffix, else ``--exchange``, else XNYS), and one study runs per exchange
(:class:`ExchangeStudies`). A returns file holds no prices: its dates are its grid, and with an
exchange they must be sessions of it (a missing session becomes a visible gap).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ipposaki.errors import DataValidationError, InputError
from ipposaki.sources.files import date_rule, parse_date_text
from ipposaki.study.exchange_studies import ExchangeStudies
from ipposaki.study.input_tables import (
    DATE_FORMAT_OPTION,
    InputTable,
    Rule,
    cell_text,
    check_path,
    check_unique_columns,
    check_unique_keys,
    read_csv_cells,
    read_header,
    read_parquet_cells,
    read_value_table,
    session_grid,
    typed_dates,
)

if TYPE_CHECKING:
    from ipposaki.panel import ReturnsPanel
    from ipposaki.panel.partitioned import PartitionedPrices

__all__ = [
    "DATE_FORMAT_OPTION",
    "ExchangeStudies",
    "read_events",
    "read_factors",
    "read_partitioned",
    "read_price_panels",
    "read_prices_as_returns",
    "read_returns",
    "split_events",
]

_EVENT_DATES = ("estimation_start", "estimation_end", "event_start", "event_end")
_ZONED = r"^\s*\d{4}-\d{2}-\d{2}T.*(?:[+-]\d\d:?\d\d|Z)\s*$"


# -- returns and factors ---------------------------------------------------------------------


def read_returns(
    path: str | Path,
    *,
    date_format: str | None = None,
    log: bool = False,
    exchange: str | None = None,
) -> pd.DataFrame:
    """Read returns, long (``date,symbol,return``) or wide (``date`` + symbols).

    Parameters
    ----------
    path : str or pathlib.Path
        CSV or Parquet file.
    date_format : str, optional
        ``strptime`` format of the date column; ISO ``YYYY-MM-DD`` when omitted.
    log : bool, default False
        Whether the file holds log returns (any finite value) rather than simple returns
        (>= -1).
    exchange : str, optional
        ISO MIC the returns are on. Every date must then be one of its sessions, and the rows
        become its sessions from the first date to the last (a session the file lacks is a
        visible gap, not a shorter window). Without it the file's dates are the grid.

    Returns
    -------
    pandas.DataFrame
        Dates (sessions) x symbols, sorted by date.

    Raises
    ------
    DataValidationError
        On a missing column, a date or return cell that is not allowed, a duplicate date (or
        date and symbol), or a date that is not a session of ``exchange``.
    """
    rule: Rule = "log" if log else "simple"
    header_cols = [c.strip().lower() for c in read_header(*check_path(path, "returns"))]
    long = "symbol" in header_cols
    if long and "return" not in header_cols:
        raise DataValidationError(str(path), "missing required column 'return'")
    if long:
        table, date_col, values = read_value_table(path, "returns", date_format, rule, ("symbol",))
        sym_col = next(c for c in table.frame.columns if c.strip().lower() == "symbol")
        ret_col = next(c for c in values if c.strip().lower() == "return")
        symbol = table.frame[sym_col].astype("string").str.strip()
        blank = (symbol.isna() | (symbol == "")).to_numpy()
        if blank.any():
            pos = int(np.flatnonzero(blank)[0])
            raise table.error(pos, sym_col, "", "a symbol such as NVDA or 8035.T")
        keys = pd.DataFrame({"date": table.frame[date_col], "symbol": symbol.astype(str)})
        check_unique_keys(table, keys, "returns")
        grid = session_grid(table, pd.DatetimeIndex(keys["date"]), exchange)
        wide = (
            pd.DataFrame({**keys, "ret": table.frame[ret_col].to_numpy(np.float64)})
            .pivot(index="date", columns="symbol", values="ret")
            .sort_index()
        )
    else:
        table, date_col, values = read_value_table(path, "returns", date_format, rule)
        if not values:
            raise DataValidationError(str(path), "no symbol columns besides 'date'")
        dates = table.frame[date_col]
        check_unique_keys(table, pd.DataFrame({"date": dates}), "rows")
        grid = session_grid(table, pd.DatetimeIndex(dates), exchange)
        wide = table.frame[values].set_axis(pd.DatetimeIndex(dates), axis=0).sort_index()
        wide.columns = [c.strip() for c in values]
    wide.columns.name = None
    wide.index.name = "date"
    if grid is not None:
        wide = wide.reindex(grid.rename("date"))
    else:
        _one_exchange(wide.columns, path)
    return wide


def _one_exchange(symbols: pd.Index, path: str | Path) -> None:
    """Refuse a returns file whose symbols trade on several exchanges (without --exchange).

    Returns carry no prices, so they cannot be rebuilt on each exchange's calendar: the file's
    dates would become one false calendar (a New York holiday on which Tokyo traded would pass
    for a New York session).
    """
    from ipposaki.panel.exchanges import home_exchanges

    homes = home_exchanges(symbols)
    found = sorted(set(homes[homes != ""]))
    if len(found) > 1:
        example = {m: homes.index[homes == m][0] for m in found}
        names = ", ".join(f"{m} ({example[m]})" for m in found)
        raise InputError(
            "exchange",
            None,
            f"an exchange for returns file {Path(path).name}, whose symbols trade on {names}: "
            "returns cannot be moved to each exchange's calendar, so give `exchange` with a "
            "file of that exchange's returns on its sessions, or give prices (`prices`)",
        )


def read_factors(
    path: str | Path, *, date_format: str | None = None, log: bool = False
) -> pd.DataFrame:
    """Read factor returns: ``date`` then one column per factor (e.g. Fama-French).

    Factor returns are decimal returns and follow the rules of :func:`read_returns`.

    Parameters
    ----------
    path : str or pathlib.Path
        CSV or Parquet file.
    date_format : str, optional
        ``strptime`` format of the date column; ISO ``YYYY-MM-DD`` when omitted.
    log : bool, default False
        Log returns (any finite value) rather than simple returns (>= -1).

    Returns
    -------
    pandas.DataFrame
        Dates x factors.

    Raises
    ------
    DataValidationError
        On a missing column, a cell that is not allowed, or a duplicate date.
    """
    rule: Rule = "log" if log else "simple"
    table, date_col, values = read_value_table(path, "factors", date_format, rule)
    if not values:
        raise DataValidationError(str(path), "no factor columns besides 'date'")
    dates = table.frame[date_col]
    check_unique_keys(table, pd.DataFrame({"date": dates}), "rows")
    frame = table.frame[values].set_axis(pd.DatetimeIndex(dates, name="date"), axis=0)
    frame.columns = [c.strip() for c in values]
    return frame.sort_index()


# -- prices ----------------------------------------------------------------------------------


def read_price_panels(
    path: str | Path,
    *,
    exchange: str | None = None,
    log: bool = False,
    date_format: str | None = None,
) -> dict[str, ReturnsPanel]:
    """Read a price file (long or wide) into one returns panel per exchange.

    Parameters
    ----------
    path : str or pathlib.Path
        CSV or Parquet file (validated like an import: positive finite prices, ISO dates or
        ``date_format``, no conflicting duplicates).
    exchange : str, optional
        Keep this exchange's symbols (and FX rates) only; it is also the exchange of symbols
        that neither the catalogue nor a suffix places. By default every exchange the file
        holds gets its own panel.
    log : bool, default False
        Log returns instead of simple returns.
    date_format : str, optional
        ``strptime`` format of the date column.

    Returns
    -------
    dict[str, ReturnsPanel]
        Panels by exchange, sorted; each on that exchange's sessions from its symbols' first
        to last price, each symbol on its adjusted close when it has one, else its close.

    Raises
    ------
    DataValidationError
        If the file fails validation.
    InputError
        If ``exchange`` holds none of the file's symbols.
    """
    import warnings

    from ipposaki.errors import DuplicateRowWarning, MissingSessionWarning, SplitLikeMoveWarning
    from ipposaki.instruments import builtin_instruments
    from ipposaki.panel import panel_from_rows
    from ipposaki.panel.exchanges import check_exchange, home_exchanges
    from ipposaki.sources.files import read_price_file
    from ipposaki.store.validate import validate_prices

    if exchange is not None:
        check_exchange(exchange)
    file, _ = check_path(path, "prices")
    rows = read_price_file(file, date_format=date_format, format_option=DATE_FORMAT_OPTION)
    names = [str(s) for s in rows["symbol"].cat.categories]
    homes = home_exchanges(names, exchange)
    catalogue = builtin_instruments()
    exempt = frozenset(catalogue.loc[catalogue["kind"].isin(["index", "fx"]), "symbol"])
    exempt |= frozenset(s for s, x in homes.items() if x == "")
    with warnings.catch_warnings():
        # The study reads prices, it does not store them: gaps stay visible in the panel and
        # the import reports split-like moves and duplicates; non-sessions are still named.
        for quiet in (MissingSessionWarning, SplitLikeMoveWarning, DuplicateRowWarning):
            warnings.simplefilter("ignore", quiet)
        rows, _report = validate_prices(rows, homes, str(file), "skip", exempt)
    rows["symbol"] = rows["symbol"].astype(str)
    present = set(rows["symbol"])
    held = sorted({str(x) for s, x in homes.items() if x and s in present})
    wanted = [exchange] if exchange is not None else held
    if exchange is not None and exchange not in held:
        raise InputError(
            "exchange", exchange, f"an exchange of the file's symbols ({', '.join(held)})"
        )
    kind: Rule = "log" if log else "simple"
    panels: dict[str, ReturnsPanel] = {}
    listed = {str(s): str(x) for s, x in homes.items() if s in present}
    for mic in wanted:
        own = [s for s, x in listed.items() if x == mic]
        fx = [s for s, x in listed.items() if x == ""]
        span = rows.loc[rows["symbol"].isin(own), "session"]
        panels[mic] = panel_from_rows(
            rows.loc[rows["symbol"].isin(own + fx)],
            mic,
            sorted(own + fx),
            span.min(),
            span.max(),
            kind,
        )
    return panels


def price_volumes(panels: dict[str, ReturnsPanel], path: str | Path) -> dict[str, pd.DataFrame]:
    """Shares traded of each panel read from a price file, for ``--measure volume``.

    Parameters
    ----------
    panels : dict[str, ReturnsPanel]
        The panels of :func:`read_price_panels`.
    path : str or pathlib.Path
        The price file they were read from (named in the error).

    Returns
    -------
    dict[str, pandas.DataFrame]
        Sessions x symbols volume per exchange (NaN where a row has none; a zero stays zero).

    Raises
    ------
    InputError
        Naming ``--measure`` when the file holds no volume (no volume column, or an empty one).
    """
    volumes = {mic: panel.volume for mic, panel in panels.items()}
    if all(frame.isna().all(axis=None) for frame in volumes.values()):
        raise InputError(
            "measure", "volume", f"a prices file with a volume column ({path} has no volume)"
        )
    return volumes


def read_prices_as_returns(
    path: str | Path,
    log: bool = False,
    *,
    date_format: str | None = None,
    exchange: str | None = None,
) -> pd.DataFrame:
    """Read prices (long or wide) of one exchange and return sessions x symbols returns.

    Parameters
    ----------
    path : str or pathlib.Path
        CSV or Parquet file (see :func:`read_price_panels`).
    log : bool, default False
        Log returns instead of simple returns.
    date_format : str, optional
        ``strptime`` format of the date column.
    exchange : str, optional
        The exchange to keep; needed when the file holds several.

    Returns
    -------
    pandas.DataFrame
        Sessions x symbols returns; the first session and every session after a gap is NaN.

    Raises
    ------
    InputError
        If the file holds several exchanges and ``exchange`` is not given.
    """
    panels = read_price_panels(path, exchange=exchange, log=log, date_format=date_format)
    if len(panels) > 1:
        raise InputError(
            "exchange", None, f"one of {', '.join(panels)}: {path} holds several exchanges"
        )
    return next(iter(panels.values())).returns


def read_partitioned(
    path: str | Path, *, exchange: str | None = None, log: bool = False
) -> dict[str, PartitionedPrices]:
    """Open a partitioned Parquet price directory, one view per exchange.

    Parameters
    ----------
    path : str or pathlib.Path
        The directory (``ipposaki data export --parquet``).
    exchange : str, optional
        Keep this exchange only; by default every exchange the directory holds.
    log : bool, default False
        Log returns instead of simple returns.

    Returns
    -------
    dict[str, PartitionedPrices]
        Views by exchange, sorted.

    Raises
    ------
    InputError
        If ``exchange`` holds none of the directory's symbols.
    """
    from ipposaki.panel.partitioned import PartitionedPrices

    kind: Rule = "log" if log else "simple"
    first = PartitionedPrices(path, exchange, kind=kind)
    if exchange is not None:
        if exchange not in first.exchanges:
            held = ", ".join(first.exchanges) or "none"
            raise InputError("exchange", exchange, f"an exchange the directory holds ({held})")
        return {exchange: first}
    if len(first.exchanges) == 1:
        return {first.exchanges[0]: first}
    return {mic: PartitionedPrices(path, mic, kind=kind) for mic in first.exchanges}


# -- events ----------------------------------------------------------------------------------


def read_events(path: str | Path, *, date_format: str | None = None) -> pd.DataFrame:
    """Read an events CSV or Parquet (columns as in :data:`~ipposaki.study.events.EVENT_COLUMNS`).

    Parameters
    ----------
    path : str or pathlib.Path
        The file.
    date_format : str, optional
        ``strptime`` format of the date columns; ISO ``YYYY-MM-DD`` when omitted. Zoned
        timestamps (``2025-01-27T09:00+09:00``) in ``event_date`` are kept as they are, for the
        engine to map to each exchange's session.

    Returns
    -------
    pandas.DataFrame
        The events, with lower-case column names, dates parsed, empty cells missing (the rest
        is validated by the engine).

    Raises
    ------
    DataValidationError
        If a date cell is empty (``event_date``) or not a date in the allowed form.
    """
    file, is_csv = check_path(path, "events")
    # names are matched lower-case
    check_unique_columns(file, read_header(file, is_csv), fold_case=True)
    frame = read_csv_cells(file, None)[0] if is_csv else read_parquet_cells(file)
    if frame.empty:
        raise DataValidationError(str(file), "the file has no rows")
    frame.columns = [str(c).strip().lower() for c in frame.columns]
    table = InputTable(file, is_csv, frame)
    if "date" in frame.columns and "event_date" not in frame.columns:
        frame = frame.rename(columns={"date": "event_date"})
        table = InputTable(file, is_csv, frame)
    for col in frame.columns:
        if col in ("event_date", *_EVENT_DATES):
            frame[col] = _event_dates(table, col, date_format)
        elif pd.api.types.is_string_dtype(frame[col]) or frame[col].dtype == object:
            text = frame[col].astype("string").str.strip()
            frame[col] = text.astype(object).where((text.notna() & (text != "")).to_numpy())
    if "event_id" not in frame.columns:  # numbered by row before any split by exchange
        frame.insert(0, "event_id", [f"E{i + 1}" for i in range(len(frame))])
    return frame


def _event_dates(table: InputTable, col: str, date_format: str | None) -> pd.Series:
    """Parse one date column of an events file; zoned timestamps stay text (event_date)."""
    values = table.frame[col]
    typed = typed_dates(values)
    if typed is not None:
        if getattr(typed.dt, "tz", None) is not None:  # a moment: map it like a timestamp
            return typed.map(lambda v: v.isoformat() if pd.notna(v) else None).astype(object)
        return typed
    text = cell_text(values).str.strip()
    empty = (text.isna() | (text == "")).to_numpy(dtype=bool)
    zoned = text.str.match(_ZONED).fillna(False).to_numpy(dtype=bool)
    if col != "event_date":
        zoned[:] = False
    parsed = parse_date_text(text.where(~zoned), date_format)
    allowed = date_rule(date_format, DATE_FORMAT_OPTION)
    if col == "event_date":  # ... as YYYY-MM-DD or a zoned timestamp ... (or give ...)
        head, _, hint = allowed.partition(" (")
        allowed = f"{head} or a timestamp with its zone such as 2025-01-27T09:00+09:00"
        allowed += f" ({hint}" if hint else ""
    bad = (parsed.isna().to_numpy() & ~empty & ~zoned) | (empty & (col == "event_date"))
    if bad.any():
        pos = int(np.flatnonzero(bad)[0])
        raise table.error(pos, col, "" if empty[pos] else str(text.iloc[pos]), allowed)
    out = parsed.astype(object)
    out[zoned] = text[zoned].astype(object)
    out[empty] = None
    return out if zoned.any() else parsed


def split_events(
    events: pd.DataFrame, exchanges: Sequence[str], default: str | None = None
) -> dict[str, pd.DataFrame]:
    """Give each event to the study of its symbol's exchange.

    Parameters
    ----------
    events : pandas.DataFrame
        The events (a ``symbol`` column).
    exchanges : sequence of str
        The exchanges studied.
    default : str, optional
        Exchange of symbols that neither the catalogue nor a suffix places.

    Returns
    -------
    dict[str, pandas.DataFrame]
        Events by exchange, for the exchanges that have any. An event whose symbol trades on
        none of ``exchanges`` goes to the first, where the engine lists it as excluded with
        its reason.
    """
    from ipposaki.panel.exchanges import home_exchanges

    if not exchanges:
        return {}
    if "symbol" not in events.columns or len(exchanges) == 1:
        return {exchanges[0]: events}
    symbols = events["symbol"].astype(str).str.strip()
    home = symbols.map(home_exchanges(symbols, default))
    home = home.where(home.isin(list(exchanges)), exchanges[0])
    return {
        mic: events.loc[(home == mic).to_numpy()].reset_index(drop=True)
        for mic in exchanges
        if (home == mic).any()
    }
