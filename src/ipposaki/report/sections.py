"""The report's sections as a document model (:mod:`ipposaki.report.document`), in a
locale's words: :func:`build_sections` numbers them, and this module builds the short ones
(findings, headline, event study, abnormal volume, heatmap, assumptions, manifest); the
timeline, episodes and scenario sections have modules of their own.
"""

from __future__ import annotations

import re

from ipposaki.report import prose
from ipposaki.report.blocks import chart, csv_link, direction
from ipposaki.report.content import ReportTables, key_window, rows
from ipposaki.report.document import Block, Cell, Code, Heading, Items, Para, Section, Table
from ipposaki.report.episodes import episodes_blocks
from ipposaki.report.findings import key_findings, render_finding
from ipposaki.report.locale import Locale
from ipposaki.report.scenarios import scenario_blocks
from ipposaki.report.timeline import timeline_blocks
from ipposaki.study.settings import DEFAULTS

__all__ = ["build_sections"]


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
        ("timeline", "timeline.title", timeline_blocks(tables, loc, pngs)),
        ("episodes", "episodes.title", episodes_blocks(tables, loc)),
        *(
            (
                f"scenario-{run.path.stem}",
                f"scenario.{run.kind}.title",
                scenario_blocks(run, tables, loc, pngs),
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
        Heading(loc.t("headline.indices"), links=csv_link(loc, "report_indices.csv")),
        _indices_table(tables, loc),
    ]
    if len(tables.fx):
        blocks.append(_fx_para(tables, loc))
    blocks += [
        Heading(loc.t("headline.movers", k=k), links=csv_link(loc, "report_movers.csv")),
        Para(loc.t("headline.movers_intro", k=k)),
        _movers_table(tables, loc),
        chart(loc, pngs, "chart-movers", "charts.movers"),
        Heading(loc.t("headline.baskets"), links=csv_link(loc, "report_baskets.csv")),
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
                Cell(loc.points(r.change, r.symbol), direction(r.change)),
                Cell(loc.pct(r.ret), direction(r.ret)),
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
        links=csv_link(loc, "report_fx.csv"),
    )


def _key(symbol: str) -> str:
    return re.sub(r"\W", "_", symbol).strip("_").lower()


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
                Cell(loc.pct(r.ret), direction(r.ret)),
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
                Cell(loc.pct(r.mean_ret), direction(r.mean_ret)),
                Cell(loc.pct(r.mean_ar), direction(r.mean_ar)),
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
            Cell(loc.pct(r.caar), direction(r.caar)),
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
            links=csv_link(loc, "report_study.csv"),
        ),
        Table("table-study", tuple(loc.t(f"study.col_{c}") for c in columns), study_rows),
        Para(loc.t("study.paths_intro"), links=csv_link(loc, "report_caar_paths.csv")),
        chart(loc, pngs, "chart-paths", "charts.paths"),
        chart(loc, pngs, "chart-study", "charts.study", window=window),
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
            Cell(loc.num(r.caar, 3, sign=True), direction(r.caar)),
            Cell(loc.t("volume.multiple", x=loc.num(r.ratio, 2)), direction(r.caar)),
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
            links=csv_link(loc, "report_volume.csv"),
        ),
        Table("table-volume", tuple(loc.t(f"volume.col_{c}") for c in columns), table_rows),
        chart(loc, pngs, "chart-volume", "charts.volume"),
    ]


def _heatmap_blocks(loc: Locale, pngs: dict[str, str]) -> list[Block]:
    """The abnormal-return heatmap."""
    return [
        Para(loc.t("heatmap.intro"), links=csv_link(loc, "report_ar.csv")),
        chart(loc, pngs, "chart-heatmap", "charts.heatmap"),
    ]


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
    blocks.append(Heading(loc.t("manifest.excluded"), links=csv_link(loc, "report_excluded.csv")))
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
