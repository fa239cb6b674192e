"""Evaluation: Clark-West and out-of-sample R^2 by hand, the overnight/daytime split, look-ahead.

The hand computations are written out in the comments; the Clark-West statistic is also checked
against statsmodels (OLS of f on a constant with Newey-West errors), an implementation that
shares no code with ours.
"""

from __future__ import annotations

import shutil
import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats

from ipposaki.spillover import evaluate_spillover, forecast_next
from ipposaki.spillover.evaluate import ClarkWestTest, clark_west, r2_oos
from ipposaki.store import Store

# A made-up series of five outcomes, model forecasts and historical-mean forecasts.
Y = np.array([0.01, -0.02, 0.03, 0.00, 0.02])
MODEL = np.array([0.005, -0.01, 0.01, 0.01, 0.01])
MEAN = np.full(5, 0.002)


def test_clark_west_by_hand() -> None:
    # e_bench = y - 0.002           = [ 8, -22, 28, -2, 18] e-3; squared [64, 484, 784, 4, 324] e-6
    # e_model = y - model           = [ 5, -10, 20, -10, 10] e-3; squared [25, 100, 400, 100, 100] e-6
    # bench - model                 = [-3, 12, -8, -8, -8] e-3;  squared [9, 144, 64, 64, 64] e-6
    # f = e_b^2 - (e_m^2 - (b - m)^2) = [64 - 16, 484 + 44, 784 - 336, 4 - 36, 324 - 36]
    #                                 = [48, 528, 448, -32, 288] e-6, sum 1280e-6, mean 256e-6
    # deviations from the mean        = [-208, 272, 192, -288, 32] e-6
    # sum of squared deviations       = 43264 + 73984 + 36864 + 82944 + 1024 = 238080 e-12
    # lag-1 products                  = 272(-208) + 192(272) + (-288)(192) + 32(-288) = -68864 e-12
    # Newey-West, 0 lags: var(mean) = 238080e-12 / 5^2
    # Newey-West, 1 lag (weight 1/2): var(mean) = (238080 + 2 (1/2)(-68864)) e-12 / 25 = 169216e-12 / 25
    no_lag = clark_west(Y, MODEL, MEAN, lags=0)
    assert isinstance(no_lag, ClarkWestTest)
    assert no_lag.mean == pytest.approx(256e-6, rel=1e-12)
    assert no_lag.std_err == pytest.approx(np.sqrt(238080e-12 / 25), rel=1e-12)
    assert no_lag.statistic == pytest.approx(256e-6 / np.sqrt(238080e-12 / 25), rel=1e-12)
    one_lag = clark_west(Y, MODEL, MEAN, lags=1)
    expected = 256e-6 / np.sqrt(169216e-12 / 25)  # 3.1116...
    assert one_lag.statistic == pytest.approx(expected, rel=1e-12)
    # One-sided: P(N(0, 1) > stat).
    assert one_lag.p_value == pytest.approx(stats.norm.sf(expected), rel=1e-12)
    assert (one_lag.nobs, one_lag.lags, one_lag.distribution) == (5, 1, "N(0, 1)")


def test_clark_west_against_statsmodels_hac() -> None:
    rng = np.random.default_rng(7)
    n = 400
    y = rng.normal(0, 0.01, n)
    model = 0.3 * y + rng.normal(0, 0.004, n)
    mean = rng.normal(0.0005, 0.0002, n)
    f = (y - mean) ** 2 - ((y - model) ** 2 - (mean - model) ** 2)
    for lags in (0, 3, 7):
        ref = sm.OLS(f, np.ones(n)).fit(
            cov_type="HAC", cov_kwds={"maxlags": lags, "use_correction": False}
        )
        ours = clark_west(y, model, mean, lags=lags)
        assert ours.statistic == pytest.approx(ref.tvalues[0], rel=1e-10)
        assert ours.std_err == pytest.approx(ref.bse[0], rel=1e-10)
    # Default lags: floor(4 (400 / 100)^(2/9)) = floor(5.48) = 5.
    assert clark_west(y, model, mean).lags == 5


