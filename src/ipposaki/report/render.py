"""Write the report: self-contained HTML (plotly.js inlined), Markdown, PNG charts and CSVs.

The sections are built once as a document model (:mod:`ipposaki.report.document`) from the
:class:`~ipposaki.report.content.ReportTables` of a shock result, in the locale's words, and
rendered twice: HTML through the Jinja template, Markdown by :func:`~ipposaki.report.document.
markdown`. Scenario sections appear only for the scenarios the spec names.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pandas as pd

from ipposaki.report import prose
from ipposaki.report.content import ReportTables, key_window, report_tables, rows, value_at
from ipposaki.report.document import (
    Block,
    Cell,
    Chart,
    Code,
    Heading,
    Items,
    Para,
    Section,
    Table,
    markdown,
)
from ipposaki.report.figures import chart_ids, figures, write_pngs
from ipposaki.report.findings import forecast_reason, key_findings, render_finding
from ipposaki.report.locale import Locale, load_locale
from ipposaki.results import Result, Summary, freeze, plain, versions
from ipposaki.shock.result import ForecastOutcome, ScanOutcome, ScenarioRun, ShockResult
from ipposaki.study.settings import DEFAULTS

__all__ = ["ReportFiles", "build_sections", "write_report"]


@dataclass(frozen=True)
class ReportFiles(Result):
    """What :func:`write_report` wrote; :meth:`to_dir` writes its index (``report_files.csv``,
    ``summary.txt``, ``manifest.json``), not the report again."""

    html: Path
    markdown: Path
    pngs: tuple[Path, ...]
    csvs: tuple[Path, ...]

    @property
    def lang(self) -> str:
        """The report's language, from its file name (``report.<lang>.html``)."""
        return self.html.suffixes[-2].lstrip(".") if len(self.html.suffixes) > 1 else ""

    @property
    def summary(self) -> Summary:
        """One line per file group."""
        return Summary.of(
            f"report: {self.html}\nmarkdown: {self.markdown}\n"
            f"charts: {', '.join(p.name for p in self.pngs)}\n"
            f"tables: {', '.join(p.name for p in self.csvs)}"
        )

    @property
    def manifest(self) -> Mapping[str, Any]:
        """The report's folder and language, the number of files, versions."""
        return freeze(
            {
                "folder": self.html.parent.as_posix(),
                "lang": self.lang,
                "files": 2 + len(self.pngs) + len(self.csvs),
                "versions": versions(),
            }
        )

    def frames(self) -> dict[str, pd.DataFrame]:
        """``report_files``: one row per file written, its ``kind`` (``html``, ``markdown``,
        ``png``, ``csv``) and ``path``."""
        files = [("html", self.html), ("markdown", self.markdown)]
        files += [("png", p) for p in self.pngs] + [("csv", p) for p in self.csvs]
        return {
            "report_files": pd.DataFrame(
                {"kind": [k for k, _ in files], "path": [p.as_posix() for _, p in files]}
            )
        }


def _script_json(value: Any) -> str:
    """JSON safe inside a <script> element: no '</' or '<!--' can end or open a tag."""
    text = json.dumps(plain(value), ensure_ascii=False, allow_nan=False, default=str)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _dir(x: Any) -> str:
    return "n" if x is None or pd.isna(x) else ("up" if float(x) >= 0 else "down")


def _words(shock: ShockResult, loc: Locale) -> dict[str, str]:
    """The event's title, news time and sessions, worded for ``loc``'s strings."""
    ev = shock.spec.events[0]
    news = shock.news
    if ev.timestamp is not None:
        first = "XTKS" if shock.sessions[0].exchange == "XTKS" else "XNYS"
        when = loc.moment(news, first)
    else:
        when = loc.date(news)
    ny = shock.session("XNYS", "day0")
    tk0, nxt = shock.session("XTKS", "day0"), shock.session("XTKS", "next")
    return {
        "title": shock.spec.title_in(loc.lang),
        "news": when,
        "ny": loc.session("XNYS", ny.day),
        "ny_day": loc.date(ny.day),
        "tk0": loc.session("XTKS", tk0.day),
        "tk_next": loc.session("XTKS", nxt.day),
        "ny_close": loc.moment(ny.close_utc, "XNYS", with_date=False),
        "follows": loc.session("XNYS", nxt.follows),
        "follows_close": loc.moment(nxt.follows_close_utc, "XNYS", with_date=False)
        if nxt.follows_close_utc is not None
        else "",
        "gap": loc.hours(nxt.gap_hours),
    }


