"""Strict inputs to ``ipposaki study``: every bad cell is a one-line error, exit code 2.

Each rule of the study's files (returns, prices, events, factors) is broken once here. The error
must be one line naming the file, the line (CSV, header = line 1) or row (Parquet), the column
and the value, with what is allowed; nothing may be written to ``--out``. Dates are ISO unless
``--date-format`` is given, and a run with ``--date-format`` equals the ISO run.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ipposaki.calendars import sessions
from ipposaki.cli.main import run
from ipposaki.errors import DataValidationError, InputError

DAYS = sessions("XNYS", "2024-01-02", "2025-03-31")
EVENTS = "symbol,event_date\nA,2025-01-10\nB,2025-01-17\n"


def _returns() -> pd.DataFrame:
    rng = np.random.default_rng(7)
    market = rng.normal(0.0005, 0.01, len(DAYS))
    frame = pd.DataFrame(
        {
            "MKT": market,
            "A": 0.0002 + 1.2 * market + rng.normal(0, 0.01, len(DAYS)),
            "B": 0.8 * market + rng.normal(0, 0.015, len(DAYS)),
        },
        index=pd.DatetimeIndex(DAYS, name="date"),
    )
    return frame


def _write_returns(folder: Path, name: str = "r.csv", date_format: str | None = None) -> Path:
    frame = _returns()
    if date_format is not None:
        frame.index = frame.index.strftime(date_format)
    path = folder / name
    frame.to_csv(path, float_format="%.10f")
    return path


def _write_prices(folder: Path, date_format: str | None = None) -> Path:
    """Long prices of A, B (adjusted and as-traded closes) and MKT (closes only)."""
    growth = (1.0 + _returns()).cumprod() * 100.0
    rows = []
    for symbol in growth.columns:
        adj = growth[symbol].to_numpy()
        rows.append(
            pd.DataFrame(
                {
                    "date": DAYS.strftime(date_format or "%Y-%m-%d"),
                    "symbol": symbol,
                    "close": adj * 1.01,
                    "adj_close": np.nan if symbol == "MKT" else adj,
                }
            )
        )
    path = folder / "p.csv"
    pd.concat(rows).to_csv(path, index=False, float_format="%.10f")
    return path


def _edit(path: Path, line: int, old: str, new: str) -> Path:
    """Replace ``old`` by ``new`` in one line (1-based) of a text file, in place."""
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    assert old in lines[line - 1], (old, lines[line - 1])
    lines[line - 1] = lines[line - 1].replace(old, new, 1)
    path.write_text("".join(lines), encoding="utf-8")
    return path


def _set_cell(path: Path, line: int, column: str, value: str) -> Path:
    """Set one cell of a CSV (line 1 is the header) to ``value``, as text."""
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    header = lines[0].rstrip("\n").split(",")
    cells = lines[line - 1].rstrip("\n").split(",")
    cells[header.index(column)] = value
    lines[line - 1] = ",".join(cells) + "\n"
    path.write_text("".join(lines), encoding="utf-8")
    return path


def _line_of(path: Path, date: str) -> int:
    for n, text in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if text.startswith(date):
            return n
    raise AssertionError(date)


def _returns_case(line: int, column: str, value: str) -> Callable[[Path], list[str]]:
    def make(folder: Path) -> list[str]:
        path = _set_cell(_write_returns(folder), line, column, value)
        (folder / "e.csv").write_text(EVENTS, encoding="utf-8")
        return ["--returns", str(path), "--events", str(folder / "e.csv"), "--market", "MKT"]

    return make


def _long_returns(folder: Path, line: int | None = None, value: str = "") -> Path:
    long = _returns().rename_axis("date").reset_index().melt("date", var_name="symbol")
    long = long.rename(columns={"value": "return"})
    long["date"] = long["date"].dt.strftime("%Y-%m-%d")
    path = folder / "long.csv"
    long.to_csv(path, index=False, float_format="%.10f")
    if line is not None:
        _set_cell(path, line, "return", value)
    return path


def _events_case(text: str) -> Callable[[Path], list[str]]:
    def make(folder: Path) -> list[str]:
        (folder / "e.csv").write_text(text, encoding="utf-8")
        path = _write_returns(folder)
        return ["--returns", str(path), "--events", str(folder / "e.csv"), "--market", "MKT"]

    return make


def _factors_case(line: int, column: str, value: str) -> Callable[[Path], list[str]]:
    def make(folder: Path) -> list[str]:
        factors = _returns()[["MKT"]].rename(columns={"MKT": "mkt_rf"})
        factors["smb"] = np.random.default_rng(3).normal(0, 0.005, len(factors))
        factors.to_csv(folder / "f.csv", float_format="%.10f")
        _set_cell(folder / "f.csv", line, column, value)
        (folder / "e.csv").write_text(EVENTS, encoding="utf-8")
        args = ["--returns", str(_write_returns(folder)), "--events", str(folder / "e.csv")]
        return [*args, "--model", "factor", "--factors", str(folder / "f.csv")]

    return make


def _prices_case(line: int, column: str, value: str) -> Callable[[Path], list[str]]:
    def make(folder: Path) -> list[str]:
        path = _set_cell(_write_prices(folder), line, column, value)
        (folder / "e.csv").write_text(EVENTS, encoding="utf-8")
        return ["--prices", str(path), "--events", str(folder / "e.csv"), "--market", "MKT"]

    return make


def _two_bad_cells(folder: Path) -> list[str]:
    """Column A comes before B, but B's bad cell is on an earlier line: it is the one named."""
    args = _returns_case(12, "A", "x")(folder)
    _set_cell(folder / "r.csv", 11, "B", "y")
    return args


