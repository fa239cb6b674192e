"""GARCH-family return models and the Savickas test (issue #17).

Reference values never come from ipposaki's GARCH code: the parameters and conditional
variances are arch's own fits of the same specification, run here
(``arch_model(100 y, x=100 m, mean="LS", vol="GARCH", p=1, q=1, dist="normal")``, on returns
in percent as ipposaki fits them), the event-window recursion is written out below, the returns
come from the raw CSV with pandas and exchange_calendars, and the Savickas statistic is worked by
hand. NVDA on ^GSPC around 2025-01-27 (the DeepSeek session), XNYS, estimation -250:-11.

Tolerances: ipposaki runs the same optimiser (arch's SLSQP, default tolerance) on the same
numbers with BLAS pinned to one thread, and so does the reference fit here; the parameters
agree to 1e-6 relative (in practice to the last bits). Without pinning the threads the two
fits differ by about SLSQP's ``ftol = 1e-6`` (1e-6 relative in alpha, for NVDA), the
optimiser's tolerance on the log-likelihood.
"""

from __future__ import annotations

import math
import re
import warnings
from pathlib import Path
from typing import Any

import exchange_calendars as xcals
import numpy as np
import pandas as pd
import pytest
from arch import arch_model
from threadpoolctl import threadpool_limits

from ipposaki.cli.main import run
from ipposaki.errors import InputError
from ipposaki.study import run_study
from ipposaki.study.engine import LocalRunner
from ipposaki.study.garch import savickas

DAY0 = pd.Timestamp("2025-01-27")
NVDA = pd.DataFrame({"symbol": ["NVDA"], "event_date": [DAY0]})


# -- independent inputs ---------------------------------------------------------------------------


def _sessions() -> pd.DatetimeIndex:
    cal = xcals.get_calendar("XNYS")
    return pd.DatetimeIndex(cal.sessions_in_range("2023-06-01", "2025-03-31")).tz_localize(None)


def _returns(shared_prices: Path, symbol: str) -> pd.Series:
    raw = pd.read_csv(shared_prices / "daily.csv", parse_dates=["date"])
    raw = raw[raw["symbol"] == symbol].set_index("date").sort_index()
    price = raw["adj_close"] if raw["adj_close"].notna().any() else raw["close"]
    on_grid = price.reindex(_sessions())
    return on_grid / on_grid.shift(1) - 1.0


def _arch_fit(y: np.ndarray, m: np.ndarray, vol: str):  # type: ignore[no-untyped-def]
    model = arch_model(
        100.0 * y,
        x=100.0 * m[:, None],
        mean="LS",
        vol=vol,
        p=1,
        o=1 if vol == "EGARCH" else 0,
        q=1,
        dist="normal",
        rescale=False,
    )
    # BLAS on one thread, as ipposaki fits: the thread count changes the starting values'
    # last bits, which SLSQP turns into differences of ~1e-6 (its ftol).
    with warnings.catch_warnings(), threadpool_limits(limits=1):
        warnings.simplefilter("ignore")
        return model.fit(disp="off")


@pytest.fixture(scope="module")
def nvda(shared_prices: Path, shared_store):  # type: ignore[no-untyped-def]
    from ipposaki.panel import build_panel

    panel = build_panel(shared_store, "XNYS", ["NVDA", "^GSPC"], "2023-06-01", "2025-03-31")
    y, m = _returns(shared_prices, "NVDA"), _returns(shared_prices, "^GSPC")
    sessions = _sessions()
    i0 = sessions.get_loc(DAY0)
    # the panel's returns are the raw CSV's (the input, not the model, is checked here)
    for symbol, series in (("NVDA", y), ("^GSPC", m)):
        got = panel.returns[symbol].reindex(sessions[1:])
        assert np.allclose(got, series.iloc[1:], rtol=0, atol=1e-12, equal_nan=True)
    return panel, y, m, sessions, i0


# -- parameters and variances equal arch's ------------------------------------------------------


