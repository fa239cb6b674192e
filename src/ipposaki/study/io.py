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

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from ipposaki.errors import DataValidationError, InputError
from ipposaki.results import Result, Summary, SummaryTable, freeze, prepare_dir, versions
from ipposaki.sources.files import date_rule, parse_date_text

if TYPE_CHECKING:
    from ipposaki.panel import ReturnsPanel
    from ipposaki.panel.partitioned import PartitionedPrices
    from ipposaki.study.results import EventStudyResult

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

#: The option that sets the date format, named in messages about dates.
DATE_FORMAT_OPTION = "`date_format`"  # named as the way out in date messages
_DATE_NAMES = ("date", "session")
_EVENT_DATES = ("estimation_start", "estimation_end", "event_start", "event_end")
_ZONED = r"^\s*\d{4}-\d{2}-\d{2}T.*(?:[+-]\d\d:?\d\d|Z)\s*$"
Rule = Literal["simple", "log"]
#: One check of a column's cells: (bad mask, what is allowed) for each kind of problem.
Check = Callable[[pd.Series], list[tuple[np.ndarray, str]]]


# -- reading tables --------------------------------------------------------------------------


@dataclass(frozen=True)
class _Table:
    """A file's cells, typed or as text, and how to name a record in a message."""

    path: Path
    is_csv: bool
    frame: pd.DataFrame

    def where(self, pos: int) -> str:
        """``line N`` (CSV, header = line 1) or ``row N`` (Parquet, from 1) of record ``pos``."""
        return f"line {pos + 2}" if self.is_csv else f"row {pos + 1}"

    def error(self, pos: int, column: str, value: object, allowed: str) -> DataValidationError:
        """The one-line error for the cell at record ``pos`` of ``column``."""
        return DataValidationError(
            str(self.path),
            f"{self.where(pos)}: {column}={value!r} is not allowed: expected {allowed}",
        )


def _check_path(path: str | Path, argument: str) -> tuple[Path, bool]:
    path = Path(path)
    if not path.is_file():
        raise InputError(argument, str(path), "an existing .csv or .parquet file")
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".parquet", ".pq"):
        raise InputError(argument, str(path), "a file ending in .csv or .parquet")
    if path.stat().st_size == 0:
        raise DataValidationError(str(path), "the file is empty")
    return path, suffix == ".csv"


def _header(path: Path, is_csv: bool) -> list[str]:
    import pyarrow.parquet as pq

    from ipposaki.sources.files import csv_header

    if is_csv:
        return csv_header(path)
    try:
        return list(pq.read_schema(path).names)
    except Exception as exc:
        raise DataValidationError(str(path), f"not a readable Parquet file ({exc})") from None


def _unique_columns(path: Path, header: list[str], fold_case: bool) -> None:
    """Refuse a header that names a column twice (ignoring spaces, and case if ``fold_case``)."""
    names = [h.strip().lower() if fold_case else h.strip() for h in header]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise DataValidationError(
            str(path), f"column {twice[0]!r} appears more than once: expected each column once"
        )


def _date_column(path: Path, header: list[str]) -> str:
    col = next((c for c in header if c.strip().lower() in _DATE_NAMES), None)
    if col is None:
        found = ", ".join(h.strip() for h in header)
        raise DataValidationError(str(path), f"missing required column 'date' (found: {found})")
    return col


def _read_csv(path: Path, types: dict[str, object] | None) -> tuple[pd.DataFrame, bool]:
    """Read a CSV with pyarrow: typed columns, or every column as text (``types=None``).

    Also says whether a float column holds a NaN, which only text such as ``nan`` gives (an
    empty cell is null, not NaN).
    """
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pacsv

    header = _header(path, True)
    column_types = types if types is not None else {c: pa.string() for c in header}
    convert = pacsv.ConvertOptions(
        column_types=column_types, strings_can_be_null=True, null_values=[""]
    )
    try:
        table = pacsv.read_csv(path, convert_options=convert)
    except pa.ArrowInvalid as exc:
        if "UTF8" in str(exc) or "UTF-8" in str(exc):
            raise DataValidationError(str(path), "is not UTF-8 text") from None
        if types is not None:
            raise  # a cell the types cannot hold: the caller re-reads the text to name it
        # Read as text, so the file itself is malformed: a ragged row, an unclosed quote.
        text = " ".join(str(exc).split())[:200]
        raise DataValidationError(str(path), f"cannot be read as a table: {text}") from None
    nan_text = any(
        pc.any(pc.is_nan(table.column(i))).as_py()
        for i, field in enumerate(table.schema)
        if pa.types.is_floating(field.type)
    )
    return table.to_pandas(date_as_object=False), bool(nan_text)


