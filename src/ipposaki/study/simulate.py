"""Size and power of the event-study tests, simulated on your own returns (Brown and Warner 1985).

A *run* is one pseudo event study: ``events_per_run`` pseudo-events, each a (symbol, session)
drawn from the returns panel, studied with the real engine (:func:`~ipposaki.study.run_study`).
Over many runs, the share of runs in which a test rejects at level ``alpha`` is its rejection
rate: its size when no abnormal return was added, its power when one was.

The design, exactly:

* **Eligible pseudo-events.** A (symbol, session) cell is eligible when the whole estimation
  and event windows around it lie inside the data, the symbol (not the market) and the market
  have a return on every session of the event window, and the estimation window keeps at least
  ``min_estimation_obs`` sessions on which both have a return *after* the deletions below.
* **Clustering.** ``same-date``: each run draws one session among those with at least
  ``events_per_run`` eligible symbols, then that many distinct symbols eligible on it (all
  events of a run share day 0, the case Kolari and Pynnönen 2010 study). ``random``: each run
  draws ``events_per_run`` distinct eligible cells, each with its own day 0.
* **Injection.** The abnormal return ``A`` is *added to the pseudo-event's return on its day 0*
  and on no other session; a CAR window therefore carries ``A`` when it contains day 0 and
  nothing otherwise. Added to simple returns, or to log returns when the panel holds them.
* **Gappy panels.** With ``missing = p``, each pseudo-event loses the nearest integer to
  ``p * n`` of its ``n`` estimation-window returns (sessions where the symbol and the market
  both have one), chosen at random and independently per pseudo-event; the event window keeps
  every return.
* **Isolation.** Each pseudo-event gets its own copy of its symbol's returns from the start of
  its estimation window to the end of its event window, with its own deletions and injection;
  the market stays one shared column. Copies whose spans do not overlap share a column of the
  widened returns frame, which changes nothing because the engine reads a pair's windows only.
  So no injection or deletion reaches another pseudo-event, even of the same symbol.
* **Common random numbers.** Every abnormal return reuses the same pseudo-events and
  deletions; the levels differ by the injection alone.
* **One engine call per abnormal return.** All runs of one level go into one
  :func:`~ipposaki.study.run_study` call with ``basket`` = run; the engine runs the test battery
  per group.
* **Rates.** A test rejects in a run when its two-sided p-value is below ``alpha`` (1%, 5% and
  10%); runs in which a test is undefined (NaN p-value) are left out of its count, ``runs``.
  The interval is the Clopper-Pearson (exact binomial) 95% interval of the rate.

:func:`null_design` builds synthetic null samples with known properties (market-model returns,
gappy estimation windows, missing event days, cross-correlated residuals) for size checks of
the statistics themselves; see ``tests/test_size.py`` and ``benchmarks/bench_size.py``.
"""

from __future__ import annotations

import hashlib
import heapq
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from ipposaki.errors import InputError, UnknownNameError
from ipposaki.results import (
    ReadOnlyMapping,
    Result,
    Summary,
    SummaryTable,
    freeze,
    thaw,
    versions,
)
from ipposaki.study.models import MODELS, ModelName
from ipposaki.study.windows import Window, parse_window

if TYPE_CHECKING:
    from ipposaki.study.engine import ChunkRunner

__all__ = [
    "ALPHAS",
    "CLUSTERS",
    "Cluster",
    "SimulationParameters",
    "SimulationResult",
    "rejection_rates",
    "simulate",
]

Cluster = Literal["same-date", "random"]
CLUSTERS: tuple[str, ...] = ("same-date", "random")
#: Test levels at which rejection rates are reported.
ALPHAS: tuple[float, ...] = (0.01, 0.05, 0.10)
#: Files :meth:`SimulationResult.to_dir` writes.
OUTPUT_FILES = ("power.csv", "power.png", "pseudo_events.csv", "summary.txt", "manifest.json")
_RATE_COLUMNS = ["test", "window", "abnormal", "runs", "rejection_rate", "ci_low", "ci_high"]
_PREFIX = "__pseudo_"


# -- rates ----------------------------------------------------------------------------------------


