"""Key findings: 4 to 8 sentences generated from the report's numbers by stated rules.

Every rule reads one table and writes one sentence that points at it; a rule whose table has
nothing to say writes nothing. In order:

1. **headline** (indices table): on each event session, the benchmark index that moved most,
   with its percent and point change.
2. **significant** (event-study table, the spec's first CAR window): the baskets whose CAAR
   differs from zero at the 5% level by the Kolari–Pynnönen test (BMP corrected for the
   stocks' cross-correlation, robust to stocks that move together on a shared event date), with
   their CAAR; and those that do not, with their p-value.
3. **disagree** (same table and window): each basket where BMP and Kolari–Pynnönen fall on
   different sides of 5%, with both p-values and the average cross-correlation that explains it.
   The sentence says the move is not established when Kolari–Pynnönen does not reject.
4. **volume** (abnormal-volume table, day 0): the basket with the largest mean abnormal log
   volume, as a multiple of its normal volume with its Kolari–Pynnönen p-value; only when that
   p-value is below 5% (no sentence otherwise, nor when the data have no volume).
5. **forecast** (forecast table): how many Tokyo series moved inside their 90% prediction
   intervals, and the largest miss (actual against forecast); or why no forecast was made.
6. **scanner** (episodes table): the rank of the episode holding the event's day-0 sessions
   among all episodes the scanner found with no date given; or that it flagged none of them.
7. **scenario** (one per scenario section): export controls, the range of the firms' median
   operating-profit change, of their median share-price impact by each path (fundamental and
   market), and whether the market-revealed sensitivity's 95% interval holds
   zero; power, the median saving of IOWN in the last year with its 5–95% range and its share
   of demand without IOWN; compute cost, the cost and the implied utilisation.

At most :data:`MAX_SENTENCES` sentences are kept, in this order; when there are more, the
disagreements are cut first (the first stays), then the volume sentence, so that no scenario
loses its headline.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ipposaki.report import prose
from ipposaki.report.content import ReportTables, key_window, rows, value_at
from ipposaki.report.locale import Locale

__all__ = ["ALPHA", "MAX_SENTENCES", "Finding", "key_findings", "render_finding"]

ALPHA = 0.05
MAX_SENTENCES = 8


@dataclass(frozen=True)
class Finding:
    """One key finding: the rule that made it, the section it points at, and its numbers."""

    rule: str
    anchor: str
    values: dict[str, Any] = field(default_factory=dict)


def key_findings(tables: ReportTables, alpha: float = ALPHA) -> list[Finding]:
    """The key findings of a report, by the rules of this module's docstring."""
    before = _headline(tables) + _significant(tables, alpha)
    disagree = _disagree(tables, alpha)
    after = _forecast(tables) + _scanner(tables) + _scenarios(tables)
    fixed = len(before) + min(len(disagree), 1) + len(after)
    volume = _volume(tables, alpha)[: max(MAX_SENTENCES - fixed, 0)]
    room = max(MAX_SENTENCES - len(before) - len(volume) - len(after), min(len(disagree), 1))
    return (before + disagree[:room] + volume + after)[:MAX_SENTENCES]


# -- rules -------------------------------------------------------------------------------------


def _headline(tables: ReportTables) -> list[Finding]:
    if tables.indices.empty:
        return []
    idx = tables.indices.dropna(subset=["ret"])
    items = []
    for (exchange, session), part in idx.groupby(["exchange", "session"], sort=False):
        top = part.iloc[int(np.argmax(part["ret"].abs().to_numpy()))]
        items.append(
            {
                "exchange": exchange,
                "session": session,
                "symbol": top["symbol"],
                "ret": float(top["ret"]),
                "change": float(top["change"]),
            }
        )
    return [Finding("headline", "headline", {"items": items})] if items else []


def _window_rows(tables: ReportTables) -> tuple[str, pd.DataFrame]:
    window = key_window(tables.windows)
    study = tables.study
    return window, study.loc[(study["window"] == window) & study["kp_p_value"].notna()]