def _non_session(folder: Path) -> list[str]:
    path = _write_returns(folder)
    _edit(path, _line_of(path, "2024-01-12"), "2024-01-12", "2024-01-15")  # MLK day
    (folder / "e.csv").write_text(EVENTS, encoding="utf-8")
    return ["--returns", str(path), "--events", str(folder / "e.csv"), "--market", "MKT"] + [
        "--exchange",
        "XNYS",
    ]


def _long_case(line: int | None, value: str = "", duplicate: bool = False):
    def make(folder: Path) -> list[str]:
        path = _long_returns(folder, line, value)
        if duplicate:
            lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
            path.write_text("".join([*lines, lines[2]]), encoding="utf-8")
        (folder / "e.csv").write_text(EVENTS, encoding="utf-8")
        return ["--returns", str(path), "--events", str(folder / "e.csv"), "--market", "MKT"]

    return make


def _parquet_returns(folder: Path) -> list[str]:
    frame = _returns().astype(object)
    frame.iloc[4, 1] = "abc"  # row 5, column A
    frame = frame.astype(str)
    path = folder / "r.parquet"
    frame.to_parquet(path)
    (folder / "e.csv").write_text(EVENTS, encoding="utf-8")
    return ["--returns", str(path), "--events", str(folder / "e.csv"), "--market", "MKT"]


