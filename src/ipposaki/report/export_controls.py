"""The export-control section of the report: how much tighter US controls would hurt each firm.

Built around the analyst's question, from the scenario's result
(:func:`ipposaki.scenario.export_controls`), in this order:

1. a table per firm, by name: its China revenue share with how well it is sourced, and the
   median and 5–95% range of the change in operating profit and of the price impact by both
   paths (fundamental and market);
2. one sentence for each path and one for the gap between them;
3. one fan chart of both price paths per firm (names on the axis);
4. the calibration (US and Japanese rules apart, errors clustered by announcement) and its
   verdict;
5. each firm's reaction to each past announcement, a firm × announcement table for the US rules
   and one for Japan's own;
6. which inputs matter most: first-order Sobol indices of both price paths, averaged over the
   firms, each firm's own inputs pooled by kind.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ipposaki.report.document import Block, Cell, Chart, Heading, Para, Table
from ipposaki.report.locale import Locale

__all__ = ["PATHS", "export_blocks", "export_figure", "export_png", "sensitivity"]

#: The two price paths, in the order shown.
PATHS = ("price_impact_fundamental", "price_impact_market")
_MARKET_COLOR = "#4a6fa5"
#: Input name prefix (or common input) -> locale key under ``scenario.export_controls.input``.
_KINDS = {
    "share": "share",
    "at_risk": "at_risk",
    "leverage": "leverage",
    "reaction": "reaction",
    "severity": "severity",
    "duration_years": "duration",
    "valuation_years": "valuation",
}


def _key(name: str) -> str:
    return f"scenario.export_controls.{name}"


def _firms(run: Any) -> list[str]:
    q = run.result.quantiles
    return [str(s) for s in q.loc[q["output"] == "op_profit_impact", "label"]]


def firm_name(run: Any, symbol: str, tables: Any, lang: str) -> str:
    """The firm's name from the exposure table, else from the instruments."""
    exp = run.result.extra.get("exposures")
    if isinstance(exp, pd.DataFrame) and "symbol" in exp:
        rows = exp.loc[exp["symbol"] == symbol]
        if len(rows):
            column = "name_ja" if lang == "ja" and "name_ja" in rows else "name"
            name = str(rows.iloc[0][column] or "")
            if name:
                return name
    return str(tables.name(symbol, lang))


def _share_text(record: dict[str, Any], loc: Locale) -> str:
    share, low, high = (
        record.get(k) for k in ("china_share", "china_share_low", "china_share_high")
    )
    status = str(record.get("status") or "guess")
    grade = loc.t(_key(f"status.{status}")) if loc.has(_key(f"status.{status}")) else status
    has_range = low is not None and high is not None and pd.notna(low) and pd.notna(high)
    if status == "guess" and has_range:
        value = loc.t(
            _key("range_only"), low=loc.pct(low, 0, sign=False), high=loc.pct(high, 0, sign=False)
        )
    elif has_range and share is not None and pd.notna(share):
        value = loc.t(
            _key("share_range"),
            share=loc.pct(share, 0, sign=False),
            low=loc.pct(low, 0, sign=False),
            high=loc.pct(high, 0, sign=False),
        )
    else:
        digits = 1 if share is not None and pd.notna(share) and round(100 * share, 1) % 1 else 0
        value = loc.pct(share, digits, sign=False)
    return loc.t(_key("share_cell"), value=value, grade=grade)


def _range(row: Any, loc: Locale) -> str:
    if row is None:
        return "–"
    return loc.t(
        _key("range_cell"),
        q50=loc.pct(row["q50"], 1),
        q05=loc.pct(row["q05"], 1),
        q95=loc.pct(row["q95"], 1),
    )


def sensitivity(result: Any) -> pd.DataFrame:
    """Mean first-order Sobol index of each kind of input, per price path, over the firms.

    Returns
    -------
    pandas.DataFrame
        ``kind`` (``share``, ``at_risk``, ``leverage``, ``reaction`` or a common input) and one
        column per path of :data:`PATHS`, sorted by the fundamental path.
    """
    sobol = result.sobol
    sobol = sobol.loc[sobol["output"].isin(PATHS)]
    if sobol.empty:
        return pd.DataFrame(columns=["kind", *PATHS])
    kind = sobol["input"].str.split(":").str[0]
    table = (
        sobol.assign(kind=kind)
        .groupby(["kind", "output"])["s1"]
        .mean()
        .unstack("output")
        .reindex(columns=list(PATHS))
        .fillna(0.0)
        .reset_index()
    )
    table = table.loc[table["kind"].isin(list(_KINDS))]
    return table.sort_values(PATHS[0], ascending=False).reset_index(drop=True)


