"""The ``[report]`` table of a study spec: what a shock report shows besides the event study.

Every key is optional::

    [report]
    scenarios = ["export_controls.toml", "power.toml"]  # scenario specs, relative to the spec
    top_moves = 5                                        # largest moves per event session
    headline = ["NVDA", "^SOX"]        # the headline universe (default: the baskets' symbols
                                       # and each exchange's benchmark indices)
    indices = ["^N225", "^GSPC"]       # the benchmark indices (default: every index in the
                                       # instruments table of New York and Tokyo)
    forecast_targets = ["^N225", "jp_semi_equipment"]    # Tokyo series forecast from New York
    forecast_drivers = ["^SOX", "^IXIC", "NVDA", "DEXJPUS"]

A spec that names no scenarios gets no scenario sections. The kind of each scenario spec follows
from its inputs (see :func:`scenario_kind`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from ipposaki.errors import InputError

__all__ = ["REPORT_KEYS", "ReportOptions", "ScenarioKind", "parse_report", "scenario_kind"]

ScenarioKind = Literal["export_controls", "power", "compute_cost"]
REPORT_KEYS = (
    "scenarios",
    "top_moves",
    "headline",
    "indices",
    "forecast_targets",
    "forecast_drivers",
)


@dataclass(frozen=True)
class ReportOptions:
    """The validated ``[report]`` table.

    Attributes
    ----------
    scenarios : tuple[pathlib.Path, ...]
        Scenario spec files, resolved against the spec's folder.
    top_moves : int
        How many of the largest moves each event session's table shows.
    headline : tuple[str, ...]
        The headline universe; empty for the default (the baskets' symbols and the indices).
    indices : tuple[str, ...]
        The benchmark indices; empty for the default (every index of New York and Tokyo).
    forecast_targets, forecast_drivers : tuple[str, ...]
        The spillover forecast's targets and drivers; empty for its defaults.
    """

    scenarios: tuple[Path, ...] = ()
    top_moves: int = 5
    headline: tuple[str, ...] = ()
    indices: tuple[str, ...] = ()
    forecast_targets: tuple[str, ...] = ()
    forecast_drivers: tuple[str, ...] = ()


def _names(table: dict[str, Any], key: str) -> tuple[str, ...]:
    value = table.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise InputError(f"[report].{key}", value, 'a list of names, e.g. ["^N225", "NVDA"]')
    return tuple(value)


def parse_report(table: object, base: Path | None) -> ReportOptions:
    """Validate a spec's ``[report]`` table.

    Parameters
    ----------
    table : dict
        The TOML table (``{}`` when the spec has none).
    base : pathlib.Path, optional
        The folder that relative scenario paths start from (the spec's folder).

    Returns
    -------
    ReportOptions
        The options.

    Raises
    ------
    InputError
        Naming the key: an unknown key, a scenario file that does not exist or whose kind is
        unknown, a count that is not a positive integer, a list that is not a list of names.
    """
    if not isinstance(table, dict):
        raise InputError("[report]", table, "a table, e.g. [report] scenarios = [...]")
    unknown = sorted(set(table) - set(REPORT_KEYS))
    if unknown:
        raise InputError(f"[report].{unknown[0]}", table[unknown[0]], f"one of {list(REPORT_KEYS)}")
    top = table.get("top_moves", 5)
    if not isinstance(top, int) or isinstance(top, bool) or not 1 <= top <= 50:
        raise InputError("[report].top_moves", top, "an integer from 1 to 50")
    paths = []
    for name in _names(table, "scenarios"):
        path = Path(name) if base is None or Path(name).is_absolute() else base / name
        if not path.is_file():
            raise InputError("[report].scenarios", name, f"a scenario spec file (looked in {path})")
        _check_scenario(path)  # an unknown kind or a bad value fails here, before any work
        paths.append(path)
    return ReportOptions(
        scenarios=tuple(paths),
        top_moves=top,
        headline=_names(table, "headline"),
        indices=_names(table, "indices"),
        forecast_targets=_names(table, "forecast_targets"),
        forecast_drivers=_names(table, "forecast_drivers"),
    )


def _check_scenario(path: Path) -> None:
    """Validate a scenario spec against its kind's schema (types, ranges, unknown keys)."""
    from ipposaki.scenario.spec import SPEC_MODELS, check_spec, load_toml

    model = SPEC_MODELS[scenario_kind(path)]
    try:
        check_spec(load_toml(path), model)  # type: ignore[type-var]  # one of the three
    except InputError as exc:  # name the file: a report may list several specs
        raise InputError(f"{path.name}: {exc.argument}", exc.value, exc.allowed) from None


def scenario_kind(path: Path) -> ScenarioKind:
    """The kind of the scenario spec at ``path``, from what it holds.

    An export-control spec lists ``[scenario] firms``; a power spec has the input
    ``base_twh_2024``; a compute-cost spec has ``active_params``.

    Raises
    ------
    InputError
        For a file that is none of the three.
    """
    from ipposaki.scenario.spec import load_toml

    doc = load_toml(path)
    inputs = doc.get("inputs", {})
    if "firms" in doc.get("scenario", {}):
        return "export_controls"
    if "base_twh_2024" in inputs:
        return "power"
    if "active_params" in inputs:
        return "compute_cost"
    raise InputError(
        "[report].scenarios",
        str(path),
        "an export-control spec ([scenario] firms), a power spec (inputs.base_twh_2024) or a "
        "compute-cost spec (inputs.active_params)",
    )
