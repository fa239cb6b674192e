"""``ipposaki study``: the stable file interface of the event-study engine."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from ipposaki.cli import output
from ipposaki.cli.options import (
    BackendOption,
    PricesOption,
    ReturnsOption,
    SchedulerOption,
    ThreadsOption,
    WindowOption,
    chunk_runner,
)
from ipposaki.errors import InputError
from ipposaki.study.settings import DEFAULTS

if TYPE_CHECKING:
    import pandas as pd

    from ipposaki.panel.partitioned import PartitionedPrices
    from ipposaki.study.engine import ChunkRunner
    from ipposaki.study.results import EventStudyResult
    from ipposaki.study.spec import StudySpec

# The inputs.
_Spec = Annotated[
    Path | None, typer.Argument(help="A study spec (TOML) naming store baskets and events.")
]
_Parquet = Annotated[
    Path | None,
    typer.Option(help="A partitioned Parquet price directory (from data export)."),
]
_Events = Annotated[Path | None, typer.Option(help="Events CSV (symbol, event_date, ...).")]
_Out = Annotated[Path, typer.Option(help="Output folder.")]
_Exchange = Annotated[
    str | None,
    typer.Option(
        help="Study this exchange's symbols on its sessions (XNYS, XTKS); default one study "
        "per exchange of the prices, written to OUT/XNYS, OUT/XTKS."
    ),
]
_DateFormat = Annotated[
    str | None,
    typer.Option(
        help="strptime format of the files' dates, e.g. %d/%m/%Y; default YYYY-MM-DD only."
    ),
]
_Store = Annotated[
    Path | None, typer.Option("--store", envvar="IPPOSAKI_STORE", help="Store (spec mode).")
]
# The study.
_Model = Annotated[
    str,
    typer.Option(help="market, market-adjusted, constant-mean, factor, raw, garch or egarch."),
]
_Factors = Annotated[Path | None, typer.Option(help="Factor returns for --model factor.")]
_Market = Annotated[str | None, typer.Option(help="Benchmark symbol (a returns column).")]
_CarWindow = Annotated[list[str] | None, typer.Option(help="CAR window A:B; repeat for more.")]
_LogReturns = Annotated[bool, typer.Option(help="Use log returns.")]
_MinEstimationObs = Annotated[int, typer.Option(help="Fewest estimation returns.")]
_ThinTrading = Annotated[str, typer.Option(help="none, scholes-williams or dimson (market model).")]
_Roll = Annotated[
    str, typer.Option(help="Non-session event dates: none (error), next or previous.")
]
_Convention = Annotated[
    str,
    typer.Option(
        help="ipposaki (textbook tests, default) or estudy2 (the R package's daily "
        "statistics; docs/conventions.md)."
    ),
]
_Measure = Annotated[
    str,
    typer.Option(
        help="return (default), volume (abnormal ln(1 + shares traded); needs --prices with "
        "a volume column) or volatility (AR^2/s^2 - 1); docs/measures.md."
    ),
]
# A catalogue event on store baskets.
_Event = Annotated[str | None, typer.Option(help="A catalogue event id (with --basket/--symbol).")]
_Basket = Annotated[list[str] | None, typer.Option(help="Baskets for --event.")]
_Symbol = Annotated[list[str] | None, typer.Option(help="Symbols for --event.")]
_Catalog = Annotated[Path | None, typer.Option(help="Your own events (TOML).")]
# Inference.
_Adjust = Annotated[
    str,
    typer.Option(
        help="Multiple-testing adjustment of the p-values: none, holm or bh "
        "(Benjamini-Hochberg); p_value_adj in tests.csv; docs/inference.md."
    ),
]
_AdjustAcross = Annotated[
    str,
    typer.Option(help="Families for --adjust: windows (each test's windows x groups) or all."),
]
_Bootstrap = Annotated[
    str,
    typer.Option(
        help="Bootstrap CAAR intervals and p-values: none, wild (cross-section of CARs) or "
        "stationary (each pair's estimation residuals; single-firm studies)."
    ),
]
_Draws = Annotated[int, typer.Option(help="Bootstrap draws, 99 to 1000000.")]
_Seed = Annotated[
    int | None, typer.Option(help="Seed of the bootstrap draws (default: fresh, recorded).")
]


def _refuse_event_options(**given: object) -> None:
    """Refuse the options of a catalogue event or a spec in a run from files, where they would
    be ignored (the events file names the pairs, the files hold the prices).

    Examples
    --------
    >>> _refuse_event_options(basket=None, store=None)
    >>> try:
    ...     _refuse_event_options(basket=["us_power"])
    ... except InputError as err:
    ...     print(err.argument)
    --basket
    """
    for name, value in given.items():
        if value:
            raise InputError(
                f"--{name}",
                value if not isinstance(value, list) else ",".join(map(str, value)),
                "no value with --prices, --returns or --parquet (it applies to --event or a "
                "SPEC; the events file names the pairs)",
            )


def study(
    spec: _Spec = None,
    returns: ReturnsOption = None,
    prices: PricesOption = None,
    parquet: _Parquet = None,
    events: _Events = None,
    out: _Out = Path("out/study"),
    model: _Model = DEFAULTS.model,
    factors: _Factors = None,
    market: _Market = None,
    estimation_window: WindowOption = DEFAULTS.estimation_window,
    event_window: WindowOption = DEFAULTS.event_window,
    car_window: _CarWindow = None,
    log_returns: _LogReturns = DEFAULTS.log_returns,
    min_estimation_obs: _MinEstimationObs = DEFAULTS.min_estimation_obs,
    thin_trading: _ThinTrading = DEFAULTS.thin_trading,
    roll: _Roll = DEFAULTS.roll,
    event: _Event = None,
    basket: _Basket = None,
    symbol: _Symbol = None,
    catalog: _Catalog = None,
    exchange: _Exchange = None,
    date_format: _DateFormat = None,
    store: _Store = None,
    backend: BackendOption = "local",
    scheduler: SchedulerOption = "local",
    threads: ThreadsOption = None,
    convention: _Convention = DEFAULTS.convention,
    adjust: _Adjust = "none",
    adjust_across: _AdjustAcross = "windows",
    bootstrap: _Bootstrap = "none",
    draws: _Draws = 999,
    seed: _Seed = None,
    measure: _Measure = DEFAULTS.measure,
) -> None:
    """Run an event study from files, or from a SPEC on the store.

    Example: ipposaki study --prices prices.csv --events events.csv --market SPY --out out/study

    Prices become returns on each exchange's sessions (adjusted close when a symbol has one,
    else close). A file holding several exchanges gives one study per exchange, in OUT/XNYS and
    OUT/XTKS, unless --exchange picks one. Dates are YYYY-MM-DD unless --date-format is given.

    On a Dask cluster: add --backend dask --scheduler tcp://HOST:8786 (or local:2).
    """
    from ipposaki.cli.options import check_out
    from ipposaki.sources.files import check_date_format

    check_out(out)
    volume_source = prices is not None or spec is not None or event is not None
    _check_study_options(thin_trading, convention, measure, volume_source)
    check_date_format(date_format)
    inference = _inference_options(adjust, adjust_across, bootstrap, draws, seed)
    runner = chunk_runner(backend, scheduler, progress=output.shows_progress(), threads=threads)
    settings: dict[str, Any] = {
        "model": model,
        "estimation_window": estimation_window,
        "event_window": event_window,
        "car_windows": car_window or list(DEFAULTS.car_windows),
        "min_estimation_obs": min_estimation_obs,
        "thin_trading": thin_trading,
        "convention": convention,
        "measure": measure,
    }
    if event is not None:
        _run_spec(
            _event_spec(event, catalog, basket, symbol, settings), store, runner, inference, out
        )
        return
    if spec is not None:
        _refuse_study_options({**settings, "car_windows": car_window})
        from ipposaki.study.spec import load_spec

        _run_spec(load_spec(spec), store, runner, inference, out)
        return
    _refuse_event_options(basket=basket, symbol=symbol, catalog=catalog)
    tables, volumes = _read_returns(
        returns, prices, parquet, events, exchange, log_returns, date_format, measure
    )
    assert events is not None  # checked by _read_returns
    results = _run_files(
        tables,
        volumes,
        events,
        factors,
        settings,
        market=market,
        roll=roll,
        log_returns=log_returns,
        exchange=exchange,
        date_format=date_format,
        source=str(returns or prices or parquet),
        runner=runner,
    )
    _write_studies(out, _infer(results, inference), one=len(tables) == 1)


def _check_study_options(
    thin_trading: str, convention: str, measure: str, volume_source: bool
) -> None:
    """Refuse an unknown thin-trading rule, convention or measure before any data is read.

    Parameters
    ----------
    thin_trading, convention, measure : str
        The ``--thin-trading``, ``--convention`` and ``--measure`` values.
    volume_source : bool
        Whether the run can have volumes (a prices file, a spec or a catalogue event).

    Raises
    ------
    InputError
        Naming the flag; for ``--measure volume`` without a source of volumes too.
    """
    if thin_trading not in ("none", "scholes-williams", "dimson"):
        raise InputError("--thin-trading", thin_trading, "one of none, scholes-williams, dimson")
    from ipposaki.study.engine import CONVENTIONS

    if convention not in CONVENTIONS:
        raise InputError("--convention", convention, f"one of {', '.join(CONVENTIONS)}")
    from ipposaki.study.measures import MEASURES

    if measure not in MEASURES:
        raise InputError("--measure", measure, f"one of {', '.join(MEASURES)}")
    if measure == "volume" and not volume_source:
        raise InputError(
            "--measure",
            measure,
            "return or volatility without --prices (volume is read from a "
            "--prices file's volume column)",
        )


def _event_spec(
    event: str,
    catalog: Path | None,
    basket: list[str] | None,
    symbol: list[str] | None,
    settings: dict[str, Any],
) -> StudySpec:
    """A one-event spec: the catalogue event ``event`` on store baskets and symbols.

    Parameters
    ----------
    event : str
        The catalogue event's id.
    catalog : pathlib.Path or None
        The user's own events (TOML), added to the built-in ones.
    basket, symbol : list of str or None
        What to study; at least one of them.
    settings : dict
        The spec's ``[study]`` table.

    Returns
    -------
    StudySpec
        Titled after the event.

    Raises
    ------
    InputError
        For an unknown event, or neither a basket nor a symbol.
    """
    from ipposaki.events import load_catalog
    from ipposaki.study.spec import SpecEvent, StudySpec

    ev = load_catalog(catalog).get(event)
    if not basket and not symbol:
        raise InputError("--basket/--symbol", None, "at least one basket or symbol for --event")
    spec_event = SpecEvent(
        id=ev.id,
        date=None,
        name=ev.name,
        baskets=tuple(basket or ()),
        symbols=tuple(symbol or ()),
        timestamp=ev.timestamp,
    )
    return StudySpec(title=f"{ev.name} ({ev.id})", events=(spec_event,), study=settings)


def _run_spec(
    spec: StudySpec,
    store: Path | None,
    runner: ChunkRunner | None,
    inference: dict[str, object],
    out: Path,
) -> None:
    """Run a spec on the store, write its folder to ``out`` and report it.

    Parameters
    ----------
    spec : StudySpec
        The spec (from a file or a catalogue event).
    store : pathlib.Path or None
        The store file (None: the default).
    runner : ChunkRunner or None
        Where the blocks run.
    inference : dict
        The options of :meth:`EventStudyResult.with_inference`.
    out : pathlib.Path
        The output folder.
    """
    from dataclasses import replace

    from ipposaki.cli.options import write_out
    from ipposaki.store import Store
    from ipposaki.study.spec import run_spec

    with output.working("running the event study", show=runner is None):
        result = run_spec(spec, Store(store), runner)
    result = replace(result, results=_infer(dict(result.results), inference))
    paths = write_out(out, result.to_dir)
    output.text(result.summary.as_text())
    output.text(f"wrote {out}")
    output.result(
        {
            "out": out,
            "title": result.spec.title,
            "results": {x: _payload(r) for x, r in result.results.items()},
            "files": paths,
        }
    )


def _read_returns(
    returns: Path | None,
    prices: Path | None,
    parquet: Path | None,
    events: Path | None,
    exchange: str | None,
    log_returns: bool,
    date_format: str | None,
    measure: str,
) -> tuple[dict[str, pd.DataFrame | PartitionedPrices], dict[str, pd.DataFrame]]:
    """Read the one returns source given, per exchange, after checking the file inputs.

    Parameters
    ----------
    returns, prices, parquet : pathlib.Path or None
        Exactly one of them.
    events : pathlib.Path or None
        The events CSV (only checked to be given here).
    exchange : str or None
        The exchange to keep (None: every exchange of the prices).
    log_returns : bool
        Log returns instead of simple ones.
    date_format : str or None
        strptime format of the files' dates.
    measure : str
        With ``"volume"``, the prices file's volumes are read too.

    Returns
    -------
    tables : dict
        Returns per exchange MIC (``""`` for a returns file without ``exchange``).
    volumes : dict
        Volumes per exchange MIC (empty unless ``measure`` is ``"volume"``).

    Raises
    ------
    InputError
        For not exactly one returns source, no events file or an unknown exchange.
    """
    if sum(x is not None for x in (returns, prices, parquet)) != 1:
        raise InputError(
            "--returns/--prices/--parquet",
            None,
            "exactly one of --returns FILE, --prices FILE or --parquet DIR",
        )
    if events is None:
        raise InputError("--events", None, "an events CSV")
    if exchange is not None:
        from ipposaki.panel.exchanges import check_exchange

        check_exchange(exchange)
    from ipposaki.study.io import price_volumes, read_partitioned, read_price_panels
    from ipposaki.study.io import read_returns as read_returns_file

    if returns is not None:
        frame = read_returns_file(
            returns, date_format=date_format, log=log_returns, exchange=exchange
        )
        return {exchange or "": frame}, {}
    if parquet is not None:
        return dict(read_partitioned(parquet, exchange=exchange, log=log_returns)), {}
    assert prices is not None  # exactly one of the three, checked above
    panels = read_price_panels(prices, exchange=exchange, log=log_returns, date_format=date_format)
    volumes = price_volumes(panels, prices) if measure == "volume" else {}
    return {mic: panel.returns for mic, panel in panels.items()}, volumes


def _run_files(
    tables: dict[str, pd.DataFrame | PartitionedPrices],
    volumes: dict[str, pd.DataFrame],
    events: Path,
    factors: Path | None,
    settings: dict[str, Any],
    *,
    market: str | None,
    roll: str,
    log_returns: bool,
    exchange: str | None,
    date_format: str | None,
    source: str,
    runner: ChunkRunner | None,
) -> dict[str, EventStudyResult]:
    """Read the events (and factors) and run one study per exchange that has an event.

    Parameters
    ----------
    tables, volumes : dict
        Returns and volumes per exchange MIC (see :func:`_read_returns`).
    events, factors : pathlib.Path
        The events CSV and the factor returns (None without ``--model factor``).
    settings : dict
        The study's model, windows and conventions (arguments of :func:`run_study`).
    market, roll, log_returns, exchange, date_format
        As the options.
    source : str
        The returns source, for the manifest.
    runner : ChunkRunner or None
        Where the blocks run.

    Returns
    -------
    dict of str to EventStudyResult
        One study per exchange MIC.
    """
    from ipposaki.study import run_study
    from ipposaki.study.io import read_events, read_factors, split_events

    event_table = read_events(events, date_format=date_format)
    factor_table = (
        read_factors(factors, date_format=date_format, log=log_returns)
        if factors is not None
        else None
    )
    by_exchange = split_events(event_table, list(tables), exchange)
    results: dict[str, EventStudyResult] = {}
    with output.working("running the event study", show=runner is None):
        for mic, table in tables.items():
            if mic not in by_exchange:
                continue  # no event on this exchange
            results[mic] = run_study(
                table,
                by_exchange[mic],
                **settings,
                market=market,
                factors=factor_table,
                roll=roll,  # type: ignore[arg-type]
                log_returns=log_returns,
                data_source=f"{source} ({mic})" if mic else source,
                exchange=mic or None,
                backend=runner,
                volume=volumes.get(mic),
            )
    return results


def _write_studies(out: Path, results: dict[str, EventStudyResult], one: bool) -> None:
    """Write the studies to ``out`` (one study's tables directly, else a folder per exchange).

    Parameters
    ----------
    out : pathlib.Path
        The output folder.
    results : dict of str to EventStudyResult
        One study per exchange MIC.
    one : bool
        Whether the input had one exchange (or was a returns file).
    """
    from ipposaki.cli.options import write_out
    from ipposaki.study.io import ExchangeStudies

    if one:
        res = next(iter(results.values()))
        paths = write_out(out, res.to_dir)
        output.text(res.summary.as_text())
        output.text(f"wrote {out}")
        output.result({"out": out, **_payload(res), "files": paths})
        return
    studies = ExchangeStudies(results)
    paths = write_out(out, studies.to_dir)
    output.text(studies.summary.as_text())
    output.text(f"wrote {out}")
    output.result(
        {
            "out": out,
            "results": {mic: _payload(r) for mic, r in results.items()},
            "files": paths,
        }
    )


def _payload(res: EventStudyResult) -> dict[str, object]:
    """The JSON result of one event study: pairs, CAAR per group and window, exclusions."""
    return {
        "pairs": len(res.params),
        "caar": output.frame_records(res.caar),
        "excluded": output.frame_records(res.excluded),
    }


#: The options a spec's ``[study]`` table sets instead: argument -> (flag, default).
_SPEC_SETS: dict[str, tuple[str, object]] = {
    "model": ("--model", DEFAULTS.model),
    "estimation_window": ("--estimation-window", DEFAULTS.estimation_window),
    "event_window": ("--event-window", DEFAULTS.event_window),
    "car_windows": ("--car-window", None),
    "min_estimation_obs": ("--min-estimation-obs", DEFAULTS.min_estimation_obs),
    "thin_trading": ("--thin-trading", DEFAULTS.thin_trading),
    "measure": ("--measure", DEFAULTS.measure),
}


def _refuse_study_options(given: dict[str, object]) -> None:
    """A spec sets its study in [study]; an option that would be ignored is refused instead.

    Parameters
    ----------
    given : dict
        The options' values by argument name (``car_windows`` as given: None when not).

    Raises
    ------
    InputError
        For the first option of :data:`_SPEC_SETS` that is not at its default.
    """
    for name, (option, default) in _SPEC_SETS.items():
        if given[name] != default:
            raise InputError(
                option,
                given[name],
                "it in the spec's [study] table (with a SPEC the study comes from the spec; "
                "the option applies to --prices, --returns and --event)",
            )


def _inference_options(
    adjust: str, adjust_across: str, bootstrap: str, draws: int, seed: int | None
) -> dict[str, object]:
    """The options of :meth:`EventStudyResult.with_inference`, checked before any data is read.

    A library error names the Python argument; here it names the flag.
    """
    from ipposaki.study.bootstrap import BOOTSTRAP_METHODS, check_draws
    from ipposaki.study.multitest import ADJUST_ACROSS, ADJUST_METHODS

    for flag, value, allowed in (
        ("--adjust", adjust, ADJUST_METHODS),
        ("--adjust-across", adjust_across, ADJUST_ACROSS),
        ("--bootstrap", bootstrap, BOOTSTRAP_METHODS),
    ):
        if value not in allowed:
            raise InputError(flag, value, f"one of {', '.join(allowed)}")
    try:
        check_draws(draws)
    except InputError as err:
        raise InputError("--draws", draws, err.allowed) from None
    if seed is not None and seed < 0:
        raise InputError("--seed", seed, "an integer >= 0")
    return {
        "adjust": adjust,
        "adjust_across": adjust_across,
        "bootstrap": bootstrap,
        "draws": draws,
        "seed": seed,
    }


def _infer(
    results: dict[str, EventStudyResult], inference: dict[str, object]
) -> dict[str, EventStudyResult]:
    """Each study with its bootstrap and adjusted p-values (unchanged when none is asked)."""
    if inference["adjust"] == "none" and inference["bootstrap"] == "none":
        return results
    try:
        return {mic: res.with_inference(**inference) for mic, res in results.items()}  # type: ignore[arg-type]
    except InputError as err:  # a library name becomes the flag
        flag = "--" + err.argument.replace("_", "-")
        raise InputError(flag, err.value, err.allowed) from None
