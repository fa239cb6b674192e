"""The report's look one step ahead: export controls, power with IOWN, and the compute check.

The scenario specs ship with the package (``data/scenarios/*.toml``, the same files as
``examples/``); every input carries its source, and the report prints them.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import pandas as pd

from ipposaki.scenario.compute_cost import compute_cost_spec
from ipposaki.scenario.export_controls import export_controls_spec
from ipposaki.scenario.power import power_spec

__all__ = ["IEA_PATHS", "ScenarioTables", "scenario_tables"]

#: IEA "Energy and AI" (2025) data-centre electricity, as collected in shared/facts/FACTS.md.
IEA_PATHS = pd.DataFrame(
    [
        ("IEA base", 2024, 415.0),
        ("IEA base", 2030, 945.0),
        ("IEA base", 2035, 1200.0),
        ("IEA Lift-Off", 2030, 1264.0),
        ("IEA Lift-Off", 2035, 1720.0),
        ("IEA Headwinds", 2030, 669.0),
    ],
    columns=["path", "year", "twh"],
).assign(source="IEA, Energy and AI (2025), via its summaries cited in FACTS.md")


@dataclass(frozen=True)
class ScenarioTables:
    """Scenario tables for the report."""

    firms: pd.DataFrame
    calibration: pd.DataFrame
    slope: dict[str, Any]
    power: pd.DataFrame
    iea: pd.DataFrame
    compute: pd.DataFrame
    inputs: pd.DataFrame
    titles: dict[str, str]
    draws: dict[str, int]


def _spec(name: str) -> Path:
    return Path(str(resources.files("ipposaki").joinpath("data", "scenarios", f"{name}.toml")))


def scenario_tables(store: Any) -> ScenarioTables:
    """Run the three shipped scenarios (export controls calibrated on ``store``)."""
    ec = export_controls_spec(_spec("export_controls"), store)
    pw = power_spec(_spec("power"))
    cc = compute_cost_spec(_spec("compute_cost"))
    firms = ec.quantiles.query("output == 'op_profit_impact'").reset_index(drop=True)
    cal = ec.extra.get("calibration")
    slope: dict[str, Any] = {}
    scatter = pd.DataFrame(columns=["event_id", "symbol", "car", "car_se", "china_share"])
    if cal is not None:
        scatter = cal.scatter
        slope = {
            "slope": cal.slope,
            "ci_low": cal.ci_low,
            "ci_high": cal.ci_high,
            "nobs": cal.nobs,
            "window": cal.window,
        }
    power = pw.quantiles.query("output in ['twh', 'twh_no_iown']").reset_index(drop=True)
    inputs = pd.concat([r.inputs.assign(scenario=r.title) for r in (ec, pw, cc)], ignore_index=True)
    return ScenarioTables(
        firms=firms,
        calibration=scatter,
        slope=slope,
        power=power,
        iea=IEA_PATHS,
        compute=cc.quantiles,
        inputs=inputs[["scenario", "name", "distribution", "source", "user_guess"]],
        titles={"export_controls": ec.title, "power": pw.title, "compute": cc.title},
        draws={"export_controls": ec.draws, "power": pw.draws, "compute": cc.draws},
    )