def _event_names(loc: Locale) -> dict[str, str]:
    from ipposaki.events import builtin_catalog

    return {e.id: (e.name_ja if loc.lang == "ja" else e.name) for e in builtin_catalog().events}


def _reaction_tables(run: Any, tables: Any, loc: Locale, stem: str) -> list[Block]:
    rx = run.result.extra.get("reactions")
    if not isinstance(rx, pd.DataFrame) or rx.empty:
        return []
    firms = _firms(run)
    names = _event_names(loc)
    blocks: list[Block] = []
    for country in ("US", "JP"):
        part = rx.loc[(rx["country"] == country) & rx["symbol"].isin(firms)]
        if part.empty:
            continue
        events = list(dict.fromkeys(part["event_id"]))
        announced = part.drop_duplicates("event_id").set_index("event_id")["announced"]
        head = (
            loc.t("scenario.col_firm"),
            *(loc.date(str(announced[e])[:10]) for e in events),
            loc.t(_key("col_mean")),
        )
        cells = part.set_index(["symbol", "event_id"])
        rows = []
        for sym in firms:
            row = [Cell(firm_name(run, sym, tables, loc.lang), "t")]
            values = []
            for e in events:
                if (sym, e) not in cells.index:
                    row.append(Cell("–"))
                    continue
                r = cells.loc[(sym, e)]
                car, ret = r["car"], r["ret_day0"]
                if pd.isna(car):
                    row.append(Cell("–"))
                    continue
                values.append(float(car))
                text = loc.t(_key("reaction_cell"), car=loc.pct(car, 1), ret=loc.pct(ret, 1))
                row.append(Cell(text, "up" if car >= 0 else "down"))
            mean = float(np.mean(values)) if values else np.nan
            row.append(
                Cell(loc.pct(mean, 1), "n" if pd.isna(mean) else ("up" if mean >= 0 else "down"))
            )
            rows.append(tuple(row))
        listing = loc.t("findings.sep").join(
            loc.t(_key("event_item"), date=loc.date(str(announced[e])[:10]), name=names.get(e, e))
            for e in events
        )
        blocks.append(
            Heading(
                loc.t(_key(f"reactions_{country.lower()}")),
                links=((loc.t("csv"), f"report_scenario_{stem}_reactions.csv"),),
            )
        )
        blocks.append(Para(loc.t(_key("reactions_note"), events=listing)))
        blocks.append(Table(f"table-reactions-{country.lower()}-{stem}", head, tuple(rows)))
    return blocks


def _calibration_text(cal: Any, loc: Locale) -> str:
    table = cal.table

    def cell(country: str, column: str) -> float:
        rows = table.loc[
            (table["country"] == country)
            & (table["cov_type"] == "CR2")
            & (table["term"] == "china_share")
        ]
        return float(rows[column].iloc[0]) if len(rows) else float("nan")

    from ipposaki.report import prose

    text = loc.t(
        _key("calibration"),
        window=prose.window_words(cal.window, loc),
        slope=loc.num(cell("US", "coef"), 3, sign=True),
        low=loc.num(cell("US", "ci_low"), 3, sign=True),
        high=loc.num(cell("US", "ci_high"), 3, sign=True),
        df=loc.num(cell("US", "df"), 1),
        nobs=int(cell("US", "nobs")) if np.isfinite(cell("US", "nobs")) else 0,
        n_clusters=int(cell("US", "n_clusters")) if np.isfinite(cell("US", "n_clusters")) else 0,
        wild_p_value=loc.pval(cell("US", "wild_p_value")) if "wild_p_value" in table else "–",
        jp_slope=loc.num(cell("JP", "coef"), 3, sign=True),
        jp_low=loc.num(cell("JP", "ci_low"), 3, sign=True),
        jp_high=loc.num(cell("JP", "ci_high"), 3, sign=True),
    )
    return text + loc.t(_key("identified" if cal.identified else "not_identified"))


