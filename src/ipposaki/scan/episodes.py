"""From flagged sessions to ranked episodes along the New York -> Tokyo chain.

Both exchanges' sessions are put on one timeline in order of their opening time (Tokyo 01-27,
New York 01-27, Tokyo 01-28, ...). Flagged sessions form a *run* when at most ``max_gap``
unflagged sessions lie between neighbours (default 0: consecutive sessions across the two
exchanges). A run of more than ``max_sessions`` sessions (default 5) is cut into episodes
around its strongest sessions: the session with the largest score (the sum of |SAR| or |z| of
its flagged series) seeds an episode, which grows one neighbour at a time towards the
stronger side until it holds ``max_sessions`` sessions or meets another episode; then the
strongest session left seeds the next. A crash and its rebound stay one short episode and
unrelated days stay apart.

An episode is matched to a catalogue event when one of its sessions lies within one session
of the event's day 0 on that session's exchange.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ipposaki.calendars import session_times, sessions
from ipposaki.crossmarket import event_sessions
from ipposaki.events.catalog import Catalog

__all__ = ["assign_episodes", "episode_table", "match_events"]


def assign_episodes(
    hot: np.ndarray, score: np.ndarray, max_gap: int, max_sessions: int
) -> np.ndarray:
    """Episode of each timeline position (0 for none), numbered in time order.

    Parameters
    ----------
    hot : numpy.ndarray
        (n,) bool: the position is a flagged session.
    score : numpy.ndarray
        (n,) the strength of each position (0 where not flagged).
    max_gap : int
        Unflagged positions allowed between two flagged ones of a run.
    max_sessions : int
        The most positions an episode may span.

    Returns
    -------
    numpy.ndarray
        (n,) int episode ids; every position between an episode's first and last flagged
        session carries its id.

    Examples
    --------
    >>> hot = np.array([1, 1, 0, 1, 1, 1, 1, 1, 0, 0, 1], dtype=bool)
    >>> score = np.array([3, 1, 0, 2, 9, 1, 1, 5, 0, 0, 4.0])
    >>> assign_episodes(hot, score, max_gap=1, max_sessions=3).tolist()
    [1, 1, 0, 2, 2, 2, 3, 3, 0, 0, 4]
    """
    n = len(hot)
    pos = np.flatnonzero(hot)
    span = np.zeros(n, dtype=np.int64)
    if not len(pos):
        return span
    breaks = np.flatnonzero(np.diff(pos) - 1 > max_gap)
    starts = np.r_[pos[0], pos[breaks + 1]]
    ends = np.r_[pos[breaks], pos[-1]]
    label = 0
    pieces: list[tuple[int, int]] = []
    for a, b in zip(starts, ends, strict=True):  # runs, not firms
        pieces += _cut(int(a), int(b), hot, score, max_sessions)
    for a, b in sorted(pieces):
        label += 1
        span[a : b + 1] = label
    return span


def _cut(
    a: int, b: int, hot: np.ndarray, score: np.ndarray, max_sessions: int
) -> list[tuple[int, int]]:
    """Cut the run [a, b] into pieces of at most ``max_sessions`` around its strongest sessions."""
    if b - a + 1 <= max_sessions:
        return [(a, b)]
    free = np.zeros(len(hot), dtype=bool)
    free[a : b + 1] = True
    pieces: list[tuple[int, int]] = []
    while True:
        left = np.flatnonzero(free[a : b + 1] & hot[a : b + 1]) + a
        if not len(left):
            return pieces
        lo = hi = int(left[np.argmax(score[left])])
        free[lo] = False
        while hi - lo + 1 < max_sessions:
            sides = [p for p in (lo - 1, hi + 1) if a <= p <= b and free[p]]
            if not sides:
                break
            step = max(sides, key=lambda p: (score[p], p))  # ties go forward in time
            free[step] = False
            lo, hi = min(lo, step), max(hi, step)
        inside = np.flatnonzero(hot[lo : hi + 1]) + lo  # start and end on flagged sessions
        free[lo : hi + 1] = False
        pieces.append((int(inside[0]), int(inside[-1])))


def match_events(
    items: pd.DataFrame, catalog: Catalog, first: pd.Timestamp, last: pd.Timestamp
) -> pd.Series:
    """Catalogue events within one session of an episode's sessions, per episode.

    Parameters
    ----------
    items : pandas.DataFrame
        exchange, session, episode: the sessions of each episode.
    catalog : Catalog
        The events.
    first, last : pandas.Timestamp
        The scanned range (events a week beyond it are considered too).

    Returns
    -------
    pandas.Series
        Episode -> comma-separated event ids.
    """
    exchanges = tuple(sorted(items["exchange"].unique()))
    margin = pd.Timedelta(days=7)
    rows = []
    for event in catalog.events:  # events, not firms
        stamp = event.timestamp.tz_convert(None) if event.timestamp.tzinfo else event.timestamp
        if not first - margin <= stamp <= last + margin:
            continue
        day0 = event_sessions(event.timestamp, exchanges)
        for exchange, session in zip(day0["exchange"], day0["event_session"], strict=True):
            grid = sessions(
                exchange, session - pd.Timedelta(days=10), session + pd.Timedelta(days=10)
            )
            i = int(grid.searchsorted(pd.Timestamp(session)))
            rows += [(event.id, exchange, d) for d in grid[max(i - 1, 0) : i + 2]]
    if not rows:
        return pd.Series(dtype=object)
    near = pd.DataFrame(rows, columns=["event", "exchange", "session"])
    hits = items.merge(near, on=["exchange", "session"])
    if hits.empty:
        return pd.Series(dtype=object)
    firsts = hits.groupby(["episode", "event"], sort=False)["session"].min().reset_index()
    firsts = firsts.sort_values(["episode", "session"], kind="stable")
    return firsts.groupby("episode")["event"].agg(", ".join)


def _timeline(flags: pd.DataFrame, first: pd.Timestamp, last: pd.Timestamp) -> pd.DataFrame:
    """Both exchanges' sessions in [first, last] in order of their opening time."""
    exchanges = sorted(flags["exchange"].unique())
    frames = [session_times(x, first, last).reset_index().assign(exchange=x) for x in exchanges]
    timeline = pd.concat(frames, ignore_index=True).sort_values("open", kind="stable")
    return timeline.reset_index(drop=True)


