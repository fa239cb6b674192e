"""Session alignment between two exchanges in different time zones.

For each session of the *target* exchange, the aligned *source* session is the most recent
source session that closed at or before the target session opened. New York's 2025-01-27 session
(closing 21:00 UTC) is thus aligned with Tokyo's 2025-01-28 session (opening 00:00 UTC), and
Tokyo's 2025-01-27 session with New York's 2025-01-24 session. Holidays on either side, daylight
saving time and half days follow from the real open and close times of ``exchange_calendars``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ipposaki._typing import DateLike
from ipposaki.calendars import session_times, sessions
from ipposaki.errors import InputError

__all__ = ["align_sessions", "aligned_session"]


def align_sessions(
    source: str, target: str, start: DateLike | None = None, end: DateLike | None = None
) -> pd.DataFrame:
    """Align every ``target`` session in [start, end] with the last ``source`` session before it.

    Parameters
    ----------
    source, target : str
        ISO MICs, e.g. ``"XNYS"`` and ``"XTKS"``.
    start, end : date-like, optional
        Target sessions to align.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``target_session``: target_open (UTC), source_session, source_close (UTC),
        gap_hours (from the source close to the target open), and sessions_skipped (source
        sessions between this and the previous target session's aligned source session minus
        one: 0 normally, more when the target was closed while the source traded).

    Raises
    ------
    InputError
        If source and target are the same exchange.
    """
    if source == target:
        raise InputError("source/target", f"{source} -> {target}", "two different exchanges")
    tgt = session_times(target, start, end)
    lo = tgt["open"].iloc[0] - pd.Timedelta(days=20) if len(tgt) else None
    src_all = sessions(source)
    src_start = (
        None if lo is None else src_all[max(src_all.searchsorted(lo.tz_convert(None)) - 1, 0)]
    )
    src = session_times(source, src_start, end)
    closes = src["close"].dt.tz_convert(None).to_numpy()
    opens = tgt["open"].dt.tz_convert(None).to_numpy()
    pos = np.searchsorted(closes, opens, side="right") - 1
    valid = pos >= 0
    out = pd.DataFrame(index=tgt.index)
    out["target_open"] = tgt["open"]
    src_sess = pd.Series(pd.NaT, index=tgt.index, dtype="datetime64[ns]")
    src_sess[valid] = src.index.values[pos[valid]]
    out["source_session"] = src_sess
    close = pd.Series(pd.NaT, index=tgt.index, dtype="datetime64[ns]")
    close[valid] = closes[pos[valid]]
    out["source_close"] = close.dt.tz_localize("UTC")
    gap = (out["target_open"] - out["source_close"]).dt.total_seconds()
    out["gap_hours"] = gap / 3600.0
    skipped = np.full(len(pos), 0, dtype=np.int64)
    skipped[1:] = np.diff(pos) - 1
    out["sessions_skipped"] = skipped
    out.index.name = "target_session"
    return out


def aligned_session(source: str, target: str, target_session: DateLike) -> pd.Timestamp:
    """Return the last ``source`` session that closed before ``target_session`` opened.

    Parameters
    ----------
    source, target : str
        ISO MICs.
    target_session : date-like
        A session of ``target``.

    Returns
    -------
    pandas.Timestamp
        The aligned source session.

    Raises
    ------
    InputError
        If ``target_session`` is not a session of ``target``.
    """
    day = pd.Timestamp(target_session)
    table = align_sessions(source, target, day, day)
    if table.empty or table.index[0] != day:
        raise InputError("target_session", str(day.date()), f"a session of {target}")
    return pd.Timestamp(table["source_session"].iloc[0])
