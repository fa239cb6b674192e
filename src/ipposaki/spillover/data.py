"""The spillover data set: each target session's return beside what the source exchange just did.

Rows are sessions of the *target* exchange (Tokyo). Targets are close-to-close returns of symbols
or baskets (a basket is the equal-weighted mean of its members' returns that session; members
without a return are left out of that mean, and a session where none has one is missing).
Optionally the open gap (open over the previous close) is a target too.

Drivers are returns of source-exchange series (New York) over the source sessions that closed
since the previous target session opened, compounded: normally one session, more when the target
exchange was closed (Golden Week) and none when the source was (Thanksgiving: the driver is 0).
Each driver value is known at the close of its aligned source session, before the target opens.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ipposaki._typing import DateLike
from ipposaki.crossmarket import align_sessions
from ipposaki.errors import InputError, UnknownNameError
from ipposaki.panel import build_panel
from ipposaki.store import Store

__all__ = ["SpilloverData", "spillover_data"]


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
    store: Store, exchange: str, targets: list[str], start: DateLike, end: DateLike, gap: bool
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
        if gap:
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
) -> SpilloverData:
    """Drivers from the previous session of the same exchange (``--lag``)."""
    y = _target_returns(store, exchange, targets, start, end, open_gap)
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
            "two different exchanges, or --lag to use the previous session of the same one",
        )
    inst = store.instruments().set_index("symbol")
    stored = store.symbols()
    for driver in drivers:
        if driver not in stored:
            raise UnknownNameError("driver", driver, stored)
        home = inst["exchange"].get(driver, "")
        if home not in ("", source):
            raise InputError("drivers", driver, f"a series of {source} (it trades on {home})")
    if source == target:
        return _same_exchange(store, target, targets, drivers, start, end, open_gap, own_lag)
    align = align_sessions(source, target, start, end)
    y = _target_returns(store, target, targets, start, end, open_gap).reindex(align.index)
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
        x_frame.iloc[0] = panel.returns.loc[first_src].to_numpy()
    # A source return that is itself missing must not vanish inside a cumulative difference.
    missing = log.isna().astype(float).cumsum().reindex(pd.DatetimeIndex(align["source_session"]))
    touched = (missing.to_numpy() - missing.shift(1).to_numpy()) > 0
    x_frame = x_frame.mask(pd.DataFrame(touched, index=align.index, columns=drivers))
    if own_lag:
        for col in list(y.columns):
            x_frame[f"lag:{col}"] = y[col].shift(1)
    return SpilloverData(y=y, x=x_frame, alignment=align)
