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
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pytest

from ipposaki.results import Result

if TYPE_CHECKING:
    from ipposaki.store import Store

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


def _walk(symbol: str, exchange: str, seed: int) -> pd.DataFrame:
    """A random walk of closes (and opens, for Tokyo) on one exchange's sessions."""
    from ipposaki.calendars import sessions

    days = sessions(exchange, "2024-06-03", "2025-03-31")
    rng = np.random.default_rng(seed)
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.01, len(days))))
    rows = pd.DataFrame({"symbol": symbol, "session": days, "close": close})
    if exchange == "XTKS":
        rows["open"] = close * np.exp(rng.normal(0, 0.003, len(days)))
    return rows


def _synthetic_store(tmp_path: Path) -> Store:
    """New York's ^SOX and ^IXIC and Tokyo's ^N225 as random walks, June 2024 to March 2025."""
    from ipposaki.store import Store

    store = Store(tmp_path / "synthetic.duckdb")
    frames = [_walk("^SOX", "XNYS", 1), _walk("^IXIC", "XNYS", 2), _walk("^N225", "XTKS", 3)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        store.ingest(pd.concat(frames, ignore_index=True), "synthetic")
    return store


def _forecast(request: pytest.FixtureRequest, tmp_path: Path) -> Result:
    from ipposaki.spillover import forecast_next

    store = _synthetic_store(tmp_path)
    return forecast_next(
        store, "2025-01-27", targets=["^N225"], drivers=["^SOX", "^IXIC"], window=60
    )


def _evaluation(request: pytest.FixtureRequest, tmp_path: Path) -> Result:
    from ipposaki.spillover import evaluate_spillover

    store = _synthetic_store(tmp_path)
    kwargs = {"targets": ["^N225"], "drivers": ["^SOX", "^IXIC"], "window": 60}
    return evaluate_spillover(store, "2025-01-06", "2025-03-14", split=True, **kwargs)


def _evaluation_close(request: pytest.FixtureRequest, tmp_path: Path) -> Result:
    from ipposaki.spillover import evaluate_spillover

    store = _synthetic_store(tmp_path)
    kwargs = {"targets": ["^N225"], "drivers": ["^SOX"], "window": 60}
    return evaluate_spillover(store, "2025-01-06", "2025-03-14", **kwargs)


def _scan(request: pytest.FixtureRequest, tmp_path: Path) -> Result:
    from ipposaki.scan import scan

    store = request.getfixturevalue("shared_store")
    return scan(store, "2025-01-20", "2025-02-07", ["us_ai_chips"], market=False)


def _contagion_view(request: pytest.FixtureRequest, tmp_path: Path) -> Result:
    from ipposaki.scan.contagion import contagion

    store = request.getfixturevalue("shared_store")
    return contagion(store, "2025-01-27T09:00+09:00", ["us_ai_chips"], before=2, after=3)


def _correlation_test(request: pytest.FixtureRequest, tmp_path: Path) -> Result:
    from ipposaki.scan.forbes_rigobon import correlation_test

    rng = np.random.default_rng(0)
    x = rng.normal(size=300)
    y = 0.5 * x + rng.normal(size=300)
    return correlation_test(3 * x[:60], 1.5 * x[:60] + rng.normal(size=60), x[60:], y[60:])


CASES: dict[str, Factory] = {
    "Connectedness": _connectedness,
    "Connectedness[rolling]": _connectedness_with_rolling,
    "RollingConnectedness": _rolling,
    "SpilloverForecast": _forecast,
    "SpilloverEvaluation": _evaluation,
    "SpilloverEvaluation[close only]": _evaluation_close,
    "ScanResult": _scan,
    "ContagionView": _contagion_view,
    "CorrelationTest": _correlation_test,
}
