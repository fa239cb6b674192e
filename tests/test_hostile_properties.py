"""Property-based hostile inputs (issue #15): generated price files, events files, specs and
event catalogues.

The table-driven suite (``test_hostile_inputs.py``) tries one malformed input at a time; these
tests let hypothesis mix valid rows with corruptions and hold every command to the same rules:

* the exit code is 0 (the input is fine) or 2 (the user's input), never 1 (a bug);
* on 2: exactly one line on stderr, starting ``error:``, without ``internal error`` or a
  traceback; the store is byte-for-byte as it was and nothing is written in ``--out``;
* on 0: the store (import) holds every generated row and no other row changed; a study
  accounts for every event it was given (studied or listed as excluded).

Where the generator knows an input is fatal (a negative price, a weekend date, an unknown
key) it also demands exit code 2, and where it knows the input is fine (a BOM, CRLF, an exact
duplicate row) it demands 0. What is fatal or fine comes from the documented rules (module
docstrings of ``sources/files.py``, ``store/validate.py``, ``study/io.py``, ``study/spec.py``),
never from running the code. The session dates below are from the NYSE and JPX holiday
calendars for 2025 (both exchanges trade on every date listed).

Every kind of price-file problem runs on each run (one parametrised test per kind), so a
corruption is never left out by chance. Hypothesis runs derandomised with a bounded number of
examples, so CI sees the same inputs every run; the whole file takes well under a minute.

Invisible characters in symbols and an infinite or huge volume, once accepted by the import
(found here, fixed in instruments/catalog.py and store/validate.py), are generated too.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from hypothesis.control import currently_in_test_context

from conftest import file_digest
from hostile_cases import build_template
from ipposaki.cli.main import run

#: Sessions of both XNYS and XTKS (no holiday on either): inside the template store's range
#: (2024-01-02 to 2025-02-28, so these rows replace stored ones) and after it (new rows).
#: 2025-02-11 is left out (a Tokyo holiday), as is 2025-02-17 (Presidents' Day in New York).
SESSIONS = (
    "2025-02-03",
    "2025-02-04",
    "2025-02-05",
    "2025-02-06",
    "2025-02-07",
    "2025-02-12",
    "2025-02-13",
    "2025-02-14",
    "2025-03-03",
    "2025-03-04",
    "2025-03-05",
    "2025-03-06",
    "2025-03-07",
    "2025-03-10",
    "2025-03-11",
)
#: Saturdays and Sundays: a session of no exchange.
WEEKENDS = ("2025-02-01", "2025-02-02", "2025-02-08", "2025-03-08", "2025-03-09")
#: Symbols on an exchange (so their dates are checked against its sessions): stored ones, new
#: ones that the ``.T`` suffix puts in Tokyo, and letters in other scripts (plausible names).
SYMBOLS = ("NVDA", "AVGO", "^GSPC", "8035.T", "7203.T", "^N225", "ZZQX", "株式", "NVDÄ", "Ωmega")
SETTINGS = settings(
    max_examples=50,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def one_in(draw: st.DrawFn, n: int) -> bool:
    """True about once in ``n`` draws (a middle value: hypothesis favours 0 and the bounds)."""
    return draw(st.integers(0, n - 1)) == n // 2


# -- running the CLI -------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    """What one command did: exit code and stderr lines (progress notes left out)."""

    code: int
    err: list[str]
    out: str = ""


def cli(args: list[str]) -> Outcome:
    """Run ``ipposaki ARGS`` in this process, as test_hostile_inputs.py does."""
    err, out = io.StringIO(), io.StringIO()
    with redirect_stderr(err), redirect_stdout(out):
        code = run(args)
    lines = [line for line in err.getvalue().strip().splitlines() if not line.startswith("... ")]
    if currently_in_test_context():  # hypothesis statistics: how many examples pass
        event(f"exit {code}")
    return Outcome(code, lines, out.getvalue())


def assert_well_behaved(outcome: Outcome, args: list[str]) -> None:
    """Exit 0 or 2, and on 2 one line ``error: ...`` that is no internal error."""
    assert outcome.code in (0, 2), (args, outcome)
    text = "\n".join(outcome.err)
    assert "Traceback" not in text and "internal error" not in text, (args, outcome)
    if outcome.code == 2:
        assert len(outcome.err) == 1, (args, outcome)
        assert outcome.err[0].startswith("error: "), (args, outcome)


def nothing_written(out: Path) -> bool:
    """True when the output folder does not exist or is empty."""
    return not out.exists() or not any(out.iterdir())


@dataclass(frozen=True)
class Template:
    """The template store, its rows (by symbol and session) and the long CSV it was built from."""

    store: Path
    rows: pd.DataFrame = field(repr=False)
    prices_csv: Path = field(repr=False)


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Template:
    """A small store, built once: ten symbols on their own sessions, 2024-01 to 2025-02."""
    store = build_template(tmp_path_factory.mktemp("hostile_properties"))
    return Template(store, stored_rows(store), store.parent / "prices.csv")


@pytest.fixture(scope="module", autouse=True)
def _environment() -> Iterator[None]:
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("IPPOSAKI_DEBUG", raising=False)
        mp.setenv("IPPOSAKI_LOCK_TIMEOUT", "1")
        yield


class Workspace:
    """A fresh folder with a copy of the template store, for one example."""

    def __init__(self, template: Template) -> None:
        self._tmp = tempfile.TemporaryDirectory(prefix="ipposaki-prop-")
        self.dir = Path(self._tmp.name)
        self.store = self.dir / "store.duckdb"
        shutil.copyfile(template.store, self.store)
        self.out = self.dir / "out"

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, *exc: object) -> None:
        self._tmp.cleanup()

    def write(self, name: str, content: str | bytes) -> Path:
        path = self.dir / name
        path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
        return path


# -- (a) price files -------------------------------------------------------------------------

PRICE_FIELDS = ("open", "high", "low", "close", "adj_close", "volume")


@dataclass(frozen=True)
class PriceRow:
    """One generated row: its cells by column, and what is stored when all is well."""

    cells: dict[str, str]
    symbol: str
    session: str
    values: dict[str, float]


@dataclass(frozen=True)
class PriceFile:
    """A generated long price file: header, rows, the corruption (if any), and the bytes."""

    columns: tuple[str, ...]
    rows: tuple[PriceRow, ...]
    fatal: str | None = None
    benign: tuple[str, ...] = ()
    lines: tuple[str, ...] = field(default=())
    raw: bytes | None = None

    def text(self, newline: str = "\n") -> str:
        return newline.join(self.lines) + newline


@st.composite
def number_text(draw: st.DrawFn, value: float) -> str:
    """A positive number as a file may write it: fixed, shortest repr, exponent, a plus sign."""
    form = draw(st.sampled_from(["fixed", "repr", "exponent", "plus", "padded"]))
    if form == "fixed":
        return f"{value:.4f}"
    if form == "exponent":
        return f"{value:.16e}"  # 17 significant digits: the same float
    if form == "plus":
        return f"+{value!r}"
    if form == "padded":
        return f" {value!r} "
    return repr(value)


@st.composite
def valid_rows(draw: st.DrawFn, columns: tuple[str, ...]) -> tuple[PriceRow, ...]:
    """Rows with one (symbol, session) each, positive prices and high >= low."""
    keys = draw(
        st.lists(
            st.tuples(st.sampled_from(SYMBOLS), st.sampled_from(SESSIONS)),
            min_size=1,
            max_size=8,
            unique=True,
        )
    )
    rows = []
    for symbol, session in keys:
        close = draw(st.floats(0.5, 50_000.0, allow_nan=False))
        spread = draw(st.floats(0.0, 0.05))
        values = {  # rounded first, so that high >= low holds for the numbers written
            "close": round(close, 4),
            "low": round(close * (1 - spread), 4),
            "high": round(close * (1 + spread), 4),
            "open": round(close * (1 + spread / 2), 4),
            "adj_close": round(close * draw(st.sampled_from([1.0, 0.98])), 4),
            "volume": float(draw(st.integers(0, 10**9))),
        }
        cells = {"date": session, "symbol": symbol}
        kept: dict[str, float] = {}
        for col in columns:
            if col in PRICE_FIELDS:
                if col == "volume":
                    text = str(int(values[col]))
                else:
                    text = draw(number_text(values[col]))
                cells[col] = text
                kept[col] = float(text)
        rows.append(PriceRow(cells, symbol, session, kept))
    return tuple(rows)


#: Cells that are not a number (the first bad cell is named, file and line).
NOT_NUMBERS = ("abc", "n/a", "-", '"1,5"', "１２", "0x1F", "$5", "nan", "NaN", "5 apples", "1_0")
#: Dates that are not YYYY-MM-DD, not a date at all, or outside the calendars.
BAD_DATES = (
    "03/02/2025",
    "2025/02/03",
    "20250203",
    "Feb 3 2025",
    "2025-2-3",
    "2025-02-03T00:00",
    "2025-02-30",
    "2025-13-01",
    "1800-01-06",
    "2200-01-04",
    "",
)
#: Symbols that are not allowed: blank, spaces, control or invisible characters inside (zero
#: width space, a BOM inside a cell, a right-to-left override), a bare number, longer than 32
#: characters.
BAD_SYMBOLS = (
    "",
    "NV DA",
    "NV\tDA",
    "NV\x01DA",
    "7203",
    "X" * 33,
    '"NV\nDA"',
    "NV\u3000DA",
    "NV\u200bDA",
    "\ufeffNVDA",
    "\u202eNVDA",
)
#: Header problems: a required column missing, or a column twice.
BAD_HEADERS = ("no-date", "no-symbol", "no-price", "twice")


#: Row corruptions, each of which makes the file one that must be refused.
ROW_PROBLEMS = (
    "blank-price",
    "not-a-number",
    "non-positive",
    "huge",
    "high-below-low",
    "negative-volume",
    "bad-date",
    "weekend",
    "conflicting-duplicate",
    "ragged-long",
    "ragged-short",
    "bad-symbol",
)
#: Every problem a generated price file can have (one at most), besides none at all.
PRICE_PROBLEMS = (*ROW_PROBLEMS, *BAD_HEADERS, "not-utf8", "no-rows")


def _corrupt(
    draw: st.DrawFn, kind: str, columns: tuple[str, ...], rows: list[dict[str, str]]
) -> None:
    """Change one row (or add one) so that the file must be refused."""
    at = draw(st.integers(0, len(rows) - 1))
    row = rows[at]
    prices = [c for c in columns if c in PRICE_FIELDS and c != "volume"]
    closes = [c for c in ("close", "adj_close") if c in columns]
    if kind == "blank-price":
        for col in closes:
            row[col] = draw(st.sampled_from(["", " "]))
    elif kind == "not-a-number":
        row[draw(st.sampled_from([*prices, *(["volume"] if "volume" in columns else [])]))] = draw(
            st.sampled_from(NOT_NUMBERS)
        )
    elif kind == "non-positive":
        row[draw(st.sampled_from(prices))] = draw(st.sampled_from(["0", "-3", "-0.01", "-inf"]))
    elif kind == "huge":
        sizes = ["1e300", "2e9", "inf"]
        if "volume" in columns and draw(st.booleans()):
            row["volume"] = draw(st.sampled_from(["1e300", "2e14", "inf"]))
        else:
            row[draw(st.sampled_from(prices))] = draw(st.sampled_from(sizes))
    elif kind == "high-below-low":
        row["high"], row["low"] = "100", "120"
    elif kind == "negative-volume":
        row["volume"] = "-5"
    elif kind == "bad-date":
        row["date"] = draw(st.sampled_from(BAD_DATES))
    elif kind == "weekend":
        row["date"] = draw(st.sampled_from(WEEKENDS))
    elif kind == "conflicting-duplicate":
        twin = dict(row)
        col = draw(st.sampled_from(closes))
        twin[col] = f"{float(row[col]) + 1.0:.4f}"
        rows.insert(draw(st.integers(0, len(rows))), twin)
    elif kind == "ragged-long":
        row["__extra__"] = "7"
    elif kind == "ragged-short":
        row.pop(columns[-1])
    else:
        row["symbol"] = draw(st.sampled_from(BAD_SYMBOLS))


def _line(columns: tuple[str, ...], row: dict[str, str]) -> str:
    cells = [row[c] for c in columns if c in row]
    if "__extra__" in row:
        cells.append(row["__extra__"])
    return ",".join(cells)


def _header(draw: st.DrawFn, columns: tuple[str, ...], fatal: str | None) -> list[str]:
    """Header cells in any case, ``session`` for ``date`` at times; a header problem if asked."""
    names = {"date": draw(st.sampled_from(["date", "session"]))}
    header = [
        draw(st.sampled_from([n, n.upper(), n.title()])) for n in (names.get(c, c) for c in columns)
    ]
    if fatal == "no-date":
        header[columns.index("date")] = "day"
    elif fatal == "no-symbol":
        header[columns.index("symbol")] = "ticker"
    elif fatal == "no-price":
        for col in ("close", "adj_close"):
            if col in columns:
                header[columns.index(col)] = f"{col}_x"
    elif fatal == "twice":
        other = draw(st.sampled_from([c for c in columns if c != "date"]))
        header[columns.index("date")] = other.upper()
    return header


@st.composite
def price_files(draw: st.DrawFn, problem: str | None) -> PriceFile:
    """A long price file: valid rows, the ``problem`` (if any), and harmless variations."""
    optional = draw(st.lists(st.sampled_from(PRICE_FIELDS), unique=True))
    needs = {"high-below-low": ["high", "low"], "negative-volume": ["volume"]}
    optional += [c for c in needs.get(problem or "", []) if c not in optional]
    if "adj_close" in optional and draw(st.booleans()):
        base = ["date", "symbol"]  # adjusted closes only: a close is not required then
    else:
        base = ["date", "symbol", "close"]
    columns = tuple(draw(st.permutations(list(dict.fromkeys([*base, *optional])))))
    extra = draw(st.sampled_from([(), ("note",), ("source",), ("currency", "note")]))
    rows = draw(valid_rows(columns))
    cells = [dict(r.cells) for r in rows]
    benign: list[str] = []
    for name in extra:
        for row in cells:
            row[name] = draw(st.sampled_from(["hello", "7", "", "n/a", "株", "USD"]))
    all_columns = columns + extra
    if draw(st.booleans()):  # an exact duplicate row is collapsed (with a warning)
        cells.insert(draw(st.integers(0, len(cells))), dict(draw(st.sampled_from(cells))))
        benign.append("exact-duplicate")
    if draw(st.booleans()):  # spaces around a symbol are not part of it
        at = draw(st.integers(0, len(cells) - 1))
        cells[at] = {**cells[at], "symbol": f"  {cells[at]['symbol']} "}
        benign.append("padded-symbol")
    fatal = problem
    if problem in ROW_PROBLEMS:
        _corrupt(draw, problem, all_columns, cells)
    header = _header(draw, all_columns, fatal)
    lines = (",".join(header), *(_line(all_columns, r) for r in cells))
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    bom = draw(st.booleans())
    text = newline.join(lines) + (newline if draw(st.booleans()) else "")
    raw = ("\ufeff" if bom else "").encode() + text.encode("utf-8")
    if problem == "not-utf8":
        raw = raw.replace(b"\n", b"\n\xff", 1)  # a byte that is not UTF-8, in the first row
    elif problem == "no-rows":
        raw = raw.split(b"\n")[0] + b"\n" * draw(st.integers(0, 1))  # a header and no rows
    benign += ["crlf"] * (newline == "\r\n") + ["bom"] * bom
    return PriceFile(all_columns, rows, fatal, tuple(benign), lines, raw)


def stored_rows(store: Path) -> pd.DataFrame:
    from ipposaki.store import Store

    return Store(store).prices().set_index(["symbol", "session"]).sort_index()


def assert_imported(file: PriceFile, before: pd.DataFrame, after: pd.DataFrame) -> None:
    """Every generated row is stored with its values; no other row changed."""
    for row in file.rows:
        key = (row.symbol, pd.Timestamp(row.session))
        assert key in after.index, (key, "not stored")
        for col, value in row.values.items():
            assert math.isclose(after.loc[key, col], value, rel_tol=1e-12), (key, col)
    touched = {(r.symbol, pd.Timestamp(r.session)) for r in file.rows}
    others = after.loc[[k not in touched for k in after.index]]
    pd.testing.assert_frame_equal(others, before.loc[[k not in touched for k in before.index]])


@settings(SETTINGS, max_examples=20)
@given(file=price_files(None))
def test_generated_price_files(file: PriceFile, template: Template) -> None:
    """Valid rows in varied forms (BOM, CRLF, case, padding, duplicates, extra columns)."""
    check_price_file(file, template)


@pytest.mark.parametrize("problem", PRICE_PROBLEMS)
@settings(SETTINGS, max_examples=3)
@given(data=st.data())
def test_generated_price_files_with_a_problem(
    problem: str, data: st.DataObject, template: Template
) -> None:
    """Every kind of problem, each run: the import is refused and the store left as it was."""
    check_price_file(data.draw(price_files(problem)), template)


def check_price_file(file: PriceFile, template: Template) -> None:
    with Workspace(template) as ws:
        path = ws.write("p.csv", file.raw or b"")
        before = file_digest(ws.store)
        args = ["data", "import", str(path), "--store", str(ws.store)]
        outcome = cli(args)
        assert_well_behaved(outcome, args)
        if file.fatal is not None:
            assert outcome.code == 2, (file.fatal, file.lines, outcome)
        else:
            assert outcome.code == 0, (file.benign, file.lines, outcome)
        if outcome.code == 2:
            assert file_digest(ws.store) == before, "the store changed"
            return
        assert_imported(file, template.rows, stored_rows(ws.store))


# -- (b) events files for ``study --prices P --events E`` ------------------------------------

#: Event dates that are neither YYYY-MM-DD nor a timestamp with its zone, or are not dates.
BAD_EVENT_DATES = (
    "27/01/2025",
    "2025/01/27",
    "Jan 27 2025",
    "2025-1-27",
    "2025-01-27T09:00",
    "2025-02-30",
    "soon",
    "",
)
#: Event dates the file may hold: sessions (some too late for a full event window), weekends,
#: a New York holiday (2025-01-20) and timestamps with their zone.
EVENT_DATES = (
    "2025-01-27",
    "2025-01-28",
    "2025-02-05",
    "2025-02-14",
    "2025-02-27",
    "2025-01-25",
    "2025-01-20",
    "2025-01-27T09:00+09:00",
    "2025-01-27T14:30:00Z",
    " 2025-01-28 ",
)
EVENT_SYMBOLS = ("NVDA", "AVGO", "8035.T", "^N225", "ZZQX", "株式", " NVDA ", "nvda", "NVDA.T")


@dataclass(frozen=True)
class EventsFile:
    """A generated events CSV: its lines, the pairs it names, and whether it must be refused."""

    lines: tuple[str, ...]
    pairs: tuple[tuple[str, str], ...]
    fatal: str | None
    raw: bytes


def _csv_cell(text: str) -> str:
    return f'"{text}"' if any(c in text for c in ',"\n') else text


@st.composite
def events_files(draw: st.DrawFn) -> EventsFile:
    """Events with odd dates, symbols, ids and extra columns; at most one fatal problem."""
    date_name = draw(st.sampled_from(["event_date", "date", "Event_Date", " event_date "]))
    optional = draw(
        st.lists(
            st.sampled_from(["event_id", "basket", "market", "note", "estimation_start"]),
            unique=True,
        )
    )
    columns = draw(st.permutations(["symbol", date_name, *optional]))
    n = draw(st.integers(1, 5))
    rows = []
    for i in range(n):
        row = {
            "symbol": draw(st.sampled_from(EVENT_SYMBOLS)),
            date_name: draw(st.sampled_from(EVENT_DATES)),
            "event_id": draw(st.sampled_from([f"ev{i}", f"ev{i}", "dup", "株", "1"])),
            "basket": draw(st.sampled_from(["chips", "", "グループ", "a b"])),
            "market": draw(st.sampled_from(["^GSPC", "", "^N225", "^NOPE"])),
            "note": draw(st.sampled_from(["x", "", "1.5", "n/a"])),
            "estimation_start": draw(st.sampled_from(["", "2024-03-01", "2024-12-30"])),
        }
        rows.append(row)
    fatal = None
    kind = draw(
        st.sampled_from(
            ["none"] * 5 + ["bad-date", "no-symbol-column", "not-utf8", "ragged", "twice"]
        )
    )
    if kind == "bad-date":
        col = date_name
        if "estimation_start" in columns and draw(st.booleans()):
            col = "estimation_start"  # a window date: YYYY-MM-DD (or empty), no timestamp
        bad = draw(st.sampled_from([d for d in BAD_EVENT_DATES if d or col == date_name]))
        rows[draw(st.integers(0, n - 1))][col] = bad
        fatal = kind
    elif kind == "no-symbol-column":
        columns = [c if c != "symbol" else "ticker" for c in columns]
        for row in rows:
            row["ticker"] = row["symbol"]
        fatal = kind
    lines = [",".join(columns), *(",".join(_csv_cell(r[c]) for c in columns) for r in rows)]
    if kind == "ragged":  # a row with a cell more or less than the header
        at = draw(st.integers(1, n))
        lines[at] = lines[at] + ",x" if draw(st.booleans()) else lines[at].rsplit(",", 1)[0]
        fatal = kind
    elif kind == "twice":  # a column named twice (names are matched ignoring case)
        lines[0] += "," + draw(st.sampled_from(["symbol", "SYMBOL", " Symbol ", date_name.upper()]))
        lines[1:] = [line + ",x" for line in lines[1:]]
        fatal = kind
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    raw = ("\ufeff" * draw(st.booleans()) + newline.join(lines) + newline).encode("utf-8")
    if kind == "not-utf8":
        raw = raw.replace(b"\n", b"\n\xfe", 1)
        fatal = kind
    ids = [
        r["event_id"].strip() if "event_id" in columns else f"E{i + 1}" for i, r in enumerate(rows)
    ]
    pairs = tuple((e, r.get("symbol", "").strip()) for e, r in zip(ids, rows, strict=True))
    return EventsFile(tuple(lines), pairs, fatal, raw)


def _studied_pairs(out: Path) -> set[tuple[str, str]]:
    """(event_id, symbol) of every pair a study wrote, studied (params) or excluded."""
    found: set[tuple[str, str]] = set()
    for name in ("params.csv", "excluded.csv"):
        for path in out.rglob(name):
            table = pd.read_csv(path, dtype=str, keep_default_na=False)
            found |= set(zip(table["event_id"], table["symbol"], strict=True))
    return found


@settings(SETTINGS, max_examples=20)
@given(events=events_files())
def test_generated_events_files(events: EventsFile, template: Template) -> None:
    with Workspace(template) as ws:
        path = ws.write("e.csv", events.raw)
        args = ["study", "--prices", str(template.prices_csv), "--events", str(path)]
        args += ["--market", "^GSPC", "--out", str(ws.out)]
        outcome = cli(args)
        assert_well_behaved(outcome, args)
        if events.fatal is not None:
            assert outcome.code == 2, (events.fatal, events.lines, outcome)
        if outcome.code == 2:
            assert nothing_written(ws.out), sorted(ws.out.rglob("*"))
            return
        missing = set(events.pairs) - _studied_pairs(ws.out)
        assert not missing, ("pairs neither studied nor excluded", missing, events.lines)


# -- (c) study specs (TOML) ------------------------------------------------------------------


def toml_string(text: str) -> str:
    """A TOML basic string: quotes, backslashes and control characters escaped."""
    out = []
    for ch in text:
        code = ord(ch)
        if ch in '"\\':
            out.append("\\" + ch)
        elif (code < 0x20 and ch != "\t") or code == 0x7F:
            out.append(f"\\u{code:04x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def toml_key(key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else toml_string(key)


def toml_value(value: object) -> str:
    """One TOML value; dicts inside values become inline tables."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, dt.date):  # dates and datetimes (with or without an offset)
        return value.isoformat()
    if isinstance(value, str):
        return toml_string(value)
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{toml_key(k)} = {toml_value(v)}" for k, v in value.items()) + "}"
    raise TypeError(value)


