"""The report's charts: plotly figures for the HTML, matplotlib PNGs for the Markdown.

Both renderers draw the same data: the largest moves (sorted; gains and falls in the locale's
colours: red up and blue down in Japanese, green up and red down in English), each basket's CAAR
path over the event window with its 95% band, the CAAR of the key window with its interval, the
abnormal returns of every stock by session (rows named and grouped by basket), the forecast of
Tokyo's next session against the actual move, and each scenario's chart. Labels are names, never
codes, and every title, axis and legend comes from the locale.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ipposaki.report import prose
from ipposaki.report.content import ReportTables, key_window, rows
from ipposaki.report.locale import Locale
from ipposaki.shock.result import ScenarioRun

if TYPE_CHECKING:
    import plotly.graph_objects as go

__all__ = ["chart_ids", "figures", "heatmap_rows", "write_pngs"]

#: Fonts tried, in order, for Japanese text in the PNG charts (Debian's fonts-noto-cjk first).
CJK_FONTS = ("Noto Sans CJK JP", "Noto Serif CJK JP", "IPAexGothic", "IPAGothic", "TakaoGothic")
#: Where Debian's fonts-noto-cjk puts its collections; matplotlib does not scan .ttc files.
CJK_FILES = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
)
_PALETTE = (
    "#1b9e77",
    "#d95f02",
    "#7570b3",
    "#e7298a",
    "#66a61e",
    "#e6ab02",
    "#a6761d",
    "#666666",
    "#1f78b4",
    "#b15928",
)


def _rgba(hex_color: str, alpha: float) -> str:
    r, g, b = (int(hex_color[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r},{g},{b},{alpha})"


@dataclass(frozen=True)
class _Movers:
    labels: list[str]
    values: list[float]
    colors: list[str]


def _movers(tables: ReportTables, loc: Locale) -> _Movers:
    m = tables.movers
    labels = [
        f"{tables.name(r.symbol, loc.lang)} ({loc.session(r.exchange, r.session, year=False)})"
        for r in rows(m)
    ]
    up, down = loc.t("colors.up"), loc.t("colors.down")
    values = [round(100 * float(x), 2) for x in m["ret"]]
    return _Movers(labels, values, [up if v >= 0 else down for v in values])


def heatmap_rows(tables: ReportTables, loc: Locale) -> pd.DataFrame:
    """Stocks x relative days of abnormal returns (in %), rows named and ordered by basket.

    The index holds the stocks' names; ``attrs["groups"]`` lists (basket name, first row, last
    row) for the separators and labels.
    """
    ar = tables.ar.assign(
        basket=tables.ar["basket"].astype(str).str.split("/").str[-1],
        symbol=tables.ar["symbol"].astype(str),
    )
    order = {g: i for i, g in enumerate(dict.fromkeys(tables.study["basket"]))}
    matrix = ar.pivot_table(
        index=["basket", "symbol"], columns="rel_day", values="ar", aggfunc="mean", observed=True
    )
    keys = sorted(matrix.index, key=lambda k: (order.get(k[0], 99), k[1]))
    matrix = 100 * matrix.loc[keys]
    groups, start = [], 0
    for group, part in pd.Series([k[0] for k in keys]).groupby([k[0] for k in keys], sort=False):
        groups.append((tables.name(str(group), loc.lang), start, start + len(part) - 1))
        start += len(part)
    names = [tables.name(sym, loc.lang) for _, sym in keys]
    out = pd.DataFrame(matrix.to_numpy(), index=names, columns=[int(c) for c in matrix.columns])
    out.attrs["groups"] = groups
    return out


def chart_ids(tables: ReportTables) -> list[str]:
    """The charts this report draws, in order."""
    ids = ["chart-movers", "chart-paths", "chart-study"]
    if len(tables.volume):
        ids.append("chart-volume")
    ids.append("chart-heatmap")
    if tables.forecast.made and len(tables.forecast.table):
        ids.append("chart-forecast")
    for run in tables.scenarios:
        stem = run.path.stem
        if run.kind == "export_controls":
            ids.append(f"chart-export-{stem}")
        elif run.kind == "power":
            ids.append(f"chart-power-{stem}")
    return ids


# -- plotly ------------------------------------------------------------------------------------


def figures(tables: ReportTables, loc: Locale) -> dict[str, dict[str, Any]]:
    """Plotly figures as JSON-ready dicts, by chart id."""
    out: dict[str, Any] = {
        "chart-movers": _movers_figure(tables, loc),
        "chart-paths": _paths_figure(tables, loc),
        "chart-study": _study_figure(tables, loc),
    }
    if "chart-volume" in chart_ids(tables):
        out["chart-volume"] = _volume_figure(tables, loc)
    out["chart-heatmap"] = _heatmap_figure(tables, loc)
    if "chart-forecast" in chart_ids(tables):
        out["chart-forecast"] = _forecast_figure(tables, loc)
    for run in tables.scenarios:
        out.update(_scenario_figures(run, tables, loc))
    return {k: v.to_plotly_json() for k, v in out.items()}


def _movers_figure(tables: ReportTables, loc: Locale) -> go.Figure:
    """The biggest single-stock moves as horizontal bars."""
    import plotly.graph_objects as go

    m = _movers(tables, loc)
    fig = go.Figure(go.Bar(x=m.values, y=m.labels, orientation="h", marker_color=m.colors))
    fig.update_layout(
        title=loc.t("charts.movers"),
        xaxis_title=loc.t("axis.return"),
        yaxis={"autorange": "reversed", "automargin": True, "dtick": 1},
        height=max(360, 26 * len(m.labels) + 120),
        showlegend=False,
    )
    return fig


def _paths_figure(tables: ReportTables, loc: Locale) -> go.Figure:
    """Each group's CAAR path over the event window, with its confidence band."""
    import plotly.graph_objects as go

    fig = go.Figure()
    for i, (key, part) in enumerate(tables.paths.groupby(["exchange", "basket"], sort=False)):
        color = _PALETTE[i % len(_PALETTE)]
        name = f"{tables.name(str(key[1]), loc.lang)} ({loc.exchange(str(key[0]))})"
        x = [int(v) for v in part["rel_day"]]
        fig.add_scatter(
            x=x + x[::-1],
            y=list((100 * part["high"]).round(3)) + list((100 * part["low"]).round(3))[::-1],
            fill="toself",
            fillcolor=_rgba(color, 0.12),
            line={"width": 0},
            hoverinfo="skip",
            legendgroup=name,
            showlegend=False,
        )
        fig.add_scatter(
            x=x,
            y=list((100 * part["caar"]).round(3)),
            mode="lines+markers",
            line={"color": color},
            name=name,
            legendgroup=name,
        )
    fig.add_vline(x=0, line_dash="dot", line_color="#888")
    fig.update_layout(
        title=loc.t("charts.paths"),
        xaxis_title=loc.t("axis.rel_day"),
        yaxis_title=loc.t("axis.caar"),
        height=520,
    )
    return fig


