"""Declared schemas of the scenario specs (TOML), checked before any work or write.

Each kind of scenario has a model of its whole file: the ``[scenario]`` table (title, seed,
draws and the kind's own keys), the ``[inputs]`` table (each input a :class:`Distribution`
inside its range from :data:`~ipposaki.scenario.bounds.INPUT_BOUNDS`) and, for export controls,
``[firms.SYMBOL]``, ``[nikkei]`` and ``[calibration]``. A key no model declares is refused with
the close matches; :func:`ipposaki.schema.validate` turns the first problem into one
:class:`~ipposaki.errors.InputError` naming the key path (``scenario.seeed``,
``inputs.pue.low``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Annotated, Any, ClassVar, Literal

from pydantic import AfterValidator, Field, model_validator

from ipposaki.errors import InputError
from ipposaki.scenario.bounds import INPUT_BOUNDS, UNBOUNDED, Bound, bound_problem
from ipposaki.scenario.inputs import DISTRIBUTIONS, Input
from ipposaki.schema import Table, refuse

__all__ = [
    "MAX_DRAWS",
    "MIN_DRAWS",
    "ComputeCostSpec",
    "Distribution",
    "ExportControlsSpec",
    "PowerSpec",
    "check_bound",
]

MIN_DRAWS = 100
MAX_DRAWS = 10**8

#: Parameter -> its TOML key, for the parameters whose key is a Python keyword or builtin.
_ALIASES = {"min_": "min", "max_": "max", "lambda_": "lambda"}


class Distribution(Table):
    """One uncertain input: ``dist``, its parameters (finite numbers, in order) and ``source``.

    A bare number is a ``fixed`` value. Only the chosen distribution's parameters are allowed
    (``lambda`` too for ``pert``); every parameter is required, and so is a source unless the
    value is fixed.
    """

    dist: str = "fixed"
    value: float | None = None
    low: float | None = None
    high: float | None = None
    mode: float | None = None
    mean: float | None = None
    sd: float | None = None
    median: float | None = None
    sigma: float | None = None
    min_: float | None = Field(None, alias="min")
    max_: float | None = Field(None, alias="max")
    lambda_: float | None = Field(None, alias="lambda")
    source: str = ""

    @model_validator(mode="before")
    @classmethod
    def _refuse_unknown_keys(cls, data: Any) -> Any:
        if isinstance(data, bool) or not isinstance(data, int | float | Mapping):
            refuse("a number or a table with dist, its parameters and source")
        if not isinstance(data, Mapping):
            if not math.isfinite(data):
                refuse("a finite number (not nan or inf)")
            return {"dist": "fixed", "value": data}
        dist = data.get("dist", "fixed")
        if not isinstance(dist, str) or dist not in DISTRIBUTIONS:
            refuse(f"one of {', '.join(DISTRIBUTIONS)}", key="dist", value=dist)
        keys = ["dist", *DISTRIBUTIONS[dist], *(["lambda"] if dist == "pert" else []), "source"]
        for key in data:
            if key not in keys:
                from ipposaki.errors import close_matches

                hint = close_matches(str(key), keys)
                refuse(
                    f"one of {', '.join(keys)} for a {dist} distribution"
                    + (f" (did you mean {hint[0]}?)" if hint else ""),
                    key=str(key),
                    value=data[key],
                )
        return data

    @model_validator(mode="after")
    def _check_parameters(self) -> Distribution:
        params = self.params
        for name in DISTRIBUTIONS[self.dist]:
            if name not in params:
                refuse(f"a number for the {self.dist} distribution", key=name, value=None)
        if self.dist != "fixed" and not self.source.strip():
            refuse("a source for every uncertain input", key="source", value=None)
        if self.dist in ("triangular", "pert"):
            lo, hi = ("low", "high") if self.dist == "triangular" else ("min", "max")
            if params[lo] > params["mode"]:
                refuse(f"{lo} <= mode ({params['mode']:g})", key=lo, value=params[lo])
            if params["mode"] > params[hi]:
                refuse(f"mode <= {hi} ({params[hi]:g})", key="mode", value=params["mode"])
        if self.dist == "uniform" and params["low"] > params["high"]:
            refuse(f"low <= high ({params['high']:g})", key="low", value=params["low"])
        if self.dist == "normal" and params["sd"] < 0:
            refuse("a standard deviation >= 0", key="sd", value=params["sd"])
        if self.dist == "lognormal":
            if params["median"] <= 0:
                refuse("a median > 0", key="median", value=params["median"])
            if params["sigma"] < 0:
                refuse("a sigma >= 0", key="sigma", value=params["sigma"])
        if self.dist == "pert" and params.get("lambda", 4.0) < 0:
            refuse("a lambda >= 0 (4 by default)", key="lambda", value=params["lambda"])
        return self

    @property
    def params(self) -> dict[str, float]:
        """The parameters given, by their TOML names (``min``, ``max``, ``lambda``)."""
        out = {}
        for name in ("value", "low", "high", "mode", "mean", "sd", "median", "sigma"):
            v = getattr(self, name)
            if v is not None:
                out[name] = float(v)
        for attr, key in _ALIASES.items():
            v = getattr(self, attr)
            if v is not None:
                out[key] = float(v)
        return out

    def to_input(self, name: str) -> Input:
        """The :class:`~ipposaki.scenario.inputs.Input` named ``name``."""
        source = self.source.strip()
        return Input(
            name=name, dist=self.dist, params=self.params, source=source or "fixed in the spec"
        )


def check_bound(name: str, dist: Distribution, bound: Bound | None = None) -> None:
    """Refuse (inside a validator) a distribution that can draw outside its input's range.

    Parameters
    ----------
    name : str
        The input's key in its table (its range is ``INPUT_BOUNDS[name]`` unless ``bound``).
    dist : Distribution
        The validated distribution.
    bound : Bound, optional
        The range; default the input's own.
    """
    bound = bound if bound is not None else INPUT_BOUNDS.get(name, UNBOUNDED)
    problem = bound_problem(dist.dist, dist.params, bound)
    if problem is None:
        return
    param, value, allowed = problem
    if param == "dist":
        refuse(allowed, key=f"{name}.dist", value=value)
    refuse(allowed + ("" if dist.dist == "fixed" else f" (its {param})"), key=name, value=value)


class _Inputs(Table):
    """An ``[inputs]`` table: each field a distribution inside its range; some required."""

    required: ClassVar[tuple[str, ...]] = ()

    @model_validator(mode="after")
    def _check_inputs(self) -> _Inputs:
        for name in type(self).model_fields:
            dist = getattr(self, name)
            if dist is None:
                if name in self.required:
                    refuse(f"a value or a distribution for {name}", key=name, value=None)
                continue
            check_bound(name, dist)
        return self

    def to_inputs(self, prefix: str = "inputs") -> dict[str, Input]:
        """The inputs given, as :class:`Input` named ``prefix.name``."""
        out = {}
        for name in type(self).model_fields:
            dist = getattr(self, name)
            if dist is not None:
                out[name] = dist.to_input(f"{prefix}.{name}")
        return out


Dist = Distribution | None


def _seed(v: int) -> int:
    if v < 0:
        refuse("a non-negative integer")
    return v


def _draws(v: int) -> int:
    if not MIN_DRAWS <= v <= MAX_DRAWS:
        refuse(f"an integer from {MIN_DRAWS} to {MAX_DRAWS:,}")
    return v


def _nonempty(v: str) -> str:
    if not v.strip():
        refuse("a non-empty string")
    return v


NonEmpty = Annotated[str, AfterValidator(_nonempty)]


class ScenarioTable(Table):
    """``[scenario]``: title, seed (>= 0) and number of draws (100 to 10**8)."""

    title: str = "scenario"
    seed: Annotated[int, AfterValidator(_seed)] = 0
    draws: Annotated[int, AfterValidator(_draws)] = 10_000


class _Spec(Table):
    """A scenario file: an optional top-level title, ``[scenario]`` and ``[inputs]``."""

    title: str | None = None
    scenario: ScenarioTable = ScenarioTable()

    def run_settings(self) -> tuple[str, int, int]:
        """Title, seed and number of draws."""
        scen = self.scenario
        given = "title" in scen.model_fields_set
        title = scen.title if given or self.title is None else self.title
        return title, scen.seed, scen.draws


# -- compute cost ------------------------------------------------------------------------------


class ComputeCostInputs(_Inputs):
    """``[inputs]`` of a compute-cost spec: exactly one of ``gpu_hours`` and ``mfu``."""

    required: ClassVar[tuple[str, ...]] = (
        "active_params",
        "tokens",
        "peak_flops",
        "price_per_gpu_hour",
        "board_power_kw",
        "pue",
    )
    active_params: Dist = None
    tokens: Dist = None
    peak_flops: Dist = None
    gpu_hours: Dist = None
    mfu: Dist = None
    price_per_gpu_hour: Dist = None
    board_power_kw: Dist = None
    pue: Dist = None
    reference_gpu_hours: Dist = None

    @model_validator(mode="after")
    def _one_of_hours_or_mfu(self) -> ComputeCostInputs:
        if (self.gpu_hours is None) == (self.mfu is None):
            refuse("exactly one of gpu_hours or mfu", key="gpu_hours/mfu", value=None)
        return self


class ComputeCostSpec(_Spec):
    """A compute-cost spec: ``[scenario]`` and ``[inputs]``."""

    scenario: ScenarioTable = ScenarioTable()
    inputs: ComputeCostInputs


# -- power -------------------------------------------------------------------------------------


class PowerScenario(ScenarioTable):
    """``[scenario]`` of a power spec: also ``start``/``end`` years and the ``scope``."""

    start: int = 2024
    end: int = 2035
    scope: Literal["global", "us"] = "global"

    @model_validator(mode="after")
    def _years(self) -> PowerScenario:
        for key in ("start", "end"):
            if not 2024 <= getattr(self, key) <= 2050:
                refuse("a year from 2024 to 2050", key=key, value=getattr(self, key))
        if self.start > self.end:
            refuse(f"a year >= start ({self.start})", key="end", value=self.end)
        return self


class PowerInputs(_Inputs):
    """``[inputs]`` of a power spec; compute and cooling shares may not sum above 1."""

    required: ClassVar[tuple[str, ...]] = (
        "base_twh_2024",
        "growth_2024_2030",
        "growth_2030_2035",
        "ai_share_2024",
        "ai_share_2030",
        "efficiency_factor",
        "rebound_elasticity",
        "shock_year",
        "compute_share",
        "cooling_share",
        "network_share_of_other",
        "iown_start",
        "iown_midpoint",
        "iown_speed",
        "iown_saturation",
        "iown_reduction",
    )
    base_twh_2024: Dist = None
    growth_2024_2030: Dist = None
    growth_2030_2035: Dist = None
    ai_share_2024: Dist = None
    ai_share_2030: Dist = None
    efficiency_factor: Dist = None
    rebound_elasticity: Dist = None
    shock_year: Dist = None
    compute_share: Dist = None
    cooling_share: Dist = None
    network_share_of_other: Dist = None
    iown_start: Dist = None
    iown_midpoint: Dist = None
    iown_speed: Dist = None
    iown_saturation: Dist = None
    iown_reduction: Dist = None
    interconnect_share_of_compute: Dist = None
    interconnect_midpoint: Dist = None

    @model_validator(mode="after")
    def _interconnect_pair(self) -> PowerInputs:
        if (self.interconnect_share_of_compute is None) != (self.interconnect_midpoint is None):
            missing = (
                "interconnect_midpoint"
                if self.interconnect_midpoint is None
                else "interconnect_share_of_compute"
            )
            refuse(
                "both interconnect_share_of_compute and interconnect_midpoint, or neither",
                key=missing,
                value=None,
            )
        return self


class PowerSpec(_Spec):
    """A power spec: ``[scenario]`` (with start, end, scope) and ``[inputs]``."""

    scenario: PowerScenario = PowerScenario()
    inputs: PowerInputs


# -- export controls ---------------------------------------------------------------------------


def _firms(v: list[str]) -> list[str]:
    if not v or not all(s.strip() for s in v):
        refuse("a list of firm symbols")
    if len(set(v)) != len(v):
        refuse("each firm once")
    return v


class ExportControlsScenario(ScenarioTable):
    """``[scenario]`` of an export-control spec: also ``firms`` and ``exposures``."""

    firms: Annotated[list[str], AfterValidator(_firms)]
    exposures: str | None = None


class ExportControlsInputs(_Inputs):
    """``[inputs]``: the common inputs and the defaults of the per-firm ones."""

    required: ClassVar[tuple[str, ...]] = ("severity", "duration_years", "valuation_years")
    severity: Dist = None
    duration_years: Dist = None
    valuation_years: Dist = None
    at_risk: Dist = None
    operating_leverage: Dist = None


class FirmTable(_Inputs):
    """``[firms.SYMBOL]``: the firm's own china_share, at_risk, operating_leverage, reaction."""

    china_share: Dist = None
    at_risk: Dist = None
    operating_leverage: Dist = None
    reaction: Dist = None