def toml_document(doc: dict[str, object]) -> str:
    """A TOML document: top-level values, then [tables], then [[arrays of tables]]."""
    head: list[str] = []
    tables: list[str] = []
    for key, value in doc.items():
        if isinstance(value, dict):
            tables.append(f"\n[{toml_key(key)}]")
            tables += [f"{toml_key(k)} = {toml_value(v)}" for k, v in value.items()]
        elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            for item in value:
                assert isinstance(item, dict)
                tables.append(f"\n[[{toml_key(key)}]]")
                tables += [f"{toml_key(k)} = {toml_value(v)}" for k, v in item.items()]
        else:
            head.append(f"{toml_key(key)} = {toml_value(value)}")
    return "\n".join(head + tables) + "\n"


def test_toml_writer_round_trips() -> None:
    import tomllib

    doc: dict[str, object] = {
        "title": 'a "b" \\ \x01 \x7f 株',
        "n": 3,
        "study": {"car_windows": ["0:0"], "x": {"y": 1.5}},
        "events": [{"id": "e", "date": dt.date(2025, 1, 27), "ok": True}],
        "when": dt.datetime(2025, 1, 27, 9, tzinfo=dt.timezone(dt.timedelta(hours=9))),
    }
    assert tomllib.loads(toml_document(doc)) == doc


