"""The DuckDB store: round trips, idempotence, the (symbol, session) key, warnings, metadata."""

from __future__ import annotations

import warnings
from pathlib import Path

import pandas as pd
import pytest

from ipposaki.errors import (
    DataValidationError,
    DuplicateRowWarning,
    MissingSessionWarning,
    NonSessionWarning,
    SplitLikeMoveWarning,
    UnknownNameError,
)
from ipposaki.store import Store, default_store_path

LONG = """date,symbol,open,high,low,close,adj_close,volume,currency
2025-01-23,NVDA,145.0,147.2,143.1,147.22,147.22,1000,USD
2025-01-24,NVDA,146.0,148.0,141.0,142.62,142.62,1000,USD
2025-01-27,NVDA,124.8,128.4,116.7,118.42,118.42,2000,USD
2025-01-24,8035.T,26000,26500,25800,26400,,100,JPY
2025-01-27,8035.T,25500,25600,24800,25105,,200,JPY
"""


def contents(store: Store) -> pd.DataFrame:
    return store.prices().sort_values(["symbol", "session"]).reset_index(drop=True)


def test_long_csv_round_trip(store: Store, write) -> None:
    result = store.import_files([write("p.csv", LONG)])
    assert result.rows_written == 5 and result.symbols == ("8035.T", "NVDA")
    got = contents(store)
    nvda = got.loc[got["symbol"] == "NVDA"]
    assert nvda["close"].tolist() == [147.22, 142.62, 118.42]
    assert nvda["volume"].tolist() == [1000.0, 1000.0, 2000.0]
    tel = got.loc[got["symbol"] == "8035.T"]
    assert tel["adj_close"].isna().all() and tel["close"].tolist() == [26400.0, 25105.0]
    assert str(got["session"].iloc[0].date()) == "2025-01-24"


def test_same_ingest_twice_is_identical(store: Store, write) -> None:
    path = write("p.csv", LONG)
    store.import_files([path])
    first, inst1 = contents(store), store.instruments()
    store.import_files([path])
    pd.testing.assert_frame_equal(contents(store), first)
    pd.testing.assert_frame_equal(store.instruments(), inst1)


def test_overlapping_ingest_merges_and_keeps_the_key_unique(store: Store, write) -> None:
    store.import_files([write("p.csv", LONG)])
    store.import_files([write("fix.csv", "date,symbol,close\n2025-01-27,NVDA,118.50\n")])
    got = contents(store)
    assert not got.duplicated(["symbol", "session"]).any()
    assert len(got) == 5
    row = got.loc[(got["symbol"] == "NVDA") & (got["session"] == "2025-01-27")]
    # Merge, never wipe: the columns the file lacks keep their stored values.
    assert row["close"].item() == 118.50 and row["open"].item() == 124.8
    assert row["adj_close"].item() == 118.42 and row["volume"].item() == 2000.0


def test_wide_csv(store: Store, write) -> None:
    text = "date,NVDA,^N225\n2025-01-24,142.62,39931.98\n2025-01-27,118.42,39565.80\n"
    text += "2025-01-28,128.99,\n"
    store.import_files([write("w.csv", text)])
    got = contents(store)
    assert got.groupby("symbol").size().to_dict() == {"NVDA": 3, "^N225": 2}
    assert set(store.instruments().set_index("symbol").loc[["NVDA", "^N225"], "exchange"]) == {
        "XNYS",
        "XTKS",
    }


def test_parquet_equals_csv(tmp_path: Path, write) -> None:
    csv = write("p.csv", LONG)
    frame = pd.read_csv(csv)
    pq = tmp_path / "p.parquet"
    frame.to_parquet(pq)
    a, b = Store(tmp_path / "a.duckdb"), Store(tmp_path / "b.duckdb")
    a.import_files([csv])
    b.import_files([pq])
    # The same rows; each store records the file it read as their source.
    pd.testing.assert_frame_equal(
        contents(a).drop(columns="source"), contents(b).drop(columns="source")
    )


