"""Events: validate the events table and place each (event, firm) pair on the session grid.

Each pair gets its own estimation and event window, counted in sessions of the returns' index
relative to its event session (day 0). A pair whose windows run outside the data, or whose symbol
has no returns, is *excluded* and listed with its reason; it is never dropped silently.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ipposaki.errors import InputError, UnknownNameError
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
    """Zoned timestamps -> the exchange's event sessions; plain dates pass through."""
    if pd.api.types.is_datetime64_any_dtype(values):
        return values  # already dates (or moments, handled by _parse_dates)
    text = values.astype(str)
    zoned = text.str.contains(r"T.*(?:[+-]\d\d:?\d\d|Z)$", regex=True)
    if not zoned.any():
        return values
    if exchange is None:
        row = int(np.flatnonzero(zoned.to_numpy())[0])
        raise InputError(
            "exchange",
            None,
            f"an exchange to map the timestamp {text.iloc[row]!r} (events row {row + 1}) to its "
            "event session",
        )
    from ipposaki.crossmarket import event_sessions

    out = values.astype(object).copy()
    for i in np.flatnonzero(zoned.to_numpy()):  # one calendar look-up per timestamped event
        table = event_sessions(text.iloc[i], [exchange])
        out.iloc[int(i)] = str(pd.Timestamp(table["event_session"].iloc[0]).date())
    return out


def _normalise(events: pd.DataFrame, exchange: str | None = None) -> pd.DataFrame:
    frame = events.copy()
    frame.columns = [str(c).strip().lower() for c in frame.columns]
    if "date" in frame.columns and "event_date" not in frame.columns:
        frame = frame.rename(columns={"date": "event_date"})
    if "group" in frame.columns and "basket" not in frame.columns:  # the old name, still read
        frame = frame.rename(columns={"group": "basket"})
    for col in ("symbol", "event_date"):
        if col not in frame.columns:
            raise InputError(
                "events", f"columns {list(frame.columns)}", f"a table with a '{col}' column"
            )
    unknown = [c for c in frame.columns if c not in EVENT_COLUMNS]
    if unknown:
        raise InputError("events", f"column {unknown[0]!r}", f"columns among {EVENT_COLUMNS}")
    if frame.empty:
        raise InputError("events", "an empty table", "at least one event")
    frame["event_date"] = _timestamps_to_sessions(frame["event_date"], exchange)
    frame["symbol"] = frame["symbol"].astype(str).str.strip()
    if "event_id" not in frame.columns:
        frame["event_id"] = [f"E{i + 1}" for i in range(len(frame))]
    frame["event_id"] = frame["event_id"].astype(str)
    if "basket" not in frame.columns:
        frame["basket"] = "all"
    frame["basket"] = frame["basket"].fillna("all").astype(str)
    for col in ("event_date", *_DATE_OVERRIDES):
        if col in frame.columns:
            frame[col] = _parse_dates(frame[col], col)
    return frame


def _parse_dates(values: pd.Series, col: str) -> pd.Series:
    """An events date column: date values as they are, text only as ISO ``YYYY-MM-DD``.

    Text in any other form (``05/02/2024``) is never guessed; the file readers of
    :mod:`ipposaki.study.io` parse other formats when asked (``--date-format``).
    """
    import datetime as dt

    from ipposaki.sources.files import parse_date_text

    if pd.api.types.is_datetime64_any_dtype(values):
        parsed = values
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
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        allowed = "a date as YYYY-MM-DD"
        if col == "event_date":
            allowed += ", or a timestamp with its zone such as 2025-01-27T09:00+09:00"
        raise InputError(f"events row {row + 1} {col}", values.iloc[row], allowed)
    if getattr(parsed.dt, "tz", None) is not None:
        parsed = parsed.dt.tz_convert(None)
    return parsed.dt.normalize()


