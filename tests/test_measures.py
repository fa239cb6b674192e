"""Abnormal volume and abnormal volatility (issue #17): hand checks, size, errors, files.

The two reference values are computed here from the raw CSV with pandas, exchange_calendars and
statsmodels, never with ipposaki: NVDA on 2025-01-27 (the DeepSeek session), XNYS, estimation
window -250:-11 (240 sessions listed from exchange_calendars).
"""

from __future__ import annotations

import json
import re
import warnings
from pathlib import Path
from typing import Any

import exchange_calendars as xcals
import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from ipposaki.cli.main import run
from ipposaki.errors import InputError
from ipposaki.study import run_study

DAY0 = pd.Timestamp("2025-01-27")


# -- independent hand computations ----------------------------------------------------------------


def _xnys_sessions() -> pd.DatetimeIndex:
    cal = xcals.get_calendar("XNYS")
    return pd.DatetimeIndex(cal.sessions_in_range("2023-06-01", "2025-03-31")).tz_localize(None)


def _raw(shared_prices: Path, symbol: str) -> pd.DataFrame:
    raw = pd.read_csv(shared_prices / "daily.csv", parse_dates=["date"])
    return raw[raw["symbol"] == symbol].set_index("date").sort_index()


def _estimation_sessions() -> tuple[pd.DatetimeIndex, pd.Timestamp]:
    sessions = _xnys_sessions()
    i0 = sessions.get_loc(DAY0)
    est = sessions[i0 - 250 : i0 - 10]  # relative sessions -250 .. -11
    assert len(est) == 240 and est[-1] == sessions[i0 - 11]
    return est, sessions[i0]


@pytest.fixture(scope="module")
def nvda_panel(shared_store):
    from ipposaki.panel import build_panel

    return build_panel(shared_store, "XNYS", ["NVDA", "^GSPC"], "2023-06-01", "2025-03-31")


def test_abnormal_log_volume_equals_hand_computation(shared_prices: Path, nvda_panel) -> None:
    raw = _raw(shared_prices, "NVDA")
    est, day0 = _estimation_sessions()
    log_v = np.log1p(raw["volume"].astype(float))
    assert log_v.reindex(est).notna().all()
    expected = float(log_v.loc[day0] - log_v.reindex(est).mean())
    # the figure: 818.8M shares against a geometric mean of about 336M
    assert raw.loc[day0, "volume"] == pytest.approx(818.8e6, rel=1e-3)
    assert np.exp(log_v.reindex(est).mean()) == pytest.approx(336e6, rel=0.01)

    res = run_study(
        nvda_panel.returns,
        pd.DataFrame({"symbol": ["NVDA"], "event_date": [DAY0]}),
        model="constant-mean",
        measure="volume",
        volume=nvda_panel.volume,
    )
    ar = res.ar.set_index("rel_day")
    assert ar.loc[0, "ar"] == pytest.approx(expected, abs=1e-6)
    assert ar.loc[0, "ret"] == pytest.approx(float(log_v.loc[day0]), abs=1e-9)
    # a window sums its days' abnormal log volumes
    sessions = _xnys_sessions()
    i0 = sessions.get_loc(DAY0)
    two = log_v.reindex(sessions[i0 : i0 + 2]) - log_v.reindex(est).mean()
    car = res.car.set_index("window").loc["0:1", "car"]
    assert car == pytest.approx(float(two.sum()), abs=1e-6)
    assert np.isnan(res.car["bhar"]).all()  # compounding is for returns


def test_abnormal_volatility_equals_statsmodels(shared_prices: Path, nvda_panel) -> None:
    sessions = _xnys_sessions()

    def returns(symbol: str) -> pd.Series:
        raw = _raw(shared_prices, symbol)
        price = raw["adj_close"] if raw["adj_close"].notna().any() else raw["close"]
        on_grid = price.reindex(sessions)
        return on_grid / on_grid.shift(1) - 1.0  # missing on either side stays missing

    y, x = returns("NVDA"), returns("^GSPC")
    est, day0 = _estimation_sessions()
    fit = sm.OLS(y.reindex(est), sm.add_constant(x.reindex(est))).fit()
    assert fit.nobs == 240 and fit.df_resid == 238  # T - 2 degrees of freedom
    ar0 = y.loc[day0] - (fit.params["const"] + fit.params[x.name or 0] * x.loc[day0])
    expected = ar0**2 / fit.mse_resid - 1.0

    res = run_study(
        nvda_panel.returns,
        pd.DataFrame({"symbol": ["NVDA"], "event_date": [DAY0]}),
        model="market",
        market="^GSPC",
        measure="volatility",
    )
    ar = res.ar.set_index("rel_day")
    assert ar.loc[0, "ar"] == pytest.approx(expected, abs=1e-6)
    assert res.params.loc[0, "sigma"] ** 2 == pytest.approx(fit.mse_resid, rel=1e-9)


