"""Input tables read strictly: a file's cells, typed or as text, checked cell by cell.

The helpers behind :mod:`ipposaki.study.io`'s readers: the path and header checks, reading CSV
(pyarrow, typed or as text) and Parquet, the date and number checks of a column's cells, and
the error that names the file, the line (CSV: the header is line 1) or row (Parquet, from 1),
the column and the value of the first bad cell.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from ipposaki.errors import DataValidationError, InputError
from ipposaki.sources.files import date_rule, parse_date_text

__all__ = [
    "DATE_FORMAT_OPTION",
    "Check",
    "InputTable",
    "Rule",
    "cell_text",
    "check_path",
    "check_unique_columns",
    "check_unique_keys",
    "read_csv_cells",
    "read_header",
    "read_parquet_cells",
    "read_value_table",
    "session_grid",
    "typed_dates",
]

#: The option that sets the date format, named in messages about dates.
DATE_FORMAT_OPTION = "`date_format`"  # named as the way out in date messages
_DATE_NAMES = ("date", "session")
Rule = Literal["simple", "log"]
#: One check of a column's cells: (bad mask, what is allowed) for each kind of problem.
Check = Callable[[pd.Series], list[tuple[np.ndarray, str]]]


@dataclass(frozen=True)
class InputTable:
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


def check_path(path: str | Path, argument: str) -> tuple[Path, bool]:
    """The file ``path`` (argument ``argument``), and whether it is a CSV (else Parquet).

    Raises
    ------
    InputError
        When it is not an existing ``.csv`` or ``.parquet`` file.
    DataValidationError
        When it is empty.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(argument, str(path), "an existing .csv or .parquet file")
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".parquet", ".pq"):
        raise InputError(argument, str(path), "a file ending in .csv or .parquet")
    if path.stat().st_size == 0:
        raise DataValidationError(str(path), "the file is empty")
    return path, suffix == ".csv"


def read_header(path: Path, is_csv: bool) -> list[str]:
    """The column names of a CSV's header or a Parquet file's schema.

    Raises
    ------
    DataValidationError
        When a Parquet file cannot be read.
    """
    import pyarrow.parquet as pq

    from ipposaki.sources.files import csv_header

    if is_csv:
        return csv_header(path)
    try:
        return list(pq.read_schema(path).names)
    except Exception as exc:
        raise DataValidationError(str(path), f"not a readable Parquet file ({exc})") from None


def check_unique_columns(path: Path, header: list[str], fold_case: bool) -> None:
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


def read_csv_cells(path: Path, types: dict[str, object] | None) -> tuple[pd.DataFrame, bool]:
    """Read a CSV with pyarrow: typed columns, or every column as text (``types=None``).

    Also says whether a float column holds a NaN, which only text such as ``nan`` gives (an
    empty cell is null, not NaN).
    """
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pacsv

    header = read_header(path, True)
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


def read_parquet_cells(path: Path) -> pd.DataFrame:
    """A Parquet file's columns as written, an index written by pandas included."""
    import pyarrow.parquet as pq

    return pq.read_table(path).to_pandas(ignore_metadata=True)


def cell_text(series: pd.Series) -> pd.Series:
    """Cells as text, NA where missing (a NaN in a typed Parquet column is a missing cell)."""
    if pd.api.types.is_datetime64_any_dtype(series):
        return series.dt.strftime("%Y-%m-%d").astype("string")
    return series.astype("string")


def typed_dates(series: pd.Series) -> pd.Series | None:
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
        typed = typed_dates(cells)
        parsed = typed if typed is not None else parse_date_text(cell_text(cells), date_format)
        return [(parsed.isna().to_numpy(), allowed)]

    return check


def _number_check(rule: Rule) -> Check:
    def check(raw: pd.Series) -> list[tuple[np.ndarray, str]]:
        cells = cell_text(raw).str.strip()
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


def _first_bad(table: InputTable, checks: dict[str, Check]) -> DataValidationError | None:
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


def read_value_table(
    path: str | Path,
    argument: str,
    date_format: str | None,
    rule: Rule,
    text_columns: Sequence[str] = (),
) -> tuple[InputTable, str, list[str]]:
    """Read a table of a date column, text columns and numeric (return) columns, strictly.

    Returns the table (dates parsed, numbers as float64), its date column and value columns.
    """
    import pyarrow as pa

    file, is_csv = check_path(path, argument)
    header = read_header(file, is_csv)
    if not header or header == [""]:
        raise DataValidationError(str(file), "the file is empty")
    check_unique_columns(file, header, fold_case=False)
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
            frame, nan_text = read_csv_cells(file, types)
            typed = True
        except Exception as exc:  # pyarrow raises ArrowInvalid on a cell it cannot convert
            if not type(exc).__module__.startswith("pyarrow"):
                raise
            frame, typed = read_csv_cells(file, None)[0], False
    else:
        frame, typed = read_parquet_cells(file), True
    if frame.empty:
        raise DataValidationError(str(file), "the file has a header but no rows")
    table = InputTable(file, is_csv, frame)
    clean = _typed_cells(frame, date_col, values, rule, date_format) if typed else None
    if clean is None or nan_text:  # find and name the first bad cell on the text
        if is_csv and typed:
            table = InputTable(file, True, read_csv_cells(file, None)[0])
        error = _first_bad(table, checks)
        if error is not None:
            raise error
        clean = table.frame.copy()
        given = typed_dates(clean[date_col])
        clean[date_col] = (
            given if given is not None else parse_date_text(cell_text(clean[date_col]), date_format)
        )
        for c in values:
            number = pd.to_numeric(cell_text(clean[c]).str.strip(), errors="coerce")
            clean[c] = number.astype("Float64").to_numpy(dtype=np.float64, na_value=np.nan)
    table = InputTable(file, is_csv, clean)
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
    parsed = typed_dates(frame[date_col])
    if parsed is None:
        parsed = parse_date_text(cell_text(frame[date_col]), date_format)
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


def session_grid(
    table: InputTable, dates: pd.DatetimeIndex, exchange: str | None
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


def check_unique_keys(table: InputTable, keys: pd.DataFrame, what: str) -> None:
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
