"""``ipposaki scenario …``: export controls, power and compute cost from TOML specs."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from ipposaki.cli import output
from ipposaki.cli.options import write_out

if TYPE_CHECKING:
    from ipposaki.scenario import ScenarioResult

app = typer.Typer(
    help="Scenarios with cited, uncertain inputs (Monte Carlo).", no_args_is_help=True
)

SpecArg = Annotated[Path, typer.Argument(help="The scenario spec (TOML).")]
OutOption = Annotated[Path | None, typer.Option(help="Folder for the tables and summary.")]


def _write(result: ScenarioResult, out: Path | None) -> None:
    """Print the summary and, with ``out``, write the result's files (:meth:`to_dir`)."""
    output.text(result.summary.as_text())
    output.result(
        {
            "out": out,
            "title": result.title,
            "seed": result.seed,
            "draws": result.draws,
            "quantiles": output.frame_records(result.quantiles),
            "inputs": output.frame_records(result.inputs),
        }
    )
    if out is None:
        return
    write_out(out, result.to_dir)
    output.text(f"wrote {out}")


@app.command("export-controls")
def export_controls(
    spec: SpecArg,
    out: OutOption = None,
    store: Annotated[
        Path | None,
        typer.Option("--store", envvar="IPPOSAKI_STORE", help="Store for the market calibration."),
    ] = None,
) -> None:
    """Earnings and price at stake for chip-equipment makers under tighter export controls.

    Writes exposures.csv (each firm's China share, status and source), quantiles.csv (revenue,
    operating profit and both price paths per firm), and with a store reactions.csv (each firm's
    reaction to each past announcement) and calibration.csv (US and Japanese rules, CR2 and CR1).

    Example: ipposaki scenario export-controls examples/export_controls.toml --out out/ec
    """
    from ipposaki.scenario import export_controls_spec
    from ipposaki.store import Store

    _write(export_controls_spec(spec, Store(store)), out)


@app.command()
def power(spec: SpecArg, out: OutOption = None) -> None:
    """AI data-centre electricity paths with an efficiency shock, rebound and IOWN.

    Example: ipposaki scenario power examples/power.toml --out out/power
    """
    from ipposaki.scenario import power_spec

    _write(power_spec(spec), out)


@app.command("compute-cost")
def compute_cost(spec: SpecArg, out: OutOption = None) -> None:
    """Training FLOPs, GPU-hours, cost and energy; implied utilisation.

    Example: ipposaki scenario compute-cost examples/compute_cost.toml
    """
    from ipposaki.scenario import compute_cost_spec

    _write(compute_cost_spec(spec), out)