def _significant(tables: ReportTables, alpha: float) -> list[Finding]:
    window, table = _window_rows(tables)
    if table.empty:
        return []
    sig = table.loc[table["kp_p_value"] < alpha]
    not_sig = table.loc[table["kp_p_value"] >= alpha]
    return [
        Finding(
            "significant",
            "study",
            {
                "window": window,
                "alpha": alpha,
                "moved": [(r.basket, float(r.caar), float(r.kp_p_value)) for r in rows(sig)],
                "not_moved": [
                    (r.basket, float(r.caar), float(r.kp_p_value)) for r in rows(not_sig)
                ],
            },
        )
    ]


def _disagree(tables: ReportTables, alpha: float) -> list[Finding]:
    window, table = _window_rows(tables)
    split = (table["bmp_p_value"] < alpha) != (table["kp_p_value"] < alpha)
    table = table.loc[table["bmp_p_value"].notna() & split]
    return [
        Finding(
            "disagree",
            "study",
            {
                "window": window,
                "basket": r.basket,
                "bmp_p_value": float(r.bmp_p_value),
                "kp_p_value": float(r.kp_p_value),
                "rbar": float(r.rbar),
                "kp_rejects": bool(r.kp_p_value < alpha),
            },
        )
        for r in rows(table)
    ]


def _volume(tables: ReportTables, alpha: float) -> list[Finding]:
    vol = tables.volume
    if vol.empty:
        return []
    day0 = vol.loc[(vol["window"] == "0:0") & vol["caar"].notna()]
    if day0.empty:
        return []
    top = day0.iloc[int(np.argmax(day0["caar"].to_numpy(dtype=float)))]
    if not float(top["p_value"]) < alpha:
        return []
    values = {
        k: top[k] for k in ("exchange", "basket", "first_session", "caar", "ratio", "p_value")
    }
    return [Finding("volume", "volume", values)]


def _forecast(tables: ReportTables) -> list[Finding]:
    fc = tables.forecast
    if not fc.made:
        return [
            Finding(
                "forecast_missing",
                "timeline",
                {"as_of": fc.as_of, "target_session": fc.target_session, **fc.problem},
            )
        ]
    if fc.table.empty:
        return []
    table = fc.table.dropna(subset=["forecast", "actual"])
    if table.empty:
        return []
    inside = (table["actual"] >= table["lower"]) & (table["actual"] <= table["upper"])
    miss = (table["actual"] - table["forecast"]).abs().to_numpy()
    at = int(np.argmax(miss))
    worst = table.iloc[at]
    return [
        Finding(
            "forecast",
            "timeline",
            {
                "as_of": fc.as_of,
                "target_session": fc.target_session,
                "inside": int(inside.sum()),
                "total": len(table),
                "level": float(table["level"].iloc[0]) if "level" in table else 0.9,
                "worst": str(worst["target"]),
                "worst_forecast": float(worst["forecast"]),
                "worst_actual": float(worst["actual"]),
                "worst_inside": bool(inside.iloc[at]),
            },
        )
    ]


def _scanner(tables: ReportTables) -> list[Finding]:
    scan = tables.scan
    if scan.note or scan.count == 0:
        return []
    return [
        Finding(
            "scanner",
            "episodes",
            {"rank": scan.rank, "count": scan.count, "start": scan.start, "end": scan.end},
        )
    ]


def _scenarios(tables: ReportTables) -> list[Finding]:
    """One finding per scenario the spec names, when its outputs allow one."""
    out = []
    for run in tables.scenarios:
        finding = _SCENARIO_FINDINGS.get(run.kind)
        values = finding[1](run.result.quantiles, run.result) if finding else None
        if finding and values is not None:
            out.append(Finding(finding[0], f"scenario-{run.path.stem}", values))
    return out


