"""Spillover: rolling OLS against statsmodels, HAC, forecast tests, leakage, and bad input."""

from __future__ import annotations

import shutil
import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from statsmodels.regression.rolling import RollingOLS

from ipposaki.errors import InputError, UnknownNameError
from ipposaki.spillover import forecast_next, newey_west, rolling_ols
from ipposaki.spillover.evaluate import diebold_mariano, mincer_zarnowitz
from ipposaki.store import Store


def _design(seed: int, t: int = 400, p: int = 3) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = np.column_stack([np.ones(t), rng.normal(0, 0.01, (t, p - 1))])
    y = x @ rng.normal(0, 1, p) * 0.5 + rng.normal(0, 0.01, t)
    return y, x


def test_rolling_matches_statsmodels_rollingols() -> None:
    y, x = _design(1)
    window = 60
    ours = rolling_ols(y[None, :], x[None, :, :], window, window)
    theirs = RollingOLS(y, x, window=window).fit().params  # uses rows t-window+1..t
    # ours at t uses rows t-window..t-1, i.e. statsmodels' fit at t-1
    np.testing.assert_allclose(ours.beta[0, window:], theirs[window - 1 : -1], rtol=0, atol=1e-10)
    assert np.isnan(ours.beta[0, :window]).all()


def test_rolling_with_missing_values_matches_a_plain_loop() -> None:
    y, x = _design(2, t=200)
    y[[5, 50, 51, 120]] = np.nan
    x[[30, 121], 1] = np.nan
    window = 40
    fit = rolling_ols(y[None], x[None], window, 20)
    for t in (45, 60, 125, 199):
        rows = slice(t - window, t)
        yy, xx = y[rows], x[rows]
        ok = ~np.isnan(yy) & ~np.isnan(xx).any(axis=1)
        beta, *_ = np.linalg.lstsq(xx[ok], yy[ok], rcond=None)
        np.testing.assert_allclose(fit.beta[0, t], beta, rtol=1e-9, atol=1e-12)
        assert fit.nobs[0, t] == ok.sum()
        resid = yy[ok] - xx[ok] @ beta
        assert fit.sigma2[0, t] == pytest.approx(resid @ resid / (ok.sum() - 3), rel=1e-8)


def test_expanding_window() -> None:
    y, x = _design(3, t=120)
    fit = rolling_ols(y[None], x[None], None, 10)
    beta, *_ = np.linalg.lstsq(x[:100], y[:100], rcond=None)
    np.testing.assert_allclose(fit.beta[0, 100], beta, rtol=1e-9, atol=1e-12)


def test_collinear_drivers_give_no_fit() -> None:
    # Two identical drivers: X'X is singular, though rounding may leave its determinant non-zero.
    y, x = _design(6, t=120)
    for twin in (x[:, 1], 3.0 * x[:, 1]):
        fit = rolling_ols(y[None], np.column_stack([x, twin])[None], 60, 30)
        assert np.isnan(fit.beta[0, 60:]).all()
    # Drivers that are nearly but not exactly collinear still fit.
    rng = np.random.default_rng(6)
    near = x[:, 1] + rng.normal(0, 1e-4, len(y))
    fit = rolling_ols(y[None], np.column_stack([x, near])[None], 60, 30)
    assert np.isfinite(fit.beta[0, 60:]).all()


def test_newey_west_matches_statsmodels() -> None:
    y, x = _design(4, t=300)
    res = sm.OLS(y, x).fit(cov_type="HAC", cov_kwds={"maxlags": 5, "use_correction": False})
    ours = newey_west(x, res.resid, lags=5)
    np.testing.assert_allclose(ours, res.cov_params(), rtol=1e-10)


def test_diebold_mariano_by_hand() -> None:
    # d = e1^2 - e2^2 = [0.01-0.04, 0.04-0.01, 0.01-0.09, 0.0-0.04] = [-0.03, 0.03, -0.08, -0.04]
    # mean -0.03; deviations 0, 0.06, -0.05, -0.01; var = (0 + 36 + 25 + 1)e-4 / 4 = 15.5e-4
    # DM = -0.03 / sqrt(15.5e-4 / 4); HLN factor sqrt((4 + 1 - 2) / 4) = sqrt(0.75)
    e1 = np.array([0.1, 0.2, 0.1, 0.0])
    e2 = np.array([0.2, 0.1, 0.3, 0.2])
    test = diebold_mariano(e1, e2)
    expected = -0.03 / np.sqrt(15.5e-4 / 4) * np.sqrt(0.75)
    assert test.statistic == pytest.approx(expected, rel=1e-12)
    from scipy import stats

    assert test.p_value == pytest.approx(2 * stats.t.sf(abs(expected), 3), rel=1e-12)
    assert (test.test, test.df, test.nobs, test.distribution) == ("diebold_mariano", 3.0, 4, "t(3)")


def test_mincer_zarnowitz_coefficients() -> None:
    rng = np.random.default_rng(5)
    f = rng.normal(0, 0.01, 500)
    y = 0.001 + 0.8 * f + rng.normal(0, 0.01, 500)
    mz = mincer_zarnowitz(y, f)
    slope, intercept = np.polyfit(f, y, 1)
    assert (mz.a, mz.b) == pytest.approx((intercept, slope), rel=1e-10)
    assert 0 <= mz.wald.p_value <= 1
    assert (mz.wald.test, mz.wald.df, mz.wald.distribution) == ("mincer_zarnowitz", 2.0, "chi2(2)")


