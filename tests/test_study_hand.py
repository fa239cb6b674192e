"""Hand-worked market-model example, derived on paper (no code under test involved).

Estimation window [-4, -1], event window [0, 1], one firm, market M.

  market x (est)  = 0.01, -0.02, 0.03, 0.00         mean x = 0.005
  residuals e     = 0.002, 0.001, 0.000, -0.003      (sum e = 0 and sum e*x = 0,
                                                       so OLS recovers alpha and beta exactly)
  firm y (est)    = 0.001 + 1.5 x + e = 0.018, -0.028, 0.046, -0.002
  Sxx = sum (x - 0.005)^2 = 0.000025 + 0.000625 + 0.000625 + 0.000025 = 0.0013
  s^2 = sum e^2 / (4 - 2) = (4 + 1 + 0 + 9)e-6 / 2 = 7e-6

  day 0: x0 = -0.04, AR0 = -0.05  ->  y0 = 0.001 - 0.06 - 0.05 = -0.109
         Var AR0 = s^2 (1 + 1/4 + (x0 - 0.005)^2 / Sxx) = 7e-6 (1.25 + 0.002025/0.0013)
  day 1: x1 =  0.02, AR1 =  0.01  ->  y1 = 0.001 + 0.03 + 0.01 = 0.041
  CAR[0,1] = -0.04;  Var CAR = s^2 (2 + 2^2/4 + (x0 + x1 - 2 * 0.005)^2 / Sxx)
                             = 7e-6 (3 + 0.0009 / 0.0013)
  BHAR[0,1] = (1 - 0.109)(1 + 0.041) - (1 + 0.001 - 0.06)(1 + 0.001 + 0.03)
"""

from __future__ import annotations

import math

import pandas as pd
import pytest

from ipposaki.study import run_study

SESSIONS = pd.to_datetime(
    ["2025-01-20", "2025-01-21", "2025-01-22", "2025-01-23", "2025-01-24", "2025-01-27"]
)
RETURNS = pd.DataFrame(
    {
        "M": [0.01, -0.02, 0.03, 0.00, -0.04, 0.02],
        "A": [0.018, -0.028, 0.046, -0.002, -0.109, 0.041],
    },
    index=SESSIONS,
)
EVENTS = pd.DataFrame({"event_id": ["e1"], "symbol": ["A"], "event_date": ["2025-01-24"]})


def _hand_study(returns: pd.DataFrame):
    """The hand-worked market-model study of this module's docstring on ``returns``."""
    return run_study(
        returns,
        EVENTS,
        market="M",
        estimation_window="-4:-1",
        event_window="0:1",
        car_windows=["0:1"],
        min_estimation_obs=4,
    )


@pytest.fixture(scope="module")
def result():
    return _hand_study(RETURNS)


def test_parameters(result) -> None:
    row = result.params.iloc[0]
    assert row["alpha"] == pytest.approx(0.001, abs=1e-15)
    assert row["beta"] == pytest.approx(1.5, abs=1e-13)
    assert row["sigma"] == pytest.approx(math.sqrt(7e-6), rel=1e-12)
    assert row["nobs"] == 4


def test_abnormal_returns_and_sar(result) -> None:
    ar = result.ar.set_index("rel_day")
    assert ar.loc[0, "ar"] == pytest.approx(-0.05, abs=1e-14)
    assert ar.loc[1, "ar"] == pytest.approx(0.01, abs=1e-14)
    var0 = 7e-6 * (1.25 + 0.002025 / 0.0013)
    assert ar.loc[0, "sar"] == pytest.approx(-0.05 / math.sqrt(var0), rel=1e-11)
    assert str(ar.loc[0, "session"].date()) == "2025-01-24"


def test_car_variance_has_the_parameter_term(result) -> None:
    car = result.car.iloc[0]
    assert car["car"] == pytest.approx(-0.04, abs=1e-14)
    var = 7e-6 * (3 + 0.0009 / 0.0013)
    assert car["car_std_err"] == pytest.approx(math.sqrt(var), rel=1e-11)
    assert car["nobs"] == 2
    bhar = (1 - 0.109) * (1 + 0.041) - (1 + 0.001 - 0.06) * (1 + 0.001 + 0.03)
    assert car["bhar"] == pytest.approx(bhar, abs=1e-14)


