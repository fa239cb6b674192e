"""The DeepSeek report's export-control section (issue #14), in both languages: firms by name,
both price paths, the calibration verdict, the reaction tables and the sensitivity."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from ipposaki.report.content import report_tables
from ipposaki.report.export_controls import sensitivity

NAMES = {
    "en": (
        "Tokyo Electron",
        "Advantest",
        "SCREEN Holdings",
        "Kokusai Electric",
        "Disco",
        "Lasertec",
    ),
    "ja": (
        "東京エレクトロン",
        "アドバンテスト",
        "SCREENホールディングス",
        "KOKUSAI ELECTRIC（国際電気）",
        "ディスコ",
        "レーザーテック",
    ),
}


@pytest.fixture(scope="module")
def report(deepseek_demo: Any) -> dict[str, Any]:
    """The session's DeepSeek demo run (read only): its result and both reports."""
    return {"result": deepseek_demo.result, "out": deepseek_demo.out}


def _section(out: Path, lang: str) -> str:
    text = (out / f"report.{lang}.md").read_text(encoding="utf-8")
    start = text.index('<a id="scenario-export_controls"></a>')
    return text[start : text.index('<a id="scenario-power"></a>')]


def _table(section: str, first_header: str) -> list[list[str]]:
    """The Markdown table whose header row starts with ``first_header``."""
    lines = section.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"| {first_header} |"))
    rows = []
    for line in lines[start:]:
        if not line.startswith("|"):
            break
        rows.append([c.strip() for c in line.strip("|").split("|")])
    return [rows[0], *rows[2:]]


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_firm_table_has_names_and_both_price_paths(report: dict[str, Any], lang: str) -> None:
    section = _section(report["out"], lang)
    firm = "Firm" if lang == "en" else "企業"
    table = _table(section, firm)
    paths = ("Price: fundamental path", "Price: market path")
    if lang == "ja":
        paths = ("株価：ファンダメンタル経路", "株価：市場経路")
    assert set(paths) <= set(table[0])
    firms = [row[0] for row in table[1:]]
    assert set(NAMES[lang]) <= set(firms)
    assert not any(row[0].endswith(".T") for row in table[1:])  # names, never codes
    tel = next(row for row in table[1:] if row[0] == NAMES[lang][0])
    assert tel[1].startswith("44%")  # FACTS.md: FY Mar-2024, press
    guess = "guess" if lang == "en" else "推測"
    disco = next(row for row in table[1:] if row[0] == NAMES[lang][4])
    assert guess in disco[1]  # no sourced share: shown as a guess


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_reaction_tables_for_us_and_japanese_rules(report: dict[str, Any], lang: str) -> None:
    section = _section(report["out"], lang)
    heads = (
        ("Reactions to past US export-control announcements", "Reactions to Japan's own")
        if lang == "en"
        else ("過去の米国の輸出規制発表への反応", "日本独自の輸出規制発表への反応")
    )
    for head in heads:
        assert head in section
    firm = "Firm" if lang == "en" else "企業"
    tables = [t for t in section.split("\n\n") if t.startswith(f"| {firm} |")]
    assert len(tables) == 3  # firms, US rules, Japanese rules
    us = _table(tables[1], firm)
    assert us[0][1] == ("7 Oct 2022" if lang == "en" else "2022年10月7日")
    tel = next(row for row in us[1:] if row[0] == NAMES[lang][0])
    assert tel[1].startswith("−6.8%")  # CAR(0:1) from Tokyo's 2022-10-11
    kokusai = next(row for row in us[1:] if row[0] == NAMES[lang][3])
    assert kokusai[1] == "–"  # listed in October 2023
    verdict = (
        "uses each firm's own average reaction"
        if lang == "en"
        else "各社自身の平均的な反応を用いた"
    )
    assert verdict in section
    assert (report["out"] / f"chart-export-export_controls.{lang}.png").is_file()


def test_report_csvs_behind_the_section(report: dict[str, Any]) -> None:
    out = report["out"]
    reactions = pd.read_csv(out / "report_scenario_export_controls_reactions.csv")
    tel = reactions.query("event_id == 'us_ec_2022_10_07' and symbol == '8035.T'").iloc[0]
    assert tel["day0"] == "2022-10-11"
    calibration = pd.read_csv(out / "report_scenario_export_controls_calibration.csv")
    assert set(calibration["cov_type"]) == {"CR2", "CR1"}
    sens = pd.read_csv(out / "report_scenario_export_controls_sensitivity.csv")
    assert set(sens["kind"]) >= {"severity", "at_risk", "reaction"}
    run = next(r for r in report["result"].scenarios if r.kind == "export_controls")
    by_hand = run.result.sobol.query("output == 'price_impact_market'")
    by_hand = by_hand.loc[by_hand["input"].str.startswith("reaction:"), "s1"].mean()
    table = sensitivity(run.result).set_index("kind")
    assert table.loc["reaction", "price_impact_market"] == pytest.approx(by_hand, rel=1e-12)


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_nikkei_points_when_weights_are_given(lang: str) -> None:
    from types import SimpleNamespace

    from ipposaki.report import load_locale
    from ipposaki.report.document import Para
    from ipposaki.report.export_controls import export_blocks
    from ipposaki.scenario import export_controls
    from ipposaki.shock.result import ScenarioRun

    doc = {
        "scenario": {"firms": ["8035.T"], "draws": 200, "seed": 1},
        "inputs": {
            "severity": 2.0,
            "duration_years": 3,
            "valuation_years": 15,
            "at_risk": 0.2,
            "operating_leverage": 2.0,
        },
        "firms": {"8035.T": {"reaction": -0.03}},
        "nikkei": {"level": 40000.0, "weights": {"8035.T": 0.1}, "source": "test weights"},
    }
    run = ScenarioRun("export_controls", Path("ec.toml"), export_controls(doc))
    tables = SimpleNamespace(name=lambda symbol, lang: symbol)
    blocks = export_blocks(run, tables, load_locale(lang), {})
    text = " ".join(b.text for b in blocks if isinstance(b, Para))
    # 40,000 x 0.1 x -0.0704 = -281.6 points; 40,000 x 0.1 x -0.06 = -240 points.
    assert "−282" in text and "−240" in text and "test weights" in text
    name = "Tokyo Electron" if lang == "en" else "東京エレクトロン"
    assert any(getattr(b, "rows", None) and b.rows[0][0].text == name for b in blocks)


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_key_finding_gives_both_price_paths(report: dict[str, Any], lang: str) -> None:
    from ipposaki.report import load_locale
    from ipposaki.report.findings import key_findings, render_finding

    tables = report_tables(report["result"])
    found = [f for f in key_findings(tables) if f.rule == "scenario_export"]
    assert len(found) == 1
    v = found[0].values
    run = next(r for r in report["result"].scenarios if r.kind == "export_controls")
    q = run.result.quantiles
    fundamental = q.loc[q["output"] == "price_impact_fundamental", "q50"]
    assert v["fundamental_low"] == fundamental.min() and v["fundamental_high"] == fundamental.max()
    text = render_finding(found[0], load_locale(lang), tables)
    words = (
        ("fundamental path", "market path")
        if lang == "en"
        else ("ファンダメンタル経路", "市場経路")
    )
    assert all(w in text for w in words)
    assert ("own average reaction" if lang == "en" else "各社自身の平均的な反応") in text