def build_sections(tables: ReportTables, loc: Locale, pngs: dict[str, str]) -> list[Section]:
    """The report's sections, numbered, in ``loc``'s language.

    Parameters
    ----------
    tables : ReportTables
        The shock result's report tables.
    loc : Locale
        The language and its formats.
    pngs : dict of str to str
        Each chart's PNG file name by chart id (the Markdown shows them).

    Returns
    -------
    list of Section
        Findings, headline, event study, abnormal volume (when the data have volume),
        heatmap, timeline, episodes, the scenarios the spec names, assumptions and manifest.
    """
    parts: list[tuple[str, str, list[Block]]] = [
        ("findings", "findings.title", _findings_blocks(tables, loc)),
        ("headline", "headline.title", _headline_blocks(tables, loc, pngs)),
        ("study", "study.title", _study_blocks(tables, loc, pngs)),
        *(
            (("volume", "volume.title", _volume_blocks(tables, loc, pngs)),)
            if len(tables.volume)
            else ()
        ),
        ("heatmap", "heatmap.title", _heatmap_blocks(loc, pngs)),
        ("timeline", "timeline.title", _timeline_blocks(tables, loc, pngs)),
        ("episodes", "episodes.title", _episodes_blocks(tables, loc)),
        *(
            (
                f"scenario-{run.path.stem}",
                f"scenario.{run.kind}.title",
                _scenario_blocks(run, tables, loc, pngs),
            )
            for run in tables.scenarios
        ),
        ("assumptions", "assumptions.title", _assumptions_blocks(tables, loc)),
        ("manifest", "manifest.title", _manifest_blocks(tables, loc)),
    ]
    return [
        Section(sid, f"{i}. {loc.t(key)}", tuple(blocks))
        for i, (sid, key, blocks) in enumerate(parts, start=1)
    ]


def _chart(loc: Locale, pngs: dict[str, str], cid: str, key: str, **values: Any) -> Chart:
    """Chart ``cid`` with the caption ``key`` (worded with ``values``) and its PNG if any."""
    return Chart(cid, loc.t(key, **values), pngs.get(cid, ""))


def _csv(loc: Locale, name: str) -> tuple[tuple[str, str], ...]:
    """The link to a CSV file, for a block's ``links``."""
    return ((loc.t("csv"), name),)


def _findings_blocks(tables: ReportTables, loc: Locale) -> list[Block]:
    """The key findings, each linking to the section that shows it."""
    anchors = {
        "headline": loc.t("headline.title"),
        "study": loc.t("study.title"),
        "volume": loc.t("volume.title"),
        "timeline": loc.t("timeline.title"),
        "episodes": loc.t("episodes.title"),
    }
    for run in tables.scenarios:
        anchors[f"scenario-{run.path.stem}"] = loc.t(f"scenario.{run.kind}.title")
    items = tuple(
        (
            render_finding(f, loc, tables),
            f.anchor,
            loc.t("findings.see", section=anchors.get(f.anchor, "")),
        )
        for f in key_findings(tables)
    )
    return [Items(items)]


def _headline_blocks(tables: ReportTables, loc: Locale, pngs: dict[str, str]) -> list[Block]:
    """The indices, the yen, the biggest movers and the baskets on the event's sessions."""
    k = tables.shock.options.top_moves
    blocks: list[Block] = [
        Para(loc.t("headline.intro")),
        Heading(loc.t("headline.indices"), links=_csv(loc, "report_indices.csv")),
        _indices_table(tables, loc),
    ]
    if len(tables.fx):
        blocks.append(_fx_para(tables, loc))
    blocks += [
        Heading(loc.t("headline.movers", k=k), links=_csv(loc, "report_movers.csv")),
        Para(loc.t("headline.movers_intro", k=k)),
        _movers_table(tables, loc),
        _chart(loc, pngs, "chart-movers", "charts.movers"),
        Heading(loc.t("headline.baskets"), links=_csv(loc, "report_baskets.csv")),
        Para(loc.t("headline.baskets_intro")),
        _baskets_table(tables, loc),
    ]
    return blocks