def _roll(dates: pd.Series, index: pd.DatetimeIndex, roll: Roll) -> tuple[pd.Series, np.ndarray]:
    """Map event dates to sessions of ``index`` (non-sessions roll only when asked), and give
    each its position in ``index`` (-1 where there is none)."""
    if roll not in ("none", "next", "previous"):
        raise InputError("roll", roll, "one of none, next, previous")
    values = dates.to_numpy(dtype="datetime64[ns]")
    pos = index.searchsorted(values, "left")
    inside = (values >= index[0].to_datetime64()) & (values <= index[-1].to_datetime64())
    exact = np.zeros(len(values), dtype=bool)
    ok = pos < len(index)
    exact[ok] = index.values[pos[ok]] == values[ok]
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
    day0 = np.where(at >= 0, index.values[np.maximum(at, 0)], np.datetime64("NaT", "ns"))
    return pd.Series(day0, index=dates.index, dtype="datetime64[ns]"), at.astype(np.int64)


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
    elsewhere = _set_markets(frame, columns, market, needs_market, exchange)
    frame = _place_pairs(frame, index, columns, estimation, event, roll, needs_market)
    reasons = _exclusions(frame, index, elsewhere)
    keep = (reasons == "").to_numpy()
    excluded = pd.DataFrame(
        {
            "event_id": frame.loc[~keep, "event_id"],
            "symbol": frame.loc[~keep, "symbol"],
            "reason": reasons[~keep],
        }
    ).reset_index(drop=True)
    cols = ["event_id", "symbol", "basket", "market", "day0", "pos0", "col", "mcol"]
    cols += ["est_lo", "est_hi", "ev_lo", "ev_hi"]
    pairs = frame.loc[keep, cols].reset_index(drop=True)
    return EventPlan(pairs=pairs, excluded=excluded)


def _set_markets(
    frame: pd.DataFrame,
    columns: pd.Index,
    market: str | None,
    needs_market: bool,
    exchange: str | None,
) -> pd.Series:
    """Give every pair its market (the default where it has none) and check the markets.

    Sets ``frame["market"]`` in place ("" where neither the event nor the default names one).

    Parameters
    ----------
    frame : pandas.DataFrame
        The normalised events.
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
    pandas.Series
        Per pair, why its symbol or market is not on ``exchange`` ("" when both are).

    Raises
    ------
    InputError
        If the model needs a market and a pair has none.
    UnknownNameError
        If a market symbol on the exchange has no returns.
    """
    if "market" not in frame.columns:
        frame["market"] = market
    frame["market"] = frame["market"].fillna(market if market is not None else "")
    elsewhere = _listed_elsewhere(frame, exchange, needs_market)
    if needs_market:
        missing = frame["market"].isna() | (frame["market"].astype(str) == "")
        if missing.any():
            raise InputError("market", None, "a market symbol (the model needs a benchmark)")
        # A market on another exchange excludes its pairs (below); any other must have returns.
        for name in pd.unique(frame.loc[elsewhere == "", "market"].astype(str)):
            if name not in columns:
                raise UnknownNameError("market series", name, [str(c) for c in columns])
    return elsewhere


def _place_pairs(
    frame: pd.DataFrame,
    index: pd.DatetimeIndex,
    columns: pd.Index,
    estimation: Window,
    event: Window,
    roll: Roll,
    needs_market: bool,
) -> pd.DataFrame:
    """The pairs' positions: event session, its row, the symbol's and market's columns, windows.

    Parameters
    ----------
    frame : pandas.DataFrame
        The events with their markets.
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
    pandas.DataFrame
        ``frame`` with ``day0``, ``pos0``, ``col``, ``mcol``, ``est_lo``, ``est_hi``, ``ev_lo``
        and ``ev_hi`` (-1 for a missing row or column).
    """
    frame["day0"], frame["pos0"] = _roll(frame["event_date"], index, roll)
    frame["col"] = columns.get_indexer(pd.Index(frame["symbol"]))
    frame["mcol"] = (
        columns.get_indexer(pd.Index(frame["market"].astype(str))) if needs_market else -1
    )
    for name, values in zip(_BOUNDS, _window_bounds(frame, index, estimation, event), strict=True):
        frame[name] = values
    return frame


def _exclusions(frame: pd.DataFrame, index: pd.DatetimeIndex, elsewhere: pd.Series) -> pd.Series:
    """Why each pair is excluded ("" for a kept pair); the first reason that applies wins.

    Parameters
    ----------
    frame : pandas.DataFrame
        The placed pairs.
    index : pandas.DatetimeIndex
        The sessions of the returns.
    elsewhere : pandas.Series
        Per pair, why its symbol or market is not on the exchange ("" when both are).

    Returns
    -------
    pandas.Series
        One reason per pair.
    """
    reasons = np.full(len(frame), "", dtype=object)
    still = np.ones(len(frame), dtype=bool)  # kept so far: no reason yet

    def flag(mask: np.ndarray | pd.Series, texts: Callable[[], pd.Series] | str) -> None:
        """Give the still-kept pairs in ``mask`` a reason; texts are only built when needed."""
        mask = np.asarray(mask, dtype=bool) & still
        if mask.any():
            reasons[mask] = texts if isinstance(texts, str) else texts().to_numpy(object)[mask]
            still[mask] = False

    flag(elsewhere.to_numpy(object) != "", lambda: elsewhere)
    flag(frame["col"].to_numpy() < 0, lambda: "no returns for symbol " + frame["symbol"])
    for mask, texts in _outside_data(frame, index):
        flag(mask, texts)
    est_lo, est_hi, ev_lo, ev_hi = (frame[c].to_numpy() for c in _BOUNDS)
    flag(est_lo > est_hi, "estimation window is empty")
    flag(ev_lo > ev_hi, "event window is empty")
    key = [frame["symbol"], frame["day0"], frame["market"].astype(str)]
    dup = pd.DataFrame(dict(enumerate(key))).duplicated(keep="first").to_numpy() & still
    if dup.any():
        first_id = frame["event_id"].groupby(key, dropna=False).transform("first")
        flag(
            dup,
            lambda: "duplicate of event " + first_id + " (same symbol, market and event session)",
        )
    return pd.Series(reasons, index=frame.index, dtype=object)