def test_panel_volume_keeps_zero_and_missing(shared_store) -> None:
    """AMD traded 0 shares on 2015-01-02 in the shared data; ASML has no volume column values."""
    from ipposaki.panel import build_panel

    panel = build_panel(shared_store, "XNYS", ["AMD", "ASML"], "2015-01-02", "2015-01-09")
    volume = panel.volume
    assert volume.loc["2015-01-02", "AMD"] == 0.0
    assert volume["ASML"].isna().all()
    assert volume.index.equals(panel.returns.index)
    assert volume.loc["2015-01-05", "AMD"] > 0


# -- the measure is said everywhere ---------------------------------------------------------------


def test_volatility_windows_average_and_only_applicable_tests(nvda_panel) -> None:
    events = pd.DataFrame({"symbol": ["NVDA"], "event_date": [DAY0]})
    res = run_study(nvda_panel.returns, events, market="^GSPC", measure="volatility")
    ret = run_study(nvda_panel.returns, events, market="^GSPC")
    sigma2 = res.params.loc[0, "sigma"] ** 2
    # AV from the return study's own ARs; a window is the mean of its days
    av = ret.ar.set_index("rel_day")["ar"] ** 2 / sigma2 - 1.0
    car = res.car.set_index("window")["car"]
    assert car["0:1"] == pytest.approx(av.loc[0:1].mean(), rel=1e-12)
    assert car["0:10"] == pytest.approx(av.loc[0:10].mean(), rel=1e-12)
    tests = res.tests
    assert set(tests["test"]) == {
        "t_cross_section",
        "generalized_sign",
        "corrado_rank",
        "modified_rank",
        "corrado_sign",
    }
    assert set(tests.loc[tests["test"] == "generalized_sign", "window"]) == {
        f"{d}:{d}" for d in range(-5, 11)
    }
    assert (tests["measure"] == "volatility").all()
    assert tests["null"].str.contains("AV").all()
    assert "Measure: volatility" in res.summary.as_text().split("\n")[1]
    assert "p BMP" not in res.summary and "p t" in res.summary
    assert res.manifest["parameters"]["measure"] == "volatility"


def test_inference_keeps_the_measure(nvda_panel) -> None:
    events = pd.DataFrame({"symbol": ["NVDA"], "event_date": [DAY0]})
    res = run_study(nvda_panel.returns, events, market="^GSPC", measure="volatility")
    adjusted = res.with_inference(adjust="holm")
    assert adjusted.manifest["parameters"]["measure"] == "volatility"
    assert "Measure: volatility" in adjusted.summary
    with pytest.raises(InputError) as info:
        res.with_inference(bootstrap="stationary", draws=99, seed=1)
    assert info.value.argument == "bootstrap"


def test_return_measure_is_unchanged(nvda_panel) -> None:
    events = pd.DataFrame({"symbol": ["NVDA"], "event_date": [DAY0]})
    default = run_study(nvda_panel.returns, events, market="^GSPC")
    named = run_study(nvda_panel.returns, events, market="^GSPC", measure="return")
    pd.testing.assert_frame_equal(default.tests, named.tests)
    assert "measure" not in default.tests.columns
    assert "measure" not in default.manifest["parameters"]
    assert default.summary.as_text() == named.summary.as_text()


# -- volume: zero and missing, the market volume series ---------------------------------------------