def _study_figure(tables: ReportTables, loc: Locale) -> go.Figure:
    """Each group's CAAR over the key window, with its confidence interval."""
    import plotly.graph_objects as go

    study = tables.study.loc[tables.study["window"] == key_window(tables.windows)]
    labels = [
        f"{tables.name(r.basket, loc.lang)} ({loc.exchange(r.exchange)})" for r in rows(study)
    ]
    up, down = loc.t("colors.up"), loc.t("colors.down")
    fig = go.Figure(
        go.Bar(
            x=labels,
            y=list((100 * study["caar"]).round(2)),
            marker_color=[up if v >= 0 else down for v in study["caar"]],
            error_y={
                "type": "data",
                "symmetric": False,
                "array": list((100 * (study["ci_high"] - study["caar"])).round(2)),
                "arrayminus": list((100 * (study["caar"] - study["ci_low"])).round(2)),
            },
        )
    )
    fig.update_layout(
        title=loc.t("charts.study", window=prose.window_words(key_window(tables.windows), loc)),
        yaxis_title=loc.t("axis.caar"),
        height=460,
    )
    return fig


def _volume_days(tables: ReportTables, loc: Locale) -> tuple[list[str], dict[str, pd.DataFrame]]:
    """The volume chart's basket labels, and its rows of day 0 and day +1 by day in words."""
    vol = tables.volume
    keys = list(dict.fromkeys(zip(vol["exchange"], vol["basket"], strict=True)))
    labels = [f"{tables.name(str(b), loc.lang)} ({loc.exchange(str(x))})" for x, b in keys]
    days = {}
    for window in ("0:0", "1:1"):
        part = vol.loc[vol["window"] == window].set_index(["exchange", "basket"])
        days[prose.window_words(window, loc)] = part.reindex(keys)
    return labels, days