@dataclass
class Marks:
    """What the generator knows of a spec: why it must be refused, or why it may be."""

    #: Whether this spec may hold bad values at all (about half the specs are clean).
    hostile: bool
    fatal: list[str] = field(default_factory=list)
    risky: list[str] = field(default_factory=list)

    def pick(self, draw: st.DrawFn, good: list[object], **bad: list[object]) -> object:
        """Draw a good value mostly; else a bad one, marked fatal (``f_...``) or risky."""
        if not self.hostile or not bad or not one_in(draw, 5):
            return draw(st.sampled_from(good))
        kind = draw(st.sampled_from(sorted(bad)))
        (self.fatal if kind.startswith("f_") else self.risky).append(kind)
        return draw(st.sampled_from(bad[kind]))


TOKYO = dt.timezone(dt.timedelta(hours=9))
#: Event days that are sessions in both New York and Tokyo, with a full estimation window in
#: the template store (some too late for a full event window: those pairs are excluded).
SPEC_DATES = ["2025-01-27", "2025-01-28", "2025-02-05", dt.date(2025, 1, 27)]


@st.composite
def spec_events(draw: st.DrawFn, marks: Marks, number: int) -> dict[str, object]:
    ev: dict[str, object] = {}
    ev["id"] = marks.pick(draw, [f"e{number}", f"株{number}"], r_odd_id=[7, "", "e0"])
    if draw(st.booleans()):
        ev["name"] = draw(st.text(max_size=8))
    when = marks.pick(draw, ["date", "date", "timestamp"], f_date_and_timestamp=["both", "neither"])
    if when in ("date", "both"):
        ev["date"] = marks.pick(
            draw,
            SPEC_DATES,
            r_not_a_session=["2025-01-25", "2025-01-20", "2025-02-11"],
            f_not_a_date=["2025-02-30", "yesterday", "2025-13-01", "", 20250127, True],
        )
    if when in ("timestamp", "both"):
        ev["timestamp"] = marks.pick(
            draw,
            [
                "2025-01-27T09:00+09:00",
                "2025-01-27T14:30:00Z",
                dt.datetime(2025, 1, 27, 9, tzinfo=TOKYO),
            ],
            f_no_zone=["2025-01-27T09:00", dt.datetime(2025, 1, 27, 9), "noon", 5],
        )
    baskets = marks.pick(
        draw,
        [["us_ai_chips"], ["jp_semi_equipment"], ["us_ai_chips", "jp_semi_equipment"], []],
        f_unknown_basket=[["us_ai_chipz"], ["us_ai_chips", ""]],
        f_not_a_list=["us_ai_chips", [1], 3],
    )
    symbols = marks.pick(
        draw,
        [[], ["NVDA"], ["8035.T", "NVDA"]],
        # An index has no benchmark, so the whole spec is refused with "--market=None is not
        # allowed", an option a spec cannot give (study/spec.py): risky, not clean.
        r_index_symbol=[["^GSPC"], ["8035.T", "^N225"]],
        f_unknown_symbol=[["ZZQX"], ["株式"], ["nvda"]],
        f_not_a_list=["NVDA", [7203]],
    )
    if baskets == [] and symbols == []:
        marks.fatal.append("no-baskets-or-symbols")
    if baskets != [] or draw(st.booleans()):
        ev["baskets"] = baskets
    if symbols != [] or draw(st.booleans()):
        ev["symbols"] = symbols
    if marks.hostile and one_in(draw, 10):
        ev["bsakets"] = ["us_ai_chips"]
        marks.fatal.append("unknown-event-key")
    return ev


