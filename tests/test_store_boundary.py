"""The store's boundary (issue #15): rows merge and never wipe, sane price bounds, and a store
file that is not ours is refused."""

from __future__ import annotations

import shutil
import warnings
from pathlib import Path

import numpy as np
import pytest

from conftest import file_digest
from ipposaki.errors import DataValidationError
from ipposaki.store import Store


def _copy(store: Store, tmp_path: Path) -> Store:
    target = tmp_path / "store.duckdb"
    shutil.copyfile(store.path, target)
    return Store(target)


def test_partial_row_keeps_the_other_columns_and_the_deepseek_return(
    shared_store: Store, tmp_path: Path, write
) -> None:
    """The exact case of issue #15: a closes-only file once wiped NVDA's DeepSeek day."""
    from ipposaki.panel import build_panel

    store = _copy(shared_store, tmp_path)
    before = store.prices(["NVDA"], "2025-01-27", "2025-01-27").iloc[0]
    assert before[["open", "high", "low", "adj_close", "volume"]].notna().all()
    store.import_files([write("fix.csv", "date,symbol,close\n2025-01-27,NVDA,118.42\n")])
    after = store.prices(["NVDA"], "2025-01-27", "2025-01-27").iloc[0]
    for col in ("open", "high", "low", "adj_close", "volume"):
        assert after[col] == before[col], col
    assert after["close"] == 118.42
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        panel = build_panel(store, "XNYS", ["NVDA"], "2025-01-20", "2025-01-31")
    assert panel.returns.loc["2025-01-27", "NVDA"] == pytest.approx(-0.1697, abs=5e-5)


def test_a_blank_cell_never_wipes_a_stored_value(store: Store, write) -> None:
    store.import_files(
        [write("a.csv", "date,symbol,open,close,volume\n2025-01-27,NVDA,124.8,118.42,2000\n")]
    )
    store.import_files([write("b.csv", "date,symbol,open,close,volume\n2025-01-27,NVDA,,118.5,\n")])
    row = store.prices(["NVDA"]).iloc[0]
    assert row["open"] == 124.8 and row["close"] == 118.5 and row["volume"] == 2000.0
    assert np.isnan(row["adj_close"])


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("2025-01-27,NVDA,0", "p.csv: line 2: close=0 for NVDA on 2025-01-27"),
        ("2025-01-27,NVDA,-1", "p.csv: line 2: close=-1"),
        ("2025-01-27,NVDA,1e300", "p.csv: line 2: close=1e+300 for NVDA"),
        ("2025-01-27,NVDA,inf", "at most 1e+09"),
        ("2025-01-27,NVDA,1000000001", "close=1e+09"),
    ],
)
def test_price_bounds_name_file_and_line(store: Store, write, text: str, words: str) -> None:
    with pytest.raises(DataValidationError, match=words.replace("+", r"\+")):
        store.import_files([write("p.csv", f"date,symbol,close\n{text}\n")])
    assert not store.path.exists()


def test_high_below_low_names_file_and_line(store: Store, write) -> None:
    path = write(
        "p.csv",
        "date,symbol,high,low,close\n2025-01-24,NVDA,148,141,142\n2025-01-27,NVDA,110,120,118\n",
    )
    with pytest.raises(DataValidationError) as info:
        store.import_files([path])
    assert str(info.value) == (
        f"{path}: line 3: high=110 is below low=120 for NVDA on 2025-01-27: expected high >= low"
    )


def test_a_price_of_one_billion_is_allowed(store: Store, write) -> None:
    store.import_files([write("p.csv", "date,symbol,close\n2025-01-27,NVDA,1000000000\n")])
    assert store.prices()["close"].item() == 1e9


def test_failed_merge_leaves_store_unchanged(shared_store: Store, tmp_path: Path, write) -> None:
    store = _copy(shared_store, tmp_path)
    before = file_digest(store.path)
    with pytest.raises(DataValidationError):
        store.import_files(
            [write("p.csv", "date,symbol,close\n2025-01-24,NVDA,140\n2025-01-27,NVDA,2e9\n")]
        )
    assert file_digest(store.path) == before