def _weight(v: float) -> float:
    if not 0.0 <= v <= 1.0:
        refuse("a weight between 0 and 1")
    return v


class NikkeiTable(Table):
    """``[nikkei]``: the index level, each firm's weight in it, and their source."""

    level: Distribution
    weights: dict[str, Annotated[float, AfterValidator(_weight)]]
    source: str = ""

    @model_validator(mode="after")
    def _check(self) -> NikkeiTable:
        check_bound("level", self.level, INPUT_BOUNDS["nikkei.level"])
        if not self.weights:
            refuse('a table of weights, e.g. { "8035.T" = 0.05 }', key="weights", value={})
        if not self.source.strip():
            refuse("a source for the index weights", key="source", value=None)
        return self


class CalibrationTable(Table):
    """``[calibration]``: the CAR window and the US and Japanese announcements (catalogue ids)."""

    window: str = "0:1"
    us: list[NonEmpty] | None = None
    jp: list[NonEmpty] | None = None

    @model_validator(mode="after")
    def _window(self) -> CalibrationTable:
        from ipposaki.study.windows import parse_window

        window = parse_window(self.window, "calibration.window")
        if window.start < -10:  # the reactions' estimation window ends on day -11
            raise InputError(
                "calibration.window",
                self.window,
                "a window starting on day -10 or later (the estimation window ends on day -11)",
            )
        return self


class ExportControlsSpec(_Spec):
    """An export-control spec: ``[scenario]``, ``[inputs]``, ``[firms.*]``, ``[nikkei]``, …"""

    scenario: ExportControlsScenario
    inputs: ExportControlsInputs
    firms: dict[str, FirmTable] = {}
    firm_overrides: dict[str, FirmTable] = {}
    nikkei: NikkeiTable | None = None
    calibration: CalibrationTable = CalibrationTable()

    @model_validator(mode="after")
    def _firms_are_listed(self) -> ExportControlsSpec:
        firms = self.scenario.firms
        listed = f"a firm of scenario.firms ({', '.join(firms)})"
        for table in ("firm_overrides", "firms"):
            for sym in getattr(self, table):
                if sym not in firms:
                    refuse(listed, key=f"{table}.{sym}", value=sym)
        if self.nikkei is not None:
            for sym, w in self.nikkei.weights.items():
                if sym not in firms:
                    refuse(listed, key=f"nikkei.weights.{sym}", value=w)
        return self

    def firm_tables(self) -> dict[str, FirmTable]:
        """Each firm's own table (``[firms]`` over the older ``[firm_overrides]``)."""
        return {**self.firm_overrides, **self.firms}
