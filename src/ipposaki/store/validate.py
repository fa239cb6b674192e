"""Validation of price rows before they are written: everything is checked, then written.

Errors (the ingest stops and the store is untouched):

* a non-positive price, or a negative volume;
* a row with neither ``close`` nor ``adj_close``;
* two rows for one (symbol, session) with different values;
* a row dated on a day that is not a session of the symbol's exchange (unless the caller asks
  to skip such rows, which then raises :class:`~ipposaki.errors.NonSessionWarning`).

Warnings (the rows are kept and the problem is named):

* :class:`~ipposaki.errors.SplitLikeMoveWarning`: a one-session move of 50% or more either way;
* :class:`~ipposaki.errors.MissingSessionWarning`: sessions without a row inside a symbol's range;
* :class:`~ipposaki.errors.DuplicateRowWarning`: exact duplicate rows, collapsed into one.

All checks are vectorised over the whole file.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from ipposaki.calendars import calendar_bounds, is_session, sessions
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
    "SPLIT_LIKE_MOVE",
    "NonSessionPolicy",
    "ValidationReport",
    "session_gaps",
    "validate_prices",
]

#: A one-session move at least this large (as a fraction, either way) looks like a split.
SPLIT_LIKE_MOVE = 0.5
NonSessionPolicy = Literal["error", "skip"]
_PRICE_COLUMNS = ("open", "high", "low", "close", "adj_close")


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
        Rows dated before the first session the exchange's calendar can speak for.
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


def _check_values(rows: pd.DataFrame, source: str) -> None:
    for col in _PRICE_COLUMNS:
        values = rows[col].to_numpy()
        bad = values <= 0
        if bad.any():
            pos = int(np.flatnonzero(bad)[0])
            raise DataValidationError(
                source,
                f"{_where(source, int(rows['line'].iloc[pos]))}: {col}={values[pos]:g} for "
                f"{rows['symbol'].iloc[pos]} on {rows['session'].iloc[pos].date()} is not "
                "allowed: expected a positive price",
            )
        inf = np.isinf(values)
        if inf.any():
            pos = int(np.flatnonzero(inf)[0])
            raise DataValidationError(
                source,
                f"{_where(source, int(rows['line'].iloc[pos]))}: {col}={values[pos]} is not "
                "allowed: expected a finite positive price",
            )
    vol = rows["volume"].to_numpy()
    bad = vol < 0
    if bad.any():
        pos = int(np.flatnonzero(bad)[0])
        raise DataValidationError(
            source,
            f"{_where(source, int(rows['line'].iloc[pos]))}: volume={vol[pos]:g} is not allowed: "
            "expected a volume >= 0 or empty",
        )
    no_price = np.isnan(rows["close"].to_numpy()) & np.isnan(rows["adj_close"].to_numpy())
    if no_price.any():
        pos = int(np.flatnonzero(no_price)[0])
        raise DataValidationError(
            source,
            f"{_where(source, int(rows['line'].iloc[pos]))}: close is empty for "
            f"{rows['symbol'].iloc[pos]}: expected a close or an adj_close",
        )


def _collapse_duplicates(rows: pd.DataFrame, source: str) -> tuple[pd.DataFrame, int]:
    key = ["symbol", "session"]
    dup_any = rows.duplicated(key, keep=False).to_numpy()
    if not dup_any.any():
        return rows, 0
    dups = rows.loc[dup_any]
    values = [*key, *NUMERIC_COLUMNS]
    exact = dups.duplicated(values, keep="first")
    distinct = dups.loc[~exact]
    conflict = distinct.duplicated(key, keep=False)
    if conflict.any():
        first = distinct.loc[conflict].iloc[0]
        same = distinct.loc[
            conflict
            & (distinct["symbol"] == first["symbol"])
            & (distinct["session"] == first["session"])
        ]
        lines = ", ".join(str(int(x)) for x in same["line"].iloc[:2])
        diff = [c for c in NUMERIC_COLUMNS if not _same(same[c].iloc[0], same[c].iloc[1])]
        raise DataValidationError(
            source,
            f"lines {lines}: duplicate rows for {first['symbol']} on {first['session'].date()} "
            f"with different {diff[0] if diff else 'values'} "
            f"({same[diff[0]].iloc[0]:g} vs {same[diff[0]].iloc[1]:g}): expected one row per "
            "symbol and date"
            if diff
            else f"lines {lines}: duplicate rows for {first['symbol']}: expected one row",
        )
    drop = np.zeros(len(rows), dtype=bool)
    drop[np.flatnonzero(dup_any)[exact.to_numpy()]] = True
    return rows.loc[~drop], int(drop.sum())


def _same(a: float, b: float) -> bool:
    return (np.isnan(a) and np.isnan(b)) or a == b


def _check_sessions(
    rows: pd.DataFrame, exchange_of: pd.Series, source: str, policy: NonSessionPolicy
) -> tuple[pd.DataFrame, pd.DataFrame, int]:
    exch = rows["symbol"].map(exchange_of).fillna("").to_numpy(dtype=object)
    off = np.zeros(len(rows), dtype=bool)
    unchecked = 0
    dates = rows["session"].to_numpy()
    for exchange in sorted(set(exch) - {""}):
        mask = exch == exchange
        first, last = calendar_bounds(exchange)
        in_cal = mask & (dates >= first.to_datetime64()) & (dates <= last.to_datetime64())
        unchecked += int((mask & ~in_cal).sum())
        idx = np.flatnonzero(in_cal)
        off[idx] = ~is_session(exchange, dates[idx])
    if not off.any():
        return rows, pd.DataFrame(columns=["symbol", "session", "exchange", "line"]), unchecked
    bad = rows.loc[off, ["symbol", "session", "line"]].assign(exchange=exch[off])
    if policy == "error":
        first_bad = bad.iloc[0]
        raise DataValidationError(
            source,
            f"{_where(source, int(first_bad['line']))}: {first_bad['session'].date()} is not a "
            f"session of {first_bad['exchange']} (symbol {first_bad['symbol']}; "
            f"{len(bad)} such rows): expected session dates, or skip them with "
            "--non-sessions skip",
        )
    warnings.warn(
        f"{source}: skipped {len(bad)} rows dated on non-sessions: "
        + preview(f"{r.symbol} {_day(r.session)} ({r.exchange})" for r in bad.itertuples()),
        NonSessionWarning,
        stacklevel=3,
    )
    return rows.loc[~off], bad.reset_index(drop=True), unchecked


def _split_like_moves(rows: pd.DataFrame, source: str, exempt: frozenset[str]) -> pd.DataFrame:
    ordered = rows.sort_values(["symbol", "session"], kind="stable")
    if exempt:
        ordered = ordered.loc[~ordered["symbol"].isin(exempt)]
    price = ordered["adj_close"].to_numpy()
    price = np.where(np.isnan(price), ordered["close"].to_numpy(), price)
    sym = ordered["symbol"].to_numpy()
    same = np.zeros(len(ordered), dtype=bool)
    same[1:] = sym[1:] == sym[:-1]
    ret = np.full(len(ordered), np.nan)
    ret[1:] = price[1:] / price[:-1] - 1.0
    ret[~same] = np.nan
    # A 2:1 split is exactly -50%; allow for float rounding at the boundary.
    flag = np.abs(ret) >= SPLIT_LIKE_MOVE - 1e-12
    moves = pd.DataFrame(
        {"symbol": sym[flag], "session": ordered["session"].to_numpy()[flag], "ret": ret[flag]}
    )
    if len(moves):
        warnings.warn(
            f"{source}: {len(moves)} one-session moves of 50% or more look like unadjusted "
            "splits: "
            + preview(f"{r.symbol} {_day(r.session)} {r.ret:+.1%}" for r in moves.itertuples()),
            SplitLikeMoveWarning,
            stacklevel=3,
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
    cal = sessions(exchange).values.astype("datetime64[D]")
    pos = np.searchsorted(cal, dates.astype("datetime64[D]"), "left")
    same = np.zeros(len(pos), dtype=bool)
    same[1:] = symbols[1:] == symbols[:-1]
    step = np.zeros(len(pos), dtype=np.int64)
    step[1:] = pos[1:] - pos[:-1]
    gap = same & (step > 1)
    idx = np.flatnonzero(gap)
    return pd.DataFrame(
        {
            "symbol": symbols[idx],
            "after": cal[pos[idx - 1]],
            "missing": step[idx] - 1,
            "first_missing": cal[pos[idx - 1] + 1],
        }
    )


def _missing_sessions(rows: pd.DataFrame, exchange_of: pd.Series, source: str) -> pd.DataFrame:
    ordered = rows.sort_values(["symbol", "session"], kind="stable")
    exch = ordered["symbol"].map(exchange_of).fillna("").to_numpy(dtype=object)
    parts = []
    for exchange in sorted(set(exch) - {""}):
        mask = exch == exchange
        gaps = session_gaps(
            ordered["symbol"].to_numpy(dtype=object)[mask],
            ordered["session"].to_numpy()[mask],
            exchange,
        )
        if len(gaps):
            per = gaps.groupby("symbol", sort=True).agg(
                missing=("missing", "sum"), examples=("first_missing", _examples)
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
            stacklevel=3,
        )
    return frame.reset_index(drop=True)


def _examples(first_missing: pd.Series) -> str:
    return preview(str(pd.Timestamp(d).date()) for d in first_missing)


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
    rows, collapsed = _collapse_duplicates(rows, source)
    if collapsed:
        warnings.warn(
            f"{source}: {collapsed} exact duplicate rows were collapsed into one each",
            DuplicateRowWarning,
            stacklevel=2,
        )
    rows, off, unchecked = _check_sessions(rows, exchange_of, source, non_sessions)
    moves = _split_like_moves(rows, source, no_split_check)
    missing = _missing_sessions(rows, exchange_of, source)
    rows = rows.sort_values(["symbol", "session"], kind="stable").reset_index(drop=True)
    report = ValidationReport(
        rows_in=rows_in,
        rows_out=len(rows),
        non_sessions=off,
        duplicates_collapsed=collapsed,
        split_like_moves=moves,
        missing_sessions=missing,
        unchecked_rows=unchecked,
    )
    return rows, report