def test_market_adjusted_by_hand() -> None:
    # AR = R - Rm: day 0 -> -0.109 + 0.04 = -0.069. Estimation ARs 0.008, -0.008, 0.016, -0.002:
    # mean 0.0035, deviations 0.0045, -0.0115, 0.0125, -0.0055, squares 2.025e-5 + 1.3225e-4 +
    # 1.5625e-4 + 3.025e-5 = 3.39e-4, so the sample variance (ddof 1) is 3.39e-4 / 3.
    res = run_study(
        RETURNS,
        EVENTS,
        model="market-adjusted",
        market="M",
        estimation_window="-4:-1",
        event_window="0:1",
        car_windows=["0:1"],
        min_estimation_obs=4,
    )
    ar = res.ar.set_index("rel_day")
    assert ar.loc[0, "ar"] == pytest.approx(-0.069, abs=1e-15)
    assert ar.loc[0, "sar"] == pytest.approx(-0.069 / math.sqrt(0.000339 / 3), rel=1e-12)
    assert res.car.iloc[0]["car_std_err"] == pytest.approx(math.sqrt(2 * 0.000339 / 3), rel=1e-12)


def test_constant_mean_by_hand() -> None:
    # mean of A over the estimation window = (0.018 - 0.028 + 0.046 - 0.002) / 4 = 0.0085
    res = run_study(
        RETURNS,
        EVENTS,
        model="constant-mean",
        estimation_window="-4:-1",
        event_window="0:1",
        car_windows=["0:1"],
        min_estimation_obs=4,
    )
    assert res.params.iloc[0]["alpha"] == pytest.approx(0.0085, abs=1e-15)
    assert res.ar.set_index("rel_day").loc[0, "ar"] == pytest.approx(-0.109 - 0.0085, abs=1e-15)


def test_missing_return_is_dropped_and_counted_not_filled() -> None:
    gappy = RETURNS.copy()
    gappy.loc["2025-01-27", "A"] = float("nan")
    res = _hand_study(gappy)
    car = res.car.iloc[0]
    assert car["nobs"] == 1 and car["car"] == pytest.approx(-0.05, abs=1e-14)
    assert list(res.ar["rel_day"]) == [0]


LAMB_DAY0 = -0.05 / math.sqrt(14e-6 / 3 * (1.25 + 0.002025 / 0.0013))
"""Lamb (1995) on day 0, by hand: the day's AAR (one firm: AR0 = -0.05) over the standard
deviation of the estimation-window AARs (residuals 0.002, 0.001, 0, -0.003: mean 0, sum of
squares 14e-6, ddof 1) times the prediction-error factor sqrt(1 + 1/4 + (x0 - 0.005)^2 / Sxx)."""


@pytest.mark.parametrize("missing", [None, "M", "A"])
def test_lamb_by_hand_with_a_missing_event_day(missing: str | None) -> None:
    """A window's Lamb statistic is the sum of its days' standardised AARs over the square
    root of the days that have one: a day without an abnormal return (its market's or its
    firm's return missing) is left out, not counted as a zero."""
    data = RETURNS.copy()
    if missing is not None:
        data.loc["2025-01-27", missing] = float("nan")
    res = _hand_study(data)
    lamb = res.tests.query("test == 'lamb'").set_index("window")["statistic"]
    assert lamb["0:0"] == pytest.approx(LAMB_DAY0, rel=1e-10)
    if missing is None:  # day 1: AR1 = 0.01, x1 = 0.02
        day1 = 0.01 / math.sqrt(14e-6 / 3 * (1.25 + 0.000225 / 0.0013))
        assert lamb["0:1"] == pytest.approx((LAMB_DAY0 + day1) / math.sqrt(2), rel=1e-10)
    else:
        assert math.isnan(lamb["1:1"])
        assert lamb["0:1"] == pytest.approx(LAMB_DAY0, rel=1e-10)
