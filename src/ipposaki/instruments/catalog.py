"""Instruments and baskets: the built-in demo universe and user additions from TOML or CSV.

An **instrument** is a symbol with its metadata; a **basket** is a named group of symbols.
The built-in tables live in ``ipposaki/data/instruments.csv`` and ``ipposaki/data/baskets.toml``.
"""

from __future__ import annotations

import tomllib
import unicodedata
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
#: The longest symbol accepted (Yahoo's longest are ~20 characters).
MAX_SYMBOL_LENGTH = 32


def _cell_error(source: str, where: str, column: str, value: object, allowed: str) -> Exception:
    """A one-line error naming the file, the line (or TOML table), the column and the value."""
    return DataValidationError(
        source, f"{where}, column {column}: {value!r} is not allowed: expected {allowed}"
    )


def _symbol_problem(value: object) -> str | None:
    """What is wrong with a symbol cell, or None when it is a plausible symbol."""
    if not isinstance(value, str):
        return 'a symbol as a string, e.g. "7203.T" (quote it)'
    text = value.strip()
    if not text:
        return "a symbol, e.g. NVDA or 7203.T (the cell is blank)"
    if text.isdigit():
        return f"a Yahoo-style symbol, e.g. {text}.T for a Tokyo code (a bare number is ambiguous)"
    if len(text) > MAX_SYMBOL_LENGTH:
        return f"a symbol of at most {MAX_SYMBOL_LENGTH} characters"
    if any(ch.isspace() or unicodedata.category(ch) in _INVISIBLE for ch in text):
        return "a symbol without spaces, control or invisible characters"
    return None


#: Unicode categories that print as nothing: controls, formats (zero-width space U+200B, BOM
#: U+FEFF, right-to-left override U+202E), unassigned and private-use code points.
_INVISIBLE = frozenset({"Cc", "Cf", "Cn", "Co", "Cs"})


def _toml_line(text: str, header: str) -> int | None:
    """The line of a TOML table header such as ``[jp_semi]`` or ``[instruments."7203.T"]``."""

    def bare(value: str) -> str:
        return "".join(ch for ch in value if ch not in " \t\"'")

    want = f"[{bare(header)}]"
    for number, line in enumerate(text.splitlines(), start=1):
        if bare(line.split("#", 1)[0]) == want:
            return number
    return None


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise DataValidationError(
            str(path), f"byte {exc.start} is not UTF-8: expected a UTF-8 text file"
        ) from None


def _read_csv(path: Path) -> pd.DataFrame:
    """Read a small CSV of strings; blank cells stay empty strings (never "nan")."""
    import io

    text = _read_text(path)
    if not text.strip():
        raise DataValidationError(str(path), "the file is empty: expected a header line")
    import csv

    width = None
    reader = csv.reader(io.StringIO(text))
    try:
        for row in reader:
            if not row:
                continue
            if width is None:
                width = len(row)
            elif len(row) != width:
                raise DataValidationError(
                    str(path),
                    f"line {reader.line_num}: {len(row)} cells where the header has {width}: "
                    "expected one cell per column",
                )
    except csv.Error as exc:  # e.g. a cell over csv's field limit (131,072 characters)
        raise DataValidationError(
            str(path), f"line {reader.line_num}: {exc}: expected a CSV table of short cells"
        ) from None
    try:
        frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    except pd.errors.ParserError as exc:
        raise DataValidationError(
            str(path), f"not a CSV table: {' '.join(str(exc).split())}"
        ) from None
    dup = [c for c in frame.columns if "." in str(c) and str(c).rsplit(".", 1)[0] in frame.columns]
    if dup:
        name = str(dup[0]).rsplit(".", 1)[0]
        raise DataValidationError(
            str(path), f"line 1: column {name!r} appears twice: expected each column once"
        )
    frame.columns = [str(c).strip() for c in frame.columns]
    return frame


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