def _volume_figure(tables: ReportTables, loc: Locale) -> go.Figure:
    """Each basket's abnormal log volume on day 0 and day +1, one bar each."""
    import plotly.graph_objects as go

    labels, days = _volume_days(tables, loc)
    fig = go.Figure()
    for i, (day, part) in enumerate(days.items()):
        fig.add_bar(
            x=labels,
            y=list(part["caar"].astype(float).round(3)),
            name=day,
            marker_color=_PALETTE[i % len(_PALETTE)],
            customdata=[loc.t("volume.multiple", x=loc.num(r, 2)) for r in part["ratio"]],
            hovertemplate="%{x}: %{y}<br>%{customdata}<extra></extra>",
        )
    fig.update_layout(
        title=loc.t("charts.volume"),
        yaxis_title=loc.t("axis.volume"),
        barmode="group",
        height=460,
    )
    return fig


def _heatmap_figure(tables: ReportTables, loc: Locale) -> go.Figure:
    """Every pair's abnormal return by relative day, grouped by basket."""
    import plotly.graph_objects as go

    up, down = loc.t("colors.up"), loc.t("colors.down")
    heat = heatmap_rows(tables, loc)
    fig = go.Figure(
        go.Heatmap(
            z=heat.round(2).to_numpy().tolist(),
            x=list(heat.columns),
            y=list(range(len(heat))),
            colorscale=[[0, down], [0.5, "#f7f7f7"], [1, up]],
            zmid=0,
            colorbar={"title": loc.t("axis.ar"), "x": 1.32},
            hovertext=[[name] * len(heat.columns) for name in heat.index],
        )
    )
    shapes, notes = [], []
    for label, lo, hi in heat.attrs["groups"]:
        shapes.append(
            {"type": "line", "xref": "paper", "x0": 0, "x1": 1, "y0": hi + 0.5, "y1": hi + 0.5}
        )
        notes.append(
            {
                "xref": "paper",
                "x": 1.0,
                "xanchor": "left",
                "y": (lo + hi) / 2,
                "text": label,
                "showarrow": False,
                "font": {"size": 11},
            }
        )
    fig.update_layout(
        title=loc.t("charts.heatmap"),
        xaxis_title=loc.t("axis.rel_day"),
        yaxis={
            "tickmode": "array",
            "tickvals": list(range(len(heat))),
            "ticktext": list(heat.index),
            "autorange": "reversed",
            "tickfont": {"size": 10},
            "automargin": True,
        },
        shapes=shapes,
        annotations=notes,
        margin={"r": 260},
        height=max(420, 16 * len(heat) + 160),
    )
    return fig


def _forecast_figure(tables: ReportTables, loc: Locale) -> go.Figure:
    """Each target's forecast with its interval, beside the actual move."""
    import plotly.graph_objects as go

    fc = tables.forecast.table
    names = [tables.name(str(t), loc.lang) for t in fc["target"]]
    fig = go.Figure()
    fig.add_scatter(
        x=names,
        y=list((100 * fc["forecast"]).round(2)),
        mode="markers",
        name=loc.t("timeline.legend_forecast"),
        error_y={
            "type": "data",
            "symmetric": False,
            "array": list((100 * (fc["upper"] - fc["forecast"])).round(2)),
            "arrayminus": list((100 * (fc["forecast"] - fc["lower"])).round(2)),
        },
    )
    fig.add_scatter(
        x=names,
        y=list((100 * fc["actual"]).round(2)),
        mode="markers",
        marker={"symbol": "x", "size": 12},
        name=loc.t("timeline.legend_actual"),
    )
    fig.update_layout(title=loc.t("charts.forecast"), yaxis_title=loc.t("axis.percent"), height=420)
    return fig