def _indices_table(tables: ReportTables, loc: Locale) -> Table:
    """Each index's level, change and return on the event's sessions."""
    n, lang = tables.name, loc.lang
    return Table(
        "table-indices",
        tuple(loc.t(f"headline.col_{c}") for c in ("session", "index", "level", "change", "ret")),
        tuple(
            (
                Cell(loc.session(r.exchange, r.session), "t"),
                Cell(n(r.symbol, lang), "t"),
                Cell(loc.num(r.level, 2)),
                Cell(loc.points(r.change, r.symbol), _dir(r.change)),
                Cell(loc.pct(r.ret), _dir(r.ret)),
            )
            for r in rows(tables.indices)
        ),
    )


def _fx_para(tables: ReportTables, loc: Locale) -> Para:
    """The exchange rate's moves, in a sentence naming its source."""
    fx = loc.t("headline.fx_sep").join(
        loc.t(
            "headline.fx_item",
            date=loc.date(r.date),
            level=loc.num(r.level, 2),
            change=loc.num(r.change, 2, sign=True),
            ret=loc.pct(r.ret),
        )
        for r in rows(tables.fx)
    )
    source = tables.fx["symbol"].iloc[0]
    return Para(
        loc.t("headline.fx", items=fx, source=loc.t(f"headline.fx_source_{_key(source)}")),
        links=_csv(loc, "report_fx.csv"),
    )


def _movers_table(tables: ReportTables, loc: Locale) -> Table:
    """The biggest moves of single stocks, with their baskets."""
    n, lang = tables.name, loc.lang
    return Table(
        "table-movers",
        tuple(loc.t(f"headline.col_{c}") for c in ("session", "code", "name", "basket", "ret")),
        tuple(
            (
                Cell(loc.session(r.exchange, r.session), "t"),
                Cell(r.symbol, "t"),
                Cell(n(r.symbol, lang), "t"),
                Cell(
                    loc.join([n(b.strip(), lang) for b in str(r.baskets).split(",") if b.strip()]),
                    "t",
                ),
                Cell(loc.pct(r.ret), _dir(r.ret)),
            )
            for r in rows(tables.movers)
        ),
    )


def _baskets_table(tables: ReportTables, loc: Locale) -> Table:
    """Each basket's mean raw and abnormal return on the event's sessions."""
    n, lang = tables.name, loc.lang
    return Table(
        "table-baskets",
        tuple(loc.t(f"headline.col_{c}") for c in ("session", "basket", "raw", "abnormal", "n")),
        tuple(
            (
                Cell(loc.session(r.exchange, r.session), "t"),
                Cell(n(r.basket, lang), "t"),
                Cell(loc.pct(r.mean_ret), _dir(r.mean_ret)),
                Cell(loc.pct(r.mean_ar), _dir(r.mean_ar)),
                Cell(f"{r.nobs}/{r.n_members}"),
            )
            for r in rows(tables.baskets)
        ),
    )


def _study_blocks(tables: ReportTables, loc: Locale, pngs: dict[str, str]) -> list[Block]:
    """The event study's CAARs and tests per basket and window, and their charts."""
    n, lang = tables.name, loc.lang
    study_rows = tuple(
        (
            Cell(loc.exchange(r.exchange), "t"),
            Cell(n(r.basket, lang), "t"),
            Cell(prose.window_words(r.window, loc), "t"),
            Cell(str(r.nobs)),
            Cell(loc.pct(r.caar), _dir(r.caar)),
            Cell(f"[{loc.pct(r.ci_low)}, {loc.pct(r.ci_high)}]"),
            Cell(loc.pval(r.bmp_p_value)),
            Cell(loc.pval(r.kp_p_value)),
            Cell(loc.pval(r.rank_p_value)),
        )
        for r in rows(tables.study)
    )
    columns = ("exchange", "basket", "window", "n", "caar", "ci", "bmp", "kp", "rank")
    window = prose.window_words(key_window(tables.windows), loc)
    return [
        Para(
            loc.t("study.intro", model=prose.model_text(tables, loc)),
            links=_csv(loc, "report_study.csv"),
        ),
        Table("table-study", tuple(loc.t(f"study.col_{c}") for c in columns), study_rows),
        Para(loc.t("study.paths_intro"), links=_csv(loc, "report_caar_paths.csv")),
        _chart(loc, pngs, "chart-paths", "charts.paths"),
        _chart(loc, pngs, "chart-study", "charts.study", window=window),
    ]


