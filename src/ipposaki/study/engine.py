"""The event-study engine: gather windows with index arrays, fit every pair at once, test.

Missing-data policy (stated in every result's manifest): a session whose return (or regressor) is
missing is dropped from that pair's window and counted; it is never filled with zero and the
window is never shifted. A pair with fewer than ``min_estimation_obs`` valid estimation sessions,
or whose windows run outside the data, is excluded and listed with its reason.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Protocol

import numpy as np
import pandas as pd

from ipposaki.errors import InputError
from ipposaki.panel.partitioned import PartitionedPrices
from ipposaki.study.block import Chunk, ChunkContext, ChunkJob, _PaddedReturns, run_chunk
from ipposaki.study.correlation import window_rbar
from ipposaki.study.estudy2 import ESTUDY2_TESTS, IPPOSAKI_NAMES, estudy2_statistics
from ipposaki.study.events import EventPlan, Roll, plan_events
from ipposaki.study.garch import (
    GARCH_MODELS,
    default_workers,
    savickas_tests,
)
from ipposaki.study.measures import (
    UNIVERSE_VOLUME,
    VOLUME_MISSING_POLICY,
    Measure,
    MeasureParameters,
    MeasureResult,
    check_measure,
    log_volume,
    measure_tests,
)
from ipposaki.study.models import MODELS, Fit, ModelName, ThinTrading
from ipposaki.study.results import EventStudyResult, StudyParameters
from ipposaki.study.settings import DEFAULTS, Convention
from ipposaki.study.sink import SpilledPairs, spilled_grank
from ipposaki.study.statistics import (
    NULLS,
    REFERENCES,
    PairStats,
    TestResult,
    TimeSums,
    run_battery,
)
from ipposaki.study.windows import Window, parse_window

__all__ = ["CONVENTIONS", "DEFAULT_CAR_WINDOWS", "MISSING_POLICY", "Convention", "run_study"]

#: How the test statistics are computed: textbook (ipposaki) or as estudy2 prints them.
CONVENTIONS: tuple[str, ...] = ("ipposaki", "estudy2")

#: The CAR windows of a study unless told otherwise (:data:`~ipposaki.study.settings.DEFAULTS`).
DEFAULT_CAR_WINDOWS: tuple[str, ...] = DEFAULTS.car_windows
MISSING_POLICY = (
    "missing returns inside a window are dropped and counted, never filled with zero, and the "
    "window is never shifted; pairs with too few estimation returns or windows outside the data "
    "are excluded and listed with their reason"
)


def run_study(
    returns: pd.DataFrame | PartitionedPrices,
    events: pd.DataFrame,
    *,
    model: ModelName = DEFAULTS.model,
    market: str | None = None,
    factors: pd.DataFrame | None = None,
    estimation_window: str | tuple[int, int] | Window = DEFAULTS.estimation_window,
    event_window: str | tuple[int, int] | Window = DEFAULTS.event_window,
    car_windows: Sequence[str | tuple[int, int] | Window] = DEFAULTS.car_windows,
    min_estimation_obs: int = DEFAULTS.min_estimation_obs,
    thin_trading: ThinTrading = DEFAULTS.thin_trading,
    roll: Roll = DEFAULTS.roll,
    log_returns: bool = DEFAULTS.log_returns,
    data_source: str = "",
    exchange: str | None = None,
    backend: ChunkRunner | None = None,
    convention: Convention = DEFAULTS.convention,
    measure: Measure = DEFAULTS.measure,
    volume: pd.DataFrame | None = None,
    shares: pd.DataFrame | None = None,
) -> EventStudyResult:
    """Run an event study on a returns panel.

    Parameters
    ----------
    returns : pandas.DataFrame or PartitionedPrices
        Sessions x symbols returns with the market series; its index is the grid windows count
        on. A partitioned Parquet directory is read in slices by the Dask backend.
    events : pandas.DataFrame
        ``symbol``, ``event_date``, optionally ``event_id``, ``basket`` (or ``group``), ``market``
        and the per-event window bounds (:data:`~ipposaki.study.events.EVENT_COLUMNS`).
    model, market, factors
        The normal-return model (:mod:`ipposaki.study.models`; GARCH models in
        :mod:`ipposaki.study.garch`), the default benchmark column, the factor table.
    estimation_window, event_window, car_windows
        Windows relative to day 0 (default ``-250:-11``, ``-5:10`` and
        :data:`DEFAULT_CAR_WINDOWS`); CAR windows lie inside the event window.
    min_estimation_obs, thin_trading, roll, log_returns
        Fewest valid estimation sessions a pair needs; the thin-trading beta (market model);
        what to do with event dates that are not sessions; whether ``returns`` are log returns.
    data_source, exchange
        Recorded in the manifest; the ISO MIC whose sessions the returns are on (lets
        ``event_date`` hold zoned timestamps).
    backend : ChunkRunner, optional
        Where the blocks of pairs run (default here; :class:`ipposaki.study.distributed.DaskBackend`
        on a cluster, with equal results).
    convention : {"ipposaki", "estudy2"}
        The textbook battery, or estudy2's daily statistics (``docs/conventions.md``).
    measure, volume, shares
        Abnormal returns, log volume (``volume``: shares traded; with ``shares`` outstanding,
        log turnover) or volatility (:mod:`ipposaki.study.measures`, ``docs/measures.md``).

    Returns
    -------
    EventStudyResult
        Read-only result with AR, CAR, AAR, tests, parameters and exclusions.

    Raises
    ------
    InputError
        For a bad window, model, measure, option or events table.
    """
    measure = _check_options(
        model, measure, thin_trading, convention, min_estimation_obs, volume, shares
    )
    est, evw, cars = _check_windows(
        estimation_window, event_window, car_windows, model, min_estimation_obs
    )
    if model == "factor" and (factors is None or factors.shape[1] == 0):
        raise InputError("factors", None, "a factor table for model='factor'")
    index, columns = _sessions_and_symbols(returns)
    needs_market = model in ("market", "market-adjusted", *GARCH_MODELS)
    universe = measure == "volume" and needs_market and market is None
    if universe:  # the market volume series: the mean ln(1 + V) of the table's symbols
        market, columns = UNIVERSE_VOLUME, columns.append(pd.Index([UNIVERSE_VOLUME]))
    plan = plan_events(events, index, columns, market, est, evw, roll, needs_market, exchange)
    if not (model == "raw" and min_estimation_obs < 1):  # raw returns need no estimation
        _refuse_overlap(plan.pairs)
    matrix, data_hash = _read_matrix(returns, measure, volume, shares, index, columns, universe)
    factor_matrix, factor_names = _align_factors(model, factors, index)
    params = (StudyParameters if measure == "return" else MeasureParameters)(
        model=model,
        market=market,
        estimation_window=str(est),
        event_window=str(evw),
        car_windows=tuple(str(w) for w in cars),
        min_estimation_obs=min_estimation_obs,
        thin_trading=thin_trading,
        roll=roll,
        log_returns=log_returns,
        factors=factor_names,
        missing_policy=VOLUME_MISSING_POLICY if measure == "volume" else MISSING_POLICY,
        data_source=data_source,
        data_hash=data_hash,
        convention=convention,
        **({} if measure == "return" else {"measure": measure}),
        **({"turnover": True} if shares is not None else {}),
    )
    return _study(plan, matrix, factor_matrix, factor_names, index, cars, params, backend)


def _check_options(
    model: str,
    measure: object,
    thin_trading: str,
    convention: str,
    min_estimation_obs: int,
    volume: pd.DataFrame | None,
    shares: pd.DataFrame | None,
) -> Measure:
    """Refuse a model, measure, convention or option that cannot be used, naming the argument.

    Parameters
    ----------
    model, measure, thin_trading, convention, min_estimation_obs, volume, shares
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
    return checked


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
    est = parse_window(estimation_window, "estimation_window")
    evw = parse_window(event_window, "event_window")
    cars = [parse_window(w, "car_windows") for w in car_windows]
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
    index = pd.DatetimeIndex(returns.index)
    if not index.is_monotonic_increasing or index.has_duplicates:
        raise InputError("returns", "an index out of order", "sorted, unique sessions")
    return index, returns.columns