def _synthetic(n_firms: int, n_sessions: int = 300, seed: int = 0) -> pd.DataFrame:
    """Shares traded, iid log-normal per firm, on real XNYS sessions."""
    rng = np.random.default_rng(seed)
    idx = _xnys_sessions()[:n_sessions]
    mu = rng.uniform(10.0, 16.0, n_firms)
    sd = rng.uniform(0.2, 0.6, n_firms)
    log_v = mu + sd * rng.standard_normal((n_sessions, n_firms))
    return pd.DataFrame(
        np.floor(np.exp(log_v)), index=idx, columns=[f"F{i:05d}" for i in range(n_firms)]
    )


def test_zero_volume_is_valid_and_missing_is_dropped() -> None:
    volume = _synthetic(2)
    returns = pd.DataFrame(0.0, index=volume.index, columns=volume.columns)
    day0 = volume.index[280]
    volume.loc[day0, "F00000"] = 0.0
    volume.loc[day0, "F00001"] = np.nan
    est = volume.index[280 - 250 : 280 - 10]
    res = run_study(
        returns,
        pd.DataFrame({"symbol": volume.columns, "event_date": day0}),
        model="constant-mean",
        measure="volume",
        volume=volume,
    )
    ar = res.ar.set_index(["symbol", "rel_day"])["ar"]
    expected = 0.0 - np.log1p(volume.loc[est, "F00000"]).mean()
    assert ar.loc[("F00000", 0)] == pytest.approx(expected, abs=1e-12)
    assert ("F00001", 0) not in ar.index  # missing: dropped and counted
    days = res.car.set_index(["symbol", "window"])["nobs"]
    assert days.loc[("F00001", "0:1")] == 1 and days.loc[("F00000", "0:1")] == 2


def test_market_volume_defaults_to_the_universe_mean() -> None:
    volume = _synthetic(6, seed=1)
    returns = pd.DataFrame(0.0, index=volume.index, columns=volume.columns)
    events = pd.DataFrame({"symbol": volume.columns[:3], "event_date": volume.index[280]})
    universe = run_study(returns, events, model="market", measure="volume", volume=volume)
    # the same series given as a symbol: ln(1 + U) is the mean of ln(1 + V)
    with_u = volume.assign(U=np.expm1(np.log1p(volume).mean(axis=1)))
    named = run_study(
        returns.assign(U=0.0), events, model="market", market="U", measure="volume", volume=with_u
    )
    np.testing.assert_allclose(universe.ar["ar"], named.ar["ar"], atol=1e-9)
    assert universe.parameters.market == "universe mean ln(1+V)"


def _autocorrelated(n_firms: int, rho: float, seed: int) -> pd.DataFrame:
    """Shares traded whose log is AR(1) with right-skewed innovations, like real volume.

    On the shared data (29 XNYS symbols, 2024) ln(1 + V) has lag-1 autocorrelation 0.57 and
    residual skewness 0.63; here rho = 0.6 and standardised chi-square(4) innovations.
    """
    rng = np.random.default_rng(seed)
    n = 300
    shock = (rng.chisquare(4, (n, n_firms)) - 4.0) / np.sqrt(8.0)
    x = np.empty((n, n_firms))
    x[0] = shock[0]
    for t in range(1, n):  # the series, not the firms: 300 steps over all firms at once
        x[t] = rho * x[t - 1] + np.sqrt(1.0 - rho**2) * shock[t]
    log_v = rng.uniform(10.0, 16.0, n_firms) + rng.uniform(0.2, 0.6, n_firms) * x
    return pd.DataFrame(
        np.floor(np.exp(log_v)),
        index=_xnys_sessions()[:n],
        columns=[f"F{i:05d}" for i in range(n_firms)],
    )