def test_exact_duplicates_are_collapsed_with_a_warning(store: Store, write) -> None:
    text = "date,symbol,close\n2025-01-24,NVDA,142.62\n2025-01-24,NVDA,142.62\n"
    with pytest.warns(DuplicateRowWarning, match="1 exact duplicate rows"):
        result = store.import_files([write("d.csv", text)])
    assert result.rows_written == 1


def test_split_like_move_is_a_warning_naming_symbol_and_date(store: Store, write) -> None:
    # An unadjusted 10:1 split: NVDA closed 1208.88 on 2024-06-07 and 121.79 on 2024-06-10.
    text = "date,symbol,close\n2024-06-07,NVDA,1208.88\n2024-06-10,NVDA,121.79\n"
    with pytest.warns(SplitLikeMoveWarning, match=r"NVDA 2024-06-10 -89\.9%"):
        result = store.import_files([write("s.csv", text)])
    assert result.rows_written == 2  # kept: a warning, not an error
    assert result.reports[0].split_like_moves["symbol"].tolist() == ["NVDA"]


def test_index_moves_are_not_split_warnings(store: Store, write) -> None:
    # The VIX rose 115.6% on 2018-02-05; an index has no splits.
    text = "date,symbol,close\n2018-02-02,^VIX,17.31\n2018-02-05,^VIX,37.32\n"
    with warnings.catch_warnings():
        warnings.simplefilter("error", SplitLikeMoveWarning)
        store.import_files([write("v.csv", text)])


def test_missing_sessions_are_warned_and_kept_missing(store: Store, write) -> None:
    text = "date,symbol,close\n2025-01-23,NVDA,147.22\n2025-01-27,NVDA,118.42\n"
    with pytest.warns(MissingSessionWarning, match=r"NVDA 1 \(2025-01-24\)"):
        store.import_files([write("g.csv", text)])
    info = store.info().set_index("symbol")
    assert info.loc["NVDA", "rows"] == 2 and info.loc["NVDA", "missing_sessions"] == 1


def test_non_sessions_skipped_on_request(store: Store, write) -> None:
    text = "date,symbol,close\n2025-01-08,NVDA,140.11\n2025-01-09,NVDA,140.0\n"
    text += "2025-01-10,NVDA,135.91\n"
    with pytest.warns(NonSessionWarning, match=r"NVDA 2025-01-09 \(XNYS\)"):
        result = store.import_files([write("h.csv", text)], non_sessions="skip")
    assert result.rows_written == 2
    assert result.reports[0].non_sessions["line"].tolist() == [3]


def test_fx_rows_are_not_checked_against_a_calendar(store: Store, write) -> None:
    # JPY=X trades on US holidays such as 2025-01-09.
    text = "date,symbol,close\n2025-01-09,JPY=X,158.1\n2025-01-10,JPY=X,158.0\n"
    result = store.import_files([write("fx.csv", text)])
    assert result.rows_written == 2
    inst = store.instruments().set_index("symbol")
    assert inst.loc["JPY=X", "exchange"] == "" and inst.loc["JPY=X", "kind"] == "fx"


def test_new_symbols_get_guessed_instruments(store: Store, write) -> None:
    text = "date,symbol,close,currency\n2025-01-27,7013.T,5000,JPY\n2025-01-27,IBM,220,USD\n"
    result = store.import_files([write("n.csv", text)])
    assert result.new_instruments == ("7013.T", "IBM")
    inst = store.instruments().set_index("symbol")
    assert inst.loc["7013.T", "exchange"] == "XTKS" and inst.loc["7013.T", "currency"] == "JPY"
    assert inst.loc["IBM", "exchange"] == "XNYS"