NO_ISO = "expected a date as YYYY-MM-DD (or give --date-format)"
CASES: dict[str, tuple[Callable[[Path], list[str]], str]] = {
    "returns-date-not-iso": (
        _returns_case(5, "date", "05/01/2024"),
        f"r.csv: line 5: date='05/01/2024' is not allowed: {NO_ISO}",
    ),
    "returns-date-empty": (
        _returns_case(4, "date", ""),
        f"r.csv: line 4: date='' is not allowed: {NO_ISO}",
    ),
    "returns-text": (
        _returns_case(6, "MKT", "abc"),
        "r.csv: line 6: MKT='abc' is not allowed: expected a number (an empty cell is a "
        "missing return)",
    ),
    "returns-n/a": (_returns_case(7, "A", "n/a"), "r.csv: line 7: A='n/a' is not allowed"),
    "returns-nan-text": (_returns_case(8, "B", "NaN"), "r.csv: line 8: B='NaN' is not allowed"),
    "returns-infinite": (
        _returns_case(9, "A", "inf"),
        "r.csv: line 9: A='inf' is not allowed: expected a finite number",
    ),
    "returns-below-minus-100%": (
        _returns_case(10, "A", "-1.5"),
        "r.csv: line 10: A='-1.5' is not allowed: expected a simple return >= -1",
    ),
    "returns-first-bad-line-wins": (
        _two_bad_cells,
        "r.csv: line 11: B='y' is not allowed",
    ),
    "returns-long-text": (
        _long_case(4, "oops"),
        "long.csv: line 4: return='oops' is not allowed: expected a number",
    ),
    "returns-long-duplicate": (
        _long_case(None, duplicate=True),
        "long.csv: lines 3, ",
    ),
    "returns-non-session": (
        _non_session,
        "is not a session of XNYS (1 such rows): expected returns dated on XNYS sessions",
    ),
    "returns-parquet": (
        _parquet_returns,
        "r.parquet: row 5: A='abc' is not allowed: expected a number",
    ),
    "events-date-not-iso": (
        _events_case("symbol,event_date\nA,2025-01-10\nB,05/02/2025\n"),
        "e.csv: line 3: event_date='05/02/2025' is not allowed: expected a date as YYYY-MM-DD "
        "or a timestamp with its zone such as 2025-01-27T09:00+09:00 (or give --date-format)",
    ),
    "events-date-empty": (
        _events_case("symbol,event_date\nA,\n"),
        "e.csv: line 2: event_date='' is not allowed",
    ),
    "events-window-date": (
        _events_case("symbol,event_date,estimation_start\nA,2025-01-10,2024/02/01\n"),
        f"e.csv: line 2: estimation_start='2024/02/01' is not allowed: {NO_ISO}",
    ),
    "factors-text": (
        _factors_case(3, "smb", "--"),
        "f.csv: line 3: smb='--' is not allowed: expected a number",
    ),
    "factors-infinite": (
        _factors_case(4, "mkt_rf", "-inf"),
        "f.csv: line 4: mkt_rf='-inf' is not allowed: expected a finite number",
    ),
    "factors-below-minus-100%": (
        _factors_case(5, "smb", "-2"),
        "f.csv: line 5: smb='-2' is not allowed: expected a simple return >= -1",
    ),
    "factors-date-not-iso": (
        _factors_case(6, "date", "2024.01.09"),
        f"f.csv: line 6: date='2024.01.09' is not allowed: {NO_ISO}",
    ),
    "prices-date-not-iso": (
        _prices_case(3, "date", "03/01/2024"),
        f"p.csv: line 3: date='03/01/2024' is not allowed: {NO_ISO}",
    ),
    "prices-text": (
        _prices_case(4, "close", "abc"),
        "p.csv: line 4: close='abc' is not allowed: expected a number",
    ),
    "prices-non-positive": (
        _prices_case(5, "adj_close", "0"),
        "p.csv: line 5: adj_close=0 for MKT on 2024-01-05 is not allowed: expected a positive price",
    ),
    "prices-infinite": (
        _prices_case(6, "close", "inf"),
        "p.csv: line 6: close=inf for MKT on 2024-01-08 is not allowed: expected a finite positive",
    ),
}


