"""Partitioned Parquet prices: export, slice reads, studies on them, and their bad input."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from ipposaki.errors import InputError
from ipposaki.panel.partitioned import PartitionedPrices, export_partitioned
from ipposaki.store import Store
from ipposaki.study import run_study


@pytest.fixture(scope="module")
def exported(shared_store: Store, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return export_partitioned(
        shared_store, tmp_path_factory.mktemp("parquet") / "prices", ["exchange", "year"]
    )


def test_export_writes_hive_partitions_and_keeps_every_row(
    exported: Path, shared_store: Store
) -> None:
    assert (exported / "exchange=XNYS" / "year=2025").is_dir()
    assert (exported / "exchange=XTKS" / "year=2015").is_dir()
    rows = sum(pq.ParquetFile(f).metadata.num_rows for f in exported.rglob("*.parquet"))
    stored = int(shared_store.info()["rows"].sum())
    assert rows == stored


def test_slices_give_the_published_moves(exported: Path) -> None:
    # Nvidia -16.97% on 2025-01-27 (NYSE), Nikkei 225 -1.39% on 2025-01-28 (Tokyo): the brief
    us = PartitionedPrices(exported, "XNYS")
    jp = PartitionedPrices(exported, "XTKS")
    day = us.sessions.get_loc(pd.Timestamp("2025-01-27"))
    nvda = us.read(np.array([us.symbols.index("NVDA")]), day, day)
    assert nvda[0, 0] == pytest.approx(-0.1697, abs=5e-5)
    day = jp.sessions.get_loc(pd.Timestamp("2025-01-28"))
    n225 = jp.read(np.array([jp.symbols.index("^N225")]), day, day)
    assert n225[0, 0] == pytest.approx(-548.93 / (39016.87 + 548.93), abs=1e-6)


def test_a_slice_equals_the_same_cells_of_the_whole_frame(exported: Path) -> None:
    us = PartitionedPrices(exported, "XNYS")
    whole = us.frame()
    cols = np.array([3, 0, 7])
    part = us.read(cols, 100, 140)
    expected = whole.iloc[100:141, cols].to_numpy().T
    np.testing.assert_array_equal(part, expected)
    assert np.isnan(us.read(cols, 0, 0)).all()  # the first session has no previous close


def test_study_on_the_directory_equals_study_on_its_frame(exported: Path) -> None:
    us = PartitionedPrices(exported, "XNYS")
    events = pd.DataFrame(
        {"symbol": ["NVDA", "AVGO", "GOOGL", "NOTHERE"], "event_date": ["2025-01-27"] * 4}
    )
    a = run_study(us, events, market="SPY")
    b = run_study(us.frame(), events, market="SPY")
    pd.testing.assert_frame_equal(a.car, b.car)
    pd.testing.assert_frame_equal(a.tests, b.tests)
    # A symbol the partitions lack is listed as excluded with its reason, not dropped.
    row = a.excluded.set_index("symbol").loc["NOTHERE"]
    assert row["reason"] == "no returns for symbol NOTHERE"


def test_inconsistent_schemas_name_the_file(tmp_path: Path) -> None:
    good = pa.table(
        {"symbol": ["A"], "session": [pd.Timestamp("2024-01-02").date()], "close": [1.0]}
    )
    bad = pa.table(
        {"symbol": ["B"], "session": [pd.Timestamp("2024-01-03").date()], "close": ["1"]}
    )
    (tmp_path / "year=2024").mkdir()
    pq.write_table(good, tmp_path / "year=2024" / "a.parquet")
    pq.write_table(bad, tmp_path / "year=2024" / "b.parquet")
    with pytest.raises(InputError, match=r"b\.parquet.*same column types"):
        PartitionedPrices(tmp_path)


def test_bad_export_arguments(shared_store: Store, exported: Path, tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"partition_by.*'sector'"):
        export_partitioned(shared_store, tmp_path / "x", ["sector"])
    with pytest.raises(InputError, match="does not exist yet"):
        export_partitioned(shared_store, exported, ["year"])
    with pytest.raises(InputError, match="holding .parquet files"):
        PartitionedPrices(tmp_path)


@pytest.mark.slow
def test_cli_export_then_study_on_dask(shared_store: Store, tmp_path: Path) -> None:
    from ipposaki.cli.main import run

    target = tmp_path / "prices"
    store_args = ["--store", str(shared_store.path)]
    assert (
        run(["data", "export", "--parquet", str(target), "--partition-by", "year", *store_args])
        == 0
    )
    events = tmp_path / "events.csv"
    events.write_text("symbol,event_date\nNVDA,2025-01-27\nAVGO,2025-01-27\n", encoding="utf-8")
    args = ["study", "--parquet", str(target), "--exchange", "XNYS", "--events", str(events)]
    args += ["--market", "SPY"]
    assert run([*args, "--out", str(tmp_path / "local")]) == 0
    assert (
        run([*args, "--backend", "dask", "--scheduler", "local:2", "--out", str(tmp_path / "d")])
        == 0
    )
    a = pd.read_csv(tmp_path / "local" / "car.csv")
    b = pd.read_csv(tmp_path / "d" / "car.csv")
    pd.testing.assert_frame_equal(a, b, rtol=0, atol=1e-12)
    nvda = a.query("symbol == 'NVDA' and window == '0:0'")
    assert float(nvda["car"].iloc[0]) < -0.10


def test_scanner_reads_the_directory(exported: Path, shared_store: Store) -> None:
    """The scan on the exported Parquet finds the same DeepSeek episode as on the store."""
    from ipposaki.scan import scan

    on_store = scan(shared_store, "2024-06-01", "2025-03-31", ["us_ai_chips", "jp_electric_wires"])
    on_files = scan(
        shared_store,
        "2024-06-01",
        "2025-03-31",
        ["us_ai_chips", "jp_electric_wires"],
        parquet=exported,
    )
    top = on_files.episodes.iloc[0]
    assert top["sessions"] == "XTKS 01-27, XNYS 01-27, XTKS 01-28"
    a = on_store.flags.set_index(["basket", "session"])["basket_sar"]
    b = on_files.flags.set_index(["basket", "session"])["basket_sar"]
    pd.testing.assert_series_equal(a, b, rtol=0, atol=1e-12)  # the same closes, the same SARs


def test_store_imports_the_directory(exported: Path, shared_store: Store, tmp_path: Path) -> None:
    """Export, then import into a fresh store: the same rows, to the last close."""
    fresh = Store(tmp_path / "again.duckdb")
    fresh.import_files([exported])
    assert fresh.info()["rows"].sum() == shared_store.info()["rows"].sum()
    # The same rows; the fresh store records the exported files as their source.
    a = shared_store.prices(["NVDA", "^N225"]).drop(columns="source").reset_index(drop=True)
    b = fresh.prices(["NVDA", "^N225"]).drop(columns="source").reset_index(drop=True)
    pd.testing.assert_frame_equal(a, b)