@st.composite
def spec_study(draw: st.DrawFn, marks: Marks) -> dict[str, object]:
    study: dict[str, object] = {}
    keys = draw(
        st.lists(
            st.sampled_from(
                [
                    "model",
                    "estimation_window",
                    "event_window",
                    "car_windows",
                    "min_estimation_obs",
                    "thin_trading",
                    "convention",
                ]
            ),
            unique=True,
        )
    )
    for key in keys:
        if key == "model":
            study[key] = marks.pick(
                draw,
                ["market", "market-adjusted", "constant-mean", "raw"],
                r_factor=["factor"],
                f_unknown_model=["capm", "Market", 3],
            )
        elif key == "estimation_window":
            study[key] = marks.pick(
                draw,
                ["-250:-11", "-120:-11", "-100:-20"],
                f_bad_window=["abc", "-11:-250", "-250:3", "", "-250"],
                r_odd_window=[-250, ["-250", "-11"]],
            )
        elif key == "event_window":
            study[key] = marks.pick(
                draw,
                ["-5:10", "-1:1", "0:0", "-10:5"],
                f_bad_window=["5:-5", "x", "-5:10:2"],
            )
        elif key == "car_windows":
            study[key] = marks.pick(
                draw,
                [["0:0"], ["0:0", "-1:1"], ["0:1", "0:0"]],
                f_bad_window=[["x"], ["1:0"]],
                r_car_outside=[["0:40"], ["-30:0"]],
                r_not_a_list=["0:1", [], 5],
            )
        elif key == "min_estimation_obs":
            study[key] = marks.pick(
                draw, [30, 50, 80], r_odd_count=[0, 1, 10**6, -5, 2.5], f_not_a_count=["many"]
            )
        elif key == "thin_trading":
            study[key] = marks.pick(
                draw,
                ["none", "dimson", "scholes-williams"],
                f_unknown_thin_trading=["lots", 1],
            )
        else:
            study[key] = marks.pick(
                draw, ["ipposaki"], r_estudy2=["estudy2"], f_unknown_convention=["eviews"]
            )
    if marks.hostile and one_in(draw, 10):
        study["modle"] = "market"
        marks.fatal.append("unknown-study-key")
    _study_rules(study, marks)
    return study


