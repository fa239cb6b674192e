"""Reading scenario specs (TOML): the shared ``[scenario]`` table and typed inputs."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from ipposaki.errors import InputError
from ipposaki.scenario.inputs import Input, parse_input

__all__ = ["INPUT_BOUNDS", "load_toml", "read_inputs", "run_settings"]

#: Allowed range and unit of each kind of input, by name suffix.
INPUT_BOUNDS: dict[str, tuple[tuple[float | None, float | None], str]] = {
    "share": ((0.0, 1.0), "share"),
    "twh": ((0.0, None), "TWh"),
}


def load_toml(path: str | Path) -> dict[str, Any]:
    """Read a TOML spec; a missing file or bad TOML is a one-line error."""
    path = Path(path)
    if not path.is_file():
        raise InputError("SPEC", str(path), "an existing TOML file")
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise InputError("SPEC", str(path), f"valid TOML ({exc})") from None


def run_settings(doc: dict[str, Any]) -> tuple[str, int, int]:
    """Title, seed and number of draws from ``[scenario]``."""
    table = doc.get("scenario", {})
    title = str(table.get("title", doc.get("title", "scenario")))
    seed = table.get("seed", 0)
    draws = table.get("draws", 10_000)
    if not isinstance(seed, int) or seed < 0:
        raise InputError("scenario.seed", seed, "a non-negative integer")
    if not isinstance(draws, int) or draws < 100:
        raise InputError("scenario.draws", draws, "an integer >= 100")
    return title, seed, draws


def read_inputs(
    table: dict[str, Any], prefix: str, expected: dict[str, str], optional: tuple[str, ...] = ()
) -> dict[str, Input]:
    """Parse the inputs a model needs from one TOML table.

    Parameters
    ----------
    table : dict
        The TOML table (e.g. ``doc["inputs"]``).
    prefix : str
        Its key, for messages (``"inputs"``).
    expected : dict
        Input name -> kind (``"share"``, ``"twh"`` or ``"value"``).
    optional : tuple of str
        Inputs that may be left out.

    Returns
    -------
    dict[str, Input]
        The inputs.
    """
    unknown = sorted(set(table) - set(expected))
    if unknown:
        raise InputError(f"{prefix}.{unknown[0]}", table[unknown[0]], f"one of {sorted(expected)}")
    out = {}
    for name, kind in expected.items():
        if name not in table:
            if name in optional:
                continue
            raise InputError(f"{prefix}.{name}", None, f"a value or a distribution for {name}")
        bounds, what = INPUT_BOUNDS.get(kind, ((None, None), "value"))
        out[name] = parse_input(f"{prefix}.{name}", table[name], bounds, what)
    return out
