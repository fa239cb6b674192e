"""Validation of price rows before they are written: everything is checked, then written.

Errors (the ingest stops and the store is untouched):

* a non-positive price, a price above :data:`MAX_PRICE` (10^9; infinity included), a high
  below the low, or a volume that is negative or above :data:`MAX_VOLUME` (10^14; infinity
  included);
* a row with neither ``close`` nor ``adj_close``;
* two rows for one (symbol, session) with different values;
* a row dated on a day that is not a session of the symbol's exchange (unless the caller asks
  to skip such rows, which then raises :class:`~ipposaki.errors.NonSessionWarning`).

Warnings (the rows are kept and the problem is named):

* :class:`~ipposaki.errors.SplitLikeMoveWarning`: a one-session move of 50% or more either way
  (not for indices and FX rates, which have no splits);
* :class:`~ipposaki.errors.MissingSessionWarning`: sessions without a row inside a symbol's range;
* :class:`~ipposaki.errors.DuplicateRowWarning`: exact duplicate rows, collapsed into one.

All checks are vectorised over the whole batch: the rows are sorted once by (symbol code,
day number) and every check works on those integer arrays.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from ipposaki.calendars import calendar_bounds, sessions
from ipposaki.errors import (
    DataValidationError,
    DuplicateRowWarning,
    InputError,
    MissingSessionWarning,
    NonSessionWarning,
    SplitLikeMoveWarning,
    preview,
)
from ipposaki.sources.files import NUMERIC_COLUMNS

__all__ = [
    "MAX_PRICE",
    "MAX_VOLUME",
    "SPLIT_LIKE_MOVE",
    "NonSessionPolicy",
    "ValidationReport",
    "session_gaps",
    "validate_prices",
]

#: The largest price accepted; anything above is a unit or parsing error (Berkshire A is ~1e6).
MAX_PRICE = 1e9
#: The largest volume accepted (the Nasdaq Composite's busiest day in the shared data is 1.8e10).
MAX_VOLUME = 1e14
#: A one-session move at least this large (as a fraction, either way) looks like a split.
SPLIT_LIKE_MOVE = 0.5
NonSessionPolicy = Literal["error", "skip"]
_PRICE_COLUMNS = ("open", "high", "low", "close", "adj_close")
_EPOCH = np.datetime64("1970-01-01", "D")


@dataclass(frozen=True)
class ValidationReport:
    """What validation found in one batch of rows, besides the errors it raised.

    Attributes
    ----------
    rows_in, rows_out : int
        Rows received, and rows that pass on to the store.
    non_sessions : pandas.DataFrame
        Rows skipped because their date is not a session (symbol, session, exchange, line).
    duplicates_collapsed : int
        Exact duplicate rows merged into one.
    split_like_moves : pandas.DataFrame
        Moves of 50% or more (symbol, session, ret).
    missing_sessions : pandas.DataFrame
        Per symbol: exchange, missing (count of sessions), examples (first missing session
        of each gap).
    unchecked_rows : int
        Rows dated outside the span the exchange's calendar can speak for (an error, unless
        non-sessions are skipped: then they are skipped and listed in ``non_sessions``).
    """

    rows_in: int
    rows_out: int
    non_sessions: pd.DataFrame = field(default_factory=pd.DataFrame)
    duplicates_collapsed: int = 0
    split_like_moves: pd.DataFrame = field(default_factory=pd.DataFrame)
    missing_sessions: pd.DataFrame = field(default_factory=pd.DataFrame)
    unchecked_rows: int = 0


def _day(value: Any) -> str:
    """Format a date-like cell as YYYY-MM-DD."""
    return str(pd.Timestamp(value).date())


def _where(source: str, line: int) -> str:
    return f"row {line}" if source.lower().endswith((".parquet", ".pq")) else f"line {line}"


def _session_days(exchange: str) -> np.ndarray:
    """The exchange's sessions as int64 day numbers, sorted."""
    return (sessions(exchange).values.astype("datetime64[D]") - _EPOCH).astype(np.int64)