def _window(value: object) -> tuple[int, int] | None:
    """``"A:B"`` as (A, B) when it is a well-formed window, else None."""
    match = re.fullmatch(r"(-?\d+):(-?\d+)", value) if isinstance(value, str) else None
    return (int(match[1]), int(match[2])) if match and int(match[1]) <= int(match[2]) else None


def _study_rules(study: dict[str, object], marks: Marks) -> None:
    """Mark the documented rules that tie [study] keys together (docs/conventions.md, CLI help).

    Thin-trading corrections belong to the market model; every CAR window lies inside the event
    window (defaults: -5:10 and 0:0, 0:1, -1:1, 0:10); with fewer estimation sessions than
    min_estimation_obs (default 100) every pair is excluded.
    """
    model = study.get("model", "market")
    if study.get("thin_trading", "none") not in ("none", 1, "lots") and model != "market":
        marks.fatal.append("thin-trading-needs-market-model")
    event = _window(study.get("event_window", "-5:10"))
    cars = study.get("car_windows", ["0:0", "0:1", "-1:1", "0:10"])
    if event is not None and isinstance(cars, list):
        for car in map(_window, cars):
            if car is not None and not (event[0] <= car[0] and car[1] <= event[1]):
                marks.fatal.append("car-window-outside-event-window")
                break
    est = _window(study.get("estimation_window", "-250:-11"))
    obs = study.get("min_estimation_obs", 100)
    if est is not None and isinstance(obs, int) and obs > est[1] - est[0] + 1:
        marks.risky.append("min-obs-above-estimation-window")


