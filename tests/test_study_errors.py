"""Bad input to the engine: one-line errors, or exclusions listed with their reason."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from ipposaki.cli.main import run
from ipposaki.errors import InputError, UnknownNameError
from ipposaki.study import run_study
from ipposaki.study.regression import car_regression


@pytest.fixture(scope="module")
def returns() -> pd.DataFrame:
    rng = np.random.default_rng(1)
    idx = pd.bdate_range("2024-01-01", periods=300)
    m = rng.normal(0, 0.01, len(idx))
    data = {"MKT": m}
    for i in range(4):
        data[f"F{i}"] = 0.8 * m + rng.normal(0, 0.02, len(idx))
    return pd.DataFrame(data, index=idx)


def events(returns: pd.DataFrame, pos: int = 280, **extra: object) -> pd.DataFrame:
    frame = pd.DataFrame({"symbol": ["F0", "F1"], "event_date": returns.index[pos]})
    return frame.assign(**extra)


def one_line(exc: BaseException) -> str:
    text = str(exc)
    assert "\n" not in text
    return text


def test_event_outside_the_data_is_excluded_with_reason(returns: pd.DataFrame) -> None:
    ev = pd.DataFrame({"symbol": ["F0", "F1"], "event_date": [returns.index[280], "2026-09-01"]})
    res = run_study(returns, ev, market="MKT")
    assert res.excluded.to_dict("records") == [
        {
            "event_id": "E2",
            "symbol": "F1",
            "reason": f"event session 2026-09-01 after last return {returns.index[-1].date()}",
        }
    ]


def test_too_short_estimation_window_is_excluded(returns: pd.DataFrame) -> None:
    res = run_study(returns, events(returns, pos=100), market="MKT")
    assert set(res.excluded["reason"]) == {
        "estimation window needs 250 sessions before day 0, the data has 100"
    }
    gappy = returns.copy()
    gappy.iloc[30:200, 1] = np.nan  # F0 loses most of its estimation window
    res = run_study(gappy, events(returns), market="MKT")
    reasons = res.excluded.set_index("symbol")["reason"]
    assert (
        reasons["F0"].startswith("estimation window has ")
        and "min_estimation_obs=100" in reasons["F0"]
    )
    assert list(res.params["symbol"]) == ["F1"]


def test_missing_market_series(returns: pd.DataFrame) -> None:
    with pytest.raises(UnknownNameError) as err:
        run_study(returns, events(returns), market="SPX")
    assert one_line(err.value).startswith("unknown market series 'SPX'")
    with pytest.raises(InputError, match="the model needs a benchmark"):
        run_study(returns, events(returns))


def test_duplicate_events_are_excluded(returns: pd.DataFrame) -> None:
    ev = pd.concat([events(returns), events(returns).iloc[:1]], ignore_index=True)
    res = run_study(returns, ev, market="MKT")
    assert res.excluded["reason"].tolist() == [
        "duplicate of event E1 (same symbol, market and event session)"
    ]


def test_reversed_window(returns: pd.DataFrame) -> None:
    with pytest.raises(InputError) as err:
        run_study(returns, events(returns), market="MKT", event_window="5:-5")
    assert one_line(err.value) == (
        "event_window='5:-5' is not allowed: expected A <= B (did you mean -5:5?)"
    )


def test_unknown_model_and_test(returns: pd.DataFrame) -> None:
    with pytest.raises(InputError, match="model='capm' is not allowed: expected one of market"):
        run_study(returns, events(returns), market="MKT", model="capm")  # type: ignore[arg-type]
    res = run_study(returns, events(returns), market="MKT")
    with pytest.raises(UnknownNameError, match="unknown test 'patel'; did you mean patell"):
        res.test("patel")


def test_non_session_event_date_needs_roll(returns: pd.DataFrame) -> None:
    saturday = returns.index[280] + pd.Timedelta(days=(5 - returns.index[280].weekday()) % 7 or 7)
    ev = pd.DataFrame({"symbol": ["F0"], "event_date": [saturday]})
    with pytest.raises(InputError) as err:
        run_study(returns, ev, market="MKT")
    msg = one_line(err.value)
    nxt = returns.index[returns.index.searchsorted(saturday)]
    assert f"`roll='next'` gives {nxt.date()}" in msg and "`roll='previous'` gives" in msg
    res = run_study(returns, ev, market="MKT", roll="next")
    assert res.ar.loc[res.ar["rel_day"] == 0, "session"].iloc[0] == nxt


def test_car_window_outside_event_window(returns: pd.DataFrame) -> None:
    with pytest.raises(InputError, match="a window inside the event window -5:10"):
        run_study(returns, events(returns), market="MKT", car_windows=["0:20"])


def test_cli_study_errors_exit_2(
    tmp_path: Path, returns: pd.DataFrame, capsys: pytest.CaptureFixture[str]
) -> None:
    rpath = tmp_path / "r.csv"
    returns.rename_axis("date").to_csv(rpath)
    epath = tmp_path / "e.csv"
    events(returns).to_csv(epath, index=False)
    base = [
        "study",
        "--returns",
        str(rpath),
        "--events",
        str(epath),
        "--market",
        "MKT",
        "--out",
        str(tmp_path / "o"),
    ]
    assert run([*base, "--event-window", "5:-5"]) == 2
    assert "did you mean -5:5?" in capsys.readouterr().err
    # An estimation window that overlaps the event window: both named, nothing written.
    assert run([*base, "--estimation-window", "-250:3"]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err
    assert "--estimation-window='-250:3" in err and "event window -5:10" in err
    assert not (tmp_path / "o").exists()
    assert run([*base, "--model", "capm"]) == 2
    assert run(["study", "--events", str(epath)]) == 2
    assert (
        "exactly one of --returns FILE, --prices FILE or --parquet DIR" in capsys.readouterr().err
    )
    assert run(base) == 0
    written = sorted(p.name for p in (tmp_path / "o").iterdir())
    assert written == sorted(
        [
            "ar.csv",
            "car.csv",
            "aar.csv",
            "caar.csv",
            "tests.csv",
            "params.csv",
            "excluded.csv",
            "summary.txt",
            "manifest.json",
        ]
    )
    tests = pd.read_csv(tmp_path / "o" / "tests.csv")
    assert list(tests.columns) == [
        "basket",
        "window",
        "test",
        "statistic",
        "p_value",
        "nobs",
        "z",
        "df",
        "distribution",
        "null",
    ]
    assert set(tests["test"]) == {
        "t_cross_section",
        "brown_warner_1980",
        "brown_warner_1985",
        "patell",
        "bmp",
        "kolari_pynnonen",
        "lamb",
        "sign",
        "generalized_sign",
        "corrado_rank",
        "corrado_sign",
        "modified_rank",
        "wilcoxon",
        "grank",
    }
    assert {"-5:-5", "0:0", "10:10", "0:1", "-1:1", "0:10"} <= set(tests["window"])


@pytest.mark.parametrize("cov", ["nonrobust", "HC1", "HC3"])
def test_car_regression_matches_statsmodels(cov: str) -> None:
    rng = np.random.default_rng(5)
    data = pd.DataFrame(
        {
            "symbol": [f"S{i}" for i in range(40)],
            "china": rng.uniform(0, 0.5, 40),
            "size": rng.normal(10, 1, 40),
        }
    )
    data["car"] = -0.1 * data["china"] + 0.01 * data["size"] + rng.standard_t(4, 40) * 0.02
    data.loc[3, "size"] = np.nan
    ours = car_regression(data, "car", ["china", "size"], cov_type=cov)  # type: ignore[arg-type]
    ok = data.dropna()
    ref = sm.OLS(ok["car"], sm.add_constant(ok[["china", "size"]])).fit(cov_type=cov)
    np.testing.assert_allclose(ours.params["coef"], ref.params, rtol=1e-12)
    np.testing.assert_allclose(ours.params["std_err"], ref.bse, rtol=1e-10)
    assert ours.dropped == ("S3",) and ours.nobs == 39


def test_constant_market_is_a_listed_exclusion(returns: pd.DataFrame) -> None:
    flat = returns.copy()
    flat["MKT"] = 0.001  # no variation: the market model cannot be fitted
    res = run_study(flat, events(returns), market="MKT")
    assert set(res.excluded["reason"]) == {
        "no fit: the estimation design is singular (e.g. a constant market series)"
    }
    assert res.params.empty and res.tests.empty and res.car.empty


def test_timestamp_events_map_to_the_exchange_session(shared_store) -> None:
    from ipposaki.panel import build_panel

    panel = build_panel(shared_store, "XNYS", ["NVDA", "^GSPC"], "2023-06-01", "2025-03-31")
    ev = pd.DataFrame(
        {
            "symbol": ["NVDA", "NVDA"],
            "event_date": ["2025-01-24T22:00Z", "2025-01-27T09:00+09:00"],
            "event_id": ["late", "tokyo"],
        }
    )
    # After Friday's close -> Monday 01-27; Tokyo's Monday open -> New York's Monday 01-27 too:
    # the two are then one event, and the second is listed as a duplicate.
    res = run_study(panel.returns, ev, market="^GSPC", exchange="XNYS")
    assert res.ar.query("rel_day == 0")["session"].dt.strftime("%Y-%m-%d").tolist() == [
        "2025-01-27"
    ]
    assert res.excluded["reason"].str.startswith("duplicate of event late").all()
    with pytest.raises(
        InputError,
        match="exchange=None is not allowed: expected an exchange to map the timestamp",
    ):
        run_study(panel.returns, ev, market="^GSPC")


def test_overlapping_windows_refused_even_without_pairs() -> None:
    """The windows alone decide: an events table whose every pair would be excluded does not
    let an estimation window that overlaps the event window through."""
    idx = pd.bdate_range("2020-01-01", periods=60)
    returns = pd.DataFrame({"A": 0.01, "MKT": 0.01}, index=idx)
    events = pd.DataFrame({"symbol": ["A"], "event_date": [idx[30]]})  # too little history
    with pytest.raises(InputError, match="estimation_window='-250:3'"):
        run_study(returns, events, market="MKT", estimation_window="-250:3")
