"""Protocol cases of the scenario, store, panel and report-file results (issue 19), run by
test_results_protocol.py.

Each case builds a small, real result in well under a second: the power and export-control
scenarios on 200 draws, a calibration fitted on made-up reactions to the six catalogued
announcements (no store needed), an import of a five-row CSV, the returns panel of a hand-made
store, and the record of a report's files.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ipposaki.results import Result
from test_scenario import _power_doc as scenario_power_doc

Factory = Callable[[pytest.FixtureRequest, Path], Result]

# Four firms with a sourced China share in the shipped exposure table, and their exchanges.
FIRMS = {"8035.T": "XTKS", "6857.T": "XTKS", "AMAT": "XNAS", "LRCX": "XNAS"}

PRICES = """date,symbol,open,close,adj_close,volume
2025-01-17,A,99,100,,10
2025-01-21,A,99,100,,10
2025-01-22,A,105,110,,12
2025-01-24,A,98,99,,0
2025-01-27,A,100,108.9,,9
2025-01-21,B,,50,25,
2025-01-22,B,,55,27.5,
2025-01-24,B,,60,30,
2025-01-27,B,,66,33,
"""


def _power_doc() -> dict:
    """test_scenario's power inputs, with one drawn input so the quantiles spread."""
    doc = scenario_power_doc(
        growth_2024_2030={"dist": "uniform", "low": 0.1, "high": 0.2, "source": "test"}
    )
    doc["scenario"]["end"] = 2030
    return doc


def _reactions(seed: int = 0) -> pd.DataFrame:
    """Made-up CARs of the four firms around the six catalogued announcements."""
    from ipposaki.scenario.calibration import CALIBRATION_EVENTS

    rng = np.random.default_rng(seed)
    rows = [
        {
            "event_id": event_id,
            "country": country,
            "exchange": exchange,
            "symbol": symbol,
            "window": "0:1",
            "car": float(rng.normal(-0.02, 0.02)),
            "car_std_err": 0.01,
            "note": "",
        }
        for country, ids in CALIBRATION_EVENTS.items()
        for event_id in ids
        for symbol, exchange in FIRMS.items()
    ]
    return pd.DataFrame(rows)


def _calibration(request: pytest.FixtureRequest, tmp_path: Path) -> Result:
    from ipposaki.scenario.calibration import calibrate_reactions

    return calibrate_reactions(_reactions(), list(FIRMS))


def _power(request: pytest.FixtureRequest, tmp_path: Path) -> Result:
    from ipposaki.scenario import power

    return power(_power_doc())


def _export_controls(request: pytest.FixtureRequest, tmp_path: Path) -> Result:
    from ipposaki.scenario import export_controls
    from ipposaki.scenario.calibration import calibrate_reactions

    doc = {
        "scenario": {"firms": list(FIRMS), "draws": 200, "seed": 1},
        "inputs": {
            "severity": {"dist": "uniform", "low": 0.5, "high": 2.0, "source": "test"},
            "duration_years": 3,
            "valuation_years": 15,
            "at_risk": 0.2,
            "operating_leverage": 2.0,
        },
        "nikkei": {"level": 38000, "weights": {"8035.T": 0.1}, "source": "test"},
    }
    return export_controls(doc, calibrate_reactions(_reactions(), list(FIRMS)))


def _ingest(request: pytest.FixtureRequest, tmp_path: Path) -> Result:
    from ipposaki.store import Store

    path = tmp_path / "prices.csv"
    path.write_text(PRICES, encoding="utf-8")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # missing sessions: reported in the result
        return Store(tmp_path / "store.duckdb").import_files([path])


def _panel(request: pytest.FixtureRequest, tmp_path: Path) -> Result:
    from ipposaki.panel import build_panel

    _ingest(request, tmp_path)
    from ipposaki.store import Store

    store = Store(tmp_path / "store.duckdb")
    return build_panel(store, "XNYS", ["A", "B"], "2025-01-21", "2025-01-27")


def _report_files(request: pytest.FixtureRequest, tmp_path: Path) -> Result:
    from ipposaki.report import ReportFiles

    folder = tmp_path / "report"
    folder.mkdir()
    names = ["report.en.html", "report.en.md", "report_caar.png", "report_study.csv"]
    for name in names:
        (folder / name).write_text("x", encoding="utf-8")
    paths = [folder / n for n in names]
    return ReportFiles(paths[0], paths[1], (paths[2],), (paths[3],))


CASES: dict[str, Factory] = {
    "Calibration": _calibration,
    "IngestResult": _ingest,
    "ReportFiles": _report_files,
    "ReturnsPanel": _panel,
    "ScenarioResult": _power,
    "ScenarioResult[export_controls]": _export_controls,
}