def _volume_blocks(tables: ReportTables, loc: Locale, pngs: dict[str, str]) -> list[Block]:
    """Each basket's abnormal log volume on day 0, day +1 and over both, and its chart."""
    n, lang, vol = tables.name, loc.lang, tables.volume
    table_rows = tuple(
        (
            Cell(loc.exchange(r.exchange), "t"),
            Cell(n(r.basket, lang), "t"),
            Cell(prose.window_words(r.window, loc), "t"),
            Cell(
                loc.date(r.first_session)
                if r.first_session == r.last_session
                else f"{loc.date(r.first_session)} – {loc.date(r.last_session)}",
                "t",
            ),
            Cell(f"{r.nobs}/{r.n_members}"),
            Cell(loc.num(r.caar, 3, sign=True), _dir(r.caar)),
            Cell(loc.t("volume.multiple", x=loc.num(r.ratio, 2)), _dir(r.caar)),
            Cell(loc.pval(r.p_value)),
        )
        for r in rows(vol)
    )
    columns = ("exchange", "basket", "window", "days", "n", "value", "multiple", "p")
    day0 = vol.loc[vol["window"] == "0:0"]
    est = str(tables.shock.spec.study.get("estimation_window", DEFAULTS.estimation_window))
    return [
        Para(
            loc.t(
                "volume.intro",
                est=prose.window_words(est, loc),
                sample=loc.t(
                    "volume.sample", n=int(day0["nobs"].sum()), members=int(day0["n_members"].sum())
                ),
            ),
            links=_csv(loc, "report_volume.csv"),
        ),
        Table("table-volume", tuple(loc.t(f"volume.col_{c}") for c in columns), table_rows),
        _chart(loc, pngs, "chart-volume", "charts.volume"),
    ]


def _heatmap_blocks(loc: Locale, pngs: dict[str, str]) -> list[Block]:
    """The abnormal-return heatmap."""
    return [
        Para(loc.t("heatmap.intro"), links=_csv(loc, "report_ar.csv")),
        _chart(loc, pngs, "chart-heatmap", "charts.heatmap"),
    ]


def _timeline_blocks(tables: ReportTables, loc: Locale, pngs: dict[str, str]) -> list[Block]:
    """The sessions around the news, then the forecast of Tokyo's next session (or why none)."""
    fc = tables.forecast
    blocks: list[Block] = [
        Para(loc.t("timeline.intro"), links=_csv(loc, "report_timeline.csv")),
        _sessions_table(tables, loc),
        Heading(
            loc.t(
                "timeline.forecast_title",
                tk=loc.session("XTKS", fc.target_session),
                ny=loc.session("XNYS", fc.as_of),
            ),
            links=_csv(loc, "report_forecast.csv"),
        ),
    ]
    if fc.made:
        blocks.append(Para(loc.t("timeline.forecast_intro", ny=loc.session("XNYS", fc.as_of))))
        blocks.append(_forecast_table(tables, loc))
        blocks.append(_chart(loc, pngs, "chart-forecast", "charts.forecast"))
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
                Cell(loc.pct(r.forecast), _dir(r.forecast)),
                Cell(f"[{loc.pct(r.lower)}, {loc.pct(r.upper)}]"),
                Cell(loc.pct(r.actual), _dir(r.actual)),
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


def _episodes_blocks(tables: ReportTables, loc: Locale) -> list[Block]:
    """The scanner's worst episodes of the period and the contagion test of the event's."""
    scan = tables.scan
    blocks: list[Block] = [
        Para(
            loc.t("episodes.intro", start=loc.date(scan.start), end=loc.date(scan.end)),
            links=_csv(loc, "report_episodes.csv"),
        )
    ]
    if scan.note:
        blocks.append(Para(loc.t("episodes.unavailable"), cls="warn"))
    blocks.append(
        Table(
            "table-episodes",
            tuple(
                loc.t(f"episodes.col_{c}")
                for c in ("rank", "sessions", "severity", "baskets", "market", "events")
            ),
            tuple(
                (
                    Cell(str(r.rank)),
                    Cell(_episode_sessions(str(r.sessions), str(r.start), loc), "t"),
                    Cell(loc.num(r.severity, 1)),
                    Cell(_episode_baskets(str(r.baskets), str(r.start), tables, loc), "t"),
                    Cell(
                        _episode_baskets(str(getattr(r, "market", "")), str(r.start), tables, loc),
                        "t",
                    ),
                    Cell(_episode_events(str(r.events), scan.event_names, loc), "t"),
                )
                for r in rows(scan.episodes)
            ),
        )
    )
    return blocks + _contagion_blocks(scan, loc)


