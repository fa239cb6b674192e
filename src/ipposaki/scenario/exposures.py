"""The exposure table: each firm's China revenue share, its period, how well it is sourced.

A user-editable CSV or TOML file (the shipped one is ``ipposaki/data/exposures.csv``, the same
as ``examples/exposures.csv``; a scenario spec names its own with ``[scenario] exposures``).

CSV columns (one firm a line)::

    symbol,name,name_ja,china_share,china_share_low,china_share_high,period,status,grade,source

* ``china_share``: a share in [0, 1]. With ``china_share_low`` and ``china_share_high`` it is the
  mode of a triangular distribution; the two bounds alone give a uniform one. All three empty:
  no share (a scenario using the firm must give one).
* ``status``: how the number is backed, one of :data:`STATUSES`: ``filing`` (an annual report or
  an SEC filing), ``company`` (the company's own release or an executive quoted by name),
  ``press`` (a press article), ``secondary`` (a second-hand summary: verify before relying on
  it) or ``guess`` (no source: a user guess, shown as such everywhere).
* ``grade``: the grade of ``shared/facts/FACTS.md`` in its own words (``confirmed (filing)``…).
* ``name_ja``, ``china_share_low``, ``china_share_high`` and ``grade`` may be left out.

TOML: the same keys in ``[[firms]]`` tables; there ``china_share`` may also be a distribution
table (``{ dist = "pert", min = 0.2, mode = 0.3, max = 0.45 }``, see
:mod:`ipposaki.scenario.inputs`).
"""

from __future__ import annotations

import io
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ipposaki.errors import DataValidationError, InputError
from ipposaki.scenario.inputs import Input, parse_input

__all__ = ["COLUMNS", "STATUSES", "Exposures", "read_exposures", "shipped_exposures"]

#: How well a share is backed, best first.
STATUSES: tuple[str, ...] = ("filing", "company", "press", "secondary", "guess")
#: Columns of the table, in order.
COLUMNS: tuple[str, ...] = (
    "symbol",
    "name",
    "name_ja",
    "china_share",
    "china_share_low",
    "china_share_high",
    "distribution",
    "period",
    "status",
    "grade",
    "source",
)
_REQUIRED = ("symbol", "name", "period", "status", "source")


@dataclass(frozen=True)
class Exposures:
    """A parsed exposure table.

    Attributes
    ----------
    table : pandas.DataFrame
        :data:`COLUMNS`, one row per firm (``china_share`` the point value, mode or median;
        ``distribution`` as text).
    shares : dict
        Symbol -> the China share as an :class:`~ipposaki.scenario.inputs.Input` (None when the
        table gives none). A ``guess`` is sourced ``"user guess: …"``, so scenarios flag it.
    path : str
        Where the table came from.
    """

    table: pd.DataFrame
    shares: dict[str, Input | None]
    path: str

    def record(self, symbol: str) -> dict[str, Any] | None:
        """The row of ``symbol`` as a dict, or None."""
        rows = self.table.loc[self.table["symbol"] == symbol]
        return None if rows.empty else dict(rows.iloc[0])


def _text(value: Any) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    return str(value).strip()


def _share(where: str, value: Any) -> float | None:
    text = _text(value)
    if not text:
        return None
    try:
        share = float(text)
    except ValueError:
        raise InputError(where, value, "a share between 0 and 1") from None
    if not 0.0 <= share <= 1.0:
        raise InputError(where, share, "a share between 0 and 1")
    return share


