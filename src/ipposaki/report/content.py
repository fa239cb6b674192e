"""The tables behind the report, built from the demo's results (language-independent)."""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import pandas as pd

from ipposaki.demo import DemoResult, ShockSession
from ipposaki.errors import InputError
from ipposaki.report.scenarios import ScenarioTables, scenario_tables
from ipposaki.scan import scan
from ipposaki.spillover import forecast_next
from ipposaki.store import Store

__all__ = ["ReportTables", "report_tables"]

#: CAR windows the study table shows, and the tests whose p-values it prints.
WINDOWS = ("0:0", "0:1", "-1:1")
TESTS = {"bmp": "p_bmp", "kolari_pynnonen": "p_kp", "corrado_rank": "p_rank"}
#: The scanner's range around the shock (calendar days before and after the news), and how
#: many episodes the report lists.
SCAN_MARGIN = (pd.Timedelta(days=240), pd.Timedelta(days=63))
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
    scan_range: tuple[str, str] = ("", "")

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
    new_york = demo.session("XNYS", "day0").day
    news = demo.news.tz_localize(None) if demo.news.tzinfo else demo.news
    scan_range = (
        f"{news - SCAN_MARGIN[0]:%Y-%m-%d}",
        f"{news + SCAN_MARGIN[1]:%Y-%m-%d}",
    )
    notes: dict[str, str] = {}
    forecast = pd.DataFrame(columns=["target", "forecast", "lower", "upper", "actual"])
    episodes = pd.DataFrame(columns=["rank", "sessions", "severity", "baskets", "events"])
    with warnings.catch_warnings():  # the demo already reported what the data lacks
        warnings.simplefilter("ignore")
        try:
            forecast = forecast_next(store, new_york).table
        except InputError as exc:  # too little history (e.g. the synthetic sample)
            notes["timeline"] = str(exc)
        try:
            episodes = scan(store, *scan_range).episodes.head(TOP_EPISODES)
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
        timeline=_timeline(demo.sessions),
        forecast=forecast,
        episodes=episodes[["rank", "sessions", "severity", "baskets", "events"]],
        notes=notes,
        scenarios=scenarios,
        scan_range=scan_range,
    )


def _timeline(sessions: tuple[ShockSession, ...]) -> pd.DataFrame:
    """UTC open and close of the event sessions, in the order they happened."""
    return pd.DataFrame(
        {
            "exchange": [s.exchange for s in sessions],
            "session": [s.day for s in sessions],
            "role": [s.role for s in sessions],
            "open_utc": [s.open_utc for s in sessions],
            "close_utc": [s.close_utc for s in sessions],
        }
    )