def test_clark_west_degenerate_cases() -> None:
    short = clark_west(Y[:2], MODEL[:2], MEAN[:2])
    assert np.isnan(short.statistic) and np.isnan(short.p_value) and short.nobs == 2
    # A model identical to the benchmark: f = 0, no variance.
    same = clark_west(Y, MEAN, MEAN, lags=0)
    assert same.mean == 0 and np.isnan(same.statistic)


def test_r2_oos_by_hand() -> None:
    # Campbell-Thompson: 1 - sum e_model^2 / sum e_mean^2 = 1 - 725e-6 / 1660e-6 (see above).
    assert r2_oos(Y, MODEL, MEAN) == pytest.approx(1 - 725 / 1660, rel=1e-12)
    assert r2_oos(Y, MEAN, MEAN) == 0.0
    assert np.isnan(r2_oos(MEAN, MODEL, MEAN))


# -- real data ----------------------------------------------------------------------------------

KW = dict(targets=["^N225", "jp_semi_equipment"], drivers=["^SOX", "NVDA", "JPY=X"], window=120)


@pytest.fixture(scope="module")
def evaluation(shared_store: Store):
    return evaluate_spillover(shared_store, "2025-01-06", "2025-02-14", split=True, **KW)


def test_metrics_hold_clark_west_and_r2_oos(evaluation) -> None:
    m = evaluation.metrics.set_index("target")
    for col in ("cw_zero", "cw_zero_p_value", "cw_mean", "cw_mean_p_value", "r2_oos"):
        assert col in m.columns
    f = evaluation.forecasts
    for target in ("^N225", "^N225:daytime"):
        one = f[f["target"] == target]
        y, model, mean = (one[c].to_numpy() for c in ("actual", "forecast", "mean"))
        assert m.loc[target, "r2_oos"] == pytest.approx(r2_oos(y, model, mean), rel=1e-12)
        assert m.loc[target, "cw_mean_p_value"] == clark_west(y, model, mean).p_value
        assert m.loc[target, "cw_zero"] == clark_west(y, model, np.zeros(len(y))).statistic
    assert "Clark-West" in evaluation.summary and "out-of-sample R2" in evaluation.summary


def test_split_reports_the_parts_side_by_side(evaluation) -> None:
    split = evaluation.split
    assert list(split["target"]) == ["^N225", "jp_semi_equipment"]
    for metric in ("sd", "r2_oos", "rmse_vs_mean", "cw_mean_p_value", "hit_rate"):
        for part in ("close", "overnight", "daytime"):
            assert f"{metric}_{part}" in split.columns
    m = evaluation.metrics.set_index("target")
    row = split.set_index("target").loc["^N225"]
    assert row["r2_oos_overnight"] == m.loc["^N225:overnight", "r2_oos"]
    assert row["r2_oos_daytime"] == m.loc["^N225:daytime", "r2_oos"]
    # For an index (no adjustment) the parts compound to the close-to-close return.
    f = evaluation.forecasts.pivot(index="session", columns="target", values="actual")
    rebuilt = (1 + f["^N225:overnight"]) * (1 + f["^N225:daytime"]) - 1
    np.testing.assert_allclose(rebuilt, f["^N225"], rtol=0, atol=1e-12)
    assert "overnight (previous close to open)" in evaluation.summary


@pytest.fixture
def private_store(shared_store: Store, tmp_path) -> Store:
    path = tmp_path / "store.duckdb"
    shutil.copy(shared_store.path, path)
    return Store(path)


def _shocked(store: Store, symbols: list[str], start: str, factor: float) -> pd.DataFrame:
    rows = store.prices(symbols, start, "2025-03-31")
    for col in ("open", "high", "low", "close", "adj_close"):
        rows[col] = rows[col] * factor
    return rows


