"""``ipposaki simulate``: size and power of the tests on pseudo-events from your own returns."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from ipposaki.cli import output
from ipposaki.cli.options import (
    BackendOption,
    PricesOption,
    ReturnsOption,
    SchedulerOption,
    StoreOption,
    WindowOption,
    check_out,
    chunk_runner,
    split_list,
    write_out,
)
from ipposaki.errors import InputError
from ipposaki.study.settings import DEFAULTS

if TYPE_CHECKING:
    import pandas as pd

    from ipposaki.study.simulate import SimulationResult

_Market = Annotated[str, typer.Option(help="Benchmark symbol (a returns column).")]
_Exchange = Annotated[
    str | None,
    typer.Option(
        help="The exchange whose sessions and symbols to use (XNYS, XTKS): needed with the "
        "store, or with a prices file that holds several exchanges."
    ),
]
_Symbol = Annotated[
    list[str] | None,
    typer.Option(help="With the store: symbols to draw from (repeat or comma-separate)."),
]
_Start = Annotated[str | None, typer.Option(help="With the store: first session.")]
_End = Annotated[str | None, typer.Option(help="With the store: last session.")]
_EventsPerRun = Annotated[int, typer.Option(help="Pseudo-events per run.")]
_Runs = Annotated[int, typer.Option(help="Runs (simulated studies) per abnormal return.")]
_Abnormal = Annotated[str, typer.Option(help="Abnormal returns added on day 0, comma-separated.")]
_Missing = Annotated[
    float, typer.Option(help="Share of each pseudo-event's estimation returns deleted.")
]
_Cluster = Annotated[
    str, typer.Option(help="same-date (one day 0 per run) or random (one per event).")
]
_Model = Annotated[str, typer.Option(help="market, market-adjusted, constant-mean or raw.")]
_CarWindow = Annotated[
    list[str] | None, typer.Option(help="Window to test, A:B; repeat (default 0:0, -1:1).")
]
_MinEstimationObs = Annotated[
    int, typer.Option(help="Fewest estimation returns left after deletion.")
]
_Seed = Annotated[int, typer.Option(help="Random seed (same seed, same rates).")]
_Out = Annotated[Path, typer.Option(help="Output folder.")]


def simulate(
    market: _Market,
    prices: PricesOption = None,
    returns: ReturnsOption = None,
    store: StoreOption = None,
    exchange: _Exchange = None,
    symbol: _Symbol = None,
    start: _Start = None,
    end: _End = None,
    events_per_run: _EventsPerRun = 50,
    runs: _Runs = 250,
    abnormal: _Abnormal = "0,0.01,0.02",
    missing: _Missing = 0.0,
    cluster: _Cluster = "same-date",
    model: _Model = DEFAULTS.model,
    estimation_window: WindowOption = DEFAULTS.estimation_window,
    event_window: WindowOption = DEFAULTS.event_window,
    car_window: _CarWindow = None,
    min_estimation_obs: _MinEstimationObs = DEFAULTS.min_estimation_obs,
    seed: _Seed = 0,
    backend: BackendOption = "local",
    scheduler: SchedulerOption = "local",
    out: _Out = Path("out/simulate"),
) -> None:
    """Simulate the size and power of every test on pseudo-events drawn from your returns.

    Brown and Warner (1985): each run draws --events-per-run (symbol, session) pseudo-events
    from the panel, adds each --abnormal return to their day-0 return (that day only), and runs
    the event study; a test's rejection rate is the share of runs in which p < 1%, 5% or 10%.
    Writes power.csv (rates with exact binomial 95% intervals), power.png, pseudo_events.csv,
    summary.txt and manifest.json.

    Example: ipposaki simulate --prices prices.csv --market SPY --events-per-run 3 --runs 100
    --abnormal 0,0.02 --out out/simulate

    From the store: --exchange XNYS instead of --prices (optionally --symbol, --start, --end).
    The panel should be one exchange's sessions: the benchmark and every drawn symbol on them.
    """
    from ipposaki.study.simulate import check_options
    from ipposaki.study.simulate import simulate as run_simulation

    levels = _abnormal(abnormal)
    check_options(  # everything that needs no data, before any is read
        events_per_run, runs, levels, missing, cluster, model, min_estimation_obs, seed
    )
    _check_windows(estimation_window, event_window, car_window or [])
    for value, option in ((start, "--start"), (end, "--end")):
        _iso_date(value, option)
    runner = chunk_runner(backend, scheduler, progress=False)
    check_out(out)
    if sum(x is not None for x in (prices, returns)) > 1:
        raise InputError(
            "--prices/--returns", None, "at most one of --prices FILE or --returns FILE"
        )
    with output.progress_steps(1 + len(levels)) as step:
        step("reading the returns")
        table, source = _returns(prices, returns, store, exchange, symbol, start, end, market)
        res = run_simulation(
            table,
            market=market,
            events_per_run=events_per_run,
            runs=runs,
            abnormal=levels,
            missing=missing,
            cluster=cluster,  # type: ignore[arg-type]
            estimation_window=estimation_window,
            event_window=event_window,
            car_windows=car_window or ["0:0", "-1:1"],
            model=model,  # type: ignore[arg-type]
            min_estimation_obs=min_estimation_obs,
            seed=seed,
            backend=runner,
            data_source=source,
            step=step,
        )
    _write(out, res)


def _check_windows(estimation_window: str, event_window: str, car_windows: list[str]) -> None:
    """Refuse a window that does not parse, naming its flag, before any data is read.

    Parameters
    ----------
    estimation_window, event_window : str
        The ``--estimation-window`` and ``--event-window`` values.
    car_windows : list of str
        The ``--car-window`` values.

    Raises
    ------
    InputError
        For the first window that is not ``A:B``.
    """
    from ipposaki.study.windows import parse_window

    for window, option in (
        (estimation_window, "--estimation-window"),
        (event_window, "--event-window"),
        *((w, "--car-window") for w in car_windows),
    ):
        parse_window(window, option)


def _write(out: Path, res: SimulationResult) -> None:
    """Write the simulation's folder to ``out`` and report it (summary, then the JSON result)."""
    from ipposaki.results import thaw

    paths = write_out(out, res.to_dir)
    output.text(res.summary.as_text())
    output.text(f"wrote {out}")
    output.result(
        {
            "out": out,
            "parameters": thaw(res.manifest["parameters"]),
            "data": res.data,
            "rates": output.frame_records(res.rates.query("alpha == 0.05")),
            "files": paths,
        }
    )