def _scenario_figures(run: ScenarioRun, tables: ReportTables, loc: Locale) -> dict[str, Any]:
    import plotly.graph_objects as go

    stem, out = run.path.stem, {}
    q = run.result.quantiles
    if run.kind == "export_controls":
        from ipposaki.report.export_controls import export_figure

        out[f"chart-export-{stem}"] = export_figure(run, tables, loc)
    elif run.kind == "power":
        power = go.Figure()
        for output, key, color in (
            ("twh_no_iown", "without_iown", "rgba(33,102,172,{a})"),
            ("twh", "with_iown", "rgba(27,120,55,{a})"),
        ):
            p = q.loc[q["output"] == output]
            years = [int(y) for y in p["label"]]
            name = loc.t(f"scenario.{key}")
            power.add_scatter(
                x=years, y=list(p["q95"]), mode="lines", line={"width": 0}, showlegend=False
            )
            power.add_scatter(
                x=years,
                y=list(p["q05"]),
                mode="lines",
                line={"width": 0},
                fill="tonexty",
                fillcolor=color.format(a=0.15),
                name=loc.t("scenario.band_of", name=name),
            )
            power.add_scatter(
                x=years,
                y=list(p["q50"]),
                mode="lines",
                line={"color": color.format(a=1)},
                name=name,
            )
        ref = run.result.extra.get("reference")
        if isinstance(ref, pd.DataFrame):
            for path, part in ref.groupby("path", sort=False):
                power.add_scatter(
                    x=[int(y) for y in part["year"]],
                    y=list(part["twh"]),
                    mode="markers+lines",
                    name=_reference_name(str(path), loc),
                )
        power.update_layout(
            title=loc.t("scenario.power_chart"), yaxis_title=loc.t("scenario.axis_twh"), height=460
        )
        out[f"chart-power-{stem}"] = power
    return out


def _reference_name(path: str, loc: Locale) -> str:
    key = "scenario.reference." + path.replace(" ", "_").replace("-", "_").lower()
    return loc.t(key) if loc.has(key) else path


# -- PNG ---------------------------------------------------------------------------------------


def _save(fig: Any, path: Path) -> Path:
    """Lay out, write and close a matplotlib figure; return its path."""
    import matplotlib.pyplot as plt

    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def _cjk_font() -> str | None:
    from matplotlib import font_manager

    names = {f.name for f in font_manager.fontManager.ttflist}
    if not names & set(CJK_FONTS):
        for path in CJK_FILES:
            if Path(path).is_file():
                font_manager.fontManager.addfont(path)
        names = {f.name for f in font_manager.fontManager.ttflist}
    return next((f for f in CJK_FONTS if f in names), None)


