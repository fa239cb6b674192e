"""The tables behind the report, taken from a :class:`~ipposaki.shock.ShockResult`.

Nothing here reads the store or recomputes a stage: the tables are reshaped from the result's
frames, in a form both languages render (names in English and Japanese side by side).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from ipposaki.shock.result import ForecastOutcome, ScanOutcome, ScenarioRun, ShockResult

__all__ = ["TESTS", "ReportTables", "key_window", "report_tables", "rows", "value_at"]

#: The tests whose p-values the study table prints, and their columns.
TESTS = {"bmp": "bmp_p_value", "kolari_pynnonen": "kp_p_value", "corrado_rank": "rank_p_value"}


@dataclass(frozen=True)
class ReportTables:
    """Tidy tables, one per report section; each is also written as CSV.

    ``study`` holds every CAR window of the spec; its ``ci_low``/``ci_high`` are the
    Kolari–Pynnönen-adjusted 95% intervals (``ci_t_low``/``ci_t_high`` the unadjusted ones).
    ``paths`` is the CAAR over the event window with its 95% band, per basket. ``volume`` is
    each basket's abnormal log volume on the event sessions (no rows when the data have no
    volume; see :func:`ipposaki.shock.volume.volume_study`).
    """

    shock: ShockResult
    timeline: pd.DataFrame
    indices: pd.DataFrame
    fx: pd.DataFrame
    movers: pd.DataFrame
    baskets: pd.DataFrame
    study: pd.DataFrame
    paths: pd.DataFrame
    ar: pd.DataFrame
    excluded: pd.DataFrame
    params: dict[str, Any]
    forecast: ForecastOutcome
    scan: ScanOutcome
    scenarios: tuple[ScenarioRun, ...] = ()
    windows: tuple[str, ...] = ()
    names: dict[str, tuple[str, str]] = field(default_factory=dict)
    volume: pd.DataFrame = field(default_factory=pd.DataFrame)

    def name(self, key: str, lang: str) -> str:
        """The English or Japanese name of a symbol or basket (the key itself if unknown)."""
        en, ja = self.names.get(key, (key, key))
        return (ja or en) if lang == "ja" else en

    def csvs(self) -> dict[str, pd.DataFrame]:
        """File name -> table, for every table a chart or a table of the report reads."""
        out = {
            "report_timeline.csv": self.timeline,
            "report_indices.csv": self.indices,
            "report_fx.csv": self.fx,
            "report_movers.csv": self.movers,
            "report_baskets.csv": self.baskets,
            "report_study.csv": self.study,
            "report_caar_paths.csv": self.paths,
            "report_ar.csv": self.ar,
            "report_excluded.csv": self.excluded,
            "report_forecast.csv": self.forecast.table,
            "report_forecast_skill.csv": self.forecast.skill,
            "report_forecast_split.csv": self.forecast.split,
            "report_episodes.csv": self.scan.episodes,
            "report_contagion.csv": self.scan.contagion,
        }
        if len(self.volume):
            out["report_volume.csv"] = self.volume
        for run in self.scenarios:
            stem = run.path.stem
            out[f"report_scenario_{stem}.csv"] = run.result.quantiles
            out[f"report_scenario_{stem}_inputs.csv"] = run.result.inputs
            if run.kind == "export_controls":
                from ipposaki.report.export_controls import sensitivity

                cal = run.result.extra.get("calibration")
                if cal is not None:
                    out[f"report_scenario_{stem}_calibration.csv"] = cal.table
                    out[f"report_scenario_{stem}_reactions.csv"] = cal.reactions
                out[f"report_scenario_{stem}_sensitivity.csv"] = sensitivity(run.result)
        return out


def rows(frame: pd.DataFrame) -> list[Any]:
    """The rows of ``frame`` as objects with one attribute per column."""
    return [SimpleNamespace(**{str(k): v for k, v in r.items()}) for r in frame.to_dict("records")]


def value_at(frame: pd.DataFrame, row: str, column: str) -> float:
    """``frame.loc[row, column]`` as a float (the first such row when labels repeat)."""
    return float(frame[column].to_numpy()[list(frame.index).index(row)])


def key_window(windows: tuple[str, ...]) -> str:
    """The window the key findings read: the spec's first CAR window."""
    return windows[0] if windows else "0:0"


def report_tables(result: Any) -> ReportTables:
    """Collect the report's tables from a shock result (or a demo run holding one)."""
    shock: ShockResult = getattr(result, "shock", result)
    studies, ars, excluded, paths = [], [], [], []
    params: dict[str, Any] = {}
    windows: tuple[str, ...] = ()
    for exchange, res in shock.study.results.items():
        windows = tuple(res.parameters.car_windows)
        studies.append(_study_rows(res, windows).assign(exchange=exchange))
        ar = res.ar[["symbol", "basket", "rel_day", "session", "ar"]]
        ars.append(ar.assign(exchange=exchange))
        excluded.append(res.excluded.assign(exchange=exchange))
        paths.append(_paths(res.ar, res.caar).assign(exchange=exchange))
        params[exchange] = {**res.manifest["parameters"], "pairs": res.manifest["pairs"]}
    columns = ["exchange", "session", "role", "symbol", "name", "name_ja", "level", "change", "ret"]
    return ReportTables(
        shock=shock,
        timeline=_timeline(shock),
        indices=shock.indices[columns].reset_index(drop=True),
        fx=shock.fx.reset_index(drop=True),
        movers=shock.headline[[*columns, "baskets"]].reset_index(drop=True),
        baskets=shock.baskets.reset_index(drop=True),
        study=_tidy_study(pd.concat(studies, ignore_index=True), windows),
        paths=pd.concat(paths, ignore_index=True),
        ar=pd.concat(ars, ignore_index=True),
        excluded=pd.concat(excluded, ignore_index=True),
        params=params,
        forecast=shock.forecast,
        scan=shock.scan,
        scenarios=shock.scenarios,
        windows=windows,
        names=_names(shock),
        volume=shock.volume.reset_index(drop=True),
    )


