"""Training compute: FLOPs, GPU-hours, cost and energy, and the check of DeepSeek-V3's claim.

``FLOPs = 6 N_active D`` (forward and backward pass per token, per active parameter). With a
reported GPU-hour count H the implied model-FLOPs utilisation is
``MFU = FLOPs / (H x 3600 x peak FLOP/s)``; without one, ``H = FLOPs / (MFU x peak x 3600)``.
``cost = H x price``; ``energy = H x board power x PUE``. The efficiency ratio against a reference
run (``reference_gpu_hours``, same FLOP/s basis) is ``reference cost / this cost``; it can feed
the power scenario's efficiency factor.

DeepSeek-V3: 37B active parameters x 14.8T tokens; 2.788M H800 GPU-hours at $2/h = $5.576M
(the official training run only).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ipposaki.scenario.montecarlo import Output, ScenarioResult, simulate
from ipposaki.scenario.schema import ComputeCostSpec
from ipposaki.scenario.spec import check_spec, load_toml

__all__ = ["compute_cost", "compute_cost_spec"]


def compute_cost(doc: dict[str, object]) -> ScenarioResult:
    """Run a compute-cost scenario from a parsed spec.

    Parameters
    ----------
    doc : dict
        ``[scenario]`` (title, seed, draws) and ``[inputs]`` with active_params, tokens,
        peak_flops, price_per_gpu_hour, board_power_kw, pue, and either gpu_hours (reported) or
        mfu; optionally reference_gpu_hours.

    Returns
    -------
    ScenarioResult
        Outputs training_flops, gpu_hours, cost_usd, energy_mwh, implied_mfu and (with a
        reference) efficiency_ratio.

    Raises
    ------
    InputError
        Naming the first key of the spec that its schema refuses
        (:class:`~ipposaki.scenario.schema.ComputeCostSpec`), before any draw.
    """
    spec = check_spec(doc, ComputeCostSpec)
    title, seed, draws = spec.run_settings()
    inputs = spec.inputs.to_inputs("inputs")

    def model(x: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        flops = 6.0 * x["active_params"] * x["tokens"]
        if "gpu_hours" in x:
            hours = x["gpu_hours"]
            mfu = flops / (hours * 3600.0 * x["peak_flops"])
        else:
            mfu = x["mfu"]
            hours = flops / (mfu * x["peak_flops"] * 3600.0)
        cost = hours * x["price_per_gpu_hour"]
        out = {
            "training_flops": flops,
            "gpu_hours": hours,
            "cost_usd": cost,
            "energy_mwh": hours * x["board_power_kw"] * x["pue"] / 1000.0,
            "implied_mfu": mfu,
        }
        if "reference_gpu_hours" in x:
            out["efficiency_ratio"] = x["reference_gpu_hours"] / hours
        return out

    outputs = {
        "training_flops": Output("FLOP", key=False),
        "gpu_hours": Output("GPU-hours"),
        "cost_usd": Output("USD"),
        "energy_mwh": Output("MWh"),
        "implied_mfu": Output("share"),
    }
    if "reference_gpu_hours" in inputs:
        outputs["efficiency_ratio"] = Output("x")
    return simulate(title, inputs, model, outputs, draws, seed)


def compute_cost_spec(path: str | Path) -> ScenarioResult:
    """Run the compute-cost scenario in the TOML file ``path``."""
    return compute_cost(load_toml(path))