def _row(where: str, raw: Mapping[str, Any]) -> tuple[dict[str, Any], Input | None]:
    """Validate one firm; ``where`` names the file and line (or table) for messages."""
    for key in _REQUIRED:
        if not _text(raw.get(key)):
            raise InputError(f"{where}: {key}", None, f"a {key} for every firm")
    symbol = _text(raw["symbol"])
    status = _text(raw["status"]).lower()
    if status not in STATUSES:
        raise InputError(f"{where}: status", raw["status"], f"one of {', '.join(STATUSES)}")
    source, period = _text(raw["source"]), _text(raw["period"])
    grade = _text(raw.get("grade"))
    graded = f"{status}, {grade}" if grade else status
    label = (
        f"user guess: {source} ({period})"
        if status == "guess"
        else f"{source} ({period}; {graded})"
    )
    share_raw = raw.get("china_share")
    low = high = point = None
    if isinstance(share_raw, Mapping):
        inp = parse_input(
            f"{where}: china_share", {**share_raw, "source": label}, (0.0, 1.0), "share"
        )
        low, high = inp.support()
        point = inp.quantile(0.5)
    else:
        point = _share(f"{where}: china_share", share_raw)
        low = _share(f"{where}: china_share_low", raw.get("china_share_low"))
        high = _share(f"{where}: china_share_high", raw.get("china_share_high"))
        if (low is None) != (high is None):
            raise InputError(
                f"{where}: china_share_low",
                low,
                "both china_share_low and china_share_high, or neither",
            )
        if low is not None and high is not None:
            if point is None:
                spec: dict[str, Any] = {"dist": "uniform", "low": low, "high": high}
            else:
                spec = {"dist": "triangular", "low": low, "mode": point, "high": high}
            inp = parse_input(
                f"{where}: china_share", {**spec, "source": label}, (0.0, 1.0), "share"
            )
            point = point if point is not None else inp.quantile(0.5)
        elif point is not None:
            inp = Input(name="china_share", dist="fixed", params={"value": point}, source=label)
        else:
            inp = None
    record = {
        "symbol": symbol,
        "name": _text(raw["name"]),
        "name_ja": _text(raw.get("name_ja")) or _text(raw["name"]),
        "china_share": np.nan if point is None else float(point),
        "china_share_low": np.nan if low is None else float(low),
        "china_share_high": np.nan if high is None else float(high),
        "distribution": "" if inp is None else inp.describe(),
        "period": period,
        "status": status,
        "grade": _text(raw.get("grade")),
        "source": source,
    }
    return record, inp


def _build(rows: list[tuple[str, Mapping[str, Any]]], path: str) -> Exposures:
    records, shares = [], {}
    for where, raw in rows:
        record, inp = _row(where, raw)
        if record["symbol"] in shares:
            raise InputError(f"{where}: symbol", record["symbol"], "each firm once")
        records.append(record)
        shares[record["symbol"]] = inp
    if not records:
        raise InputError("exposures", path, "a table with at least one firm")
    return Exposures(pd.DataFrame(records, columns=list(COLUMNS)), shares, path)


def _parse_csv(text: str, path: str) -> Exposures:
    try:
        frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise InputError("exposures", path, f"a CSV table ({exc})") from None
    missing = [
        c for c in ("symbol", "name", "china_share", "period", "status", "source") if c not in frame
    ]
    if missing:
        raise InputError(f"{path}: columns", list(frame.columns), f"a column {missing[0]!r}")
    unknown = sorted(set(frame.columns) - set(COLUMNS))
    if unknown:
        raise InputError(f"{path}: columns", unknown[0], f"one of {', '.join(COLUMNS)}")
    rows: list[tuple[str, Mapping[str, Any]]] = [
        (f"{path}, line {i + 2}", {str(k): v for k, v in r.items()})
        for i, r in enumerate(frame.to_dict("records"))
    ]
    return _build(rows, path)


def _parse_toml(text: str, path: str) -> Exposures:
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError("exposures", path, f"valid TOML ({exc})") from None
    firms = doc.get("firms")
    if not isinstance(firms, list) or not all(isinstance(f, dict) for f in firms):
        raise InputError(f"{path}: firms", firms, "[[firms]] tables")
    for i, firm in enumerate(firms):
        unknown = sorted(set(firm) - set(COLUMNS))
        if unknown:
            raise InputError(
                f"{path}, firms[{i}]: {unknown[0]}",
                firm[unknown[0]],
                f"one of {', '.join(COLUMNS)}",
            )
    return _build([(f"{path}, firms[{i}]", f) for i, f in enumerate(firms)], path)


def read_exposures(path: str | Path | None = None) -> Exposures:
    """Read an exposure table (CSV or TOML); None reads the shipped one.

    Raises
    ------
    InputError
        Naming the file and line: a missing file or column, an unknown status, a share outside
        [0, 1], a firm listed twice.
    """
    if path is None:
        return shipped_exposures()
    p = Path(path)
    if not p.is_file():
        raise InputError("exposures", str(p), "an existing CSV or TOML file")
    try:
        text = p.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        byte = exc.object[exc.start]
        raise DataValidationError(
            str(p), f"is not UTF-8 text (byte 0x{byte:02x} at {exc.start})"
        ) from None
    if p.suffix.lower() == ".toml":
        return _parse_toml(text, str(p))
    return _parse_csv(text, str(p))


@cache
def shipped_exposures() -> Exposures:
    """The shipped table (``ipposaki/data/exposures.csv``)."""
    text = resources.files("ipposaki").joinpath("data").joinpath("exposures.csv").read_text("utf-8")
    return _parse_csv(text, "ipposaki/data/exposures.csv")