@pytest.mark.parametrize("case", list(CASES), ids=list(CASES))
def test_bad_input_is_one_line_exit_2_and_writes_nothing(
    case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    make, expected = CASES[case]
    folder = tmp_path / "in"
    folder.mkdir()
    args = make(folder)
    out = tmp_path / "out"
    assert run(["study", *args, "--out", str(out)]) == 2
    _, err = capsys.readouterr()
    assert err.startswith("error: ") and err.count("\n") == 1, err
    assert expected in err, err
    assert not out.exists()


def test_empty_cells_are_missing_returns(tmp_path: Path) -> None:
    from ipposaki.study.io import read_returns

    path = _set_cell(_write_returns(tmp_path), 20, "A", "")
    frame = read_returns(path)
    assert np.isnan(frame["A"].iloc[18]) and frame["A"].notna().sum() == len(DAYS) - 1
    np.testing.assert_allclose(frame["MKT"].to_numpy(), _returns()["MKT"].to_numpy(), atol=1e-10)


def test_log_returns_may_fall_below_minus_one(tmp_path: Path) -> None:
    from ipposaki.study.io import read_factors, read_returns

    path = _set_cell(_write_returns(tmp_path), 10, "A", "-1.5")
    assert read_returns(path, log=True)["A"].iloc[8] == -1.5
    with pytest.raises(DataValidationError, match="simple return >= -1"):
        read_returns(path)
    assert read_factors(path, log=True)["A"].iloc[8] == -1.5


def test_exchange_puts_returns_on_its_sessions(tmp_path: Path) -> None:
    from ipposaki.study.io import read_returns

    path = _write_returns(tmp_path)
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    gone = _line_of(path, "2024-03-05")
    path.write_text("".join(lines[: gone - 1] + lines[gone:]), encoding="utf-8")
    plain = read_returns(path)
    assert pd.Timestamp("2024-03-05") not in plain.index  # the file's own dates
    on_xnys = read_returns(path, exchange="XNYS")
    assert on_xnys.index.equals(pd.DatetimeIndex(DAYS))  # the session is a visible gap
    assert on_xnys.loc["2024-03-05"].isna().all()


def test_library_events_take_iso_dates_only() -> None:
    from ipposaki.study import run_study

    events = pd.DataFrame({"symbol": ["A"], "event_date": ["10/01/2025"]})
    with pytest.raises(InputError, match=r"events row 1 event_date='10/01/2025' is not allowed"):
        run_study(_returns(), events, market="MKT")
    dated = pd.DataFrame({"symbol": ["A"], "event_date": [pd.Timestamp("2025-01-10")]})
    assert len(run_study(_returns(), dated, market="MKT").params) == 1


def _same_tables(a: Path, b: Path) -> None:
    for name in ("car.csv", "tests.csv", "params.csv", "ar.csv", "excluded.csv"):
        pd.testing.assert_frame_equal(pd.read_csv(a / name), pd.read_csv(b / name))


def test_date_format_run_equals_the_iso_run(tmp_path: Path) -> None:
    iso, dmy = tmp_path / "iso", tmp_path / "dmy"
    iso.mkdir()
    dmy.mkdir()
    events = "symbol,event_date,estimation_end\nA,2025-01-10,2024-12-20\nB,2025-01-17,\n"
    (iso / "e.csv").write_text(events, encoding="utf-8")
    (dmy / "e.csv").write_text(
        "symbol,event_date,estimation_end\nA,10/01/2025,20/12/2024\n"
        "B,2025-01-17T09:30-05:00,\n",  # a zoned timestamp is still taken as one
        encoding="utf-8",
    )
    common = ["--market", "MKT", "--exchange", "XNYS"]
    for folder, fmt in ((iso, None), (dmy, "%d/%m/%Y")):
        returns = _write_returns(folder, date_format=fmt)
        prices = _write_prices(folder, date_format=fmt)
        extra = ["--date-format", fmt] if fmt else []
        for source, option in (("returns", "--returns"), ("prices", "--prices")):
            path = returns if source == "returns" else prices
            argv = ["--quiet", "study", option, str(path), "--events", str(folder / "e.csv")]
            assert run([*argv, *common, *extra, "--out", str(folder / source)]) == 0
    for source in ("returns", "prices"):
        _same_tables(iso / source, dmy / source)
    # The prices' returns are the file's returns: A on its adjusted close, MKT on its close.
    car_r = pd.read_csv(iso / "returns" / "car.csv")["car"].to_numpy()
    car_p = pd.read_csv(iso / "prices" / "car.csv")["car"].to_numpy()
    np.testing.assert_allclose(car_p, car_r, atol=1e-8)


def test_date_format_that_does_not_fit_names_the_cell(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _write_returns(tmp_path)  # ISO dates
    (tmp_path / "e.csv").write_text(EVENTS, encoding="utf-8")
    argv = ["study", "--returns", str(path), "--events", str(tmp_path / "e.csv")]
    argv += ["--market", "MKT", "--date-format", "%d/%m/%Y", "--out", str(tmp_path / "o")]
    assert run(argv) == 2
    err = capsys.readouterr().err
    assert "r.csv: line 2: date='2024-01-02' is not allowed: expected a date as %d/%m/%Y" in err
    assert not (tmp_path / "o").exists()


def test_returns_file_holding_two_exchanges_needs_exchange(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Returns of New York and Tokyo symbols on the union of their dates would be one false
    calendar: without --exchange the file is refused, in one line, before anything is written."""
    returns = tmp_path / "r.csv"
    returns.write_text(
        "date,NVDA,^GSPC,8035.T\n2025-01-02,0.01,0.002,\n2025-01-06,0.01,0.002,0.01\n"
    )
    events = tmp_path / "e.csv"
    events.write_text("symbol,event_date,market\nNVDA,2025-01-06,^GSPC\n")
    out = tmp_path / "out"
    code = run(["study", "--returns", str(returns), "--events", str(events), "--out", str(out)])
    err = capsys.readouterr().err.strip()
    assert code == 2 and "\n" not in err
    assert "--exchange" in err and "XNYS (NVDA)" in err and "XTKS (8035.T)" in err
    assert not out.exists()


@pytest.mark.parametrize("fmt", ["%", "%Q", "%Y"])
def test_bad_date_format_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], fmt: str
) -> None:
    returns = tmp_path / "r.csv"
    returns.write_text("date,A,MKT\n2024-01-02,0.01,0.01\n")
    args = ["study", "--returns", str(returns), "--events", str(returns), "--market", "MKT"]
    code = run([*args, "--date-format", fmt, "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err.strip()
    assert code == 2 and f"--date-format='{fmt}'" in err and "\n" not in err
    assert not (tmp_path / "o").exists()


def test_events_file_that_is_not_utf8(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    returns = tmp_path / "r.csv"
    returns.write_text("date,A,MKT\n2024-01-02,0.01,0.01\n")
    for name, raw in (("h.csv", b"\xff\xfe\x00bin\n"), ("b.csv", b"symbol,event_date\n\xff,x\n")):
        events = tmp_path / name
        events.write_bytes(raw)
        args = ["study", "--returns", str(returns), "--events", str(events), "--market", "MKT"]
        assert run([*args, "--out", str(tmp_path / "o")]) == 2
        err = capsys.readouterr().err.strip()
        assert f"{name}: is not UTF-8 text" in err and "\n" not in err


@pytest.mark.parametrize(
    ("columns", "named"),
    [
        (["symbol", "event_date", "Symbol"], "'symbol'"),
        (["symbol", "event_date", "EVENT_DATE "], "'event_date'"),
    ],
)
def test_events_frame_with_a_column_twice(columns: list[str], named: str) -> None:
    """A column that appears twice once names are lower-cased and stripped is one error
    naming it, from the library too (was an AttributeError)."""
    from ipposaki.study import run_study

    events = pd.DataFrame([["A", "2025-01-10", "A"]], columns=columns)
    with pytest.raises(InputError, match=f"column {named} twice"):
        run_study(_returns(), events, market="MKT")


@pytest.mark.parametrize("column", ["A", "MKT"])
def test_library_refuses_infinite_returns(column: str) -> None:
    """A returns frame from Python is checked as a file is: an infinite return is named by
    symbol and session (it passed silently into infinite abnormal returns before)."""
    from ipposaki.study import run_study

    returns = _returns()
    returns.loc[DAYS[30], column] = -np.inf
    events = pd.DataFrame({"symbol": ["A"], "event_date": [DAYS[-20]]})
    with pytest.raises(InputError) as caught:
        run_study(returns, events, market="MKT", estimation_window="-60:-11")
    assert caught.value.argument == f"returns[{column!r}] on {DAYS[30].date()}"
    assert caught.value.value == -np.inf


@pytest.mark.parametrize("given", ["--returns", "--prices"])
def test_out_holding_an_input_of_an_output_name_is_refused_and_loses_nothing(
    given: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``--prices out/ar.csv --out out`` replaced the prices with the AR table (and the events
    with the CAR table): now one error, exit 2, every file as it was."""
    out = tmp_path / "out"
    out.mkdir()
    data = (_write_returns if given == "--returns" else _write_prices)(out)
    data = data.rename(out / "ar.csv")
    events = out / "car.csv"
    events.write_text(f"symbol,event_date\nA,{DAYS[-20].date()}\n", encoding="utf-8")
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    args = [given, str(data), "--events", str(events), "--market", "MKT", "--out", str(out)]
    assert run(["study", *args, "--estimation-window", "-60:-11"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "does not hold the input file" in err, err
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    # a folder that holds inputs under other names still takes the results
    events.rename(out / "events.csv")
    args[3] = str(out / "events.csv")
    assert run(["study", *args, "--estimation-window", "-60:-11"]) == 2  # ar.csv still clashes
    data.rename(out / "data.csv")
    args[1] = str(out / "data.csv")
    assert run(["study", *args, "--estimation-window", "-60:-11"]) == 0
    assert (out / "car.csv").exists() and (out / "data.csv").exists()
