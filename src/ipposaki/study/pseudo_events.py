"""Drawing a simulation's pseudo-events from a returns panel, each with its own returns.

Which (symbol, session) cells are eligible, the draws (same-date or random clustering), each
pseudo-event's copy of its symbol's returns with its share of estimation returns deleted, the
columns those copies take in a widened returns frame, and that frame with the abnormal return
added on day 0. The design is in :mod:`ipposaki.study.simulate`.
"""

from __future__ import annotations

import hashlib
import heapq
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ipposaki.errors import InputError
from ipposaki.study.simulation_result import SimulationParameters
from ipposaki.study.windows import Window

#: Prefix of the widened frame's columns, one per set of pseudo-events that never overlap.
_PREFIX = "__pseudo_"


@dataclass(frozen=True)
class _Eligible:
    """Eligible (session, symbol) cells: positions of day 0, symbol columns, estimation counts."""

    cells: np.ndarray  # (P, S) bool over day-0 positions first..last
    first: int  # position of the first possible day 0
    n_est: np.ndarray  # (P, S) valid estimation sessions (symbol and market both present)


def _eligible(
    values: np.ndarray,
    market: np.ndarray,
    est: Window,
    evw: Window,
    missing: float,
    min_obs: int,
) -> _Eligible:
    """Which (day 0, symbol) cells can be pseudo-events (see :mod:`ipposaki.study.simulate`)."""
    t = values.shape[0]
    lo, hi = min(est.start, evw.start), max(est.end, evw.end)
    first, last = -lo, t - 1 - hi
    if last < first:
        return _Eligible(np.zeros((0, values.shape[1]), bool), first, np.zeros((0, 0), int))
    valid = ~np.isnan(values) & ~np.isnan(market)[:, None]
    cum = np.vstack([np.zeros((1, values.shape[1]), np.int64), np.cumsum(valid, axis=0)])
    pos = np.arange(first, last + 1)

    def count(w: Window) -> np.ndarray:
        return cum[pos + w.end + 1] - cum[pos + w.start]

    n_est = count(est)
    kept = n_est - np.floor(missing * n_est + 0.5).astype(np.int64)
    cells = (count(evw) == evw.length) & (kept >= min_obs)
    return _Eligible(cells, first, n_est)


def _draw(
    elig: _Eligible,
    runs: int,
    per_run: int,
    cluster: str,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray]:
    """(runs * per_run,) day-0 positions and symbol columns, run by run."""
    if cluster == "same-date":
        per_date = elig.cells.sum(axis=1)
        dates = np.flatnonzero(per_date >= per_run)
        if len(dates) == 0:
            raise InputError(
                "events_per_run",
                per_run,
                f"at most {int(per_date.max(initial=0))}, the most symbols eligible on one "
                "session (same-date clustering)",
            )
        pos = np.empty(runs * per_run, np.int64)
        sym = np.empty(runs * per_run, np.int64)
        chosen = rng.choice(dates, size=runs)
        for r, d in enumerate(chosen):
            candidates = np.flatnonzero(elig.cells[d])
            sym[r * per_run : (r + 1) * per_run] = rng.choice(candidates, per_run, replace=False)
            pos[r * per_run : (r + 1) * per_run] = d
    else:
        flat = np.flatnonzero(elig.cells.ravel())
        if len(flat) < per_run:
            raise InputError("events_per_run", per_run, f"at most {len(flat)}, the eligible cells")
        picks = np.concatenate([rng.choice(flat, per_run, replace=False) for _ in range(runs)])
        pos, sym = np.divmod(picks, elig.cells.shape[1])
    return pos + elig.first, sym


def _pack(starts: np.ndarray, length: int) -> tuple[np.ndarray, int]:
    """Columns for spans ``[start, start + length)`` such that spans in one column never overlap.

    Greedy interval partitioning in order of start: a span reuses the column that came free
    first, if it is free by then; this uses as few columns as the deepest overlap needs.
    """
    columns = np.empty(len(starts), np.int64)
    free: list[tuple[int, int]] = []  # (first row free again, column)
    n = 0
    for j in np.argsort(starts, kind="stable"):
        s = int(starts[j])
        if free and free[0][0] <= s:
            _, c = heapq.heappop(free)
        else:
            c, n = n, n + 1
        columns[j] = c
        heapq.heappush(free, (s + length, c))
    return columns, n