@pytest.mark.parametrize("vol", ["GARCH", "EGARCH"], ids=["garch11", "egarch111"])
def test_parameters_equal_arch(nvda, vol: str) -> None:  # type: ignore[no-untyped-def]
    panel, y, m, sessions, i0 = nvda
    est = sessions[i0 - 250 : i0 - 10]  # -250 .. -11: 240 sessions
    ys, ms = y.reindex(est).to_numpy(), m.reindex(est).to_numpy()
    assert len(est) == 240 and not np.isnan(ys).any() and not np.isnan(ms).any()
    ref = _arch_fit(ys, ms, vol)
    assert ref.optimization_result.success
    p = ref.params

    res = run_study(panel.returns, NVDA, model=vol.lower(), market="^GSPC", event_window="-10:10")
    assert res.excluded.empty
    ours = res.params.iloc[0]
    assert ours["alpha"] == pytest.approx(p["Const"] / 100, rel=1e-6)
    assert ours["beta"] == pytest.approx(p["x0"], rel=1e-6)
    assert ours["arch"] == pytest.approx(p["alpha[1]"], rel=1e-6, abs=1e-9)
    assert ours["garch"] == pytest.approx(p["beta[1]"], rel=1e-6, abs=1e-9)
    if vol == "GARCH":
        assert ours["omega"] == pytest.approx(p["omega"] / 100**2, rel=1e-6)
    else:  # ln(sigma^2) = ln(sigma_pct^2) - ln(100^2): omega shifts by (beta - 1) ln(100^2)
        assert ours["leverage"] == pytest.approx(p["gamma[1]"], rel=1e-6, abs=1e-9)
        shifted = p["omega"] + (p["beta[1]"] - 1.0) * math.log(100**2)
        assert ours["omega"] == pytest.approx(shifted, rel=1e-6)
    assert ours["nobs"] == 240

    # Event window: AR_t = r_t - a - b m_t; sigma_t^2 starts from arch's one-step forecast and
    # runs forward with the realised residuals (written out here, in percent).
    a, b = p["Const"], p["x0"]
    days = sessions[i0 - 10 : i0 + 11]
    e = 100.0 * y.reindex(days).to_numpy() - a - b * 100.0 * m.reindex(days).to_numpy()
    var = np.empty(len(days))
    var[0] = ref.forecast(horizon=1, reindex=False, x=np.zeros((1, 1))).variance.to_numpy()[-1, 0]
    for t in range(1, len(days)):
        if vol == "GARCH":
            var[t] = p["omega"] + p["alpha[1]"] * e[t - 1] ** 2 + p["beta[1]"] * var[t - 1]
        else:
            z = e[t - 1] / math.sqrt(var[t - 1])
            var[t] = math.exp(
                p["omega"]
                + p["alpha[1]"] * (abs(z) - math.sqrt(2.0 / math.pi))
                + p["gamma[1]"] * z
                + p["beta[1]"] * math.log(var[t - 1])
            )
    ar = res.ar.set_index("rel_day")
    assert np.allclose(ar["ar"], e / 100.0, rtol=1e-6, atol=1e-9)
    assert np.allclose(ar["sar"], e / np.sqrt(var), rtol=1e-5)
    # in-sample variances are arch's conditional volatility
    fitted = np.asarray(ref.conditional_volatility) ** 2
    in_sample = 100.0 * y.reindex(est).to_numpy() - a - b * 100.0 * ms
    assert np.allclose(np.asarray(ref.resid), in_sample, rtol=1e-9, atol=1e-9)
    assert fitted.shape == (240,)


def test_volatility_with_garch_is_ar2_over_conditional_variance(nvda) -> None:  # type: ignore[no-untyped-def]
    panel, y, m, sessions, i0 = nvda
    est = sessions[i0 - 250 : i0 - 10]
    ref = _arch_fit(y.reindex(est).to_numpy(), m.reindex(est).to_numpy(), "GARCH")
    p = ref.params
    days = sessions[i0 - 10 : i0 + 1]  # -10 .. 0
    e = (
        100.0 * y.reindex(days).to_numpy()
        - p["Const"]
        - p["x0"] * 100.0 * m.reindex(days).to_numpy()
    )
    var = ref.forecast(horizon=1, reindex=False, x=np.zeros((1, 1))).variance.to_numpy()[-1, 0]
    for t in range(1, len(days)):
        var = p["omega"] + p["alpha[1]"] * e[t - 1] ** 2 + p["beta[1]"] * var
    expected = e[-1] ** 2 / var - 1.0  # AV_0 = AR_0^2 / sigma_0^2 - 1 (units cancel)

    res = run_study(
        panel.returns,
        NVDA,
        model="garch",
        market="^GSPC",
        event_window="-10:10",
        measure="volatility",
    )
    assert res.ar.set_index("rel_day").loc[0, "ar"] == pytest.approx(expected, rel=1e-5)
    assert expected > 10  # the DeepSeek day: a squared surprise many times its conditional size
    assert "savickas" not in set(res.tests["test"])  # Savickas is a test of returns
    assert "AV = AR^2 / sigma_t^2 - 1" in res.summary.as_text().split("\n")[1]


