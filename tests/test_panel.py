"""Returns panels: hand-worked examples, an independent implementation (pandas), real data."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from ipposaki.errors import InputError, UnknownNameError
from ipposaki.panel import build_panel, returns_from_prices
from ipposaki.store import Store

# Hand-worked example. XNYS sessions 2025-01-21..2025-01-27 (01-20 is MLK day, a holiday).
#   A: 100 -> 110 -> (missing) -> 99 -> 108.9
#   close-to-close: 01-22 = 110/100-1 = 0.10; 01-23 = NaN (no price); 01-24 = NaN (no price on
#   the session before); 01-27 = 108.9/99-1 = 0.10.
#   open on 01-22 = 105: overnight 105/100-1 = 0.05, daytime 110/105-1 = 0.047619047...
HAND = """date,symbol,open,close,adj_close
2025-01-17,A,99,100,
2025-01-21,A,99,100,
2025-01-22,A,105,110,
2025-01-24,A,98,99,
2025-01-27,A,100,108.9,
2025-01-21,B,,50,25
2025-01-22,B,,55,27.5
2025-01-24,B,,60,30
2025-01-27,B,,66,33
"""


@pytest.fixture
def hand(store: Store, write) -> Store:
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        store.import_files([write("hand.csv", HAND)])
    return store


def test_hand_worked_returns(hand: Store) -> None:
    panel = build_panel(hand, "XNYS", ["A", "B"], "2025-01-21", "2025-01-27")
    assert [d.strftime("%m-%d") for d in panel.sessions] == [
        "01-21",
        "01-22",
        "01-23",
        "01-24",
        "01-27",
    ]
    a = panel.returns["A"]
    assert a["2025-01-21"] == 0.0  # 100 on 01-17 (the session before 01-21) and on 01-21
    assert a["2025-01-22"] == pytest.approx(0.10, abs=1e-15)
    assert math.isnan(a["2025-01-23"]) and math.isnan(a["2025-01-24"])
    assert a["2025-01-27"] == pytest.approx(0.10, abs=1e-15)
    assert panel.overnight["A"]["2025-01-22"] == pytest.approx(0.05, abs=1e-15)
    assert panel.daytime["A"]["2025-01-22"] == pytest.approx(110 / 105 - 1, abs=1e-15)
    # B has an adjusted close: its returns use it (27.5/25-1 = 0.10), not the close.
    assert panel.basis.to_dict() == {"A": "close", "B": "adj_close"}
    assert panel.returns["B"]["2025-01-22"] == pytest.approx(0.10, abs=1e-15)
    assert math.isnan(panel.overnight["B"]["2025-01-22"])  # no opens for B


def test_log_returns(hand: Store) -> None:
    panel = build_panel(hand, "XNYS", ["A"], "2025-01-22", "2025-01-27", kind="log")
    assert panel.returns["A"]["2025-01-22"] == pytest.approx(math.log(1.1), abs=1e-15)


def test_panel_is_read_only(hand: Store) -> None:
    panel = build_panel(hand, "XNYS", ["A"], "2025-01-22", "2025-01-27")
    frame = panel.returns
    frame.iloc[0, 0] = 99.0
    assert panel.returns.iloc[0, 0] == pytest.approx(0.10)
    with pytest.raises(AttributeError):
        panel.kind = "log"  # type: ignore[misc]


def test_tidy_and_summary(hand: Store) -> None:
    panel = build_panel(hand, "XNYS", ["A", "B"], "2025-01-21", "2025-01-27")
    tidy = panel.tidy()
    assert list(tidy.columns) == ["session", "symbol", "ret", "overnight", "daytime", "basis"]
    assert len(tidy) == 10
    assert "2 missing returns (kept missing)" not in panel.summary  # A has 2, B has 2 -> 4
    assert "4 missing returns (kept missing)" in panel.summary
    assert repr(panel) == str(panel) == panel.summary.as_text()


def test_the_panel_is_a_result_with_its_long_returns_and_its_manifest(
    hand: Store, tmp_path: Path
) -> None:
    panel = build_panel(hand, "XNYS", ["A", "B"], "2025-01-21", "2025-01-27")
    pd.testing.assert_frame_equal(panel.to_frame(), panel.tidy())
    m = panel.manifest
    assert (m["exchange"], m["kind"], m["data_hash"]) == ("XNYS", "simple", panel.data_hash)
    assert dict(m["sessions"]) == {"first": "2025-01-21", "last": "2025-01-27", "count": 5}
    assert m["symbols"] == ("A", "B") and dict(m["basis"]) == {"A": "close", "B": "adj_close"}
    assert {p.name for p in panel.to_dir(tmp_path / "out")} == {
        "returns.csv",
        "summary.txt",
        "manifest.json",
    }
    back = pd.read_csv(tmp_path / "out" / "returns.csv")
    assert len(back) == 10 and back["ret"].isna().sum() == panel.tidy()["ret"].isna().sum()


def test_currency_conversion(store: Store, write) -> None:
    # 1500 JPY at 150 JPY/USD = 10 USD; 1530 JPY at 153 JPY/USD = 10 USD: a 0% USD return
    # against +2% in yen.
    text = "date,symbol,close,currency\n2025-01-27,8035.T,1500,JPY\n2025-01-28,8035.T,1530,JPY\n"
    text += "2025-01-27,JPY=X,150,JPY\n2025-01-28,JPY=X,153,JPY\n"
    store.import_files([write("c.csv", text)])
    yen = build_panel(store, "XTKS", ["8035.T"], "2025-01-28", "2025-01-28")
    usd = build_panel(store, "XTKS", ["8035.T"], "2025-01-28", "2025-01-28", currency="USD")
    assert yen.returns.iloc[0, 0] == pytest.approx(0.02, abs=1e-15)
    assert usd.returns.iloc[0, 0] == pytest.approx(0.0, abs=1e-15)
    assert usd.prices.iloc[0, 0] == pytest.approx(10.0)


def test_bad_panel_requests(hand: Store) -> None:
    with pytest.raises(UnknownNameError, match="unknown symbol 'C'"):
        build_panel(hand, "XNYS", ["C"])
    with pytest.raises(UnknownNameError, match="unknown exchange 'XLON'"):
        build_panel(hand, "XLON", ["A"])
    with pytest.raises(InputError, match="kind='pct' is not allowed"):
        build_panel(hand, "XNYS", ["A"], kind="pct")  # type: ignore[arg-type]
    with pytest.raises(InputError, match="a symbol listed on XTKS"):
        build_panel(hand, "XTKS", ["A"])
    with pytest.raises(InputError, match="currency='EUR' is not allowed"):
        build_panel(hand, "XNYS", ["A"], currency="EUR")


@settings(max_examples=60, deadline=None)
@given(
    arrays(
        np.float64,
        st.tuples(st.integers(2, 30), st.integers(1, 6)),
        elements=st.one_of(st.floats(0.5, 500.0), st.just(np.nan)),
    )
)
def test_returns_match_pandas_pct_change(prices: np.ndarray) -> None:
    """Independent implementation: pandas' pct_change without filling."""
    ours = returns_from_prices(prices)
    theirs = pd.DataFrame(prices).pct_change(fill_method=None).to_numpy()
    np.testing.assert_allclose(ours, theirs, rtol=1e-14, atol=0, equal_nan=True)
    logs = returns_from_prices(prices, "log")
    np.testing.assert_allclose(logs, np.log1p(theirs), rtol=1e-12, atol=1e-15, equal_nan=True)


