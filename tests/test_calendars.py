"""Exchange calendars against known, published market hours and holidays.

Sources of the expected values: the NYSE holiday and early-close schedule (2024–2025, including
the 2025-01-09 closure for President Carter's national day of mourning), JPX's holiday calendar
(New Year 1–3 January, Golden Week), JPX's 2020-10-01 all-day halt, and JPX's extension of the
afternoon session to 15:30 JST from 2024-11-05.
"""

from __future__ import annotations

import pandas as pd
import pytest

from ipposaki.calendars import (
    calendar_bounds,
    is_session,
    roll_to_session,
    session_times,
    sessions,
)
from ipposaki.errors import InputError, UnknownNameError


def utc(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz="UTC")


@pytest.mark.parametrize(
    ("exchange", "day", "expected"),
    [
        ("XNYS", "2025-01-09", False),  # national day of mourning (Carter)
        ("XNYS", "2024-11-28", False),  # Thanksgiving
        ("XNYS", "2024-11-29", True),  # early close, still a session
        ("XNYS", "2025-01-27", True),
        ("XTKS", "2020-10-01", False),  # TSE all-day system halt
        ("XTKS", "2025-01-02", False),  # New Year holidays 1-3 Jan
        ("XTKS", "2025-04-29", False),  # Showa Day (Golden Week)
        ("XTKS", "2025-05-06", False),  # substitute holiday (Golden Week)
        ("XTKS", "2025-05-07", True),
        ("XTKS", "2025-01-27", True),
        ("XTKS", "2025-01-28", True),
    ],
    ids=lambda v: str(v),
)
def test_known_sessions(exchange: str, day: str, expected: bool) -> None:
    assert bool(is_session(exchange, pd.DatetimeIndex([day]))[0]) is expected


def test_golden_week_sessions() -> None:
    got = [d.strftime("%m-%d") for d in sessions("XTKS", "2025-04-25", "2025-05-08")]
    assert got == ["04-25", "04-28", "04-30", "05-01", "05-02", "05-07", "05-08"]


@pytest.mark.parametrize(
    ("exchange", "day", "open_utc", "close_utc"),
    [
        ("XNYS", "2025-01-27", "2025-01-27 14:30", "2025-01-27 21:00"),  # EST
        ("XNYS", "2024-07-01", "2024-07-01 13:30", "2024-07-01 20:00"),  # EDT
        ("XNYS", "2024-03-08", "2024-03-08 14:30", "2024-03-08 21:00"),  # Friday before DST
        ("XNYS", "2024-03-11", "2024-03-11 13:30", "2024-03-11 20:00"),  # Monday after 03-10 DST
        ("XNYS", "2024-11-29", "2024-11-29 14:30", "2024-11-29 18:00"),  # day after Thanksgiving
        ("XTKS", "2025-01-28", "2025-01-28 00:00", "2025-01-28 06:30"),  # 15:30 JST close
        ("XTKS", "2024-11-01", "2024-11-01 00:00", "2024-11-01 06:00"),  # before the extension
    ],
    ids=lambda v: str(v),
)
def test_open_close_utc(exchange: str, day: str, open_utc: str, close_utc: str) -> None:
    times = session_times(exchange, day, day)
    assert times["open"].iloc[0] == utc(open_utc)
    assert times["close"].iloc[0] == utc(close_utc)


def test_tokyo_lunch_break() -> None:
    times = session_times("XTKS", "2025-01-27", "2025-01-27")
    assert times["break_start"].iloc[0] == utc("2025-01-27 02:30")  # 11:30 JST
    assert times["break_end"].iloc[0] == utc("2025-01-27 03:30")  # 12:30 JST


def test_roll_names_both_neighbours() -> None:
    with pytest.raises(InputError) as err:
        roll_to_session("XTKS", "2025-01-01")
    msg = str(err.value)
    assert "`roll='next'` gives 2025-01-06" in msg and "`roll='previous'` gives 2024-12-30" in msg
    assert roll_to_session("XTKS", "2025-01-01", "next") == pd.Timestamp("2025-01-06")
    assert roll_to_session("XNYS", "2024-11-28", "previous") == pd.Timestamp("2024-11-27")
    assert roll_to_session("XNYS", "2025-01-27") == pd.Timestamp("2025-01-27")


def test_unknown_exchange_suggests() -> None:
    with pytest.raises(UnknownNameError, match="unknown exchange 'XNYZ'; did you mean XNYS"):
        sessions("XNYZ")


def test_bounds_cover_the_data() -> None:
    first, last = calendar_bounds("XTKS")
    assert first <= pd.Timestamp("2015-01-05") and last >= pd.Timestamp("2026-12-30")
