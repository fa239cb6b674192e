"""``ipposaki spillover …``: session alignment, one-step-ahead forecasts and their evaluation."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from ipposaki.cli import output
from ipposaki.cli.options import (
    StoreOption,
    check_date,
    check_dates,
    check_number,
    check_out,
    split_list,
    write_out,
)
from ipposaki.study.windows import MAX_SESSIONS

if TYPE_CHECKING:
    from ipposaki.spillover.evaluate import SpilloverEvaluation

app = typer.Typer(
    help="New York -> Tokyo: aligned sessions, next-session forecasts, evaluation.",
    no_args_is_help=True,
)

FromOption = Annotated[str, typer.Option("--from", help="Source exchange (ISO MIC).")]
ToOption = Annotated[str, typer.Option("--to", help="Target exchange (ISO MIC).")]
ListOption = Annotated[list[str] | None, typer.Option(help="Repeat for more; symbols or baskets.")]
ExpandingOption = Annotated[bool, typer.Option(help="Use every earlier session.")]
OwnLagOption = Annotated[bool, typer.Option(help="Add each target's previous return.")]
LagOption = Annotated[
    bool, typer.Option(help="Allow --from = --to, with the previous session's drivers.")
]


@app.command()
def forecast(
    as_of: Annotated[str, typer.Option("--as-of", help="The source session just closed.")],
    source: FromOption = "XNYS",
    target: ToOption = "XTKS",
    targets: ListOption = None,
    drivers: ListOption = None,
    window: Annotated[int, typer.Option(help="Estimation window, target sessions.")] = 250,
    expanding: ExpandingOption = False,
    own_lag: OwnLagOption = False,
    open_gap: Annotated[bool, typer.Option(help="Also forecast the open gap.")] = False,
    lag: LagOption = False,
    level: Annotated[float, typer.Option(help="Prediction-interval level.")] = 0.9,
    out: Annotated[Path | None, typer.Option(help="Folder for forecast.csv/.json.")] = None,
    store: StoreOption = None,
) -> None:
    """Forecast the target exchange's next session from the source's AS_OF session.

    Example: ipposaki spillover forecast --from XNYS --to XTKS --as-of 2025-01-27
    """
    from ipposaki.spillover import forecast_next
    from ipposaki.store import Store

    as_of = check_date(as_of, "--as-of")
    check_number(window, "--window", low=2, high=MAX_SESSIONS)
    check_number(level, "--level", low=0, low_open=True, high=0.9999)
    check_out(out)
    res = forecast_next(
        Store(store),
        as_of,
        source,
        target,
        split_list(targets),
        split_list(drivers),
        None if expanding else window,
        own_lag=own_lag,
        open_gap=open_gap,
        level=level,
        lag=lag,
    )
    output.text(res.summary.as_text())
    output.result(
        {
            "out": out,
            "manifest": res.manifest,
            "forecasts": output.frame_records(res.table),
            "coefficients": output.frame_records(res.coefficients),
        }
    )
    if out is not None:
        write_out(out, res.to_dir)
        output.text(f"wrote {out}")


@app.command()
def evaluate(
    start: Annotated[str, typer.Option(help="First target session to forecast.")],
    end: Annotated[str, typer.Option(help="Last target session to forecast.")],
    source: FromOption = "XNYS",
    target: ToOption = "XTKS",
    targets: ListOption = None,
    drivers: ListOption = None,
    window: Annotated[int, typer.Option(help="Rolling window, target sessions.")] = 250,
    expanding: ExpandingOption = False,
    own_lag: OwnLagOption = False,
    open_gap: Annotated[bool, typer.Option(help="Also evaluate the open gap.")] = False,
    split: Annotated[
        bool,
        typer.Option(
            help="Also score each target's overnight (close to open) and daytime (open to "
            "close) parts, side by side (split.csv)."
        ),
    ] = False,
    lag: LagOption = False,
    out: Annotated[
        Path | None, typer.Option(help="Folder for metrics.csv, forecasts.csv (split.csv).")
    ] = None,
    store: StoreOption = None,
) -> None:
    """Score out-of-sample forecasts against zero and the historical mean.

    Metrics include Diebold-Mariano, Clark-West (the model nests both benchmarks) and the
    out-of-sample R2 against the mean.

    Example: ipposaki spillover evaluate --start 2016-01-01 --end 2025-12-31 --split
    """
    from ipposaki.spillover import evaluate_spillover
    from ipposaki.store import Store

    start, end = check_dates(start, end)
    check_number(window, "--window", low=2, high=MAX_SESSIONS)
    check_out(out)
    with output.working("evaluating forecasts"):
        res = evaluate_spillover(
            Store(store),
            start,
            end,
            source,
            target,
            split_list(targets),
            split_list(drivers),
            None if expanding else window,
            own_lag=own_lag,
            open_gap=open_gap,
            lag=lag,
            split=split,
        )
    output.text(res.summary.as_text())
    _write_evaluation(res, out, split)


def _write_evaluation(res: SpilloverEvaluation, out: Path | None, split: bool) -> None:
    """Write the evaluation's files to ``out`` (:meth:`SpilloverEvaluation.to_dir`), and the
    JSON result.

    Parameters
    ----------
    res : SpilloverEvaluation
        The evaluation.
    out : pathlib.Path or None
        The output folder; None writes no files.
    split : bool
        Whether the overnight and daytime parts were scored (the JSON result adds them).
    """
    if out is not None:
        write_out(out, res.to_dir)
        output.text(f"wrote {out}")
    doc: dict[str, object] = {"out": out, "metrics": output.frame_records(res.metrics)}
    if split:
        doc["split"] = output.frame_records(res.split)
    output.result(doc)


@app.command()
def align(
    start: Annotated[str, typer.Option(help="First target session.")],
    end: Annotated[str, typer.Option(help="Last target session.")],
    source: FromOption = "XNYS",
    target: ToOption = "XTKS",
) -> None:
    """Show, for each target session, the last source session that closed before it opened.

    Example: ipposaki spillover align --start 2025-04-25 --end 2025-05-08
    """
    import pandas as pd

    from ipposaki.crossmarket import align_sessions

    start, end = check_dates(start, end)
    table = align_sessions(source, target, start, end)
    with pd.option_context("display.width", 160, "display.max_rows", None):
        output.text(table.to_string())
    output.result({"sessions": output.frame_records(table.reset_index())})


@app.command("event-time")
def event_time(
    timestamp: Annotated[str, typer.Argument(help="When the news broke, with its zone.")],
) -> None:
    """Show each exchange's event session (day 0) for news at TIMESTAMP.

    Example: ipposaki spillover event-time 2025-01-27T09:00+09:00
    """
    import pandas as pd

    from ipposaki.crossmarket import event_sessions

    table = event_sessions(timestamp)
    with pd.option_context("display.width", 160):
        output.text(table.to_string(index=False))
    output.result({"sessions": output.frame_records(table)})


from ipposaki.cli.connectedness import connectedness  # noqa: E402

app.command("connectedness")(connectedness)