def write_pngs(tables: ReportTables, loc: Locale, out: Path) -> dict[str, Path]:
    """Write the charts as PNG files named ``<chart>.<lang>.png``; return them by chart id.

    Japanese labels need a CJK font (Debian's ``fonts-noto-cjk``, which ``make`` installs);
    without one, matplotlib warns of missing glyphs and draws boxes in their place.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    font = _cjk_font()
    rc: dict[str, Any] = {"font.family": [font, "DejaVu Sans"]} if font else {}
    rc["axes.unicode_minus"] = True
    draw = {
        "chart-movers": _movers_png,
        "chart-paths": _paths_png,
        "chart-study": _study_png,
    }
    if "chart-volume" in chart_ids(tables):
        draw["chart-volume"] = _volume_png
    draw["chart-heatmap"] = _heatmap_png
    if "chart-forecast" in chart_ids(tables):
        draw["chart-forecast"] = _forecast_png
    paths: dict[str, Path] = {}
    with plt.rc_context(rc):  # type: ignore[arg-type]
        for cid, png in draw.items():
            paths[cid] = png(tables, loc, out / f"{cid}.{loc.lang}.png")
        for run in tables.scenarios:
            paths.update(_scenario_pngs(run, tables, loc, out))
    return paths


def _movers_png(tables: ReportTables, loc: Locale, path: Path) -> Path:
    """The biggest single-stock moves as horizontal bars."""
    import matplotlib.pyplot as plt

    m = _movers(tables, loc)
    fig, ax = plt.subplots(figsize=(8, max(3.0, 0.32 * len(m.labels) + 1.2)))
    ax.barh(range(len(m.labels)), m.values, color=m.colors)
    ax.set_yticks(range(len(m.labels)), m.labels, fontsize=8)
    ax.invert_yaxis()
    ax.axvline(0, color="black", linewidth=0.8)
    ax.set_xlabel(loc.t("axis.return"))
    ax.set_title(loc.t("charts.movers"))
    return _save(fig, path)


def _paths_png(tables: ReportTables, loc: Locale, path: Path) -> Path:
    """Each group's CAAR path with its band, one panel per exchange."""
    import matplotlib.pyplot as plt

    lang = loc.lang
    exchanges = list(dict.fromkeys(tables.paths["exchange"])) if len(tables.paths) else []
    fig, axes = plt.subplots(
        1, max(len(exchanges), 1), figsize=(10, 4.8), sharey=True, squeeze=False
    )
    i = 0
    for ax, exchange in zip(axes[0], exchanges, strict=False):  # one panel per exchange
        part_x = tables.paths.loc[tables.paths["exchange"] == exchange]
        for group, part in part_x.groupby("basket", sort=False):
            color = _PALETTE[i % len(_PALETTE)]
            i += 1
            x = part["rel_day"].astype(int)
            ax.fill_between(x, 100 * part["low"], 100 * part["high"], color=color, alpha=0.12)
            ax.plot(
                x, 100 * part["caar"], marker="o", markersize=3, color=color,
                label=tables.name(str(group), lang),
            )  # fmt: skip
        ax.axvline(0, color="#888", linestyle=":")
        ax.axhline(0, color="black", linewidth=0.8)
        ax.set_xlabel(loc.t("axis.rel_day"))
        ax.set_title(loc.exchange(str(exchange)), fontsize=10)
        ax.legend(fontsize=7)
    axes[0][0].set_ylabel(loc.t("axis.caar"))
    fig.suptitle(loc.t("charts.paths"))
    return _save(fig, path)


def _study_png(tables: ReportTables, loc: Locale, path: Path) -> Path:
    """Each group's CAAR over the key window, with its confidence interval."""
    import matplotlib.pyplot as plt

    lang = loc.lang
    study = tables.study.loc[tables.study["window"] == key_window(tables.windows)]
    labels = [f"{tables.name(r.basket, lang)}\n({loc.exchange(r.exchange)})" for r in rows(study)]
    fig, ax = plt.subplots(figsize=(8, 4.5))
    err = np.vstack(
        [100 * (study["caar"] - study["ci_low"]), 100 * (study["ci_high"] - study["caar"])]
    )
    colors = [loc.t("colors.up") if v >= 0 else loc.t("colors.down") for v in study["caar"]]
    ax.bar(range(len(study)), 100 * study["caar"], yerr=err, color=colors, capsize=3)
    ax.set_xticks(range(len(study)), labels, fontsize=7, rotation=30, ha="right")
    ax.axhline(0, color="black", linewidth=0.8)
    ax.set_ylabel(loc.t("axis.caar"))
    ax.set_title(loc.t("charts.study", window=prose.window_words(key_window(tables.windows), loc)))
    return _save(fig, path)


def _volume_png(tables: ReportTables, loc: Locale, path: Path) -> Path:
    """Each basket's abnormal log volume on day 0 and day +1, one bar each."""
    import matplotlib.pyplot as plt

    labels, days = _volume_days(tables, loc)
    fig, ax = plt.subplots(figsize=(8, 4.5))
    width = 0.8 / max(len(days), 1)
    x = np.arange(len(labels))
    for i, (day, part) in enumerate(days.items()):
        ax.bar(
            x + (i - (len(days) - 1) / 2) * width,
            part["caar"].astype(float),
            width,
            label=day,
            color=_PALETTE[i % len(_PALETTE)],
        )
    ax.set_xticks(
        x, [lbl.replace(" (", "\n(") for lbl in labels], fontsize=7, rotation=30, ha="right"
    )
    ax.axhline(0, color="black", linewidth=0.8)
    ax.set_ylabel(loc.t("axis.volume"))
    ax.set_title(loc.t("charts.volume"))
    ax.legend(fontsize=8)
    return _save(fig, path)


