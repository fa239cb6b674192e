"""Check :func:`~ipposaki.study.run_study`'s arguments and read its returns matrix.

The options are checked against one another before any work; the returns (a frame or a
partitioned Parquet directory) become one float64 matrix of symbols x sessions with its data hash.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd

from ipposaki.calendars import EXCHANGES
from ipposaki.errors import InputError, UnknownNameError
from ipposaki.panel.partitioned import PartitionedPrices
from ipposaki.study.garch import (
    GARCH_MODELS,
)
from ipposaki.study.measures import (
    Measure,
    check_measure,
    log_volume,
)
from ipposaki.study.models import MODELS
from ipposaki.study.settings import CONVENTIONS
from ipposaki.study.windows import Window, is_integer, parse_window


def _check_options(
    model: str,
    measure: object,
    thin_trading: str,
    convention: str,
    min_estimation_obs: int,
    volume: pd.DataFrame | None,
    shares: pd.DataFrame | None,
    factors: pd.DataFrame | None = None,
) -> Measure:
    """Refuse a model, measure, convention or option that cannot be used, naming the argument.

    Parameters
    ----------
    model, measure, thin_trading, convention, min_estimation_obs, volume, shares, factors
        As given to :func:`run_study`.

    Returns
    -------
    {"return", "volume", "volatility"}
        ``measure``.

    Raises
    ------
    InputError
        For an unknown model, measure or convention, or an option the others exclude.
    """
    if model not in MODELS:
        raise InputError("model", model, f"one of {', '.join(MODELS)}")
    checked = check_measure(measure)
    if model in GARCH_MODELS and thin_trading != "none":
        raise InputError("thin_trading", thin_trading, "none unless model='market'")
    _check_measure_options(checked, model, thin_trading, convention, min_estimation_obs, volume)
    if shares is not None and checked != "volume":
        raise InputError("shares", "a table", "None unless measure='volume'")
    if convention not in CONVENTIONS:
        raise InputError("convention", convention, f"one of {', '.join(CONVENTIONS)}")
    if convention == "estudy2" and model != "market":
        raise InputError(
            "model",
            model,
            "'market' with convention='estudy2' (estudy2's statistics are reproduced for its "
            "market model only)",
        )
    if model == "factor" and (factors is None or factors.shape[1] == 0):
        raise InputError("factors", None, "a factor table for model='factor'")
    return checked


def _check_arguments(
    events: object, exchange: object, backend: object, factors: object = None
) -> None:
    """Refuse an events table (or factor table) that is not a DataFrame, an exchange ipposaki
    has no calendar for, or a backend that cannot run blocks, before any work.

    Examples
    --------
    >>> try:
    ...     _check_arguments(pd.DataFrame(), "xnys", None)
    ... except UnknownNameError as err:
    ...     print(err)
    unknown exchange 'xnys'; did you mean XNYS? (2 known)
    """
    if not isinstance(events, pd.DataFrame):
        raise InputError(
            "events", type(events).__name__, "a DataFrame with symbol and event_date columns"
        )
    if factors is not None and not isinstance(factors, pd.DataFrame):
        raise InputError("factors", type(factors).__name__, "a sessions x factors DataFrame")
    if exchange is not None and exchange not in EXCHANGES:
        raise UnknownNameError("exchange", str(exchange), EXCHANGES)
    if backend is not None and not callable(getattr(backend, "run", None)):
        raise InputError(
            "backend",
            repr(backend),
            "a LocalRunner or a DaskBackend (ipposaki.study.distributed), or None",
        )


def _check_windows(
    estimation_window: str | tuple[int, int] | Window,
    event_window: str | tuple[int, int] | Window,
    car_windows: Sequence[str | tuple[int, int] | Window],
    model: str,
    min_estimation_obs: int,
) -> tuple[Window, Window, list[Window]]:
    """Parse the windows and refuse those the model cannot use.

    Parameters
    ----------
    estimation_window, event_window, car_windows, model, min_estimation_obs
        As given to :func:`run_study`.

    Returns
    -------
    tuple
        The estimation window, the event window and the CAR windows.

    Raises
    ------
    InputError
        For a bad window, a CAR window outside the event window, an estimation window that
        overlaps the event window, or ``min_estimation_obs`` below 1 with an estimated model.
    """
    if not is_integer(min_estimation_obs):
        raise InputError("min_estimation_obs", min_estimation_obs, "an integer >= 1")
    est = parse_window(estimation_window, "estimation_window")
    evw = parse_window(event_window, "event_window")
    if isinstance(car_windows, str | Window) or not isinstance(car_windows, Sequence):
        raise InputError("car_windows", str(car_windows), 'a list of windows, e.g. ["-1:1", "0:5"]')
    cars = [parse_window(w, "car_windows") for w in car_windows]
    twice = [w for i, w in enumerate(cars) if w in cars[:i]]
    if twice:
        raise InputError("car_windows", f"{twice[0]} twice", "each window once")
    for w in cars:
        if not evw.contains(w):
            raise InputError("car_windows", str(w), f"a window inside the event window {evw}")
    overlap = est.end >= evw.start and est.start <= evw.end
    if overlap and not (model == "raw" and min_estimation_obs < 1):  # whatever the pairs
        raise InputError(
            "estimation_window",
            str(est),
            f"a window that does not overlap the event window {evw}; e.g. end it before "
            f"{evw.start}",
        )
    if min_estimation_obs < 1 and model not in ("raw",):
        raise InputError("min_estimation_obs", min_estimation_obs, "an integer >= 1")
    if model in GARCH_MODELS and est.end >= evw.start:
        raise InputError(
            "estimation_window",
            str(est),
            f"a window before the event window {evw} with model={model!r} (the conditional "
            "variance runs forward from the estimation window)",
        )
    return est, evw, cars


def _check_measure_options(
    measure: Measure,
    model: str,
    thin_trading: str,
    convention: str,
    min_estimation_obs: int,
    volume: pd.DataFrame | None,
) -> None:
    """Refuse the options a measure cannot use, naming the argument."""
    if measure == "return":
        if volume is not None:
            raise InputError("volume", "a table", "None unless measure='volume'")
        return
    if convention != "ipposaki":
        raise InputError(
            "convention", convention, f"'ipposaki' with measure={measure!r} (estudy2 is returns)"
        )
    if min_estimation_obs < 1:
        raise InputError(
            "min_estimation_obs", min_estimation_obs, f"an integer >= 1 with measure={measure!r}"
        )
    if measure == "volatility":
        if volume is not None:
            raise InputError("volume", "a table", "None unless measure='volume'")
        return
    if model == "factor" or model in GARCH_MODELS:
        raise InputError(
            "model",
            model,
            "one of market, market-adjusted, constant-mean, raw with measure='volume' "
            "(factors and GARCH models are for returns)",
        )
    if thin_trading != "none":
        raise InputError("thin_trading", thin_trading, "'none' with measure='volume'")
    if volume is None:
        raise InputError(
            "volume", None, "a sessions x symbols table of shares traded for measure='volume'"
        )


def _refuse_overlap(pairs: pd.DataFrame) -> None:
    """Refuse a pair whose estimation window shares sessions with its event window.

    Event-day returns inside the estimation window would become in-sample residuals: the
    model would partly fit the event, and the rank tests would count those days twice.
    """
    est_lo, est_hi = pairs["est_lo"].to_numpy(), pairs["est_hi"].to_numpy()
    ev_lo, ev_hi = pairs["ev_lo"].to_numpy(), pairs["ev_hi"].to_numpy()
    clash = (est_hi >= ev_lo) & (est_lo <= ev_hi)
    if clash.any():
        i = int(np.flatnonzero(clash)[0])
        row = pairs.iloc[i]
        raise InputError(
            "estimation_window",
            f"{est_lo[i]}:{est_hi[i]} (event {row['event_id']}, {row['symbol']})",
            f"a window that does not overlap the event window {ev_lo[i]}:{ev_hi[i]}; "
            f"e.g. end it before {ev_lo[i]}",
        )


def _sessions_and_symbols(
    returns: pd.DataFrame | PartitionedPrices,
) -> tuple[pd.DatetimeIndex, pd.Index]:
    """The session grid and the symbols of the returns.

    Parameters
    ----------
    returns : pandas.DataFrame or PartitionedPrices
        As given to :func:`run_study`.

    Returns
    -------
    tuple
        The sessions and the symbols.

    Raises
    ------
    InputError
        If the sessions of a table are out of order or repeated.
    """
    if isinstance(returns, PartitionedPrices):
        return returns.sessions, pd.Index(returns.symbols)
    if not isinstance(returns, pd.DataFrame):
        raise InputError("returns", type(returns).__name__, "a sessions x symbols DataFrame")
    index = session_index(returns.index)
    _refuse_odd_columns(returns)
    if pd.api.types.infer_dtype(returns.columns, skipna=False) != "string":
        name = next(c for c in returns.columns if not isinstance(c, str))
        raise InputError(
            "returns",
            f"column name {name!r} ({type(name).__name__})",
            "symbols as text (e.g. returns.columns = returns.columns.astype(str))",
        )
    return index, returns.columns


def session_index(index: pd.Index, argument: str = "returns") -> pd.DatetimeIndex:
    """A table's index as sessions: dates without a time zone, sorted, unique, at least one.

    Parameters
    ----------
    index : pandas.Index
        A DatetimeIndex, or dates as ISO text or date objects.
    argument : str, default "returns"
        The table's name in an error.

    Returns
    -------
    pandas.DatetimeIndex
        The sessions.

    Raises
    ------
    InputError
        For an empty index, numbers (a RangeIndex would read as nanoseconds after 1970), text
        that is not a date, a missing date, a time zone (its dates are not the exchange's
        session dates), or dates out of order or repeated.

    Examples
    --------
    >>> session_index(pd.Index(["2025-01-27", "2025-01-28"])).strftime("%m-%d").tolist()
    ['01-27', '01-28']
    >>> try:
    ...     session_index(pd.RangeIndex(3))
    ... except InputError as err:
    ...     print(err.argument, err.value)
    returns an index of numbers (int64)
    """
    if len(index) == 0:
        raise InputError(argument, "a table without rows", "at least one session")
    if index.dtype.kind in "biufc":
        raise InputError(
            argument,
            f"an index of numbers ({index.dtype})",
            "session dates (a DatetimeIndex, or dates as YYYY-MM-DD)",
        )
    try:
        sessions = pd.DatetimeIndex(index)
    except (TypeError, ValueError, OverflowError) as exc:  # pandas' parse errors are ValueErrors
        raise InputError(
            argument,
            f"an index holding {str(exc).splitlines()[0][:80]}",
            "session dates (a DatetimeIndex, or dates as YYYY-MM-DD)",
        ) from None
    if sessions.tz is not None:
        raise InputError(
            argument,
            f"an index in time zone {sessions.tz}",
            "session dates without a time zone (the exchange's own dates; "
            "e.g. returns.tz_localize(None) if they are already local)",
        )
    if sessions.hasnans:
        row = int(np.flatnonzero(sessions.isna())[0])
        raise InputError(f"{argument} row {row + 1}", "a missing date", "a session date")
    if not sessions.is_monotonic_increasing or sessions.has_duplicates:
        raise InputError(argument, "an index out of order", "sorted, unique sessions")
    return sessions


def _refuse_odd_columns(table: pd.DataFrame, argument: str = "returns") -> None:
    """Refuse a column named twice, or a column that does not hold numbers (text would fail
    deep in numpy, and True/False would pass as returns of 1 and 0).

    Examples
    --------
    >>> days = pd.date_range("2024-01-01", periods=2)
    >>> try:
    ...     _refuse_odd_columns(pd.DataFrame({"A": [0.1, 0.2], "B": [True, False]}, days))
    ... except InputError as err:
    ...     print(err.argument, err.value)
    returns['B'] a column of bool
    """
    if table.columns.has_duplicates:
        twice = table.columns[table.columns.duplicated()][0]
        raise InputError(argument, f"column {twice!r} twice", "each column once")
    for dtype in set(table.dtypes):
        if dtype.kind not in "fiu":  # floats (NaN where missing) or integers, no bool, no text
            col = next(c for c, d in table.dtypes.items() if d == dtype)
            raise InputError(
                f"{argument}[{str(col)!r}]", f"a column of {dtype}", "numbers, NaN where missing"
            )


def _read_matrix(
    returns: pd.DataFrame | PartitionedPrices,
    measure: Measure,
    volume: pd.DataFrame | None,
    shares: pd.DataFrame | None,
    index: pd.DatetimeIndex,
    columns: pd.Index,
    universe: bool,
    log_returns: bool = False,
) -> tuple[np.ndarray | PartitionedPrices, Callable[[], str]]:
    """The (symbols, sessions) series studied, and its fingerprint on the way.

    Parameters
    ----------
    returns, volume, shares
        As given to :func:`run_study`.
    measure : {"return", "volume", "volatility"}
        What is studied: ``ln(1 + V)`` (or log turnover) for volume, else the returns.
    index : pandas.DatetimeIndex
        The session grid.
    columns : pandas.Index
        The symbols, with the market volume series last if ``universe``.
    universe : bool
        Whether the market volume series is the mean ``ln(1 + V)`` of the symbols.
    log_returns : bool, default False
        Whether the returns are log returns (any finite value), not simple returns (>= -1).

    Returns
    -------
    tuple
        The matrix (or the partitioned directory, read later), and a function that returns its
        data hash: the hash of an in-memory matrix is computed on a second thread while the
        study runs (hashlib releases the GIL; the engine never writes to the matrix).
    """
    if measure == "volume":
        assert volume is not None  # checked by _check_measure_options
        symbols = columns[:-1] if universe else columns
        matrix = log_volume(volume, index, pd.Index(symbols), universe, shares)
        return matrix, _hash_meanwhile(matrix, columns, index)
    if isinstance(returns, PartitionedPrices):
        fingerprint = returns.fingerprint
        return returns, lambda: fingerprint
    matrix = np.ascontiguousarray(returns.to_numpy(dtype=np.float64).T)  # (symbols, sessions)
    _refuse_impossible(matrix, returns.columns, index, simple=not log_returns)
    return matrix, _hash_meanwhile(matrix, returns.columns, index)


def _refuse_impossible(
    matrix: np.ndarray,
    columns: pd.Index,
    index: pd.DatetimeIndex,
    argument: str = "returns",
    simple: bool = False,
) -> None:
    """Raise :class:`InputError` naming the first infinite return (symbol and session): an
    infinite return (a price of zero, a division gone wrong) would pass through the fit into
    infinite abnormal returns and meaningless tests. Missing returns are NaN. With ``simple``
    a return below -1 (a fall of more than 100%) is refused too: its buy-and-hold return
    would be meaningless. ``argument`` names the table (the returns, or the factors).

    Examples
    --------
    >>> days = pd.date_range("2024-01-01", periods=2)
    >>> _refuse_impossible(np.array([[0.01, np.nan]]), pd.Index(["A"]), days)
    >>> try:
    ...     _refuse_impossible(np.array([[0.01, -np.inf]]), pd.Index(["A"]), days)
    ... except InputError as err:
    ...     print(err.argument, err.value)
    returns['A'] on 2024-01-02 -inf
    >>> try:
    ...     _refuse_impossible(np.array([[0.01, -3.0]]), pd.Index(["A"]), days, simple=True)
    ... except InputError as err:
    ...     print(err.argument, err.value)
    returns['A'] on 2024-01-02 -3.0
    """
    bad = np.isinf(matrix)
    if simple:
        with np.errstate(invalid="ignore"):
            bad |= matrix < -1.0
    if bad.any():
        col, row = (int(i) for i in np.argwhere(bad)[0])
        value = float(matrix[col, row])
        raise InputError(
            f"{argument}[{str(columns[col])!r}] on {index[row].date()}",
            value,
            "a finite return, or NaN where it is missing"
            if np.isinf(value)
            else "a simple return >= -1 (a fall of at most 100%), or log_returns=True",
        )


#: Bytes of returns hashed before the study rather than beside it (~0.1 ms of SHA-256).
_HASH_NOW_BYTES = 1 << 18


def _hash_meanwhile(
    matrix: np.ndarray, columns: pd.Index, index: pd.DatetimeIndex
) -> Callable[[], str]:
    """Start :func:`_data_hash` on a thread; the returned function waits for it (a matrix of
    up to :data:`_HASH_NOW_BYTES` is hashed at once: starting a thread costs more)."""
    if matrix.nbytes <= _HASH_NOW_BYTES:
        digest = _data_hash(matrix, columns, index)
        return lambda: digest
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ipposaki-hash")
    future = pool.submit(_data_hash, matrix, columns, index)
    pool.shutdown(wait=False)
    return future.result


def _align_factors(
    model: str, factors: pd.DataFrame | None, index: pd.DatetimeIndex
) -> tuple[np.ndarray | None, tuple[str, ...]]:
    """The factor returns on the session grid, for the factor model.

    Parameters
    ----------
    model : str
        The normal-return model.
    factors : pandas.DataFrame or None
        Sessions x factors, as given to :func:`run_study`.
    index : pandas.DatetimeIndex
        The session grid.

    Returns
    -------
    tuple
        The (sessions, factors) matrix and the factors' names; ``(None, ())`` for other models.
    """
    if model == "factor" and factors is not None:
        _refuse_odd_columns(factors, "factors")
        aligned = factors.set_axis(session_index(factors.index, "factors")).reindex(index)
        values = aligned.to_numpy(dtype=np.float64)
        _refuse_impossible(values.T, aligned.columns, index, "factors")
        return values, tuple(str(c) for c in aligned.columns)
    return None, ()


def _data_hash(matrix: np.ndarray, columns: pd.Index, index: pd.DatetimeIndex) -> str:
    """128 bits of SHA-256 over the matrix, its symbols and its sessions (SHA-256 runs on the
    CPU's SHA extensions, about twice as fast as BLAKE2b here: 20 ms for 30 MB)."""
    digest = hashlib.sha256()
    digest.update(matrix.data)
    digest.update(pd.Index(columns).astype(str).str.cat(sep="|").encode())
    digest.update(index.values.astype("datetime64[D]").tobytes())
    return digest.hexdigest()[:32]
