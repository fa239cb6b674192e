"""Kolari–Pynnönen, the rank tests and GRANK on gappy panels and events on different dates.

Each expected value comes from an implementation written plainly here: per-firm least squares
with numpy, cross-products over the sessions two firms share, computed pair by pair in loops,
and the formulas of Kolari and Pynnönen (2010, 2011) as printed in the papers.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from ipposaki.study import engine, run_study

EST, EV = (-250, -11), (-5, 5)


def _panel(seed: int, n_firms: int, rho: float, gap_firms: int, gap_rate: float) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    t = 420
    market = rng.normal(0.0004, 0.01, t)
    common = rng.normal(0, 1, t)
    noise = rng.normal(0, 1, (t, n_firms))
    e = np.sqrt(rho) * common[:, None] + np.sqrt(1 - rho) * noise
    data = market[:, None] * rng.uniform(0.5, 1.5, n_firms) + 0.02 * e
    gaps = rng.random((t, n_firms)) < gap_rate
    gaps[:, gap_firms:] = False
    gaps[380:] = False  # event windows complete
    data[gaps] = np.nan
    idx = pd.bdate_range("2019-01-01", periods=t)
    frame = pd.DataFrame(data, index=idx, columns=[f"F{i}" for i in range(n_firms)])
    frame["MKT"] = market
    return frame


def _residuals(returns: pd.DataFrame, symbol: str, p0: int) -> pd.Series:
    """Market-model residuals over the estimation window, on the panel's sessions."""
    window = returns.iloc[p0 + EST[0] : p0 + EST[1] + 1]
    y, x = window[symbol], window["MKT"]
    ok = y.notna() & x.notna()
    design = np.column_stack([np.ones(int(ok.sum())), x[ok]])
    coef = np.linalg.lstsq(design, y[ok].to_numpy(), rcond=None)[0]
    out = pd.Series(np.nan, index=window.index)
    out[ok] = y[ok] - design @ coef
    return out


