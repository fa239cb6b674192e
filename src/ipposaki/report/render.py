"""Write the report: self-contained HTML (plotly.js inlined), Markdown, PNG charts and CSVs.

The sections are built once as a document model (:mod:`ipposaki.report.document`) from the
:class:`~ipposaki.report.content.ReportTables` of a shock result, in the locale's words
(:func:`~ipposaki.report.sections.build_sections`), and rendered twice: HTML through the Jinja
template, Markdown by :func:`~ipposaki.report.document.markdown`. Scenario sections appear only
for the scenarios the spec names.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pandas as pd

from ipposaki.report.content import ReportTables, report_tables
from ipposaki.report.document import markdown
from ipposaki.report.figures import chart_ids, figures, write_pngs
from ipposaki.report.locale import Locale, load_locale
from ipposaki.report.sections import build_sections
from ipposaki.results import Result, Summary, freeze, plain, versions
from ipposaki.shock.result import ShockResult

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


def _script_json(value: Any) -> str:
    """JSON safe inside a <script> element: no '</' or '<!--' can end or open a tag."""
    text = json.dumps(plain(value), ensure_ascii=False, allow_nan=False, default=str)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


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
