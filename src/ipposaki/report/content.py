"""The tables behind the report, built from the demo's results (language-independent)."""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import pandas as pd

from ipposaki.calendars import session_times
from ipposaki.demo import EVENT_SESSIONS, DemoResult
from ipposaki.errors import InputError
from ipposaki.report.scenarios import ScenarioTables, scenario_tables
from ipposaki.scan import scan
from ipposaki.spillover import forecast_next
from ipposaki.store import Store

__all__ = ["ReportTables", "report_tables"]

#: CAR windows the study table shows, and the tests whose p-values it prints.
WINDOWS = ("0:0", "0:1", "-1:1")
TESTS = {"bmp": "p_bmp", "kolari_pynnonen": "p_kp", "corrado_rank": "p_rank"}
#: New York's crash session, whose close the next Tokyo session is forecast from.
NEW_YORK_CLOSE = "2025-01-27"
#: The scanner's range around the shock, and how many episodes the report lists.
SCAN_RANGE = ("2024-06-01", "2025-03-31")
TOP_EPISODES = 8


@dataclass(frozen=True)
class ReportTables:
    """Tidy tables, one per report section; each is also written as CSV."""

    indices: pd.DataFrame
    falls: pd.DataFrame
    study: pd.DataFrame
    ar: pd.DataFrame
    excluded: pd.DataFrame
    params: dict[str, Any]
    timeline: pd.DataFrame
    forecast: pd.DataFrame
    episodes: pd.DataFrame
    notes: dict[str, str]
    scenarios: ScenarioTables | None = None

    def csvs(self) -> dict[str, pd.DataFrame]:
        """File name -> table, for every table a chart or a table of the report reads."""
        return {
            "report_indices.csv": self.indices,
            "report_falls.csv": self.falls,
            "report_study.csv": self.study,
            "report_ar.csv": self.ar,
            "report_excluded.csv": self.excluded,
            "report_timeline.csv": self.timeline,
            "report_forecast.csv": self.forecast,
            "report_episodes.csv": self.episodes,
            **(
                {
                    "report_export_controls.csv": self.scenarios.firms,
                    "report_calibration.csv": self.scenarios.calibration,
                    "report_power.csv": self.scenarios.power,
                    "report_iea.csv": self.scenarios.iea,
                    "report_compute.csv": self.scenarios.compute,
                    "report_inputs.csv": self.scenarios.inputs,
                }
                if self.scenarios is not None
                else {}
            ),
        }


def report_tables(demo: DemoResult) -> ReportTables:
    """Collect the report's tables from a finished demo run.

    Raises
    ------
    ValueError
        When the demo ran without its event study.
    """
    if demo.study is None:
        raise ValueError("the demo result holds no event study")
    moves = demo.moves
    indices = moves.loc[moves["kind"] == "index"].reset_index(drop=True)
    falls = demo.headline.reset_index(drop=True)
    rows, ars, excluded = [], [], []
    params: dict[str, Any] = {}
    for exchange, res in demo.study.results.items():
        caar = res.caar.query("window in @WINDOWS")
        tests = res.tests.query("window in @WINDOWS and test in @TESTS")
        wide = tests.pivot_table(index=["group", "window"], columns="test", values="p_value")
        wide = wide.rename(columns=TESTS).reset_index()
        rows.append(caar.merge(wide, on=["group", "window"], how="left").assign(exchange=exchange))
        ar = res.ar[["symbol", "group", "rel_day", "session", "ar"]]
        ars.append(ar.assign(exchange=exchange))
        excluded.append(res.excluded.assign(exchange=exchange))
        params[exchange] = {**res.manifest["parameters"], "pairs": res.manifest["pairs"]}
    store = Store(demo.manifest["store"])
    notes: dict[str, str] = {}
    forecast = pd.DataFrame(columns=["target", "forecast", "lower", "upper", "actual"])
    episodes = pd.DataFrame(columns=["rank", "sessions", "severity", "baskets", "events"])
    with warnings.catch_warnings():  # the demo already reported what the data lacks
        warnings.simplefilter("ignore")
        try:
            forecast = forecast_next(store, NEW_YORK_CLOSE).table
        except InputError as exc:  # too little history (e.g. the synthetic sample)
            notes["timeline"] = str(exc)
        try:
            episodes = scan(store, *SCAN_RANGE).episodes.head(TOP_EPISODES)
        except InputError as exc:
            notes["episodes"] = str(exc)
        scenarios = scenario_tables(store)
    study = pd.concat(rows, ignore_index=True)
    study = study.loc[study["group"] != "all"].reset_index(drop=True)
    return ReportTables(
        indices=indices,
        falls=falls,
        study=study[
            ["exchange", "group", "window", "n", "caar", "ci_low", "ci_high", *TESTS.values()]
        ],
        ar=pd.concat(ars, ignore_index=True),
        excluded=pd.concat(excluded, ignore_index=True),
        params=params,
        timeline=_timeline(),
        forecast=forecast,
        episodes=episodes[["rank", "sessions", "severity", "baskets", "events"]],
        notes=notes,
        scenarios=scenarios,
    )


def _timeline() -> pd.DataFrame:
    """UTC open and close of the three event sessions, in the order they happened."""
    rows = []
    for exchange, day, _ in EVENT_SESSIONS:
        t = session_times(exchange, day, day).iloc[0]
        rows.append(
            {"exchange": exchange, "session": day, "open_utc": t["open"], "close_utc": t["close"]}
        )
    return pd.DataFrame(rows).sort_values("open_utc", ignore_index=True)
