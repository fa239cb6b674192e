"""Instruments and baskets: the built-in demo universe and user additions from TOML or CSV.

An **instrument** is a symbol with its metadata; a **basket** is a named group of symbols.
The built-in tables live in ``ipposaki/data/instruments.csv`` and ``ipposaki/data/baskets.toml``.
"""

from __future__ import annotations

import tomllib
from functools import cache
from importlib import resources
from pathlib import Path

import pandas as pd

from ipposaki.calendars import EXCHANGES
from ipposaki.errors import DataValidationError, InputError

__all__ = [
    "INSTRUMENT_COLUMNS",
    "builtin_baskets",
    "builtin_instruments",
    "guess_exchange",
    "read_baskets",
    "read_instruments",
]

#: Columns of the instruments table, in order.
INSTRUMENT_COLUMNS: tuple[str, ...] = (
    "symbol",
    "name",
    "name_ja",
    "exchange",
    "currency",
    "country",
    "kind",
    "sector",
    "benchmark",
)
_KINDS = {"stock", "etf", "index", "fx", "future", "bond", "other"}


def _package_file(name: str) -> str:
    return resources.files("ipposaki").joinpath("data").joinpath(name).read_text(encoding="utf-8")


@cache
def _builtin_instruments() -> pd.DataFrame:
    import io

    frame = pd.read_csv(io.StringIO(_package_file("instruments.csv")), dtype=str)
    return _normalise_instruments(frame.fillna(""), "ipposaki/data/instruments.csv")


def builtin_instruments() -> pd.DataFrame:
    """Return the built-in instruments of the demo universe.

    Returns
    -------
    pandas.DataFrame
        One row per symbol with the columns of :data:`INSTRUMENT_COLUMNS`; empty strings where a
        field does not apply (an FX rate has no exchange).
    """
    return _builtin_instruments().copy()


@cache
def _builtin_baskets() -> pd.DataFrame:
    return _baskets_from_toml(tomllib.loads(_package_file("baskets.toml")), "baskets.toml")


def builtin_baskets() -> pd.DataFrame:
    """Return the built-in baskets as a tidy table.

    Returns
    -------
    pandas.DataFrame
        Columns ``basket``, ``symbol``, ``name``, ``name_ja``; one row per member.
    """
    return _builtin_baskets().copy()


def guess_exchange(symbol: str) -> str:
    """Guess the exchange of a symbol that is not in any instruments table.

    Yahoo-style suffixes decide: ``.T`` is Tokyo; FX-looking ids (``=X``, FRED ``DEX…``) have no
    exchange (empty string); everything else is taken as a US listing on XNYS's calendar.

    Parameters
    ----------
    symbol : str
        Yahoo-style symbol.

    Returns
    -------
    str
        ISO MIC, or ``""`` for an FX series.
    """
    upper = symbol.upper()
    if upper.endswith(".T") or upper in {"^N225", "^TOPX", "^TPX"}:
        return "XTKS"
    if upper.endswith("=X") or upper.startswith("DEX"):
        return ""
    return "XNYS"


def _normalise_instruments(frame: pd.DataFrame, source: str) -> pd.DataFrame:
    if "symbol" not in frame.columns:
        raise DataValidationError(source, "missing required column 'symbol'")
    for col in INSTRUMENT_COLUMNS:
        if col not in frame.columns:
            frame[col] = ""
    frame = frame.loc[:, list(INSTRUMENT_COLUMNS)].fillna("").astype(str)
    frame["symbol"] = frame["symbol"].str.strip()
    blank = frame["symbol"] == ""
    if blank.any():
        line = int(blank.to_numpy().argmax()) + 2
        raise DataValidationError(source, f"row {line}: symbol is empty")
    dup = frame["symbol"].duplicated()
    if dup.any():
        sym = frame.loc[dup, "symbol"].iloc[0]
        raise DataValidationError(source, f"symbol {sym!r} is listed twice")
    bad_x = ~frame["exchange"].isin([*EXCHANGES, ""])
    if bad_x.any():
        bad = frame.loc[bad_x].iloc[0]
        raise DataValidationError(
            source,
            f"symbol {bad['symbol']!r}: exchange={bad['exchange']!r} is not allowed: "
            f"expected one of {', '.join(EXCHANGES)} or empty for FX",
        )
    missing_x = (frame["exchange"] == "") & (frame["kind"] != "fx")
    frame.loc[missing_x, "exchange"] = frame.loc[missing_x, "symbol"].map(guess_exchange)
    bad_kind = ~frame["kind"].isin([*_KINDS, ""])
    if bad_kind.any():
        bad = frame.loc[bad_kind].iloc[0]
        raise DataValidationError(
            source,
            f"symbol {bad['symbol']!r}: kind={bad['kind']!r} is not allowed: "
            f"expected one of {', '.join(sorted(_KINDS))}",
        )
    return frame.reset_index(drop=True)