@dataclass(frozen=True)
class Spec:
    """A generated spec: its text, and what the generator knows about it."""

    text: str
    fatal: tuple[str, ...]
    risky: tuple[str, ...]


@st.composite
def specs(draw: st.DrawFn, force_fatal: bool = False) -> Spec:
    """A spec document (valid TOML from a dict), or raw text that may not be TOML at all."""
    import tomllib

    marks = Marks(hostile=force_fatal or draw(st.integers(0, 4)) in (1, 3))
    doc: dict[str, object] = {}
    if draw(st.booleans()):
        doc["title"] = marks.pick(draw, ["DeepSeek", "株", 'a "quoted" \\ title'], r_odd=[3, ""])
    study = draw(spec_study(marks))
    if study or draw(st.booleans()):
        doc["study"] = study
    extra = draw(st.integers(0, 14)) if marks.hostile else -1  # 5 to 8: one problem each
    if extra == 5:
        doc["study"] = draw(st.sampled_from(["x", [1]]))
        marks.fatal.append("study-not-a-table")
    events = [draw(spec_events(marks, i)) for i in range(draw(st.integers(int(extra != 6), 2)))]
    if not events:
        marks.fatal.append("no-events")
    if events or draw(st.booleans()):
        doc["events"] = events
    if extra == 7:
        doc["report"] = draw(st.sampled_from([{"top_moves": 0}, {"colour": 1}, "x"]))
        marks.fatal.append("bad-report-table")
    elif draw(st.booleans()):
        doc["report"] = draw(st.sampled_from([{}, {"top_moves": 3}, {"headline": ["NVDA"]}]))
    if extra == 8:
        doc["titel"] = "typo"
        marks.fatal.append("unknown-top-key")
    if force_fatal and not marks.fatal:
        doc["titel"] = "typo"
        marks.fatal.append("unknown-top-key")
    text = toml_document(doc)
    assert tomllib.loads(text) == doc  # the writer is exact (checked before the CLI runs)
    how = draw(st.sampled_from(["as-is"] * 4 + ["truncated", "junk", "not-utf8"]))
    how = how if marks.hostile else "as-is"
    if how == "truncated":
        text = text[: draw(st.integers(0, len(text)))]
    elif how == "junk":
        at = draw(st.integers(0, len(text)))
        text = (
            text[:at] + draw(st.sampled_from(["[", "= ", '"', "[[events]\n", "\x00"])) + text[at:]
        )
    if how in ("truncated", "junk"):
        try:
            tomllib.loads(text)
            marks.risky.append(how)
        except tomllib.TOMLDecodeError:
            marks.fatal.append(f"invalid-toml-{how}")
    if how == "not-utf8":
        marks.fatal.append("not-utf8")
        text = text.replace("\n", "\n\udcff", 1) if "\n" in text else "\udcff"
    return Spec(text, tuple(marks.fatal), tuple(marks.risky))