def _read_parquet(path: Path) -> pd.DataFrame:
    """A Parquet file's columns as written, an index written by pandas included."""
    import pyarrow.parquet as pq

    return pq.read_table(path).to_pandas(ignore_metadata=True)


def _text(series: pd.Series) -> pd.Series:
    """Cells as text, NA where missing (a NaN in a typed Parquet column is a missing cell)."""
    if pd.api.types.is_datetime64_any_dtype(series):
        return series.dt.strftime("%Y-%m-%d").astype("string")
    return series.astype("string")


def _typed_dates(series: pd.Series) -> pd.Series | None:
    """Dates a Parquet writer typed (datetime64, or ``datetime.date`` objects); None for text."""
    import datetime as dt

    if pd.api.types.is_datetime64_any_dtype(series):
        return series
    present = series.dropna()
    if len(present) and all(isinstance(v, dt.date) for v in present):
        return pd.Series(pd.to_datetime(series), index=series.index)
    return None


def _date_check(date_format: str | None) -> Check:
    allowed = date_rule(date_format, DATE_FORMAT_OPTION)

    def check(cells: pd.Series) -> list[tuple[np.ndarray, str]]:
        typed = _typed_dates(cells)
        parsed = typed if typed is not None else parse_date_text(_text(cells), date_format)
        return [(parsed.isna().to_numpy(), allowed)]

    return check


def _number_check(rule: Rule) -> Check:
    def check(raw: pd.Series) -> list[tuple[np.ndarray, str]]:
        cells = _text(raw).str.strip()
        empty = (cells.isna() | (cells == "")).to_numpy(dtype=bool)
        number = pd.to_numeric(cells.where(~empty), errors="coerce").astype("Float64")
        values = number.to_numpy(dtype=np.float64, na_value=np.nan)
        problems = [
            (~empty & np.isnan(values), "a number (an empty cell is a missing return)"),
            (np.isinf(values), "a finite number"),
        ]
        if rule == "simple":
            problems.append((values < -1.0, "a simple return >= -1 (a fall of at most 100%)"))
        return problems

    return check


def _first_bad(table: _Table, checks: dict[str, Check]) -> DataValidationError | None:
    """The error for the first bad cell by record, then by column order; None if all pass."""
    best: tuple[int, int, str, str] | None = None
    for order, (column, check) in enumerate(checks.items()):
        for bad, allowed in check(table.frame[column]):
            if bad.any():
                pos = int(np.flatnonzero(bad)[0])
                if best is None or (pos, order) < (best[0], best[1]):
                    best = (pos, order, column, allowed)
    if best is None:
        return None
    pos, _, column, allowed = best
    value = table.frame[column].iloc[pos]
    shown = "" if value is None or value is pd.NA or value is pd.NaT else value
    if isinstance(shown, float) and np.isnan(shown):
        shown = ""
    if isinstance(shown, pd.Timestamp):
        shown = str(shown.date())
    return table.error(pos, column, shown, allowed)


def _value_table(
    path: str | Path,
    argument: str,
    date_format: str | None,
    rule: Rule,
    text_columns: Sequence[str] = (),
) -> tuple[_Table, str, list[str]]:
    """Read a table of a date column, text columns and numeric (return) columns, strictly.

    Returns the table (dates parsed, numbers as float64), its date column and value columns.
    """
    import pyarrow as pa

    file, is_csv = _check_path(path, argument)
    header = _header(file, is_csv)
    if not header or header == [""]:
        raise DataValidationError(str(file), "the file is empty")
    _unique_columns(file, header, fold_case=False)
    date_col = _date_column(file, header)
    texts = [c for c in header if c.strip().lower() in text_columns]
    values = [c for c in header if c != date_col and c not in texts]
    checks: dict[str, Check] = {date_col: _date_check(date_format)}
    checks.update({c: _number_check(rule) for c in values})
    nan_text = False
    if is_csv:
        types: dict[str, object] = {c: pa.string() for c in texts}
        types[date_col] = pa.date32() if date_format is None else pa.string()
        types.update({c: pa.float64() for c in values})
        try:
            frame, nan_text = _read_csv(file, types)
            typed = True
        except Exception as exc:  # pyarrow raises ArrowInvalid on a cell it cannot convert
            if not type(exc).__module__.startswith("pyarrow"):
                raise
            frame, typed = _read_csv(file, None)[0], False
    else:
        frame, typed = _read_parquet(file), True
    if frame.empty:
        raise DataValidationError(str(file), "the file has a header but no rows")
    table = _Table(file, is_csv, frame)
    clean = _typed_cells(frame, date_col, values, rule, date_format) if typed else None
    if clean is None or nan_text:  # find and name the first bad cell on the text
        if is_csv and typed:
            table = _Table(file, True, _read_csv(file, None)[0])
        error = _first_bad(table, checks)
        if error is not None:
            raise error
        clean = table.frame.copy()
        typed_dates = _typed_dates(clean[date_col])
        clean[date_col] = (
            typed_dates
            if typed_dates is not None
            else parse_date_text(_text(clean[date_col]), date_format)
        )
        for c in values:
            number = pd.to_numeric(_text(clean[c]).str.strip(), errors="coerce")
            clean[c] = number.astype("Float64").to_numpy(dtype=np.float64, na_value=np.nan)
    table = _Table(file, is_csv, clean)
    dates = pd.DatetimeIndex(table.frame[date_col])
    if dates.tz is not None:
        dates = dates.tz_convert(None)
    table.frame[date_col] = dates.normalize().as_unit("ns")
    return table, date_col, values