# -- real data: leakage and the DeepSeek case ---------------------------------------------------


@pytest.fixture(scope="module")
def private_store(shared_store: Store, tmp_path_factory: pytest.TempPathFactory) -> Store:
    """A copy of the real-data store that this module may change."""
    path = tmp_path_factory.mktemp("spill") / "store.duckdb"
    shutil.copy(shared_store.path, path)
    return Store(path)


def _shocked_rows(
    store: Store, symbols: list[str], start: str, end: str, factor: float
) -> pd.DataFrame:
    rows = store.prices(symbols, start, end)
    for col in ("open", "high", "low", "close", "adj_close"):
        rows[col] = rows[col] * factor
    return rows


def test_forecast_uses_only_data_known_at_the_new_york_close(private_store: Store) -> None:
    kwargs = dict(
        targets=["^N225", "jp_semi_equipment"],
        drivers=["^SOX", "NVDA", "JPY=X"],
        open_gap=True,
        own_lag=True,
    )
    before = forecast_next(private_store, "2025-01-27", **kwargs)
    targets = ["^N225", *private_store.basket("jp_semi_equipment")]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # Every New York price after the 2025-01-27 close, every JPY=X close from 2025-01-27 on
        # (its 01-27 close comes at 17:00 New York, after the NYSE close) and every Tokyo price
        # from the 2025-01-28 session on, is changed.
        private_store.ingest(
            _shocked_rows(private_store, ["^SOX", "NVDA"], "2025-01-28", "2025-03-31", 0.5),
            "shock",
        )
        private_store.ingest(
            _shocked_rows(private_store, ["JPY=X"], "2025-01-27", "2025-03-31", 0.5), "shock"
        )
        private_store.ingest(
            _shocked_rows(private_store, targets, "2025-01-28", "2025-03-31", 3.0), "shock"
        )
    after = forecast_next(private_store, "2025-01-27", **kwargs)
    cols = ["target", "forecast", "lower", "upper", "nobs", "r2", "sigma"]
    pd.testing.assert_frame_equal(before.table[cols], after.table[cols], rtol=0, atol=0)
    pd.testing.assert_frame_equal(before.coefficients, after.coefficients, rtol=0, atol=0)
    # The control: a price the forecast may use (New York's 2025-01-27 close) does move it.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        private_store.ingest(
            _shocked_rows(private_store, ["^SOX"], "2025-01-27", "2025-01-27", 1.05), "shock"
        )
    moved = forecast_next(private_store, "2025-01-27", **kwargs)
    assert not np.allclose(moved.table["forecast"], before.table["forecast"])
    # And so does the last JPY=X close known at that New York close (Friday 01-24's).
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        private_store.ingest(
            _shocked_rows(private_store, ["JPY=X"], "2025-01-24", "2025-01-24", 1.05), "shock"
        )
    fx_moved = forecast_next(private_store, "2025-01-27", **kwargs)
    assert not np.allclose(fx_moved.table["forecast"], moved.table["forecast"])


def test_deepseek_forecast_against_the_actual(shared_store: Store) -> None:
    res = forecast_next(shared_store, "2025-01-27", targets=["^N225"])
    row = res.table.iloc[0]
    assert str(row["target_session"]) == "2025-01-28"
    assert f"{row['actual']:.2%}" == "-1.39%"
    assert row["lower"] < row["actual"] < row["upper"]
    assert row["forecast"] < 0


def test_bad_input(shared_store: Store) -> None:
    with pytest.raises(
        InputError,
        match=r"as_of='2025-01-26' is not allowed: expected a session of XNYS \(nearest: 2025-01-27\)",
    ):
        forecast_next(shared_store, "2025-01-26")
    with pytest.raises(InputError, match="two different exchanges, or `lag=True`"):
        forecast_next(
            shared_store,
            "2025-01-27",
            source="XTKS",
            target="XTKS",
            drivers=["^TOPX"],
            targets=["^N225"],
        )
    same = forecast_next(
        shared_store,
        "2025-01-27",
        source="XTKS",
        target="XTKS",
        drivers=["^TOPX"],
        targets=["^N225"],
        lag=True,
    )
    assert str(same.table["target_session"].iloc[0]) == "2025-01-28"
    with pytest.raises(UnknownNameError, match="unknown driver 'NOPE'"):
        forecast_next(shared_store, "2025-01-27", drivers=["NOPE"])
    with pytest.raises(
        InputError,
        match=r"history=.*overlapping sessions for 6526.T.*is not allowed: expected at least 125",
    ):
        forecast_next(shared_store, "2022-11-01", targets=["6526.T"])
    with pytest.raises(InputError, match="a series of XNYS"):
        forecast_next(shared_store, "2025-01-27", drivers=["8035.T"])


def test_deepseek_doc_holds_the_current_forecasts(shared_store: Store) -> None:
    from conftest import REPO

    doc = (REPO / "docs" / "deepseek.md").read_text(encoding="utf-8")
    res = forecast_next(shared_store, "2025-01-27", targets=["^N225", "jp_electric_wires"])
    for row in res.table.itertuples():
        assert f"| {row.target} " in doc
        assert f"{row.forecast:.4f}" in doc and f"{row.actual:.4f}" in doc