def _normalise_instruments(
    frame: pd.DataFrame, source: str, where: list[str] | None = None
) -> pd.DataFrame:
    if "symbol" not in frame.columns:
        raise DataValidationError(source, "missing required column 'symbol'")
    where = where if where is not None else [f"line {i + 2}" for i in range(len(frame))]
    for pos, value in enumerate(frame["symbol"].tolist()):
        problem = _symbol_problem(value)
        if problem:
            raise _cell_error(source, where[pos], "symbol", value, problem)
    for col in INSTRUMENT_COLUMNS:
        if col not in frame.columns:
            frame[col] = ""
    for col in INSTRUMENT_COLUMNS[1:]:
        for pos, value in enumerate(frame[col].tolist()):
            if not (isinstance(value, str) or value is None or value != value):  # NaN: blank
                raise _cell_error(source, where[pos], col, value, "text")
    frame = frame.loc[:, list(INSTRUMENT_COLUMNS)].fillna("").astype(str)
    frame["symbol"] = frame["symbol"].str.strip()
    frame.attrs = {"source": source, "where": list(where)}
    dup = frame["symbol"].duplicated()
    if dup.any():
        pos = int(dup.to_numpy().argmax())
        sym = frame["symbol"].iloc[pos]
        raise _cell_error(source, where[pos], "symbol", sym, "each symbol once (listed twice)")
    bad_x = ~frame["exchange"].isin([*EXCHANGES, ""])
    if bad_x.any():
        pos = int(bad_x.to_numpy().argmax())
        bad = frame.iloc[pos]
        raise DataValidationError(
            source,
            f"{where[pos]}, column exchange: symbol {bad['symbol']!r}: "
            f"exchange={bad['exchange']!r} is not allowed: "
            f"expected one of {', '.join(EXCHANGES)} or empty for FX",
        )
    missing_x = (frame["exchange"] == "") & (frame["kind"] != "fx")
    frame.loc[missing_x, "exchange"] = frame.loc[missing_x, "symbol"].map(guess_exchange)
    bad_kind = ~frame["kind"].isin([*_KINDS, ""])
    if bad_kind.any():
        pos = int(bad_kind.to_numpy().argmax())
        bad = frame.iloc[pos]
        raise DataValidationError(
            source,
            f"{where[pos]}, column kind: symbol {bad['symbol']!r}: kind={bad['kind']!r} is not "
            f"allowed: expected one of {', '.join(sorted(_KINDS))}",
        )
    frame = frame.reset_index(drop=True)
    frame.attrs = {"source": source, "where": list(where)}
    return frame


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
        text = _read_text(path)
        doc = _parse_toml(text, path)
        table = doc.get("instruments", {})
        if not isinstance(table, dict) or not table:
            raise DataValidationError(str(path), "expected [instruments.SYMBOL] tables")
        rows: list[dict[str, object]] = []
        where: list[str] = []
        for sym, fields in table.items():
            line = _toml_line(text, f'instruments."{sym}"') or _toml_line(
                text, f"instruments.{sym}"
            )
            where.append(f"line {line}" if line else f"[instruments.{sym}]")
            if not isinstance(fields, dict):
                raise _cell_error(str(path), where[-1], sym, fields, "a table of fields")
            unknown = sorted(set(fields) - set(INSTRUMENT_COLUMNS[1:]))
            if unknown:
                from ipposaki.errors import close_matches

                hint = close_matches(unknown[0], INSTRUMENT_COLUMNS[1:])
                raise _cell_error(
                    str(path),
                    where[-1],
                    unknown[0],
                    fields[unknown[0]],
                    f"one of the fields {', '.join(INSTRUMENT_COLUMNS[1:])}"
                    + (f" (did you mean {hint[0]}?)" if hint else ""),
                )
            rows.append({"symbol": sym, **fields})
        frame = pd.DataFrame(rows)
        return _normalise_instruments(frame, str(path), where)
    frame = _read_csv(path)
    unknown = [c for c in frame.columns if str(c).strip().lower() not in INSTRUMENT_COLUMNS]
    if unknown and "symbol" in frame.columns:  # without it, the missing column is the error
        from ipposaki.errors import close_matches

        hint = close_matches(str(unknown[0]), INSTRUMENT_COLUMNS)
        raise DataValidationError(
            str(path),
            f"line 1: unknown column {unknown[0]!r}: expected columns among "
            f"{', '.join(INSTRUMENT_COLUMNS)}" + (f" (did you mean {hint[0]}?)" if hint else ""),
        )
    return _normalise_instruments(frame, str(path))


def _parse_toml(text: str, path: Path) -> dict[str, object]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise DataValidationError(str(path), f"not valid TOML: {exc}") from None