def _read_matrix(
    returns: pd.DataFrame | PartitionedPrices,
    measure: Measure,
    volume: pd.DataFrame | None,
    shares: pd.DataFrame | None,
    index: pd.DatetimeIndex,
    columns: pd.Index,
    universe: bool,
) -> tuple[np.ndarray | PartitionedPrices, str]:
    """The (symbols, sessions) series studied and its fingerprint.

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

    Returns
    -------
    tuple
        The matrix (or the partitioned directory, read later) and its data hash.
    """
    if measure == "volume":
        assert volume is not None  # checked by _check_measure_options
        symbols = columns[:-1] if universe else columns
        matrix = log_volume(volume, index, pd.Index(symbols), universe, shares)
        return matrix, _data_hash(matrix, columns, index)
    if isinstance(returns, PartitionedPrices):
        return returns, returns.fingerprint
    matrix = np.ascontiguousarray(returns.to_numpy(dtype=np.float64).T)  # (symbols, sessions)
    return matrix, _data_hash(matrix, returns.columns, index)


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
        aligned = factors.reindex(index)
        return aligned.to_numpy(dtype=np.float64), tuple(str(c) for c in aligned.columns)
    return None, ()


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


def _data_hash(matrix: np.ndarray, columns: pd.Index, index: pd.DatetimeIndex) -> str:
    """128 bits of SHA-256 over the matrix, its symbols and its sessions (SHA-256 runs on the
    CPU's SHA extensions, about twice as fast as BLAKE2b here: 20 ms for 30 MB)."""
    digest = hashlib.sha256()
    digest.update(matrix.data)
    digest.update(pd.Index(columns).astype(str).str.cat(sep="|").encode())
    digest.update(index.values.astype("datetime64[D]").tobytes())
    return digest.hexdigest()[:32]


