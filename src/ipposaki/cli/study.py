"""``ipposaki study``: the stable file interface of the event-study engine."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from ipposaki.cli import output
from ipposaki.cli.options import chunk_runner
from ipposaki.errors import InputError

if TYPE_CHECKING:
    import pandas as pd

    from ipposaki.panel.partitioned import PartitionedPrices
    from ipposaki.study.results import EventStudyResult


def study(
    spec: Annotated[
        Path | None, typer.Argument(help="A study spec (TOML) naming store baskets and events.")
    ] = None,
    returns: Annotated[
        Path | None, typer.Option(help="Returns, CSV or Parquet, long or wide.")
    ] = None,
    prices: Annotated[
        Path | None, typer.Option(help="Prices, CSV or Parquet, long or wide.")
    ] = None,
    parquet: Annotated[
        Path | None,
        typer.Option(help="A partitioned Parquet price directory (from data export)."),
    ] = None,
    events: Annotated[
        Path | None, typer.Option(help="Events CSV (symbol, event_date, ...).")
    ] = None,
    out: Annotated[Path, typer.Option(help="Output folder.")] = Path("out/study"),
    model: Annotated[
        str,
        typer.Option(help="market, market-adjusted, constant-mean, factor, raw, garch or egarch."),
    ] = "market",
    factors: Annotated[Path | None, typer.Option(help="Factor returns for --model factor.")] = None,
    market: Annotated[str | None, typer.Option(help="Benchmark symbol (a returns column).")] = None,
    estimation_window: Annotated[str, typer.Option(help="Relative sessions A:B.")] = "-250:-11",
    event_window: Annotated[str, typer.Option(help="Relative sessions A:B.")] = "-5:10",
    car_window: Annotated[
        list[str] | None, typer.Option(help="CAR window A:B; repeat for more.")
    ] = None,
    log_returns: Annotated[bool, typer.Option(help="Use log returns.")] = False,
    min_estimation_obs: Annotated[int, typer.Option(help="Fewest estimation returns.")] = 100,
    thin_trading: Annotated[
        str, typer.Option(help="none, scholes-williams or dimson (market model).")
    ] = "none",
    roll: Annotated[
        str, typer.Option(help="Non-session event dates: none (error), next or previous.")
    ] = "none",
    event: Annotated[
        str | None, typer.Option(help="A catalogue event id (with --basket/--symbol).")
    ] = None,
    basket: Annotated[list[str] | None, typer.Option(help="Baskets for --event.")] = None,
    symbol: Annotated[list[str] | None, typer.Option(help="Symbols for --event.")] = None,
    catalog: Annotated[Path | None, typer.Option(help="Your own events (TOML).")] = None,
    exchange: Annotated[
        str | None,
        typer.Option(
            help="Study this exchange's symbols on its sessions (XNYS, XTKS); default one study "
            "per exchange of the prices, written to OUT/XNYS, OUT/XTKS."
        ),
    ] = None,
    date_format: Annotated[
        str | None,
        typer.Option(
            help="strptime format of the files' dates, e.g. %d/%m/%Y; default YYYY-MM-DD only."
        ),
    ] = None,
    store: Annotated[
        Path | None, typer.Option("--store", envvar="IPPOSAKI_STORE", help="Store (spec mode).")
    ] = None,
    backend: Annotated[
        str, typer.Option(help="Where the blocks of pairs run: local or dask.")
    ] = "local",
    scheduler: Annotated[
        str,
        typer.Option(help="For --backend dask: local, local:N or tcp://HOST:PORT."),
    ] = "local",
    convention: Annotated[
        str,
        typer.Option(
            help="ipposaki (textbook tests, default) or estudy2 (the R package's daily "
            "statistics; docs/conventions.md)."
        ),
    ] = "ipposaki",
    adjust: Annotated[
        str,
        typer.Option(
            help="Multiple-testing adjustment of the p-values: none, holm or bh "
            "(Benjamini-Hochberg); p_value_adj in tests.csv; docs/inference.md."
        ),
    ] = "none",
    adjust_across: Annotated[
        str,
        typer.Option(help="Families for --adjust: windows (each test's windows x groups) or all."),
    ] = "windows",
    bootstrap: Annotated[
        str,
        typer.Option(
            help="Bootstrap CAAR intervals and p-values: none, wild (cross-section of CARs) or "
            "stationary (each pair's estimation residuals; single-firm studies)."
        ),
    ] = "none",
    draws: Annotated[int, typer.Option(help="Bootstrap draws, 99 to 1000000.")] = 999,
    seed: Annotated[
        int | None, typer.Option(help="Seed of the bootstrap draws (default: fresh, recorded).")
    ] = None,
    measure: Annotated[
        str,
        typer.Option(
            help="return (default), volume (abnormal ln(1 + shares traded); needs --prices with "
            "a volume column) or volatility (AR^2/s^2 - 1); docs/measures.md."
        ),
    ] = "return",
) -> None:
    """Run an event study from files, or from a SPEC on the store.

    Example: ipposaki study --prices prices.csv --events events.csv --market SPY --out out/study

    Prices become returns on each exchange's sessions (adjusted close when a symbol has one,
    else close). A file holding several exchanges gives one study per exchange, in OUT/XNYS and
    OUT/XTKS, unless --exchange picks one. Dates are YYYY-MM-DD unless --date-format is given.

    On a Dask cluster: add --backend dask --scheduler tcp://HOST:8786 (or local:2).
    """
    from ipposaki.cli.options import check_out, write_out

    check_out(out)
    if thin_trading not in ("none", "scholes-williams", "dimson"):
        raise InputError("--thin-trading", thin_trading, "one of none, scholes-williams, dimson")
    from ipposaki.sources.files import check_date_format
    from ipposaki.study import run_study
    from ipposaki.study.engine import CONVENTIONS, DEFAULT_CAR_WINDOWS
    from ipposaki.study.io import (
        ExchangeStudies,
        price_volumes,
        read_events,
        read_factors,
        read_partitioned,
        read_price_panels,
        read_returns,
        split_events,
    )

    if convention not in CONVENTIONS:  # before any data is read
        raise InputError("--convention", convention, f"one of {', '.join(CONVENTIONS)}")
    from ipposaki.study.measures import MEASURES

    if measure not in MEASURES:
        raise InputError("--measure", measure, f"one of {', '.join(MEASURES)}")
    if measure == "volume" and prices is None and spec is None and event is None:
        raise InputError(
            "--measure",
            measure,
            "return or volatility without --prices (volume is read from a "
            "--prices file's volume column)",
        )
    check_date_format(date_format)
    inference = _inference_options(adjust, adjust_across, bootstrap, draws, seed)
    runner = chunk_runner(backend, scheduler, progress=output.shows_progress())
    if event is not None:
        from ipposaki.events import load_catalog
        from ipposaki.study.spec import SpecEvent, StudySpec

        ev = load_catalog(catalog).get(event)
        if not basket and not symbol:
            raise InputError("--basket/--symbol", None, "at least one basket or symbol for --event")
        spec_obj = StudySpec(
            title=f"{ev.name} ({ev.id})",
            events=(
                SpecEvent(
                    id=ev.id,
                    date=None,
                    name=ev.name,
                    baskets=tuple(basket or ()),
                    symbols=tuple(symbol or ()),
                    timestamp=ev.timestamp,
                ),
            ),
            study={
                "model": model,
                "estimation_window": estimation_window,
                "event_window": event_window,
                "car_windows": car_window or list(DEFAULT_CAR_WINDOWS),
                "min_estimation_obs": min_estimation_obs,
                "thin_trading": thin_trading,
                "convention": convention,
                "measure": measure,
            },
        )
    if spec is not None or event is not None:
        from ipposaki.store import Store
        from ipposaki.study.spec import load_spec, run_spec

        if event is None:
            assert spec is not None  # one of the two, checked by the branch
            _refuse_study_options(
                {
                    "--model": (model, "market"),
                    "--estimation-window": (estimation_window, "-250:-11"),
                    "--event-window": (event_window, "-5:10"),
                    "--car-window": (car_window, None),
                    "--min-estimation-obs": (min_estimation_obs, 100),
                    "--thin-trading": (thin_trading, "none"),
                    "--measure": (measure, "return"),
                }
            )
            spec_obj = load_spec(spec)
        with output.working("running the event study", show=runner is None):
            result = run_spec(spec_obj, Store(store), runner)
        from dataclasses import replace

        result = replace(result, results=_infer(result.results, inference))
        paths = write_out(out, result.to_dir)
        output.text(result.summary)
        output.text(f"wrote {out}")
        output.result(
            {
                "out": out,
                "title": result.spec.title,
                "results": {x: _payload(r) for x, r in result.results.items()},
                "files": paths,
            }
        )
        return
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
    # Every input is read and validated before anything runs or is written.
    tables: dict[str, pd.DataFrame | PartitionedPrices]
    volumes: dict[str, pd.DataFrame] = {}
    if returns is not None:
        tables = {
            exchange or "": read_returns(
                returns, date_format=date_format, log=log_returns, exchange=exchange
            )
        }
    elif parquet is not None:
        tables = dict(read_partitioned(parquet, exchange=exchange, log=log_returns))
    else:
        assert prices is not None  # exactly one of the three, checked above
        panels = read_price_panels(
            prices, exchange=exchange, log=log_returns, date_format=date_format
        )
        tables = {mic: panel.returns for mic, panel in panels.items()}
        if measure == "volume":
            volumes = price_volumes(panels, prices)
    event_table = read_events(events, date_format=date_format)
    factor_table = (
        read_factors(factors, date_format=date_format, log=log_returns)
        if factors is not None
        else None
    )
    by_exchange = split_events(event_table, list(tables), exchange)
    source = str(returns or prices or parquet)
    results: dict[str, EventStudyResult] = {}
    with output.working("running the event study", show=runner is None):
        for mic, table in tables.items():
            if mic not in by_exchange:
                continue  # no event on this exchange
            results[mic] = run_study(
                table,
                by_exchange[mic],
                model=model,  # type: ignore[arg-type]
                market=market,
                factors=factor_table,
                estimation_window=estimation_window,
                event_window=event_window,
                car_windows=car_window or list(DEFAULT_CAR_WINDOWS),
                min_estimation_obs=min_estimation_obs,
                thin_trading=thin_trading,  # type: ignore[arg-type]
                roll=roll,  # type: ignore[arg-type]
                log_returns=log_returns,
                data_source=f"{source} ({mic})" if mic else source,
                exchange=mic or None,
                backend=runner,
                convention=convention,  # type: ignore[arg-type]
                measure=measure,  # type: ignore[arg-type]
                volume=volumes.get(mic),
            )
    results = _infer(results, inference)
    if len(tables) == 1:  # one exchange (or a returns file): the tables go into OUT
        res = next(iter(results.values()))
        paths = write_out(out, res.to_dir)
        output.text(res.summary)
        output.text(f"wrote {out}")
        output.result({"out": out, **_payload(res), "files": paths})
        return
    studies = ExchangeStudies(results)
    paths = write_out(out, studies.to_dir)
    output.text(studies.summary)
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


def _refuse_study_options(given: dict[str, tuple[object, object]]) -> None:
    """A spec sets its study in [study]; an option that would be ignored is refused instead."""
    for option, (value, default) in given.items():
        if value != default:
            raise InputError(
                option,
                value,
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
