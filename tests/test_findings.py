"""The key-finding rules (ipposaki.report.findings) on small hand-made tables: each rule says
what its numbers support and nothing else."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd
import pytest

from ipposaki.report.content import ReportTables
from ipposaki.report.findings import MAX_SENTENCES, key_findings, render_finding
from ipposaki.report.locale import load_locale
from ipposaki.shock.result import ForecastOutcome, ScanOutcome, ScenarioRun

NAMES = {
    "chips": ("US chips", "米半導体"),
    "tools": ("Japanese tools", "日本の装置"),
    "wires": ("Japanese wires", "日本の電線"),
    "^N225": ("Nikkei 225", "日経平均株価"),
    "^IXIC": ("Nasdaq Composite", "ナスダック総合指数"),
    "8035.T": ("Tokyo Electron", "東京エレクトロン"),
    "ASML": ("ASML", "ASML"),
}


def _study(rows: list[tuple[str, str, float, float, float, float]]) -> pd.DataFrame:
    """(basket, window, caar, bmp_p_value, kp_p_value, rbar) rows as the report's study table."""
    frame = pd.DataFrame(
        rows, columns=["basket", "window", "caar", "bmp_p_value", "kp_p_value", "rbar"]
    )
    return frame.assign(exchange="XNYS", nobs=5, ci_low=np.nan, ci_high=np.nan, rank_p_value=0.5)


def tables(
    study: pd.DataFrame | None = None,
    indices: pd.DataFrame | None = None,
    forecast: ForecastOutcome | None = None,
    scan: ScanOutcome | None = None,
    scenarios: tuple[Any, ...] = (),
) -> ReportTables:
    empty = pd.DataFrame()
    return ReportTables(
        shock=None,  # type: ignore[arg-type]  # the rules read only the tables below
        timeline=empty,
        indices=indices if indices is not None else pd.DataFrame(),
        fx=empty,
        movers=empty,
        baskets=empty,
        study=study if study is not None else _study([]),
        paths=empty,
        ar=empty,
        excluded=empty,
        params={},
        forecast=forecast or ForecastOutcome("2025-01-27", "2025-01-28", empty, {}),
        scan=scan or ScanOutcome("2024-06-01", "2025-03-31", empty),
        scenarios=scenarios,
        windows=("0:0", "0:1"),
        names=NAMES,
    )


def sentences(t: ReportTables, lang: str = "en") -> dict[str, str]:
    loc = load_locale(lang)
    return {f.rule: render_finding(f, loc, t) for f in key_findings(t)}


def test_significance_by_kolari_pynnonen_on_the_first_window() -> None:
    study = _study(
        [
            ("chips", "0:0", -0.10, 0.002, 0.039, 0.10),
            ("tools", "0:0", -0.048, 0.004, 0.113, 0.35),
            ("wires", "0:0", -0.093, 0.001, 0.002, 0.05),
            ("wires", "0:1", -0.16, 0.001, 0.30, 0.05),  # another window: not read
        ]
    )
    out = sentences(tables(study))
    text = out["significant"]
    assert "Over day 0" in text
    assert (
        "US chips (−10.00%, p 0.039) and Japanese wires (−9.30%, p 0.002) had a significant abnormal return"
        in text
    )
    assert "Japanese tools (p 0.113) did not" in text
    # BMP says yes, KP says no: the move is not established, and why.
    assert (
        "For Japanese tools, BMP finds a significant CAAR over day 0 (p 0.004)" in out["disagree"]
    )
    assert "average cross-correlation 0.35" in out["disagree"]
    assert "not established" in out["disagree"]
    ja = sentences(tables(study), "ja")
    assert (
        "米半導体（−10.00%、p値0.039）、日本の電線（−9.30%、p値0.002）は5%水準で有意"
        in ja["significant"]
    )
    assert "日本の装置（p値0.113）は有意ではなかった" in ja["significant"]