# -- the Savickas statistic by hand --------------------------------------------------------------


def test_savickas_by_hand() -> None:
    """Three firms: CAR = 0.03, -0.01, 0.02 with sum of conditional variances 0.0004, 0.0001,
    0.0009, so S = 1.5, -1, 2/3; mean 7/18; deviations 10/9, -25/18, 5/18; sum of squares
    (400 + 625 + 25) / 324 = 1050/324; sd^2 = 525/324; Z = (7/18) / sqrt(525/324/3) =
    7 / sqrt(175) = 0.52915. t(2) has the closed form p = 1 - Z / sqrt(2 + Z^2)."""
    car = np.array([0.03, -0.01, 0.02])
    var_sum = np.array([0.0004, 0.0001, 0.0009])
    z = 7.0 / math.sqrt(175.0)
    result = savickas(car / np.sqrt(var_sum), basket="all", window="0:1")
    assert result.statistic == pytest.approx(z, rel=1e-12)
    assert result.p_value == pytest.approx(1.0 - z / math.sqrt(2.0 + z**2), rel=1e-10)
    assert (result.test, result.df, result.nobs, result.distribution) == (
        "savickas",
        2.0,
        3,
        "t(2)",
    )
    assert math.isnan(savickas(np.array([1.0])).statistic)  # one firm: no test


def _garch_panel(
    n_firms: int,
    n_sessions: int,
    seed: int,
    omega: float = 1e-5,
    alpha: float = 0.08,
    beta: float = 0.9,
) -> pd.DataFrame:
    """Market-model returns with GARCH(1,1) normal errors (written out here)."""
    rng = np.random.default_rng(seed)
    idx = pd.bdate_range("2020-01-01", periods=n_sessions)
    market = rng.normal(0.0003, 0.01, n_sessions)
    e = np.empty((n_sessions, n_firms))
    var = np.full(n_firms, omega / (1.0 - alpha - beta))
    prev = np.zeros(n_firms)
    for t in range(n_sessions):
        if t:
            var = omega + alpha * prev**2 + beta * var
        prev = np.sqrt(var) * rng.standard_normal(n_firms)
        e[t] = prev
    frame = pd.DataFrame(
        0.0002 + rng.uniform(0.5, 1.5, n_firms) * market[:, None] + e,
        index=idx,
        columns=[f"F{i}" for i in range(n_firms)],
    )
    frame["M"] = market
    return frame


def test_savickas_in_the_engine_by_hand() -> None:
    """Three simulated firms: the engine's Savickas row equals the formula applied to its
    CARs over the square root of the sums of the days' conditional variances (read from ar.csv
    as (ar / sar)^2)."""
    returns = _garch_panel(3, 300, seed=3)
    events = pd.DataFrame({"symbol": ["F0", "F1", "F2"], "event_date": returns.index[280]})
    res = run_study(returns, events, model="garch", market="M", backend=LocalRunner(fit_workers=1))
    ar = res.ar[res.ar["rel_day"].isin([0, 1])]
    var = (ar["ar"] / ar["sar"]) ** 2
    car = ar.groupby("symbol")["ar"].sum()
    var_sum = var.groupby(ar["symbol"]).sum()
    s = (car / np.sqrt(var_sum)).to_numpy()
    z = s.mean() / (s.std(ddof=1) / math.sqrt(3))
    tests = res.tests.set_index(["test", "basket", "window"])
    assert tests.loc[("savickas", "all", "0:1"), "statistic"] == pytest.approx(z, rel=1e-10)
    cars = res.car.set_index(["symbol", "window"])
    for sym in ("F0", "F1", "F2"):
        assert cars.loc[(sym, "0:1"), "car_std_err"] ** 2 == pytest.approx(var_sum[sym], rel=1e-10)
    # BMP on these standardised returns is Savickas' statistic: only Savickas is reported.
    assert "bmp" not in set(res.tests["test"])
    assert "p Savickas" in res.summary and "p BMP" not in res.summary