def _pooled_pairs(resid: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Per ordered pair (i, j): the cross-products of the standardised residuals over the
    sessions both have, and their count (columns standardised over their own sessions)."""
    z = (resid - resid.mean()) / resid.std(ddof=0)
    k = z.shape[1]
    num, den = np.zeros((k, k)), np.zeros((k, k))
    for i in range(k):
        for j in range(k):
            if i != j:
                both = z.iloc[:, i].notna() & z.iloc[:, j].notna()
                num[i, j] = float((z.iloc[:, i][both] * z.iloc[:, j][both]).sum())
                den[i, j] = float(both.sum())
    return num, den


def _stat(res: object, name: str, window: str) -> float:
    return float(res.test(name, window).statistic)  # type: ignore[attr-defined]


def test_kp_uses_pairwise_correlations_over_common_days() -> None:
    returns = _panel(seed=7, n_firms=15, rho=0.3, gap_firms=10, gap_rate=0.6)
    p0 = 390
    events = pd.DataFrame({"symbol": [f"F{i}" for i in range(15)], "event_date": returns.index[p0]})
    res = run_study(
        returns,
        events,
        market="MKT",
        estimation_window=EST,
        event_window=EV,
        car_windows=["0:0", "-1:1"],
        min_estimation_obs=50,
    )
    resid = pd.DataFrame({s: _residuals(returns, s, p0) for s in events["symbol"]})
    num, den = _pooled_pairs(resid)
    n = len(events)
    rbar = num.sum() / den.sum()  # one event session: pooled over all pairs
    assert 0.2 < rbar < 0.4  # the simulated 0.3, not shrunk toward 0 by the gaps
    # and close to the average of the pairwise Pearson correlations over common sessions
    pearson = resid.corr(min_periods=20).to_numpy().copy()
    np.fill_diagonal(pearson, 0.0)
    assert rbar == pytest.approx(pearson.sum() / (n * (n - 1)), abs=0.02)
    for window in ("0:0", "-1:1"):
        bmp = _stat(res, "bmp", window)
        kp = bmp * np.sqrt((1 - rbar) / (1 + (n - 1) * rbar))
        assert _stat(res, "kolari_pynnonen", window) == pytest.approx(kp, rel=1e-9)
        row = res.caar.set_index("window").loc[window]
        assert row["rbar"] == pytest.approx(rbar, rel=1e-9)
        half = (row["ci_high"] - row["ci_low"]) / 2
        widened = half * np.sqrt((1 + (n - 1) * rbar) / (1 - rbar))
        assert (row["ci_kp_high"] - row["ci_kp_low"]) / 2 == pytest.approx(widened, rel=1e-9)


def test_kp_in_calendar_time_weights_by_window_overlap() -> None:
    """Events 0, 1 and 40 sessions apart: correlations over the sessions both estimation
    windows cover, weighted by the share of the tested window's days the events share."""
    returns = _panel(seed=11, n_firms=3, rho=0.4, gap_firms=0, gap_rate=0.0)
    days = np.array([340, 341, 380])
    events = pd.DataFrame({"symbol": ["F0", "F1", "F2"], "event_date": returns.index[days]})
    res = run_study(
        returns,
        events,
        market="MKT",
        estimation_window=EST,
        event_window=EV,
        car_windows=["0:0", "0:1", "-2:2"],
    )
    resid = pd.DataFrame(
        {s: _residuals(returns, s, int(d)) for s, d in zip(events["symbol"], days, strict=True)}
    )  # aligned on the calendar by the index
    num, den = _pooled_pairs(resid)
    r = np.divide(num, den, out=np.zeros_like(num), where=den >= 20)
    for window, length in (("0:0", 1), ("0:1", 2), ("-2:2", 5)):
        total = 0.0
        for i in range(3):
            for j in range(3):
                if i != j:
                    total += r[i, j] * max(0, length - abs(days[i] - days[j])) / length
        rbar = total / 6
        assert res.caar.set_index("window").loc[window, "rbar"] == pytest.approx(rbar, rel=1e-9)
    assert res.caar.set_index("window").loc["0:0", "rbar"] == 0.0  # no common event day


def test_correlation_sums_do_not_depend_on_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    """The sums merge exactly: blocks of 4 pairs on several event sessions give the one-block
    result."""
    returns = _panel(seed=5, n_firms=30, rho=0.2, gap_firms=12, gap_rate=0.4)
    days = returns.index[[388, 390, 390, 392, 395] * 6]
    events = pd.DataFrame({"symbol": [f"F{i}" for i in range(30)], "event_date": days})

    def run() -> pd.DataFrame:
        res = run_study(
            returns,
            events,
            market="MKT",
            estimation_window=EST,
            event_window=EV,
            car_windows=["0:0", "-1:1"],
            min_estimation_obs=50,
        )
        return res.tests

    whole = run()
    monkeypatch.setattr(engine, "CHUNK_PAIRS", 4)
    pd.testing.assert_frame_equal(run(), whole, rtol=1e-12)


def test_rank_tests_scale_by_the_pairs_present() -> None:
    """Modified rank by hand: daily mean standardised rank, variance a + b / N_t by least
    squares (a, b >= 0), window sum of sqrt(N_t) x_t over sqrt(sum N_t V_t)."""
    returns = _panel(seed=3, n_firms=12, rho=0.0, gap_firms=6, gap_rate=0.5)
    p0 = 390
    returns.iloc[p0 : p0 + 2, :4] = np.nan  # four firms lack days 0 and 1
    events = pd.DataFrame({"symbol": [f"F{i}" for i in range(12)], "event_date": returns.index[p0]})
    res = run_study(
        returns,
        events,
        market="MKT",
        estimation_window=EST,
        event_window=EV,
        car_windows=["0:1"],
        min_estimation_obs=50,
    )
    rows = []
    for s in events["symbol"]:
        resid = _residuals(returns, s, p0)
        params = res.params.set_index("symbol").loc[s]
        ev = returns.iloc[p0 + EV[0] : p0 + EV[1] + 1]
        ar = ev[s] - params["alpha"] - params["beta"] * ev["MKT"]
        rows.append(np.concatenate([resid.to_numpy(), ar.to_numpy()]))
    combined = np.vstack(rows)
    present = ~np.isnan(combined)
    m = present.sum(axis=1, keepdims=True)
    ranks = np.vstack(
        [stats.rankdata(np.where(p, x, np.inf)) for x, p in zip(combined, present, strict=True)]
    )
    u = np.where(present, ranks / (m + 1) - 0.5, np.nan)
    n_t = present.sum(axis=0).astype(float)
    x_t = np.nanmean(u, axis=0)
    design = np.column_stack([np.ones_like(n_t), 1 / n_t])
    a, b = np.linalg.lstsq(design, x_t**2, rcond=None)[0]
    if a < 0:
        a, b = 0.0, float(np.sum(x_t**2 / n_t) / np.sum(1 / n_t**2))
    elif b < 0:
        a, b = float(np.mean(x_t**2)), 0.0
    v_t = a + b / n_t
    ev_cols = 240 + np.array([5, 6])  # days 0 and 1
    expected = np.sum(np.sqrt(n_t[ev_cols]) * x_t[ev_cols]) / np.sqrt(
        np.sum(n_t[ev_cols] * v_t[ev_cols])
    )
    assert _stat(res, "modified_rank", "0:1") == pytest.approx(expected, rel=1e-9)


def test_grank_matches_the_paper_with_complete_data() -> None:
    """GRANK as printed in Kolari and Pynnönen (2011), every pair present every day:
    U = rank(GSAR) / (T + 1) - 1/2, Z = Ubar_0 / S_U, S_U^2 = mean_t Ubar_t^2,
    t = Z sqrt((T - 2) / (T - 1 - Z^2))."""
    returns = _panel(seed=9, n_firms=20, rho=0.1, gap_firms=0, gap_rate=0.0)
    p0 = 390
    events = pd.DataFrame({"symbol": [f"F{i}" for i in range(20)], "event_date": returns.index[p0]})
    res = run_study(
        returns, events, market="MKT", estimation_window=EST, event_window=EV, car_windows=["0:2"]
    )
    resid = np.vstack([_residuals(returns, s, p0).to_numpy() for s in events["symbol"]])
    sigma = res.params.set_index("symbol").loc[events["symbol"], "sigma"].to_numpy()
    sar = resid / sigma[:, None]
    cars = res.car.set_index("symbol").loc[events["symbol"]]
    cars = cars[cars["window"] == "0:2"]
    scar = (cars["car"] / cars["car_std_err"]).to_numpy()
    star = scar / scar.std(ddof=1)
    gsar = np.column_stack([sar, star])  # estimation days, then the CAR as one day
    big_t = gsar.shape[1]
    u = np.vstack([stats.rankdata(row) for row in gsar]) / (big_t + 1) - 0.5
    ubar = u.mean(axis=0)
    z = ubar[-1] / np.sqrt(np.mean(ubar**2))
    t = z * np.sqrt((big_t - 2) / (big_t - 1 - z**2))
    got = res.test("grank", "0:2")
    assert got.statistic == pytest.approx(t, rel=1e-6)  # float32 standardised residuals
    assert got.df == big_t - 2
    assert got.p_value == pytest.approx(2 * stats.t.sf(abs(t), big_t - 2), rel=1e-5)


def test_kp_factor_is_stable_for_thousands_of_firms() -> None:
    """With 2,000 independent firms on one date the variance factor 1 + (N - 1) r is 1 up to
    the noise of 240 estimation days (about +-0.09): r uses every pair, not a sample."""
    rng = np.random.default_rng(21)
    t, n = 270, 2000
    idx = pd.bdate_range("2020-01-01", periods=t)
    market = rng.normal(0, 0.01, t)
    data = market[:, None] + rng.normal(0, 0.02, (t, n))
    data[rng.random((t, n)) < 0.2] = np.nan  # gaps everywhere
    returns = pd.DataFrame(data, index=idx, columns=[f"F{i}" for i in range(n)])
    returns["MKT"] = market
    events = pd.DataFrame({"symbol": returns.columns[:-1], "event_date": idx[262]})
    res = run_study(
        returns,
        events,
        market="MKT",
        estimation_window=EST,
        event_window="-5:5",
        car_windows=["0:0"],
        min_estimation_obs=50,
    )
    row = res.caar.set_index("window").loc["0:0"]
    factor = 1 + (row["nobs"] - 1) * row["rbar"]
    assert 0.7 < factor < 1.3
    assert np.isfinite(res.test("kolari_pynnonen", "0:0").statistic)


@pytest.mark.parametrize("model", ["market", "market-adjusted"])
def test_pair_with_zero_residual_variance_is_excluded(model: str) -> None:
    """A series equal to the model's prediction (the market plus a constant) has residuals of
    rounding size: it is excluded with its reason, not fed to Patell as 1e15."""
    returns = _panel(seed=2, n_firms=4, rho=0.0, gap_firms=0, gap_rate=0.0)
    returns["COPY"] = returns["MKT"] + 0.0005
    symbols = ["F0", "F1", "F2", "COPY"]
    events = pd.DataFrame({"symbol": symbols, "event_date": returns.index[390]})
    res = run_study(
        returns,
        events,
        market="MKT",
        model=model,
        estimation_window=EST,
        event_window=EV,
        car_windows=["0:0"],
    )
    reasons = res.excluded.set_index("symbol")["reason"]
    assert reasons["COPY"].startswith("zero residual variance")
    assert sorted(res.params["symbol"]) == ["F0", "F1", "F2"]
    assert abs(res.test("patell", "0:0").statistic) < 10


def test_pair_without_any_event_day_is_excluded() -> None:
    """A factor file that ends before the event: the pairs are excluded with the reason, not
    'studied' with every result NaN."""
    returns = _panel(seed=4, n_firms=3, rho=0.0, gap_firms=0, gap_rate=0.0)
    factors = pd.DataFrame({"MKTRF": returns["MKT"]}).iloc[:380]
    events = pd.DataFrame({"symbol": ["F0", "F1", "F2"], "event_date": returns.index[390]})
    res = run_study(
        returns,
        events,
        model="factor",
        factors=factors,
        estimation_window=EST,
        event_window=EV,
        car_windows=["0:0"],
    )
    assert res.params.empty
    assert res.excluded["reason"].str.startswith("no abnormal return in the event window").all()