def _labels(frame: pd.DataFrame, value: str, name: str, limit: int, sep: str) -> pd.Series:
    """'name +1.2σ (EXCH MM-DD)' labels of the strongest rows per episode."""
    if frame.empty:
        return pd.Series(dtype=object)
    ordered = frame.assign(_abs=frame[value].abs()).sort_values(
        ["episode", "_abs"], ascending=[True, False]
    )
    text = ordered[name] + " " + ordered[value].map("{:+.1f}σ".format)
    if "session" in ordered and name == "basket":
        text += " (" + ordered["exchange"] + " " + ordered["session"].dt.strftime("%m-%d") + ")"
    return text.groupby(ordered["episode"]).agg(lambda v: sep.join(v.head(limit)))


def episode_table(
    flags: pd.DataFrame,
    symbols: pd.DataFrame,
    first: pd.Timestamp,
    last: pd.Timestamp,
    max_gap: int,
    max_sessions: int,
    catalog: Catalog,
    series: list[str],
    announcements: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Rank the episodes of the flagged sessions by severity.

    Parameters
    ----------
    flags : pandas.DataFrame
        exchange, session, basket (the series), channel, basket_sar, flagged.
    symbols : pandas.DataFrame
        exchange, session, symbol, sar: members beyond the threshold.
    first, last : pandas.Timestamp
        The scanned range.
    max_gap, max_sessions : int
        See :func:`assign_episodes`.
    catalog : Catalog
        Events to match.
    series : list of str
        Every scanned series (baskets and market series), for ``severity_<series>`` columns.
    announcements : pandas.DataFrame, optional
        Earnings announcements (``symbol``, ``date``; e.g. :meth:`ipposaki.store.Store.earnings`)
        for the ``earnings`` column: the members that moved whose own announcement lies within
        one session of the session they moved on.

    Returns
    -------
    pandas.DataFrame
        One row per episode, ranked by severity (see :mod:`ipposaki.scan.scanner`).
    """
    timeline = _timeline(flags, first, last)
    hot_rows = flags.loc[flags["flagged"]]
    strength = (
        hot_rows.assign(s=hot_rows["basket_sar"].abs()).groupby(["exchange", "session"])["s"].sum()
    )
    keys = pd.MultiIndex.from_frame(timeline[["exchange", "session"]])
    score = strength.reindex(keys).fillna(0.0).to_numpy()
    timeline["span"] = assign_episodes(score > 0, score, max_gap, max_sessions)
    timeline["episode"] = np.where(score > 0, timeline["span"], 0)
    keyed = timeline[["exchange", "session", "episode", "span"]]
    flags_ep = flags.merge(keyed, on=["exchange", "session"], how="inner")
    in_span = flags_ep.loc[flags_ep["span"] > 0]
    hot_ep = flags_ep.loc[flags_ep["flagged"] & (flags_ep["episode"] > 0)]
    if hot_ep.empty:
        return pd.DataFrame()
    scar = _episode_scar(in_span, hot_ep)
    severity = scar.groupby(level=0).sum()
    per_series = scar.unstack("basket").reindex(columns=series).fillna(0.0)
    channel_of = flags.drop_duplicates("basket").set_index("basket")["channel"]
    parts = scar.rename("s").reset_index().assign(channel=lambda f: f["basket"].map(channel_of))
    by_channel = parts.groupby(["span", "channel"])["s"].sum().unstack("channel")
    channels = hot_ep.groupby("episode")["channel"].agg(lambda v: ", ".join(sorted(set(v))))
    moved = _labels(hot_ep.loc[hot_ep["channel"] == "basket"], "basket_sar", "basket", 6, "; ")
    market = _labels(hot_ep.loc[hot_ep["channel"] == "market"], "basket_sar", "basket", 6, "; ")
    top = _top_symbols(symbols, keyed)
    items = (
        timeline.loc[timeline["span"] > 0]
        .drop(columns="episode")
        .rename(columns={"span": "episode"})
    )
    events = match_events(items[["exchange", "session", "episode"]], catalog, first, last)
    grouped = items.groupby("episode")
    firsts, lasts = grouped.first(), grouped.last()
    labels = items["exchange"] + " " + items["session"].dt.strftime("%m-%d")
    table = pd.DataFrame(
        {
            "episode": firsts.index.astype(int),
            "start": firsts["exchange"] + " " + firsts["session"].dt.strftime("%Y-%m-%d"),
            "end": lasts["exchange"] + " " + lasts["session"].dt.strftime("%Y-%m-%d"),
            "first_exchange": firsts["exchange"],
            "start_utc": grouped["open"].min(),
            "n_sessions": grouped.size(),
            "sessions": labels.groupby(items["episode"]).agg(", ".join),
            "severity": severity.reindex(firsts.index).fillna(0.0),
            "severity_basket": _column(by_channel, "basket", firsts.index),
            "severity_market": _column(by_channel, "market", firsts.index),
            "channels": channels.reindex(firsts.index).fillna(""),
            "baskets": moved.reindex(firsts.index).fillna(""),
            "market": market.reindex(firsts.index).fillna(""),
            "symbols": top.reindex(firsts.index).fillna(""),
            "events": events.reindex(firsts.index).fillna(""),
            "earnings": _earnings_column(symbols, keyed, announcements, firsts.index),
        }
    )
    extra = per_series.reindex(firsts.index).fillna(0.0).add_prefix("severity_")
    table = pd.concat([table, extra], axis=1)
    table = table.sort_values("severity", ascending=False, kind="stable").reset_index(drop=True)
    table.insert(0, "rank", np.arange(1, len(table) + 1))
    return table


def _episode_scar(in_span: pd.DataFrame, hot: pd.DataFrame) -> pd.Series:
    """Per (episode, series): |SCAR| over the series' sessions in the span, if flagged there.

    Parameters
    ----------
    in_span : pandas.DataFrame
        The flag rows of the sessions inside an episode's span (``span`` > 0).
    hot : pandas.DataFrame
        The flagged rows of the episodes' sessions (``episode`` > 0).

    Returns
    -------
    pandas.Series
        Indexed by (span, basket); 0 for a series not flagged in the episode.
    """
    sums = in_span.groupby(["span", "basket"])["basket_sar"].agg(["sum", "count"])
    scar = (sums["sum"] / np.sqrt(sums["count"])).rename("scar")
    flagged_pairs = hot.groupby(["episode", "basket"]).size().index
    return scar.reindex(flagged_pairs.set_names(["span", "basket"])).fillna(0.0).abs()


def _top_symbols(symbols: pd.DataFrame, keyed: pd.DataFrame) -> pd.Series:
    """Each episode's five members that moved most, largest |SAR| first.

    Parameters
    ----------
    symbols : pandas.DataFrame
        exchange, session, symbol, sar: members beyond the threshold (may be empty).
    keyed : pandas.DataFrame
        exchange, session, episode: the episode of each session (0 for none).

    Returns
    -------
    pandas.Series
        A label per episode (see :func:`_labels`).
    """
    if not len(symbols):
        return pd.Series(dtype=object)
    sym = symbols.merge(keyed, on=["exchange", "session"]).query("episode > 0")
    sym = sym.assign(_abs=sym["sar"].abs()).sort_values(
        ["episode", "_abs"], ascending=[True, False]
    )
    return _labels(sym.drop_duplicates(["episode", "symbol"]), "sar", "symbol", 5, ", ")


def _earnings_column(
    symbols: pd.DataFrame,
    keyed: pd.DataFrame,
    announcements: pd.DataFrame | None,
    index: pd.Index,
) -> pd.Series:
    """Per episode, its moving members' own earnings announcements within one session.

    Parameters
    ----------
    symbols : pandas.DataFrame
        exchange, session, symbol, sar: members beyond the threshold (may be empty).
    keyed : pandas.DataFrame
        exchange, session, episode: the episode of each session (0 for none).
    announcements : pandas.DataFrame or None
        ``symbol``, ``date`` of earnings announcements.
    index : pandas.Index
        The episodes.

    Returns
    -------
    pandas.Series
        ``"8035.T 2024-05-22 (+1)"`` labels, ``"; "``-separated, per episode (``""`` for none).
    """
    from ipposaki.store.listed import earnings_within

    empty = pd.Series("", index=index, dtype=object)
    if announcements is None or announcements.empty or not len(symbols):
        return empty
    moved = symbols.merge(keyed, on=["exchange", "session"]).query("episode > 0")
    moved = moved.drop_duplicates(["episode", "symbol", "session"])
    moved = moved[moved["symbol"].isin(set(announcements["symbol"].astype(str)))]
    labels = []
    for exchange, rows in moved.groupby("exchange", sort=True):
        near = earnings_within(
            rows[["symbol", "session"]].rename(columns={"session": "date"}),
            announcements,
            sessions=1,
            exchange=str(exchange),
        )
        hit = near["earnings_count"].to_numpy() > 0
        labels.append(
            pd.DataFrame(
                {
                    "episode": rows["episode"].to_numpy()[hit],
                    "label": (near["symbol"] + " " + near["earnings_dates"]).to_numpy()[hit],
                }
            )
        )
    if not labels:
        return empty
    found = pd.concat(labels).drop_duplicates()
    joined = found.groupby("episode")["label"].agg(lambda v: "; ".join(sorted(v)))
    return joined.reindex(index).fillna("").astype(object)


def _column(frame: pd.DataFrame, name: str, index: pd.Index) -> pd.Series:
    if name not in frame:
        return pd.Series(0.0, index=index)
    return frame[name].reindex(index).fillna(0.0)