def _iso_date(value: str | None, option: str) -> None:
    """Refuse a date that is not ISO ``YYYY-MM-DD`` (``05/01/2024`` is never guessed)."""
    import pandas as pd

    from ipposaki.sources.files import parse_date_text

    if value is not None and pd.isna(parse_date_text(pd.Series([value])).iloc[0]):
        raise InputError(option, value, "a date as YYYY-MM-DD")


def _abnormal(text: str) -> list[float]:
    """``"0,0.01,0.02"`` -> ``[0.0, 0.01, 0.02]``."""
    parts = [p.strip() for p in text.split(",")]
    try:
        levels = [float(p) for p in parts]
    except ValueError:
        raise InputError("--abnormal", text, "comma-separated numbers, e.g. 0,0.01,0.02") from None
    return levels


def _returns(
    prices: Path | None,
    returns: Path | None,
    store: Path | None,
    exchange: str | None,
    symbol: list[str] | None,
    start: str | None,
    end: str | None,
    market: str,
) -> tuple[pd.DataFrame, str]:
    """The returns panel from a file, or from the store on one exchange's sessions."""
    from ipposaki.study.io import read_prices_as_returns, read_returns

    if prices is not None:
        return read_prices_as_returns(prices, exchange=exchange), str(prices)
    if returns is not None:
        return read_returns(returns, exchange=exchange), str(returns)
    if exchange is None:
        raise InputError(
            "--exchange",
            None,
            "an exchange (XNYS or XTKS) to read the store's panel on, or --prices/--returns FILE",
        )
    from ipposaki.panel import build_panel
    from ipposaki.store import Store

    db = Store(store)
    symbols = split_list(symbol)
    if symbols is not None and market not in symbols:
        symbols.append(market)  # the benchmark is read too, never drawn
    panel = build_panel(db, exchange, symbols, start, end)
    return panel.returns, f"store {db.path} ({exchange})"
