"""Protocol cases of the spillover and scan results (issue 19), run by test_results_protocol.py.

Each case builds a small, real result: connectedness on random returns, the forecast and its
evaluation on a synthetic store (random walks on each exchange's sessions), the scanner, the
contagion view and the Forbes-Rigobon test on the shared prices (``shared_store``, one import per
session) or on random pairs.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ipposaki.results import Result

Factory = Callable[[pytest.FixtureRequest, Path], Result]


def _returns(rows: int = 300, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    days = pd.bdate_range("2020-01-01", periods=rows).strftime("%Y-%m-%d")
    return pd.DataFrame(rng.normal(size=(rows, 3)), index=days, columns=["a", "b", "c"])


def _connectedness(request: pytest.FixtureRequest, tmp_path: Path) -> Result:
    from ipposaki.spillover import connectedness

    return connectedness(_returns(), lags=1, horizon=10)


def _rolling(request: pytest.FixtureRequest, tmp_path: Path) -> Result:
    from ipposaki.spillover import rolling_connectedness

    return rolling_connectedness(_returns(), lags=1, horizon=10, window=100, step=20)


def _connectedness_with_rolling(request: pytest.FixtureRequest, tmp_path: Path) -> Result:
    from ipposaki.spillover import connectedness, rolling_connectedness

    data = _returns()
    full = connectedness(data, lags=1, horizon=10)
    return replace(full, rolling=rolling_connectedness(data, 1, 10, window=100, step=20))


CASES: dict[str, Factory] = {
    "Connectedness": _connectedness,
    "Connectedness[rolling]": _connectedness_with_rolling,
    "RollingConnectedness": _rolling,
}
