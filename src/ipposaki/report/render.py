"""Write the report: self-contained HTML (plotly.js inlined), Markdown, PNG charts and CSVs."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pandas as pd

from ipposaki.demo import DemoResult
from ipposaki.report.content import ReportTables, report_tables
from ipposaki.report.figures import figures, write_pngs
from ipposaki.report.locale import Locale, load_locale

__all__ = ["ReportFiles", "write_report"]


@dataclass(frozen=True)
class ReportFiles:
    """What :func:`write_report` wrote."""

    html: Path
    markdown: Path
    pngs: tuple[Path, ...]
    csvs: tuple[Path, ...]

    @property
    def summary(self) -> str:
        """One line per file group."""
        return (
            f"report: {self.html}\nmarkdown: {self.markdown}\n"
            f"charts: {', '.join(p.name for p in self.pngs)}\n"
            f"tables: {', '.join(p.name for p in self.csvs)}"
        )


def _script_json(value: Any) -> str:
    """JSON safe inside a <script> element: no '</' or '<!--' can end or open a tag."""
    text = json.dumps(_clean(value), ensure_ascii=False, allow_nan=False, default=str)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _clean(value: Any) -> Any:
    """Plain JSON values: arrays to lists, NaN and infinities to null (JSON has neither)."""
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    if hasattr(value, "tolist"):  # numpy arrays and scalars
        return _clean(value.tolist())
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _utc(value: Any) -> str:
    return pd.Timestamp(value).strftime("%Y-%m-%d %H:%M")


def _rows(tables: ReportTables, loc: Locale) -> dict[str, list[dict[str, Any]]]:
    """Display rows with the numbers formatted for ``loc``."""
    name = "name_ja" if loc.lang == "ja" else "name"

    def cls(x: Any) -> str:
        return "neg" if x < 0 else "pos"

    def when(frame: pd.DataFrame) -> pd.Series:
        return frame["exchange"] + " " + frame["session"].map(loc.date)

    def p(x: Any) -> str:
        return "–" if pd.isna(x) else f"{x:.3f}"

    indices = [
        {
            "when": w,
            "symbol": r.symbol,
            "name": getattr(r, name),
            "ret": loc.pct(r.ret),
            "cls": cls(r.ret),
        }
        for w, r in zip(when(tables.indices), tables.indices.itertuples(), strict=True)
    ]
    falls = [
        {
            "when": w,
            "symbol": r.symbol,
            "name": getattr(r, name),
            "basket": str(r.baskets),
            "ret": loc.pct(r.ret),
            "cls": cls(r.ret),
        }
        for w, r in zip(when(tables.falls), tables.falls.itertuples(), strict=True)
    ]
    study = [
        {
            "exchange": r.exchange,
            "group": r.group,
            "window": r.window,
            "n": str(r.n),
            "caar": loc.pct(r.caar),
            "ci": f"[{loc.pct(r.ci_low)}, {loc.pct(r.ci_high)}]",
            "p_bmp": p(r.p_bmp),
            "p_kp": p(r.p_kp),
            "p_rank": p(r.p_rank),
            "cls": cls(r.caar),
        }
        for r in tables.study.itertuples()
    ]
    excluded = [{str(k): str(v) for k, v in r.items()} for r in tables.excluded.to_dict("records")]
    timeline = [
        {
            "exchange": r.exchange,
            "session": loc.date(r.session),
            "open": _utc(r.open_utc),
            "close": _utc(r.close_utc),
        }
        for r in tables.timeline.itertuples()
    ]
    forecast = [
        {
            "target": r.target,
            "forecast": loc.pct(r.forecast),
            "interval": f"[{loc.pct(r.lower)}, {loc.pct(r.upper)}]",
            "actual": loc.pct(r.actual),
            "cls": cls(r.forecast),
            "cls_actual": cls(r.actual),
        }
        for r in tables.forecast.itertuples()
    ]
    episodes = [
        {
            "rank": str(r.rank),
            "sessions": r.sessions,
            "severity": loc.num(r.severity, 1),
            "baskets": r.baskets,
            "events": r.events,
        }
        for r in tables.episodes.itertuples()
    ]
    sc = tables.scenarios
    firms, power, inputs = [], [], []
    if sc is not None:
        firms = [
            {
                "firm": r.label,
                "q05": loc.pct(r.q05, 1),
                "q50": loc.pct(r.q50, 1),
                "q95": loc.pct(r.q95, 1),
                "cls": cls(r.q50),
            }
            for r in sc.firms.itertuples()
        ]
        wide = sc.power.pivot(index="label", columns="output", values=["q05", "q50", "q95"])
        power = [
            {
                "year": str(year),
                "with": f"{loc.num(row[('q50', 'twh')], 0)} "
                f"[{loc.num(row[('q05', 'twh')], 0)}–{loc.num(row[('q95', 'twh')], 0)}]",
                "without": loc.num(row[("q50", "twh_no_iown")], 0),
            }
            for year, row in wide.iterrows()
        ]
        first = ~sc.inputs["scenario"].duplicated()  # name each scenario once, on its first row
        inputs = [
            {
                "scenario": r.scenario if shown else "",
                "name": r.name,
                "distribution": r.distribution,
                "source": r.source,
                "guess": "✓" if r.user_guess else "",
            }
            for r, shown in zip(sc.inputs.itertuples(), first, strict=True)
        ]
    return {
        "firms": firms,
        "power": power,
        "inputs": inputs,
        "indices": indices,
        "falls": falls,
        "study": study,
        "excluded": excluded,
        "timeline": timeline,
        "forecast": forecast,
        "episodes": episodes,
    }


def _scenario_text(tables: ReportTables, loc: Locale) -> dict[str, str]:
    sc = tables.scenarios
    if sc is None:
        return {"export_intro": "", "calibration_text": "", "power_intro": "", "compute_text": ""}
    q = sc.compute.set_index("output")[["q05", "q50", "q95"]].astype(float)
    sl = sc.slope
    return {
        "export_intro": loc.t("export.intro", draws=f"{sc.draws['export_controls']:,}"),
        "calibration_text": loc.t(
            "export.calibration",
            window=sl.get("window", "?"),
            slope=loc.num(sl.get("slope"), 3),
            low=loc.num(sl.get("ci_low"), 3),
            high=loc.num(sl.get("ci_high"), 3),
            nobs=sl.get("nobs", 0),
        ),
        "power_intro": loc.t("power.intro", draws=f"{sc.draws['power']:,}"),
        "compute_text": loc.t(
            "power.compute_intro",
            cost=f"${q['q50'].to_dict()['cost_usd'] / 1e6:,.3f}M",
            mfu=loc.pct(q.loc["implied_mfu", "q50"], 1).lstrip("+"),
            energy=loc.num(q.loc["energy_mwh", "q50"], 0),
            elow=loc.num(q.loc["energy_mwh", "q05"], 0),
            ehigh=loc.num(q.loc["energy_mwh", "q95"], 0),
        ),
    }


def _event_words(demo: DemoResult, loc: Locale) -> dict[str, str]:
    """The event's title, news time and sessions, worded for ``loc``'s strings."""
    ev = demo.spec.events[0]
    news = demo.news
    when = f"{loc.date(news)} {news:%H:%M} UTC" if ev.timestamp is not None else loc.date(news)
    ny = demo.session("XNYS", "day0")
    tk0, nxt = demo.session("XTKS", "day0"), demo.session("XTKS", "next")
    close, opens = ny.close_utc, nxt.open_utc
    gap = (opens - close) / pd.Timedelta(hours=1)
    return {
        "title": demo.spec.title_in(loc.lang),
        "news": when,
        "ny": loc.date(ny.day),
        "tk0": loc.date(tk0.day),
        "tk_next": loc.date(nxt.day),
        "ny_close": f"{close:%H:%M}",
        "gap": f"{gap:.0f}" if gap == int(gap) else f"{gap:.1f}",
    }


def _markdown(ctx: dict[str, Any], loc: Locale, pngs: dict[str, Path]) -> str:
    lines = [f"# {ctx['title']}", "", f"{loc.t('subtitle')}. {ctx['generated']}", ""]
    if ctx["synthetic"]:
        lines += [f"> {loc.t('synthetic_warning')}", ""]

    def table(head: list[str], rows: list[list[str]]) -> list[str]:
        esc = [[c.replace("|", "\\|") for c in row] for row in rows]
        return [
            "| " + " | ".join(head) + " |",
            "|" + "---|" * len(head),
            *["| " + " | ".join(r) + " |" for r in esc],
            "",
        ]

    h = "headline"
    cols = [loc.t(f"{h}.col_session"), loc.t(f"{h}.col_symbol"), loc.t(f"{h}.col_name")]
    lines += [f"## {loc.t('headline.title')}", "", loc.t("headline.intro"), ""]
    lines += [f"### {loc.t('headline.indices')} ([CSV](report_indices.csv))", ""]
    lines += table(
        [*cols, loc.t(f"{h}.col_ret")],
        [[r["when"], r["symbol"], r["name"], r["ret"]] for r in ctx["indices"]],
    )
    lines += [f"### {loc.t('headline.falls')} ([CSV](report_falls.csv))", ""]
    lines += table(
        [*cols, loc.t(f"{h}.col_basket"), loc.t(f"{h}.col_ret")],
        [[r["when"], r["symbol"], r["name"], r["basket"], r["ret"]] for r in ctx["falls"]],
    )
    lines += [f"![{loc.t('headline.chart')}]({pngs['chart-falls'].name})", ""]
    s = "study"
    lines += [
        f"## {loc.t('study.title')}",
        "",
        f"{ctx['study_intro']} ([CSV](report_study.csv))",
        "",
    ]
    lines += table(
        [
            loc.t(f"{s}.col_{c}")
            for c in ("exchange", "group", "window", "n", "caar", "ci", "bmp", "kp", "rank")
        ],
        [
            [
                r["exchange"],
                r["group"],
                r["window"],
                r["n"],
                r["caar"],
                r["ci"],
                r["p_bmp"],
                r["p_kp"],
                r["p_rank"],
            ]
            for r in ctx["study"]
        ],
    )
    lines += [f"![{loc.t('study.chart')}]({pngs['chart-study'].name})", ""]
    lines += [
        f"## {loc.t('heatmap.title')}",
        "",
        f"{loc.t('heatmap.intro')} ([CSV](report_ar.csv))",
        "",
    ]
    lines += [f"![{loc.t('heatmap.title')}]({pngs['chart-heatmap'].name})", ""]
    t = "timeline"
    lines += [f"## {loc.t('timeline.title')}", "", loc.t("timeline.intro"), ""]
    lines += table(
        [loc.t(f"{t}.col_{c}") for c in ("exchange", "session", "open", "close")],
        [[r["exchange"], r["session"], r["open"], r["close"]] for r in ctx["timeline"]],
    )
    lines += table(
        [loc.t(f"{t}.col_{c}") for c in ("target", "forecast", "interval", "actual")],
        [[r["target"], r["forecast"], r["interval"], r["actual"]] for r in ctx["forecast"]],
    )
    if "timeline" in ctx["notes"]:
        lines += [f"> {loc.t('unavailable')}: {ctx['notes']['timeline']}", ""]
    else:
        lines += [f"![{loc.t('timeline.chart')}]({pngs['chart-forecast'].name})", ""]
    e = "episodes"
    lines += [
        f"## {loc.t('episodes.title')}",
        "",
        f"{ctx['episodes_intro']} ([CSV](report_episodes.csv))",
        "",
    ]
    lines += table(
        [loc.t(f"{e}.col_{c}") for c in ("rank", "sessions", "severity", "baskets", "events")],
        [
            [r["rank"], r["sessions"], r["severity"], r["baskets"], r["events"]]
            for r in ctx["episodes"]
        ],
    )
    if ctx["firms"]:
        x = "export"
        lines += [f"## {loc.t('export.title')}", "", ctx["export_intro"], ""]
        lines += table(
            [loc.t(f"{x}.col_{c}") for c in ("firm", "q05", "q50", "q95")],
            [[r["firm"], r["q05"], r["q50"], r["q95"]] for r in ctx["firms"]],
        )
        lines += [f"![{loc.t('export.chart_fan')}]({pngs['chart-export'].name})", ""]
        lines += [ctx["calibration_text"], ""]
        lines += [f"![{loc.t('export.chart_scatter')}]({pngs['chart-calibration'].name})", ""]
        w = "power"
        lines += [f"## {loc.t('power.title')}", "", ctx["power_intro"], ""]
        lines += table(
            [loc.t(f"{w}.col_{c}") for c in ("year", "with", "without")],
            [[r["year"], r["with"], r["without"]] for r in ctx["power"]],
        )
        lines += [f"![{loc.t('power.chart')}]({pngs['chart-power'].name})", ""]
        lines += [f"### {loc.t('power.compute_title')}", "", ctx["compute_text"], ""]
        lines += [f"### {loc.t('power.inputs')}", ""]
        lines += table(
            [loc.t(f"{w}.col_{c}") for c in ("scenario", "input", "dist", "source", "guess")],
            [
                [r["scenario"], r["name"], r["distribution"], r["source"], r["guess"]]
                for r in ctx["inputs"]
            ],
        )
    lines += [f"## {loc.t('assumptions.title')}", ""]
    lines += [
        f"- {loc.t('assumptions.source')}: {ctx['source']}",
        f"- {loc.t('assumptions.sample')}: {'; '.join(ctx['samples'])}",
        f"- {loc.t('assumptions.model')}: {ctx['model']}",
        f"- {loc.t('assumptions.missing')}: {ctx['missing']}",
        f"- {loc.t('assumptions.timing')}",
        "",
        f"## {loc.t('manifest.title')}",
        "",
    ]
    lines += [f"- {loc.t('manifest.data_hash')} {ex}: `{hsh}`" for ex, hsh in ctx["hashes"]]
    lines += [
        f"- {loc.t('manifest.versions')}: " + ", ".join(f"{k} {v}" for k, v in ctx["versions"]),
        "",
    ]
    lines += [f"### {loc.t('manifest.excluded')}", ""]
    if ctx["excluded"]:
        lines += table(
            ["Exchange", "Event", "Symbol", "Reason"],
            [[r["exchange"], r["event_id"], r["symbol"], r["reason"]] for r in ctx["excluded"]],
        )
    else:
        lines += [loc.t("manifest.none_excluded"), ""]
    return "\n".join(lines)


def write_report(
    demo: DemoResult,
    lang: str,
    out: str | Path | None = None,
    tables: ReportTables | None = None,
) -> ReportFiles:
    """Write ``report.<lang>.html`` and ``.md``, the PNG charts and the CSVs behind them.

    Parameters
    ----------
    demo : DemoResult
        A finished :func:`ipposaki.demo.run_demo` run (prices, moves and the event study).
    lang : {"en", "ja"}
        Language of the labels, prose and number formats.
    out : path, optional
        Folder to write into; default the demo's own folder.
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

    folder = Path(out) if out is not None else demo.out
    folder.mkdir(parents=True, exist_ok=True)
    tables = tables if tables is not None else report_tables(demo)
    base = load_locale(lang)
    loc = base.bind(**_event_words(demo, base))
    csvs = []
    for name, frame in tables.csvs().items():
        frame.to_csv(folder / name, index=False)
        csvs.append(folder / name)
    pngs = write_pngs(tables, loc, folder)
    first: dict[str, Any] = next(iter(tables.params.values()), {})
    params = {k: v for k, v in first.items() if k != "data_source"}
    ctx: dict[str, Any] = {
        "loc": loc,
        "title": loc.t("title"),
        "generated": loc.t("generated", version=version("ipposaki"), source=demo.source),
        "synthetic": demo.synthetic,
        "toc": [
            (sec, loc.t(f"{sec}.title"))
            for sec in (
                "headline",
                "study",
                "heatmap",
                "timeline",
                "episodes",
                "export",
                "power",
                "assumptions",
                "manifest",
            )
        ],
        "study_intro": loc.t(
            "study.intro",
            model=params.get("model", "?"),
            estimation=params.get("estimation_window", "?"),
            event=params.get("event_window", "?"),
        ),
        "episodes_intro": loc.t(
            "episodes.intro",
            start=loc.date(tables.scan_range[0]),
            end=loc.date(tables.scan_range[1]),
        ),
        **_scenario_text(tables, loc),
        "source": demo.source,
        "samples": [str(v) for v in demo.manifest.get("panels", {}).values()],
        "model": ", ".join(f"{k}={v}" for k, v in params.items() if k != "missing_policy"),
        "missing": str(params.get("missing_policy", "")),
        "hashes": sorted(demo.manifest.get("data_hash", {}).items()),
        "versions": sorted(demo.manifest.get("versions", {}).items()),
        "csvs": [p.name for p in csvs],
        "notes": tables.notes,
        **_rows(tables, loc),
    }
    env = Environment(
        loader=PackageLoader("ipposaki.report", "templates"),
        autoescape=select_autoescape(["html", "j2"]),
    )
    html = env.get_template("report.html.j2").render(
        **ctx, plotlyjs=get_plotlyjs(), figures_json=_script_json(figures(tables, loc))
    )
    html_path = folder / f"report.{lang}.html"
    md_path = folder / f"report.{lang}.md"
    html_path.write_text(html, encoding="utf-8")
    md_path.write_text(_markdown(ctx, loc, pngs), encoding="utf-8")
    return ReportFiles(html_path, md_path, tuple(pngs.values()), tuple(csvs))
