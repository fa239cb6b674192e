"""Each exchange's sessions around one shock, and the session each one followed.

One rule maps an event to each exchange's day 0 (:func:`ipposaki.crossmarket.event_sessions`:
the first session whose close is after the news); the catalogue, ``contagion``, the study and the
report all use it. Besides the two days 0, a shock report follows Tokyo's first session that
opened after New York's day-0 close, where a spillover from New York would show. For every
session the timeline also names the other exchange's last session that closed before it opened
(:func:`ipposaki.crossmarket.aligned_session`): Tokyo's 2022-10-11 session followed New York's
2022-10-10 session, not its 2022-10-07 day 0.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from ipposaki.errors import InputError
from ipposaki.study.spec import StudySpec

__all__ = ["ShockSession", "news_time", "shock_sessions"]

_OTHER = {"XNYS": "XTKS", "XTKS": "XNYS"}


@dataclass(frozen=True)
class ShockSession:
    """One exchange's session around a shock.

    Attributes
    ----------
    exchange : str
        ISO MIC (XNYS, XTKS).
    day : str
        The session, ``YYYY-MM-DD``.
    role : str
        ``"day0"`` (the exchange's event session), ``"next"`` (Tokyo's first session after New
        York's day-0 close) or ``"day0+next"`` when they coincide.
    label : str
        How the CSV files name it, e.g. ``"Tokyo 2025-01-28 (first session after New York's
        close)"``.
    open_utc, close_utc : pandas.Timestamp
        When the session opened and closed (UTC).
    follows : str
        The other exchange's last session that closed before this one opened, ``YYYY-MM-DD``.
    follows_close_utc : pandas.Timestamp
        When that session closed (UTC).
    """

    exchange: str
    day: str
    role: str
    label: str
    open_utc: pd.Timestamp
    close_utc: pd.Timestamp
    follows: str = ""
    follows_close_utc: pd.Timestamp | None = None

    @property
    def gap_hours(self) -> float:
        """Hours from the close of :attr:`follows` to this session's open."""
        if self.follows_close_utc is None:
            return float("nan")
        return float((self.open_utc - self.follows_close_utc) / pd.Timedelta(hours=1))

    def has(self, role: str) -> bool:
        """Whether the session plays ``role`` (``"day0"`` or ``"next"``)."""
        return role in self.role.split("+")


def news_time(spec: StudySpec) -> pd.Timestamp:
    """When the spec's (first) event's news came: its timestamp in UTC, else its date."""
    ev = spec.events[0]
    if ev.timestamp is not None:
        return pd.Timestamp(ev.timestamp).tz_convert("UTC")
    if ev.date is None:  # pragma: no cover - load_spec requires one of the two
        raise InputError("spec", ev.id, "an event with a date or a timestamp")
    return pd.Timestamp(ev.date)


def shock_sessions(spec: StudySpec) -> tuple[ShockSession, ...]:
    """Each exchange's sessions around the spec's shock, in the order they opened.

    Day 0 on Tokyo and New York (each exchange's first session at or after the news, see
    :func:`ipposaki.crossmarket.event_sessions`), and Tokyo's first session after New York's
    day-0 close, where a spillover would show.

    Parameters
    ----------
    spec : StudySpec
        A spec whose events all fall on the same sessions (one shock).

    Returns
    -------
    tuple[ShockSession, ...]
        Two or three sessions.

    Raises
    ------
    InputError
        If the events fall on different sessions, or a date is not a session of both exchanges.
    """
    from ipposaki.calendars import is_session, session_times
    from ipposaki.crossmarket import aligned_session
    from ipposaki.spillover.forecast import next_target_session

    first = spec.events[0]
    ny, tk = first.session("XNYS"), first.session("XTKS")
    for ev in spec.events[1:]:
        if (ev.session("XNYS"), ev.session("XTKS")) != (ny, tk):
            raise InputError(
                "spec",
                f"event {ev.id!r}",
                f"an event on the sessions of {first.id!r} (New York {ny.date()}, Tokyo "
                f"{tk.date()}): a report covers one shock; for several use `ipposaki study SPEC`",
            )
    for exchange, day in (("XNYS", ny), ("XTKS", tk)):
        if not is_session(exchange, pd.DatetimeIndex([day]))[0]:
            raise InputError(
                "spec",
                f"event {first.id!r} on {day.date()}",
                f"a session of {exchange}; give the event a timestamp with its zone instead",
            )
    nxt = next_target_session("XNYS", "XTKS", ny)
    after = "first session after New York's close"
    rows = [("XNYS", ny, "day0", f"New York {ny.date()} (day 0)")]
    if nxt == tk:
        rows.append(("XTKS", tk, "day0+next", f"Tokyo {tk.date()} (day 0, {after})"))
    else:
        rows.append(("XTKS", tk, "day0", f"Tokyo {tk.date()} (day 0)"))
        rows.append(("XTKS", nxt, "next", f"Tokyo {nxt.date()} ({after})"))
    out = []
    for exchange, day, role, label in rows:
        times = session_times(exchange, day, day).iloc[0]
        other = _OTHER[exchange]
        prev = aligned_session(other, exchange, day)
        prev_close = session_times(other, prev, prev)["close"].iloc[0]
        out.append(
            ShockSession(
                exchange,
                f"{day:%Y-%m-%d}",
                role,
                label,
                times["open"],
                times["close"],
                f"{prev:%Y-%m-%d}",
                prev_close,
            )
        )
    return tuple(sorted(out, key=lambda s: s.open_utc))