def export_blocks(run: Any, tables: Any, loc: Locale, pngs: dict[str, str]) -> list[Block]:
    """The section's blocks, before the generic table of inputs."""
    stem, res = run.path.stem, run.result
    csv = ((loc.t("csv"), f"report_scenario_{stem}.csv"),)
    cells = res.quantiles.set_index(["output", "label"])
    blocks: list[Block] = [
        Para(loc.t(_key("intro"), draws=f"{res.draws:,}"), links=csv),
        _impact_table(run, tables, loc, cells),
        Para(loc.t(_key("paths"))),
    ]
    if ("nikkei_points_fundamental", "total") in cells.index:
        blocks.append(_nikkei_para(res, loc, cells))
    blocks.append(
        Chart(f"chart-export-{stem}", loc.t(_key("chart")), pngs.get(f"chart-export-{stem}", ""))
    )
    cal = res.extra.get("calibration")
    if cal is not None and hasattr(cal, "table"):
        blocks.append(
            Para(
                _calibration_text(cal, loc),
                links=((loc.t("csv"), f"report_scenario_{stem}_calibration.csv"),),
            )
        )
    blocks += _reaction_tables(run, tables, loc, stem)
    return blocks + _sensitivity_blocks(res, loc, stem)


def _at(cells: pd.DataFrame, output: str, sym: str) -> Any:
    """The quantiles of ``output`` for label ``sym`` (a row of ``cells``), or None."""
    return cells.loc[(output, sym)] if (output, sym) in cells.index else None


def _impact_table(run: Any, tables: Any, loc: Locale, cells: pd.DataFrame) -> Table:
    """Each firm's China share and its profit, fundamental and market price impacts.

    Parameters
    ----------
    run : ScenarioRun
        The export-controls run.
    tables : ReportTables
        The report's tables (for the firms' names).
    loc : Locale
        The language and its formats.
    cells : pandas.DataFrame
        The quantiles indexed by (output, label).

    Returns
    -------
    Table
        One row per firm, each impact as its median and 90% range.
    """
    exp = run.result.extra.get("exposures")
    records = (
        {str(r["symbol"]): {str(k): v for k, v in r.items()} for r in exp.to_dict("records")}
        if isinstance(exp, pd.DataFrame)
        else {}
    )
    head = tuple(
        loc.t(_key(f"col_{c}")) for c in ("firm", "share", "profit", "fundamental", "market")
    )
    rows = tuple(
        (
            Cell(firm_name(run, sym, tables, loc.lang), "t"),
            Cell(_share_text(records.get(sym, {}), loc), "t"),
            Cell(_range(_at(cells, "op_profit_impact", sym), loc)),
            Cell(_range(_at(cells, "price_impact_fundamental", sym), loc)),
            Cell(_range(_at(cells, "price_impact_market", sym), loc)),
        )
        for sym in _firms(run)
    )
    return Table(f"table-export-{run.path.stem}", head, rows)


def _nikkei_para(res: Any, loc: Locale, cells: pd.DataFrame) -> Para:
    """The Nikkei 225 points the firms' falls take off the index, on each price path."""
    weights = res.extra.get("nikkei_weights")
    source = str(weights["source"].iloc[0]) if isinstance(weights, pd.DataFrame) else ""

    def points(path: str) -> str:
        row = _at(cells, f"nikkei_points_{path}", "total")
        return loc.t(
            _key("range_cell"),
            q50=loc.num(row["q50"], 0, sign=True),
            q05=loc.num(row["q05"], 0, sign=True),
            q95=loc.num(row["q95"], 0, sign=True),
        )

    return Para(
        loc.t(
            _key("nikkei"),
            fundamental=points("fundamental"),
            market=points("market"),
            source=source,
        )
    )


def _sensitivity_blocks(res: Any, loc: Locale, stem: str) -> list[Block]:
    """Which inputs drive each price path: first-order Sobol indices by kind of input."""
    sens = sensitivity(res)
    if not len(sens):
        return []
    table = Table(
        f"table-sensitivity-{stem}",
        (
            loc.t(_key("col_input")),
            loc.t(_key("col_fundamental_s1")),
            loc.t(_key("col_market_s1")),
        ),
        tuple(
            (
                Cell(loc.t(_key(f"input.{_KINDS[str(r['kind'])]}")), "t"),
                Cell(loc.num(r[PATHS[0]], 2)),
                Cell(loc.num(r[PATHS[1]], 2)),
            )
            for r in sens.to_dict("records")
        ),
    )
    return [
        Heading(
            loc.t(_key("sensitivity")),
            links=((loc.t("csv"), f"report_scenario_{stem}_sensitivity.csv"),),
        ),
        Para(loc.t(_key("sensitivity_note"))),
        table,
    ]