def _names(shock: ShockResult) -> dict[str, tuple[str, str]]:
    """English and Japanese names of every symbol and basket (the code where none is known)."""
    names = {
        str(r.symbol): (str(r.name or r.symbol), str(r.name_ja or r.name or r.symbol))
        for r in rows(shock.names)
    }
    names.update(
        {
            str(r.basket): (str(r.name or r.basket), str(r.name_ja or r.name or r.basket))
            for r in rows(shock.basket_names)
        }
    )
    return names


def _study_rows(res: Any, windows: tuple[str, ...]) -> pd.DataFrame:
    """One exchange's CAAR per basket and window, beside the p-values of :data:`TESTS`.

    Parameters
    ----------
    res : EventStudyResult
        The exchange's study.
    windows : tuple of str
        The CAR windows to keep.

    Returns
    -------
    pandas.DataFrame
        The CAAR rows of ``windows``, a column per test (NaN where a test has no p-value).
    """
    tests = res.tests.query("window in @windows and test in @TESTS")
    wide = tests.pivot_table(index=["basket", "window"], columns="test", values="p_value")
    wide = wide.rename(columns=TESTS).reset_index()
    for col in TESTS.values():
        if col not in wide:
            wide[col] = np.nan
    return res.caar.query("window in @windows").merge(wide, on=["basket", "window"], how="left")


def _tidy_study(study: pd.DataFrame, windows: tuple[str, ...]) -> pd.DataFrame:
    """The study table: baskets only, Kolari-Pynnönen intervals, windows in the spec's order.

    Parameters
    ----------
    study : pandas.DataFrame
        Every exchange's rows (see :func:`_study_rows`).
    windows : tuple of str
        The CAR windows, in order.

    Returns
    -------
    pandas.DataFrame
        exchange, basket, window, nobs, caar, ci_low, ci_high (Kolari-Pynnönen), ci_t_low,
        ci_t_high, rbar and the tests' p-values.
    """
    study = study.loc[study["basket"] != "all"].reset_index(drop=True)
    study = study.rename(columns={"ci_low": "ci_t_low", "ci_high": "ci_t_high"})
    study = study.rename(columns={"ci_kp_low": "ci_low", "ci_kp_high": "ci_high"})
    order = {w: i for i, w in enumerate(windows)}
    study = study.sort_values(
        ["exchange", "basket", "window"],
        key=lambda c: c.map(order) if c.name == "window" else c,
        kind="stable",
    )
    columns = ["exchange", "basket", "window", "nobs", "caar", "ci_low", "ci_high"]
    columns += ["ci_t_low", "ci_t_high", "rbar", *TESTS.values()]
    return study[columns].reset_index(drop=True)


def _timeline(shock: ShockResult) -> pd.DataFrame:
    """The sessions around the news: exchange, session, role, open and close, and what each
    session follows on the other exchange."""
    sessions = shock.sessions
    return pd.DataFrame(
        {
            "exchange": [s.exchange for s in sessions],
            "session": [s.day for s in sessions],
            "role": [s.role for s in sessions],
            "open_utc": [s.open_utc for s in sessions],
            "close_utc": [s.close_utc for s in sessions],
            "follows": [s.follows for s in sessions],
            "follows_close_utc": [s.follows_close_utc for s in sessions],
            "gap_hours": [s.gap_hours for s in sessions],
        }
    )


def _paths(ar: pd.DataFrame, caar: pd.DataFrame) -> pd.DataFrame:
    """Each basket's CAAR over the event window with a 95% band.

    The path at day ``k`` is the mean over the basket's stocks of their abnormal returns summed
    from the first day of the event window to ``k`` (a missing return adds nothing). The band is
    the Student-t interval of those sums, widened for cross-correlation as Kolari and Pynnönen
    (2010) do, by ``sqrt((1 + (n - 1) r) / (1 - r))`` with ``r`` the basket's average
    cross-correlation of daily abnormal returns (the study's ``rbar`` of its shortest CAR window).
    """
    out = []
    for basket, part in ar.groupby("basket", observed=True, sort=True):
        wide = part.pivot_table(index="symbol", columns="rel_day", values="ar", observed=True)
        wide = wide.sort_index(axis=1)
        cum = wide.fillna(0.0).cumsum(axis=1).where(wide.notna().cumsum(axis=1) > 0)
        n = cum.notna().sum(axis=0)
        mean = cum.mean(axis=0)
        sd = cum.std(axis=0, ddof=1)
        rows = caar.loc[caar["basket"] == basket]
        r = 0.0
        if len(rows) and "rbar" in rows:
            bounds = rows["window"].str.split(":", expand=True).astype(int)
            r = float(rows["rbar"].to_numpy()[np.argmin(bounds[1] - bounds[0])])
        r = 0.0 if not np.isfinite(r) else r
        with np.errstate(invalid="ignore", divide="ignore"):
            widen = np.sqrt((1.0 + (n - 1) * r) / (1.0 - r))
            half = stats.t.ppf(0.975, (n - 1).clip(lower=1)) * sd / np.sqrt(n) * widen
        out.append(
            pd.DataFrame(
                {
                    "basket": str(basket),
                    "rel_day": [int(c) for c in cum.columns],
                    "nobs": n.to_numpy(),
                    "caar": mean.to_numpy(),
                    "low": (mean - half).to_numpy(),
                    "high": (mean + half).to_numpy(),
                    "rbar": r,
                }
            )
        )
    return pd.concat(out, ignore_index=True) if out else pd.DataFrame()