def _assumptions_blocks(tables: ReportTables, loc: Locale) -> list[Block]:
    """The data, model, missing-data rule and timing, in words."""
    colon = loc.t("colon")
    return [
        Code(loc.t("assumptions.source") + colon, tables.shock.source),
        Para(loc.t("assumptions.sample") + colon + prose.sample_text(tables, loc)),
        Para(loc.t("assumptions.model") + colon + prose.model_text(tables, loc)),
        Para(loc.t("assumptions.missing") + colon + prose.missing_text(loc)),
        Para(loc.t("assumptions.timing")),
    ]


def _manifest_blocks(tables: ReportTables, loc: Locale) -> list[Block]:
    """The data hashes, package versions and the pairs left out, with why."""
    shock, n, lang = tables.shock, tables.name, loc.lang
    blocks: list[Block] = [
        Code(loc.t("manifest.data_hash_of", exchange=loc.exchange(x)) + loc.t("colon"), p.data_hash)
        for x, p in sorted(shock.panels.items())
    ]
    blocks.append(
        Code(
            loc.t("manifest.versions") + loc.t("colon"),
            ", ".join(f"{k} {v}" for k, v in shock.versions.items()),
        )
    )
    blocks.append(Heading(loc.t("manifest.excluded"), links=_csv(loc, "report_excluded.csv")))
    if not len(tables.excluded):
        return [*blocks, Para(loc.t("manifest.none_excluded"))]
    excluded = Table(
        "table-excluded",
        tuple(loc.t(f"manifest.col_{c}") for c in ("exchange", "code", "name", "reason")),
        tuple(
            (
                Cell(loc.exchange(r.exchange), "t"),
                Cell(str(r.symbol), "t"),
                Cell(n(str(r.symbol), lang), "t"),
                Cell(prose.excluded_reason(str(r.reason), loc), "t"),
            )
            for r in rows(tables.excluded)
        ),
    )
    return [*blocks, excluded]


def _key(symbol: str) -> str:
    return re.sub(r"\W", "_", symbol).strip("_").lower()


_EPISODE_ITEM = re.compile(r"^(\S+) ([+-]?\d+(?:\.\d+)?)σ \((\w+) (\d\d)-(\d\d)\)$")


def _year_of(month: int, start: str) -> int:
    first = pd.Timestamp(start.split(" ")[-1])
    return first.year if month >= first.month else first.year + 1


def _episode_sessions(listing: str, start: str, loc: Locale) -> str:
    parts = []
    for item in listing.split(", "):
        bits = item.split(" ")
        if len(bits) != 2 or "-" not in bits[1]:
            return listing
        month, day = (int(x) for x in bits[1].split("-"))
        parts.append(
            loc.session(bits[0], f"{_year_of(month, start)}-{month:02d}-{day:02d}", year=False)
        )
    return " → ".join(parts)


def _episode_baskets(text: str, start: str, tables: ReportTables, loc: Locale) -> str:
    parts = []
    for item in text.split("; "):
        match = _EPISODE_ITEM.match(item.strip())
        if not match:
            if item.strip():
                return text
            continue
        basket, sar, mic, month, day = match.groups()
        if basket.startswith("universe:"):
            name = loc.t("episodes.universe", exchange=loc.exchange(basket.split(":")[1]))
        elif basket.startswith("EW:"):
            name = loc.t("episodes.equal_weight", exchange=loc.exchange(basket.split(":")[1]))
        else:
            name = tables.name(basket, loc.lang)
        when = loc.session(mic, f"{_year_of(int(month), start)}-{month}-{day}", year=False)
        parts.append(
            f"{name} {sar.replace('-', '−')}σ（{when}）"
            if loc.lang == "ja"
            else f"{name} {sar.replace('-', '−')}σ ({when})"
        )
    return loc.t("episodes.sep").join(parts)


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
                                _dir(getattr(r, part)),
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