@dataclass(frozen=True)
class _Pseudo:
    """The pseudo-events' own return segments (before injection) and where they go."""

    segments: np.ndarray  # (n, span) returns from the estimation start to the event end
    rows: np.ndarray  # (n,) first row of each segment
    day0: int  # offset of day 0 inside a segment
    columns: np.ndarray  # (n,) column of the widened frame
    n_columns: int


def _segments(
    values: np.ndarray,
    market: np.ndarray,
    pos: np.ndarray,
    sym: np.ndarray,
    est: Window,
    evw: Window,
    missing: float,
    rng: np.random.Generator,
) -> tuple[_Pseudo, np.ndarray, np.ndarray]:
    """Copy each pseudo-event's span and delete its share of estimation returns.

    Returns the pseudo-events, and per event its valid estimation sessions and the deletions.
    """
    lo, hi = min(est.start, evw.start), max(est.end, evw.end)
    span = hi - lo + 1
    rows = pos + lo
    grid = rows[:, None] + np.arange(span)[None, :]
    segments = values[grid, sym[:, None]].copy()
    est_cols = np.arange(est.start - lo, est.end - lo + 1)
    in_est = ~np.isnan(segments[:, est_cols]) & ~np.isnan(market[grid[:, est_cols]])
    n_est = in_est.sum(axis=1)
    deleted = np.floor(missing * n_est + 0.5).astype(np.int64)
    if deleted.any():
        keys = np.where(in_est, rng.random(in_est.shape), np.inf)
        rank = np.argsort(np.argsort(keys, axis=1), axis=1)
        drop = rank < deleted[:, None]
        block = segments[:, est_cols]
        block[drop] = np.nan
        segments[:, est_cols] = block
    columns, n_columns = _pack(rows, span)
    pseudo = _Pseudo(segments, rows, -lo, columns, n_columns)
    return pseudo, n_est, deleted


def _widened(
    pseudo: _Pseudo,
    abnormal: float,
    index: pd.DatetimeIndex,
    market_name: str,
    market: np.ndarray,
) -> pd.DataFrame:
    """The widened returns frame for one abnormal return: pseudo-event columns and the market."""
    values = np.full((len(index), pseudo.n_columns), np.nan)
    segments = pseudo.segments.copy()
    segments[:, pseudo.day0] += abnormal
    span = segments.shape[1]
    grid = pseudo.rows[:, None] + np.arange(span)[None, :]
    values[grid, pseudo.columns[:, None]] = segments
    names = [f"{_PREFIX}{c:06d}" for c in range(pseudo.n_columns)]
    frame = pd.DataFrame(values, index=index, columns=names)
    frame[market_name] = market
    return frame


def _data_hash(returns: pd.DataFrame) -> str:
    digest = hashlib.blake2b(digest_size=16)
    digest.update(np.ascontiguousarray(returns.to_numpy(dtype=np.float64)).data)
    digest.update("|".join(map(str, returns.columns)).encode())
    digest.update(returns.index.values.astype("datetime64[D]").tobytes())
    return digest.hexdigest()


@dataclass(frozen=True)
class _Drawn:
    """The pseudo-events of a simulation and the panel they come from."""

    returns: pd.DataFrame  # the checked panel, market included
    generator_state: dict[str, Any]  # the seed's generator state before the draws ({} for an int)
    index: pd.DatetimeIndex  # the sessions
    mkt: np.ndarray  # (T,) the market's returns
    n_symbols: int  # symbols besides the market
    elig: _Eligible
    pseudo: _Pseudo
    events: pd.DataFrame  # the events of the widened panel, one group per run
    pseudo_events: pd.DataFrame  # what was drawn, for the result