def _outside_data(
    frame: pd.DataFrame, index: pd.DatetimeIndex
) -> list[tuple[np.ndarray, Callable[[], pd.Series]]]:
    """The pairs whose event session or windows run outside the data, with their reasons.

    Parameters
    ----------
    frame : pandas.DataFrame
        The placed pairs.
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

    def dates() -> pd.Series:
        return frame["event_date"].dt.strftime("%Y-%m-%d")

    pos0, est_lo, est_hi, ev_lo, ev_hi = (frame[c].to_numpy() for c in ("pos0", *_BOUNDS))
    when = frame["event_date"].to_numpy(dtype="datetime64[ns]")
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
                + (-frame["est_lo"]).astype(str)
                + " sessions before day 0, the data has "
                + frame["pos0"].astype(str)
            ),
        ),
        (
            pos0 + ev_lo < 0,
            lambda: (
                "event window needs "
                + (-frame["ev_lo"]).astype(str)
                + " sessions before day 0, the data has "
                + frame["pos0"].astype(str)
            ),
        ),
        (
            pos0 + np.maximum(ev_hi, est_hi) >= t,
            lambda: (
                "event window needs "
                + frame["ev_hi"].astype(str)
                + " sessions after day 0, the data has "
                + (t - 1 - frame["pos0"]).astype(str)
            ),
        ),
    ]


def _listed_elsewhere(frame: pd.DataFrame, exchange: str | None, needs_market: bool) -> pd.Series:
    """Per pair, why its symbol or market is not on ``exchange`` ("" when both are).

    A pair is studied on one exchange's sessions: a symbol listed on another exchange, or a
    market series that trades on another exchange than the symbol, would be matched with
    returns of other days. Each symbol's exchange follows
    :func:`ipposaki.panel.exchanges.home_exchanges` (FX rates, with no exchange, fit any).
    Without ``exchange`` nothing is checked.
    """
    reasons = pd.Series("", index=frame.index, dtype=object)
    if exchange is None:
        return reasons
    from ipposaki.panel.exchanges import home_exchanges

    symbol = frame["symbol"].astype(str)
    mkt = frame["market"].astype(str)
    homes = home_exchanges(pd.concat([symbol, mkt[mkt != ""]]), exchange)

    def home(names: pd.Series) -> pd.Series:
        found = homes.reindex(names.to_numpy()).fillna("").to_numpy(dtype=object)
        return pd.Series(found, index=names.index, dtype=object)

    own = home(symbol)
    away = ((own != "") & (own != exchange)).to_numpy()
    reasons[away] = symbol[away] + " trades on " + own[away] + ", not " + exchange
    if needs_market:
        theirs = home(mkt)
        off = ((theirs != "") & (theirs != exchange) & (mkt != "")).to_numpy() & ~away
        reasons[off] = "market " + mkt[off] + " trades on " + theirs[off] + ", not " + exchange
    return reasons


def _window_bounds(
    frame: pd.DataFrame, index: pd.DatetimeIndex, estimation: Window, event: Window
) -> list[np.ndarray]:
    """Relative window bounds per pair, as :data:`_BOUNDS`: defaults, or the per-event date
    overrides."""
    n = len(frame)
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
    pos0 = frame["pos0"].to_numpy()
    for col, (target, side) in targets.items():
        if col not in frame.columns:
            continue
        given = (frame[col].notna().to_numpy()) & (pos0 >= 0)
        if not given.any():
            continue
        dates = frame[col].to_numpy(dtype="datetime64[ns]")[given]
        pos = index.searchsorted(dates, side=side)  # type: ignore[call-overload]
        pos = pos if side == "left" else pos - 1  # last session on or before the end date
        out[target][given] = pos - pos0[given]
    return [out[name] for name in _BOUNDS]
