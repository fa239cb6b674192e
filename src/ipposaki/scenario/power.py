"""AI data-centre electricity, 2024-2035, with an efficiency shock, a rebound, and NTT's IOWN.

For each year t (all draws at once):

* **Base path**:
  ``D_t = base_twh_2024 x (1 + g1)^(min(t, 2030) - 2024) x (1 + g2)^(max(t - 2030, 0))``
  (IEA "Energy and AI", 2025: 415 TWh in 2024, about 945 in 2030, about 1,200 in 2035).
* **Efficiency shock**: from ``shock_year`` the energy per unit of AI service falls by a factor f.
  With a constant-elasticity rebound (demand for AI service ~ cost^-e), AI energy is multiplied by
  ``f^(e - 1)``: less energy when e < 1, more (Jevons) when e > 1. It acts on the AI part of the
  load, ``ai_share`` rising linearly from ``ai_share_2024`` to ``ai_share_2030`` and flat after.
* **Split**: compute ``c``, cooling ``k`` and network/other ``1 - c - k`` (IEA: computing ~40%,
  cooling ~40%, other IT ~20%; WEF: IT 40-50%, cooling 30-40%, auxiliary 10-30%). The network is
  ``network_share_of_other`` of the last part (not sourced: FACTS.md lists it as missing).
* **IOWN**: adoption ``a_t = saturation / (1 + exp(-(t - midpoint) / speed))`` (0 before
  ``iown_start``) cuts network power by ``1 - a_t (1 - 1/reduction)`` (NTT's target: 1/100).
  Optionally the interconnect part of compute (``interconnect_share_of_compute``) is cut the same
  way along a later curve (IOWN 2.0-4.0: board, package and die links, ~2026-2032).
  Cooling follows IT power (constant PUE).

Outputs are TWh paths with bands, with and without IOWN, next to the IEA paths (and the LBNL US
2028 range for a US scope).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ipposaki.errors import InputError
from ipposaki.scenario.montecarlo import Output, ScenarioResult, simulate
from ipposaki.scenario.schema import PowerSpec
from ipposaki.scenario.spec import check_spec, load_toml

__all__ = ["REFERENCE_PATHS", "power", "power_spec"]

#: Published paths (TWh), with sources, from shared/facts/FACTS.md section 3.
REFERENCE_PATHS = pd.DataFrame(
    [
        ("IEA base", 2024, 415.0, "IEA Energy and AI (2025)"),
        ("IEA base", 2030, 945.0, "IEA Energy and AI (2025)"),
        ("IEA base", 2035, 1200.0, "IEA Energy and AI (2025), via beleevid.com summary"),
        ("IEA Lift-Off", 2030, 1264.0, "IEA Energy and AI annex (secondary)"),
        ("IEA Lift-Off", 2035, 1720.0, "IEA, via datacentremagazine.com"),
        ("IEA Headwinds", 2030, 669.0, "IEA Energy and AI annex (secondary)"),
        ("LBNL US low", 2028, 325.0, "LBNL 2024 US Data Center Energy Usage Report"),
        ("LBNL US high", 2028, 580.0, "LBNL 2024 US Data Center Energy Usage Report"),
    ],
    columns=["path", "year", "twh", "source"],
)


def _logistic(
    years: np.ndarray, start: np.ndarray, mid: np.ndarray, speed: np.ndarray, sat: np.ndarray
) -> np.ndarray:
    adoption = sat[:, None] / (1.0 + np.exp(-(years[None, :] - mid[:, None]) / speed[:, None]))
    return np.where(years[None, :] >= start[:, None], adoption, 0.0)


def power(doc: dict[str, Any]) -> ScenarioResult:
    """Run a power scenario from a parsed spec (``[scenario]`` and ``[inputs]``).

    Parameters
    ----------
    doc : dict
        The spec; ``scenario.start``/``scenario.end`` set the years (default 2024-2035) and
        ``scenario.scope`` is ``"global"`` or ``"us"`` (which reference paths to show).

    Returns
    -------
    ScenarioResult
        Outputs ``twh`` (with IOWN), ``twh_no_iown``, ``iown_saving_twh`` and
        ``network_twh`` per year; ``extra["reference"]`` holds the published paths.

    Raises
    ------
    InputError
        Naming the key: any key its schema refuses (:class:`~ipposaki.scenario.schema.PowerSpec`:
        a negative TWh, a share outside [0, 1], a typo, a NaN...) and compute + cooling shares
        that can sum above 1.
    """
    spec = check_spec(doc, PowerSpec)
    title, seed, draws = spec.run_settings()
    start, end = spec.scenario.start, spec.scenario.end
    inputs = spec.inputs.to_inputs("inputs")
    c_max = inputs["compute_share"].support()[1]
    k_max = inputs["cooling_share"].support()[1]
    if c_max + k_max > 1.0:
        raise InputError(
            "inputs.compute_share + inputs.cooling_share", c_max + k_max, "shares summing to <= 1"
        )
    years = np.arange(start, end + 1, dtype=float)
    labels = tuple(str(int(v)) for v in years)
    outputs = {
        "twh": Output("TWh", labels),
        "twh_no_iown": Output("TWh", labels, key=False),
        "iown_saving_twh": Output("TWh", labels),
        "network_twh": Output("TWh", labels, key=False),
    }
    return simulate(
        title,
        inputs,
        lambda x: _power_model(x, years),
        outputs,
        draws,
        seed,
        extra={
            "reference": _reference_paths(spec.scenario.scope),
            "years": years.astype(int).tolist(),
        },
    )


def _power_model(x: dict[str, np.ndarray], years: np.ndarray) -> dict[str, np.ndarray]:
    """Data-centre electricity per draw and year, with and without IOWN.

    Parameters
    ----------
    x : dict of str to numpy.ndarray
        The inputs' draws.
    years : numpy.ndarray
        The years, as floats.

    Returns
    -------
    dict of str to numpy.ndarray
        (draws, years) ``twh``, ``twh_no_iown``, ``iown_saving_twh`` and ``network_twh``.
    """
    demand = _demand(x, years)
    c, k = x["compute_share"][:, None], x["cooling_share"][:, None]
    other = 1.0 - c - k
    net_share = x["network_share_of_other"][:, None]
    it_share = c + other  # compute + network + other IT
    compute_mult, network_mult = _iown_multipliers(x, years)
    it_after = c * compute_mult + other * (1 - net_share) + other * net_share * network_mult
    total_iown = demand * (it_after + k * it_after / it_share)
    return {
        "twh": total_iown,
        "twh_no_iown": demand,
        "iown_saving_twh": demand - total_iown,
        "network_twh": demand * other * net_share * network_mult,
    }


def _demand(x: dict[str, np.ndarray], years: np.ndarray) -> np.ndarray:
    """Demand without IOWN: the base path, its AI share and the efficiency shock's rebound.

    Parameters
    ----------
    x : dict of str to numpy.ndarray
        The inputs' draws.
    years : numpy.ndarray
        The years, as floats.

    Returns
    -------
    numpy.ndarray
        (draws, years) TWh.
    """
    y = years[None, :]
    early = np.minimum(y, 2030) - 2024
    late = np.maximum(y - 2030, 0)
    base = (
        x["base_twh_2024"][:, None]
        * (1 + x["growth_2024_2030"][:, None]) ** early
        * (1 + x["growth_2030_2035"][:, None]) ** late
    )
    frac = np.clip((np.minimum(y, 2030) - 2024) / 6.0, 0.0, 1.0)
    ai = x["ai_share_2024"][:, None] + frac * (x["ai_share_2030"] - x["ai_share_2024"])[:, None]
    shock = np.where(
        y >= x["shock_year"][:, None],
        x["efficiency_factor"][:, None] ** (x["rebound_elasticity"][:, None] - 1.0),
        1.0,
    )
    return base * (1.0 - ai + ai * shock)


def _iown_multipliers(x: dict[str, np.ndarray], years: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """What IOWN's adoption leaves of compute and network energy, per draw and year.

    Parameters
    ----------
    x : dict of str to numpy.ndarray
        The inputs' draws (``interconnect_share_of_compute`` optional).
    years : numpy.ndarray
        The years, as floats.

    Returns
    -------
    compute_mult, network_mult : numpy.ndarray
        (draws, years) factors in (0, 1]; compute's is 1 without an interconnect share.
    """
    adoption = _logistic(
        years, x["iown_start"], x["iown_midpoint"], x["iown_speed"], x["iown_saturation"]
    )
    cut = 1.0 - 1.0 / x["iown_reduction"][:, None]
    network_mult = 1.0 - adoption * cut
    compute_mult = np.ones_like(network_mult)
    if "interconnect_share_of_compute" in x:
        ic = _logistic(
            years,
            x["iown_start"],
            x["interconnect_midpoint"],
            x["iown_speed"],
            x["iown_saturation"],
        )
        compute_mult = 1.0 - x["interconnect_share_of_compute"][:, None] * ic * cut
    return compute_mult, network_mult


def _reference_paths(scope: str) -> pd.DataFrame:
    """The published paths to show: LBNL's for ``"us"``, the others for ``"global"``."""
    ref = REFERENCE_PATHS
    us = ref["path"].str.startswith("LBNL")
    return (ref.loc[us] if scope == "us" else ref.loc[~us]).reset_index(drop=True)


def power_spec(path: str | Path) -> ScenarioResult:
    """Run the power scenario in the TOML file ``path``."""
    return power(load_toml(path))