def _check_values(rows: pd.DataFrame, source: str) -> None:
    for col in _PRICE_COLUMNS:
        values = rows[col].to_numpy()
        bad = (values <= 0) | (values > MAX_PRICE)
        if bad.any():
            pos = int(np.flatnonzero(bad)[0])
            allowed = "a positive price"
            if values[pos] > 0:
                finite = "a finite" if np.isinf(values[pos]) else "a"
                allowed = f"{finite} positive price of at most {MAX_PRICE:g}"
            raise DataValidationError(
                source,
                f"{_where(source, int(rows['line'].iloc[pos]))}: {col}={values[pos]:g} for "
                f"{rows['symbol'].iloc[pos]} on {_day(rows['session'].iloc[pos])} is not "
                f"allowed: expected {allowed}",
            )
    high, low = rows["high"].to_numpy(), rows["low"].to_numpy()
    inverted = high < low  # NaN on either side compares False
    if inverted.any():
        pos = int(np.flatnonzero(inverted)[0])
        raise DataValidationError(
            source,
            f"{_where(source, int(rows['line'].iloc[pos]))}: high={high[pos]:g} is below "
            f"low={low[pos]:g} for {rows['symbol'].iloc[pos]} on "
            f"{_day(rows['session'].iloc[pos])}: expected high >= low",
        )
    vol = rows["volume"].to_numpy()
    bad = (vol < 0) | (vol > MAX_VOLUME)
    if bad.any():
        pos = int(np.flatnonzero(bad)[0])
        raise DataValidationError(
            source,
            f"{_where(source, int(rows['line'].iloc[pos]))}: volume={vol[pos]:g} is not allowed: "
            f"expected a volume from 0 to {MAX_VOLUME:g}, or empty",
        )
    no_price = np.isnan(rows["close"].to_numpy()) & np.isnan(rows["adj_close"].to_numpy())
    if no_price.any():
        pos = int(np.flatnonzero(no_price)[0])
        raise DataValidationError(
            source,
            f"{_where(source, int(rows['line'].iloc[pos]))}: close is empty for "
            f"{rows['symbol'].iloc[pos]}: expected a close or an adj_close",
        )


def _same_key(codes: np.ndarray, days: np.ndarray) -> np.ndarray:
    """For sorted rows, True where a row has the same (symbol, day) as the row before it."""
    same = np.zeros(len(codes), dtype=bool)
    same[1:] = (codes[1:] == codes[:-1]) & (days[1:] == days[:-1])
    return same


def _collapse_duplicates(
    rows: pd.DataFrame, codes: np.ndarray, days: np.ndarray, source: str
) -> np.ndarray:
    """Return a keep-mask over sorted rows; raise on conflicting duplicates."""
    repeat = _same_key(codes, days)
    keep = ~repeat
    if not repeat.any():
        return keep
    idx = np.flatnonzero(repeat)
    values = rows.loc[:, list(NUMERIC_COLUMNS)].to_numpy()
    a, b = values[idx], values[idx - 1]
    differs = ~((a == b) | (np.isnan(a) & np.isnan(b)))
    conflict = differs.any(axis=1)
    if conflict.any():
        at = idx[int(np.flatnonzero(conflict)[0])]
        col = int(np.flatnonzero(differs[np.flatnonzero(conflict)[0]])[0])
        name = NUMERIC_COLUMNS[col]
        first, second = rows.iloc[at - 1], rows.iloc[at]
        raise DataValidationError(
            source,
            f"lines {int(first['line'])}, {int(second['line'])}: duplicate rows for "
            f"{first['symbol']} on {_day(first['session'])} with different {name} "
            f"({values[at - 1, col]:g} vs {values[at, col]:g}): expected one row per symbol "
            "and date",
        )
    warnings.warn(
        f"{source}: {len(idx)} exact duplicate rows were collapsed into one each",
        DuplicateRowWarning,
        stacklevel=4,
    )
    return keep