def _heatmap_png(tables: ReportTables, loc: Locale, path: Path) -> Path:
    """Every pair's abnormal return by relative day, grouped by basket."""
    import matplotlib.pyplot as plt

    heat = heatmap_rows(tables, loc)
    from matplotlib.colors import LinearSegmentedColormap

    cmap = LinearSegmentedColormap.from_list(
        "updown", [loc.t("colors.down"), "#f7f7f7", loc.t("colors.up")]
    )
    fig, ax = plt.subplots(figsize=(9, max(4, 0.2 * len(heat) + 1.5)))
    values = heat.to_numpy(dtype=float)
    lim = float(np.nanmax(np.abs(values))) if np.isfinite(values).any() else 1.0
    im = ax.imshow(values, aspect="auto", cmap=cmap, vmin=-lim, vmax=lim)
    ax.set_yticks(range(len(heat)), list(heat.index), fontsize=7)
    ax.set_xticks(range(len(heat.columns)), [str(c) for c in heat.columns], fontsize=7)
    for label, lo, hi in heat.attrs["groups"]:
        ax.axhline(hi + 0.5, color="black", linewidth=0.6)
        ax.text(len(heat.columns) - 0.3, (lo + hi) / 2, label, fontsize=7, va="center")
    ax.set_xlabel(loc.t("axis.rel_day"))
    ax.set_title(loc.t("charts.heatmap"))
    fig.colorbar(im, ax=ax, label=loc.t("axis.ar"), pad=0.2)
    return _save(fig, path)


def _forecast_png(tables: ReportTables, loc: Locale, path: Path) -> Path:
    """Each target's forecast with its interval, beside the actual move."""
    import matplotlib.pyplot as plt

    lang = loc.lang
    fc = tables.forecast.table
    xs = np.arange(len(fc))
    fig, ax = plt.subplots(figsize=(8, 4))
    err = np.vstack([100 * (fc["forecast"] - fc["lower"]), 100 * (fc["upper"] - fc["forecast"])])
    ax.errorbar(
        xs,
        100 * fc["forecast"],
        yerr=err,
        fmt="o",
        capsize=4,
        label=loc.t("timeline.legend_forecast"),
    )
    ax.scatter(
        xs, 100 * fc["actual"], marker="x", s=80, color="#b2182b",
        label=loc.t("timeline.legend_actual"),
    )  # fmt: skip
    ax.axhline(0, color="black", linewidth=0.8)
    ax.set_xticks(xs, [tables.name(str(t), lang) for t in fc["target"]], fontsize=8)
    ax.set_ylabel(loc.t("axis.percent"))
    ax.set_title(loc.t("charts.forecast"))
    ax.legend()
    return _save(fig, path)


def _scenario_pngs(
    run: ScenarioRun, tables: ReportTables, loc: Locale, out: Path
) -> dict[str, Path]:
    import matplotlib.pyplot as plt

    stem, lang, paths = run.path.stem, loc.lang, {}
    q = run.result.quantiles
    if run.kind == "export_controls":
        from ipposaki.report.export_controls import export_png

        paths[f"chart-export-{stem}"] = export_png(run, tables, loc, out)
    elif run.kind == "power":
        fig, ax = plt.subplots(figsize=(8, 4.5))
        for output, key, color in (
            ("twh_no_iown", "without_iown", "#2166ac"),
            ("twh", "with_iown", "#1b7837"),
        ):
            p = q.loc[q["output"] == output]
            years = p["label"].astype(int)
            ax.fill_between(years, p["q05"], p["q95"], color=color, alpha=0.15)
            ax.plot(years, p["q50"], color=color, label=loc.t(f"scenario.{key}"))
        ref = run.result.extra.get("reference")
        if isinstance(ref, pd.DataFrame):
            for path, part in ref.groupby("path", sort=False):
                ax.plot(part["year"], part["twh"], "o--", label=_reference_name(str(path), loc))
        ax.set_ylabel(loc.t("scenario.axis_twh"))
        ax.set_title(loc.t("scenario.power_chart"))
        ax.legend(fontsize=8)
        paths[f"chart-power-{stem}"] = _save(fig, out / f"chart-power-{stem}.{lang}.png")
    return paths
