"""Uncertain inputs: a distribution, its parameters, its source and its allowed range.

Every input of a scenario is written in TOML as a table::

    loss_share = { dist = "triangular", low = 0.2, mode = 0.5, high = 0.9,
                   source = "user guess: share of China revenue lost" }

Distributions and their parameters:

==============  ======================================  =========================================
``dist``        parameters                              draw
==============  ======================================  =========================================
``fixed``       ``value``                               the value (no ``source`` needed)
``uniform``     ``low``, ``high``                       U(low, high)
``triangular``  ``low``, ``mode``, ``high``             triangular
``normal``      ``mean``, ``sd``                        N(mean, sd²)
``lognormal``   ``median``, ``sigma``                   exp(N(log median, sigma²))
``pert``        ``min``, ``mode``, ``max``, ``lambda``  min + (max - min) Beta(a, b),
                (lambda = 4 by default)                 a = 1 + λ(mode - min)/(max - min),
                                                        b = 1 + λ(max - mode)/(max - min)
==============  ======================================  =========================================

An input whose source starts with ``"user"`` (for example ``"user guess"``) is a user guess, and
the scenario's header says that it rests on guesses.

Every parameter is a finite number, and every value a distribution can draw must lie in the
input's range (:data:`ipposaki.scenario.bounds.INPUT_BOUNDS`); a ``normal`` is refused on an
input with a range. The schema is :class:`ipposaki.scenario.schema.Distribution`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ipposaki.errors import InputError
from ipposaki.scenario.bounds import Bound, bound_problem

__all__ = ["DISTRIBUTIONS", "Input", "parse_input"]

DISTRIBUTIONS: dict[str, tuple[str, ...]] = {
    "fixed": ("value",),
    "uniform": ("low", "high"),
    "triangular": ("low", "mode", "high"),
    "normal": ("mean", "sd"),
    "lognormal": ("median", "sigma"),
    "pert": ("min", "mode", "max"),
}


@dataclass(frozen=True)
class Input:
    """One uncertain input.

    Attributes
    ----------
    name : str
        The TOML key, e.g. ``"inputs.loss_share"``.
    dist : str
        One of :data:`DISTRIBUTIONS`.
    params : dict
        The distribution's parameters.
    source : str
        Where the value comes from.
    """

    name: str
    dist: str
    params: dict[str, float] = field(default_factory=dict)
    source: str = ""

    @property
    def is_guess(self) -> bool:
        """True when the source says the value is the user's guess."""
        return self.source.strip().lower().startswith("user")

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """Draw ``n`` values."""
        p = self.params
        if self.dist == "fixed":
            return np.full(n, p["value"])
        if self.dist == "uniform":
            return rng.uniform(p["low"], p["high"], n)
        if self.dist == "triangular":
            if p["low"] == p["high"]:
                return np.full(n, p["low"])
            return rng.triangular(p["low"], p["mode"], p["high"], n)
        if self.dist == "normal":
            return rng.normal(p["mean"], p["sd"], n)
        if self.dist == "lognormal":
            return np.exp(rng.normal(np.log(p["median"]), p["sigma"], n))
        lo, mode, hi = p["min"], p["mode"], p["max"]
        if hi == lo:
            return np.full(n, lo)
        lam = p.get("lambda", 4.0)
        a = 1.0 + lam * (mode - lo) / (hi - lo)
        b = 1.0 + lam * (hi - mode) / (hi - lo)
        return lo + (hi - lo) * rng.beta(a, b, n)

    def quantile(self, q: float, draws: np.ndarray | None = None) -> float:
        """The q-quantile, exact (triangular: the inverse CDF; PERT: scipy's beta quantile)."""
        p = self.params
        if self.dist == "fixed":
            return float(p["value"])
        if self.dist == "uniform":
            return float(p["low"] + q * (p["high"] - p["low"]))
        if self.dist == "normal":
            from scipy import stats

            return float(stats.norm.ppf(q, p["mean"], p["sd"]))
        if self.dist == "lognormal":
            from scipy import stats

            return float(p["median"] * np.exp(p["sigma"] * stats.norm.ppf(q)))
        if self.dist == "triangular":
            lo, mode, hi = p["low"], p["mode"], p["high"]
            if hi == lo:
                return float(lo)
            cut = (mode - lo) / (hi - lo)  # the CDF at the mode
            if q <= cut:
                return float(lo + np.sqrt(q * (hi - lo) * (mode - lo)))
            return float(hi - np.sqrt((1.0 - q) * (hi - lo) * (hi - mode)))
        if self.dist == "pert":
            from scipy import stats

            lo, mode, hi = p["min"], p["mode"], p["max"]
            if hi == lo:
                return float(lo)
            lam = p.get("lambda", 4.0)
            a = 1.0 + lam * (mode - lo) / (hi - lo)
            b = 1.0 + lam * (hi - mode) / (hi - lo)
            return float(lo + (hi - lo) * stats.beta.ppf(q, a, b))
        if draws is None:  # pragma: no cover - every distribution above has a closed form
            draws = self.sample(np.random.default_rng(0), 200_000)
        return float(np.quantile(draws, q))

    def quantiles(self, qs: np.ndarray) -> np.ndarray:
        """Several quantiles at once (PERT with one vectorised beta inverse)."""
        qs = np.asarray(qs, dtype=float)
        p = self.params
        if self.dist == "pert" and p["max"] > p["min"]:
            from scipy import special

            lo, mode, hi = p["min"], p["mode"], p["max"]
            lam = p.get("lambda", 4.0)
            a = 1.0 + lam * (mode - lo) / (hi - lo)
            b = 1.0 + lam * (hi - mode) / (hi - lo)
            return np.asarray(lo + (hi - lo) * special.betaincinv(a, b, qs))
        return np.array([self.quantile(float(q)) for q in qs])

    def cdf(self, x: np.ndarray) -> np.ndarray:
        """The distribution function at ``x`` (vectorised; PERT through scipy's beta)."""
        from scipy import special

        p = self.params
        x = np.asarray(x, dtype=float)
        if self.dist == "fixed":
            return (x >= p["value"]).astype(float)
        lo, hi = self.support()
        if self.dist in ("uniform", "triangular", "pert") and hi == lo:
            return (x >= lo).astype(float)
        if self.dist == "uniform":
            return np.clip((x - lo) / (hi - lo), 0.0, 1.0)
        if self.dist == "normal":
            if p["sd"] == 0:
                return (x >= p["mean"]).astype(float)
            return np.asarray(special.ndtr((x - p["mean"]) / p["sd"]))
        if self.dist == "lognormal":
            if p["sigma"] == 0:
                return (x >= p["median"]).astype(float)
            with np.errstate(divide="ignore"):
                z = (np.log(np.clip(x, 0.0, None)) - np.log(p["median"])) / p["sigma"]
            return np.asarray(special.ndtr(z))
        if self.dist == "triangular":
            mode = p["mode"]
            y = np.clip(x, lo, hi)
            left = (y - lo) ** 2 / ((hi - lo) * (mode - lo)) if mode > lo else np.zeros_like(y)
            right = (
                1.0 - (hi - y) ** 2 / ((hi - lo) * (hi - mode)) if hi > mode else np.ones_like(y)
            )
            return np.where(y <= mode, left, right)
        lam = p.get("lambda", 4.0)
        a = 1.0 + lam * (p["mode"] - lo) / (hi - lo)
        b = 1.0 + lam * (hi - p["mode"]) / (hi - lo)
        return np.asarray(special.betainc(a, b, np.clip((x - lo) / (hi - lo), 0.0, 1.0)))

    def support(self) -> tuple[float, float]:
        """Smallest and largest value a draw can take (normal: mean -/+ 4 sd)."""
        return _support(self.dist, self.params)

    def describe(self) -> str:
        """``triangular(low=0.2, mode=0.5, high=0.9)``."""
        args = ", ".join(f"{k}={v:g}" for k, v in self.params.items())
        return f"{self.dist}({args})"


