"""Reading scenario specs (TOML) and checking them against their declared schemas."""

from __future__ import annotations

from typing import TypeVar

from ipposaki.scenario.bounds import INPUT_BOUNDS
from ipposaki.scenario.schema import ComputeCostSpec, ExportControlsSpec, PowerSpec
from ipposaki.schema import load_toml, validate

__all__ = ["INPUT_BOUNDS", "SPEC_MODELS", "check_spec", "load_toml"]

S = TypeVar("S", ComputeCostSpec, PowerSpec, ExportControlsSpec)

#: The schema of each kind of scenario spec.
SPEC_MODELS: dict[str, type[ComputeCostSpec | PowerSpec | ExportControlsSpec]] = {
    "compute_cost": ComputeCostSpec,
    "power": PowerSpec,
    "export_controls": ExportControlsSpec,
}


def check_spec(doc: object, model: type[S]) -> S:
    """Validate a parsed spec against its schema before any work.

    Parameters
    ----------
    doc : dict
        The parsed TOML.
    model : type
        One of :data:`SPEC_MODELS`.

    Returns
    -------
    ComputeCostSpec or PowerSpec or ExportControlsSpec
        The validated spec (an instance of ``model``).

    Raises
    ------
    InputError
        One line naming the first key that is not allowed (``scenario.seeed``,
        ``inputs.pue.low``), its value and what is allowed.
    """
    return validate(model, doc)
