"""Read price files (CSV or Parquet, long or wide) into one canonical table of price rows.

Two layouts are accepted:

* **long**: ``date,symbol,open,high,low,close,adj_close,volume,currency``, the layout of
  ``shared/data/prices/daily.csv``. Only ``date``, ``symbol`` and one of ``close`` /
  ``adj_close`` are required; a ``session`` column is accepted in place of ``date``.
* **wide**: ``date`` and then one column of closes per symbol. Empty cells mean "no price" and
  make no row; any other text (``n/a``, ``-``) is an error.

Parsing is strict: a cell that is not a number or a date is an error naming the file, the line
and the value (``nan`` and ``NaN`` are text, not numbers: an empty cell is a missing value).
Dates are ISO ``YYYY-MM-DD`` unless the caller gives a ``date_format`` (a ``strptime`` format
such as ``%d/%m/%Y``); ``05/02/2024`` is never guessed. Other columns of a long file (``note``,
``source``) are read as text and left out. The fast path lets pyarrow parse typed columns; only
when that fails is the file re-read as text to find and name the first bad cell.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from ipposaki.errors import DataValidationError, InputError, IpposakiError

__all__ = [
    "PRICE_COLUMNS",
    "Layout",
    "csv_header",
    "date_rule",
    "in_nanoseconds",
    "parse_date_text",
    "parse_iso_date",
    "read_price_file",
]

#: Canonical columns of price rows, in order.
PRICE_COLUMNS: tuple[str, ...] = (
    "symbol",
    "session",
    "open",
    "high",
    "low",
    "close",
    "adj_close",
    "volume",
    "currency",
    "line",
)
NUMERIC_COLUMNS: tuple[str, ...] = ("open", "high", "low", "close", "adj_close", "volume")
Layout = Literal["auto", "long", "wide"]


#: What a date or moment must lie in: pandas' datetime64[ns] range.
NANOSECOND_RANGE = "between 1677-09-22 and 2262-04-11"


def in_nanoseconds(stamp: pd.Timestamp, argument: str, shown: str, what: str) -> pd.Timestamp:
    """``stamp`` as a nanosecond Timestamp (pandas' calendar arithmetic), or an InputError
    naming ``argument`` when it lies outside that range (``what``: "a date", "a timestamp").

    Examples
    --------
    >>> in_nanoseconds(pd.Timestamp("2025-01-27"), "date", "2025-01-27", "a date").unit
    'ns'
    >>> try:
    ...     in_nanoseconds(pd.Timestamp("9999-12-31"), "date", "9999-12-31", "a date")
    ... except InputError as err:
    ...     print(err)
    date='9999-12-31' is not allowed: expected a date between 1677-09-22 and 2262-04-11
    """
    try:
        return stamp.as_unit("ns")
    except (pd.errors.OutOfBoundsDatetime, OverflowError):
        raise InputError(argument, shown, f"{what} {NANOSECOND_RANGE}") from None


def parse_iso_date(value: object, argument: str) -> pd.Timestamp:
    """A date given as YYYY-MM-DD text or a TOML date, as a Timestamp at midnight.

    Nothing else is guessed: not ``today`` or ``now`` (a run would depend on the clock), not
    ``1/27/2025``, not a time of day (give a ``timestamp`` with its zone instead). The date
    lies in pandas' nanosecond range.

    Parameters
    ----------
    value : object
        The date.
    argument : str
        Its name in an error.

    Returns
    -------
    pandas.Timestamp
        The date.

    Raises
    ------
    InputError
        For anything else.

    Examples
    --------
    >>> parse_iso_date("2025-01-27", "date")
    Timestamp('2025-01-27 00:00:00')
    >>> try:
    ...     parse_iso_date("now", "events[0].date")
    ... except InputError as err:
    ...     print(err)
    events[0].date='now' is not allowed: expected a date as YYYY-MM-DD
    """
    import datetime as dt
    import re

    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        day = value
    elif isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()):
        try:
            day = dt.date.fromisoformat(value.strip())
        except ValueError:
            raise InputError(argument, value, "a date as YYYY-MM-DD") from None
    else:
        moment = isinstance(value, dt.datetime) or "T" in str(value)
        hint = " (a moment, with its zone, is a 'timestamp')" if moment else ""
        shown = value.isoformat() if isinstance(value, dt.datetime) else value
        raise InputError(argument, shown, "a date as YYYY-MM-DD" + hint)
    return in_nanoseconds(pd.Timestamp(day), argument, str(value), "a date")


def parse_date_text(text: pd.Series, date_format: str | None = None) -> pd.Series:
    """Parse date cells strictly: ISO ``YYYY-MM-DD``, or ``date_format`` when given.

    Parameters
    ----------
    text : pandas.Series
        Cells as text (missing cells as NA).
    date_format : str, optional
        A ``strptime`` format, e.g. ``%d/%m/%Y``.

    Returns
    -------
    pandas.Series
        ``datetime64`` values, NaT where the cell is empty or not a date in that form.

    Examples
    --------
    >>> parse_date_text(pd.Series(["2024-02-05", "05/02/2024", ""])).dt.day.tolist()
    [5.0, nan, nan]
    >>> parse_date_text(pd.Series(["05/02/2024"]), "%d/%m/%Y").dt.month.tolist()
    [2]
    """
    cells = text.astype("string").str.strip()
    if date_format is None:
        iso = cells.str.fullmatch(r"\d{4}-\d{2}-\d{2}").fillna(False).astype(bool)
        cells = cells.where(iso)
        date_format = "%Y-%m-%d"
    parsed = pd.to_datetime(cells.astype(object), format=date_format, errors="coerce")
    return pd.Series(parsed, index=text.index)


def date_rule(date_format: str | None = None, format_option: str | None = None) -> str:
    """What a date cell must look like, for messages.

    Parameters
    ----------
    date_format : str, optional
        The format in use; ISO ``YYYY-MM-DD`` when omitted.
    format_option : str, optional
        The option that sets a format (``--date-format``), named as the way out.

    Returns
    -------
    str
        E.g. ``a date as YYYY-MM-DD (or give --date-format)``.
    """
    if date_format is not None:
        return f"a date as {date_format}"
    hint = f" (or give {format_option})" if format_option else ""
    return f"a date as YYYY-MM-DD{hint}"


def _where(path: Path, is_csv: bool, line: int) -> str:
    return f"line {line}" if is_csv else f"row {line}"


def _first_line_number(is_csv: bool) -> int:
    # CSV: line 1 is the header, so the first record is line 2. Parquet: records count from 1.
    return 2 if is_csv else 1


class _NanText(ValueError):
    """A CSV number cell reads as NaN: text such as ``nan``, which is not a number."""


def _read_raw_table(
    path: Path,
    is_csv: bool,
    typed: bool,
    date_format: str | None = None,
    layout: str = "wide",
) -> pd.DataFrame:
    """Read the file; ``typed`` lets pyarrow parse numbers and ISO dates, else all text.

    With a ``date_format``, date columns stay text (parsed afterwards with that format). In the
    long layout, columns other than the price fields are text (they are not kept). A typed CSV
    whose number cell reads as NaN raises :class:`_NanText`: an empty cell is the only missing
    value, so ``nan`` is named as a bad cell (by :func:`_diagnose`).
    """
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    if is_csv:
        header = csv_header(path)
        if typed:
            types: dict[str, pa.DataType] = {}
            for col in header:
                key = col.strip().lower()
                if key in ("date", "session"):
                    types[col] = pa.date32() if date_format is None else pa.string()
                elif key in ("symbol", "currency"):
                    types[col] = pa.dictionary(pa.int32(), pa.string())
                elif layout == "long" and key not in NUMERIC_COLUMNS:
                    types[col] = pa.string()
                else:
                    types[col] = pa.float64()
            convert = pacsv.ConvertOptions(
                column_types=types, strings_can_be_null=True, null_values=[""]
            )
        else:
            convert = pacsv.ConvertOptions(
                column_types={c: pa.string() for c in header},
                strings_can_be_null=True,
                null_values=[""],
            )
        table = pacsv.read_csv(path, convert_options=convert)
        if typed and any(
            pc.any(pc.is_nan(table.column(i))).as_py()
            for i, kind in enumerate(table.schema.types)
            if pa.types.is_floating(kind)
        ):
            raise _NanText(str(path))
    else:
        names = pq.read_schema(path).names
        as_dict = [n for n in names if n.strip().lower() in ("symbol", "currency")]
        table = pq.read_table(path, read_dictionary=as_dict if typed else None)
    frame = table.to_pandas(
        types_mapper=None, date_as_object=False, split_blocks=True, self_destruct=True
    )
    frame.columns = [str(c).strip().lower() for c in frame.columns]
    return frame


def csv_header(path: Path) -> list[str]:
    """The header cells of a CSV file, as written (empty list for an empty file)."""
    import csv

    with path.open("r", encoding="utf-8-sig", newline="") as fh:
        try:
            return next(csv.reader(fh))
        except StopIteration:
            return []
        except UnicodeDecodeError as exc:
            raise DataValidationError(
                str(path), f"is not UTF-8 text (byte 0x{exc.object[exc.start]:02x} at {exc.start})"
            ) from None


def check_date_format(date_format: str | None, option: str = "date_format") -> None:
    """Refuse a ``strptime`` format that cannot read back the dates it writes.

    Raises
    ------
    InputError
        Naming ``option``, for a format such as ``%`` or ``%Q`` or one without a day.
    """
    if date_format is None:
        return
    from datetime import datetime

    probe = datetime(2024, 2, 5)
    try:
        ok = datetime.strptime(probe.strftime(date_format), date_format) == probe
    except ValueError:
        ok = False
    if not ok:
        raise InputError(
            option, date_format, "a strptime format naming day, month and year, e.g. %d/%m/%Y"
        )


def _diagnose(
    path: Path,
    is_csv: bool,
    layout: str,
    date_format: str | None = None,
    format_option: str | None = None,
) -> DataValidationError:
    """Re-read ``path`` as text and name its first unparseable cell."""
    frame = _read_raw_table(path, is_csv, typed=False)
    base = _first_line_number(is_csv)
    date_col = "date" if "date" in frame.columns else "session"
    value_cols = [c for c in frame.columns if c not in ("date", "session", "symbol", "currency")]
    if layout == "long":
        value_cols = [c for c in value_cols if c in NUMERIC_COLUMNS]
    for col in [date_col, *value_cols]:
        text = frame[col]
        present = text.notna() & (text.astype(str).str.strip() != "")
        if col == date_col:
            parsed = parse_date_text(text, date_format)
            allowed = date_rule(date_format, format_option)
            bad = present & parsed.isna()
        else:
            parsed = pd.to_numeric(text, errors="coerce")
            allowed = "a number"
            bad = present & parsed.isna()
        if bad.any():
            pos = int(np.flatnonzero(bad.to_numpy())[0])
            return DataValidationError(
                str(path),
                f"{_where(path, is_csv, base + pos)}: {col}={text.iloc[pos]!r} "
                f"is not allowed: expected {allowed}",
            )
    return DataValidationError(str(path), "the file could not be parsed as a price table")


def _coerce_parquet(
    frame: pd.DataFrame,
    path: Path,
    layout: str,
    date_format: str | None = None,
    format_option: str | None = None,
) -> pd.DataFrame:
    """Parquet columns arrive typed by the writer; convert text columns strictly."""
    for col in frame.columns:
        if col in ("symbol", "currency"):
            continue
        series = frame[col]
        if col in ("date", "session"):
            if not pd.api.types.is_datetime64_any_dtype(series):
                converted = parse_date_text(series.astype("string"), date_format)
                if (converted.isna() & series.notna()).any():
                    raise _diagnose(path, False, layout, date_format, format_option)
                frame[col] = converted
            continue
        if layout == "long" and col not in NUMERIC_COLUMNS:
            continue
        if not pd.api.types.is_numeric_dtype(series):
            converted = pd.to_numeric(series, errors="coerce")
            if (converted.isna() & series.notna() & (series.astype(str) != "")).any():
                raise _diagnose(path, False, layout, date_format, format_option)
            frame[col] = converted
    return frame


def read_price_file(
    path: str | Path,
    layout: Layout = "auto",
    *,
    date_format: str | None = None,
    format_option: str | None = None,
) -> pd.DataFrame:
    """Read one CSV or Parquet price file into canonical price rows.

    Parameters
    ----------
    path : str or pathlib.Path
        A ``.csv`` or ``.parquet`` file.
    layout : {"auto", "long", "wide"}, default "auto"
        ``"auto"`` takes a file with a ``symbol`` column as long, else as wide.
    date_format : str, optional
        ``strptime`` format of the date column (e.g. ``%d/%m/%Y``); ISO ``YYYY-MM-DD`` when
        omitted. Dates are never guessed.
    format_option : str, optional
        The option that sets ``date_format`` (e.g. ``--date-format``), named in the message
        for a date that is not ISO.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`PRICE_COLUMNS`. ``symbol`` and ``currency`` are categorical (cheap for
        millions of rows); ``session`` is ``datetime64``; prices are ``float64``
        with ``NaN`` where the file has no value; ``line`` is the file's line (CSV) or record
        (Parquet) number, used to name rows in error messages.

    Raises
    ------
    InputError
        If the path does not exist or has an unsupported suffix, or ``layout`` is unknown.
    DataValidationError
        If the file is empty, lacks required columns, or holds an unparseable date or number.
    """
    path = Path(path)
    if layout not in ("auto", "long", "wide"):
        raise InputError("layout", layout, "one of 'auto', 'long', 'wide'")
    if not path.is_file():
        raise InputError("path", str(path), "an existing .csv or .parquet file")
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".parquet", ".pq"):
        raise InputError("path", str(path), "a file ending in .csv or .parquet")
    is_csv = suffix == ".csv"
    if path.stat().st_size == 0:
        raise DataValidationError(str(path), "the file is empty")
    header = csv_header(path) if is_csv else _parquet_columns(path)
    columns = [c.strip().lower() for c in header]
    if not columns or columns == [""]:
        raise DataValidationError(str(path), "the file is empty")
    twice = sorted({c for c in columns if columns.count(c) > 1})
    if twice:  # named as written (the match ignores case: AVGO and avgo are one column)
        shown = next(h.strip() for h in header if h.strip().lower() == twice[0])
        raise DataValidationError(
            str(path), f"column {shown!r} appears more than once: expected each column once"
        )
    try:
        return _read_checked(path, is_csv, columns, layout, date_format, format_option)
    except IpposakiError:
        raise
    except (ValueError, TypeError, AttributeError, KeyError, OverflowError) as exc:
        # A file that passed the header checks but still cannot be read (a ragged row, a
        # long file read as wide, zoned timestamps in Parquet): name the file, in one line.
        text = " ".join(str(exc).split())[:200]
        raise DataValidationError(
            str(path),
            f"cannot be read as a price table ({layout} layout): {text}",
        ) from None


def _read_checked(
    path: Path,
    is_csv: bool,
    columns: list[str],
    layout: str,
    date_format: str | None,
    format_option: str | None,
) -> pd.DataFrame:
    if layout == "auto":
        # A header naming a price field (close, open, ...) is long even if 'symbol' is missing.
        long_names = {"symbol", *NUMERIC_COLUMNS}
        layout = "long" if long_names & set(columns) else "wide"
    date_col = "date" if "date" in columns else ("session" if "session" in columns else None)
    if date_col is None:
        raise DataValidationError(
            str(path), f"missing required column 'date' (found: {', '.join(columns)})"
        )
    if layout == "long":
        missing = [c for c in ("symbol",) if c not in columns]
        if not ({"close", "adj_close"} & set(columns)):
            missing.append("close")
        if missing:
            raise DataValidationError(
                str(path),
                f"missing required column {missing[0]!r} for the long layout "
                f"(found: {', '.join(columns)})",
            )
    elif len(columns) < 2:
        raise DataValidationError(
            str(path), "a wide file needs 'date' and at least one symbol column"
        )

    try:
        frame = _read_raw_table(path, is_csv, typed=True, date_format=date_format, layout=layout)
    except Exception as exc:  # pyarrow raises ArrowInvalid (and friends) on a bad cell
        if isinstance(exc, _NanText) or type(exc).__module__.startswith("pyarrow"):
            raise _diagnose(path, is_csv, layout, date_format, format_option) from None
        raise
    if not is_csv:
        frame = _coerce_parquet(frame, path, layout, date_format, format_option)
    elif date_format is not None:
        parsed = parse_date_text(frame[date_col], date_format)
        if (parsed.isna() & frame[date_col].notna()).any():
            raise _diagnose(path, is_csv, layout, date_format, format_option)
        frame[date_col] = parsed
    if frame.empty:
        raise DataValidationError(str(path), "the file has a header but no rows")
    frame["line"] = np.arange(len(frame), dtype=np.int64) + _first_line_number(is_csv)
    frame = frame.rename(columns={date_col: "session"})
    if frame["session"].isna().any():
        pos = int(np.flatnonzero(frame["session"].isna().to_numpy())[0])
        raise DataValidationError(
            str(path),
            f"{_where(path, is_csv, int(frame['line'].iloc[pos]))}: date is empty: "
            f"expected {date_rule(date_format)}",
        )
    return _to_canonical(frame, layout, path, is_csv)


def _parquet_columns(path: Path) -> list[str]:
    import pyarrow.parquet as pq

    try:
        return list(pq.read_schema(path).names)
    except Exception as exc:
        raise DataValidationError(str(path), f"not a readable Parquet file ({exc})") from None


def _to_canonical(frame: pd.DataFrame, layout: str, path: Path, is_csv: bool) -> pd.DataFrame:
    n = len(frame)
    if layout == "wide":
        symbols = [c for c in frame.columns if c not in ("session", "line")]
        values = frame[symbols].to_numpy(dtype=np.float64, na_value=np.nan)
        keep = ~np.isnan(values)
        rows, cols = np.nonzero(keep)
        out = pd.DataFrame(
            {
                "symbol": pd.Categorical.from_codes(
                    cols, categories=pd.Index(_original_symbols(path, is_csv, symbols))
                ),
                "session": frame["session"].to_numpy()[rows],
                "close": values[rows, cols],
                "line": frame["line"].to_numpy()[rows],
            }
        )
        n = len(out)
        for col in ("open", "high", "low", "adj_close", "volume"):
            out[col] = np.full(n, np.nan)
        out["currency"] = pd.Categorical([""] * n)
        frame = out
    else:
        for col in NUMERIC_COLUMNS:
            if col not in frame.columns:
                frame[col] = np.full(n, np.nan)
            else:
                frame[col] = frame[col].astype(np.float64)
        if "currency" not in frame.columns:
            frame["currency"] = ""
        # A blank currency cell is no currency, as a file without the column: "" (never NaN).
        currency = frame["currency"].astype("category")
        if currency.isna().any():
            if "" not in currency.cat.categories:
                currency = currency.cat.add_categories([""])
            currency = currency.fillna("")
        frame["currency"] = currency
        symbol = _clean_symbols(frame["symbol"])
        blank = symbol.isna().to_numpy()
        if blank.any():
            pos = int(np.flatnonzero(blank)[0])
            raise DataValidationError(
                str(path),
                f"{_where(path, is_csv, int(frame['line'].iloc[pos]))}: symbol is empty: "
                "expected a symbol such as NVDA or 8035.T",
            )
        frame["symbol"] = symbol
    frame["session"] = pd.to_datetime(frame["session"]).astype("datetime64[s]")
    return frame.loc[:, list(PRICE_COLUMNS)]


def _clean_symbols(symbol: pd.Series) -> pd.Series:
    """Return symbols as a categorical with surrounding spaces removed and blanks as NaN.

    Work is done on the (few) categories, not on the (many) rows.
    """
    if not isinstance(symbol.dtype, pd.CategoricalDtype):
        symbol = symbol.astype("category")
    cats = pd.Index(symbol.cat.categories.astype(str))
    if not symbol.cat.categories.equals(cats):  # integer or other non-text symbols
        symbol = symbol.cat.rename_categories(list(cats))
    stripped = cats.str.strip()
    if not stripped.equals(cats):
        symbol = symbol.astype(object).str.strip().astype("category")
        cats = pd.Index(symbol.cat.categories.astype(str))
    if (cats == "").any():
        symbol = symbol.cat.remove_categories([""])
    return symbol


def _original_symbols(path: Path, is_csv: bool, lowered: list[str]) -> list[str]:
    """Wide files carry symbols in their header; keep their original case."""
    header = csv_header(path) if is_csv else _parquet_columns(path)
    original = {h.strip().lower(): h.strip() for h in header}
    return [original.get(s, s) for s in lowered]