def _contagion_blocks(scan: ScanOutcome, loc: Locale) -> list[Block]:
    """The Forbes–Rigobon test of the episode that holds the event, in words."""
    tests = scan.contagion
    if scan.rank is None or tests is None or tests.empty or scan.rank not in set(tests["rank"]):
        return []
    r = tests.loc[tests["rank"] == scan.rank].iloc[0]
    key = "episodes.contagion_yes" if bool(r["contagion"]) else "episodes.contagion_no"
    text = loc.t(
        key,
        rank=scan.rank,
        start=loc.session("XTKS", str(r["crisis_start"])[:10]),
        rho_t=loc.num(r["rho_tranquil"], 2),
        rho_c=loc.num(r["rho_crisis"], 2),
        ratio=loc.num(1 + r["delta"], 1),
        rho_adj=loc.num(r["rho_adjusted"], 2),
        p=loc.num(r["p_value"], 3),
    )
    return [Para(text, links=((loc.t("csv"), "report_contagion.csv"),))]


def _episode_events(text: str, names: Mapping[str, tuple[str, str]], loc: Locale) -> str:
    ids = [e.strip() for e in text.split(",") if e.strip()]
    return loc.t("episodes.sep").join(
        (names.get(e, (e, e))[1] if loc.lang == "ja" else names.get(e, (e, e))[0]) for e in ids
    )


def _scenario_blocks(
    run: ScenarioRun, tables: ReportTables, loc: Locale, pngs: dict[str, str]
) -> list[Block]:
    """A scenario's section: its own blocks by kind, then the table of its inputs."""
    blocks: list[Block] = []
    if loc.lang == "en":
        blocks.append(Para(loc.t("scenario.spec_title", title=run.result.title)))
    if run.kind == "export_controls":
        from ipposaki.report.export_controls import export_blocks

        blocks += export_blocks(run, tables, loc, pngs)
    elif run.kind == "power":
        blocks += _power_blocks(run, loc, pngs)
    elif run.kind == "compute_cost":
        blocks.append(_compute_para(run, loc))
    return blocks + _inputs_blocks(run, tables, loc)


def _power_blocks(run: ScenarioRun, loc: Locale, pngs: dict[str, str]) -> list[Block]:
    """The power scenario: demand per year with and without IOWN, the saving, and the chart."""
    stem, res = run.path.stem, run.result
    wide = res.quantiles.pivot(index="label", columns="output", values=["q05", "q50", "q95"])
    table = Table(
        f"table-power-{stem}",
        tuple(loc.t(f"scenario.col_{c}") for c in ("year", "with", "without", "saving")),
        tuple(
            (
                Cell(str(year), "t"),
                Cell(
                    f"{loc.num(row[('q50', 'twh')], 0)} "
                    f"[{loc.num(row[('q05', 'twh')], 0)}–{loc.num(row[('q95', 'twh')], 0)}]"
                ),
                Cell(loc.num(row[("q50", "twh_no_iown")], 0)),
                Cell(
                    f"{loc.num(row[('q50', 'iown_saving_twh')], 0)} "
                    f"[{loc.num(row[('q05', 'iown_saving_twh')], 0)}–"
                    f"{loc.num(row[('q95', 'iown_saving_twh')], 0)}]"
                ),
            )
            for year, row in wide.iterrows()
        ),
    )
    return [
        Para(
            loc.t(f"scenario.{run.kind}.intro", draws=f"{res.draws:,}"),
            links=_csv(loc, f"report_scenario_{stem}.csv"),
        ),
        table,
        _chart(loc, pngs, f"chart-power-{stem}", "scenario.power_chart"),
    ]


def _compute_para(run: ScenarioRun, loc: Locale) -> Para:
    """The compute-cost scenario in one paragraph: hours, price, cost, FLOPs, MFU, energy."""
    qq = run.result.quantiles.set_index("output")
    hours, cost = value_at(qq, "gpu_hours", "q50"), value_at(qq, "cost_usd", "q50")
    return Para(
        loc.t(
            f"scenario.{run.kind}.text",
            hours=loc.big(hours),
            price=loc.num(cost / hours, 2) if hours else "–",
            cost=loc.usd(cost),
            flops=loc.big(qq.loc["training_flops", "q50"], 3),
            mfu=loc.pct(qq.loc["implied_mfu", "q50"], 1, sign=False),
            energy=loc.num(qq.loc["energy_mwh", "q50"], 0),
            elow=loc.num(qq.loc["energy_mwh", "q05"], 0),
            ehigh=loc.num(qq.loc["energy_mwh", "q95"], 0),
        ),
        links=_csv(loc, f"report_scenario_{run.path.stem}.csv"),
    )


