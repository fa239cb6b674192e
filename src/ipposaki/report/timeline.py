"""The timeline section of the report: the sessions around the news, then the forecast of
Tokyo's next session (its table, its move in parts, its out-of-sample record), or why none."""

from __future__ import annotations

import pandas as pd

from ipposaki.report.blocks import chart, csv_link, direction
from ipposaki.report.content import ReportTables, rows
from ipposaki.report.document import Block, Cell, Heading, Para, Table
from ipposaki.report.findings import forecast_reason
from ipposaki.report.locale import Locale
from ipposaki.shock.result import ForecastOutcome

__all__ = ["timeline_blocks"]


def timeline_blocks(tables: ReportTables, loc: Locale, pngs: dict[str, str]) -> list[Block]:
    """The sessions around the news, then the forecast of Tokyo's next session (or why none)."""
    fc = tables.forecast
    blocks: list[Block] = [
        Para(loc.t("timeline.intro"), links=csv_link(loc, "report_timeline.csv")),
        _sessions_table(tables, loc),
        Heading(
            loc.t(
                "timeline.forecast_title",
                tk=loc.session("XTKS", fc.target_session),
                ny=loc.session("XNYS", fc.as_of),
            ),
            links=csv_link(loc, "report_forecast.csv"),
        ),
    ]
    if fc.made:
        blocks.append(Para(loc.t("timeline.forecast_intro", ny=loc.session("XNYS", fc.as_of))))
        blocks.append(_forecast_table(tables, loc))
        blocks.append(chart(loc, pngs, "chart-forecast", "charts.forecast"))
        blocks += _skill_blocks(fc, tables, loc)
    else:
        blocks.append(
            Para(
                loc.t("timeline.unavailable", reason=forecast_reason(fc.problem, loc, tables)),
                cls="warn",
            )
        )
    return blocks


def _sessions_table(tables: ReportTables, loc: Locale) -> Table:
    """Each session around the news: its role, open, close and the session it follows."""
    return Table(
        "table-timeline",
        tuple(loc.t(f"timeline.col_{c}") for c in ("session", "role", "open", "close", "follows")),
        tuple(
            (
                Cell(loc.session(s.exchange, s.day), "t"),
                Cell(loc.t(f"timeline.role_{s.role.replace('+', '_')}"), "t"),
                Cell(loc.moment(s.open_utc, s.exchange, with_date=False)),
                Cell(loc.moment(s.close_utc, s.exchange, with_date=False)),
                Cell(
                    loc.t(
                        "timeline.follows",
                        session=loc.session("XNYS" if s.exchange == "XTKS" else "XTKS", s.follows),
                        gap=loc.hours(s.gap_hours),
                    ),
                    "t",
                ),
            )
            for s in tables.shock.sessions
        ),
    )


def _forecast_table(tables: ReportTables, loc: Locale) -> Table:
    """Each target's forecast, interval and actual move, and whether the interval held it."""
    n, lang = tables.name, loc.lang
    return Table(
        "table-forecast",
        tuple(
            loc.t(f"timeline.col_{c}")
            for c in ("target", "forecast", "interval", "actual", "inside")
        ),
        tuple(
            (
                Cell(n(str(r.target), lang), "t"),
                Cell(loc.pct(r.forecast), direction(r.forecast)),
                Cell(f"[{loc.pct(r.lower)}, {loc.pct(r.upper)}]"),
                Cell(loc.pct(r.actual), direction(r.actual)),
                Cell(
                    "–"
                    if pd.isna(r.actual)
                    else loc.t("timeline.yes" if r.lower <= r.actual <= r.upper else "timeline.no"),
                    "t",
                ),
            )
            for r in rows(tables.forecast.table)
        ),
    )


def _skill_blocks(fc: ForecastOutcome, tables: ReportTables, loc: Locale) -> list[Block]:
    """The target session's move in parts, and the forecast's out-of-sample record."""
    return _split_blocks(fc, tables, loc) + _record_blocks(fc, tables, loc)


def _split_blocks(fc: ForecastOutcome, tables: ReportTables, loc: Locale) -> list[Block]:
    """Each target's overnight, daytime and close-to-close move beside its forecast."""
    lang = loc.lang
    blocks: list[Block] = []
    if not fc.split.empty:
        blocks.append(
            Para(
                loc.t("timeline.split_intro", tk=loc.session("XTKS", fc.target_session)),
                links=((loc.t("csv"), "report_forecast_split.csv"),),
            )
        )
        blocks.append(
            Table(
                "table-forecast-split",
                tuple(
                    loc.t(f"timeline.col_{c}")
                    for c in ("target", "overnight", "daytime", "close_to_close")
                ),
                tuple(
                    (
                        Cell(tables.name(str(r.target), lang), "t"),
                        *(
                            Cell(
                                loc.t(
                                    "timeline.actual_forecast",
                                    actual=loc.pct(getattr(r, part)),
                                    forecast=loc.pct(getattr(r, f"forecast_{part}")),
                                ),
                                direction(getattr(r, part)),
                            )
                            for part in ("overnight", "daytime", "close")
                        ),
                    )
                    for r in rows(fc.split)
                ),
            )
        )
    return blocks


def _record_blocks(fc: ForecastOutcome, tables: ReportTables, loc: Locale) -> list[Block]:
    """The forecast's out-of-sample record per target and part: RMSE ratio, R2, CW p, hits."""
    lang = loc.lang
    blocks: list[Block] = []
    if not fc.skill.empty:
        blocks.append(
            Para(
                loc.t(
                    "timeline.skill_intro",
                    start=loc.session("XTKS", fc.skill_start),
                    end=loc.session("XTKS", fc.target_session),
                    n=int(fc.skill["nobs"].max()),
                ),
                links=((loc.t("csv"), "report_forecast_skill.csv"),),
            )
        )
        blocks.append(
            Table(
                "table-forecast-skill",
                tuple(
                    loc.t(f"timeline.col_{c}")
                    for c in ("target", "part", "rmse_ratio", "r2_oos", "cw_p", "hit_rate")
                ),
                tuple(
                    (
                        Cell(tables.name(str(r.target), lang), "t"),
                        Cell(loc.t(f"timeline.part_{r.part}"), "t"),
                        Cell(loc.num(r.rmse_vs_zero, 3)),
                        Cell(loc.pct(r.r2_oos, 1)),
                        Cell(loc.pval(r.cw_mean_p_value)),
                        Cell(loc.pct(r.hit_rate, 1, sign=False)),
                    )
                    for r in rows(fc.skill)
                ),
            )
        )
    return blocks
