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
  10%); runs in which a test is undefined (NaN p-value) are left out of its count, ``nobs``.
  The interval is the Clopper-Pearson (exact binomial) 95% interval of the rate.

:func:`null_design` builds synthetic null samples with known properties (market-model returns,
gappy estimation windows, missing event days, cross-correlated residuals) for size checks of
the statistics themselves; see ``tests/test_size.py`` and ``benchmarks/bench_size.py``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Literal

import numpy as np
import pandas as pd

from ipposaki.errors import InputError, UnknownNameError
from ipposaki.study.inputs import _refuse_odd_columns, session_index
from ipposaki.study.models import MODELS, ModelName
from ipposaki.study.pseudo_events import (  # noqa: F401
    _data_record,
    _draw,
    _draw_pseudo_events,
    _Drawn,
    _eligible,
    _pack,
    _segments,
    _widened,
)
from ipposaki.study.rejection import ALPHAS, _run_pvalues, _tidy_rates, rejection_rates
from ipposaki.study.settings import DEFAULTS
from ipposaki.study.simulation_result import (
    OUTPUT_FILES,
    SimulationParameters,
    SimulationResult,
)
from ipposaki.study.windows import Window, is_integer, parse_window

if TYPE_CHECKING:
    from ipposaki.study.engine import ChunkRunner

__all__ = [
    "ALPHAS",
    "CLUSTERS",
    "OUTPUT_FILES",
    "Cluster",
    "SimulationParameters",
    "SimulationResult",
    "rejection_rates",
    "simulate",
]

Cluster = Literal["same-date", "random"]
CLUSTERS: tuple[str, ...] = ("same-date", "random")

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
    if not (is_integer(min_estimation_obs) and min_estimation_obs >= 1):
        raise InputError("min_estimation_obs", min_estimation_obs, "an integer >= 1")
    if not isinstance(seed, np.random.Generator) and not (is_integer(seed) and seed >= 0):
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
    estimation_window: str | tuple[int, int] | Window = DEFAULTS.estimation_window,
    event_window: str | tuple[int, int] | Window = DEFAULTS.event_window,
    car_windows: Sequence[str | tuple[int, int] | Window] = ("0:0", "-1:1"),
    model: ModelName = DEFAULTS.model,
    min_estimation_obs: int = DEFAULTS.min_estimation_obs,
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
    index = session_index(returns.index)
    _refuse_odd_columns(returns)
    return returns if isinstance(returns.index, pd.DatetimeIndex) else returns.set_axis(index)
