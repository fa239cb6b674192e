"""Map an event's timestamp to each exchange's event session (day 0).

Rule: the event session is the first session whose close is after the event. So news during
trading hours lands on that session, news before the open lands on the coming session, and news
after the close, on a weekend or on a holiday lands on the next session. The table also says how
many hours passed from the news to that session's open (negative when the news broke while the
market was open).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ipposaki.calendars import EXCHANGES, session_times
from ipposaki.errors import InputError, UnknownNameError
from ipposaki.sources.files import in_nanoseconds

__all__ = ["event_sessions", "parse_timestamp"]


def parse_timestamp(value: object, argument: str = "timestamp") -> pd.Timestamp:
    """Parse a timestamp that carries its time zone, and return it in UTC.

    Parameters
    ----------
    value : str or datetime-like
        E.g. ``"2025-01-27T09:00+09:00"`` or ``"2025-01-27T00:00Z"``.
    argument : str, default "timestamp"
        Name used in error messages.

    Returns
    -------
    pandas.Timestamp
        The moment in UTC.

    Raises
    ------
    InputError
        If the value does not parse, or has no zone (a timestamp without a zone is ambiguous
        across Tokyo and New York).
    """
    try:
        ts = pd.Timestamp(value)  # type: ignore[arg-type]
    except (ValueError, TypeError):
        raise InputError(
            argument, value, "an ISO timestamp with a zone, e.g. 2025-01-27T09:00+09:00"
        ) from None
    if ts.tzinfo is None:
        raise InputError(
            argument, str(value), "a timestamp with a zone, e.g. 2025-01-27T09:00+09:00 or ...Z"
        )
    return in_nanoseconds(ts, argument, str(value), "a timestamp").tz_convert("UTC")


def event_sessions(timestamp: object, exchanges: Sequence[str] = ("XTKS", "XNYS")) -> pd.DataFrame:
    """Return each exchange's event session for an event at ``timestamp``.

    Parameters
    ----------
    timestamp : str or datetime-like
        The moment of the news, with its zone.
    exchanges : sequence of str, default ("XTKS", "XNYS")
        ISO MICs.

    Returns
    -------
    pandas.DataFrame
        One row per exchange: exchange, event_session (the session, a date), open_utc, close_utc,
        hours_to_open (from the news to that session's open; negative inside the session),
        during_session (bool).

    Examples
    --------
    >>> event_sessions("2025-01-27T09:00+09:00")[["exchange", "event_session"]]
      exchange event_session
    0     XTKS    2025-01-27
    1     XNYS    2025-01-27
    """
    ts = parse_timestamp(timestamp)
    rows = []
    for exchange in exchanges:
        if exchange not in EXCHANGES:
            raise UnknownNameError("exchange", exchange, EXCHANGES)
        day = ts.tz_convert(None).normalize()
        times = session_times(exchange, day - pd.Timedelta(days=3), day + pd.Timedelta(days=20))
        closes = times["close"].dt.tz_convert(None).to_numpy()
        pos = int(np.searchsorted(closes, ts.tz_convert(None).to_datetime64(), side="right"))
        if pos >= len(times):
            raise InputError("timestamp", str(ts), f"a moment inside {exchange}'s calendar")
        row = times.iloc[pos]
        rows.append(
            {
                "exchange": exchange,
                "event_session": times.index[pos],
                "open_utc": row["open"],
                "close_utc": row["close"],
                "hours_to_open": (row["open"] - ts) / pd.Timedelta(hours=1),
                "during_session": bool(row["open"] <= ts < row["close"]),
            }
        )
    return pd.DataFrame(rows)
