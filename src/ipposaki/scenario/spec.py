"""Reading scenario specs (TOML) and checking them against their declared schemas."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any, TypeVar

from ipposaki.errors import InputError
from ipposaki.scenario.bounds import INPUT_BOUNDS
from ipposaki.scenario.schema import ComputeCostSpec, ExportControlsSpec, PowerSpec
from ipposaki.schema import validate

__all__ = ["INPUT_BOUNDS", "SPEC_MODELS", "check_spec", "load_toml"]

S = TypeVar("S", ComputeCostSpec, PowerSpec, ExportControlsSpec)

#: The schema of each kind of scenario spec.
SPEC_MODELS: dict[str, type[ComputeCostSpec | PowerSpec | ExportControlsSpec]] = {
    "compute_cost": ComputeCostSpec,
    "power": PowerSpec,
    "export_controls": ExportControlsSpec,
}


def load_toml(path: str | Path) -> dict[str, Any]:
    """Read a TOML spec; a missing file, bad TOML or a non-UTF-8 file is a one-line error.

    Parameters
    ----------
    path : str or pathlib.Path
        The file.

    Returns
    -------
    dict
        The parsed TOML.

    Raises
    ------
    InputError
        Naming ``SPEC`` and the file.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError("SPEC", str(path), "an existing TOML file")
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise InputError("SPEC", str(path), f"valid TOML ({exc})") from None
    except UnicodeDecodeError as exc:
        raise InputError(
            "SPEC", str(path), f"a UTF-8 text file (byte {exc.start} is not UTF-8)"
        ) from None


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