def _typed_cells(
    frame: pd.DataFrame, date_col: str, values: list[str], rule: Rule, date_format: str | None
) -> pd.DataFrame | None:
    """The frame with parsed dates and float returns, or None if a cell breaks a rule."""
    frame = frame.copy()
    typed = _typed_dates(frame[date_col])
    parsed = typed if typed is not None else parse_date_text(_text(frame[date_col]), date_format)
    if parsed.isna().any():
        return None
    frame[date_col] = parsed
    if not all(pd.api.types.is_numeric_dtype(frame[c]) for c in values):
        return None
    numbers = frame[values].to_numpy(dtype=np.float64) if values else np.zeros((len(frame), 0))
    with np.errstate(invalid="ignore"):
        if np.isinf(numbers).any() or (rule == "simple" and (numbers < -1.0).any()):
            return None
    for c in values:
        frame[c] = frame[c].astype(np.float64)
    return frame


def _on_sessions(
    table: _Table, dates: pd.DatetimeIndex, exchange: str | None
) -> pd.DatetimeIndex | None:
    """With an exchange: check every date is a session; return its sessions over the span."""
    if exchange is None:
        return None
    from ipposaki.calendars import is_session, sessions
    from ipposaki.panel.exchanges import check_exchange

    check_exchange(exchange)
    off = ~is_session(exchange, dates)
    if off.any():
        pos = int(np.flatnonzero(off)[0])
        raise DataValidationError(
            str(table.path),
            f"{table.where(pos)}: date={str(dates[pos].date())!r} is not a session of {exchange} "
            f"({int(off.sum())} such rows): expected returns dated on {exchange} sessions",
        )
    return pd.DatetimeIndex(sessions(exchange, dates.min(), dates.max())).as_unit("ns")


def _unique_dates(table: _Table, keys: pd.DataFrame, what: str) -> None:
    """Raise on two records with the same key (a date, or a date and a symbol)."""
    dup = keys.duplicated(keep=False).to_numpy()
    if dup.any():
        first = keys.loc[dup].iloc[0]
        same = np.flatnonzero((keys == first).all(axis=1).to_numpy())[:2]
        parts = [str(v.date()) if isinstance(v, pd.Timestamp) else str(v) for v in first]
        label = " on ".join(reversed(parts))  # "MKT on 2024-01-03", or the date alone
        lines = ", ".join(table.where(int(p)).split()[1] for p in same)
        kind = "lines" if table.is_csv else "rows"
        raise DataValidationError(
            str(table.path), f"{kind} {lines}: two {what} for {label}: expected one"
        )


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
    header_cols = [c.strip().lower() for c in _header(*_check_path(path, "returns"))]
    long = "symbol" in header_cols
    if long and "return" not in header_cols:
        raise DataValidationError(str(path), "missing required column 'return'")
    if long:
        table, date_col, values = _value_table(path, "returns", date_format, rule, ("symbol",))
        sym_col = next(c for c in table.frame.columns if c.strip().lower() == "symbol")
        ret_col = next(c for c in values if c.strip().lower() == "return")
        symbol = table.frame[sym_col].astype("string").str.strip()
        blank = (symbol.isna() | (symbol == "")).to_numpy()
        if blank.any():
            pos = int(np.flatnonzero(blank)[0])
            raise table.error(pos, sym_col, "", "a symbol such as NVDA or 8035.T")
        keys = pd.DataFrame({"date": table.frame[date_col], "symbol": symbol.astype(str)})
        _unique_dates(table, keys, "returns")
        grid = _on_sessions(table, pd.DatetimeIndex(keys["date"]), exchange)
        wide = (
            pd.DataFrame({**keys, "ret": table.frame[ret_col].to_numpy(np.float64)})
            .pivot(index="date", columns="symbol", values="ret")
            .sort_index()
        )
    else:
        table, date_col, values = _value_table(path, "returns", date_format, rule)
        if not values:
            raise DataValidationError(str(path), "no symbol columns besides 'date'")
        dates = table.frame[date_col]
        _unique_dates(table, pd.DataFrame({"date": dates}), "rows")
        grid = _on_sessions(table, pd.DatetimeIndex(dates), exchange)
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
    table, date_col, values = _value_table(path, "factors", date_format, "log" if log else "simple")
    if not values:
        raise DataValidationError(str(path), "no factor columns besides 'date'")
    dates = table.frame[date_col]
    _unique_dates(table, pd.DataFrame({"date": dates}), "rows")
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
    file, _ = _check_path(path, "prices")
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
    file, is_csv = _check_path(path, "events")
    _unique_columns(file, _header(file, is_csv), fold_case=True)  # names are matched lower-case
    frame = _read_csv(file, None)[0] if is_csv else _read_parquet(file)
    if frame.empty:
        raise DataValidationError(str(file), "the file has no rows")
    frame.columns = [str(c).strip().lower() for c in frame.columns]
    table = _Table(file, is_csv, frame)
    if "date" in frame.columns and "event_date" not in frame.columns:
        frame = frame.rename(columns={"date": "event_date"})
        table = _Table(file, is_csv, frame)
    for col in frame.columns:
        if col in ("event_date", *_EVENT_DATES):
            frame[col] = _event_dates(table, col, date_format)
        elif pd.api.types.is_string_dtype(frame[col]) or frame[col].dtype == object:
            text = frame[col].astype("string").str.strip()
            frame[col] = text.astype(object).where((text.notna() & (text != "")).to_numpy())
    if "event_id" not in frame.columns:  # numbered by row before any split by exchange
        frame.insert(0, "event_id", [f"E{i + 1}" for i in range(len(frame))])
    return frame


