"""The store's boundary (issue #15): rows merge and never wipe, sane price bounds, and a store
file that is not ours is refused."""

from __future__ import annotations

import shutil
import warnings
from pathlib import Path

import numpy as np
import pytest

from conftest import file_digest
from ipposaki.errors import DataValidationError, StoreError
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


def test_replace_rows_is_the_explicit_way_to_overwrite(store: Store, write) -> None:
    """`data import --replace-rows`: the file's row replaces the stored one, blanks included,
    and rows the file does not hold are untouched."""
    from typer.testing import CliRunner

    from ipposaki.cli.main import app

    store.import_files(
        [
            write(
                "a.csv",
                "date,symbol,open,close,volume\n"
                "2025-01-24,NVDA,148.9,142.62,2340\n2025-01-27,NVDA,124.8,118.42,2000\n",
            )
        ]
    )
    fix = write("fix.csv", "date,symbol,close\n2025-01-27,NVDA,118.5\n")
    args = ["data", "import", str(fix), "--store", str(store.path)]
    assert CliRunner().invoke(app, args).exit_code == 0  # merge: open and volume kept
    row = store.prices(["NVDA"], "2025-01-27", "2025-01-27").iloc[0]
    assert (row["open"], row["close"], row["volume"]) == (124.8, 118.5, 2000.0)
    assert CliRunner().invoke(app, [*args, "--replace-rows"]).exit_code == 0
    rows = store.prices(["NVDA"]).set_index("session")
    assert rows.loc["2025-01-27", "close"] == 118.5
    assert rows.loc["2025-01-27", ["open", "volume"]].isna().all()  # replaced whole
    assert tuple(rows.loc["2025-01-24", ["open", "close", "volume"]]) == (148.9, 142.62, 2340.0)


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


# -- the store is ours or refused --------------------------------------------------------------


def _foreign(path: Path, *statements: str) -> Path:
    import duckdb

    con = duckdb.connect(str(path))
    for stmt in statements:
        con.execute(stmt)
    con.close()
    return path


def test_new_store_carries_application_id_and_schema_version(store: Store, write) -> None:
    import duckdb

    from ipposaki.store.schema import APPLICATION_ID, SCHEMA_VERSION

    store.import_files([write("p.csv", "date,symbol,close\n2025-01-27,NVDA,118.42\n")])
    con = duckdb.connect(str(store.path), read_only=True)
    meta = dict(con.execute("SELECT key, value FROM meta").fetchall())
    con.close()
    assert meta["application_id"] == APPLICATION_ID == "ipposaki"
    assert meta["schema_version"] == SCHEMA_VERSION


def test_foreign_duckdb_file_is_refused_and_left_alone(tmp_path: Path, write) -> None:
    path = _foreign(
        tmp_path / "app.duckdb", "CREATE TABLE users (id INT)", "INSERT INTO users VALUES (1)"
    )
    before = file_digest(path)
    store = Store(path)
    with pytest.raises(StoreError, match=r"app\.duckdb: not an ipposaki store: .*users"):
        store.import_files([write("p.csv", "date,symbol,close\n2025-01-27,NVDA,118.42\n")])
    with pytest.raises(StoreError, match="not an ipposaki store"):
        store.symbols()
    assert file_digest(path) == before


def test_foreign_meta_table_is_refused(tmp_path: Path) -> None:
    path = _foreign(
        tmp_path / "m.duckdb",
        "CREATE TABLE meta (key VARCHAR, value VARCHAR)",
        "INSERT INTO meta VALUES ('application_id', 'other')",
    )
    with pytest.raises(StoreError, match="application_id='other'"):
        Store(path).symbols()


def test_newer_schema_version_is_refused_naming_it(store: Store, write) -> None:
    import duckdb

    store.import_files([write("p.csv", "date,symbol,close\n2025-01-27,NVDA,118.42\n")])
    con = duckdb.connect(str(store.path))
    con.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    con.close()
    with pytest.raises(StoreError, match="schema version 99 is newer than this ipposaki's"):
        store.symbols()