#: Pairs processed together. Blocks of this size keep every temporary array small (a few
#: tens of MB), so memory stays flat and the allocator reuses pages instead of faulting in new
#: ones; the tests are exact because they only need per-pair values and additive sums.
CHUNK_PAIRS = 4096
#: Pairs per block for the GARCH models on a cluster (each pair is one likelihood fit).
GARCH_CHUNK_PAIRS = 64


class ChunkRunner(Protocol):
    """Runs the blocks of a study somewhere and returns their results in order.

    ``chunk_pairs`` sets the pairs per block (None: :data:`CHUNK_PAIRS`); a runner that reads
    slices sets ``time_ordered`` so that blocks are cut from the pairs sorted by event session.
    """

    chunk_pairs: int | None
    time_ordered: bool

    def run(
        self,
        jobs: list[ChunkJob],
        context: ChunkContext,
        matrix: np.ndarray | PartitionedPrices,
        factors: np.ndarray | None,
    ) -> list[Chunk]:
        """Return one :class:`Chunk` per job, in the order of ``jobs``."""
        ...


def _study(
    plan: EventPlan,
    matrix: np.ndarray | PartitionedPrices,
    factors: np.ndarray | None,
    factor_names: tuple[str, ...],
    index: pd.DatetimeIndex,
    cars: list[Window],
    params: StudyParameters,
    backend: ChunkRunner | None = None,
) -> EventStudyResult:
    pairs = plan.pairs.assign(cal0=plan.pairs["pos0"])
    context, labels, window_days = _block_context(pairs, cars, factor_names, params)
    rel, width = context.rel, context.width
    groups = ["all"] + sorted(set(pairs["basket"].unique()) - {"all"})
    codes = pd.Categorical(pairs["basket"], categories=groups).codes
    runner = backend or LocalRunner()
    if params.model in GARCH_MODELS and isinstance(runner, LocalRunner):
        # per-pair fits on this machine's cores
        context = replace(context, fit_workers=runner.fit_workers or default_workers())
    jobs, inverse = _jobs(pairs, groups, codes, runner, params)
    spilled: SpilledPairs | None = None
    if getattr(runner, "spill_to", None) is not None and params.convention != "estudy2":
        # DaskBackend(spill_to=...): the workers write the per-pair series (study.sink)
        run_spilled = runner.run_spilled  # type: ignore[attr-defined]
        chunks, spilled = run_spilled(jobs, context, matrix, factors, index)
    else:
        chunks = runner.run(jobs, context, matrix, factors)
    blocks = _Blocks(chunks, inverse, _empty_shapes(len(rel), len(labels), width))
    keep = blocks.cat("keep").astype(bool)
    excluded = _excluded_table(plan, pairs, keep, blocks.cat("reason"))
    sel = np.flatnonzero(keep)
    arrays = {name: blocks.cat(name, sel) for name in _KEPT_ARRAYS}
    fit = Fit(
        names=chunks[0].names if chunks else (),
        coef=arrays["coef"],
        xtx_inv=np.empty((len(sel), 0, 0)),
        sigma2=arrays["sigma2"],
        nobs=arrays["nobs"],
        dof=arrays["dof"],
        r2=arrays["r2"],
        resid=np.empty((len(sel), 0)),
    )
    tests, rbars = _group_tests(
        chunks, arrays, np.asarray(codes)[sel], groups, labels, window_days, rel, cars, params
    )
    if spilled is not None:  # GRANK reads the residuals back from the workers' parts
        car_labels = [str(w) for w in cars]
        kept_codes = np.asarray(codes)[sel]
        tests = spilled_grank(
            spilled, tests, chunks, sel, kept_codes, arrays, groups, car_labels, labels
        )
    result_class = MeasureResult if isinstance(params, MeasureParameters) else EventStudyResult
    return result_class.build(
        pairs=pairs.iloc[sel].reset_index(drop=True),
        index=index,
        rel=rel,
        ret=arrays["y_ev"],
        normal=arrays["normal"],
        ar=arrays["ar"],
        sar=arrays["sar"],
        labels=labels,
        n_daily=len(rel),
        car=arrays["car"],
        car_se=arrays["car_se"],
        bhar=arrays["bhar"],
        days=arrays["days"],
        fit=fit,
        tests=tests,
        excluded=excluded,
        params=params,
        groups=groups,
        rbar=rbars,
        sar_est=arrays["sar_est"] if spilled is None else None,  # the stationary bootstrap's
        **({} if spilled is None else spilled.result_parts(sel, index, chunks, groups)),
    )