def _baskets_from_toml(
    doc: dict[str, object], source: str, text: str | None = None
) -> pd.DataFrame:
    rows: list[dict[str, str]] = []
    where: list[str] = []
    for basket, spec in doc.items():
        line = _toml_line(text, basket) if text is not None else None
        at = f"line {line}" if line else f"[{basket}]"
        if not isinstance(spec, dict) or not isinstance(spec.get("symbols"), list):
            raise DataValidationError(source, f"{at}: [{basket}] needs a list 'symbols'")
        unknown = sorted(set(spec) - {"symbols", "name", "name_ja"})
        if unknown:
            raise _cell_error(
                source, at, unknown[0], spec[unknown[0]], "only symbols, name and name_ja"
            )
        if not spec["symbols"]:
            raise _cell_error(source, at, "symbols", [], "at least one symbol")
        for key in ("name", "name_ja"):
            if key in spec and not isinstance(spec[key], str):
                raise _cell_error(source, at, key, spec[key], "text")
        for sym in spec["symbols"]:
            problem = _symbol_problem(sym)
            if problem:
                raise _cell_error(source, at, "symbols", sym, problem)
            rows.append(
                {
                    "basket": basket,
                    "symbol": str(sym).strip(),
                    "name": str(spec.get("name", basket)),
                    "name_ja": str(spec.get("name_ja", spec.get("name", basket))),
                }
            )
            where.append(at)
    return _basket_frame(rows, where, source)


#: The longest basket name accepted.
MAX_BASKET_LENGTH = 64


def _basket_problem(name: str) -> str | None:
    """What is wrong with a basket name, or None.

    ``all`` is the whole sample's group (``--universe all``), a comma separates names in
    ``--basket a,b``, and a name is written into file paths and tables.

    Examples
    --------
    >>> _basket_problem("jp_semi") is None
    True
    >>> _basket_problem("all")
    "a name other than all (the whole sample's group)"
    """
    if name.lower() == "all":
        return "a name other than all (the whole sample's group)"
    if "," in name:
        return "a name without commas (they separate names in a list of baskets)"
    if any(ch.isspace() or unicodedata.category(ch) in _INVISIBLE for ch in name):
        return "a name without spaces, control or invisible characters, e.g. jp_semi"
    if len(name) > MAX_BASKET_LENGTH:
        return f"a name of at most {MAX_BASKET_LENGTH} characters"
    return None


def _basket_frame(rows: list[dict[str, str]], where: list[str], source: str) -> pd.DataFrame:
    for given, at in zip(rows, where, strict=True):
        problem = _basket_problem(given["basket"])
        if problem:
            raise _cell_error(source, at, "basket", given["basket"], problem)
    frame = pd.DataFrame(rows, columns=["basket", "symbol", "name", "name_ja"])
    dup = frame.duplicated(["basket", "symbol"])
    if dup.any():
        pos = int(dup.to_numpy().argmax())
        row = frame.iloc[pos]
        raise _cell_error(
            source,
            where[pos],
            "symbol",
            row["symbol"],
            f"each symbol once per basket ([{row['basket']}] lists it twice)",
        )
    frame.attrs = {"source": source, "where": list(where)}
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
        text = _read_text(path)
        return _baskets_from_toml(_parse_toml(text, path), str(path), text)
    frame = _read_csv(path)
    for col in ("basket", "symbol"):
        if col not in frame.columns:
            raise DataValidationError(str(path), f"line 1: missing required column {col!r}")
    unknown = [c for c in frame.columns if c not in ("basket", "symbol", "name", "name_ja")]
    if unknown:
        raise DataValidationError(
            str(path),
            f"line 1: unknown column {unknown[0]!r}: expected columns among basket, symbol, "
            "name, name_ja",
        )
    rows: list[dict[str, str]] = []
    where: list[str] = []
    for pos, rec in enumerate(frame.to_dict("records")):
        at = f"line {pos + 2}"
        basket = str(rec["basket"]).strip()
        if not basket:
            raise _cell_error(str(path), at, "basket", rec["basket"], "a basket name (blank)")
        problem = _symbol_problem(rec["symbol"])
        if problem:
            raise _cell_error(str(path), at, "symbol", rec["symbol"], problem)
        name = str(rec.get("name", "") or "").strip() or basket
        rows.append(
            {
                "basket": basket,
                "symbol": str(rec["symbol"]).strip(),
                "name": name,
                "name_ja": str(rec.get("name_ja", "") or "").strip() or name,
            }
        )
        where.append(at)
    if not rows:
        raise DataValidationError(str(path), "no rows: expected basket,symbol rows")
    frame = _basket_frame(rows, where, str(path))
    # A basket takes its name from its first row, as before.
    first = frame.groupby("basket", sort=False)[["name", "name_ja"]].transform("first")
    frame[["name", "name_ja"]] = first
    frame.attrs = {"source": str(path), "where": list(where)}
    return frame
