"""The report's charts: plotly figures for the HTML, matplotlib PNGs for the Markdown."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ipposaki.report.content import ReportTables
from ipposaki.report.locale import Locale
from ipposaki.report.scenarios import ScenarioTables

__all__ = ["ar_matrix", "figures", "write_pngs"]

#: Fonts tried, in order, for Japanese text in the PNG charts (Debian's fonts-noto-cjk first).
CJK_FONTS = ("Noto Sans CJK JP", "Noto Serif CJK JP", "IPAexGothic", "IPAGothic", "TakaoGothic")


def _falls(tables: ReportTables, loc: Locale) -> pd.DataFrame:
    name = "name_ja" if loc.lang == "ja" else "name"
    frame = tables.falls.assign(
        label=tables.falls["symbol"] + " " + tables.falls[name].astype(str),
        when=tables.falls["exchange"]
        + " "
        + pd.to_datetime(tables.falls["session"]).dt.strftime("%m-%d"),
    )
    return frame


def _study(tables: ReportTables) -> pd.DataFrame:
    study = tables.study.query("window == '0:1'")
    return study.assign(label=study["exchange"] + " " + study["group"])


def ar_matrix(tables: ReportTables) -> pd.DataFrame:
    """Symbols (with exchange) x relative days of abnormal returns."""
    ar = tables.ar.assign(
        row=tables.ar["exchange"].astype(str) + " " + tables.ar["symbol"].astype(str)
    )
    return ar.pivot_table(index="row", columns="rel_day", values="ar", aggfunc="mean")


def figures(tables: ReportTables, loc: Locale) -> dict[str, dict[str, Any]]:
    """Plotly figures as JSON-ready dicts, by chart id."""
    import plotly.graph_objects as go

    falls = _falls(tables, loc)
    fig_falls = go.Figure()
    for when, part in falls.groupby("when", sort=False):
        fig_falls.add_bar(
            x=(100 * part["ret"]).round(2), y=part["label"], orientation="h", name=str(when)
        )
    fig_falls.update_layout(title=loc.t("headline.chart"), xaxis_title="%", height=520)

    study = _study(tables)
    fig_study = go.Figure(
        go.Bar(
            x=study["label"],
            y=(100 * study["caar"]).round(2),
            error_y={
                "type": "data",
                "symmetric": False,
                "array": (100 * (study["ci_high"] - study["caar"])).round(2),
                "arrayminus": (100 * (study["caar"] - study["ci_low"])).round(2),
            },
        )
    )
    fig_study.update_layout(title=loc.t("study.chart"), yaxis_title="CAAR %", height=460)

    matrix = ar_matrix(tables)
    values = (100 * matrix).round(2)
    fig_heat = go.Figure(
        go.Heatmap(
            z=values.to_numpy().tolist(),
            x=[int(c) for c in matrix.columns],
            y=list(matrix.index),
            colorscale="RdBu",
            zmid=0,
            colorbar={"title": loc.t("heatmap.colorbar") + " %"},
        )
    )
    fig_heat.update_layout(
        title=loc.t("heatmap.title"),
        xaxis_title=loc.t("heatmap.axis_day"),
        height=max(400, 14 * len(matrix)),
    )
    fc = tables.forecast
    fig_fc = go.Figure()
    fig_fc.add_scatter(
        x=list(fc["target"]),
        y=(100 * fc["forecast"]).round(2),
        mode="markers",
        name=loc.t("timeline.forecast"),
        error_y={
            "type": "data",
            "symmetric": False,
            "array": (100 * (fc["upper"] - fc["forecast"])).round(2),
            "arrayminus": (100 * (fc["forecast"] - fc["lower"])).round(2),
        },
    )
    fig_fc.add_scatter(
        x=list(fc["target"]),
        y=(100 * fc["actual"]).round(2),
        mode="markers",
        marker={"symbol": "x", "size": 12},
        name=loc.t("timeline.actual"),
    )
    fig_fc.update_layout(title=loc.t("timeline.chart"), yaxis_title="%", height=420)
    out = {
        "chart-forecast": fig_fc.to_plotly_json(),
        "chart-falls": fig_falls.to_plotly_json(),
        "chart-study": fig_study.to_plotly_json(),
        "chart-heatmap": fig_heat.to_plotly_json(),
    }
    if tables.scenarios is not None:
        out.update(_scenario_figures(tables.scenarios, loc))
    return out


def _scenario_figures(sc: ScenarioTables, loc: Locale) -> dict[str, dict[str, Any]]:
    import plotly.graph_objects as go

    f = sc.firms
    fan = go.Figure()
    for lo, hi, alpha in (("q05", "q95", 0.25), ("q25", "q75", 0.6)):  # outer band, then inner
        fan.add_bar(
            y=list(f["label"]),
            x=100 * (f[hi] - f[lo]),
            base=100 * f[lo],
            orientation="h",
            marker_color=f"rgba(178,24,43,{alpha})",
            name=f"{int(lo[1:])}–{int(hi[1:])}%",
        )
    fan.add_scatter(
        y=list(f["label"]), x=100 * f["q50"], mode="markers", name=loc.t("export.col_q50")
    )
    fan.update_layout(
        title=loc.t("export.chart_fan"), barmode="overlay", xaxis_title="%", height=420
    )

    c = sc.calibration
    scatter = go.Figure(
        go.Scatter(
            x=list(c["china_share"]),
            y=list(100 * c["car"]),
            mode="markers",
            text=list(c["symbol"] + " " + c["event_id"]),
            name="CAR",
        )
    )
    if sc.slope:
        xs = [0.0, float(c["china_share"].max()) if len(c) else 1.0]
        mean_x, mean_y = float(c["china_share"].mean()), float(c["car"].mean())
        line = [100 * (mean_y + sc.slope["slope"] * (x - mean_x)) for x in xs]
        scatter.add_scatter(x=xs, y=line, mode="lines", name=f"slope {sc.slope['slope']:.3f}")
    scatter.update_layout(
        title=loc.t("export.chart_scatter"),
        xaxis_title=loc.t("export.axis_share"),
        yaxis_title=loc.t("export.axis_car") + " %",
        height=420,
    )

    power = go.Figure()
    for output, name, color in (
        ("twh_no_iown", loc.t("power.without_iown"), "rgba(33,102,172,{a})"),
        ("twh", loc.t("power.with_iown"), "rgba(27,120,55,{a})"),
    ):
        p = sc.power.loc[sc.power["output"] == output]
        years = [int(y) for y in p["label"]]
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
            name=f"{name} 5–95%",
        )
        power.add_scatter(
            x=years, y=list(p["q50"]), mode="lines", line={"color": color.format(a=1)}, name=name
        )
    for path, part in sc.iea.groupby("path"):
        power.add_scatter(
            x=list(part["year"]), y=list(part["twh"]), mode="markers+lines", name=str(path)
        )
    power.update_layout(title=loc.t("power.chart"), yaxis_title="TWh", height=460)
    return {
        "chart-export": fan.to_plotly_json(),
        "chart-calibration": scatter.to_plotly_json(),
        "chart-power": power.to_plotly_json(),
    }


#: Where Debian's fonts-noto-cjk puts its collections; matplotlib does not scan .ttc files.
CJK_FILES = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
)


def _save(fig: Any, path: Path) -> Path:
    """Lay out, write and close a matplotlib figure; return its path."""
    import matplotlib.pyplot as plt

    fig.tight_layout()
    fig.savefig(path, dpi=110)
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
    paths: dict[str, Path] = {}
    with plt.rc_context(rc):  # type: ignore[arg-type]
        falls = _falls(tables, loc)
        fig, ax = plt.subplots(figsize=(8, 6))
        ax.barh(falls["label"] + " (" + falls["when"] + ")", 100 * falls["ret"], color="#b2182b")
        ax.invert_yaxis()
        ax.set_xlabel("%")
        ax.set_title(loc.t("headline.chart"))
        paths["chart-falls"] = _save(fig, out / f"chart-falls.{loc.lang}.png")

        study = _study(tables)
        fig, ax = plt.subplots(figsize=(8, 4.5))
        err = np.vstack(
            [100 * (study["caar"] - study["ci_low"]), 100 * (study["ci_high"] - study["caar"])]
        )
        ax.bar(study["label"], 100 * study["caar"], yerr=err, color="#2166ac", capsize=3)
        ax.axhline(0, color="black", linewidth=0.8)
        ax.set_ylabel("CAAR %")
        ax.set_title(loc.t("study.chart"))
        ax.tick_params(axis="x", labelrotation=45)
        paths["chart-study"] = _save(fig, out / f"chart-study.{loc.lang}.png")

        matrix = ar_matrix(tables)
        fig, ax = plt.subplots(figsize=(8, max(4, 0.16 * len(matrix))))
        lim = float(np.nanmax(np.abs(matrix.to_numpy()))) * 100 if matrix.size else 1.0
        im = ax.imshow(100 * matrix.to_numpy(), aspect="auto", cmap="RdBu", vmin=-lim, vmax=lim)
        ax.set_yticks(range(len(matrix)), matrix.index, fontsize=6)
        ax.set_xticks(range(len(matrix.columns)), [str(c) for c in matrix.columns], fontsize=7)
        ax.set_xlabel(loc.t("heatmap.axis_day"))
        ax.set_title(loc.t("heatmap.title"))
        fig.colorbar(im, ax=ax, label=loc.t("heatmap.colorbar") + " %")
        paths["chart-heatmap"] = _save(fig, out / f"chart-heatmap.{loc.lang}.png")
        fc = tables.forecast
        fig, ax = plt.subplots(figsize=(8, 4))
        x = np.arange(len(fc))
        err = np.vstack(
            [100 * (fc["forecast"] - fc["lower"]), 100 * (fc["upper"] - fc["forecast"])]
        )
        ax.errorbar(
            x, 100 * fc["forecast"], yerr=err, fmt="o", capsize=4, label=loc.t("timeline.forecast")
        )
        ax.scatter(
            x, 100 * fc["actual"], marker="x", s=80, color="#b2182b", label=loc.t("timeline.actual")
        )
        ax.axhline(0, color="black", linewidth=0.8)
        ax.set_xticks(x, list(fc["target"]))
        ax.set_ylabel("%")
        ax.set_title(loc.t("timeline.chart"))
        ax.legend()
        paths["chart-forecast"] = _save(fig, out / f"chart-forecast.{loc.lang}.png")
        if tables.scenarios is not None:
            paths.update(_scenario_pngs(tables.scenarios, loc, out))
    return paths


def _scenario_pngs(sc: ScenarioTables, loc: Locale, out: Path) -> dict[str, Path]:
    import matplotlib.pyplot as plt

    paths: dict[str, Path] = {}
    f = sc.firms
    fig, ax = plt.subplots(figsize=(8, 4.5))
    y = np.arange(len(f))
    ax.barh(
        y,
        100 * (f["q95"] - f["q05"]),
        left=100 * f["q05"],
        color="#b2182b",
        alpha=0.25,
        label="5–95%",
    )
    ax.barh(
        y,
        100 * (f["q75"] - f["q25"]),
        left=100 * f["q25"],
        color="#b2182b",
        alpha=0.6,
        label="25–75%",
    )
    ax.plot(100 * f["q50"], y, "ko", label=loc.t("export.col_q50"))
    ax.set_yticks(y, list(f["label"]))
    ax.invert_yaxis()
    ax.set_xlabel("%")
    ax.set_title(loc.t("export.chart_fan"))
    ax.legend(fontsize=8)
    paths["chart-export"] = _save(fig, out / f"chart-export.{loc.lang}.png")

    c = sc.calibration
    fig, ax = plt.subplots(figsize=(7, 4.5))
    ax.scatter(c["china_share"], 100 * c["car"].astype(float), color="#2166ac")
    ax.axhline(0, color="black", linewidth=0.8)
    ax.set_xlabel(loc.t("export.axis_share"))
    ax.set_ylabel(loc.t("export.axis_car") + " %")
    ax.set_title(loc.t("export.chart_scatter"))
    paths["chart-calibration"] = _save(fig, out / f"chart-calibration.{loc.lang}.png")

    fig, ax = plt.subplots(figsize=(8, 4.5))
    for output, name, color in (
        ("twh_no_iown", loc.t("power.without_iown"), "#2166ac"),
        ("twh", loc.t("power.with_iown"), "#1b7837"),
    ):
        p = sc.power.loc[sc.power["output"] == output]
        years = p["label"].astype(int)
        ax.fill_between(years, p["q05"], p["q95"], color=color, alpha=0.15)
        ax.plot(years, p["q50"], color=color, label=name)
    for path, part in sc.iea.groupby("path"):
        ax.plot(part["year"], part["twh"], "o--", label=str(path))
    ax.set_ylabel("TWh")
    ax.set_title(loc.t("power.chart"))
    ax.legend(fontsize=8)
    paths["chart-power"] = _save(fig, out / f"chart-power.{loc.lang}.png")
    return paths