def _clopper_pearson(k: np.ndarray, n: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Exact binomial 95% interval of ``k`` successes in ``n`` trials (NaN where n = 0)."""
    from scipy import stats

    k = np.asarray(k, dtype=float)
    n = np.asarray(n, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        low = np.where(k > 0, stats.beta.ppf(0.025, k, n - k + 1), 0.0)
        high = np.where(k < n, stats.beta.ppf(0.975, k + 1, n - k), 1.0)
    return np.where(n > 0, low, np.nan), np.where(n > 0, high, np.nan)


def rejection_rates(
    tests: pd.DataFrame,
    windows: Sequence[str] | None = None,
    alphas: Sequence[float] = ALPHAS,
) -> pd.DataFrame:
    """Rejection rates over groups (runs) of an event study's tests.

    Parameters
    ----------
    tests : pandas.DataFrame
        :attr:`EventStudyResult.tests <ipposaki.study.EventStudyResult.tests>` of a study whose
        groups are the runs (samples); the pooled group ``all`` is ignored.
    windows : sequence of str, optional
        Windows to report, e.g. ``["0:0", "-1:1"]``; all when omitted.
    alphas : sequence of float, default (0.01, 0.05, 0.10)
        Test levels; a test rejects when its p-value is below the level.

    Returns
    -------
    pandas.DataFrame
        test, window, runs (groups with a p-value), rejection_rate, ci_low, ci_high (exact
        binomial 95% interval) and alpha; one row per test, window and level.
    """
    frame = tests.loc[tests["basket"] != "all", ["window", "test", "p_value"]]
    if windows is not None:
        frame = frame.loc[frame["window"].isin(list(windows))]
    p = frame["p_value"].to_numpy(dtype=float)
    keys = [frame["test"].to_numpy(), frame["window"].to_numpy()]
    index = pd.MultiIndex.from_arrays(keys, names=["test", "window"])
    runs = pd.Series(np.isfinite(p).astype(int), index=index).groupby(level=[0, 1]).sum()
    rows = []
    for alpha in alphas:
        hits = pd.Series((p < alpha).astype(int), index=index).groupby(level=[0, 1]).sum()
        k, n = hits.to_numpy(), runs.reindex(hits.index).to_numpy()
        low, high = _clopper_pearson(k, n)
        with np.errstate(invalid="ignore", divide="ignore"):
            rate = np.where(n > 0, k / np.maximum(n, 1), np.nan)
        rows.append(
            pd.DataFrame(
                {
                    "test": hits.index.get_level_values(0),
                    "window": hits.index.get_level_values(1),
                    "runs": n,
                    "rejection_rate": rate,
                    "ci_low": low,
                    "ci_high": high,
                    "alpha": float(alpha),
                }
            )
        )
    out = pd.concat(rows, ignore_index=True)
    test_rank = {name: i for i, name in enumerate(pd.unique(tests["test"]))}
    listed = list(windows) if windows is not None else list(pd.unique(tests["window"]))
    window_rank = {w: i for i, w in enumerate(listed)}
    out = out.assign(_w=out["window"].map(window_rank), _t=out["test"].map(test_rank))
    out = out.sort_values(["alpha", "_w", "_t"], kind="stable").drop(columns=["_w", "_t"])
    return out.reset_index(drop=True)


# -- the result ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SimulationParameters:
    """Everything that defines a simulation besides its data."""

    market: str
    events_per_run: int
    runs: int
    abnormal: tuple[float, ...]
    missing: float
    cluster: str
    model: str
    estimation_window: str
    event_window: str
    car_windows: tuple[str, ...]
    min_estimation_obs: int
    seed: int | None
    data_source: str


@dataclass(frozen=True, eq=False)
class SimulationResult(Result):
    """Read-only result of :func:`simulate`: rejection rates per test, window and level.

    Properties return copies; nothing changes after the simulation ran. It follows the results
    protocol (:class:`ipposaki.results.Result`): :attr:`summary`, a read-only
    :attr:`manifest`, :meth:`frames` (``power``, the rejection rates, then
    ``pseudo_events``) and :meth:`to_dir`, which also draws ``power.png``.
    """

    parameters: SimulationParameters
    _rates: pd.DataFrame
    _pvalues: pd.DataFrame
    _pseudo_events: pd.DataFrame
    _data: Mapping[str, Any] = field(default_factory=ReadOnlyMapping)
    _generator_state: Mapping[str, Any] = field(default_factory=ReadOnlyMapping)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_data", freeze(self._data))
        object.__setattr__(self, "_generator_state", freeze(self._generator_state))

    @property
    def data(self) -> dict[str, Any]:
        """The panel: source, hash, sessions, symbols, eligible cells, excluded pseudo-events."""
        return dict(thaw(self._data))

    @property
    def generator_state(self) -> dict[str, Any]:
        """The numpy Generator's state before drawing, when ``seed`` was one (else empty)."""
        return dict(thaw(self._generator_state))

    @property
    def rates(self) -> pd.DataFrame:
        """test, window, abnormal, runs, rejection_rate, ci_low, ci_high, alpha (tidy)."""
        return self._rates.copy()

    @property
    def pvalues(self) -> pd.DataFrame:
        """Every run's p-values: abnormal, run, test, window, p_value."""
        return self._pvalues.copy()

    @property
    def pseudo_events(self) -> pd.DataFrame:
        """The drawn pseudo-events: run, event, symbol, event_date, estimation_returns, deleted.

        ``estimation_returns`` counts the estimation-window sessions on which the symbol and
        the market both have a return, before ``deleted`` of them were removed.
        """
        return self._pseudo_events.copy()

    def rate(
        self, test: str, window: str = "0:0", abnormal: float = 0.0, alpha: float = 0.05
    ) -> float:
        """One rejection rate.

        Parameters
        ----------
        test : str
            Test name, e.g. ``"bmp"``.
        window : str, default "0:0"
            A CAR window of the simulation.
        abnormal : float, default 0.0
            One of the simulated abnormal returns.
        alpha : float, default 0.05
            One of :data:`ALPHAS`.

        Returns
        -------
        float
            The share of runs that rejected.

        Raises
        ------
        UnknownNameError
            If the test, window, abnormal return or level was not simulated.
        """
        r = self._rates
        for column, value in (
            ("test", test),
            ("window", window),
            ("abnormal", abnormal),
            ("alpha", alpha),
        ):
            if value not in set(r[column]):
                raise UnknownNameError(column, str(value), [str(v) for v in pd.unique(r[column])])
        hit = r.loc[
            (r["test"] == test)
            & (r["window"] == window)
            & (r["abnormal"] == abnormal)
            & (r["alpha"] == alpha),
            "rejection_rate",
        ]
        return float(hit.iloc[0])

    @property
    def header(self) -> str:
        """The design in a few lines."""
        p = self.parameters
        d = self._data
        seed = f"seed {p.seed}" if p.seed is not None else "a numpy Generator (state in manifest)"
        return "\n".join(
            [
                f"Simulated size and power (Brown and Warner 1985): {p.runs} runs of "
                f"{p.events_per_run} pseudo-events per abnormal return, {p.cluster} clustering, "
                f"{p.model} model, estimation {p.estimation_window}, event {p.event_window}; "
                f"{seed}.",
                "The abnormal return is added to each pseudo-event's return on day 0 only; "
                f"{p.missing:.0%} of each pseudo-event's estimation returns deleted at random.",
                f"Data: {p.data_source or 'returns given directly'}, "
                f"{d.get('sessions', 0)} sessions x {d.get('symbols', 0)} symbols; "
                f"{d.get('eligible_cells', 0):,} eligible "
                f"(symbol, session) cells on {d.get('eligible_sessions', 0):,} sessions; "
                f"{d.get('excluded_pairs', 0)} pseudo-events excluded by the engine.",
            ]
        )

    def table(self, alpha: float = 0.05) -> pd.DataFrame:
        """Rejection rates at ``alpha``: one row per window and test, one column per level."""
        r = self._rates.loc[self._rates["alpha"] == alpha]
        wide = r.pivot_table(
            index=["window", "test"], columns="abnormal", values="rejection_rate", sort=False
        )
        wide.columns = [f"{a:g}" for a in wide.columns]
        return wide.reset_index()

    @property
    def summary(self) -> Summary:
        """The header, then the rejection rates at 5% per window, test and abnormal return.

        One table per CAR window (three decimals), under a line naming the window.
        """
        blocks: list[str | SummaryTable] = [
            self.header,
            "Rejection rate at 5% (two-sided); columns are the abnormal returns added on day 0. "
            "Exact binomial 95% intervals, and the 1% and 10% levels, are in power.csv.",
        ]
        for window, block in self.table(0.05).groupby("window", sort=False):
            blocks.append(f"window {window}")
            blocks.append(SummaryTable(block.drop(columns="window"), digits=3))
        return Summary.of(*blocks)

    def __repr__(self) -> str:
        p = self.parameters
        return (
            f"SimulationResult({p.runs} runs x {p.events_per_run} pseudo-events, "
            f"abnormal {', '.join(f'{a:g}' for a in p.abnormal)}, {p.cluster})"
        )

    @property
    def manifest(self) -> Mapping[str, Any]:
        """Read-only: seed (or the generator's state), parameters, data description, versions."""
        return freeze(
            {
                "parameters": asdict(self.parameters),
                "generator_state": self._generator_state,
                "data": self._data,
                "design": {
                    "injection": "abnormal return added to the return on day 0 of each "
                    "pseudo-event only; a CAR window carries it when it contains day 0",
                    "missing": "the nearest integer to missing * n of each pseudo-event's n "
                    "estimation returns deleted at random; the event window keeps every return",
                    "isolation": "each pseudo-event reads its own copy of its symbol's returns; "
                    "the market is one shared column",
                    "rates": "p-value below alpha; Clopper-Pearson 95% interval",
                    "alphas": list(ALPHAS),
                },
                "versions": versions(),
            }
        )

    def frames(self) -> dict[str, pd.DataFrame]:
        """``power`` (the rejection rates: test, window, abnormal, runs, rejection_rate,
        ci_low, ci_high, alpha) and ``pseudo_events`` (the drawn pseudo-events), as copies."""
        return {
            "power": self._rates.loc[:, [*_RATE_COLUMNS, "alpha"]].copy(),
            "pseudo_events": self.pseudo_events,
        }

    def figure(self, alpha: float = 0.05) -> Any:
        """A matplotlib figure: rejection rate against the abnormal return, one panel per window.

        Parameters
        ----------
        alpha : float, default 0.05
            The level to plot (one of :data:`ALPHAS`).

        Returns
        -------
        matplotlib.figure.Figure
            The figure (not attached to pyplot, so no GUI backend is touched).
        """
        from matplotlib.figure import Figure

        r = self._rates.loc[self._rates["alpha"] == alpha]
        windows = list(pd.unique(r["window"]))
        tests = list(pd.unique(r["test"]))
        fig = Figure(figsize=(5.0 * len(windows) + 2.5, 4.8))
        axes = fig.subplots(1, len(windows), squeeze=False, sharey=True)[0]
        markers = "os^vD<>ph*XP+x"
        for ax, window in zip(axes, windows, strict=True):
            block = r.loc[r["window"] == window]
            for i, test in enumerate(tests):
                line = block.loc[block["test"] == test].sort_values("abnormal")
                ax.plot(
                    100 * line["abnormal"],
                    line["rejection_rate"],
                    marker=markers[i % len(markers)],
                    markersize=4,
                    linewidth=1,
                    color=f"C{i % 10}",
                    linestyle="-" if i < 10 else "--",
                    label=test,
                )
            ax.axhline(alpha, color="black", linewidth=0.8, linestyle=":")
            ax.set_ylim(0, 1)
            ax.set_xlabel("abnormal return on day 0 (%)")
            ax.set_title(f"window {window}")
            ax.grid(alpha=0.3)
        axes[0].set_ylabel(f"rejection rate at {alpha:.0%}")
        axes[-1].legend(loc="center left", bbox_to_anchor=(1.02, 0.5), fontsize=8)
        p = self.parameters
        fig.suptitle(
            f"{p.runs} runs x {p.events_per_run} pseudo-events, {p.cluster}, "
            f"missing {p.missing:.0%}",
            fontsize=10,
        )
        fig.tight_layout()
        return fig

    def to_dir(self, out: str | Path) -> list[Path]:
        """Write power.csv, pseudo_events.csv, summary.txt, manifest.json and power.png.

        Parameters
        ----------
        out : str or pathlib.Path
            Output folder, created if needed.

        Returns
        -------
        list[pathlib.Path]
            The files written.

        Raises
        ------
        InputError
            If ``out`` exists and is not a folder.
        """
        written = super().to_dir(out)
        png = Path(out) / "power.png"
        self.figure().savefig(png, dpi=110)
        return [*written, png]


# -- drawing pseudo-events -----------------------------------------------------------------------


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
    """Which (day 0, symbol) cells can be pseudo-events (see the module docstring)."""
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


#: Most pseudo-events one simulation may draw (runs x events per run).
MAX_PSEUDO_EVENTS = 2_000_000


def check_options(
    events_per_run: int,
    runs: int,
    abnormal: Sequence[float],
    missing: float,
    cluster: str,
    model: str,
    min_estimation_obs: int,
    seed: object,
) -> tuple[float, ...]:
    """Validate the options that need no data; return the abnormal returns as floats.

    Raises
    ------
    InputError
        Naming the option, the value and what is allowed.
    """
    if isinstance(events_per_run, bool) or not isinstance(events_per_run, int | np.integer):
        raise InputError("events_per_run", events_per_run, "an integer >= 2")
    if events_per_run < 2:
        raise InputError("events_per_run", events_per_run, "an integer >= 2")
    if isinstance(runs, bool) or not isinstance(runs, int | np.integer) or runs < 1:
        raise InputError("runs", runs, "an integer >= 1")
    if runs * events_per_run > MAX_PSEUDO_EVENTS:
        raise InputError(
            "runs",
            runs,
            f"at most {MAX_PSEUDO_EVENTS:,} pseudo-events in all (`runs` x `events_per_run`)",
        )
    try:
        levels = tuple(float(a) for a in abnormal)
    except (TypeError, ValueError):
        raise InputError("abnormal", abnormal, "numbers, e.g. 0,0.01,0.02") from None
    if not levels or not all(np.isfinite(levels)):
        raise InputError("abnormal", abnormal, "one or more finite numbers, e.g. 0,0.01,0.02")
    if len(set(levels)) != len(levels):
        raise InputError("abnormal", abnormal, "distinct numbers")
    if min(levels) <= -1.0:
        raise InputError("abnormal", abnormal, "returns above -1 (-100%), e.g. -0.02")
    if not (isinstance(missing, int | float) and 0.0 <= missing < 1.0):
        raise InputError("missing", missing, "a share in [0, 1), e.g. 0.3")
    if cluster not in CLUSTERS:
        raise InputError("cluster", cluster, f"one of {', '.join(CLUSTERS)}")
    if model not in MODELS or model == "factor":
        allowed = ", ".join(m for m in MODELS if m != "factor")
        raise InputError("model", model, f"one of {allowed}")
    if min_estimation_obs < 1:
        raise InputError("min_estimation_obs", min_estimation_obs, "an integer >= 1")
    if not isinstance(seed, np.random.Generator) and not (
        isinstance(seed, int | np.integer) and not isinstance(seed, bool) and seed >= 0
    ):
        raise InputError("seed", seed, "an integer >= 0 or a numpy Generator")
    return levels


def simulate(
    returns: pd.DataFrame,
    *,
    market: str,
    events_per_run: int = 50,
    runs: int = 250,
    abnormal: Sequence[float] = (0.0, 0.01, 0.02),
    missing: float = 0.0,
    cluster: Cluster = "same-date",
    estimation_window: str | tuple[int, int] | Window = "-250:-11",
    event_window: str | tuple[int, int] | Window = "-5:10",
    car_windows: Sequence[str | tuple[int, int] | Window] = ("0:0", "-1:1"),
    model: ModelName = "market",
    min_estimation_obs: int = 100,
    seed: int | np.random.Generator = 0,
    backend: ChunkRunner | None = None,
    data_source: str = "",
    step: Callable[[str], None] | None = None,
) -> SimulationResult:
    """Simulate the size and power of every test on pseudo-events drawn from ``returns``.

    The design (eligibility, clustering, where the abnormal return goes, deletions, isolation
    of the pseudo-events) is described in :mod:`ipposaki.study.simulate`.

    Parameters
    ----------
    returns : pandas.DataFrame
        Sessions x symbols returns including the market series, e.g. ``panel.returns``.
    market : str
        The market column; it is the benchmark and never a pseudo-event.
    events_per_run, runs : int, default 50 and 250
        Pseudo-events per run (per simulated event study, at least 2) and runs per abnormal
        return.
    abnormal : sequence of float, default (0, 0.01, 0.02)
        Abnormal returns added on day 0 (0 measures size).
    missing : float, default 0
        Share of each pseudo-event's estimation returns deleted at random, in [0, 1).
    cluster : {"same-date", "random"}, default "same-date"
        All events of a run on one session, or each on its own.
    estimation_window, event_window : str or tuple or Window
        Relative windows, default ``-250:-11`` and ``-5:10``.
    car_windows : sequence, default ("0:0", "-1:1")
        Windows whose tests are reported; each inside the event window.
    model : {"market", "market-adjusted", "constant-mean", "raw"}, default "market"
        Normal-return model.
    min_estimation_obs : int, default 100
        Fewest estimation returns a pseudo-event keeps after the deletions.
    seed : int or numpy.random.Generator, default 0
        Reproducible randomness: the same seed and data give the same rates.
    backend : ChunkRunner, optional
        Passed to :func:`~ipposaki.study.run_study` (e.g. a Dask backend).
    data_source : str, optional
        Recorded in the summary and manifest.
    step : callable, optional
        Called with a description at the start of each abnormal return (progress).

    Returns
    -------
    SimulationResult
        Rejection rates with their intervals, p-values per run, the pseudo-events.

    Raises
    ------
    InputError
        For a bad option (naming it, its value and what is allowed), or when the panel has no
        eligible pseudo-events for the design.
    UnknownNameError
        If ``market`` is not a column of ``returns``.

    Examples
    --------
    >>> from ipposaki.study.null_design import null_design
    >>> from ipposaki.study.simulate import simulate
    >>> returns, _ = null_design("complete", samples=1, seed=1)
    >>> res = simulate(returns, market="MKT", events_per_run=5, runs=20, abnormal=[0, 0.05],
    ...                estimation_window="-120:-11", event_window="-5:5", min_estimation_obs=50)
    >>> res.rate("t_cross_section", "0:0", abnormal=0.05) > res.rate("t_cross_section", "0:0")
    True
    """
    levels = check_options(
        events_per_run, runs, abnormal, missing, cluster, model, min_estimation_obs, seed
    )
    est, evw, cars = _check_windows(estimation_window, event_window, car_windows)
    params = SimulationParameters(
        market=market,
        events_per_run=int(events_per_run),
        runs=int(runs),
        abnormal=levels,
        missing=float(missing),
        cluster=cluster,
        model=model,
        estimation_window=str(est),
        event_window=str(evw),
        car_windows=tuple(dict.fromkeys(str(w) for w in cars)),
        min_estimation_obs=int(min_estimation_obs),
        seed=None if isinstance(seed, np.random.Generator) else int(seed),
        data_source=data_source,
    )
    drawn = _draw_pseudo_events(_check_returns(returns, market), params, est, evw, seed)
    return _run_studies(drawn, params, est, evw, cars, backend, step)


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
    pseudo_events = pseudo_events.assign(estimation_returns=n_est, deleted=deleted)
    return _Drawn(
        returns, _plain_state(state), index, mkt, len(symbols), elig, pseudo, events, pseudo_events
    )


def _run_studies(
    drawn: _Drawn,
    params: SimulationParameters,
    est: Window,
    evw: Window,
    cars: list[Window],
    backend: ChunkRunner | None,
    step: Callable[[str], None] | None,
) -> SimulationResult:
    """Run the event study of every run at each abnormal return, and count the rejections.

    Parameters
    ----------
    drawn : _Drawn
        The pseudo-events.
    params : SimulationParameters
        The design (abnormal returns, model, ...).
    est, evw : Window
        The estimation and event windows.
    cars : list of Window
        The CAR windows, as given.
    backend : ChunkRunner or None
        Passed to :func:`~ipposaki.study.run_study`.
    step : callable or None
        Called with a description at the start of each abnormal return.

    Returns
    -------
    SimulationResult
        The rejection rates (see :func:`_tidy_rates`), each run's p-values (see
        :func:`_run_pvalues`), the pseudo-events and what they were drawn from.
    """
    from ipposaki.study.engine import run_study

    labels = list(params.car_windows)
    frames, pvalues, excluded = [], [], 0
    for a in params.abnormal:
        if step is not None:
            step(
                f"abnormal return {a:g}: {params.runs} runs x {params.events_per_run} pseudo-events"
            )
        res = run_study(
            _widened(drawn.pseudo, a, drawn.index, params.market, drawn.mkt),
            drawn.events,
            model=params.model,  # type: ignore[arg-type]
            market=params.market,
            estimation_window=est,
            event_window=evw,
            car_windows=cars,
            min_estimation_obs=params.min_estimation_obs,
            backend=backend,
        )
        excluded = max(excluded, len(res.excluded))
        frames.append(rejection_rates(res.tests, labels).assign(abnormal=a))
        pvalues.append(_run_pvalues(res.tests, labels, a))
    return SimulationResult(
        parameters=params,
        _rates=_tidy_rates(pd.concat(frames, ignore_index=True), labels),
        _pvalues=pd.concat(pvalues, ignore_index=True),
        _pseudo_events=drawn.pseudo_events,
        _data=_data_record(drawn, excluded, params.data_source),
        _generator_state=drawn.generator_state,
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


def _check_windows(
    estimation_window: str | tuple[int, int] | Window,
    event_window: str | tuple[int, int] | Window,
    car_windows: Sequence[str | tuple[int, int] | Window],
) -> tuple[Window, Window, list[Window]]:
    """Parse the windows and check that every CAR window lies inside the event window.

    Parameters
    ----------
    estimation_window, event_window : str or tuple or Window
        Relative windows.
    car_windows : sequence of str or tuple or Window
        The windows whose tests are reported; at least one.

    Returns
    -------
    est, evw : Window
        The estimation and event windows.
    cars : list of Window
        The CAR windows, in order.

    Raises
    ------
    InputError
        For a window that does not parse, no CAR window, or one outside the event window.
    """
    est = parse_window(estimation_window, "estimation_window")
    evw = parse_window(event_window, "event_window")
    cars = [parse_window(w, "car_windows") for w in car_windows]
    if not cars:
        raise InputError("car_windows", None, "at least one window, e.g. 0:0")
    for w in cars:
        if not evw.contains(w):
            raise InputError("car_windows", str(w), f"a window inside the event window {evw}")
    return est, evw, cars


def _check_returns(returns: pd.DataFrame, market: str) -> pd.DataFrame:
    """Check the returns panel: a DataFrame holding ``market``, on sorted unique sessions.

    Parameters
    ----------
    returns : pandas.DataFrame
        Sessions x symbols returns.
    market : str
        The market column.

    Returns
    -------
    pandas.DataFrame
        ``returns``, its index made a DatetimeIndex.

    Raises
    ------
    InputError
        For something other than a DataFrame, or sessions out of order or repeated.
    UnknownNameError
        If ``market`` is not a column.
    """
    if not isinstance(returns, pd.DataFrame):
        raise InputError("returns", type(returns).__name__, "a sessions x symbols DataFrame")
    if market not in returns.columns:
        raise UnknownNameError("market series", market, [str(c) for c in returns.columns])
    if not isinstance(returns.index, pd.DatetimeIndex):
        returns = returns.set_axis(pd.DatetimeIndex(returns.index), axis=0)
    if not returns.index.is_monotonic_increasing or returns.index.has_duplicates:
        raise InputError("returns", "an index out of order", "sorted, unique sessions")
    return returns


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
        run, event, symbol and event_date of each pseudo-event.
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
            "event_date": index[pos],
        }
    )
    return events, pseudo_events