def read_instruments(path: str | Path) -> pd.DataFrame:
    """Read user instruments from a CSV (one row per symbol) or a TOML file.

    The TOML layout is one table per symbol::

        [instruments."7013.T"]
        name = "IHI"
        exchange = "XTKS"
        currency = "JPY"

    Parameters
    ----------
    path : str or pathlib.Path
        The file.

    Returns
    -------
    pandas.DataFrame
        Instruments with the columns of :data:`INSTRUMENT_COLUMNS`.

    Raises
    ------
    DataValidationError
        If the file is malformed, a symbol repeats, or an exchange is unknown.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError("path", str(path), "an existing CSV or TOML file")
    if path.suffix.lower() == ".toml":
        try:
            doc = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise DataValidationError(str(path), f"not valid TOML: {exc}") from None
        table = doc.get("instruments", {})
        if not isinstance(table, dict) or not table:
            raise DataValidationError(str(path), "expected [instruments.SYMBOL] tables")
        rows = [{"symbol": sym, **fields} for sym, fields in table.items()]
        frame = pd.DataFrame(rows)
    else:
        frame = pd.read_csv(path, dtype=str)
    return _normalise_instruments(frame, str(path))


def _baskets_from_toml(doc: dict[str, object], source: str) -> pd.DataFrame:
    rows: list[dict[str, str]] = []
    for basket, spec in doc.items():
        if not isinstance(spec, dict) or not isinstance(spec.get("symbols"), list):
            raise DataValidationError(source, f"[{basket}] needs a list 'symbols'")
        for sym in spec["symbols"]:
            rows.append(
                {
                    "basket": basket,
                    "symbol": str(sym),
                    "name": str(spec.get("name", basket)),
                    "name_ja": str(spec.get("name_ja", spec.get("name", basket))),
                }
            )
    frame = pd.DataFrame(rows, columns=["basket", "symbol", "name", "name_ja"])
    dup = frame.duplicated(["basket", "symbol"])
    if dup.any():
        row = frame.loc[dup].iloc[0]
        raise DataValidationError(source, f"[{row['basket']}] lists {row['symbol']!r} twice")
    return frame


def read_baskets(path: str | Path) -> pd.DataFrame:
    """Read user baskets from TOML (``[name] symbols = [...]``) or CSV (``basket,symbol``).

    Parameters
    ----------
    path : str or pathlib.Path
        The file.

    Returns
    -------
    pandas.DataFrame
        Columns ``basket``, ``symbol``, ``name``, ``name_ja``.

    Raises
    ------
    DataValidationError
        If the file is malformed or lists a symbol twice in one basket.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError("path", str(path), "an existing CSV or TOML file")
    if path.suffix.lower() == ".toml":
        try:
            doc = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise DataValidationError(str(path), f"not valid TOML: {exc}") from None
        return _baskets_from_toml(doc, str(path))
    frame = pd.read_csv(path, dtype=str)
    for col in ("basket", "symbol"):
        if col not in frame.columns:
            raise DataValidationError(str(path), f"missing required column {col!r}")
    for col in ("name", "name_ja"):
        if col not in frame.columns:
            frame[col] = frame["basket"]
    grouped: dict[str, object] = {}
    for basket, grp in frame.groupby("basket", sort=False):
        grouped[str(basket)] = {
            "symbols": grp["symbol"].tolist(),
            "name": grp["name"].iloc[0],
            "name_ja": grp["name_ja"].iloc[0],
        }
    return _baskets_from_toml(grouped, str(path))
