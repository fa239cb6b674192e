"""The report's charts: plotly figures for the HTML, matplotlib PNGs for the Markdown."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ipposaki.report.content import ReportTables
from ipposaki.report.locale import Locale

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
    ar = tables.ar.assign(row=tables.ar["exchange"] + " " + tables.ar["symbol"])
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
    return {
        "chart-forecast": fig_fc.to_plotly_json(),
        "chart-falls": fig_falls.to_plotly_json(),
        "chart-study": fig_study.to_plotly_json(),
        "chart-heatmap": fig_heat.to_plotly_json(),
    }


#: Where Debian's fonts-noto-cjk puts its collections; matplotlib does not scan .ttc files.
CJK_FILES = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
)


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
        fig.tight_layout()
        paths["chart-falls"] = out / f"chart-falls.{loc.lang}.png"
        fig.savefig(paths["chart-falls"], dpi=110)
        plt.close(fig)

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
        fig.tight_layout()
        paths["chart-study"] = out / f"chart-study.{loc.lang}.png"
        fig.savefig(paths["chart-study"], dpi=110)
        plt.close(fig)

        matrix = ar_matrix(tables)
        fig, ax = plt.subplots(figsize=(8, max(4, 0.16 * len(matrix))))
        lim = float(np.nanmax(np.abs(matrix.to_numpy()))) * 100 if matrix.size else 1.0
        im = ax.imshow(100 * matrix.to_numpy(), aspect="auto", cmap="RdBu", vmin=-lim, vmax=lim)
        ax.set_yticks(range(len(matrix)), matrix.index, fontsize=6)
        ax.set_xticks(range(len(matrix.columns)), [str(c) for c in matrix.columns], fontsize=7)
        ax.set_xlabel(loc.t("heatmap.axis_day"))
        ax.set_title(loc.t("heatmap.title"))
        fig.colorbar(im, ax=ax, label=loc.t("heatmap.colorbar") + " %")
        fig.tight_layout()
        paths["chart-heatmap"] = out / f"chart-heatmap.{loc.lang}.png"
        fig.savefig(paths["chart-heatmap"], dpi=110)
        plt.close(fig)
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
        fig.tight_layout()
        paths["chart-forecast"] = out / f"chart-forecast.{loc.lang}.png"
        fig.savefig(paths["chart-forecast"], dpi=110)
        plt.close(fig)
    return paths