#: The per-pair arrays of a :class:`Chunk` that a result keeps for its kept pairs.
_KEPT_ARRAYS: tuple[str, ...] = (
    "coef",
    "sigma2",
    "nobs",
    "dof",
    "r2",
    "y_ev",
    "normal",
    "ar",
    "sar",
    "car",
    "car_se",
    "bhar",
    "days",
    "s2",
    "frac_pos",
    "n_est",
    "sar_est",
    "resid",
    "m_est",
    "m_ev",
)


def _block_context(
    pairs: pd.DataFrame,
    cars: list[Window],
    factor_names: tuple[str, ...],
    params: StudyParameters,
) -> tuple[ChunkContext, list[str], np.ndarray]:
    """The window geometry every block shares.

    Parameters
    ----------
    pairs : pandas.DataFrame
        The study's pairs, with their windows in sessions relative to the event.
    cars : list of Window
        The CAR windows.
    factor_names : tuple of str
        The factors' names.
    params : StudyParameters
        The study's parameters.

    Returns
    -------
    tuple
        The blocks' :class:`ChunkContext`; the windows' labels (every event day on its own,
        then the CAR windows); and their (K, W) day mask.
    """
    est_span = (pairs["est_hi"] - pairs["est_lo"]).to_numpy()
    width = int(est_span.max() + 1) if len(pairs) else 1
    rel = (
        np.arange(int(pairs["ev_lo"].min()), int(pairs["ev_hi"].max()) + 1)
        if len(pairs)
        else np.arange(1)
    )
    # Windows: every event day on its own, then the CAR windows.
    labels = [f"{d}:{d}" for d in rel] + [str(w) for w in cars]
    window_days = np.vstack(
        [np.eye(len(rel), dtype=bool)]
        + [((rel >= w.start) & (rel <= w.end))[None, :] for w in cars]
    )
    context = ChunkContext(
        rel=rel,
        width=width,
        pad=max(width, len(rel)) + 2,
        weights=window_days.T.astype(np.float64),  # (W, K)
        factor_names=factor_names,
        params=params,
        # Cross-correlation sums: every block places residuals on the same offsets.
        corr_origin=int(pairs["est_lo"].min()) if len(pairs) else 0,
        corr_span=int((pairs["est_lo"].max() - pairs["est_lo"].min()) + width) if len(pairs) else 0,
    )
    return context, labels, window_days