def _draw_pseudo_events(
    returns: pd.DataFrame,
    params: SimulationParameters,
    est: Window,
    evw: Window,
    seed: int | np.random.Generator,
) -> _Drawn:
    """Draw every run's pseudo-events from the eligible (symbol, session) cells.

    Parameters
    ----------
    returns : pandas.DataFrame
        The checked panel, market included.
    params : SimulationParameters
        The design.
    est, evw : Window
        The estimation and event windows.
    seed : int or numpy.random.Generator
        The draws' randomness (also the deletions').

    Returns
    -------
    _Drawn
        The pseudo-events, their segments and the events of the widened panel.

    Raises
    ------
    InputError
        When no (symbol, session) has both windows and enough estimation returns.
    """
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(int(seed))
    state = rng.bit_generator.state if isinstance(seed, np.random.Generator) else {}
    index = pd.DatetimeIndex(returns.index)
    mkt = returns[params.market].to_numpy(dtype=np.float64)
    symbols = [c for c in returns.columns if c != params.market]
    values = returns[symbols].to_numpy(dtype=np.float64)
    missing, min_obs = params.missing, params.min_estimation_obs
    elig = _eligible(values, mkt, est, evw, missing, min_obs)
    if not elig.cells.any():
        raise InputError(
            "returns",
            f"{len(index)} sessions x {len(symbols)} symbols",
            f"a panel with a (symbol, session) that has the whole estimation ({est}) and event "
            f"({evw}) windows and >= {min_obs} estimation returns after deleting "
            f"{missing:.0%} (lower `min_estimation_obs` or `missing`, or shorten the windows)",
        )
    runs, per_run = params.runs, params.events_per_run
    pos, sym = _draw(elig, runs, per_run, params.cluster, rng)
    pseudo, n_est, deleted = _segments(values, mkt, pos, sym, est, evw, missing, rng)
    events, pseudo_events = _event_tables(pseudo, pos, sym, index, symbols, runs, per_run)
    pseudo_events = pseudo_events.assign(n_estimation_returns=n_est, n_deleted=deleted)
    return _Drawn(
        returns, _plain_state(state), index, mkt, len(symbols), elig, pseudo, events, pseudo_events
    )


def _data_record(drawn: _Drawn, excluded: int, data_source: str) -> dict[str, Any]:
    """What the simulation drew from: the panel, its hash and the eligible cells.

    Parameters
    ----------
    drawn : _Drawn
        The pseudo-events.
    excluded : int
        The most pairs any study left out.
    data_source : str
        Where the panel came from.

    Returns
    -------
    dict
        :attr:`SimulationResult.data`.
    """
    index, cells = drawn.index, drawn.elig.cells
    return {
        "source": data_source,
        "hash": _data_hash(drawn.returns),
        "sessions": len(index),
        "first_session": str(index[0].date()) if len(index) else None,
        "last_session": str(index[-1].date()) if len(index) else None,
        "symbols": drawn.n_symbols,
        "eligible_cells": int(cells.sum()),
        "eligible_sessions": int(cells.any(axis=1).sum()),
        "eligible_symbols": int(cells.any(axis=0).sum()),
        "excluded_pairs": int(excluded),
        "widened_columns": int(drawn.pseudo.n_columns),
    }


def _event_tables(
    pseudo: _Pseudo,
    pos: np.ndarray,
    sym: np.ndarray,
    index: pd.DatetimeIndex,
    symbols: list[Any],
    runs: int,
    events_per_run: int,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The events of the widened panel (one group per run) and the pseudo-events drawn.

    Parameters
    ----------
    pseudo : _Pseudo
        The pseudo-events' segments, each in its own column of the widened panel.
    pos, sym : numpy.ndarray
        Each pseudo-event's session and symbol positions, run after run.
    index : pandas.DatetimeIndex
        The sessions.
    symbols : list
        The symbols (the market left out).
    runs, events_per_run : int
        The design.

    Returns
    -------
    events : pandas.DataFrame
        event_id, symbol (the widened column), event_date, group (``run001``, ...).
    pseudo_events : pandas.DataFrame
        run, event, symbol and event_session of each pseudo-event.
    """
    width = len(str(runs))
    run_of = np.repeat(np.arange(1, runs + 1), events_per_run)
    groups = np.array([f"run{r:0{width}d}" for r in range(1, runs + 1)], dtype=object)
    names = np.array([f"{_PREFIX}{c:06d}" for c in range(pseudo.n_columns)], dtype=object)
    events = pd.DataFrame(
        {
            "event_id": [f"P{j + 1}" for j in range(len(pos))],
            "symbol": names[pseudo.columns],
            "event_date": index[pos],
            "basket": groups[run_of - 1],
        }
    )
    pseudo_events = pd.DataFrame(
        {
            "run": run_of,
            "event": np.tile(np.arange(1, events_per_run + 1), runs),
            "symbol": np.asarray(symbols, dtype=object)[sym],
            "event_session": index[pos],
        }
    )
    return events, pseudo_events


def _plain_state(state: Mapping[str, Any]) -> dict[str, Any]:
    """A bit generator's state as JSON-ready values (ints stay exact)."""
    out: dict[str, Any] = {}
    for key, value in state.items():
        if isinstance(value, Mapping):
            out[key] = _plain_state(value)
        elif isinstance(value, np.integer):
            out[key] = int(value)
        else:
            out[key] = value
    return out