def test_store_made_before_the_application_id_is_stamped_on_write(store: Store, write) -> None:
    import duckdb

    store.import_files([write("p.csv", "date,symbol,close\n2025-01-27,NVDA,118.42\n")])
    con = duckdb.connect(str(store.path))
    con.execute("DELETE FROM meta WHERE key = 'application_id'")
    con.close()
    assert store.symbols() == ["NVDA"]  # readable as it was
    store.import_files([write("q.csv", "date,symbol,close\n2025-01-24,NVDA,142.62\n")])
    con = duckdb.connect(str(store.path), read_only=True)
    assert con.execute("SELECT value FROM meta WHERE key='application_id'").fetchone() == (
        "ipposaki",
    )
    con.close()


@pytest.mark.parametrize(
    ("name", "text", "words"),
    [
        ("prices.csv", "date,symbol,close\n2025-01-27,NVDA,1\n", "not a DuckDB database"),
        ("empty.duckdb", "", "an empty file"),
    ],
)
def test_a_file_that_is_not_duckdb_is_refused(
    tmp_path: Path, write, name: str, text: str, words: str
) -> None:
    path = write(name, text)
    before = file_digest(path)
    with pytest.raises(StoreError, match=words):
        Store(path).import_files([write("p.csv", "date,symbol,close\n2025-01-27,NVDA,1\n")])
    with pytest.raises(StoreError, match=words):
        Store(path).symbols()
    assert file_digest(path) == before


def test_empty_duckdb_file_becomes_a_store(tmp_path: Path, write) -> None:
    path = _foreign(tmp_path / "new.duckdb")
    store = Store(path)
    assert store.symbols() == []
    store.import_files([write("p.csv", "date,symbol,close\n2025-01-27,NVDA,118.42\n")])
    assert store.symbols() == ["NVDA"]


def test_busy_store_is_one_line_after_the_lock_timeout(
    tmp_path: Path, write, monkeypatch: pytest.MonkeyPatch
) -> None:
    import subprocess
    import sys

    store = Store(tmp_path / "s.duckdb")
    store.import_files([write("p.csv", "date,symbol,close\n2025-01-27,NVDA,118.42\n")])
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); print('held', flush=True);"
            " time.sleep(30)",
            str(store.path),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        monkeypatch.setenv("IPPOSAKI_LOCK_TIMEOUT", "0.3")
        with pytest.raises(StoreError, match=r"busy: another process holds its lock") as info:
            store.import_files([write("q.csv", "date,symbol,close\n2025-01-24,NVDA,142.62\n")])
        assert "\n" not in str(info.value) and f"PID {holder.pid}" in str(info.value)
    finally:
        holder.kill()
        holder.wait()


def test_rows_in_two_files_are_a_named_warning(store: Store, write) -> None:
    from ipposaki.errors import DuplicateRowWarning

    a = write("a.csv", "date,symbol,close\n2025-01-27,NVDA,118.42\n")
    b = write("b.csv", "date,symbol,close\n2025-01-27,NVDA,118.50\n")
    with pytest.warns(DuplicateRowWarning, match="more than one file; the last file wins"):
        store.import_files([a, b])
    assert store.prices()["close"].item() == 118.50


def test_a_new_symbol_whose_rows_are_all_skipped_is_not_an_instrument(store: Store, write) -> None:
    """--non-sessions skip: ZZQX's only row is a Saturday, so it is skipped and ZZQX is not
    added to the instruments (found by the property tests); no third-party warning leaks."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        store.import_files(
            [
                write(
                    "c.csv",
                    "date,symbol,close,currency\n2025-02-03,NVDA,1.0,USD\n"
                    "2025-02-01,ZZQX,1.0,USD\n",
                )
            ],
            non_sessions="skip",
        )
    assert [type(w.message).__name__ for w in caught] == ["NonSessionWarning"]
    assert "ZZQX" not in set(store.instruments()["symbol"])
    assert store.instruments().set_index("symbol").loc["NVDA", "currency"] == "USD"
