"""Event timing and session alignment on known dates.

Expected values follow from the exchanges' published hours and holidays: Tokyo 09:00-15:30 JST
(15:00 before 2024-11-05) with Golden Week and 1-3 January closed; New York 09:30-16:00 ET,
closed on Thanksgiving 2024-11-28 and closing at 13:00 ET on 2024-11-29; US daylight saving time
began on 2024-03-10 (New York's close moved from 21:00 to 20:00 UTC).
"""

from __future__ import annotations

import pandas as pd
import pytest

from ipposaki.crossmarket import align_sessions, aligned_session, event_sessions, parse_timestamp
from ipposaki.errors import InputError


def day(text: str) -> pd.Timestamp:
    return pd.Timestamp(text)


@pytest.mark.parametrize(
    ("stamp", "tokyo", "new_york"),
    [
        ("2025-01-27T09:00+09:00", "2025-01-27", "2025-01-27"),  # Tokyo open, DeepSeek Monday
        ("2025-01-26T12:00Z", "2025-01-27", "2025-01-27"),  # a Sunday: next sessions
        ("2025-01-27T21:30Z", "2025-01-28", "2025-01-28"),  # after New York's close
        ("2025-01-27T15:00Z", "2025-01-28", "2025-01-27"),  # New York open, Tokyo closed
        ("2024-11-28T15:00Z", "2024-11-29", "2024-11-29"),  # Thanksgiving
        ("2025-05-03T00:00+09:00", "2025-05-07", "2025-05-02"),  # Golden Week; NY Friday open
        ("2024-12-31T12:00+09:00", "2025-01-06", "2024-12-31"),  # New Year
    ],
)
def test_event_sessions(stamp: str, tokyo: str, new_york: str) -> None:
    table = event_sessions(stamp).set_index("exchange")
    assert table.loc["XTKS", "event_session"] == day(tokyo)
    assert table.loc["XNYS", "event_session"] == day(new_york)


def test_hours_to_open_and_during_session() -> None:
    table = event_sessions("2025-01-27T09:00+09:00").set_index("exchange")
    assert table.loc["XTKS", "hours_to_open"] == 0.0 and table.loc["XTKS", "during_session"]
    assert table.loc["XNYS", "hours_to_open"] == 14.5  # 00:00 UTC -> 14:30 UTC
    inside = event_sessions("2025-01-27T18:00Z").set_index("exchange")
    assert inside.loc["XNYS", "during_session"] and inside.loc["XNYS", "hours_to_open"] == -3.5


def test_timestamp_without_zone_is_rejected() -> None:
    with pytest.raises(InputError, match="a timestamp with a zone"):
        parse_timestamp("2025-01-27T09:00")
    with pytest.raises(InputError, match="timestamp='not a time'"):
        parse_timestamp("not a time")


def test_deepseek_alignment() -> None:
    """New York's crash (01-27) reaches Tokyo's 01-28 session first."""
    assert aligned_session("XNYS", "XTKS", "2025-01-28") == day("2025-01-27")
    assert aligned_session("XNYS", "XTKS", "2025-01-27") == day("2025-01-24")
    assert aligned_session("XTKS", "XNYS", "2025-01-27") == day("2025-01-27")


def test_golden_week() -> None:
    table = align_sessions("XNYS", "XTKS", "2025-05-01", "2025-05-08")
    assert list(table.index.strftime("%m-%d")) == ["05-01", "05-02", "05-07", "05-08"]
    assert table.loc["2025-05-07", "source_session"] == day("2025-05-06")
    assert table.loc["2025-05-07", "sessions_skipped"] == 2  # New York 05-02 and 05-05
    assert table.loc["2025-05-07", "gap_hours"] == 4.0  # 20:00 UTC (EDT) -> 00:00 UTC


def test_thanksgiving_and_half_day() -> None:
    table = align_sessions("XNYS", "XTKS", "2024-11-28", "2024-12-02")
    assert table.loc["2024-11-29", "source_session"] == day("2024-11-27")
    assert table.loc["2024-12-02", "source_session"] == day("2024-11-29")
    assert table.loc["2024-12-02", "source_close"] == pd.Timestamp("2024-11-29 18:00Z")
    reverse = align_sessions("XTKS", "XNYS", "2024-11-26", "2024-11-29")
    assert reverse.loc["2024-11-29", "source_session"] == day("2024-11-29")
    assert reverse.loc["2024-11-29", "source_close"] == pd.Timestamp("2024-11-29 06:30Z")


def test_dst_change_2024_03_10() -> None:
    table = align_sessions("XNYS", "XTKS", "2024-03-08", "2024-03-13")
    assert table.loc["2024-03-11", "source_session"] == day("2024-03-08")
    assert table.loc["2024-03-11", "gap_hours"] == 51.0  # Fri 21:00 UTC (EST) -> Mon 00:00 UTC
    assert table.loc["2024-03-12", "gap_hours"] == 4.0  # Mon 20:00 UTC (EDT) -> Tue 00:00 UTC


def test_new_year() -> None:
    table = align_sessions("XNYS", "XTKS", "2024-12-27", "2025-01-07")
    assert list(table.index.strftime("%m-%d")) == ["12-27", "12-30", "01-06", "01-07"]
    assert table.loc["2025-01-06", "source_session"] == day("2025-01-03")
    assert table.loc["2025-01-06", "sessions_skipped"] == 3  # 12-30, 12-31, 01-02
    reverse = align_sessions("XTKS", "XNYS", "2024-12-31", "2025-01-06")
    assert reverse.loc["2025-01-02", "source_session"] == day("2024-12-30")


def test_same_exchange_and_non_session() -> None:
    with pytest.raises(InputError, match="two different exchanges"):
        align_sessions("XTKS", "XTKS")
    with pytest.raises(InputError, match="target_session='2025-01-01' is not allowed"):
        aligned_session("XNYS", "XTKS", "2025-01-01")


def test_tokyo_follows_the_last_new_york_session_before_it_opened() -> None:
    """The 2022-10-07 export controls: Tokyo was closed on 10-10 (Sports Day) while New York
    traded, so Tokyo's 10-11 session followed New York's 10-10 session, 4 hours earlier."""
    assert aligned_session("XNYS", "XTKS", "2022-10-11") == day("2022-10-10")
    table = align_sessions("XNYS", "XTKS", "2022-10-07", "2022-10-11")
    assert table.loc[day("2022-10-11"), "gap_hours"] == 4.0
    assert table.loc[day("2022-10-11"), "sessions_skipped"] == 1  # New York's 10-07 close
    event = event_sessions("2022-10-07T12:00-04:00").set_index("exchange")["event_session"]
    assert event["XTKS"] == day("2022-10-11") and event["XNYS"] == day("2022-10-07")