def _jobs(
    pairs: pd.DataFrame,
    groups: list[str],
    codes: np.ndarray,
    runner: ChunkRunner,
    params: StudyParameters,
) -> tuple[list[ChunkJob], np.ndarray]:
    """Cut the pairs into blocks, each with its group membership matrix.

    A runner that reads slices wants blocks compact in time: it may order the pairs by event
    session; ``inverse`` puts the per-pair results back in the original order.

    Parameters
    ----------
    pairs : pandas.DataFrame
        The study's pairs.
    groups : list of str
        The groups, ``"all"`` first.
    codes : numpy.ndarray
        Each pair's position in ``groups``.
    runner : ChunkRunner
        Where the blocks run (its block size and whether it orders the pairs by session).
    params : StudyParameters
        The study's parameters (the model).

    Returns
    -------
    tuple
        The jobs, and the position of each pair in the blocks' concatenated order.
    """
    garch = params.model in GARCH_MODELS
    local = isinstance(runner, LocalRunner)
    order = np.arange(len(pairs))
    if runner.time_ordered:
        order = np.argsort(pairs["pos0"].to_numpy(), kind="stable")
    inverse = np.empty_like(order)
    inverse[order] = np.arange(len(order))
    jobs = []
    # GARCH fits are per pair: on a cluster, smaller blocks spread them over the workers.
    size = runner.chunk_pairs or (GARCH_CHUNK_PAIRS if garch and not local else CHUNK_PAIRS)
    for lo in range(0, len(pairs), size):  # blocks of pairs, not single firms
        rows = order[lo : lo + size]
        member = np.zeros((len(groups), len(rows)))
        member[0] = 1.0
        member[codes[rows], np.arange(len(rows))] = 1.0
        jobs.append(ChunkJob(pairs.iloc[rows], member))
    return jobs, inverse


def _empty_shapes(n_days: int, n_windows: int, width: int) -> dict[str, tuple[int, ...]]:
    """The shape of each :class:`Chunk` array when no block ran (every pair excluded before).

    Parameters
    ----------
    n_days : int
        Days of the union of the event windows.
    n_windows : int
        Windows: the event days, then the CAR windows.
    width : int
        Length of the longest estimation window.

    Returns
    -------
    dict
        Shape by array name.
    """
    return {
        "keep": (0,),
        "reason": (0,),
        "coef": (0, 0),
        "sigma2": (0,),
        "nobs": (0,),
        "dof": (0,),
        "r2": (0,),
        "y_ev": (0, n_days),
        "normal": (0, n_days),
        "ar": (0, n_days),
        "sar": (0, n_days),
        "car": (0, n_windows),
        "car_se": (0, n_windows),
        "bhar": (0, n_windows),
        "days": (0, n_windows),
        "s2": (0,),
        "frac_pos": (0,),
        "n_est": (0,),
        "sar_est": (0, width),
        "resid": (0, 0),
        "m_est": (0, 0),
        "m_ev": (0, 0),
    }


@dataclass(frozen=True)
class _Blocks:
    """The blocks' results, read back in pair order."""

    chunks: list[Chunk]
    inverse: np.ndarray
    empty_shapes: dict[str, tuple[int, ...]]

    def cat(self, name: str, rows: np.ndarray | None = None) -> np.ndarray:
        """The blocks' ``name`` arrays in pair order, ``rows`` only (one copy: no index
        pass when the blocks are already in pair order and every row is wanted)."""
        chunks, inverse = self.chunks, self.inverse
        if not chunks:  # every pair was excluded before fitting
            return np.zeros(self.empty_shapes[name], dtype=object if name == "reason" else float)
        parts = [getattr(c, name) for c in chunks]
        for c in chunks:  # read once: each block lets go of its copy (halves the peak)
            setattr(c, name, None)
        take = inverse if rows is None else inverse[rows]
        if len(take) == sum(len(p) for p in parts) and (take == np.arange(len(take))).all():
            return parts[0] if len(parts) == 1 else np.concatenate(parts, axis=0)
        return np.concatenate(parts, axis=0)[take]


