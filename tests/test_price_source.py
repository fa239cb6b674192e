"""Each price row records its source: the label of the ingest that last wrote it (#20)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd
import pytest

from conftest import file_digest
from ipposaki.errors import DataValidationError, DuplicateRowWarning
from ipposaki.store import Store
from ipposaki.store.schema import SCHEMA_VERSION

CSV = """date,symbol,open,close,volume,currency
2025-01-23,NVDA,145.0,147.22,1000,USD
2025-01-24,NVDA,146.0,142.62,1000,USD
2025-01-27,NVDA,124.8,118.42,2000,USD
"""

#: The schema of a store made before prices recorded their source (schema version 1).
OLD_DDL = (
    "CREATE TABLE meta (key VARCHAR PRIMARY KEY, value VARCHAR)",
    "CREATE TABLE instruments (symbol VARCHAR PRIMARY KEY, name VARCHAR, name_ja VARCHAR, "
    "exchange VARCHAR, currency VARCHAR, country VARCHAR, kind VARCHAR, sector VARCHAR, "
    "benchmark VARCHAR)",
    "CREATE TABLE prices (symbol VARCHAR NOT NULL, session DATE NOT NULL, open DOUBLE, "
    "high DOUBLE, low DOUBLE, close DOUBLE, adj_close DOUBLE, volume DOUBLE)",
    "CREATE TABLE baskets (basket VARCHAR NOT NULL, symbol VARCHAR NOT NULL, name VARCHAR, "
    "name_ja VARCHAR, PRIMARY KEY (basket, symbol))",
    "CREATE TABLE characteristics (symbol VARCHAR NOT NULL, key VARCHAR NOT NULL, value DOUBLE, "
    "as_of DATE NOT NULL, source VARCHAR, PRIMARY KEY (symbol, key, as_of))",
    "CREATE TABLE events (event_id VARCHAR PRIMARY KEY, name VARCHAR, name_ja VARCHAR, "
    "timestamp TIMESTAMPTZ, description VARCHAR, source VARCHAR)",
    "INSERT INTO meta VALUES ('schema_version', '1'), ('application_id', 'ipposaki'), "
    "('source:old.csv', '2')",
    "INSERT INTO instruments VALUES ('NVDA', 'NVIDIA', 'エヌビディア', 'XNYS', 'USD', 'US', "
    "'stock', '', '')",
    "INSERT INTO prices VALUES ('NVDA', '2025-01-23', NULL, NULL, NULL, 147.22, NULL, NULL), "
    "('NVDA', '2025-01-24', NULL, NULL, NULL, 142.62, NULL, NULL)",
)


def jquants_rows(**columns: list[object]) -> pd.DataFrame:
    return pd.DataFrame({"symbol": ["8035.T"], "session": ["2025-01-27"], **columns})


def sources(store: Store) -> dict[tuple[str, str], object]:
    rows = store.prices()
    return {
        (sym, str(pd.Timestamp(day).date())): None if pd.isna(src) else src
        for sym, day, src in zip(rows["symbol"], rows["session"], rows["source"], strict=True)
    }


def columns(path: Path) -> list[str]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return [r[0] for r in con.execute("DESCRIBE prices").fetchall()]
    finally:
        con.close()


def schema_version(path: Path) -> str:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()[0]
    finally:
        con.close()


@pytest.fixture
def old_store(tmp_path: Path) -> Store:
    """A store as ipposaki wrote it before prices had a source: two NVDA closes."""
    path = tmp_path / "old.duckdb"
    con = duckdb.connect(str(path))
    for stmt in OLD_DDL:
        con.execute(stmt)
    con.close()
    return Store(path)


def test_two_sources_give_each_row_its_own(store: Store, write) -> None:
    path = write("p.csv", CSV)
    store.import_files([path])
    store.ingest(jquants_rows(close=[25105.0]), "jquants", instruments=None)
    got = sources(store)
    assert got == {
        ("8035.T", "2025-01-27"): "jquants",
        ("NVDA", "2025-01-23"): str(path),
        ("NVDA", "2025-01-24"): str(path),
        ("NVDA", "2025-01-27"): str(path),
    }
    assert store.sources() == sorted([str(path), "jquants"])  # per ingest, as before
    assert list(store.prices().columns) == [
        "symbol",
        "session",
        "open",
        "high",
        "low",
        "close",
        "adj_close",
        "volume",
        "source",
    ]
    assert columns(store.path)[-1] == "source"
    assert schema_version(store.path) == SCHEMA_VERSION == "2"


def test_a_merge_updates_the_source_of_the_merged_rows_only(store: Store, write) -> None:
    path = write("p.csv", CSV)
    store.import_files([path])
    fix = pd.DataFrame({"symbol": ["NVDA"], "session": ["2025-01-27"], "close": [118.50]})
    store.ingest(fix, "yahoo")
    rows = store.prices(["NVDA"]).set_index("session")
    merged = rows.loc[pd.Timestamp("2025-01-27")]
    # The merge keeps the stored open and volume; the row is now the new ingest's.
    assert merged["close"] == 118.50 and merged["open"] == 124.8 and merged["volume"] == 2000
    assert merged["source"] == "yahoo"
    assert rows["source"].tolist() == [str(path), str(path), "yahoo"]


def test_replace_rows_records_the_new_source(store: Store, write) -> None:
    first = write("p.csv", CSV)
    store.import_files([first])
    second = write("fix.csv", "date,symbol,close\n2025-01-24,NVDA,142.00\n")
    store.import_files([second], replace_rows=True)
    rows = store.prices(["NVDA"]).set_index("session")
    replaced = rows.loc[pd.Timestamp("2025-01-24")]
    assert pd.isna(replaced["open"]) and replaced["source"] == str(second)
    assert rows["source"].tolist() == [str(first), str(second), str(first)]


def test_several_files_in_one_import_each_label_their_rows(store: Store, write) -> None:
    a = write("a.csv", "date,symbol,close\n2025-01-23,NVDA,147.22\n2025-01-24,NVDA,142.62\n")
    b = write("b.csv", "date,symbol,close\n2025-01-24,NVDA,142.62\n2025-01-27,NVDA,118.42\n")
    with pytest.warns(DuplicateRowWarning, match="last file wins"):
        store.import_files([a, b])
    assert store.prices()["source"].tolist() == [str(a), str(b), str(b)]


def test_old_store_reads_then_gains_the_column_on_its_first_ingest(old_store: Store, write) -> None:
    path = old_store.path
    before = file_digest(path)
    rows = old_store.prices()
    assert rows["close"].tolist() == [147.22, 142.62]
    assert rows["source"].isna().all() and list(rows.columns)[-1] == "source"
    assert old_store.symbols() == ["NVDA"] and old_store.sources() == ["old.csv"]
    assert len(old_store.info()) == 1
    assert file_digest(path) == before  # reading changes nothing
    assert "source" not in columns(path) and schema_version(path) == "1"

    new = write("new.csv", "date,symbol,close\n2025-01-24,NVDA,142.00\n2025-01-27,NVDA,118.42\n")
    old_store.import_files([new])
    assert columns(path)[-1] == "source" and schema_version(path) == SCHEMA_VERSION
    assert sources(old_store) == {
        ("NVDA", "2025-01-23"): None,  # stored before sources were recorded
        ("NVDA", "2025-01-24"): str(new),  # merged: the new ingest's now
        ("NVDA", "2025-01-27"): str(new),
    }
    assert old_store.prices()["close"].tolist() == [147.22, 142.00, 118.42]


def test_old_store_exports_with_an_empty_source(old_store: Store, tmp_path: Path) -> None:
    from ipposaki.store.parquet import export_partitioned

    out = export_partitioned(old_store, tmp_path / "out", ["year"])
    frame = pd.read_parquet(out)
    assert frame["source"].isna().all() and len(frame) == 2
    assert "source" not in columns(old_store.path)  # the export only reads


def test_export_carries_each_rows_source(store: Store, write, tmp_path: Path) -> None:
    from ipposaki.panel.partitioned import PartitionedPrices
    from ipposaki.store.parquet import export_partitioned

    path = write("p.csv", CSV)
    store.import_files([path])
    store.ingest(jquants_rows(close=[25105.0]), "jquants")
    out = export_partitioned(store, tmp_path / "out", ["exchange"])
    frame = pd.read_parquet(out).sort_values(["symbol", "session"])
    assert frame["source"].tolist() == ["jquants", str(path), str(path), str(path)]
    assert set(PartitionedPrices(out).exchanges) == {"XNYS", "XTKS"}
    again = Store(tmp_path / "again.duckdb")
    again.import_files([out])  # the import labels rows by the files it read
    assert again.prices()["close"].tolist() == store.prices()["close"].tolist()
    assert all(str(out) in s for s in again.prices()["source"])


def refuse(con: object) -> None:
    raise RuntimeError("refused inside the transaction")


@pytest.mark.parametrize("old", [False, True], ids=["current", "schema-1"])
def test_a_failed_ingest_leaves_the_store_byte_for_byte(
    old: bool, store: Store, old_store: Store, write
) -> None:
    if old:
        target = old_store
    else:
        target = store
        target.import_files([write("p.csv", CSV)])
    before = file_digest(target.path)
    # Refused by validation, before the store is opened for writing.
    bad = write("bad.csv", "date,symbol,close\n2025-01-27,NVDA,abc\n")
    with pytest.raises(DataValidationError, match="abc"):
        target.import_files([bad])
    assert file_digest(target.path) == before
    # Refused inside the write transaction, after the upgrade and the rows.
    with pytest.raises(RuntimeError, match="inside the transaction"):
        target.ingest(jquants_rows(close=[25105.0]), "jquants", before_commit=refuse)
    assert file_digest(target.path) == before
    if old:  # the upgrade rolled back with the rows
        assert "source" not in columns(target.path) and schema_version(target.path) == "1"
