"""The report's abnormal-volume panel (issue #17): the pipeline's volume study, checked by hand
from the raw CSV, the section and chart in both languages, its absence without volume, and its
key finding."""

from __future__ import annotations

import dataclasses
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ipposaki.report import write_report
from ipposaki.report.content import report_tables
from ipposaki.report.figures import chart_ids
from ipposaki.report.findings import key_findings, render_finding
from ipposaki.report.locale import load_locale

#: The members of ``us_ai_chips`` (src/ipposaki/instruments data), written out.
US_AI_CHIPS = ("NVDA", "AVGO", "AMD", "TSM", "ARM", "MU", "MRVL")


def _hand_abnormal_log_volume(prices: Path, symbols: tuple[str, ...], day: str) -> dict[str, float]:
    """Each symbol's ln(1 + V) on ``day`` less its mean over sessions −250 to −11 (XNYS
    sessions from exchange_calendars; a session without a volume is dropped, never filled; a
    symbol with fewer than the spec's 100 valid sessions is left out), from the raw CSV."""
    import exchange_calendars as xcals

    raw = pd.read_csv(prices / "daily.csv", usecols=["date", "symbol", "volume"])
    raw = raw.loc[raw["symbol"].isin(symbols)]
    with warnings.catch_warnings():  # exchange_calendars' own pandas deprecation warning
        warnings.simplefilter("ignore")
        grid = xcals.get_calendar("XNYS").sessions_in_range("2023-01-01", "2025-03-31")
    grid = pd.DatetimeIndex(grid).tz_localize(None)
    pos = grid.get_loc(pd.Timestamp(day))
    estimation = grid[pos - 250 : pos - 10]  # relative days −250 ... −11
    assert len(estimation) == 240
    out = {}
    for symbol, rows in raw.groupby("symbol"):
        volume = rows.set_index(pd.to_datetime(rows["date"]))["volume"].astype(float)
        logv = np.log1p(volume)
        normal = logv.reindex(estimation).dropna()
        if len(normal) < 100 or pd.isna(logv.get(pd.Timestamp(day))):
            continue
        out[str(symbol)] = float(logv[pd.Timestamp(day)] - normal.mean())
    return out


def test_basket_abnormal_volume_equals_a_hand_computation(
    deepseek_demo: Any, shared_prices: Path
) -> None:
    hand = _hand_abnormal_log_volume(shared_prices, US_AI_CHIPS, "2025-01-27")
    assert round(hand["NVDA"], 4) == 0.8910  # docs/measures.md: 818.8M shares against 335.9M
    vol = deepseek_demo.result.volume
    row = vol.loc[(vol["basket"] == "us_ai_chips") & (vol["window"] == "0:0")].iloc[0]
    assert row["exchange"] == "XNYS" and row["first_session"] == "2025-01-27"
    assert row["nobs"] == len(hand) == 4 and row["n_members"] == len(US_AI_CHIPS)
    expected = float(np.mean(list(hand.values())))
    assert abs(row["caar"] - expected) < 1e-6, (row["caar"], expected)
    assert abs(row["ratio"] - np.exp(expected)) < 1e-6
    assert row["test"] == "kolari_pynnonen" and 0 < row["p_value"] < 1
    # 0:1 is the sum of day 0 and day +1
    part = vol.loc[(vol["exchange"] == "XNYS") & (vol["basket"] == "us_ai_chips")]
    by = part.set_index("window")["caar"]
    assert abs(by["0:1"] - by["0:0"] - by["1:1"]) < 1e-12
    assert set(vol["basket"]) == set(deepseek_demo.result.spec.events[0].baskets)


def test_volume_section_and_chart_in_both_languages(deepseek_demo: Any) -> None:
    out, tables = deepseek_demo.out, deepseek_demo.tables
    assert "chart-volume" in chart_ids(tables)
    assert (out / "report_volume.csv").is_file()
    titles = {"en": "Abnormal trading volume", "ja": "異常出来高"}
    for lang, title in titles.items():
        page = (out / f"report.{lang}.html").read_text(encoding="utf-8")
        md = (out / f"report.{lang}.md").read_text(encoding="utf-8")
        for text in (page, md):
            assert 'id="volume"' in text and title in text and "Campbell" in text
        assert 'id="table-volume"' in page and 'id="chart-volume"' in page
        assert page.count('"chart-volume"') >= 2  # the chart's element and its plotly figure
        assert (out / f"chart-volume.{lang}.png").read_bytes()[:4] == b"\x89PNG"
        section = md.split('<a id="volume"></a>')[1].split('<a id="heatmap"></a>')[0]
        assert md.index('<a id="study"></a>') < md.index('<a id="volume"></a>')
        assert ("2.28× normal" if lang == "en" else "平常の2.28倍") in section  # US AI chips, day 0
        assert "4/7" in section


def test_volume_section_is_omitted_without_volume(deepseek_demo: Any, tmp_path: Path) -> None:
    empty = deepseek_demo.result.volume.iloc[0:0]
    result = dataclasses.replace(deepseek_demo.result, volume=empty)
    tables = report_tables(result)
    assert "chart-volume" not in chart_ids(tables)
    assert all(f.rule != "volume" for f in key_findings(tables))
    for lang in ("en", "ja"):
        write_report(result, lang, tmp_path, tables=tables)
        page = (tmp_path / f"report.{lang}.html").read_text(encoding="utf-8")
        md = (tmp_path / f"report.{lang}.md").read_text(encoding="utf-8")
        for text in (page, md):
            assert 'id="volume"' not in text and "chart-volume" not in text
        assert "## 4. " + ("Abnormal returns" if lang == "en" else "銘柄別") in md
    assert not (tmp_path / "report_volume.csv").exists()
    assert not list(tmp_path.glob("chart-volume.*"))


def test_volume_finding_names_the_largest_significant_basket(deepseek_demo: Any) -> None:
    """With room among the eight sentences (no scenarios), the rule writes one sentence: the
    basket with the largest day-0 abnormal volume, when its p-value is below 5%."""
    tables = dataclasses.replace(deepseek_demo.tables, scenarios=())
    found = [f for f in key_findings(tables) if f.rule == "volume"]
    assert len(found) == 1 and found[0].anchor == "volume"
    vol = tables.volume
    day0 = vol.loc[vol["window"] == "0:0"]
    top = day0.loc[day0["caar"].idxmax()]
    assert found[0].values["basket"] == top["basket"] == "us_power"
    assert top["p_value"] < 0.05
    en = render_finding(found[0], load_locale("en"), tables)
    assert "US power and grid" in en and "3.76 times" in en and "p 0.028" in en
    ja = render_finding(found[0], load_locale("ja"), tables)
    assert "米電力・電力設備" in ja and "平常の3.76倍" in ja
    quiet = dataclasses.replace(tables, volume=vol.assign(p_value=0.5))
    assert all(f.rule != "volume" for f in key_findings(quiet))
