"""The bilingual report: its files, its locale files, and a real headless Chromium opening it."""

from __future__ import annotations

import dataclasses
import shutil
import tomllib
from pathlib import Path
from typing import Any

import pytest

from ipposaki.report import load_locale, write_report
from ipposaki.report.content import report_tables

REPO = Path(__file__).resolve().parents[1]
ARTIFACTS = REPO / "test-artifacts"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHARTS = (
    "chart-falls",
    "chart-study",
    "chart-heatmap",
    "chart-forecast",
    "chart-export",
    "chart-calibration",
    "chart-power",
)


@pytest.fixture(scope="module")
def demo(shared_prices: Path, tmp_path_factory: pytest.TempPathFactory) -> Any:
    from ipposaki.demo import run_demo
    from ipposaki.store import Store

    out = tmp_path_factory.mktemp("report")
    result = run_demo(
        out, data=shared_prices, store=Store(out / "store.duckdb"), log=lambda _: None
    )
    tables = report_tables(result)
    for lang in ("en", "ja"):
        write_report(result, lang, tables=tables)
    return result


def _keys(node: dict[str, Any], prefix: str = "") -> set[str]:
    out = set()
    for key, value in node.items():
        name = f"{prefix}{key}"
        out |= _keys(value, f"{name}.") if isinstance(value, dict) else {name}
    return out


def test_locale_files_hold_the_same_keys() -> None:
    folder = REPO / "src" / "ipposaki" / "report" / "locales"
    en = tomllib.loads((folder / "en.toml").read_text(encoding="utf-8"))
    ja = tomllib.loads((folder / "ja.toml").read_text(encoding="utf-8"))
    assert _keys(en) == _keys(ja)


def test_numbers_and_dates_per_locale() -> None:
    en, ja = load_locale("en"), load_locale("ja")
    assert en.pct(-0.169681) == ja.pct(-0.169681) == "\u221216.97%"
    assert en.date("2025-01-28") == "28 Jan 2025"
    assert ja.date("2025-01-28") == "2025年01月28日"


def test_report_files_and_tables(demo: Any) -> None:
    out = demo.out
    for lang in ("en", "ja"):
        for name in (f"report.{lang}.html", f"report.{lang}.md"):
            assert (out / name).stat().st_size > 0
        for chart in CHARTS:
            assert (out / f"{chart}.{lang}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    html = (out / "report.en.html").read_text(encoding="utf-8")
    assert "<script src" not in html and "<link" not in html  # plotly.js is inlined
    md = (out / "report.ja.md").read_text(encoding="utf-8")
    assert "日経平均株価" in md and "\u22121.39%" in md and "\u221216.97%" in md
    for csv in ("report_indices.csv", "report_falls.csv", "report_study.csv", "report_ar.csv"):
        assert csv in md and (out / csv).is_file()


def _open(page_url: str, shot: Path) -> dict[str, Any]:
    """Open a file:// page in headless Chromium; return errors, requests, dialogs and chart data."""
    from playwright.sync_api import sync_playwright

    seen: dict[str, Any] = {"errors": [], "requests": [], "dialogs": []}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        page.on("console", lambda m: m.type == "error" and seen["errors"].append(m.text))
        page.on("pageerror", lambda e: seen["errors"].append(str(e)))
        page.on("request", lambda r: seen["requests"].append(r.url))
        page.on("dialog", lambda d: (seen["dialogs"].append(d.message), d.dismiss()))
        page.goto(page_url)
        page.wait_for_function("() => document.querySelectorAll('.js-plotly-plot').length >= 7")
        seen["points"] = {
            # calcdata: what plotly drew, one entry per bar / heatmap; 0 for an empty chart
            chart: page.evaluate(
                f"() => document.getElementById('{chart}').calcdata"
                ".reduce((n, t) => n + t.length, 0)"
            )
            for chart in CHARTS
        }
        seen["headline"] = page.inner_text("#headline")
        seen["text"] = page.inner_text("body")
        shot.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(shot), full_page=True)
        browser.close()
    return seen


@pytest.fixture(scope="module")
def chromium() -> str:
    pytest.importorskip("playwright")
    if not Path(CHROMIUM).is_file():
        pytest.skip("Debian's chromium is not installed (make system-deps installs it)")
    return CHROMIUM


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_report_in_headless_chromium(demo: Any, chromium: str, lang: str) -> None:
    page = demo.out / f"report.{lang}.html"
    seen = _open(page.as_uri(), ARTIFACTS / f"report.{lang}.png")
    assert seen["errors"] == []
    assert [u for u in seen["requests"] if not u.startswith(("file:", "data:"))] == []
    assert all(n > 0 for n in seen["points"].values()), seen["points"]
    headline = seen["headline"]
    assert "NVDA" in headline and "\u221216.97%" in headline  # Nvidia on 2025-01-27
    assert "^N225" in headline and "\u22121.39%" in headline  # Nikkei 225 on 2025-01-28
    if lang == "ja":
        assert "ヘッドライン" in headline and "エヌビディア" in headline
    # Tokyo 01-28 forecast from New York's close (docs/deepseek.md, issue #4), and the scan
    text = seen["text"]
    assert "\u22122.30%" in text and "[\u22124.85%, +0.26%]" in text
    assert "XTKS 01-27, XNYS 01-27, XTKS 01-28" in text and "deepseek_shock" in text
    # 2.788M GPU-hours x $2; 6 x 37e9 x 14.8e12 FLOP / (2.788e6 h x 3600 s x 989.4e12 FLOP/s)
    assert "$5.576M" in text and "33.1%" in text


