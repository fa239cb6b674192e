"""The returns connectedness is measured on: stored symbols' daily returns, on one exchange
or aligned across two (:func:`connectedness_returns`), or a CSV table (:func:`read_returns`)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from ipposaki.errors import InputError

if TYPE_CHECKING:
    from ipposaki._typing import DateLike
    from ipposaki.store import Store

__all__ = ["ALIGNMENT_NOTE", "connectedness_returns", "read_returns"]


#: How the store loader lines up two exchanges' returns (shown in summaries).
ALIGNMENT_NOTE = (
    "non-synchronous trading: each {target} session's row holds {target}'s close-to-close "
    "returns and {source}'s returns compounded over the {source} sessions that closed before "
    "that {target} session opened (as in `spillover align`), so {source}'s part of a row is "
    "known before {target}'s"
)


def connectedness_returns(
    store: Store,
    symbols: list[str],
    start: DateLike | None = None,
    end: DateLike | None = None,
    source: str = "XNYS",
    target: str = "XTKS",
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Daily returns of stored symbols, on one exchange or aligned across two.

    Symbols listed on one exchange give that exchange's close-to-close returns. Symbols on
    ``source`` and ``target`` (New York and Tokyo) give rows on ``target``'s sessions: the
    target symbols' returns beside the source symbols' returns compounded over the source
    sessions that closed before the target session opened (:func:`spillover_data`, as in
    ``spillover align``). Rows with any missing return are dropped.

    Parameters
    ----------
    store : Store
        The price store.
    symbols : list of str
        Stored symbols, at least two.
    start, end : date-like, optional
        Sessions (of ``target`` when two exchanges are involved).
    source, target : str, default "XNYS", "XTKS"
        Exchanges whose sessions are aligned when the symbols span two.

    Returns
    -------
    tuple[pandas.DataFrame, dict]
        The returns (sessions x symbols, in the given order) and a manifest saying how they
        were aligned and how many rows were dropped.

    Raises
    ------
    InputError
        For fewer than two symbols, symbols on other exchanges, or no complete rows.
    UnknownNameError
        For a symbol that is not stored.
    """
    from ipposaki.errors import UnknownNameError
    from ipposaki.panel import build_panel

    symbols = list(dict.fromkeys(symbols))
    if len(symbols) < 2:
        raise InputError("symbols", ",".join(symbols), "at least two distinct symbols")
    stored = store.symbols()
    for sym in symbols:
        if sym not in stored:
            raise UnknownNameError("symbol", sym, stored)
    home = store.instruments().set_index("symbol")["exchange"]
    exchanges = {sym: str(home.get(sym, "") or "") for sym in symbols}
    places = sorted({e for e in exchanges.values() if e})
    info: dict[str, Any] = {"symbols": symbols}
    if len(places) <= 1:
        exchange = places[0] if places else target
        panel = build_panel(store, exchange, symbols, start, end)
        frame = panel.returns[symbols]
        info["exchange"] = exchange
        info["alignment"] = f"returns on {exchange} sessions (one exchange: no alignment needed)"
    else:
        frame = _aligned(store, exchanges, start, end, source, target)
        info["alignment"] = ALIGNMENT_NOTE.format(source=source, target=target)
        info["source"], info["target"] = source, target
    complete = frame.notna().all(axis=1)
    first = complete.idxmax() if complete.any() else None
    frame = frame.loc[first:] if first is not None else frame
    dropped = int((~frame.notna().all(axis=1)).sum())
    frame = frame.dropna()
    if frame.empty:
        raise InputError("symbols", ",".join(symbols), "symbols with common sessions of data")
    info["dropped_rows"] = dropped
    frame.index = pd.DatetimeIndex(frame.index).strftime("%Y-%m-%d")
    frame.index.name = "session"
    return frame, info


def _aligned(
    store: Store,
    exchanges: dict[str, str],
    start: DateLike | None,
    end: DateLike | None,
    source: str,
    target: str,
) -> pd.DataFrame:
    """Symbols on two exchanges on ``target``'s sessions (see :func:`connectedness_returns`).

    Parameters
    ----------
    store : Store
        The price store.
    exchanges : dict of str to str
        Each symbol's exchange (``""`` when unknown: read as a driver), in the given order.
    start, end : date-like or None
        Target sessions; default from 1990 to today.
    source, target : str
        The earlier and the later exchange.

    Returns
    -------
    pandas.DataFrame
        Target sessions x symbols, in the order of ``exchanges``.

    Raises
    ------
    InputError
        For a symbol on another exchange.
    """
    from ipposaki.spillover.data import spillover_data

    if {e for e in exchanges.values() if e} - {source, target}:
        raise InputError(
            "symbols",
            ",".join(f"{s} ({e})" for s, e in exchanges.items()),
            f"symbols on {source} and {target} only (set source/target)",
        )
    symbols = list(exchanges)
    drivers = [s for s in symbols if exchanges[s] in ("", source)]
    targets = [s for s in symbols if exchanges[s] == target]
    lo = start if start is not None else "1990-01-01"
    hi = end if end is not None else pd.Timestamp.today().normalize()
    data = spillover_data(store, source, target, targets, drivers, lo, hi)
    return pd.concat([data.x[drivers], data.y[targets]], axis=1)[symbols]


def read_returns(path: str | Path) -> pd.DataFrame:
    """Read a returns table: a CSV whose first column labels the rows (dates), then one numeric
    column per series. Rows with a missing value are kept (the fit refuses them by name).

    Parameters
    ----------
    path : str or pathlib.Path
        The CSV file.

    Returns
    -------
    pandas.DataFrame
        Rows in file order, one float column per series.

    Raises
    ------
    InputError
        If the file cannot be read, has fewer than two series, or a non-numeric value.
    """
    file = Path(path)
    if not file.is_file():
        raise InputError("returns", str(path), "an existing CSV file")
    try:
        frame = pd.read_csv(file, index_col=0)
    except (ValueError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise InputError("returns", str(path), f"a readable CSV ({exc})") from None
    for col in frame.columns:
        if not pd.api.types.is_numeric_dtype(frame[col]):
            raise InputError("returns", f"{path}: column {col!r}", "numbers in every column")
    return frame.astype(float)