def _excluded_table(
    plan: EventPlan, pairs: pd.DataFrame, keep: np.ndarray, reason: np.ndarray
) -> pd.DataFrame:
    """The pairs excluded while planning, then those the fit could not serve, with reasons.

    Parameters
    ----------
    plan : EventPlan
        The plan, with the pairs it excluded.
    pairs : pandas.DataFrame
        The planned pairs.
    keep : numpy.ndarray
        Whether each planned pair was kept.
    reason : numpy.ndarray
        Why each planned pair was excluded.

    Returns
    -------
    pandas.DataFrame
        Columns ``event_id``, ``symbol`` and ``reason``.
    """
    return pd.concat(
        [
            plan.excluded,
            pd.DataFrame(
                {
                    "event_id": pairs.loc[~keep, "event_id"],
                    "symbol": pairs.loc[~keep, "symbol"],
                    "reason": reason[~keep],
                }
            ),
        ],
        ignore_index=True,
    )


def _group_tests(
    chunks: list[Chunk],
    arrays: dict[str, np.ndarray],
    kept_codes: np.ndarray,
    groups: list[str],
    labels: list[str],
    window_days: np.ndarray,
    rel: np.ndarray,
    cars: list[Window],
    params: StudyParameters,
) -> tuple[list[TestResult], dict[tuple[str, str], float]]:
    """Run the battery of each group on every window.

    Parameters
    ----------
    chunks : list of Chunk
        The blocks' results (their per-group sums).
    arrays : dict
        The kept pairs' arrays, by :class:`Chunk` field.
    kept_codes : numpy.ndarray
        Each kept pair's position in ``groups``.
    groups : list of str
        The groups, ``"all"`` first.
    labels : list of str
        The windows' labels: every event day, then the CAR windows.
    window_days : numpy.ndarray
        (K, W) days of each window.
    rel : numpy.ndarray
        Relative days of the union of the event windows.
    cars : list of Window
        The CAR windows.
    params : StudyParameters
        The study's parameters (convention, model, measure).

    Returns
    -------
    tuple
        The test results, and the mean cross-correlation of each (basket, window).
    """
    with np.errstate(invalid="ignore", divide="ignore"):
        scar = arrays["car"] / arrays["car_se"]
    # A one-day CAR window such as 0:0 is also an event day: test it once.
    first = sorted({label: j for j, label in reversed(list(enumerate(labels)))}.values())
    tests: list[TestResult] = []
    rbars: dict[tuple[str, str], float] = {}
    lengths = window_days[first].sum(axis=1)
    for g, basket in enumerate(groups):
        in_group = np.ones(len(kept_codes), dtype=bool) if g == 0 else np.asarray(kept_codes == g)
        if not in_group.any():
            continue
        total = TimeSums.combine([c.sums[g] for c in chunks])
        stats_g = PairStats(
            car=arrays["car"][in_group][:, first],
            scar=scar[in_group][:, first],
            days=arrays["days"][in_group][:, first],
            dof=arrays["dof"][in_group],
            s2=arrays["s2"][in_group],
            frac_pos=arrays["frac_pos"][in_group],
            n_est=arrays["n_est"][in_group],
            sar_est=arrays["sar_est"][in_group],
        )
        rbar = window_rbar(total.corr, lengths)
        names_g = [labels[j] for j in first]
        rbars.update({(basket, w): float(r) for w, r in zip(names_g, rbar, strict=True)})
        if params.convention == "estudy2":
            tests.extend(
                _estudy2_tests(
                    arrays["resid"][in_group],
                    arrays["ar"][in_group],
                    arrays["m_est"][in_group],
                    arrays["m_ev"][in_group],
                    rel,
                    basket,
                )
            )
            continue
        tests.extend(
            _battery_tests(
                stats_g, total, window_days[first], names_g, basket, rbar, lengths, cars, params
            )
        )
    return tests, rbars