def _export_values(q: pd.DataFrame, result: Any) -> dict[str, Any] | None:
    """The export-controls scenario: the firms with the smallest and largest median profit
    impact, the price paths' ranges and the calibrated slope; None without profit impacts."""
    firms = q.loc[q["output"] == "op_profit_impact"]
    if firms.empty:
        return None
    median = firms["q50"].to_numpy()
    lo, hi = firms.iloc[int(np.argmin(median))], firms.iloc[int(np.argmax(median))]
    cal = result.extra.get("calibration")
    values: dict[str, Any] = {
        "low_firm": str(lo["label"]),
        "low": float(lo["q50"]),
        "high_firm": str(hi["label"]),
        "high": float(hi["q50"]),
        "q05": float(firms["q05"].min()),
        "q95": float(firms["q95"].max()),
    }
    for path in ("fundamental", "market"):
        price = q.loc[q["output"] == f"price_impact_{path}"]
        if len(price):
            values[f"{path}_low"] = float(price["q50"].min())
            values[f"{path}_high"] = float(price["q50"].max())
    if cal is not None:
        values.update(
            slope=float(cal.slope),
            slope_low=float(cal.ci_low),
            slope_high=float(cal.ci_high),
            zero_inside=bool(cal.ci_low <= 0 <= cal.ci_high),
        )
    return values


def _power_values(q: pd.DataFrame, result: Any) -> dict[str, Any] | None:
    """The power scenario's last year: IOWN's saving and the demand without it."""
    saving = q.loc[q["output"] == "iown_saving_twh"]
    without = q.loc[q["output"] == "twh_no_iown"]
    if saving.empty or without.empty:
        return None
    last = saving.iloc[-1]
    base = without.loc[without["label"] == last["label"], "q50"]
    return {
        "year": str(last["label"]),
        "q50": float(last["q50"]),
        "q05": float(last["q05"]),
        "q95": float(last["q95"]),
        "share": float(last["q50"] / base.iloc[0]) if len(base) else np.nan,
        "without": float(base.iloc[0]) if len(base) else np.nan,
    }


def _compute_values(q: pd.DataFrame, result: Any) -> dict[str, Any] | None:
    """The compute-cost scenario's cost with its range, GPU hours and utilisation."""
    qq = q.set_index("output")
    if not {"cost_usd", "gpu_hours", "implied_mfu"} <= set(qq.index):
        return None
    return {
        "cost": value_at(qq, "cost_usd", "q50"),
        "cost_q05": value_at(qq, "cost_usd", "q05"),
        "cost_q95": value_at(qq, "cost_usd", "q95"),
        "hours": value_at(qq, "gpu_hours", "q50"),
        "mfu": value_at(qq, "implied_mfu", "q50"),
    }


#: Each scenario kind's finding rule and the function that reads its values.
_SCENARIO_FINDINGS: dict[str, tuple[str, Callable[[pd.DataFrame, Any], dict[str, Any] | None]]] = {
    "export_controls": ("scenario_export", _export_values),
    "power": ("scenario_power", _power_values),
    "compute_cost": ("scenario_compute", _compute_values),
}


# -- sentences ---------------------------------------------------------------------------------


def render_finding(f: Finding, loc: Locale, tables: ReportTables) -> str:
    """The finding as one sentence in ``loc``'s language.

    Parameters
    ----------
    f : Finding
        A finding of :func:`key_findings`.
    loc : Locale
        The language and its formats.
    tables : ReportTables
        The report's tables (for names, and the reason a forecast is missing).

    Returns
    -------
    str
        The sentence of the finding's rule (see :data:`_SENTENCES`).
    """
    sentence = _SENTENCES.get(f.rule)
    if sentence is None:  # pragma: no cover
        raise ValueError(f"no sentence for rule {f.rule!r}")
    return sentence(f.values, loc, tables)


def _headline_sentence(v: dict[str, Any], loc: Locale, tables: ReportTables) -> str:
    """Each index's move on the event's sessions, in one sentence."""
    parts = [
        loc.t(
            "findings.headline_item",
            session=loc.session(i["exchange"], i["session"]),
            index=tables.name(i["symbol"], loc.lang),
            verb=loc.t(f"findings.{'fell' if i['ret'] < 0 else 'rose'}"),
            pct=loc.pct(abs(i["ret"]), sign=False),
            points=loc.points(i["change"], i["symbol"]),
        )
        for i in v["items"]
    ]
    text = loc.t("findings.headline", items=loc.t("findings.sep").join(parts))
    return text[:1].upper() + text[1:]