def test_no_basket_significant_and_no_disagreement() -> None:
    study = _study([("chips", "0:0", -0.01, 0.40, 0.60, 0.1)])
    out = sentences(tables(study))
    assert out["significant"].startswith("Over day 0") and "no basket had" in out["significant"]
    assert out["significant"].endswith("US chips (p 0.600).")
    assert "disagree" not in out


def test_kp_rejects_where_bmp_does_not() -> None:
    study = _study([("chips", "0:0", -0.05, 0.08, 0.03, -0.05)])
    text = sentences(tables(study))["disagree"]
    assert "Kolari–Pynnönen finds a significant CAAR" in text and "not established" not in text


def test_headline_names_the_largest_index_move_per_session() -> None:
    indices = pd.DataFrame(
        {
            "exchange": ["XTKS", "XNYS", "XNYS"],
            "session": ["2025-01-28", "2025-01-27", "2025-01-27"],
            "symbol": ["^N225", "^IXIC", "^GSPC"],
            "ret": [-0.0139, -0.0307, -0.0146],
            "change": [-548.93, -612.47, -88.96],
        }
    )
    en = sentences(tables(indices=indices))["headline"]
    assert en == (
        "On Tokyo 28 Jan 2025 the Nikkei 225 fell 1.39% (−548.93 points); on New York "
        "27 Jan 2025 the Nasdaq Composite fell 3.07% (−612.47 points)."
    )
    ja = sentences(tables(indices=indices), "ja")["headline"]
    assert ja.startswith("東証 2025年1月28日は日経平均株価が1.39%下落（−548.93円）")


def _forecast(actual: float) -> ForecastOutcome:
    table = pd.DataFrame(
        {
            "target": ["^N225", "wires"],
            "forecast": [-0.023, -0.0366],
            "lower": [-0.0485, -0.0828],
            "upper": [0.0026, 0.0096],
            "level": [0.9, 0.9],
            "actual": [-0.0139, actual],
        }
    )
    return ForecastOutcome("2025-01-27", "2025-01-28", table)


def test_forecast_inside_and_outside_its_interval() -> None:
    inside = sentences(tables(forecast=_forecast(-0.0624)))["forecast"]
    assert "all 2 Tokyo series moved inside their 90% prediction intervals" in inside
    assert "Japanese wires, −6.24% against a forecast of −3.66%, still inside" in inside
    outside = sentences(tables(forecast=_forecast(-0.10)))["forecast"]
    assert "1 of 2" in outside and "Japanese wires moved −10.00%" in outside
    assert "outside its interval" in outside


def test_forecast_that_could_not_be_made() -> None:
    problem = {"kind": "missing_after", "series": "^IXIC", "day": "2025-10-06"}
    problem |= {"last": "2025-09-26", "message": "no ^IXIC after 2025-09-26"}
    fc = ForecastOutcome("2025-10-06", "2025-10-07", pd.DataFrame(), problem)
    text = sentences(tables(forecast=fc))["forecast_missing"]
    assert text == (
        "No forecast could be made for Tokyo 7 Oct 2025: the store holds no Nasdaq Composite "
        "(^IXIC) after 26 Sep 2025, and the model needs New York's 6 Oct 2025 value."
    )
    ja = sentences(tables(forecast=fc), "ja")["forecast_missing"]
    assert "2025年9月26日より後のナスダック総合指数（^IXIC）がなく" in ja


def test_scanner_rank_or_none() -> None:
    ranked = ScanOutcome("2024-06-01", "2025-03-31", pd.DataFrame(), count=55, rank=1)
    assert "ranks this episode 1st of 55" in sentences(tables(scan=ranked))["scanner"]
    missed = ScanOutcome("2024-06-01", "2025-03-31", pd.DataFrame(), count=55, rank=None)
    assert "did not flag" in sentences(tables(scan=missed))["scanner"]
    failed = ScanOutcome("2024-06-01", "2025-03-31", pd.DataFrame(), note="no data")
    assert "scanner" not in sentences(tables(scan=failed))


