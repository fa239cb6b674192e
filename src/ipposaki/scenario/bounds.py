"""The allowed range of every scenario input, by what it means (one table, shown in the docs).

Every value a distribution can draw must lie inside its input's range: the support of a
``uniform``, ``triangular`` or ``pert`` (its low/min and high/max) and a ``fixed`` value are
checked against it. A ``normal`` can draw any value, so it is **refused** on an input with a
range (use a ``triangular`` or ``pert`` between the bounds, or a ``lognormal`` for a positive
quantity); a ``lognormal`` draws any positive value, so it is allowed only where the range is
"> 0" or ">= 0" with no upper bound.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["INPUT_BOUNDS", "UNBOUNDED", "Bound", "bound_problem", "bounds_markdown"]


@dataclass(frozen=True)
class Bound:
    """The range of one input.

    Attributes
    ----------
    low, high : float or None
        Lower and upper bound; None is open-ended.
    low_open : bool
        True when the lower bound itself is not allowed (``> low``).
    what : str
        What the input is, for messages (``"share"``, ``"TWh"``, ``"PUE"``).
    why : str
        Why the bound, for the docs.
    """

    low: float | None = None
    high: float | None = None
    low_open: bool = False
    what: str = "value"
    why: str = ""

    @property
    def noun(self) -> str:
        """``what`` with its article: ``a share``, ``an index level``."""
        return f"{'an' if self.what[:1] in 'aeio' else 'a'} {self.what}"

    @property
    def is_bounded(self) -> bool:
        """True when the input has a lower or an upper bound."""
        return self.low is not None or self.high is not None

    def text(self) -> str:
        """``[0, 1]``, ``> 0``, ``>= 1`` or ``any finite number``."""
        if self.low is not None and self.high is not None:
            return f"{'(' if self.low_open else '['}{self.low:g}, {self.high:g}]"
        if self.low is not None:
            return f"{'>' if self.low_open else '>='} {self.low:g}"
        if self.high is not None:
            return f"<= {self.high:g}"
        return "any finite number"


UNBOUNDED = Bound()

_SHARE = Bound(0.0, 1.0, what="share", why="a fraction of a whole")
_YEAR = Bound(2000.0, 2100.0, what="year", why="a calendar year")
_POSITIVE = "the model divides by it"

#: Every input's range, by name (the per-firm inputs of export controls by their own name).
INPUT_BOUNDS: dict[str, Bound] = {
    # compute cost
    "active_params": Bound(0.0, low_open=True, what="parameter count", why="FLOPs = 6 N D"),
    "tokens": Bound(0.0, low_open=True, what="token count", why="FLOPs = 6 N D"),
    "peak_flops": Bound(0.0, low_open=True, what="FLOP/s", why=_POSITIVE),
    "gpu_hours": Bound(0.0, low_open=True, what="GPU-hour count", why=_POSITIVE),
    "mfu": Bound(0.0, 1.0, low_open=True, what="utilisation", why=f"a share; {_POSITIVE}"),
    "price_per_gpu_hour": Bound(0.0, what="price", why="zero is donated compute"),
    "board_power_kw": Bound(0.0, low_open=True, what="power (kW)", why="a board draws power"),
    "pue": Bound(1.0, what="PUE", why="total power / IT power"),
    "reference_gpu_hours": Bound(0.0, low_open=True, what="GPU-hour count", why="a ratio's top"),
    # power
    "base_twh_2024": Bound(0.0, what="TWh", why="electricity used"),
    "growth_2024_2030": Bound(-1.0, low_open=True, what="growth rate", why="(1 + g)^t"),
    "growth_2030_2035": Bound(-1.0, low_open=True, what="growth rate", why="(1 + g)^t"),
    "ai_share_2024": _SHARE,
    "ai_share_2030": _SHARE,
    "efficiency_factor": Bound(0.0, low_open=True, what="factor", why="f^(e - 1)"),
    "rebound_elasticity": Bound(0.0, what="elasticity", why="demand ~ cost^-e, e >= 0"),
    "shock_year": _YEAR,
    "compute_share": _SHARE,
    "cooling_share": _SHARE,
    "network_share_of_other": _SHARE,
    "iown_start": _YEAR,
    "iown_midpoint": _YEAR,
    "iown_speed": Bound(0.0, low_open=True, what="speed (years)", why=_POSITIVE),
    "iown_saturation": _SHARE,
    "iown_reduction": Bound(1.0, what="reduction factor", why="power falls to 1/reduction"),
    "interconnect_share_of_compute": _SHARE,
    "interconnect_midpoint": _YEAR,
    # export controls
    "severity": Bound(0.0, what="severity", why="relative to an average past tightening"),
    "duration_years": Bound(0.0, what="duration (years)", why="years the loss lasts"),
    "valuation_years": Bound(0.0, low_open=True, what="number of years", why=_POSITIVE),
    "at_risk": _SHARE,
    "operating_leverage": Bound(0.0, what="leverage", why="profit moves with revenue"),
    "china_share": _SHARE,
    "reaction": Bound(why="an abnormal return; the price impact is floored at -100%"),
    "nikkei.level": Bound(0.0, low_open=True, what="index level", why="an index level"),
}


def bound_problem(
    dist: str, params: dict[str, float], bound: Bound
) -> tuple[str, float | str, str] | None:
    """What is wrong with a distribution against a range, or None.

    Parameters
    ----------
    dist : str
        The distribution (validated).
    params : dict
        Its parameters (validated: finite and in order).
    bound : Bound
        The input's range.

    Returns
    -------
    tuple of (str, float or str, str) or None
        The parameter at fault (``"dist"`` for a distribution that cannot fit), its value, and
        what is allowed.
    """
    if not bound.is_bounded:
        return None
    if dist == "normal" or (
        dist == "lognormal" and (bound.high is not None or (bound.low or 0.0) > 0.0)
    ):
        return (
            "dist",
            dist,
            f"a distribution whose every draw is {bound.noun} {bound.text()}: fixed, uniform, "
            "triangular or pert (a normal can draw any value, a lognormal any positive one)",
        )
    if dist == "lognormal":
        return None
    lo_key, hi_key = {
        "fixed": ("value", "value"),
        "uniform": ("low", "high"),
        "triangular": ("low", "high"),
        "pert": ("min", "max"),
    }[dist]
    lo, hi = params[lo_key], params[hi_key]
    if bound.low is not None and (lo < bound.low or (bound.low_open and lo == bound.low)):
        op = ">" if bound.low_open else ">="
        return lo_key, lo, f"{bound.noun} {op} {bound.low:g} for every draw"
    if bound.high is not None and hi > bound.high:
        return hi_key, hi, f"{bound.noun} <= {bound.high:g} for every draw"
    return None


def bounds_markdown() -> str:
    """The bounds table in Markdown, as docs/scenarios.md shows it."""
    lines = ["| input | allowed | what | why |", "|---|---|---|---|"]
    for name, b in INPUT_BOUNDS.items():
        lines.append(f"| `{name}` | {b.text()} | {b.what} | {b.why} |")
    return "\n".join(lines)