def _significant_sentence(v: dict[str, Any], loc: Locale, tables: ReportTables) -> str:
    """Which baskets moved significantly over the key window, and which did not."""
    moved = [
        loc.t(
            "findings.basket_caar", basket=tables.name(g, loc.lang), caar=loc.pct(c), p=loc.pval(p)
        )
        for g, c, p in v["moved"]
    ]
    quiet = [
        loc.t("findings.basket_p", basket=tables.name(g, loc.lang), p=loc.pval(p))
        for g, _, p in v["not_moved"]
    ]
    key = "significant_all" if not quiet else "significant_none" if not moved else "significant"
    return loc.t(
        f"findings.{key}",
        window=prose.window_words(v["window"], loc),
        moved=loc.join(moved),
        quiet=loc.join(quiet),
    )


def _disagree_sentence(v: dict[str, Any], loc: Locale, tables: ReportTables) -> str:
    """Where the BMP and Kolari-Pynnönen tests disagree, and the cross-correlation behind it."""
    return loc.t(
        f"findings.{'disagree_kp' if v['kp_rejects'] else 'disagree'}",
        basket=tables.name(v["basket"], loc.lang),
        window=prose.window_words(v["window"], loc),
        bmp_p_value=loc.pval(v["bmp_p_value"]),
        kp_p_value=loc.pval(v["kp_p_value"]),
        rbar=loc.num(v["rbar"], 2),
    )


def _volume_sentence(v: dict[str, Any], loc: Locale, tables: ReportTables) -> str:
    """The basket that traded most above its normal volume on day 0."""
    return loc.t(
        "findings.volume",
        basket=tables.name(str(v["basket"]), loc.lang),
        session=loc.session(str(v["exchange"]), v["first_session"]),
        ratio=loc.num(v["ratio"], 2),
        value=loc.num(v["caar"], 3, sign=True),
        p=loc.pval(v["p_value"]),
    )


def _forecast_sentence(v: dict[str, Any], loc: Locale, tables: ReportTables) -> str:
    """How many actual moves fell inside the forecast intervals, and the worst miss."""
    worst_key = "forecast_worst_inside" if v["worst_inside"] else "forecast_worst_outside"
    every = v["inside"] == v["total"]
    return loc.t(
        f"findings.{'forecast_all' if every else 'forecast'}",
        ny=loc.session("XNYS", v["as_of"]),
        tk=loc.session("XTKS", v["target_session"]),
        inside=v["inside"],
        total=v["total"],
        level=f"{100 * v['level']:.0f}%",
        worst=loc.t(
            f"findings.{worst_key}",
            series=tables.name(v["worst"], loc.lang),
            actual=loc.pct(v["worst_actual"]),
            forecast=loc.pct(v["worst_forecast"]),
        ),
    )


def _forecast_missing_sentence(v: dict[str, Any], loc: Locale, tables: ReportTables) -> str:
    """Why no forecast of the target session could be made."""
    return loc.t(
        "findings.forecast_missing",
        tk=loc.session("XTKS", v["target_session"]),
        reason=forecast_reason(v, loc, tables),
    )


def _scanner_sentence(v: dict[str, Any], loc: Locale, tables: ReportTables) -> str:
    """Where the event's episode ranks among the scanner's episodes."""
    if v["rank"] is None:
        return loc.t(
            "findings.scanner_none",
            count=v["count"],
            start=loc.date(v["start"]),
            end=loc.date(v["end"]),
        )
    return loc.t(
        "findings.scanner",
        rank=v["rank"],
        ordinal=_ordinal(v["rank"], loc.lang),
        count=v["count"],
        start=loc.date(v["start"]),
        end=loc.date(v["end"]),
    )