def test_another_shock_in_headless_chromium(demo: Any, chromium: str, tmp_path: Path) -> None:
    """The report of examples/carry_unwind.toml (2024-08-05) on the same real prices."""
    from ipposaki.demo import run_demo
    from ipposaki.store import Store
    from ipposaki.study.spec import load_spec

    carry = run_demo(
        tmp_path,
        store=Store(demo.manifest["store"]),  # the real prices the demo imported
        log=lambda _: None,
        spec=load_spec(REPO / "examples" / "carry_unwind.toml"),
    )
    files = write_report(carry, "ja")
    seen = _open(files.html.as_uri(), ARTIFACTS / "report.carry_unwind.ja.png")
    assert seen["errors"] == []
    assert [u for u in seen["requests"] if not u.startswith(("file:", "data:"))] == []
    assert all(n > 0 for n in seen["points"].values()), seen["points"]
    # Nikkei 225: 35,909.70 -> 31,458.42 (-12.40%) on 2024-08-05, then 34,675.46 (+10.23%)
    assert "\u221212.40%" in seen["headline"] and "+10.23%" in seen["headline"]
    assert "円キャリー取引の巻き戻し（2024年8月5日）" in seen["text"]
    assert "2024年08月06日" in seen["text"]  # Tokyo's first session after New York's close


def test_user_strings_are_escaped(demo: Any, chromium: str, tmp_path: Path) -> None:
    attack = "<script>alert(1)</script>"
    falls = demo.headline.copy()
    falls.loc[0, "name"] = attack
    falls.loc[1, "symbol"] = "<img src=x onerror=alert(2)>"
    spec = dataclasses.replace(demo.spec, title=attack)  # a spec's title is user input too
    evil = dataclasses.replace(demo, source=attack, headline=falls, spec=spec)
    files = write_report(evil, "en", tmp_path)
    seen = _open(files.html.as_uri(), ARTIFACTS / "report.escaped.png")
    assert seen["dialogs"] == []
    assert attack in seen["text"]  # shown as text, not run
    assert f"{attack}: what moved, where it spread" in seen["text"]
    assert seen["errors"] == []


@pytest.mark.parametrize("name", ["export_controls", "power", "compute_cost"])
def test_shipped_scenario_specs_are_the_example_files(name: str) -> None:
    shipped = REPO / "src" / "ipposaki" / "data" / "scenarios" / f"{name}.toml"
    assert shipped.read_bytes() == (REPO / "examples" / f"{name}.toml").read_bytes()


def test_cli_report_spec(
    shared_prices: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The DeepSeek spec in one language, another shock's spec (the 2024-08-05 yen carry-trade
    unwind) with --json, and specs the report refuses."""
    import json

    from ipposaki.cli.main import run

    store = ["--store", str(tmp_path / "s.duckdb"), "--data", str(shared_prices)]
    out = tmp_path / "out"
    spec = str(REPO / "examples" / "deepseek.toml")
    assert run(["report", spec, "--lang", "ja", "--out", str(out), *store]) == 0
    assert (out / "report.ja.html").is_file() and not (out / "report.en.html").exists()
    assert "# DeepSeekショック（2025年1月27日）：" in (out / "report.ja.md").read_text("utf-8")

    carry = tmp_path / "carry"
    capsys.readouterr()
    argv = ["--json", "report", str(REPO / "examples" / "carry_unwind.toml"), "--out", str(carry)]
    assert run([*argv, *store]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert [(s["exchange"], s["day"], s["role"]) for s in doc["sessions"]] == [
        ("XTKS", "2024-08-05", "day0"),
        ("XNYS", "2024-08-05", "day0"),
        ("XTKS", "2024-08-06", "next"),
    ]
    n225 = {r["session"]: r["ret"] for r in doc["headline"] if r["symbol"] == "^N225"}
    # Published closes (Nikkei Inc.): 35,909.70 on 08-02, 31,458.42 on 08-05 (-4,451.28,
    # -12.4%), 34,675.46 on 08-06 (+3,217.04, +10.2%).
    assert n225["2024-08-05"] == pytest.approx(31458.42 / 35909.70 - 1, abs=5e-5)
    assert n225["2024-08-06"] == pytest.approx(34675.46 / 31458.42 - 1, abs=5e-5)
    assert {r["lang"] for r in doc["reports"]} == {"en", "ja"}
    md = (carry / "report.en.md").read_text("utf-8")
    assert md.startswith("# Yen carry-trade unwind, 2024-08-05: what moved, where it spread")
    assert "Tokyo's 06 Aug 2024 session was the first to open after New York's 05 Aug 2024" in md
    assert "| XTKS 05 Aug 2024 | ^N225 | Nikkei 225 | −12.40% |" in md
    ja = (carry / "report.ja.md").read_text("utf-8")
    assert ja.startswith("# 円キャリー取引の巻き戻し（2024年8月5日）：")

    two = tmp_path / "two.toml"
    two.write_text(
        '[[events]]\nid = "a"\ndate = "2024-08-05"\nbaskets = ["us_ai_chips"]\n'
        '[[events]]\nid = "b"\ndate = "2025-01-27"\nbaskets = ["us_ai_chips"]\n'
    )
    capsys.readouterr()
    assert run(["report", str(two), "--out", str(tmp_path / "o2"), *store]) == 2
    err = capsys.readouterr().err
    assert "event 'b'" in err and "a report covers one shock" in err
    assert not (tmp_path / "o2").exists()  # refused before any work
    assert run(["report", spec, "--lang", "fr", "--out", str(tmp_path / "o3"), *store]) == 2