def _battery_tests(
    stats: PairStats,
    total: TimeSums,
    window_days: np.ndarray,
    names: list[str],
    basket: str,
    rbar: np.ndarray,
    lengths: np.ndarray,
    cars: list[Window],
    params: StudyParameters,
) -> list[TestResult]:
    """The battery of one group (ipposaki convention), the tests the measure allows.

    Parameters
    ----------
    stats : PairStats
        The group's per-pair statistics of the tested windows.
    total : TimeSums
        The group's sums over the blocks.
    window_days : numpy.ndarray
        (K, W) days of the tested windows.
    names : list of str
        The tested windows' labels.
    basket : str
        The group's name.
    rbar : numpy.ndarray
        Mean cross-correlation of each tested window.
    lengths : numpy.ndarray
        Days of each tested window.
    cars : list of Window
        The CAR windows (GRANK tests them only).
    params : StudyParameters
        The study's parameters (model, measure).

    Returns
    -------
    list of TestResult
        The group's tests; for the GARCH models on returns Savickas replaces BMP.
    """
    car_labels = [str(w) for w in cars]
    for_grank = np.isin(names, car_labels)  # GRANK is for CARs
    g_rows = [car_labels.index(w) if w in car_labels else 0 for w in names]
    base = (total.grank_u[g_rows], total.grank_n[g_rows]) if len(total.grank_u) else None
    tests = measure_tests(
        run_battery(stats, total, window_days, names, basket, rbar, for_grank, base),
        getattr(params, "measure", "return"),
        dict(zip(names, lengths.tolist(), strict=True)),
    )
    if params.model in GARCH_MODELS and getattr(params, "measure", "return") == "return":
        # SCAR is CAR / sqrt(sum of conditional variances): Savickas (2003). On these
        # standardised returns BMP is the same statistic, so Savickas replaces it (an
        # adjustment across tests must not count it twice).
        tests = [t for t in tests if not (t.test == "bmp" and t.basket == basket)]
        tests.extend(savickas_tests(stats.scar, names, basket))
    return tests


def _estudy2_tests(
    resid: np.ndarray,
    ar: np.ndarray,
    m_est: np.ndarray,
    m_ev: np.ndarray,
    rel: np.ndarray,
    basket: str,
) -> list[TestResult]:
    """estudy2's twelve statistics on each event day of one group, as test results."""
    out = estudy2_statistics(resid, ar, m_est, m_ev)
    results = []
    for name in ESTUDY2_TESTS:
        ours = IPPOSAKI_NAMES[name]
        for j, day in enumerate(rel):
            results.append(
                TestResult(
                    test=ours,
                    basket=basket,
                    window=f"{day}:{day}",
                    statistic=float(out[name][j]),
                    p_value=float(out[f"{name}_p"][j]),
                    df=float("nan"),
                    nobs=int(out["n"][j]),
                    distribution=f"estudy2 {name}",
                    null=NULLS[ours],
                    reference=f"estudy2 convention (R package estudy2); {REFERENCES[ours]}",
                )
            )
    return results


@dataclass
class LocalRunner:
    """Runs every block in this process, one after the other, on the whole matrix.

    Parameters
    ----------
    chunk_pairs : int, optional
        Pairs per block (default :data:`CHUNK_PAIRS`).
    time_ordered : bool, default False
        Whether blocks are cut from the pairs sorted by event session.
    fit_workers : int, optional
        Processes for the per-pair GARCH fits of a block (default: one per core; 1 fits in
        this process). Every other model is vectorised in this process.
    """

    chunk_pairs: int | None = None
    time_ordered: bool = False
    fit_workers: int | None = None

    def __post_init__(self) -> None:
        if self.fit_workers is not None and self.fit_workers < 1:
            raise InputError("fit_workers", self.fit_workers, "an integer >= 1")

    def run(
        self,
        jobs: list[ChunkJob],
        context: ChunkContext,
        matrix: np.ndarray | PartitionedPrices,
        factors: np.ndarray | None,
    ) -> list[Chunk]:
        """Return one :class:`Chunk` per job, in order."""
        if isinstance(matrix, PartitionedPrices):
            matrix = matrix.read(np.arange(len(matrix.symbols)), 0, len(matrix.sessions) - 1)
        windows = _PaddedReturns(matrix, pad=context.pad)
        return [run_chunk(job, context, windows, factors) for job in jobs]