def test_builtin_universe_and_baskets(store: Store) -> None:
    inst = store.instruments()
    assert len(inst) == 98
    assert store.basket("jp_electric_wires") == ["5801.T", "5802.T", "5803.T", "5805.T"]
    for name in (
        "us_ai_chips",
        "us_hyperscalers",
        "us_power",
        "jp_semi_equipment",
        "jp_electric_wires",
        "jp_utilities",
        "jp_telecom",
    ):
        members = store.basket(name)
        assert members and set(members) <= set(inst["symbol"])
    row = inst.set_index("symbol").loc["8035.T"]
    assert (row["name"], row["name_ja"], row["exchange"], row["currency"]) == (
        "Tokyo Electron",
        "東京エレクトロン",
        "XTKS",
        "JPY",
    )


def test_builtin_names_match_shared_symbols_csv(shared_prices: Path, store: Store) -> None:
    shared = pd.read_csv(shared_prices / "symbols.csv").set_index("symbol")
    inst = store.instruments().set_index("symbol")
    assert set(shared.index) == set(inst.index)
    assert (inst.loc[shared.index, "name"] == shared["name"]).all()
    market = shared["market"].map({"US": "XNYS", "JP": "XTKS", "FX": ""})
    assert (inst.loc[shared.index, "exchange"] == market).all()


def test_unknown_basket_lists_close_matches(store: Store) -> None:
    with pytest.raises(UnknownNameError, match=r"unknown basket 'jp_semi_equipmnt'; did you mean"):
        store.basket("jp_semi_equipmnt")


def test_user_instruments_and_baskets(store: Store, write) -> None:
    from ipposaki.instruments import read_baskets, read_instruments

    toml = write(
        "i.toml",
        '[instruments."7013.T"]\nname = "IHI"\nname_ja = "IHI"\nexchange = "XTKS"\n'
        'currency = "JPY"\nkind = "stock"\n',
    )
    store.add_instruments(read_instruments(toml))
    assert store.instruments().set_index("symbol").loc["7013.T", "name"] == "IHI"
    store.add_baskets(read_baskets(write("b.toml", '[jp_heavy]\nsymbols = ["7013.T", "7011.T"]\n')))
    assert store.basket("jp_heavy") == ["7011.T", "7013.T"]
    store.add_baskets(read_baskets(write("b.csv", "basket,symbol\njp_heavy,7011.T\n")))
    assert store.basket("jp_heavy") == ["7011.T"]


def test_user_instruments_reject_unknown_exchange(write) -> None:
    from ipposaki.instruments import read_instruments

    path = write("i.csv", "symbol,exchange\nABC,XLON\n")
    with pytest.raises(
        DataValidationError, match=r"exchange='XLON' is not allowed: expected one of"
    ):
        read_instruments(path)


def test_store_path_from_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("IPPOSAKI_STORE", str(tmp_path / "env.duckdb"))
    assert default_store_path() == tmp_path / "env.duckdb"
    monkeypatch.delenv("IPPOSAKI_STORE")
    assert default_store_path().name == "store.duckdb"


def test_an_ingest_result_tables_each_source_and_what_validation_found(
    store: Store, write, tmp_path: Path
) -> None:
    gaps = write("g.csv", "date,symbol,close\n2025-01-23,NVDA,147.22\n2025-01-27,NVDA,118.42\n")
    ok = write("ok.csv", "date,symbol,close\n2025-01-27,AMD,120.0\n")
    with pytest.warns(MissingSessionWarning):
        result = store.import_files([gaps, ok])
    assert "Sessions without a price (left missing): 1 in 1 symbols." in result.summary
    sources = result.to_frame().set_index("source")
    assert sources.loc[str(gaps), ["rows_read", "rows_written", "missing_sessions"]].tolist() == [
        2,
        2,
        1,
    ]
    assert sources.loc[str(ok), "missing_sessions"] == 0
    missing = result.frames()["missing_sessions"]
    assert missing[["source", "symbol", "missing"]].values.tolist() == [[str(gaps), "NVDA", 1]]
    assert result.manifest["rows_written"] == 3 and "ipposaki" in result.manifest["versions"]
    written = {p.name for p in result.to_dir(tmp_path / "out")}
    assert written == {"sources.csv", "missing_sessions.csv", "summary.txt", "manifest.json"}
