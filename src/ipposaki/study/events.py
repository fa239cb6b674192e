"""Events: validate the events table and place each (event, firm) pair on the session grid.

Each pair gets its own estimation and event window, counted in sessions of the returns' index
relative to its event session (day 0). A pair whose windows run outside the data, or whose symbol
has no returns, is *excluded* and listed with its reason; it is never dropped silently.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ipposaki.errors import InputError, UnknownNameError
from ipposaki.study.lookup import positions
from ipposaki.study.settings import Roll
from ipposaki.study.windows import Window

__all__ = ["EVENT_COLUMNS", "EventPlan", "Roll", "plan_events"]

#: Columns the events table may have; ``symbol`` and ``event_date`` are required. A ``group``
#: column (the name before ``basket``) is read as ``basket``.
EVENT_COLUMNS: tuple[str, ...] = (
    "event_id",
    "symbol",
    "event_date",
    "basket",
    "market",
    "estimation_start",
    "estimation_end",
    "event_start",
    "event_end",
)
_DATE_OVERRIDES = ("estimation_start", "estimation_end", "event_start", "event_end")
#: The relative window bounds of a placed pair (sessions from day 0), as the columns they are.
_BOUNDS = ("est_lo", "est_hi", "ev_lo", "ev_hi")
#: The normalised events: one series per column, by lower-case name (:func:`_normalise`).
_Events = dict[str, pd.Series]


@dataclass(frozen=True)
class EventPlan:
    """The pairs that can be studied, placed on the session grid, and the excluded ones.

    Attributes
    ----------
    pairs : pandas.DataFrame
        One row per kept pair: event_id, symbol, basket, market, day0 (session), pos0 (row of
        day 0 in the returns), col, mcol (columns of the symbol and its market; -1 without a
        market), est_lo, est_hi, ev_lo, ev_hi (inclusive window bounds relative to day 0).
    excluded : pandas.DataFrame
        event_id, symbol, reason.
    """

    pairs: pd.DataFrame
    excluded: pd.DataFrame


def _timestamps_to_sessions(values: pd.Series, exchange: str | None) -> pd.Series:
    """Zoned timestamps (text such as ``2025-01-27T09:00+09:00``, or timestamps with a time
    zone) -> the exchange's event sessions; plain dates pass through.

    A moment with a zone is never cut to its UTC date: 08:00 in Tokyo on 27 January is the
    26th in UTC, but its Tokyo session is the 27th.
    """
    aware_dtype = isinstance(values.dtype, pd.DatetimeTZDtype)
    if pd.api.types.is_datetime64_any_dtype(values) and not aware_dtype:
        return values  # already dates
    if aware_dtype:
        zoned = values.notna().to_numpy()
    else:
        zoned = (
            values.astype(str)
            .str.contains(r"T.*(?:[+-]\d\d:?\d\d|Z)$", regex=True)
            .to_numpy(dtype=bool, copy=True)
        )
        if values.dtype == object:  # timestamps with a zone among other values
            zoned |= values.map(
                lambda v: isinstance(v, dt.datetime) and v.tzinfo is not None
            ).to_numpy(dtype=bool)
    if not zoned.any():
        return values
    if exchange is None:
        row = int(np.flatnonzero(zoned)[0])
        raise InputError(
            "exchange",
            None,
            f"an exchange to map the timestamp {str(values.iloc[row])!r} (events row {row + 1}) "
            "to its event session",
        )
    from ipposaki.crossmarket import event_sessions

    out = values.astype(object).copy()
    for i in np.flatnonzero(zoned):  # one calendar look-up per timestamped event
        table = event_sessions(values.iloc[i], [exchange])
        out.iloc[int(i)] = str(pd.Timestamp(table["event_session"].iloc[0]).date())
    return out


def _normalise(events: pd.DataFrame, exchange: str | None = None) -> _Events:
    """The events' columns by lower-case name: text symbols, ids and baskets, and dates.

    New series, one per column (the caller's frame is left as it was; no frame is built).
    """
    names = [str(c).strip().lower() for c in events.columns]
    renames = {"date": "event_date", "group": "basket"}  # the old names, still read
    names = [renames.get(n, n) if renames.get(n, n) not in names else n for n in names]
    twice = [n for n in names if names.count(n) > 1]
    if twice:
        raise InputError("events", f"column {twice[0]!r} twice", "each column once")
    columns = {n: events.iloc[:, j] for j, n in enumerate(names)}
    for col in ("symbol", "event_date"):
        if col not in columns:
            raise InputError("events", f"columns {names}", f"a table with a '{col}' column")
    unknown = [c for c in names if c not in EVENT_COLUMNS]
    if unknown:
        raise InputError("events", f"column {unknown[0]!r}", f"columns among {EVENT_COLUMNS}")
    if len(events) == 0:
        raise InputError("events", "an empty table", "at least one event")
    dates = _timestamps_to_sessions(columns["event_date"], exchange)
    missing = columns["symbol"].isna().to_numpy()
    if missing.any():
        row = int(np.flatnonzero(missing)[0])
        raise InputError(f"events row {row + 1} symbol", None, "a symbol (text)")
    columns["symbol"] = columns["symbol"].astype(str).str.strip()
    ids = columns.get("event_id")
    columns["event_id"] = (
        pd.Series([f"E{i + 1}" for i in range(len(events))], index=events.index, dtype="str")
        if ids is None
        else ids.astype(str)
    )
    basket = columns.get("basket")
    columns["basket"] = (
        pd.Series("all", index=events.index, dtype="str")
        if basket is None
        else basket.fillna("all").astype(str)
    )
    columns["event_date"] = _parse_dates(dates, "event_date")
    for col in _DATE_OVERRIDES:
        if col in columns:
            columns[col] = _parse_dates(columns[col], col)
    return columns


def _parse_dates(values: pd.Series, col: str) -> pd.Series:
    """An events date column: date values as they are, text only as ISO ``YYYY-MM-DD``.

    Text in any other form (``05/02/2024``) is never guessed; the file readers of
    :mod:`ipposaki.study.io` parse other formats when asked (``--date-format``).
    """
    from ipposaki.sources.files import NANOSECOND_RANGE, parse_date_text

    try:
        if pd.api.types.is_datetime64_any_dtype(values):
            parsed = values.dt.as_unit("ns")
            bad = values.isna().to_numpy() if col == "event_date" else np.zeros(len(values), bool)
        else:
            obj = values.astype(object)
            is_text = obj.map(lambda v: isinstance(v, str)).to_numpy(dtype=bool)
            is_date = obj.map(lambda v: isinstance(v, dt.date | np.datetime64)).to_numpy(dtype=bool)
            parsed = pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns]")
            if is_text.any():
                parsed[is_text] = parse_date_text(obj[is_text]).to_numpy()
            if is_date.any():
                parsed[is_date] = pd.to_datetime(obj[is_date], utc=True).dt.tz_convert(None)
            blank = ~is_text & ~is_date & obj.isna().to_numpy()
            blank |= is_text & (obj.where(is_text, "").astype(str).str.strip() == "").to_numpy()
            bad = parsed.isna().to_numpy() & ~blank
            if col == "event_date":
                bad |= blank
    except (pd.errors.OutOfBoundsDatetime, OverflowError):
        row = next(i for i, v in enumerate(values) if _beyond_nanoseconds(v))
        raise InputError(
            f"events row {row + 1} {col}",
            str(values.iloc[row]),
            f"a date {NANOSECOND_RANGE} (pandas' nanosecond dates)",
        ) from None
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        allowed = "a date as YYYY-MM-DD"
        if col == "event_date":
            allowed += ", or a timestamp with its zone such as 2025-01-27T09:00+09:00"
        raise InputError(f"events row {row + 1} {col}", values.iloc[row], allowed)
    if getattr(parsed.dt, "tz", None) is not None:
        parsed = parsed.dt.tz_convert(None)
    return parsed.dt.normalize()


def _beyond_nanoseconds(value: object) -> bool:
    """Whether a date value lies outside pandas' nanosecond range (or cannot be read at all).

    Examples
    --------
    >>> _beyond_nanoseconds("9999-12-31"), _beyond_nanoseconds("2025-01-27")
    (True, False)
    """
    try:
        pd.Timestamp(value).as_unit("ns")  # type: ignore[arg-type]
    except (pd.errors.OutOfBoundsDatetime, OverflowError, ValueError, TypeError):
        return True
    return False


def _roll(values: np.ndarray, index: pd.DatetimeIndex, roll: Roll) -> tuple[np.ndarray, np.ndarray]:
    """Map event dates (datetime64[ns]) to sessions of ``index`` (non-sessions roll only when
    asked): each one's session (NaT where there is none) and its position in ``index`` (-1)."""
    if roll not in ("none", "next", "previous"):
        raise InputError("roll", roll, "one of none, next, previous")
    grid = index.values
    pos = grid.searchsorted(values, "left")
    inside = (values >= grid[0]) & (values <= grid[-1])
    exact = np.zeros(len(values), dtype=bool)
    ok = pos < len(grid)
    exact[ok] = grid[pos[ok]] == values[ok]
    off = inside & ~exact
    if off.any() and roll == "none":
        i = int(np.flatnonzero(off)[0])
        nxt, prv = index[pos[i]], index[pos[i] - 1]
        raise InputError(
            "event_date",
            str(pd.Timestamp(values[i]).date()),
            f"a session of the returns (it is not one: `roll='next'` gives {nxt.date()}, "
            f"`roll='previous'` gives {prv.date()})",
        )
    at = np.where(exact, pos, -1)
    if roll == "next":
        at[off] = pos[off]
    elif roll == "previous":
        at[off] = pos[off] - 1
    day0 = np.where(at >= 0, grid[np.maximum(at, 0)], np.datetime64("NaT", "ns"))
    return day0, at.astype(np.int64)


def plan_events(
    events: pd.DataFrame,
    index: pd.DatetimeIndex,
    columns: pd.Index,
    market: str | None,
    estimation: Window,
    event: Window,
    roll: Roll = "none",
    needs_market: bool = True,
    exchange: str | None = None,
) -> EventPlan:
    """Validate ``events`` and place each pair's windows on the session grid ``index``.

    Parameters
    ----------
    events : pandas.DataFrame
        Columns of :data:`EVENT_COLUMNS`; ``symbol`` and ``event_date`` are required.
    index : pandas.DatetimeIndex
        The sessions of the returns (sorted, unique).
    columns : pandas.Index
        Symbols that have returns.
    market : str or None
        Default benchmark symbol, used where an event has no ``market``.
    estimation, event : Window
        Default windows relative to day 0; per-event date columns override them.
    roll : {"none", "next", "previous"}, default "none"
        What to do with an event date that is not a session.
    needs_market : bool, default True
        Whether the model needs a market series.
    exchange : str, optional
        ISO MIC of the returns' sessions; needed when event dates are zoned timestamps
        (``2025-01-27T09:00+09:00``), which map to that exchange's event session. With it, a
        pair whose symbol trades on another exchange (``8035.T trades on XTKS, not XNYS``), or
        whose market does (``market ^N225 trades on XTKS, not XNYS``), is excluded with that
        reason (see :func:`ipposaki.panel.exchanges.home_exchanges`).

    Returns
    -------
    EventPlan
        Kept pairs and excluded pairs with reasons.

    Raises
    ------
    InputError
        For a malformed table, a date that is not ISO ``YYYY-MM-DD`` (or a zoned timestamp),
        a non-session date without ``roll``, or an unknown market.
    UnknownNameError
        If a market symbol on the exchange has no returns.
    """
    frame = _normalise(events, exchange)
    symbol = frame["symbol"].to_numpy(dtype=object)
    markets, elsewhere = _set_markets(frame, symbol, columns, market, needs_market, exchange)
    placed = _place_pairs(
        frame, symbol, markets, index, columns, estimation, event, roll, needs_market
    )
    reasons = _exclusions(frame, placed, symbol, markets, index, elsewhere)
    keep = reasons == ""
    kept, dropped = np.flatnonzero(keep), np.flatnonzero(~keep)
    excluded = pd.DataFrame(
        {
            "event_id": frame["event_id"].array.take(dropped),
            "symbol": frame["symbol"].array.take(dropped),
            "reason": pd.Series(reasons[dropped], dtype=object),
        }
    )
    pairs = pd.DataFrame(
        {
            "event_id": frame["event_id"].array.take(kept),
            "symbol": frame["symbol"].array.take(kept),
            "basket": frame["basket"].array.take(kept),
            "market": pd.array(markets[kept], dtype="str"),
            **{name: placed[name][kept] for name in ("day0", "pos0", "col", "mcol", *_BOUNDS)},
        }
    )
    return EventPlan(pairs=pairs, excluded=excluded)


def _set_markets(
    frame: _Events,
    symbol: np.ndarray,
    columns: pd.Index,
    market: str | None,
    needs_market: bool,
    exchange: str | None,
) -> tuple[np.ndarray, np.ndarray]:
    """Every pair's market (the default where it has none), checked.

    Parameters
    ----------
    frame : dict of pandas.Series
        The normalised events.
    symbol : numpy.ndarray
        Their symbols.
    columns : pandas.Index
        Symbols that have returns.
    market : str or None
        Default benchmark symbol.
    needs_market : bool
        Whether the model needs a market series.
    exchange : str or None
        ISO MIC of the returns' sessions.

    Returns
    -------
    tuple of numpy.ndarray
        Per pair, its market as text ("" where neither the event nor the default names one),
        and why its symbol or market is not on ``exchange`` ("" when both are).

    Raises
    ------
    InputError
        If the model needs a market and a pair has none.
    UnknownNameError
        If a market symbol on the exchange has no returns.
    """
    default = market if market is not None else ""
    if "market" in frame:
        given = frame["market"].to_numpy(dtype=object)
        markets = given.astype(str).astype(object)
        markets[pd.isna(given)] = default
    else:
        markets = np.full(len(symbol), default, dtype=object)
    elsewhere = _listed_elsewhere(symbol, markets, exchange, needs_market)
    if needs_market:
        if (markets == "").any():
            raise InputError("market", None, "a market symbol (the model needs a benchmark)")
        # A market on another exchange excludes its pairs (below); any other must have returns.
        for name in pd.unique(markets[elsewhere == ""]):
            if name not in columns:
                raise UnknownNameError("market series", name, [str(c) for c in columns])
    return markets, elsewhere


def _place_pairs(
    frame: _Events,
    symbol: np.ndarray,
    markets: np.ndarray,
    index: pd.DatetimeIndex,
    columns: pd.Index,
    estimation: Window,
    event: Window,
    roll: Roll,
    needs_market: bool,
) -> dict[str, np.ndarray]:
    """The pairs' positions: event session, its row, the symbol's and market's columns, windows.

    Parameters
    ----------
    frame : dict of pandas.Series
        The normalised events (their dates and window overrides).
    symbol, markets : numpy.ndarray
        Each pair's symbol and market.
    index : pandas.DatetimeIndex
        The sessions of the returns.
    columns : pandas.Index
        Symbols that have returns.
    estimation, event : Window
        Default windows relative to day 0.
    roll : {"none", "next", "previous"}
        What to do with an event date that is not a session.
    needs_market : bool
        Whether the model needs a market series (else ``mcol`` is -1).

    Returns
    -------
    dict of numpy.ndarray
        ``event_date``, ``day0``, ``pos0``, ``col``, ``mcol``, ``est_lo``, ``est_hi``,
        ``ev_lo`` and ``ev_hi`` (-1 for a missing row or column).
    """
    when = frame["event_date"].to_numpy(dtype="datetime64[ns]")
    day0, pos0 = _roll(when, index, roll)
    placed = {
        "event_date": when,
        "day0": day0,
        "pos0": pos0,
        "col": positions(symbol, columns),
        "mcol": (
            _market_columns(markets, columns)
            if needs_market
            else np.full(len(symbol), -1, dtype=np.int64)
        ),
    }
    bounds = _window_bounds(frame, pos0, index, estimation, event)
    placed.update(zip(_BOUNDS, bounds, strict=True))
    return placed


def _market_columns(markets: np.ndarray, columns: pd.Index) -> np.ndarray:
    """Each pair's market column (-1 where it has no returns), each market looked up once (a
    study's pairs name a few markets: 3.0 -> 0.8 ms at 10,000 pairs).

    Examples
    --------
    >>> _market_columns(np.array(["M", "N", "M"], dtype=object), pd.Index(["A", "M"])).tolist()
    [1, -1, 1]
    """
    codes, names = pd.factorize(markets)  # text throughout: every code is a name's
    return positions(names, columns)[codes]


def _exclusions(
    frame: _Events,
    placed: dict[str, np.ndarray],
    symbol: np.ndarray,
    markets: np.ndarray,
    index: pd.DatetimeIndex,
    elsewhere: np.ndarray,
) -> np.ndarray:
    """Why each pair is excluded ("" for a kept pair); the first reason that applies wins.

    Parameters
    ----------
    frame : dict of pandas.Series
        The normalised events (their ids).
    placed : dict of numpy.ndarray
        The pairs' positions (:func:`_place_pairs`).
    symbol, markets : numpy.ndarray
        Each pair's symbol and market.
    index : pandas.DatetimeIndex
        The sessions of the returns.
    elsewhere : numpy.ndarray
        Per pair, why its symbol or market is not on the exchange ("" when both are).

    Returns
    -------
    numpy.ndarray
        One reason per pair (object).
    """
    reasons = np.full(len(symbol), "", dtype=object)
    still = np.ones(len(symbol), dtype=bool)  # kept so far: no reason yet

    def flag(mask: np.ndarray, texts: Callable[[], np.ndarray] | str) -> None:
        """Give the still-kept pairs in ``mask`` a reason; texts are only built when needed."""
        mask = mask & still
        if mask.any():
            reasons[mask] = texts if isinstance(texts, str) else texts()[mask]
            still[mask] = False

    flag(elsewhere != "", lambda: elsewhere)
    flag(placed["col"] < 0, lambda: "no returns for symbol " + symbol)
    for mask, texts in _outside_data(placed, index):
        flag(mask, texts)
    est_lo, est_hi, ev_lo, ev_hi = (placed[c] for c in _BOUNDS)
    flag(est_lo > est_hi, "estimation window is empty")
    flag(ev_lo > ev_hi, "event window is empty")
    first = _first_of_key(symbol, placed["day0"], markets)
    dup = (first != np.arange(len(first))) & still
    if dup.any():
        first_id = frame["event_id"].to_numpy(dtype=object)[first]
        flag(
            dup,
            lambda: "duplicate of event " + first_id + " (same symbol, market and event session)",
        )
    return reasons


def _first_of_key(symbol: np.ndarray, day0: np.ndarray, markets: np.ndarray) -> np.ndarray:
    """For each pair, the position of the first pair with its symbol, event session and market
    (itself when it is the first; missing sessions count as one value).

    Examples
    --------
    >>> d = np.array(["2024-01-02", "2024-01-02", "NaT", "NaT"], dtype="datetime64[ns]")
    >>> _first_of_key(np.array(["A", "A", "A", "A"], dtype=object), d,
    ...               np.array(["M", "M", "M", "N"], dtype=object)).tolist()
    [0, 0, 2, 3]
    """
    key = np.zeros(len(symbol), dtype=np.int64)
    for part in (symbol, day0, markets):  # one code per distinct combination so far
        codes = pd.factorize(part)[0].astype(np.int64) + 1  # a missing session is code 0
        key = pd.factorize(key * (int(codes.max(initial=0)) + 1) + codes)[0].astype(np.int64)
    # factorize numbers keys by first appearance: a pair is the first of its key when its code
    # exceeds every code before it.
    is_first = key > np.maximum.accumulate(np.concatenate([[-1], key[:-1]]))
    return np.flatnonzero(is_first)[key]


def _outside_data(
    placed: dict[str, np.ndarray], index: pd.DatetimeIndex
) -> list[tuple[np.ndarray, Callable[[], np.ndarray]]]:
    """The pairs whose event session or windows run outside the data, with their reasons.

    Parameters
    ----------
    placed : dict of numpy.ndarray
        The pairs' positions (:func:`_place_pairs`).
    index : pandas.DatetimeIndex
        The sessions of the returns.

    Returns
    -------
    list of tuple
        In the order they are checked: the pairs concerned, and a function building the
        reasons (only called when a pair is concerned).
    """
    t = len(index)
    first, last = index[0].date(), index[-1].date()
    pos0, est_lo, est_hi, ev_lo, ev_hi = (placed[c] for c in ("pos0", *_BOUNDS))
    when = placed["event_date"]

    def text(values: np.ndarray) -> np.ndarray:
        return values.astype(str).astype(object)

    def dates() -> np.ndarray:
        return np.datetime_as_string(when, unit="D").astype(object)

    return [
        (
            when > index[-1].to_datetime64(),
            lambda: "event session " + dates() + f" after last return {last}",
        ),
        (
            when < index[0].to_datetime64(),
            lambda: "event session " + dates() + f" before first return {first}",
        ),
        (
            pos0 + est_lo < 0,
            lambda: (
                "estimation window needs "
                + text(-est_lo)
                + " sessions before day 0, the data has "
                + text(pos0)
            ),
        ),
        (
            pos0 + ev_lo < 0,
            lambda: (
                "event window needs "
                + text(-ev_lo)
                + " sessions before day 0, the data has "
                + text(pos0)
            ),
        ),
        (
            pos0 + ev_hi >= t,
            lambda: (
                "event window needs "
                + text(ev_hi)
                + " sessions after day 0, the data has "
                + text(t - 1 - pos0)
            ),
        ),
        (
            pos0 + est_hi >= t,  # an estimation window after the event (raw or market models)
            lambda: (
                "estimation window needs "
                + text(est_hi)
                + " sessions after day 0, the data has "
                + text(t - 1 - pos0)
            ),
        ),
    ]


def _listed_elsewhere(
    symbol: np.ndarray, markets: np.ndarray, exchange: str | None, needs_market: bool
) -> np.ndarray:
    """Per pair, why its symbol or market is not on ``exchange`` ("" when both are).

    A pair is studied on one exchange's sessions: a symbol listed on another exchange, or a
    market series that trades on another exchange than the symbol, would be matched with
    returns of other days. Each symbol's exchange follows
    :func:`ipposaki.panel.exchanges.home_exchanges` (FX rates, with no exchange, fit any).
    Without ``exchange`` nothing is checked.
    """
    reasons = np.full(len(symbol), "", dtype=object)
    if exchange is None:
        return reasons
    from ipposaki.panel.exchanges import home_exchanges

    homes = home_exchanges(pd.Series(np.concatenate([symbol, markets[markets != ""]])), exchange)

    def home(names: np.ndarray) -> np.ndarray:
        return homes.reindex(names).fillna("").to_numpy(dtype=object)

    own = home(symbol)
    away = (own != "") & (own != exchange)
    reasons[away] = symbol[away] + " trades on " + own[away] + ", not " + exchange
    if needs_market:
        theirs = home(markets)
        off = (theirs != "") & (theirs != exchange) & (markets != "") & ~away
        reasons[off] = "market " + markets[off] + " trades on " + theirs[off] + ", not " + exchange
    return reasons


def _window_bounds(
    frame: _Events,
    pos0: np.ndarray,
    index: pd.DatetimeIndex,
    estimation: Window,
    event: Window,
) -> list[np.ndarray]:
    """Relative window bounds per pair, as :data:`_BOUNDS`: defaults, or the per-event date
    overrides (columns of ``frame``)."""
    n = len(pos0)
    out = {
        "est_lo": np.full(n, estimation.start, dtype=np.int64),
        "est_hi": np.full(n, estimation.end, dtype=np.int64),
        "ev_lo": np.full(n, event.start, dtype=np.int64),
        "ev_hi": np.full(n, event.end, dtype=np.int64),
    }
    targets = {
        "estimation_start": ("est_lo", "left"),
        "estimation_end": ("est_hi", "right"),
        "event_start": ("ev_lo", "left"),
        "event_end": ("ev_hi", "right"),
    }
    for col, (target, side) in targets.items():
        if col not in frame:
            continue
        given = (frame[col].notna().to_numpy()) & (pos0 >= 0)
        if not given.any():
            continue
        dates = frame[col].to_numpy(dtype="datetime64[ns]")[given]
        pos = index.searchsorted(dates, side=side)  # type: ignore[call-overload]
        pos = pos if side == "left" else pos - 1  # last session on or before the end date
        out[target][given] = pos - pos0[given]
    return [out[name] for name in _BOUNDS]