def _write_spec(ws: Workspace, spec: Spec) -> Path:
    return ws.write("s.toml", spec.text.encode("utf-8", "surrogateescape"))


@settings(SETTINGS, max_examples=20)
@given(spec=specs())
def test_generated_study_specs(spec: Spec, template: Template) -> None:
    with Workspace(template) as ws:
        path = _write_spec(ws, spec)
        before = file_digest(ws.store)
        args = ["study", str(path), "--store", str(ws.store), "--out", str(ws.out)]
        outcome = cli(args)
        assert_well_behaved(outcome, args)
        assert file_digest(ws.store) == before, "a study changed the store"
        if spec.fatal:
            assert outcome.code == 2, (spec.fatal, spec.text, outcome)
        elif not spec.risky:
            assert outcome.code == 0, (spec.text, outcome)
        if outcome.code == 2:
            assert nothing_written(ws.out), sorted(ws.out.rglob("*"))
        else:
            assert (ws.out / "summary.txt").is_file() and (ws.out / "timing.csv").is_file()


@settings(SETTINGS, max_examples=15)
@given(spec=specs(force_fatal=True))
def test_generated_report_specs(spec: Spec, template: Template) -> None:
    """``report`` on a spec that must be refused: refused before any work, nothing written.

    (A spec that runs makes a whole report, seconds each: the study test covers those.)
    """
    with Workspace(template) as ws:
        path = _write_spec(ws, spec)
        before = file_digest(ws.store)
        args = ["report", str(path), "--store", str(ws.store), "--out", str(ws.out), "--offline"]
        outcome = cli(args)
        assert_well_behaved(outcome, args)
        assert outcome.code == 2, (spec.fatal, spec.text, outcome)
        assert file_digest(ws.store) == before, "the store changed"
        assert nothing_written(ws.out), sorted(ws.out.rglob("*"))


# -- (d) event catalogues (TOML) for ``events list/show --catalog`` ---------------------------


@dataclass(frozen=True)
class CatalogFile:
    """A generated catalogue of events: its text, its ids, and what must happen to it."""

    text: str
    ids: tuple[str, ...]
    fatal: tuple[str, ...]
    risky: tuple[str, ...]


@st.composite
def catalogs(draw: st.DrawFn) -> CatalogFile:
    """[[events]] with id, name, timestamp with its zone and source; some of them broken.

    The rules are the module docstring of ``events/catalog.py``: those four keys are required,
    an id repeats neither in the file nor against the built-in catalogue, and a timestamp carries
    its zone.
    """
    marks = Marks(hostile=draw(st.booleans()))
    events: list[dict[str, object]] = []
    for i in range(draw(st.integers(1, 3))):
        ev: dict[str, object] = {
            "id": marks.pick(
                draw,
                [f"my_event_{i}", f"株_{i}"],
                f_repeated_id=["deepseek_shock", "my_event_0" if i else "deepseek_shock"],
                f_blank=[""],
            ),
            "name": marks.pick(draw, ["An event", "株価"], f_blank=[""]),
            "timestamp": marks.pick(
                draw,
                [
                    "2025-01-27T09:00+09:00",
                    "2024-08-05T00:00Z",
                    dt.datetime(2025, 1, 27, 9, tzinfo=TOKYO),
                ],
                f_no_zone=["2025-01-27T09:00", dt.datetime(2025, 1, 27, 9), dt.date(2025, 1, 27)],
                f_not_a_timestamp=["noon", "2025-01-27T09:00+25:00", "2025-02-30T09:00Z", 5],
                r_outside_calendars=["1900-01-01T00:00Z", "2199-01-01T00:00Z"],  # no sessions
            ),
            "source": marks.pick(draw, ["https://example.org/news"], f_blank=[""]),
        }
        if draw(st.booleans()):
            ev["precision"] = draw(st.sampled_from(["minute", "day"]))
        for key in draw(st.lists(st.sampled_from(["id", "name", "timestamp", "source"]))):
            if marks.hostile and one_in(draw, 6):
                ev.pop(key, None)
                marks.fatal.append(f"no-{key}")
        events.append(ev)
    doc: dict[str, object] = {"events": events}
    if marks.hostile and one_in(draw, 6):
        doc["events"] = draw(st.sampled_from([[], [1], "x", [{"id": "a"}, 3]]))
        marks.fatal.append("events-not-tables")
    if marks.hostile and one_in(draw, 6):
        doc["version"] = draw(st.sampled_from(["x", 1.5, [1]]))
        marks.fatal.append("bad-version")
    text = toml_document(doc)
    if marks.hostile and one_in(draw, 6):
        text = text[: draw(st.integers(0, len(text)))] + draw(st.sampled_from(["[", '"', "="]))
        marks.fatal.append("invalid-toml")
    listed = doc["events"] if isinstance(doc["events"], list) else []
    ids = tuple(str(e["id"]) for e in listed if isinstance(e, dict) and "id" in e)
    return CatalogFile(text, ids, tuple(marks.fatal), tuple(marks.risky))


