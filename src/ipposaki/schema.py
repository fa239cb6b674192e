"""Declared schemas for TOML specs, and the one-line error a failed schema becomes.

Specs are validated with pydantic models built on :class:`Table`: values are typed strictly
(a TOML string is not a number, ``true`` is not an integer), numbers must be finite (TOML allows
``nan`` and ``inf``), and a key the table does not declare is refused with the close matches.
:func:`validate` runs a model and turns the first problem into one
:class:`~ipposaki.errors.InputError` naming the TOML key path (``scenario.seeed``,
``inputs.pue.low``, ``events[0].id``), the value and what is allowed.

A validator that needs its own words raises :func:`refuse`: its ``key`` extends the path (a
model-level check can name the field it is about) and ``allowed`` is the message's last part.
A validator may also call one of ipposaki's parsers (``parse_window``): the
:class:`~ipposaki.errors.InputError` it raises, which names its own argument, is passed on as is.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError, model_validator
from pydantic_core import PydanticCustomError

from ipposaki.errors import InputError, close_matches

__all__ = ["Table", "input_error", "key_path", "known_keys", "load_toml", "refuse", "validate"]

M = TypeVar("M", bound=BaseModel)

_MISSING = object()

#: What a pydantic error type means, in the words of the message's "expected ..." part.
_ALLOWED: dict[str, str] = {
    "int_type": "an integer",
    "int_parsing": "an integer",
    "float_type": "a number",
    "float_parsing": "a number",
    "finite_number": "a finite number (not nan or inf)",
    "string_type": "a string",
    "bool_type": "true or false",
    "list_type": "a list",
    "dict_type": "a table",
    "model_type": "a table",
    "model_attributes_type": "a table",
    "missing": "a value (this key is required)",
    "too_short": "at least {min_length} item(s)",
    "too_long": "at most {max_length} item(s)",
    "string_too_short": "a non-empty string",
    "greater_than": "a number > {gt}",
    "greater_than_equal": "a number >= {ge}",
    "less_than": "a number < {lt}",
    "less_than_equal": "a number <= {le}",
    "literal_error": "one of {expected}",
}


class Table(BaseModel):
    """A TOML table: strict types, finite numbers, no undeclared keys (with a did-you-mean).

    Subclasses declare their keys as fields; a field's alias is its TOML key when they differ.
    """

    model_config = ConfigDict(
        strict=True, extra="forbid", allow_inf_nan=False, frozen=True, populate_by_name=False
    )

    @model_validator(mode="before")
    @classmethod
    def _refuse_unknown_keys(cls, data: Any) -> Any:
        if isinstance(data, Mapping):
            known = known_keys(cls)
            for key in data:
                if key not in known:
                    refuse(_keys_hint(str(key), known), key=str(key), value=data[key])
        return data


def known_keys(model: type[BaseModel]) -> list[str]:
    """The TOML keys a model declares (aliases where given), in declaration order.

    Parameters
    ----------
    model : type of pydantic.BaseModel
        The table's model.

    Returns
    -------
    list of str
        Its keys.
    """
    return [f.alias or name for name, f in model.model_fields.items()]


def _keys_hint(key: str, known: Sequence[str]) -> str:
    hint = close_matches(key, list(known))
    return f"one of {', '.join(known)}" + (f" (did you mean {hint[0]}?)" if hint else "")


def refuse(allowed: str, *, key: str | int | None = None, value: object = _MISSING) -> None:
    """Fail a validator with a message of our own.

    Parameters
    ----------
    allowed : str
        What would be accepted (the message ends ``expected <allowed>``).
    key : str or int, optional
        A key below the validated one that the problem is about (e.g. ``"low"``, or an item's
        position in a list).
    value : object, optional
        The value to show, when it is not the validated input itself.

    Raises
    ------
    pydantic_core.PydanticCustomError
        Always; :func:`input_error` reads it back.
    """
    ctx: dict[str, Any] = {"allowed": allowed}
    if key is not None:
        ctx["key"] = key
    if value is not _MISSING:
        ctx["value"] = value
    raise PydanticCustomError("ipposaki", "{allowed}", ctx)


def key_path(loc: Sequence[str | int], prefix: str = "") -> str:
    """``("events", 0, "id")`` -> ``events[0].id`` (after ``prefix`` when given).

    Parameters
    ----------
    loc : sequence of str or int
        A pydantic error location.
    prefix : str, default ""
        The path of the validated table itself, e.g. ``"[study]"``.

    Returns
    -------
    str
        The TOML key path.
    """
    path = prefix
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path


def input_error(exc: ValidationError, prefix: str = "") -> InputError:
    """The first problem of a pydantic ``ValidationError`` as one :class:`InputError`.

    Parameters
    ----------
    exc : pydantic.ValidationError
        What the model raised.
    prefix : str, default ""
        The path of the validated table (``""`` for a whole spec).

    Returns
    -------
    InputError
        ``<key path>=<value> is not allowed: expected <what is allowed>``.
    """
    err = exc.errors(include_url=False)[0]
    ctx = dict(err.get("ctx") or {})
    if isinstance(ctx.get("error"), InputError):  # a parser of ours, run inside a validator
        return ctx["error"]
    loc = list(err["loc"])
    if "key" in ctx:
        loc.append(ctx["key"])
    value = ctx.get("value", err.get("input"))
    if err["type"] == "missing":
        value = None
    if "allowed" in ctx:
        allowed = str(ctx["allowed"])
    else:
        template = _ALLOWED.get(err["type"])
        try:
            allowed = template.format(**ctx) if template else err["msg"]
        except KeyError:  # pragma: no cover - a context without the template's field
            allowed = err["msg"]
    return InputError(key_path(loc, prefix), value, allowed)


def validate(model: type[M], data: object, prefix: str = "") -> M:
    """Validate ``data`` against ``model``; the first problem is one :class:`InputError`.

    Parameters
    ----------
    model : type of pydantic.BaseModel
        The declared schema.
    data : object
        The parsed TOML (a table).
    prefix : str, default ""
        The key path of ``data`` in its file, for messages.

    Returns
    -------
    pydantic.BaseModel
        The validated table.

    Raises
    ------
    InputError
        Naming the key path, the value and what is allowed.
    """
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise input_error(exc, prefix) from None


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