def _run(kind: str, quantiles: pd.DataFrame, **extra: Any) -> ScenarioRun:
    result = SimpleNamespace(quantiles=quantiles, extra=extra)
    return ScenarioRun(kind, Path(f"{kind}.toml"), result)  # type: ignore[arg-type]


def test_scenario_headlines_with_their_intervals() -> None:
    firms = pd.DataFrame(
        {
            "output": "op_profit_impact",
            "label": ["8035.T", "ASML"],
            "q05": [-0.537, -0.321],
            "q50": [-0.296, -0.177],
            "q95": [-0.141, -0.084],
        }
    )
    cal = SimpleNamespace(slope=-0.014, ci_low=-0.175, ci_high=0.146)
    power = pd.DataFrame(
        {
            "output": ["iown_saving_twh", "twh_no_iown"],
            "label": ["2035", "2035"],
            "q05": [34.0, 900.0],
            "q50": [78.0, 1140.0],
            "q95": [158.0, 1500.0],
        }
    )
    runs = (_run("export_controls", firms, calibration=cal), _run("power", power))
    out = sentences(tables(scenarios=runs))
    assert "from −29.6% (Tokyo Electron) to −17.7% (ASML)" in out["scenario_export"]
    assert "from −53.7% to −8.4%" in out["scenario_export"]
    assert "indistinguishable from zero" in out["scenario_export"]
    assert out["scenario_power"] == (
        "In 2035, IOWN saves a median 78 TWh of data-centre electricity (5–95%: 34 to 158 TWh), "
        "7% of the 1,140 TWh used without it."
    )
    sure = _run(
        "export_controls", firms, calibration=SimpleNamespace(slope=-0.2, ci_low=-0.3, ci_high=-0.1)
    )
    text = sentences(tables(scenarios=(sure,)))["scenario_export"]
    assert "indistinguishable" not in text and "−0.200 (95% interval −0.300 to −0.100)" in text


def test_at_most_eight_sentences() -> None:
    study = _study([(f"b{i}", "0:0", -0.1, 0.01, 0.2, 0.3) for i in range(12)])
    assert len(key_findings(tables(study))) == MAX_SENTENCES


def test_disagreements_give_way_to_scenarios() -> None:
    """Twelve disagreeing baskets and a scenario: the scenario keeps its sentence."""
    study = _study([(f"b{i}", "0:0", -0.1, 0.01, 0.2, 0.3) for i in range(12)])
    power = pd.DataFrame(
        {
            "output": ["iown_saving_twh", "twh_no_iown"],
            "label": ["2035", "2035"],
            "q05": [34.0, 900.0],
            "q50": [78.0, 1140.0],
            "q95": [158.0, 1500.0],
        }
    )
    found = key_findings(tables(study, scenarios=(_run("power", power),)))
    assert len(found) == MAX_SENTENCES
    assert found[-1].rule == "scenario_power"
    assert sum(f.rule == "disagree" for f in found) >= 1


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_every_rule_renders_in_both_languages(lang: str) -> None:
    study = _study([("chips", "0:0", -0.1, 0.002, 0.2, 0.3)])
    assert all(sentences(tables(study, forecast=_forecast(-0.05)), lang).values())


def test_compute_cost_interval_only_when_uncertain() -> None:
    def run(q05: float, q95: float) -> ScenarioRun:
        q = pd.DataFrame(
            {
                "output": ["cost_usd", "gpu_hours", "implied_mfu"],
                "label": "",
                "q05": [q05, 2.788e6, 0.331],
                "q50": [5.576e6, 2.788e6, 0.331],
                "q95": [q95, 2.788e6, 0.331],
            }
        )
        return _run("compute_cost", q)

    fixed = sentences(tables(scenarios=(run(5.576e6, 5.576e6),)), "ja")["scenario_compute"]
    assert (
        fixed
        == "計算量の検証：278.8万GPU時間の費用は約558万ドルで、モデルFLOP利用率は33.1%となる。"
    )
    spread = sentences(tables(scenarios=(run(4e6, 7e6),)))["scenario_compute"]
    assert "cost about $5.58 million (5–95%: $4 million to $7 million)" in spread
