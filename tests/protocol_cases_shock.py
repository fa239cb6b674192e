"""Protocol cases of the spec, multi-exchange and shock results (issue 19), run by
test_results_protocol.py.

``SpecResult`` and ``ExchangeStudies`` come from a small spec on a made-up store (random walks of
two New York and two Tokyo listings, one event on both exchanges), built once per session;
``ShockResult`` and ``DemoResult`` from the session's DeepSeek demo (``deepseek_demo``, on the
shared prices), read only: the synthetic variant is a ``dataclasses.replace`` copy.
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
    from ipposaki.study.spec import SpecResult

Factory = Callable[[pytest.FixtureRequest, Path], Result]

#: Made-up listings: symbol -> exchange (the built-in instruments place them).
_LISTINGS = {"NVDA": "XNYS", "AMD": "XNYS", "8035.T": "XTKS", "6857.T": "XTKS"}
_BUILT: dict[str, SpecResult] = {}


def _spec_result(request: pytest.FixtureRequest) -> SpecResult:
    """A constant-mean spec study of one event on both exchanges (built once per session)."""
    if "spec" in _BUILT:
        return _BUILT["spec"]
    from ipposaki.calendars import sessions
    from ipposaki.store import Store
    from ipposaki.study.spec import SpecEvent, StudySpec, run_spec

    folder: Path = request.getfixturevalue("tmp_path_factory").mktemp("spec_case")
    rng = np.random.default_rng(19)
    rows = []
    for symbol, exchange in _LISTINGS.items():
        days = sessions(exchange, "2024-01-02", "2025-02-28")
        close = 100 * np.exp(np.cumsum(rng.normal(0, 0.01, len(days))))
        rows.append(pd.DataFrame({"symbol": symbol, "session": days, "close": close}))
    store = Store(folder / "store.duckdb")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        store.ingest(pd.concat(rows, ignore_index=True), "made-up")
    spec = StudySpec(
        title="Made-up shock",
        events=(SpecEvent(id="e", date=pd.Timestamp("2025-01-28"), symbols=tuple(_LISTINGS)),),
        study={"model": "constant-mean", "car_windows": ["0:0", "0:1"]},
    )
    _BUILT["spec"] = run_spec(spec, store)
    return _BUILT["spec"]


def _spec(request: pytest.FixtureRequest, tmp_path: Path) -> Result:
    return _spec_result(request)


def _exchanges(request: pytest.FixtureRequest, tmp_path: Path) -> Result:
    from ipposaki.study.io import ExchangeStudies

    return ExchangeStudies(_spec_result(request).results)


def _shock(request: pytest.FixtureRequest, tmp_path: Path) -> Result:
    result: Result = request.getfixturevalue("deepseek_demo").result
    return result


def _shock_synthetic(request: pytest.FixtureRequest, tmp_path: Path) -> Result:
    return replace(request.getfixturevalue("deepseek_demo").result, synthetic=True)


def _demo(request: pytest.FixtureRequest, tmp_path: Path) -> Result:
    from ipposaki.shock import DemoResult

    demo = request.getfixturevalue("deepseek_demo")
    files = tuple(sorted(p.relative_to(demo.out).as_posix() for p in demo.out.rglob("*.*")))
    return DemoResult(demo.out, files, demo.result)


CASES: dict[str, Factory] = {
    "SpecResult": _spec,
    "ExchangeStudies": _exchanges,
    "ShockResult": _shock,
    "ShockResult[synthetic]": _shock_synthetic,
    "DemoResult": _demo,
}