@settings(SETTINGS, max_examples=25)
@given(catalog=catalogs())
def test_generated_event_catalogs(catalog: CatalogFile, template: Template) -> None:
    with Workspace(template) as ws:
        path = ws.write("c.toml", catalog.text)
        args = ["events", "list", "--catalog", str(path)]
        outcome = cli(args)
        assert_well_behaved(outcome, args)
        if catalog.fatal:
            assert outcome.code == 2, (catalog.fatal, catalog.text, outcome)
            return
        assert outcome.code == 0, (catalog.text, outcome)
        listed = {line.split()[0] for line in outcome.out.splitlines() if line.strip()}
        assert set(catalog.ids) <= listed, (catalog.ids, outcome.out)
        for event_id in catalog.ids:
            args = ["events", "show", event_id, "--catalog", str(path)]
            shown = cli(args)
            assert_well_behaved(shown, args)
            assert shown.code == 0 or catalog.risky, (catalog.text, shown)


# -- regressions: the minimal examples hypothesis found, fixed in sources/ and study/io.py ------

GOOD_EVENTS = "symbol,event_date\nNVDA,2025-01-27\n"


@dataclass(frozen=True)
class Found:
    """A minimal failing example: the file, which option reads it, and what must come back."""

    id: str
    option: str
    text: str
    code: int
    words: tuple[str, ...] = ()


FOUND = [
    # "nan" in a price cell was read as a missing value (open) or as "close is empty" (close).
    Found("prices-nan-open", "import", "date,symbol,close,open\n2025-03-03,NVDA,5,nan\n", 2,
          ("line 2", "open='nan'", "expected a number")),
    Found("prices-nan-close-with-adj", "import",
          "date,symbol,close,adj_close\n2025-03-03,NVDA,NaN,5\n", 2, ("line 2", "close='NaN'")),
    # A text column besides the price fields made the whole file "could not be parsed".
    Found("prices-extra-text-column", "import", "date,symbol,close,note\n2025-03-03,NVDA,5,hi\n",
          0),
    # A blank currency cell on a new symbol's rows was an internal error (a NaN category).
    Found("prices-blank-currency-new-symbol", "import",
          "date,symbol,close,currency\n2025-03-03,NVDA,5,\n2025-03-03,ZZQX,7,\n", 0),
    # Events: a column named twice, a ragged row or an unclosed quote were internal errors.
    Found("events-symbol-twice", "--events", "symbol,event_date,Symbol\nNVDA,2025-01-27,AVGO\n",
          2, ("e.csv", "column 'symbol' appears more than once")),
    Found("events-ragged-long", "--events", "symbol,event_date\nNVDA,2025-01-27,x\n", 2,
          ("e.csv", "cannot be read as a table", "Expected 2 columns, got 3")),
    Found("events-ragged-short", "--events", "symbol,event_date\nNVDA\n", 2,
          ("e.csv", "Expected 2 columns, got 1")),
    Found("events-open-quote", "--events", 'symbol,event_date\n"NVDA,2025-01-27\n', 2,
          ("e.csv", "cannot be read as a table")),
    # The same for returns and factor files (study/io.py reads them the same way).
    Found("returns-ragged", "--returns", "date,NVDA,^GSPC\n2025-01-27,0.01,0.02\n2025-01-28,0.01\n",
          2, ("e.csv", "Expected 3 columns, got 2")),
    Found("returns-column-twice", "--returns", "date,NVDA,NVDA\n2025-01-27,0.01,0.02\n", 2,
          ("column 'NVDA' appears more than once",)),
    Found("factors-ragged", "--factors", "date,mkt\n2025-01-27,0.01\n2025-01-28\n", 2,
          ("e.csv", "Expected 2 columns, got 1")),
    # Event catalogues: an event that is not a table, a timestamp that does not parse, or a
    # version that is not an integer were internal errors.
    Found("catalog-event-not-a-table", "--catalog", "events = [1]\n", 2,
          ("c.toml", "event 1: 1 is not allowed")),
    Found("catalog-timestamp-not-parsed", "--catalog",
          '[[events]]\nid = "x"\nname = "X"\ntimestamp = "noon"\nsource = "s"\n', 2,
          ("c.toml", "line 4", "timestamp='noon'", "is not a timestamp")),
    Found("catalog-version-text", "--catalog",
          'version = "x"\n[[events]]\nid = "x"\nname = "X"\n'
          'timestamp = "2025-01-27T09:00+09:00"\nsource = "s"\n', 2,
          ("c.toml", "version='x'", "an integer")),
]  # fmt: skip


@pytest.mark.parametrize("case", FOUND, ids=[f.id for f in FOUND])
def test_found_by_hypothesis(case: Found, template: Template) -> None:
    with Workspace(template) as ws:
        path = ws.write("c.toml" if case.option == "--catalog" else "e.csv", case.text)
        if case.option == "import":
            args = ["data", "import", str(path), "--store", str(ws.store)]
        elif case.option == "--catalog":
            args = ["events", "list", "--catalog", str(path)]
        else:
            events = path if case.option == "--events" else ws.write("events.csv", GOOD_EVENTS)
            args = ["study", "--events", str(events), "--market", "^GSPC", "--out", str(ws.out)]
            if case.option != "--returns":
                args += ["--prices", str(template.prices_csv)]
            if case.option == "--factors":
                args += ["--model", "factor"]
            if case.option != "--events":
                args += [case.option, str(path)]
        before = file_digest(ws.store)
        outcome = cli(args)
        assert_well_behaved(outcome, args)
        assert outcome.code == case.code, outcome
        for word in case.words:
            assert word in outcome.err[0], (word, outcome.err[0])
        if case.code == 2:
            assert file_digest(ws.store) == before and nothing_written(ws.out)
        elif case.option == "import":
            assert stored_rows(ws.store).loc[("NVDA", pd.Timestamp("2025-03-03")), "close"] == 5.0