@pytest.mark.slow
def test_volume_tests_size_under_the_null() -> None:
    """400 samples of 25 firms, no event: rejection at 5% within [2.5%, 8.5%] (binomial sd 1.1%).

    The main test (Kolari-Pynnönen) and the other cross-sectional tests on every window; the
    tests that add independent days' variances on single days only (on 0:10 they reject 20-31%
    of the time with this autocorrelation, which is why the engine does not run them there).
    """
    n_groups, per = 400, 25
    volume = _autocorrelated(n_groups * per, rho=0.6, seed=3)
    returns = pd.DataFrame(np.nan, index=volume.index, columns=volume.columns)
    events = pd.DataFrame(
        {
            "symbol": volume.columns,
            "event_date": volume.index[280],
            "basket": [f"g{i // per:03d}" for i in range(n_groups * per)],
        }
    )
    res = run_study(
        returns,
        events,
        model="constant-mean",
        measure="volume",
        volume=volume,
        car_windows=["0:0", "0:1", "0:10"],
    )
    tests = res.tests
    tests = tests[tests["basket"] != "all"]
    every_window = ["kolari_pynnonen", "t_cross_section", "bmp", "grank"]
    single_day = ["corrado_rank", "generalized_sign", "brown_warner_1985", "patell"]
    checked = [(t, w) for t in every_window for w in ("0:0", "0:1", "0:10")]
    checked += [(t, "0:0") for t in single_day]
    for name, window in checked:
        p = tests.loc[(tests["test"] == name) & (tests["window"] == window), "p_value"]
        assert len(p) == n_groups, (name, window)
        rate = float((p < 0.05).mean())
        assert 0.025 <= rate <= 0.085, (name, window, rate)
    for name in single_day + ["sign", "wilcoxon"]:
        assert not ((tests["test"] == name) & (tests["window"] == "0:10")).any()


def test_dask_backend_gives_the_local_result(dask_client: Any) -> None:
    """Both measures on a Dask cluster of two processes, in blocks of 7 pairs: the same files."""
    from ipposaki.study.distributed import DaskBackend

    volume = _synthetic(30, seed=4)
    rng = np.random.default_rng(4)
    returns = pd.DataFrame(rng.normal(0.0, 0.02, volume.shape), volume.index, volume.columns)
    returns["M"] = rng.normal(0.0, 0.01, len(returns))
    events = pd.DataFrame({"symbol": volume.columns, "event_date": volume.index[280]})
    cases = [
        {"model": "market", "measure": "volume", "volume": volume},
        {"market": "M", "measure": "volatility"},
    ]
    for kwargs in cases:
        local = run_study(returns, events, **kwargs)
        dask = run_study(
            returns, events, backend=DaskBackend(client=dask_client, chunk_pairs=7), **kwargs
        )
        assert type(dask) is type(local)
        for name in ("ar", "car", "caar", "tests"):
            pd.testing.assert_frame_equal(
                getattr(local, name), getattr(dask, name), rtol=0, atol=1e-12, obj=name
            )


# -- errors name the argument ------------------------------------------------------------------------


def test_library_errors_name_the_argument() -> None:
    volume = _synthetic(2)
    returns = pd.DataFrame(0.0, index=volume.index, columns=volume.columns)
    events = pd.DataFrame({"symbol": ["F00000"], "event_date": volume.index[280]})
    cases = [
        ({"measure": "turnover"}, "measure"),
        ({"measure": "volume"}, "volume"),
        ({"measure": "volume", "volume": volume, "model": "factor"}, "model"),
        ({"measure": "volume", "volume": volume, "thin_trading": "dimson"}, "thin_trading"),
        ({"measure": "return", "volume": volume}, "volume"),
        ({"measure": "volatility", "convention": "estudy2", "market": "F00001"}, "convention"),
        ({"measure": "volume", "volume": -volume}, "volume"),
    ]
    for kwargs, argument in cases:
        with pytest.raises(InputError) as info:
            run_study(returns, events, **({"model": "constant-mean"} | kwargs))
        assert info.value.argument == argument, (kwargs, str(info.value))


def _price_file(shared_prices: Path, path: Path, wide: bool = False) -> Path:
    raw = pd.read_csv(shared_prices / "daily.csv")
    raw = raw[raw["symbol"].isin(["NVDA", "AMD", "SPY"]) & (raw["date"] >= "2023-12-01")]
    raw = raw[raw["date"] <= "2025-02-28"]
    if wide:
        raw.pivot(index="date", columns="symbol", values="close").to_csv(path)
    else:
        raw.to_csv(path, index=False)
    return path