# -- real data ---------------------------------------------------------------------------------


def test_deepseek_headline_returns(shared_store: Store) -> None:
    """The brief's numbers, each on its own exchange's session."""
    ny = build_panel(shared_store, "XNYS", ["NVDA", "AVGO", "^IXIC"], "2025-01-02", "2025-01-31")
    tokyo = build_panel(shared_store, "XTKS", ["^N225"], "2025-01-06", "2025-01-31")
    assert f"{ny.returns.loc['2025-01-27', 'NVDA']:.2%}" == "-16.97%"
    assert f"{ny.returns.loc['2025-01-27', 'AVGO']:.2%}" == "-17.40%"
    assert f"{tokyo.returns.loc['2025-01-28', '^N225']:.2%}" == "-1.39%"
    # ^N225 fell 548.93 points to 39,016.87 (Nikkei's published close).
    assert tokyo.prices.loc["2025-01-28", "^N225"] == pytest.approx(39016.87, abs=0.005)
    change = tokyo.prices.loc["2025-01-28", "^N225"] - tokyo.prices.loc["2025-01-27", "^N225"]
    assert change == pytest.approx(-548.93, abs=0.005)


def test_every_symbol_matches_the_shared_verification(
    shared_store: Store, shared_prices: Path
) -> None:
    """verification.csv was written by shared/data/prices/build_prices.py, not by ipposaki."""
    ver = pd.read_csv(shared_prices / "verification.csv").set_index("symbol")
    checked = 0
    for exchange, market in (("XNYS", "US"), ("XTKS", "JP")):
        syms = ver.index[ver["market"] == market].tolist()
        panel = build_panel(shared_store, exchange, syms, "2025-01-20", "2025-01-31")
        for day in ("2025-01-27", "2025-01-28"):
            want = ver[f"ret_{day}"].reindex(syms).to_numpy(dtype=float)
            got = panel.returns.loc[day, syms].to_numpy(dtype=float)
            ok = ~np.isnan(want)
            np.testing.assert_allclose(got[ok], want[ok], atol=5e-7)  # 6 decimals in the file
            checked += int(ok.sum())
    assert checked >= 180


def test_n225_gaps_stay_missing(shared_store: Store) -> None:
    """^N225 has no prices for 2017-09 in the shared data: the panel shows the gap."""
    panel = build_panel(shared_store, "XTKS", ["^N225", "^TOPX"], "2017-08-28", "2017-10-06")
    n225 = panel.returns["^N225"]
    assert n225.loc["2017-09-01":"2017-10-02"].isna().all()  # 10-02 follows the gap
    assert n225.loc["2017-10-03":].notna().all()
    assert panel.returns["^TOPX"].notna().all()
