"""One definition of a return: every price input gives the returns of the store's panels.

A price file (CSV), a Parquet file, a partitioned Parquet directory (``data export``) and the
store all become returns on each exchange's own sessions, on each symbol's adjusted close when it
has one, else its close. A file that holds New York and Tokyo symbols must not lend Tokyo's dates
to New York: the market-model estimate of NVDA on ^GSPC is checked against an independent fit on
XNYS sessions built here with ``exchange_calendars`` and pandas.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ipposaki.cli.main import run
from ipposaki.errors import NonSessionWarning
from ipposaki.store import Store

EVENTS = """symbol,event_date,market
NVDA,2025-01-27,^GSPC
AVGO,2025-01-27,^GSPC
AMD,2025-01-27,^GSPC
NVDA,2025-01-27,^N225
8035.T,2025-01-27,^TOPX
6857.T,2025-01-27,^TOPX
"""


def _reference_nvda(daily: Path) -> tuple[int, float]:
    """NVDA on ^GSPC around 2025-01-27, estimation -250:-11, computed without ipposaki.

    Sessions come from exchange_calendars' XNYS calendar; returns are adjusted-close simple
    returns on those sessions (a missing price makes both neighbouring returns missing); the
    fit is statsmodels OLS with a constant.
    """
    import exchange_calendars as xcals
    import statsmodels.api as sm

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cal = xcals.get_calendar("XNYS", start="2023-01-03", end="2025-12-31")
    grid = pd.DatetimeIndex(cal.sessions_in_range("2023-01-03", "2025-12-31"))
    grid = grid.tz_localize(None) if grid.tz is not None else grid
    raw = pd.read_csv(daily, usecols=["date", "symbol", "adj_close"], parse_dates=["date"])
    raw = raw[raw["symbol"].isin(["NVDA", "^GSPC"])]
    prices = raw.pivot(index="date", columns="symbol", values="adj_close").reindex(grid)
    returns = prices / prices.shift(1) - 1.0
    day0 = grid.get_loc(pd.Timestamp("2025-01-27"))
    window = returns.iloc[day0 - 250 : day0 - 10].dropna()  # relative sessions -250..-11
    fit = sm.OLS(window["NVDA"], sm.add_constant(window["^GSPC"])).fit()
    return int(fit.nobs), float(fit.params["^GSPC"])


def test_nvda_market_model_on_new_york_sessions(shared_prices: Path, tmp_path: Path) -> None:
    daily = shared_prices / "daily.csv"
    events = tmp_path / "events.csv"
    events.write_text("symbol,event_date,market\nNVDA,2025-01-27,^GSPC\n", encoding="utf-8")
    out = tmp_path / "study"
    argv = ["--quiet", "study", "--prices", str(daily), "--exchange", "XNYS"]
    argv += ["--events", str(events), "--estimation-window", "-250:-11", "--out", str(out)]
    assert run(argv) == 0  # warns of ^VIX's three rows on US holidays, left out
    params = pd.read_csv(out / "params.csv").set_index("symbol").loc["NVDA"]
    nobs, beta = _reference_nvda(daily)
    assert nobs == 240 and int(params["nobs"]) == 240
    assert beta == pytest.approx(2.69694, abs=1e-5)
    assert float(params["beta"]) == pytest.approx(beta, abs=1e-10)


def test_a_mixed_file_lends_no_tokyo_dates_to_new_york(shared_prices: Path) -> None:
    from ipposaki.calendars import is_session
    from ipposaki.study.io import read_price_panels

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NonSessionWarning)
        panels = read_price_panels(shared_prices / "daily.csv")
    assert list(panels) == ["XNYS", "XTKS"]
    for mic, panel in panels.items():
        assert is_session(mic, panel.sessions).all()
        assert panel.exchange == mic
    # 2025-01-20 (Martin Luther King Jr. Day) is a Tokyo session, not a New York one.
    assert pd.Timestamp("2025-01-20") not in panels["XNYS"].sessions
    assert pd.Timestamp("2025-01-20") in panels["XTKS"].sessions
    assert "8035.T" not in panels["XNYS"].symbols and "NVDA" not in panels["XTKS"].symbols
    assert panels["XNYS"].basis["NVDA"] == "adj_close"
    assert panels["XTKS"].basis["8035.T"] == "close"


@pytest.fixture(scope="module")
def inputs(shared_prices: Path, shared_store: Store, tmp_path_factory: pytest.TempPathFactory):
    """The same prices as CSV, as one Parquet file and as an exported partitioned directory."""
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    folder = tmp_path_factory.mktemp("sources")
    csv = shared_prices / "daily.csv"
    parquet = folder / "daily.parquet"
    pq.write_table(pacsv.read_csv(csv), parquet)
    partitioned = folder / "partitioned"
    argv = ["--quiet", "data", "export", "--parquet", str(partitioned)]
    argv += ["--partition-by", "exchange,year", "--store", str(shared_store.path)]
    assert run(argv) == 0
    return {"csv": csv, "parquet": parquet, "partitioned": partitioned}


@pytest.mark.parametrize("mic", ["XNYS", "XTKS"])
def test_every_source_gives_the_same_returns(inputs: dict, shared_store: Store, mic: str) -> None:
    from ipposaki.panel import build_panel
    from ipposaki.study.io import read_partitioned, read_price_panels

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NonSessionWarning)
        csv = read_price_panels(inputs["csv"])[mic]
        parquet = read_price_panels(inputs["parquet"])[mic]
    part = read_partitioned(inputs["partitioned"])[mic]
    store = build_panel(shared_store, mic, csv.symbols, csv.sessions[0], csv.sessions[-1])
    expected = csv.returns
    assert len(expected) > 2500 and expected.notna().to_numpy().sum() > 100_000
    assert set(part.symbols) == set(expected.columns)
    for other in (parquet.returns, part.frame(), store.returns):
        frame = other.reindex(columns=expected.columns)
        assert frame.index.equals(expected.index)
        np.testing.assert_allclose(frame.to_numpy(), expected.to_numpy(), rtol=0, atol=1e-12)
        assert (frame.isna() == expected.isna()).all().all()
    pd.testing.assert_series_equal(part.basis.reindex(csv.basis.index), csv.basis)
    pd.testing.assert_series_equal(store.basis, csv.basis)


def test_every_source_gives_the_same_study(
    inputs: dict, shared_store: Store, tmp_path: Path
) -> None:
    from ipposaki.panel import build_panel
    from ipposaki.study import run_study
    from ipposaki.study.io import read_events, split_events

    events = tmp_path / "events.csv"
    events.write_text(EVENTS, encoding="utf-8")
    outs = {}
    for name, option in (
        ("csv", "--prices"),
        ("parquet", "--prices"),
        ("partitioned", "--parquet"),
    ):
        outs[name] = tmp_path / name
        argv = ["--quiet", "study", option, str(inputs[name]), "--events", str(events)]
        assert run([*argv, "--out", str(outs[name])]) == 0
    # The store: the library's panels on the same span, the same events per exchange.
    outs["store"] = tmp_path / "store"
    by_exchange = split_events(read_events(events), ["XNYS", "XTKS"])
    for mic, table in by_exchange.items():
        listed = shared_store.exchange_map()
        symbols = sorted(s for s in {*table["symbol"], *table["market"]} if listed.get(s) == mic)
        panel = build_panel(shared_store, mic, symbols)
        run_study(panel.returns, table, exchange=mic).to_dir(outs["store"] / mic)

    for mic in ("XNYS", "XTKS"):
        for table in ("car.csv", "tests.csv", "excluded.csv"):
            expected = pd.read_csv(outs["csv"] / mic / table)
            for name in ("parquet", "partitioned", "store"):
                got = pd.read_csv(outs[name] / mic / table)
                pd.testing.assert_frame_equal(got, expected, rtol=0, atol=1e-12)
    nyse = pd.read_csv(outs["csv"] / "XNYS" / "params.csv").set_index("symbol")
    assert int(nyse.loc["NVDA", "nobs"]) == 240
    assert nyse.loc["NVDA", "beta"] == pytest.approx(2.69694, abs=1e-5)
    excluded = pd.read_csv(outs["csv"] / "XNYS" / "excluded.csv")
    assert excluded.to_dict("records") == [
        {"event_id": "E4", "symbol": "NVDA", "reason": "market ^N225 trades on XTKS, not XNYS"}
    ]
    tokyo = pd.read_csv(outs["csv"] / "XTKS" / "params.csv")
    assert sorted(tokyo["symbol"]) == ["6857.T", "8035.T"]
    assert (outs["csv"] / "summary.txt").is_file()


def test_exchange_option_studies_only_its_symbols(shared_prices: Path, tmp_path: Path) -> None:
    events = tmp_path / "events.csv"
    events.write_text(EVENTS, encoding="utf-8")
    out = tmp_path / "out"
    argv = ["--quiet", "study", "--prices", str(shared_prices / "daily.csv"), "--exchange"]
    argv += ["XNYS", "--events", str(events), "--out", str(out)]
    assert run(argv) == 0
    assert not (out / "XNYS").exists() and not (out / "XTKS").exists()
    reasons = pd.read_csv(out / "excluded.csv").set_index("event_id")["reason"].to_dict()
    assert reasons == {
        "E4": "market ^N225 trades on XTKS, not XNYS",
        "E5": "8035.T trades on XTKS, not XNYS",
        "E6": "6857.T trades on XTKS, not XNYS",
    }
    assert sorted(pd.read_csv(out / "params.csv")["symbol"]) == ["AMD", "AVGO", "NVDA"]


def test_partitioned_directory_on_one_exchange_with_log_returns(inputs: dict) -> None:
    from ipposaki.errors import InputError
    from ipposaki.panel.partitioned import PartitionedPrices
    from ipposaki.study.io import read_partitioned

    simple = read_partitioned(inputs["partitioned"], exchange="XTKS")["XTKS"].frame()
    log = PartitionedPrices(inputs["partitioned"], "XTKS", kind="log").frame()
    np.testing.assert_allclose(log.to_numpy(), np.log1p(simple.to_numpy()), atol=1e-12)
    with pytest.raises(InputError, match=r"exchange=None .* holds XNYS, XTKS"):
        _ = PartitionedPrices(inputs["partitioned"]).sessions