def test_cli_volume_writes_the_measure(
    shared_prices: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    prices = _price_file(shared_prices, tmp_path / "p.csv")
    events = tmp_path / "e.csv"
    events.write_text("symbol,event_date\nNVDA,2025-01-27\nAMD,2025-01-27\n", encoding="utf-8")
    out = tmp_path / "o"
    args = ["study", "--prices", str(prices), "--events", str(events), "--out", str(out)]
    assert run([*args, "--measure", "volume", "--model", "constant-mean"]) == 0
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["parameters"]["measure"] == "volume"
    assert "Measure: volume" in (out / "summary.txt").read_text(encoding="utf-8")
    tests = pd.read_csv(out / "tests.csv")
    assert (tests["measure"] == "volume").all()
    assert tests["null"].str.startswith("abnormal log volume").all()
    ar = pd.read_csv(out / "ar.csv")
    assert ar.loc[(ar["symbol"] == "NVDA") & (ar["rel_day"] == 0), "ar"].iloc[0] > 0.5
    capsys.readouterr()

    wide = _price_file(shared_prices, tmp_path / "w.csv", wide=True)
    bad = ["study", "--prices", str(wide), "--events", str(events), "--out", str(tmp_path / "x")]
    assert run([*bad, "--measure", "volume", "--market", "SPY"]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "--measure" in err and "volume column" in err
    assert not (tmp_path / "x").exists()
    assert run([*bad, "--measure", "volatility", "--market", "SPY"]) == 0
    capsys.readouterr()
    assert run([*bad, "--measure", "turnover"]) == 2
    assert "--measure" in capsys.readouterr().err


def test_docs_example_runs(shared_prices: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The Python block of docs/measures.md, from the checkout (it reads ../shared/data/prices)."""
    repo = Path(__file__).resolve().parents[1]
    text = (repo / "docs" / "measures.md").read_text(encoding="utf-8")
    (block,) = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    if not (repo.parent / "shared" / "data" / "prices" / "daily.csv").is_file():
        pytest.skip("the page reads ../shared/data/prices beside the checkout")
    monkeypatch.chdir(repo)
    namespace: dict[str, object] = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        exec(compile(block, "measures.md", "exec"), namespace)
    volume, volatility = namespace["volume"], namespace["volatility"]
    # The page's figures illustrate one run; the values are checked by hand above, so here only
    # what the page says about the files: the measure is recorded and the tests are its own.
    assert volume.parameters.measure == "volume"  # type: ignore[attr-defined]
    assert "sign" not in set(volume.tests["test"])  # type: ignore[attr-defined]
    assert set(volatility.tests["measure"]) == {"volatility"}  # type: ignore[attr-defined]


def test_a_spec_and_an_event_study_volume(
    shared_prices: Path, shared_store, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """[study] measure = "volume" in a spec, and `study --event ... --measure volume`, give
    NVDA's abnormal log volume of the hand computation above; --measure beside a SPEC is
    refused (the spec's [study] table says it)."""
    from ipposaki.cli.main import run
    from ipposaki.study.spec import load_spec, run_spec

    raw = _raw(shared_prices, "NVDA")
    est, day0 = _estimation_sessions()
    log_v = np.log1p(raw["volume"].astype(float))
    expected = float(log_v.loc[day0] - log_v.reindex(est).mean())
    spec = tmp_path / "v.toml"
    spec.write_text(
        'title = "v"\n[study]\nmodel = "constant-mean"\nmeasure = "volume"\n'
        '[[events]]\nid = "d"\ndate = "2025-01-27"\nsymbols = ["NVDA"]\n'
    )
    res = run_spec(load_spec(spec), shared_store).results["XNYS"]
    assert res.ar.set_index("rel_day").loc[0, "ar"] == pytest.approx(expected, abs=1e-6)
    out = tmp_path / "o"
    argv = ["study", "--event", "deepseek_shock", "--symbol", "NVDA", "--measure", "volume"]
    argv += ["--model", "constant-mean", "--store", str(shared_store.path), "--out", str(out)]
    assert run(argv) == 0
    ar = pd.read_csv(out / "XNYS" / "ar.csv").set_index("rel_day")
    assert ar.loc[0, "ar"] == pytest.approx(expected, abs=1e-6)
    capsys.readouterr()
    assert run(["study", str(spec), "--measure", "volume", "--out", str(tmp_path / "p")]) == 2
    assert "[study]" in capsys.readouterr().err