# -- failures become exclusions ------------------------------------------------------------------


def test_a_failed_fit_is_an_exclusion(monkeypatch: pytest.MonkeyPatch) -> None:
    import arch.univariate.base as arch_base

    returns = _garch_panel(3, 300, seed=5)
    events = pd.DataFrame({"symbol": ["F0", "F1", "F2"], "event_date": returns.index[280]})
    real = arch_base.minimize
    calls = {"n": 0}

    def flaky(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        out = real(*args, **kwargs)
        if calls["n"] == 2:  # the second pair: SLSQP gives up
            out.success, out.status, out.message = False, 9, "Iteration limit reached"
        if calls["n"] == 3:
            raise ValueError("bad data")
        return out

    monkeypatch.setattr(arch_base, "minimize", flaky)
    res = run_study(returns, events, model="garch", market="M", backend=LocalRunner(fit_workers=1))
    assert list(res.params["symbol"]) == ["F0"]
    reasons = res.excluded.set_index("symbol")["reason"]
    assert reasons["F1"] == "GARCH fit did not converge: Iteration limit reached (SLSQP status 9)"
    assert reasons["F2"] == "GARCH fit failed: ValueError: bad data"
    assert "savickas" in set(res.tests["test"])


def test_pairs_a_garch_fit_cannot_serve_are_exclusions() -> None:
    """A per-event estimation window after the event, and one with 15 returns (fewer than 20,
    though min_estimation_obs allows it), are listed with their reasons."""
    returns = _garch_panel(3, 600, seed=6)
    idx = returns.index
    events = pd.DataFrame(
        {
            "symbol": ["F0", "F1", "F2"],
            "event_date": idx[280],
            "estimation_start": [pd.NaT, idx[300], idx[250]],
            "estimation_end": [pd.NaT, idx[550], idx[264]],
        }
    )
    res = run_study(
        returns,
        events,
        model="garch",
        market="M",
        min_estimation_obs=10,
        backend=LocalRunner(fit_workers=1),
    )
    assert list(res.params["symbol"]) == ["F0"]
    reasons = res.excluded.set_index("symbol")["reason"]
    assert reasons["F1"].startswith("estimation window after the event window")
    assert reasons["F2"] == "fewer than 20 valid estimation returns: too few for a GARCH fit"


# -- errors name the argument --------------------------------------------------------------------


def test_errors_name_the_argument() -> None:
    returns = _garch_panel(2, 300, seed=1)
    events = pd.DataFrame({"symbol": ["F0"], "event_date": returns.index[280]})
    volume = returns.abs() * 1e6
    cases = [
        ({"measure": "volume", "volume": volume}, "model"),
        ({"thin_trading": "dimson"}, "thin_trading"),
        ({"estimation_window": "11:200", "event_window": "-5:10"}, "estimation_window"),
    ]
    for kwargs, argument in cases:
        with pytest.raises(InputError) as info:
            run_study(returns, events, model="garch", market="M", **kwargs)
        assert info.value.argument == argument, kwargs
    with pytest.raises(InputError) as info:
        LocalRunner(fit_workers=0)
    assert info.value.argument == "fit_workers"


# -- the CLI and the docs -----------------------------------------------------------------------


def test_cli_model_garch(shared_prices: Path, tmp_path: Path) -> None:
    raw = pd.read_csv(shared_prices / "daily.csv")
    raw = raw[
        raw["symbol"].isin(["NVDA", "AMD", "SPY"]) & raw["date"].between("2023-12-01", "2025-02-28")
    ]
    prices = tmp_path / "p.csv"
    raw.to_csv(prices, index=False)
    events = tmp_path / "e.csv"
    events.write_text("symbol,event_date\nNVDA,2025-01-27\nAMD,2025-01-27\n", encoding="utf-8")
    for model in ("garch", "egarch"):
        out = tmp_path / model
        args = ["study", "--prices", str(prices), "--events", str(events), "--out", str(out)]
        assert run([*args, "--market", "SPY", "--model", model]) == 0
        tests = pd.read_csv(out / "tests.csv")
        assert "savickas" in set(tests["test"])
        params = pd.read_csv(out / "params.csv")
        assert {"omega", "arch", "garch"} <= set(params.columns)


def test_a_spec_with_model_garch(nvda, shared_store, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """[study] model = "garch" in a spec gives NVDA the parameters of arch's fit."""
    from ipposaki.study.spec import load_spec, run_spec

    _, y, m, sessions, i0 = nvda
    est = sessions[i0 - 250 : i0 - 10]
    ref = _arch_fit(y.reindex(est).to_numpy(), m.reindex(est).to_numpy(), "GARCH")
    spec = tmp_path / "g.toml"
    spec.write_text(
        'title = "g"\n[study]\nmodel = "garch"\n'
        '[[events]]\nid = "d"\ndate = "2025-01-27"\nsymbols = ["NVDA"]\n'
    )
    res = run_spec(load_spec(spec), shared_store).results["XNYS"]
    params = res.params.set_index("symbol").loc["NVDA"]
    assert params["garch"] == pytest.approx(ref.params["beta[1]"], rel=1e-6)
    assert params["omega"] == pytest.approx(ref.params["omega"] / 100**2, rel=1e-6)
    assert "savickas" in set(res.tests["test"])


def test_docs_example_runs(shared_prices: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The Python block of docs/garch.md, from the checkout (it reads ../shared/data/prices)."""
    repo = Path(__file__).resolve().parents[1]
    text = (repo / "docs" / "garch.md").read_text(encoding="utf-8")
    (block,) = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    monkeypatch.chdir(repo)
    namespace: dict[str, object] = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        exec(compile(block, "garch.md", "exec"), namespace)
    res = namespace["res"]
    assert res.parameters.model == "garch"  # type: ignore[attr-defined]
    assert "savickas" in set(res.tests["test"])  # type: ignore[attr-defined]


# -- size under a simulated GARCH null ------------------------------------------------------------


@pytest.mark.slow
def test_savickas_size_under_a_garch_null() -> None:
    """60 samples of 20 firms with GARCH(1,1) errors and no event, each sample its own group,
    one study; the Savickas test on each of the 16 event days and 4 CAR windows (1,200 tests
    per kind). Rejections at 5% lie in 5% +- 2 points (the binomial sd with 960 independent
    tests is 0.7 point)."""
    n_groups, per_group = 60, 20
    returns = _garch_panel(n_groups * per_group, 290, seed=17)
    symbols = [c for c in returns.columns if c != "M"]
    events = pd.DataFrame(
        {
            "symbol": symbols,
            "event_date": returns.index[270],
            "basket": [f"g{i // per_group:02d}" for i in range(len(symbols))],
        }
    )
    res = run_study(returns, events, model="garch", market="M")
    assert len(res.excluded) < 0.02 * len(symbols)
    t = res.tests
    sav = t[(t["test"] == "savickas") & (t["basket"] != "all")]
    days = sav[sav["window"].str.match(r"^(-?\d+):\1$")]
    rate = float((days["p_value"] < 0.05).mean())
    assert len(days) == n_groups * 16
    assert 0.03 <= rate <= 0.07, rate


def test_dask_backend_gives_the_local_result(dask_client: Any) -> None:
    """GARCH on a Dask cluster of two processes, in the default GARCH blocks (64 pairs) and in
    blocks of 7: the same frames as the local pool (the fits run BLAS on one thread on both,
    otherwise SLSQP turns the thread count's last-bit differences into visible ones)."""
    from ipposaki.study.distributed import DaskBackend

    returns = _garch_panel(80, 300, seed=8)
    symbols = [c for c in returns.columns if c != "M"]
    events = pd.DataFrame({"symbol": symbols, "event_date": returns.index[[270, 280] * 40]})
    local = run_study(returns, events, model="garch", market="M")
    for chunk in (None, 7):
        dask = run_study(
            returns,
            events,
            model="garch",
            market="M",
            backend=DaskBackend(client=dask_client, chunk_pairs=chunk),
        )
        for name in ("ar", "car", "caar", "tests", "params"):
            pd.testing.assert_frame_equal(
                getattr(local, name), getattr(dask, name), rtol=0, atol=1e-12, obj=name
            )