def _scenario_export_sentence(v: dict[str, Any], loc: Locale, tables: ReportTables) -> str:
    """The export-controls scenario's range of revenue losses, prices and slope."""
    text = loc.t(
        "findings.export",
        low_firm=tables.name(v["low_firm"], loc.lang),
        low=loc.pct(v["low"], 1),
        high_firm=tables.name(v["high_firm"], loc.lang),
        high=loc.pct(v["high"], 1),
        q05=loc.pct(v["q05"], 1),
        q95=loc.pct(v["q95"], 1),
    )
    if "fundamental_low" in v and "market_low" in v:
        text += loc.t(
            "findings.export_price",
            f_low=loc.pct(v["fundamental_low"], 1),
            f_high=loc.pct(v["fundamental_high"], 1),
            m_low=loc.pct(v["market_low"], 1),
            m_high=loc.pct(v["market_high"], 1),
        )
    if "slope" in v:
        text += loc.t(
            f"findings.{'export_slope_zero' if v['zero_inside'] else 'export_slope'}",
            slope=loc.num(v["slope"], 3, sign=True),
            low=loc.num(v["slope_low"], 3, sign=True),
            high=loc.num(v["slope_high"], 3, sign=True),
        )
    return text


def _scenario_power_sentence(v: dict[str, Any], loc: Locale, tables: ReportTables) -> str:
    """The power scenario's demand in its last year, with and without the saving."""
    return loc.t(
        "findings.power",
        year=v["year"],
        q50=loc.num(v["q50"], 0),
        q05=loc.num(v["q05"], 0),
        q95=loc.num(v["q95"], 0),
        share=loc.pct(v["share"], 0, sign=False),
        without=loc.num(v["without"], 0),
    )


def _scenario_compute_sentence(v: dict[str, Any], loc: Locale, tables: ReportTables) -> str:
    """The compute-cost scenario's cost, GPU hours and utilisation."""
    spread = v["cost_q05"] < v["cost_q95"]  # an interval only when the cost is uncertain
    return loc.t(
        "findings.compute",
        cost=loc.usd(v["cost"])
        + (
            loc.t("findings.range", low=loc.usd(v["cost_q05"]), high=loc.usd(v["cost_q95"]))
            if spread
            else ""
        ),
        hours=loc.big(v["hours"]),
        mfu=loc.pct(v["mfu"], 1, sign=False),
    )


#: The sentence of each finding's rule.
_SENTENCES: dict[str, Callable[[dict[str, Any], Locale, ReportTables], str]] = {
    "headline": _headline_sentence,
    "significant": _significant_sentence,
    "disagree": _disagree_sentence,
    "volume": _volume_sentence,
    "forecast": _forecast_sentence,
    "forecast_missing": _forecast_missing_sentence,
    "scanner": _scanner_sentence,
    "scenario_export": _scenario_export_sentence,
    "scenario_power": _scenario_power_sentence,
    "scenario_compute": _scenario_compute_sentence,
}


def forecast_reason(problem: Mapping[str, Any], loc: Locale, tables: ReportTables) -> str:
    """Why no forecast was made, in ``loc``'s language."""
    kind = problem.get("kind", "other")
    code = str(problem.get("series", ""))
    series = tables.name(code, loc.lang)
    close = "）" if loc.lang == "ja" else ")"
    if series == code:
        named = code
    elif series.endswith(close):  # "ドル円（NY正午レート）" -> "ドル円（NY正午レート、DEXJPUS）"
        named = series[: -len(close)] + ("、" if loc.lang == "ja" else ", ") + code + close
    else:
        named = series + ("（" if loc.lang == "ja" else " (") + code + close
    if kind in ("missing_after", "missing_on", "history", "singular"):
        last = problem.get("last") or ""
        return loc.t(
            f"forecast_reason.{kind if last or kind != 'missing_after' else 'missing_all'}",
            series=series,
            named=named,
            day=loc.date(problem["day"]) if problem.get("day") else "",
            last=loc.date(last) if last else "",
            need=problem.get("need", 0),
            have=problem.get("have", 0),
        )
    return loc.t("forecast_reason.other")


def _ordinal(n: int, lang: str) -> str:
    if lang == "ja":
        return f"{n}位"
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"