def test_evaluation_uses_only_data_known_before_each_session(private_store: Store) -> None:
    before = evaluate_spillover(private_store, "2025-01-06", "2025-02-14", split=True, **KW)
    tokyo = ["^N225", *private_store.basket("jp_semi_equipment")]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # New York after its 01-27 close, JPY=X from its 01-27 close (17:00 New York) and Tokyo
        # from its 01-28 session: nothing the forecasts of Tokyo up to 01-28 may see.
        private_store.ingest(_shocked(private_store, ["^SOX", "NVDA"], "2025-01-28", 0.5), "x")
        private_store.ingest(_shocked(private_store, ["JPY=X"], "2025-01-27", 0.5), "x")
        private_store.ingest(_shocked(private_store, tokyo, "2025-01-28", 3.0), "x")
    after = evaluate_spillover(private_store, "2025-01-06", "2025-02-14", split=True, **KW)
    cols = ["session", "target", "forecast", "mean"]
    a, b = before.forecasts, after.forecasts
    upto = pd.Timestamp("2025-01-28")
    pd.testing.assert_frame_equal(
        a.loc[a["session"] <= upto, cols].reset_index(drop=True),
        b.loc[b["session"] <= upto, cols].reset_index(drop=True),
        rtol=0,
        atol=0,
    )
    # Later sessions do see the changed prices.
    later_a = a.loc[a["session"] > upto, "forecast"].to_numpy()
    later_b = b.loc[b["session"] > upto, "forecast"].to_numpy()
    assert not np.allclose(later_a, later_b)


def test_evaluation_forecast_is_the_one_step_ahead_forecast(
    shared_store: Store, evaluation
) -> None:
    # The out-of-sample forecast of Tokyo 01-28 is what forecast_next says at New York's 01-27.
    one = forecast_next(shared_store, "2025-01-27", **KW).table.set_index("target")
    f = evaluation.forecasts
    row = f[(f["session"] == "2025-01-28") & (f["target"] == "^N225")]
    assert row["forecast"].iloc[0] == pytest.approx(one.loc["^N225", "forecast"], rel=1e-10)


def test_cli_evaluate_split_writes_split_csv(shared_store: Store, tmp_path) -> None:
    from ipposaki.cli.main import run

    out = tmp_path / "ev"
    argv = ["spillover", "evaluate", "--start", "2025-01-06", "--end", "2025-02-14", "--split"]
    argv += ["--targets", "^N225", "--window", "120", "--out", str(out)]
    assert run([*argv, "--store", str(shared_store.path)]) == 0
    metrics = pd.read_csv(out / "metrics.csv")
    assert {"cw_zero", "cw_zero_p_value", "cw_mean", "cw_mean_p_value", "r2_oos"} <= set(
        metrics.columns
    )
    assert list(metrics["target"]) == ["^N225", "^N225:overnight", "^N225:daytime"]
    split = pd.read_csv(out / "split.csv")
    assert list(split["target"]) == ["^N225"]
    assert "r2_oos_daytime" in split.columns


def test_evaluation_drops_a_driver_that_ended_and_refuses_none(shared_store: Store) -> None:
    from ipposaki.errors import DriverDroppedWarning, InputError

    # DEXJPUS ends 2025-09-26; its last week is published Mon 09-29 (16:15 New York), so Tokyo
    # 10-01 is the last session with a value. Over 2025-10-06..12-30 it has none.
    kwargs = dict(targets=["^N225"], window=120)
    with pytest.warns(DriverDroppedWarning, match=r"driver DEXJPUS left out .*2025-09-26"):
        res = evaluate_spillover(
            shared_store, "2025-10-06", "2025-12-30", drivers=["^SOX", "DEXJPUS"], **kwargs
        )
    assert res.manifest["drivers"] == ("^SOX",) and "DEXJPUS" in res.manifest["dropped"]
    assert res.metrics["r2_oos"].notna().all()
    with pytest.raises(InputError) as info:
        evaluate_spillover(shared_store, "2025-10-06", "2025-12-30", drivers=["DEXJPUS"], **kwargs)
    assert info.value.argument == "drivers"
    # A weekly series leaves most sessions without a value; the error says so.
    with pytest.raises(InputError, match=r"DEXJPUS has a value known before only \d+ of the"):
        evaluate_spillover(shared_store, "2025-01-06", "2025-02-14", drivers=["DEXJPUS"], **kwargs)
