"""The spillover data set: each target session's return beside what the source exchange just did.

Rows are sessions of the *target* exchange (Tokyo). Targets are close-to-close returns of symbols
or baskets (a basket is the equal-weighted mean of its members' returns that session; members
without a return are left out of that mean, and a session where none has one is missing).
Optionally the open gap (open over the previous close) is a target too, and with ``split`` both
parts of the close-to-close return: overnight (previous close to open) and daytime (open to
close).

Every target session has an *information cutoff*: the close of the last source session that
closed before it opened (``align_sessions``'s ``source_close``). A driver enters only through
values observed at or before that cutoff ("the last value observed before the target opens",
seen from New York's close):

* a series listed on the source exchange is observed at its sessions' closes; its value is the
  compounded return over the source sessions that closed since the previous target session's
  cutoff: normally one session, more when the target exchange was closed (Golden Week), and 0 when
  no source session closed in between (Thanksgiving). A session with no price makes it missing.
* a series that trades on no exchange (FX) has its own clock (:func:`series_clock`): its value is
  the change from the last value observed at or before the previous cutoff to the last observed at
  or before this one. When the cutoff moved but nothing new was observed in between (a series that
  ended, a holiday of its own calendar, a weekly release not yet out), the driver is missing; it is
  never carried forward as a zero return.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from ipposaki._typing import DateLike
from ipposaki.calendars import session_times, sessions
from ipposaki.crossmarket import align_sessions
from ipposaki.errors import InputError, UnknownNameError
from ipposaki.panel import build_panel
from ipposaki.store import Store

__all__ = ["SeriesClock", "SpilloverData", "observed_at", "series_clock", "spillover_data"]


@dataclass(frozen=True)
class SeriesClock:
    """When the value of a series that trades on no exchange is observed and becomes known.

    Attributes
    ----------
    zone : str
        IANA zone of ``time`` and ``release_time``.
    time : str
        Local time (``"HH:MM"``) on its date at which a value is observed.
    release : {"daily", "weekly"}
        ``"daily"``: a value is known when it is observed. ``"weekly"``: the values of a week
        (Monday to Friday) become known together at ``release_time`` on the Monday after it, or
        the next weekday when that Monday is a US federal holiday.
    release_time : str
        Local time of a weekly release (``""`` for daily series).
    description : str
        What the time means, in words.
    """

    zone: str
    time: str
    release: Literal["daily", "weekly"] = "daily"
    release_time: str = ""
    description: str = ""


#: USD/JPY and other ``*=X`` daily bars. In the shared data ``JPY=X`` is keroppa88's USD/JPY
#: daily bar: dated Monday to Friday (US and Japanese holidays included, weekends never), its
#: close dated D is closest to FRED's New York noon rate of D (median |difference| 0.10 yen
#: against 0.34 for D - 1 and 0.37 for D + 1) and sits 0.06-0.11 yen from Yahoo's open of D + 1
#: (00:00 London), so it is the close of the FX day D. The source does not document the cut-off;
#: it is taken as the FX market's usual day end, 17:00 New York time, which is one hour *after*
#: the NYSE close. At New York's close on D the last JPY=X value known is therefore the close of D
#: - 1, and that is what the driver uses.
FX_CLOSE = SeriesClock(
    "America/New_York",
    "17:00",
    description="the FX day's close, 17:00 New York time on its date (after the NYSE close)",
)
#: FRED ``DEX*`` series: the Federal Reserve H.10 noon New York buying rates. H.10 is published
#: weekly, on Mondays in the afternoon, with the previous week's daily rates.
H10_WEEKLY = SeriesClock(
    "America/New_York",
    "12:00",
    release="weekly",
    release_time="16:15",
    description="the noon New York rate, published weekly: on the Monday after its week, "
    "16:15 New York time",
)
#: Any other series without an exchange: known at the end of its date in New York.
END_OF_DAY = SeriesClock("America/New_York", "23:59", description="the end of its date in New York")


def series_clock(symbol: str) -> SeriesClock:
    """Return when a series that trades on no exchange is observed (see :class:`SeriesClock`).

    Parameters
    ----------
    symbol : str
        A symbol whose instrument has no exchange (FX).

    Returns
    -------
    SeriesClock
        :data:`H10_WEEKLY` for FRED ``DEX…`` ids, :data:`FX_CLOSE` for ``…=X`` bars and
        :data:`END_OF_DAY` otherwise.

    Examples
    --------
    >>> series_clock("JPY=X").time, series_clock("DEXJPUS").release
    ('17:00', 'weekly')
    """
    if symbol.startswith("DEX"):
        return H10_WEEKLY
    if symbol.endswith("=X"):
        return FX_CLOSE
    return END_OF_DAY


def _local(days: pd.DatetimeIndex, hhmm: str, zone: str) -> np.ndarray:
    """Naive UTC datetime64 of local time ``hhmm`` in ``zone`` on each day."""
    hours, minutes = (int(v) for v in hhmm.split(":"))
    stamps = days.normalize() + pd.Timedelta(hours=hours, minutes=minutes)
    utc = stamps.tz_localize(zone, nonexistent="shift_forward", ambiguous=False)
    return np.asarray(utc.tz_convert("UTC").tz_localize(None), dtype="datetime64[ns]")


def observed_at(symbol: str, dates: pd.DatetimeIndex, known: bool = True) -> np.ndarray:
    """When each dated value of ``symbol`` is observed (``known=False``) or known (default).

    Parameters
    ----------
    symbol : str
        A series without an exchange.
    dates : pandas.DatetimeIndex
        The dates of its values.
    known : bool, default True
        For a weekly series, the time of the release that publishes each value rather than the
        time it refers to.

    Returns
    -------
    numpy.ndarray
        Naive UTC ``datetime64[ns]`` times, one per date.

    Examples
    --------
    >>> import pandas as pd
    >>> str(observed_at("JPY=X", pd.DatetimeIndex(["2025-01-27"]))[0])
    '2025-01-27T22:00:00.000000000'
    >>> str(observed_at("DEXJPUS", pd.DatetimeIndex(["2025-01-15"]))[0])  # Monday 01-20 is MLK day
    '2025-01-21T21:15:00.000000000'
    """
    clock = series_clock(symbol)
    days = pd.DatetimeIndex(dates).normalize()
    if clock.release != "weekly" or not known:
        return _local(days, clock.time, clock.zone)
    from pandas.tseries.holiday import USFederalHolidayCalendar

    monday = (days + pd.to_timedelta(7 - days.day_of_week.to_numpy(), unit="D")).to_numpy()
    monday_days = monday.astype("datetime64[D]")
    if len(days):
        holidays = USFederalHolidayCalendar().holidays(monday.min(), monday.max())
        monday_days = np.busday_offset(
            monday_days, 0, roll="forward", holidays=holidays.to_numpy().astype("datetime64[D]")
        )
    release = pd.DatetimeIndex(monday_days.astype("datetime64[ns]"))
    return _local(release, clock.release_time, clock.zone)


@dataclass(frozen=True)
class SpilloverData:
    """Aligned targets and drivers on the target exchange's sessions.

    Attributes
    ----------
    y : pandas.DataFrame
        Target sessions x targets (``"^N225"``, ``"jp_semi_equipment"``, ``"^N225:gap"``).
    x : pandas.DataFrame
        Target sessions x drivers: the source returns aligned to each target session.
    alignment : pandas.DataFrame
        The session alignment (see :func:`ipposaki.crossmarket.align_sessions`).
    """

    y: pd.DataFrame
    x: pd.DataFrame
    alignment: pd.DataFrame

    def design(self, drivers: list[str], own_lag: bool) -> tuple[np.ndarray, np.ndarray]:
        """(K, T) targets and (K, T, p) regressors: an intercept, the drivers, the own lag."""
        t = len(self.y)
        blocks = []
        for col in self.y.columns:
            xcols = drivers + ([f"lag:{col}"] if own_lag else [])
            blocks.append(np.column_stack([np.ones(t), self.x[xcols].to_numpy(dtype=float)]))
        return self.y.to_numpy(dtype=float).T, np.stack(blocks)


def _target_returns(
    store: Store,
    exchange: str,
    targets: list[str],
    start: DateLike,
    end: DateLike,
    gap: bool,
    split: bool = False,
) -> pd.DataFrame:
    baskets = store.baskets()
    basket_names = set(baskets["basket"])
    inst = store.instruments().set_index("symbol")
    symbols: list[str] = []
    members: dict[str, list[str]] = {}
    known = sorted(basket_names | set(store.symbols()))
    for target in targets:
        if target in basket_names:
            members[target] = store.basket(target)
        elif target in inst.index:
            members[target] = [target]
        else:
            raise UnknownNameError("target", target, known)
        for sym in members[target]:
            if inst["exchange"].get(sym, "") != exchange:
                raise InputError("targets", target, f"symbols or baskets listed on {exchange}")
        symbols.extend(members[target])
    stored = set(store.symbols())
    symbols = [s for s in dict.fromkeys(symbols) if s in stored]
    panel = build_panel(store, exchange, symbols, start, end)
    out = {}
    for target, syms in members.items():
        have = [s for s in syms if s in panel.symbols]
        if not have:
            raise InputError("targets", target, "a target with stored prices")
        out[target] = panel.returns[have].mean(axis=1, skipna=True)
        if split:
            out[f"{target}:overnight"] = panel.overnight[have].mean(axis=1, skipna=True)
            out[f"{target}:daytime"] = panel.daytime[have].mean(axis=1, skipna=True)
        elif gap:
            out[f"{target}:gap"] = panel.overnight[have].mean(axis=1, skipna=True)
    return pd.DataFrame(out)


def _same_exchange(
    store: Store,
    exchange: str,
    targets: list[str],
    drivers: list[str],
    start: DateLike,
    end: DateLike,
    open_gap: bool,
    own_lag: bool,
    split: bool = False,
) -> SpilloverData:
    """Drivers from the previous session of the same exchange (``--lag``)."""
    y = _target_returns(store, exchange, targets, start, end, open_gap, split)
    panel = build_panel(store, exchange, drivers, start, end)
    x = panel.returns.reindex(y.index).shift(1)
    if own_lag:
        for col in list(y.columns):
            x[f"lag:{col}"] = y[col].shift(1)
    align = pd.DataFrame(
        {"source_session": pd.Series(y.index, index=y.index).shift(1)}, index=y.index
    )
    return SpilloverData(y=y, x=x, alignment=align)


def spillover_data(
    store: Store,
    source: str,
    target: str,
    targets: list[str],
    drivers: list[str],
    start: DateLike,
    end: DateLike,
    source_end: DateLike | None = None,
    open_gap: bool = False,
    own_lag: bool = False,
    lag: bool = False,
    split: bool = False,
) -> SpilloverData:
    """Build aligned targets and drivers for target sessions in [start, end].

    Parameters
    ----------
    store : Store
        The price store.
    source, target : str
        ISO MICs, e.g. ``"XNYS"`` and ``"XTKS"``.
    targets : list of str
        Target symbols or baskets on ``target``.
    drivers : list of str
        Source symbols (or FX series) whose returns drive the targets.
    start, end : date-like
        Target sessions.
    source_end : date-like, optional
        Last source session whose data may be used (the forecast's as-of session).
    open_gap : bool, default False
        Add each target's open gap as a target (``"SYMBOL:gap"``).
    own_lag : bool, default False
        Add each target's previous-session return as a driver column ``"lag:TARGET"``.
    lag : bool, default False
        Required when ``source == target``: the drivers are then the previous session's
        returns on that same exchange.
    split : bool, default False
        Add each target's overnight (``"SYMBOL:overnight"``, previous close to open) and daytime
        (``"SYMBOL:daytime"``, open to close) returns as targets; replaces ``open_gap``.

    Returns
    -------
    SpilloverData
        The aligned data.

    Raises
    ------
    InputError
        For same-exchange drivers and targets, or unknown names.
    """
    if source == target and not lag:
        raise InputError(
            "source/target",
            f"{source} -> {target}",
            "two different exchanges, or `lag=True` to use the previous session of the same one",
        )
    listed = _check_drivers(store, drivers, source)
    if source == target:
        return _same_exchange(store, target, targets, drivers, start, end, open_gap, own_lag, split)
    align = align_sessions(source, target, start, end)
    y = _target_returns(store, target, targets, start, end, open_gap, split).reindex(align.index)
    cutoff = _cutoffs(source, align, source_end)
    prev_cutoff = _previous_cutoffs(source, align, cutoff)
    x_frame = pd.DataFrame(index=align.index, columns=drivers, dtype=float)
    if listed:
        x_frame[listed] = _listed_drivers(store, source, listed, align, source_end)
    for driver in drivers:
        if driver not in listed:
            x_frame[driver] = _clock_driver(store, driver, cutoff, prev_cutoff)
    if own_lag:
        for col in list(y.columns):
            x_frame[f"lag:{col}"] = y[col].shift(1)
    return SpilloverData(y=y, x=x_frame, alignment=align)


def _check_drivers(store: Store, drivers: list[str], source: str) -> list[str]:
    """Check that every driver is stored and trades on ``source`` (or on no exchange).

    Parameters
    ----------
    store : Store
        The price store.
    drivers : list of str
        The drivers.
    source : str
        ISO MIC of the source exchange.

    Returns
    -------
    list of str
        The drivers listed on ``source`` (the others are series with their own clocks).

    Raises
    ------
    UnknownNameError
        For a driver that is not stored.
    InputError
        For a driver that trades on another exchange.
    """
    inst = store.instruments().set_index("symbol")
    stored = store.symbols()
    for driver in drivers:
        if driver not in stored:
            raise UnknownNameError("driver", driver, stored)
        home = inst["exchange"].get(driver, "")
        if home not in ("", source):
            raise InputError("drivers", driver, f"a series of {source} (it trades on {home})")
    return [d for d in drivers if inst["exchange"].get(d, "") == source]


def _cutoffs(source: str, align: pd.DataFrame, source_end: DateLike | None) -> np.ndarray:
    """When each target session's information set closes: the aligned source close.

    Parameters
    ----------
    source : str
        ISO MIC of the source exchange.
    align : pandas.DataFrame
        The alignment (``source_close`` per target session).
    source_end : date-like or None
        The forecast's as-of session: later closes are NaT.

    Returns
    -------
    numpy.ndarray
        (T,) naive UTC datetime64[ns] cutoffs.
    """
    cutoff = align["source_close"].dt.tz_convert(None).to_numpy(dtype="datetime64[ns]")
    if source_end is not None:
        # The forecast's information set ends at the as-of close.
        last_close = session_times(source, source_end, source_end)["close"]
        if len(last_close):
            limit = np.datetime64(last_close.iloc[-1].tz_convert(None).to_datetime64(), "ns")
            cutoff = np.where(cutoff > limit, np.datetime64("NaT"), cutoff)
    return cutoff


def _previous_cutoffs(source: str, align: pd.DataFrame, cutoff: np.ndarray) -> np.ndarray:
    """The cutoff of each row's previous target session; for the first row, the close of the
    source session before its aligned one."""
    prev = np.empty_like(cutoff)
    if len(cutoff) == 0:
        return prev
    prev[1:] = cutoff[:-1]
    first = pd.Timestamp(align["source_session"].iloc[0])
    grid = sessions(source, first - pd.Timedelta(days=20), first)
    before = grid[grid < first]
    if len(before):
        close = session_times(source, before[-1], before[-1])["close"].iloc[0]
        prev[0] = np.datetime64(close.tz_convert(None).to_datetime64(), "ns")
    else:
        prev[0] = np.datetime64("NaT")
    return prev


def _listed_drivers(
    store: Store,
    source: str,
    drivers: list[str],
    align: pd.DataFrame,
    source_end: DateLike | None,
) -> pd.DataFrame:
    """Compounded source-session returns of exchange-listed drivers between aligned sessions."""
    src_first = pd.Timestamp(align["source_session"].dropna().min()) - pd.Timedelta(days=14)
    src_last = pd.Timestamp(align["source_session"].dropna().max())
    if source_end is not None:
        src_last = min(src_last, pd.Timestamp(source_end))
    panel = build_panel(store, source, drivers, src_first, src_last)
    log = pd.DataFrame(np.log1p(panel.returns))
    cum = log.cumsum()  # NaN stays NaN through the windows that touch it
    # Compounded source return over (previous aligned session, aligned session].
    at = cum.reindex(pd.DatetimeIndex(align["source_session"]))
    prev = at.shift(1)
    x = np.expm1(at.to_numpy() - prev.to_numpy())
    x_frame = pd.DataFrame(x, index=align.index, columns=drivers)
    # The first row has no previous aligned session: use that session's own return.
    first_src = pd.Timestamp(align["source_session"].iloc[0])
    if first_src in panel.returns.index:
        x_frame.iloc[0] = panel.returns.loc[first_src, drivers].to_numpy()
    # A source return that is itself missing must not vanish inside a cumulative difference.
    missing = log.isna().astype(float).cumsum().reindex(pd.DatetimeIndex(align["source_session"]))
    touched = (missing.to_numpy() - missing.shift(1).to_numpy()) > 0
    return x_frame.mask(pd.DataFrame(touched, index=align.index, columns=drivers))


def _clock_driver(
    store: Store, symbol: str, cutoff: np.ndarray, prev_cutoff: np.ndarray
) -> np.ndarray:
    """Change of a series without an exchange between the last values known at two cutoffs.

    0 where the cutoff did not move and the series goes on; NaN where it moved but no new value
    became known, or where no value is known yet (see the module docstring).
    """
    out = np.full(len(cutoff), np.nan)
    ok = ~np.isnat(cutoff) & ~np.isnat(prev_cutoff)
    if not ok.any():
        return out
    hi = pd.Timestamp(cutoff[ok].max()) + pd.Timedelta(days=1)
    lo = pd.Timestamp(prev_cutoff[ok].min()) - pd.Timedelta(days=40)
    rows = store.prices([symbol], lo, hi)
    rows = rows[rows["close"].notna() & (rows["close"] > 0)]
    known = observed_at(symbol, pd.DatetimeIndex(rows["session"]))
    order = np.argsort(known, kind="stable")
    known = known[order]
    price = rows["close"].to_numpy(dtype=float)[order]
    now = np.searchsorted(known, cutoff[ok], side="right")
    before = np.searchsorted(known, prev_cutoff[ok], side="right")
    value = np.full(int(ok.sum()), np.nan)
    usable = (before > 0) & (now > before)
    value[usable] = price[now[usable] - 1] / price[before[usable] - 1] - 1.0
    # No new cutoff: no change (0), as long as the series goes on (a value became known after
    # this cutoff and by the last one, so nothing after the information set is looked at).
    total = np.searchsorted(known, cutoff[ok].max(), side="right")
    value[(cutoff[ok] == prev_cutoff[ok]) & (now < total)] = 0.0
    out[ok] = value
    return out
