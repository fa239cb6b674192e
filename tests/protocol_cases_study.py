"""Protocol cases of the event-study results (issue 19), run by test_results_protocol.py.

Each case builds a small, real result on made-up market-model returns (300 business days, six
firms in two baskets, all events on day 280), in well under a second: the plain study, its
bootstrap with adjusted p-values, a GARCH(1,1) study, estudy2's convention (whose multi-day
windows have no p-value), a study in which no pair could be studied, abnormal volume and
volatility, a size-and-power simulation of 10 runs, and a CAR regression.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ipposaki.results import Result

Factory = Callable[[pytest.FixtureRequest, Path], Result]

SESSIONS = 300
FIRMS = [f"F{i}" for i in range(6)]


def _returns(seed: int = 0) -> pd.DataFrame:
    """Market-model returns of six firms and ``MKT``, with a jump on day 280."""
    rng = np.random.default_rng(seed)
    index = pd.bdate_range("2024-01-01", periods=SESSIONS)
    market = rng.normal(0.0003, 0.01, SESSIONS)
    beta = rng.uniform(0.5, 1.5, len(FIRMS))
    firms = market[:, None] * beta + rng.normal(0.0, 0.015, (SESSIONS, len(FIRMS)))
    firms[280] += 0.03
    frame = pd.DataFrame(firms, index=index, columns=FIRMS)
    frame["MKT"] = market
    return frame


def _events(returns: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "symbol": FIRMS,
            "event_date": returns.index[280],
            "basket": ["a", "a", "a", "b", "b", "b"],
        }
    )


def _study(**kwargs: object) -> Result:
    from ipposaki.study import run_study

    returns = _returns()
    options: dict[str, object] = {"market": "MKT"} | kwargs
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return run_study(returns, _events(returns), **options)  # type: ignore[arg-type]


def _plain(request: pytest.FixtureRequest, tmp_path: Path) -> Result:
    return _study()


def _bootstrap(request: pytest.FixtureRequest, tmp_path: Path) -> Result:
    from ipposaki.study.results import EventStudyResult

    result = _study()
    assert isinstance(result, EventStudyResult)
    return result.with_inference(adjust="holm", bootstrap="wild", draws=199, seed=7)


def _garch(request: pytest.FixtureRequest, tmp_path: Path) -> Result:
    from ipposaki.study.engine import LocalRunner

    return _study(model="garch", backend=LocalRunner(fit_workers=1))


def _estudy2(request: pytest.FixtureRequest, tmp_path: Path) -> Result:
    return _study(convention="estudy2")


def _no_pairs(request: pytest.FixtureRequest, tmp_path: Path) -> Result:
    """A constant market: no pair can be fitted, every one is in ``excluded``."""
    from ipposaki.study import run_study

    returns = _returns().assign(MKT=0.001)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return run_study(returns, _events(returns), market="MKT")


def _volume(request: pytest.FixtureRequest, tmp_path: Path) -> Result:
    returns = _returns()
    rng = np.random.default_rng(1)
    shares = rng.lognormal(13.0, 0.3, (SESSIONS, len(FIRMS)))
    shares[280] *= 3.0
    volume = pd.DataFrame(np.rint(shares), index=returns.index, columns=FIRMS)
    return _study(model="constant-mean", measure="volume", volume=volume)


def _volatility(request: pytest.FixtureRequest, tmp_path: Path) -> Result:
    return _study(measure="volatility")


def _simulation(request: pytest.FixtureRequest, tmp_path: Path) -> Result:
    from ipposaki.study.simulate import simulate

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return simulate(
            _returns(),
            market="MKT",
            events_per_run=4,
            runs=10,
            abnormal=[0.0, 0.03],
            estimation_window="-150:-11",
            event_window="-3:3",
            car_windows=["0:0", "-1:1"],
            min_estimation_obs=80,
            seed=3,
        )


def _regression(request: pytest.FixtureRequest, tmp_path: Path) -> Result:
    from ipposaki.study.regression import car_regression

    rng = np.random.default_rng(2)
    data = pd.DataFrame(
        {
            "symbol": [f"S{i}" for i in range(20)],
            "china_share": rng.uniform(0.0, 0.5, 20),
            "size": rng.normal(10.0, 1.0, 20),
        }
    )
    data["car"] = -0.1 * data["china_share"] + rng.normal(0.0, 0.01, 20)
    data.loc[3, "size"] = np.nan  # dropped, and said so
    return car_regression(data, "car", ["china_share", "size"], cov_type="HC3")


CASES: dict[str, Factory] = {
    "EventStudyResult": _plain,
    "EventStudyResult[bootstrap]": _bootstrap,
    "EventStudyResult[garch]": _garch,
    "EventStudyResult[estudy2]": _estudy2,
    "EventStudyResult[no_pairs]": _no_pairs,
    "MeasureResult[volume]": _volume,
    "MeasureResult[volatility]": _volatility,
    "SimulationResult": _simulation,
    "CrossSectionResult": _regression,
}
