"""Real exchange calendars (``exchange_calendars``): sessions and UTC open and close times.

A **session** is a timezone-naive date label of one exchange's trading day. A **timestamp** is a
UTC moment. This module never mixes the two: :func:`sessions` returns naive dates and
:func:`session_times` returns UTC timestamps indexed by session.

Calendars are built once per exchange for the widest span the library supports and then cached,
because building them costs about 0.1 s each.
"""

from __future__ import annotations

import warnings
from functools import cache
from typing import Any, Literal

import numpy as np
import pandas as pd

from ipposaki._typing import DateLike
from ipposaki.errors import InputError, UnknownNameError

__all__ = [
    "EXCHANGES",
    "calendar",
    "calendar_bounds",
    "is_session",
    "roll_to_session",
    "session_times",
    "sessions",
]

#: Exchanges known to ipposaki, by ISO MIC, with the first date each calendar is built from.
#: XNYS covers NYSE and Nasdaq listings; XTKS's calendar cannot start before 1997.
EXCHANGES: dict[str, str] = {"XNYS": "1928-01-03", "XTKS": "1997-01-01"}
_CALENDAR_END = "2030-12-31"


def _check_exchange(exchange: str) -> str:
    if exchange not in EXCHANGES:
        raise UnknownNameError("exchange", exchange, EXCHANGES)
    return exchange


@cache
def calendar(exchange: str) -> Any:
    """Return the cached ``exchange_calendars`` calendar of ``exchange``.

    Parameters
    ----------
    exchange : str
        ISO MIC, ``"XNYS"`` or ``"XTKS"``.

    Returns
    -------
    exchange_calendars.ExchangeCalendar
        The calendar, spanning :data:`EXCHANGES` start to 2030-12-31.

    Raises
    ------
    UnknownNameError
        If the exchange is not one of :data:`EXCHANGES`.
    """
    import exchange_calendars as xcals

    _check_exchange(exchange)
    with warnings.catch_warnings():
        # exchange_calendars still reads ``Series.values`` on tz-aware data, which pandas 3.1
        # deprecates; the values it gets are correct UTC nanoseconds.
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.simplefilter("ignore", FutureWarning)
        return xcals.get_calendar(exchange, start=EXCHANGES[exchange], end=_CALENDAR_END)


def calendar_bounds(exchange: str) -> tuple[pd.Timestamp, pd.Timestamp]:
    """Return the first and last session the calendar of ``exchange`` can speak for.

    Parameters
    ----------
    exchange : str
        ISO MIC.

    Returns
    -------
    tuple[pandas.Timestamp, pandas.Timestamp]
        First and last session.
    """
    cal = calendar(exchange)
    return pd.Timestamp(cal.first_session), pd.Timestamp(cal.last_session)


def sessions(
    exchange: str, start: DateLike | None = None, end: DateLike | None = None
) -> pd.DatetimeIndex:
    """Return the sessions of ``exchange`` between ``start`` and ``end`` inclusive.

    Parameters
    ----------
    exchange : str
        ISO MIC.
    start, end : date-like, optional
        Bounds; default to the calendar's own bounds. Bounds outside the calendar are clipped.

    Returns
    -------
    pandas.DatetimeIndex
        Timezone-naive session labels.
    """
    all_sessions = pd.DatetimeIndex(calendar(exchange).sessions)
    lo = 0 if start is None else all_sessions.searchsorted(pd.Timestamp(start), "left")
    hi = len(all_sessions) if end is None else all_sessions.searchsorted(pd.Timestamp(end), "right")
    return all_sessions[lo:hi]


def session_times(
    exchange: str, start: DateLike | None = None, end: DateLike | None = None
) -> pd.DataFrame:
    """Return the UTC open, close and break times of each session.

    Parameters
    ----------
    exchange : str
        ISO MIC.
    start, end : date-like, optional
        Session bounds, inclusive.

    Returns
    -------
    pandas.DataFrame
        Indexed by session, with UTC columns ``open``, ``close``, ``break_start``, ``break_end``
        (the break columns are ``NaT`` on exchanges or days without a lunch break).
    """
    cal = calendar(exchange)
    idx = sessions(exchange, start, end)
    frame = pd.DataFrame(
        {
            "open": cal.opens.reindex(idx),
            "close": cal.closes.reindex(idx),
            "break_start": cal.break_starts.reindex(idx),
            "break_end": cal.break_ends.reindex(idx),
        },
        index=idx,
    )
    frame.index.name = "session"
    return frame


def is_session(exchange: str, dates: pd.DatetimeIndex | np.ndarray) -> np.ndarray:
    """Tell, for each date, whether it is a session of ``exchange`` (vectorised).

    Parameters
    ----------
    exchange : str
        ISO MIC.
    dates : pandas.DatetimeIndex or numpy.ndarray of datetime64
        Timezone-naive dates.

    Returns
    -------
    numpy.ndarray of bool
        True where the date is a session.
    """
    all_sessions = pd.DatetimeIndex(calendar(exchange).sessions).values.astype("datetime64[D]")
    return np.isin(np.asarray(dates).astype("datetime64[D]"), all_sessions)


def roll_to_session(
    exchange: str, date: DateLike, direction: Literal["next", "previous", "none"] = "none"
) -> pd.Timestamp:
    """Return ``date`` if it is a session, else roll it as ``direction`` says.

    Parameters
    ----------
    exchange : str
        ISO MIC.
    date : date-like
        The date to check.
    direction : {"none", "next", "previous"}, default "none"
        ``"none"`` raises for a non-session, naming the sessions it would roll to.

    Returns
    -------
    pandas.Timestamp
        A session label.

    Raises
    ------
    InputError
        If ``date`` is not a session and ``direction`` is ``"none"``, or it lies outside the
        calendar.
    """
    ts = pd.Timestamp(date).normalize()
    all_sessions = pd.DatetimeIndex(calendar(exchange).sessions)
    pos = int(all_sessions.searchsorted(ts, "left"))
    if pos < len(all_sessions) and all_sessions[pos] == ts:
        return ts
    if direction not in ("none", "next", "previous"):
        raise InputError("direction", direction, "one of 'none', 'next', 'previous'")
    nxt = all_sessions[pos] if pos < len(all_sessions) else None
    prv = all_sessions[pos - 1] if pos > 0 else None
    if direction == "next" and nxt is not None:
        return pd.Timestamp(nxt)
    if direction == "previous" and prv is not None:
        return pd.Timestamp(prv)
    hint = ", ".join(
        f"`roll='{name}'` gives {s.date()}" for name, s in (("next", nxt), ("previous", prv)) if s
    )
    raise InputError(
        "date", str(ts.date()), f"a session of {exchange} ({hint or 'outside the calendar'})"
    )