def _check_sessions(
    rows: pd.DataFrame,
    exchanges: _Exchanges,
    days: np.ndarray,
    source: str,
    policy: NonSessionPolicy,
) -> tuple[np.ndarray, pd.DataFrame, int]:
    """Return a keep-mask, the skipped rows and the count of rows the calendar cannot check."""
    off = np.zeros(len(rows), dtype=bool)
    unchecked = 0
    for exchange, mask in exchanges.masks():
        first, last = calendar_bounds(exchange)
        lo = (first.to_datetime64().astype("datetime64[D]") - _EPOCH).astype(np.int64)
        hi = (last.to_datetime64().astype("datetime64[D]") - _EPOCH).astype(np.int64)
        in_cal = mask & (days >= lo) & (days <= hi)
        outside = mask & ~in_cal
        if outside.any() and policy == "error":
            at = int(np.flatnonzero(outside)[0])
            raise DataValidationError(
                source,
                f"{_where(source, int(rows['line'].iloc[at]))}: {_day(rows['session'].iloc[at])} "
                f"is outside the {exchange} calendar ({first.date()} to {last.date()}; symbol "
                f"{rows['symbol'].iloc[at]}; {int(outside.sum())} such rows): expected dates "
                "inside it, or skip them with `non_sessions='skip'`",
            )
        off |= outside  # skipped and listed with the non-sessions
        unchecked += int(outside.sum())
        idx = np.flatnonzero(in_cal)
        cal = _session_days(exchange)
        pos = np.minimum(np.searchsorted(cal, days[idx]), len(cal) - 1)
        off[idx] = cal[pos] != days[idx]
    columns = ["symbol", "session", "exchange", "line"]
    if not off.any():
        return ~off, pd.DataFrame(columns=columns), unchecked
    bad = rows.loc[off, ["symbol", "session", "line"]].assign(
        exchange=np.asarray(exchanges.names, dtype=object)[exchanges.row_code[off]]
    )
    bad = bad.sort_values("line").loc[:, columns].reset_index(drop=True)
    if policy == "error":
        first_bad = bad.iloc[0]
        raise DataValidationError(
            source,
            f"{_where(source, int(first_bad['line']))}: {_day(first_bad['session'])} is not a "
            f"session of {first_bad['exchange']} (symbol {first_bad['symbol']}; "
            f"{len(bad)} such rows): expected session dates, or skip them with "
            "`non_sessions='skip'`",
        )
    warnings.warn(
        f"{source}: skipped {len(bad)} rows dated on non-sessions: "
        + preview(f"{r.symbol} {_day(r.session)} ({r.exchange})" for r in bad.itertuples()),
        NonSessionWarning,
        stacklevel=4,
    )
    return ~off, bad, unchecked


def _split_like_moves(
    rows: pd.DataFrame, codes: np.ndarray, symbols: np.ndarray, exempt_row: np.ndarray, source: str
) -> pd.DataFrame:
    """Sorted rows: flag moves of 50% or more between a symbol's consecutive rows."""
    price = rows["adj_close"].to_numpy()
    price = np.where(np.isnan(price), rows["close"].to_numpy(), price)
    ret = np.full(len(rows), np.nan)
    ret[1:] = price[1:] / price[:-1] - 1.0
    ret[np.r_[True, codes[1:] != codes[:-1]]] = np.nan
    # A 2:1 split is exactly -50%; allow for float rounding at the boundary.
    flag = (np.abs(ret) >= SPLIT_LIKE_MOVE - 1e-12) & ~exempt_row
    moves = pd.DataFrame(
        {
            "symbol": symbols[codes[flag]],
            "session": rows["session"].to_numpy()[flag],
            "ret": ret[flag],
        }
    )
    if len(moves):
        warnings.warn(
            f"{source}: {len(moves)} one-session moves of 50% or more look like unadjusted "
            "splits: "
            + preview(f"{r.symbol} {_day(r.session)} {r.ret:+.1%}" for r in moves.itertuples()),
            SplitLikeMoveWarning,
            stacklevel=4,
        )
    return moves