def parse_input(
    key: str,
    raw: Any,
    bounds: tuple[float | None, float | None] | Bound = (None, None),
    what: str = "value",
) -> Input:
    """Parse and validate one input from TOML (its schema: ``scenario.schema.Distribution``).

    Parameters
    ----------
    key : str
        The TOML key, used in every error message.
    raw : number or table
        A bare number (a fixed value) or a table with ``dist``, its parameters and ``source``.
    bounds : tuple or Bound, optional
        Allowed (low, high) range of every value the distribution can take (None is open), or
        a :class:`~ipposaki.scenario.bounds.Bound` (as in ``INPUT_BOUNDS``).
    what : str, default "value"
        What the input is, for messages (e.g. ``"share"``, ``"TWh"``), with a tuple ``bounds``.

    Returns
    -------
    Input
        The validated input.

    Raises
    ------
    InputError
        Naming the TOML key: an unknown distribution or key, a missing parameter or source, a
        number that is not finite, a PERT or triangular with min > mode or mode > max, or a
        distribution that can draw outside ``bounds``.
    """
    from ipposaki.scenario.schema import Distribution
    from ipposaki.schema import validate

    bound = bounds if isinstance(bounds, Bound) else Bound(bounds[0], bounds[1], what=what)
    spec = validate(Distribution, raw, key)
    problem = bound_problem(spec.dist, spec.params, bound)
    if problem is not None:
        param, value, allowed = problem
        if param == "dist":
            raise InputError(f"{key}.dist", value, allowed)
        raise InputError(key, value, allowed + ("" if spec.dist == "fixed" else f" (its {param})"))
    return spec.to_input(key)


def _support(dist: str, p: dict[str, float]) -> tuple[float, float]:
    """Smallest and largest value a draw can take (normal: mean -/+ 4 sd)."""
    if dist == "fixed":
        return p["value"], p["value"]
    if dist == "uniform":
        return p["low"], p["high"]
    if dist == "triangular":
        return p["low"], p["high"]
    if dist == "pert":
        return p["min"], p["max"]
    if dist == "normal":
        return p["mean"] - 4 * p["sd"], p["mean"] + 4 * p["sd"]
    return 0.0, p["median"] * float(np.exp(4 * p["sigma"]))