def _run_pvalues(tests: pd.DataFrame, labels: list[str], abnormal: float) -> pd.DataFrame:
    """Each run's p-value of each test and reported window, at one abnormal return.

    Parameters
    ----------
    tests : pandas.DataFrame
        The tests of the widened study (one group per run, and ``all``).
    labels : list of str
        The reported windows.
    abnormal : float
        The abnormal return added.

    Returns
    -------
    pandas.DataFrame
        abnormal, run, test, window, p_value.
    """
    mine = tests.loc[(tests["basket"] != "all") & tests["window"].isin(labels)]
    return pd.DataFrame(
        {
            "abnormal": abnormal,
            "run": mine["basket"].str.slice(3).astype(int).to_numpy(),
            "test": mine["test"].to_numpy(),
            "window": mine["window"].to_numpy(),
            "p_value": mine["p_value"].to_numpy(),
        }
    )


def _tidy_rates(rates: pd.DataFrame, labels: list[str]) -> pd.DataFrame:
    """Level, window and test as given, then each test's curve over the abnormal returns."""
    test_rank = {name: i for i, name in enumerate(pd.unique(rates["test"]))}
    rates = rates.assign(
        _w=rates["window"].map({w: i for i, w in enumerate(labels)}),
        _t=rates["test"].map(test_rank),
    )
    rates = rates.sort_values(["alpha", "_w", "_t", "abnormal"], kind="stable")
    return rates.loc[:, [*_RATE_COLUMNS, "alpha"]].reset_index(drop=True)


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
