"""Scenarios: Monte Carlo over cited, uncertain inputs (export controls, power, compute cost)."""

from ipposaki.scenario.compute_cost import compute_cost, compute_cost_spec
from ipposaki.scenario.export_controls import (
    Calibration,
    calibrate,
    export_controls,
    export_controls_spec,
    exposures,
)
from ipposaki.scenario.inputs import DISTRIBUTIONS, Input, parse_input
from ipposaki.scenario.montecarlo import QUANTILES, Output, ScenarioResult, simulate
from ipposaki.scenario.power import REFERENCE_PATHS, power, power_spec

__all__ = [
    "DISTRIBUTIONS",
    "QUANTILES",
    "REFERENCE_PATHS",
    "Calibration",
    "Input",
    "Output",
    "ScenarioResult",
    "calibrate",
    "compute_cost",
    "compute_cost_spec",
    "export_controls",
    "export_controls_spec",
    "exposures",
    "parse_input",
    "power",
    "power_spec",
    "simulate",
]
