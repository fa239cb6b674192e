"""Basket and instrument files are validated cell by cell (issue #15): every refusal is one line
naming the file, the line, the column and the value, and nothing is written."""

from __future__ import annotations

from pathlib import Path

import pytest

from ipposaki.errors import DataValidationError
from ipposaki.instruments import read_baskets, read_instruments
from ipposaki.store import Store


@pytest.mark.parametrize(
    ("name", "text", "words"),
    [
        ("b.csv", "basket,symbol\njp_x,7011.T\njp_x,\n", "line 3, column symbol: '' is not"),
        ("b.csv", "basket,symbol\n,7011.T\n", "line 2, column basket: '' is not allowed"),
        ("b.csv", "basket,symbol\njp_x,7011\n", "line 2, column symbol: '7011'"),
        ("b.csv", "basket,symbol\njp_x,NV DA\n", "without spaces"),
        ("b.csv", "basket,symbol\njp_x," + "A" * 40 + "\n", "at most 32 characters"),
        ("b.csv", "basket,symbol\njp_x,7011.T\njp_x,7011.T\n", "line 3, column symbol"),
        ("b.csv", "basket\njp_x\n", "missing required column 'symbol'"),
        ("b.csv", "basket,symbol\n", "no rows"),
        ("b.csv", "", "the file is empty"),
        ("b.csv", "basket,symbol,symbol\njp_x,A,B\n", "column 'symbol' appears twice"),
        ("b.toml", "[jp_x]\nsymbols = [7011]\n", "line 1, column symbols: 7011"),
        ("b.toml", '\n[jp_x]\nsymbols = [""]\n', "line 2, column symbols: '' is not"),
        ("b.toml", "[jp_x]\nsymbols = []\n", "at least one symbol"),
        ("b.toml", '[jp_x]\nsymbol = ["A"]\n', "needs a list 'symbols'"),
        ("b.toml", '[jp_x]\nsymbols = ["A"]\nnmae = "x"\n', "column nmae"),
        ("b.toml", "[jp_x\n", "not valid TOML"),
        ("b.csv", "basket,symbol\nall,NVDA\n", "line 2, column basket: 'all' is not allowed"),
        ("b.csv", 'basket,symbol\n"a,b",NVDA\n', "without commas"),
        ("b.csv", 'basket,symbol\n"a\nb",NVDA\n', "without spaces"),
        ("b.csv", "basket,symbol\n" + "b" * 65 + ",NVDA\n", "at most 64 characters"),
        ("b.csv", "basket,symbol,foo\njp_x,NVDA,1\n", "unknown column 'foo'"),
        ("b.toml", '[jp_x]\nsymbols = ["A"]\nname = 5\n', "column name: 5"),
    ],
)
def test_bad_basket_files(write, name: str, text: str, words: str) -> None:
    path = write(name, text)
    with pytest.raises(DataValidationError) as info:
        read_baskets(path)
    message = str(info.value)
    assert message.startswith(f"{path}: ") and "\n" not in message and words in message


def test_non_utf8_basket_file(tmp_path: Path) -> None:
    path = tmp_path / "b.csv"
    path.write_bytes(b"basket,symbol\njp_x,\xff\xfe\n")
    with pytest.raises(DataValidationError, match="is not UTF-8"):
        read_baskets(path)


@pytest.mark.parametrize(
    ("name", "text", "words"),
    [
        ("i.csv", "symbol,name\n,Foo\n", "line 2, column symbol: '' is not allowed"),
        ("i.csv", "symbol,name\n1234,Foo\n", "line 2, column symbol: '1234'"),
        ("i.csv", "symbol,exchange\nABC,XLON\n", "line 2, column exchange"),
        ("i.csv", "symbol,kind\nABC,share\n", "line 2, column kind"),
        ("i.csv", "symbol\nABC\nABC\n", "line 3, column symbol: 'ABC'"),
        ("i.csv", "symbol,exchange,shares\nABC,XNYS,1\n", "unknown column 'shares'"),
        ("i.csv", "symbol,nmae\nABC,x\n", "(did you mean name?)"),
        ("i.toml", '[instruments."7013.T"]\nnmae = "IHI"\n', "line 1, column nmae"),
        ("i.toml", '[instruments."7013.T"]\nname = 5\n', "column name: 5"),
        ("i.toml", "[other]\nx = 1\n", "expected [instruments.SYMBOL] tables"),
    ],
)
def test_bad_instrument_files(write, name: str, text: str, words: str) -> None:
    path = write(name, text)
    with pytest.raises(DataValidationError) as info:
        read_instruments(path)
    message = str(info.value)
    assert message.startswith(f"{path}: ") and "\n" not in message and words in message


def test_unknown_basket_symbol_is_refused_by_the_store(store: Store, write) -> None:
    path = write("b.csv", "basket,symbol\njp_x,7011.T\njp_x,NVDAA\n")
    with pytest.raises(DataValidationError) as info:
        store.add_baskets(read_baskets(path))
    assert str(info.value).startswith(f"{path}: line 3, column symbol: unknown symbol 'NVDAA'")
    assert "did you mean NVDA" in str(info.value)
    assert not store.path.exists()


def test_unknown_benchmark_is_refused_by_the_store(store: Store, write) -> None:
    path = write("i.csv", "symbol,exchange,benchmark\nABC,XNYS,^GSPC\nDEF,XNYS,^NOPE\n")
    with pytest.raises(DataValidationError, match=r"line 3, column benchmark: unknown symbol"):
        store.add_instruments(read_instruments(path))
    ok = write("j.csv", "symbol,exchange,benchmark\nABC,XNYS,^GSPC\nDEF,XNYS,ABC\n")
    assert store.add_instruments(read_instruments(ok)) == 2


def test_blank_name_cells_default_to_the_basket(store: Store, write) -> None:
    frame = read_baskets(write("b.csv", "basket,symbol,name\njp_x,7011.T,Heavy\njp_x,7012.T,\n"))
    assert frame["name"].tolist() == ["Heavy", "Heavy"]
    assert frame["symbol"].tolist() == ["7011.T", "7012.T"]


def test_a_file_of_some_fields_updates_them_and_keeps_the_others(store: Store, write) -> None:
    """``symbol,exchange`` for a stored symbol changes its exchange and keeps its name,
    currency, sector and benchmark (they were blanked, and its next study failed for want of
    a benchmark); a new symbol gets the file's fields."""
    full = "symbol,name,exchange,currency,sector,benchmark\nABC,Abc Corp,XNYS,USD,chips,^GSPC\n"
    store.add_instruments(read_instruments(write("i.csv", full)))
    store.add_instruments(read_instruments(write("j.csv", "symbol,exchange\nABC,XTKS\nXYZ,XNYS\n")))
    rows = store.instruments().set_index("symbol")
    assert rows.loc["ABC", ["name", "exchange", "currency", "sector", "benchmark"]].tolist() == [
        "Abc Corp",
        "XTKS",
        "USD",
        "chips",
        "^GSPC",
    ]
    assert rows.loc["XYZ", "name"] == "" and rows.loc["XYZ", "exchange"] == "XNYS"