def session_gaps(symbols: np.ndarray, dates: np.ndarray, exchange: str) -> pd.DataFrame:
    """Find the sessions missing inside each symbol's range, vectorised.

    Parameters
    ----------
    symbols, dates : numpy.ndarray
        Rows of one exchange, sorted by symbol then date, with dates on sessions.
    exchange : str
        ISO MIC.

    Returns
    -------
    pandas.DataFrame
        One row per gap: ``symbol``, ``after`` (last session with a price), ``missing`` (count of
        sessions without one), ``first_missing`` (the first of them).
    """
    days = (np.asarray(dates).astype("datetime64[D]") - _EPOCH).astype(np.int64)
    codes = pd.factorize(np.asarray(symbols))[0]
    idx, step, pos, cal = _gap_positions(codes, days, exchange)
    as_date = cal.astype("datetime64[D]")
    return pd.DataFrame(
        {
            "symbol": np.asarray(symbols)[idx],
            "after": as_date[pos[idx - 1]],
            "missing": step[idx] - 1,
            "first_missing": as_date[pos[idx - 1] + 1],
        }
    )


def _gap_positions(
    codes: np.ndarray, days: np.ndarray, exchange: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    cal = _session_days(exchange)
    pos = np.searchsorted(cal, days)
    step = np.zeros(len(pos), dtype=np.int64)
    step[1:] = pos[1:] - pos[:-1]
    same = np.zeros(len(pos), dtype=bool)
    same[1:] = codes[1:] == codes[:-1]
    idx = np.flatnonzero(same & (step > 1))
    return idx, step, pos, cal


def _missing_sessions(
    codes: np.ndarray, days: np.ndarray, symbols: np.ndarray, exchanges: _Exchanges, source: str
) -> pd.DataFrame:
    parts = []
    for exchange, where in exchanges.masks():
        mask = np.flatnonzero(where)
        idx, step, pos, cal = _gap_positions(codes[mask], days[mask], exchange)
        if len(idx):
            first_missing = (cal[pos[idx - 1] + 1]).astype("datetime64[D]")
            gaps = pd.DataFrame(
                {
                    "symbol": symbols[codes[mask][idx]].astype(str),
                    "missing": step[idx] - 1,
                    "first": first_missing,
                }
            )
            per = gaps.groupby("symbol", sort=True).agg(
                missing=("missing", "sum"), examples=("first", _examples)
            )
            parts.append(per.reset_index().assign(exchange=exchange))
    columns = ["symbol", "exchange", "missing", "examples"]
    frame = pd.concat(parts)[columns] if parts else pd.DataFrame(columns=columns)
    if len(frame):
        warnings.warn(
            f"{source}: {int(frame['missing'].sum())} sessions have no price inside the symbols' "
            "ranges (kept missing, never filled): "
            + preview(f"{r.symbol} {r.missing} ({r.examples})" for r in frame.itertuples()),
            MissingSessionWarning,
            stacklevel=4,
        )
    return frame.reset_index(drop=True)


@dataclass(frozen=True)
class _Exchanges:
    """Each row's exchange as a small integer code into ``names`` ("" for no calendar)."""

    names: tuple[str, ...]
    row_code: np.ndarray

    def masks(self) -> list[tuple[str, np.ndarray]]:
        """(exchange, row mask) for each exchange with a calendar."""
        return [(n, self.row_code == k) for k, n in enumerate(self.names) if n]

    def subset(self, keep: np.ndarray) -> _Exchanges:
        """The same, for the kept rows."""
        return _Exchanges(self.names, self.row_code[keep])


def _examples(first_missing: pd.Series) -> str:
    return preview(_day(d) for d in first_missing)


def validate_prices(
    rows: pd.DataFrame,
    exchange_of: pd.Series,
    source: str,
    non_sessions: NonSessionPolicy = "error",
    no_split_check: frozenset[str] = frozenset(),
) -> tuple[pd.DataFrame, ValidationReport]:
    """Validate canonical price rows; return the rows to write and a report.

    Parameters
    ----------
    rows : pandas.DataFrame
        Canonical price rows (see :func:`ipposaki.sources.files.read_price_file`).
    exchange_of : pandas.Series
        Maps symbol to ISO MIC (``""`` for series without an exchange, such as FX).
    source : str
        Name of the file or source, used in messages.
    non_sessions : {"error", "skip"}, default "error"
        What to do with rows dated on non-sessions.
    no_split_check : frozenset of str, optional
        Symbols exempt from the split-like-move warning: indices and FX rates, which have no
        splits and may move 50% in a day (the VIX did on 2018-02-05).

    Returns
    -------
    tuple[pandas.DataFrame, ValidationReport]
        The rows to write (sorted by symbol and session) and what was found.

    Raises
    ------
    DataValidationError
        On the first error found, naming the row, value and what is allowed.
    """
    if non_sessions not in ("error", "skip"):
        raise InputError("non_sessions", non_sessions, "one of 'error', 'skip'")
    rows_in = len(rows)
    _check_values(rows, source)
    symbol = rows["symbol"].astype("category")
    if (symbol.cat.codes.to_numpy() < 0).any():
        pos = int(np.flatnonzero(symbol.cat.codes.to_numpy() < 0)[0])
        raise DataValidationError(
            source, f"{_where(source, int(rows['line'].iloc[pos]))}: symbol is empty"
        )
    categories = symbol.cat.categories.astype(str)
    from ipposaki.instruments.catalog import _symbol_problem

    for pos_cat, name in enumerate(categories):
        problem = _symbol_problem(name)
        if problem:
            pos = int(np.flatnonzero(symbol.cat.codes.to_numpy() == pos_cat)[0])
            shown = name if len(name) <= 40 else f"{name[:40]}... ({len(name)} characters)"
            raise DataValidationError(
                source,
                f"{_where(source, int(rows['line'].iloc[pos]))}: symbol {shown!r} is not "
                f"allowed: expected {problem}",
            )
    # Sort once, by symbol name then day: every later check reads neighbouring rows.
    rank = np.argsort(np.argsort(np.asarray(categories, dtype=object), kind="stable"))
    codes = rank[symbol.cat.codes.to_numpy()]
    days = (rows["session"].to_numpy().astype("datetime64[D]") - _EPOCH).astype(np.int64)
    step_code, step_day = np.diff(codes), np.diff(days)
    if not ((step_code > 0) | ((step_code == 0) & (step_day >= 0))).all():
        order = np.lexsort((days, codes))
        rows = rows.take(order).reset_index(drop=True)
        codes, days = codes[order], days[order]
    else:
        rows = rows.reset_index(drop=True)
    sorted_cats = np.sort(np.asarray(categories, dtype=object))
    cat_exchange = [str(exchange_of.get(c, "") or "") for c in sorted_cats]
    names = tuple(sorted(set(cat_exchange)))
    cat_code = np.array([names.index(x) for x in cat_exchange], dtype=np.int64)
    exchanges = _Exchanges(names, cat_code[codes])

    keep = _collapse_duplicates(rows, codes, days, source)
    keep_s, off, unchecked = _check_sessions(rows, exchanges, days, source, non_sessions)
    keep &= keep_s
    if not keep.all():
        rows = rows.loc[keep].reset_index(drop=True)
        codes, days, exchanges = codes[keep], days[keep], exchanges.subset(keep)
    exempt = np.isin(sorted_cats, list(no_split_check))[codes]
    moves = _split_like_moves(rows, codes, sorted_cats, exempt, source)
    missing = _missing_sessions(codes, days, sorted_cats, exchanges, source)
    report = ValidationReport(
        rows_in=rows_in,
        rows_out=len(rows),
        non_sessions=off,
        duplicates_collapsed=int(rows_in - len(rows) - len(off)),
        split_like_moves=moves,
        missing_sessions=missing,
        unchecked_rows=unchecked,
    )
    return rows, report
