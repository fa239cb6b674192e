"""Every bad input to an ingest: a one-line error naming file, row, value and what is allowed,
and a store left byte-for-byte as it was (or not created at all)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from conftest import file_digest
from ipposaki.errors import DataValidationError, InputError
from ipposaki.store import Store

GOOD = """date,symbol,open,high,low,close,adj_close,volume,currency
2025-01-24,NVDA,146.0,148.0,141.0,142.62,142.62,1000,USD
2025-01-27,NVDA,124.8,128.4,116.7,118.42,118.42,2000,USD
2025-01-24,8035.T,26000,26500,25800,26400,,100,JPY
2025-01-27,8035.T,25500,25600,24800,25105,,200,JPY
"""


@pytest.fixture
def seeded(store: Store, write) -> Store:
    store.import_files([write("good.csv", GOOD)])
    return store


CASES = {
    "non_numeric": (
        "date,symbol,close\n2025-01-24,NVDA,142.6\n2025-01-27,NVDA,abc\n",
        "line 3: close='abc' is not allowed: expected a number",
    ),
    "non_positive": (
        "date,symbol,close\n2025-01-24,NVDA,142.6\n2025-01-27,NVDA,-1.5\n",
        "line 3: close=-1.5 for NVDA on 2025-01-27 is not allowed: expected a positive price",
    ),
    "zero_price": (
        "date,symbol,open,close\n2025-01-24,NVDA,0,142.6\n",
        "line 2: open=0 for NVDA on 2025-01-24 is not allowed: expected a positive price",
    ),
    "conflicting_duplicate": (
        "date,symbol,close\n2025-01-24,NVDA,142.6\n2025-01-24,NVDA,150.0\n",
        "lines 2, 3: duplicate rows for NVDA on 2025-01-24 with different close (142.6 vs 150)",
    ),
    "unparseable_date": (
        "date,symbol,close\n2025-01-24,NVDA,142.6\n2025-13-45,NVDA,150.0\n",
        "line 3: date='2025-13-45' is not allowed: expected a date as YYYY-MM-DD",
    ),
    "missing_column": (
        "date,ticker,close\n2025-01-24,NVDA,142.6\n",
        "missing required column 'symbol' for the long layout",
    ),
    "missing_close": (
        "date,symbol,open\n2025-01-24,NVDA,142.6\n",
        "missing required column 'close' for the long layout",
    ),
    "no_date_column": (
        "day,NVDA\n2025-01-24,142.6\n",
        "missing required column 'date' (found: day, nvda)",
    ),
    "empty_file": ("", "the file is empty"),
    "header_only": ("date,symbol,close\n", "the file has a header but no rows"),
    "non_session": (
        "date,symbol,close\n2025-01-24,8035.T,26400\n2025-01-01,8035.T,26000\n",
        "line 3: 2025-01-01 is not a session of XTKS (symbol 8035.T; 1 such rows): expected "
        "session dates, or skip them with `non_sessions='skip'`",
    ),
    "us_holiday": (
        "date,symbol,close\n2025-01-09,NVDA,140.0\n",
        "line 2: 2025-01-09 is not a session of XNYS",
    ),
    "negative_volume": (
        "date,symbol,close,volume\n2025-01-24,NVDA,142.6,-5\n",
        "line 2: volume=-5 is not allowed: expected a volume from 0 to 1e+14, or empty",
    ),
    "empty_symbol": (
        "date,symbol,close\n2025-01-24,,142.6\n",
        "line 2: symbol is empty",
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_file_changes_nothing(seeded: Store, write, case: str) -> None:
    text, expected = CASES[case]
    path = write(f"{case}.csv", text)
    before = file_digest(seeded.path)
    with pytest.raises(DataValidationError) as err:
        seeded.import_files([path])
    message = str(err.value)
    assert "\n" not in message
    assert message.startswith(str(path))
    assert expected in message
    assert file_digest(seeded.path) == before


@pytest.mark.parametrize("case", ["non_numeric", "empty_file", "conflicting_duplicate"])
def test_bad_file_does_not_create_a_store(store: Store, write, case: str) -> None:
    with pytest.raises(DataValidationError):
        store.import_files([write(f"{case}.csv", CASES[case][0])])
    assert not store.path.exists()


def test_one_bad_file_among_good_ones_writes_none(seeded: Store, write) -> None:
    good = write("more.csv", "date,symbol,close\n2025-01-28,NVDA,128.99\n")
    bad = write("bad.csv", CASES["non_positive"][0])
    before = file_digest(seeded.path)
    with pytest.raises(DataValidationError):
        seeded.import_files([good, bad])
    assert file_digest(seeded.path) == before


def test_bad_parquet_names_the_row(seeded: Store, tmp_path: Path) -> None:
    path = tmp_path / "bad.parquet"
    pd.DataFrame(
        {"date": ["2025-01-24", "2025-01-27"], "symbol": ["NVDA", "NVDA"], "close": ["142.6", "x"]}
    ).to_parquet(path)
    before = file_digest(seeded.path)
    with pytest.raises(DataValidationError, match=r"row 2: close='x' is not allowed"):
        seeded.import_files([path])
    assert file_digest(seeded.path) == before


def test_wide_non_numeric_names_the_symbol_column(seeded: Store, write) -> None:
    path = write("wide.csv", "date,NVDA,AVGO\n2025-01-24,142.6,244.7\n2025-01-27,n/a,202.1\n")
    with pytest.raises(DataValidationError, match=r"line 3: nvda='n/a' is not allowed"):
        seeded.import_files([path])


@pytest.mark.parametrize(
    ("name", "allowed"),
    [("prices.xlsx", "a file ending in .csv or .parquet"), ("missing.csv", "an existing")],
)
def test_bad_paths(seeded: Store, tmp_path: Path, name: str, allowed: str) -> None:
    path = tmp_path / name
    if name.endswith(".xlsx"):
        path.write_text("x")
    with pytest.raises(InputError, match=allowed):
        seeded.import_files([path])


def test_bad_options(seeded: Store, write) -> None:
    path = write("ok.csv", "date,symbol,close\n2025-01-28,NVDA,128.99\n")
    with pytest.raises(InputError, match="non_sessions='maybe' is not allowed"):
        seeded.import_files([path], non_sessions="maybe")  # type: ignore[arg-type]
    with pytest.raises(InputError, match="layout='tall' is not allowed"):
        seeded.import_files([path], layout="tall")  # type: ignore[arg-type]