def _fan(run: Any) -> tuple[list[str], dict[str, pd.DataFrame]]:
    q = run.result.quantiles
    firms = _firms(run)
    parts = {p: q.loc[q["output"] == p].set_index("label").reindex(firms) for p in PATHS}
    return firms, parts


def export_figure(run: Any, tables: Any, loc: Locale) -> Any:
    """The fan chart (plotly): both price paths per firm, 5–95% and 25–75% of the draws."""
    import plotly.graph_objects as go

    from ipposaki.report.figures import _rgba

    firms, parts = _fan(run)
    names = [firm_name(run, s, tables, loc.lang) for s in firms]
    fig = go.Figure()
    y = np.arange(len(firms), dtype=float)
    for k, (path, color) in enumerate(
        zip(PATHS, (loc.t("colors.down"), _MARKET_COLOR), strict=True)
    ):
        f = parts[path]
        pos = list(y + (-0.18 if k == 0 else 0.18))
        label = loc.t(_key(f"path_{path.rsplit('_', 1)[1]}"))
        for lo, hi, alpha, band in (
            ("q05", "q95", 0.3, "band_90"),
            ("q25", "q75", 0.75, "band_50"),
        ):
            fig.add_bar(
                y=pos,
                x=list(100 * (f[hi] - f[lo])),
                base=list(100 * f[lo]),
                orientation="h",
                width=0.3,
                marker_color=_rgba(color, alpha),
                name=f"{label}: {loc.t(f'scenario.{band}')}",
            )
        fig.add_scatter(
            y=pos,
            x=list(100 * f["q50"]),
            mode="markers",
            marker={"color": "black", "size": 7},
            name=f"{label}: {loc.t('scenario.median')}",
        )
    fig.update_layout(
        title=loc.t(_key("chart")),
        barmode="overlay",
        xaxis_title=loc.t(_key("axis_price")),
        yaxis={
            "tickvals": list(y),
            "ticktext": names,
            "autorange": "reversed",
            "automargin": True,
        },
        height=max(420, 48 * len(firms) + 160),
    )
    return fig


def export_png(run: Any, tables: Any, loc: Locale, out: Path) -> Path:
    """The same fan chart as a PNG."""
    import matplotlib.pyplot as plt

    from ipposaki.report.figures import _save

    firms, parts = _fan(run)
    names = [firm_name(run, s, tables, loc.lang) for s in firms]
    fig, ax = plt.subplots(figsize=(8.5, max(4.5, 0.5 * len(firms) + 1.5)))
    y = np.arange(len(firms), dtype=float)
    for k, (path, color) in enumerate(
        zip(PATHS, (loc.t("colors.down"), _MARKET_COLOR), strict=True)
    ):
        f = parts[path]
        pos = y + (-0.18 if k == 0 else 0.18)
        label = loc.t(_key(f"path_{path.rsplit('_', 1)[1]}"))
        for lo, hi, alpha, band in (
            ("q05", "q95", 0.3, "band_90"),
            ("q25", "q75", 0.75, "band_50"),
        ):
            ax.barh(
                pos,
                100 * (f[hi] - f[lo]).to_numpy(dtype=float),
                left=100 * f[lo].to_numpy(dtype=float),
                height=0.3,
                color=color,
                alpha=alpha,
                label=f"{label}: {loc.t(f'scenario.{band}')}",
            )
        ax.plot(100 * f["q50"].to_numpy(dtype=float), pos, "k.", markersize=8)
    ax.set_yticks(y, names)
    ax.invert_yaxis()
    ax.axvline(0, color="black", linewidth=0.8)
    ax.set_xlabel(loc.t(_key("axis_price")))
    ax.set_title(loc.t(_key("chart")))
    ax.legend(fontsize=7)
    return _save(fig, out / f"chart-export-{run.path.stem}.{loc.lang}.png")