def _inputs_blocks(run: ScenarioRun, tables: ReportTables, loc: Locale) -> list[Block]:
    """The scenario's inputs: each one's distribution, source and whether it is a guess."""
    stem = run.path.stem
    table = Table(
        f"table-inputs-{stem}",
        tuple(loc.t(f"scenario.col_{c}") for c in ("input", "dist", "source", "guess")),
        tuple(
            (
                Cell(_input_name(str(r.name), tables, loc), "t"),
                Cell(prose.distribution_text(str(r.distribution), loc), "t"),
                Cell(str(r.source), "cite"),
                Cell(loc.t("scenario.guess_mark") if r.user_guess else "", "t"),
            )
            for r in rows(run.result.inputs)
        ),
    )
    heading = Heading(
        loc.t("scenario.inputs"), links=_csv(loc, f"report_scenario_{stem}_inputs.csv")
    )
    return [heading, table]


_PER_FIRM_INPUTS = {
    "share": "china_share_of",
    "at_risk": "at_risk_of",
    "leverage": "leverage_of",
    "reaction": "reaction_of",
}


def _input_name(name: str, tables: ReportTables, loc: Locale) -> str:
    prefix, _, firm = name.partition(":")
    if firm and prefix in _PER_FIRM_INPUTS:
        return loc.t(f"scenario.input.{_PER_FIRM_INPUTS[prefix]}", firm=tables.name(firm, loc.lang))
    key = f"scenario.input.{name}"
    return loc.t(key) if loc.has(key) else name


def write_report(
    result: Any,
    lang: str,
    out: str | Path | None = None,
    tables: ReportTables | None = None,
) -> ReportFiles:
    """Write ``report.<lang>.html`` and ``.md``, the PNG charts and the CSVs behind them.

    Parameters
    ----------
    result : ShockResult or DemoResult
        A shock's result (:func:`ipposaki.shock.run_shock`), or a demo run holding one.
    lang : {"en", "ja"}
        Language of the labels, prose and number formats.
    out : path, optional
        Folder to write into; default the demo run's own folder (required for a ShockResult).
    tables : ReportTables, optional
        The tables of :func:`~ipposaki.report.content.report_tables`, when already built
        (one build serves both languages); built here otherwise.

    Returns
    -------
    ReportFiles
        The files written.
    """
    from jinja2 import Environment, PackageLoader, select_autoescape
    from plotly.offline import get_plotlyjs

    if out is None:
        if not hasattr(result, "out"):
            raise ValueError("out is required to write the report of a ShockResult")
        out = result.out
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    tables = tables if tables is not None else report_tables(result)
    shock = tables.shock
    base = load_locale(lang)
    loc = base.bind(**_words(shock, base))
    csvs = []
    for name, frame in tables.csvs().items():
        frame.to_csv(folder / name, index=False)
        csvs.append(folder / name)
    png_paths = write_pngs(tables, loc, folder)
    sections = build_sections(tables, loc, {k: p.name for k, p in png_paths.items()})
    title = loc.t("title")
    meta = loc.t("generated", version=version("ipposaki"))
    warning = loc.t("synthetic_warning") if shock.synthetic else ""
    env = Environment(
        loader=PackageLoader("ipposaki.report", "templates"),
        autoescape=select_autoescape(["html", "j2"]),
    )
    html = env.get_template("report.html.j2").render(
        loc=loc,
        title=title,
        meta=meta,
        warning=warning,
        sections=sections,
        csvs=[p.name for p in csvs],
        charts=chart_ids(tables),
        plotlyjs=get_plotlyjs(),
        figures_json=_script_json(figures(tables, loc)),
    )
    html_path = folder / f"report.{lang}.html"
    md_path = folder / f"report.{lang}.md"
    html_path.write_text(html, encoding="utf-8")
    md_path.write_text(markdown(title, meta, warning, sections, loc.t("toc")), encoding="utf-8")
    return ReportFiles(html_path, md_path, tuple(png_paths.values()), tuple(csvs))