def _event_dates(table: _Table, col: str, date_format: str | None) -> pd.Series:
    """Parse one date column of an events file; zoned timestamps stay text (event_date)."""
    values = table.frame[col]
    typed = _typed_dates(values)
    if typed is not None:
        if getattr(typed.dt, "tz", None) is not None:  # a moment: map it like a timestamp
            return typed.map(lambda v: v.isoformat() if pd.notna(v) else None).astype(object)
        return typed
    text = _text(values).str.strip()
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


# -- results ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExchangeStudies(Result):
    """One event study per exchange, from inputs that hold several exchanges.

    Attributes
    ----------
    results : Mapping[str, EventStudyResult]
        Results by exchange (ISO MIC), read-only.

    Notes
    -----
    :meth:`to_dir` writes each exchange's study into ``out/EXCHANGE/`` (its own
    :meth:`~ipposaki.study.results.EventStudyResult.to_dir`), then ``caar.csv`` (every
    exchange's CAAR), ``summary.txt`` and ``manifest.json`` into ``out``.
    """

    results: Mapping[str, EventStudyResult]

    def __post_init__(self) -> None:
        object.__setattr__(self, "results", freeze(self.results))

    @property
    def summary(self) -> Summary:
        """Every exchange's summary under ``== EXCHANGE ==``, one after the other."""
        blocks: list[str | SummaryTable] = []
        for mic, res in self.results.items():
            blocks.extend([f"== {mic} ==", *res.summary.blocks])
        return Summary.of(*blocks)

    @property
    def manifest(self) -> Mapping[str, Any]:
        """Each exchange's pairs, exclusions and data hash (the rest is in each exchange's
        own manifest), and the versions."""
        exchanges = {
            mic: {
                "pairs": len(res.params),
                "excluded": len(res.excluded),
                "data_hash": res.parameters.data_hash,
            }
            for mic, res in self.results.items()
        }
        return freeze({"exchanges": exchanges, "versions": versions()})

    def frames(self) -> dict[str, pd.DataFrame]:
        """``caar``: every exchange's CAAR table, with the exchange as its first column."""
        caar = [res.caar.assign(exchange=mic) for mic, res in self.results.items()]
        if not caar:
            return {"caar": pd.DataFrame(columns=["exchange"])}
        table = pd.concat(caar, ignore_index=True)
        return {"caar": table[["exchange", *(c for c in table.columns if c != "exchange")]]}

    def to_dir(self, out: str | Path) -> list[Path]:
        """Write each exchange's study into ``out/EXCHANGE/``, then ``caar.csv``,
        ``summary.txt`` and ``manifest.json`` into ``out``.

        Parameters
        ----------
        out : str or pathlib.Path
            Output folder, created if needed.

        Returns
        -------
        list[pathlib.Path]
            The files written.

        Raises
        ------
        InputError
            When ``out`` exists and is not a folder.
        """
        folder = prepare_dir(out)
        written = [p for mic, res in self.results.items() for p in res.to_dir(folder / mic)]
        return [*written, *super().to_dir(folder)]
