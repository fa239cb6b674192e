"""The bilingual report of three shocks (DeepSeek 2025-01-27, the yen carry-trade unwind
2024-08-05, the US export controls of 2022-10-07): files, facts, key findings, natural Japanese,
escaping, and a real headless Chromium opening all six editions.

The three results and reports are built once per module on the session's shared store; the
DeepSeek one is the session's demo run (``deepseek_demo`` in conftest.py).
"""

from __future__ import annotations

import dataclasses
import html
import re
import shutil
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from ipposaki.report import load_locale, write_report
from ipposaki.report.content import report_tables
from ipposaki.report.figures import chart_ids

REPO = Path(__file__).resolve().parents[1]
ARTIFACTS = REPO / "test-artifacts"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SPECS = ("deepseek", "carry_unwind", "export_controls_2022")
MINUS = "\u2212"


@pytest.fixture(scope="module")
def built(
    deepseek_demo: Any, shared_store: Any, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Any]:
    """Each spec's ShockResult and its reports in both languages, in its own folder (the
    DeepSeek spec's are the session's demo run: read only)."""
    from ipposaki.shock import run_shock
    from ipposaki.study.spec import load_spec

    demo = deepseek_demo
    out = {"deepseek": {"result": demo.result, "tables": demo.tables, "out": demo.out}}
    for name in SPECS[1:]:
        result = run_shock(load_spec(REPO / "examples" / f"{name}.toml"), shared_store)
        folder = tmp_path_factory.mktemp(name)
        tables = report_tables(result)
        for lang in ("en", "ja"):
            write_report(result, lang, folder, tables=tables)
        out[name] = {"result": result, "tables": tables, "out": folder}
    return out


def _md(built: dict[str, Any], name: str, lang: str) -> str:
    return (built[name]["out"] / f"report.{lang}.md").read_text(encoding="utf-8")


def _keys(node: dict[str, Any], prefix: str = "") -> set[str]:
    out = set()
    for key, value in node.items():
        name = f"{prefix}{key}"
        out |= _keys(value, f"{name}.") if isinstance(value, dict) else {name}
    return out


# -- locales -----------------------------------------------------------------------------------


def test_locale_files_hold_the_same_keys_and_use_the_glossary() -> None:
    folder = REPO / "src" / "ipposaki" / "report" / "locales"
    texts = {lang: (folder / f"{lang}.toml").read_text(encoding="utf-8") for lang in ("en", "ja")}
    en, ja = (tomllib.loads(t) for t in texts.values())
    assert _keys(en) == _keys(ja)
    glossary = tomllib.loads((folder / "glossary.toml").read_text(encoding="utf-8"))
    body = "\n".join(ln for t in texts.values() for ln in t.splitlines() if not ln.startswith("#"))
    used = set(re.findall(r"\{g\[(\w+)\]\}", body))
    assert used and used <= set(glossary)
    # Terms the ja edition must not use (issue 13): the glossary's words replace them.
    for wrong in ("イベント営業日", "変動率上位", "始値時刻", "異常リターン", "XTKS", "XNYS"):
        assert wrong not in texts["ja"]


def test_glossary_doc_is_current() -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location("g", REPO / "scripts" / "make_glossary.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    doc = (REPO / "docs" / "glossary.md").read_text(encoding="utf-8")
    assert doc == module.render(), "docs/glossary.md is stale: run scripts/make_glossary.py"


def test_numbers_dates_and_times_per_locale() -> None:
    en, ja = load_locale("en"), load_locale("ja")
    assert en.pct(-0.169681) == ja.pct(-0.169681) == f"{MINUS}16.97%"
    assert en.date("2025-01-28") == "28 Jan 2025" and ja.date("2025-01-08") == "2025年1月8日"
    assert ja.usd(5.576e6) == "約558万ドル" and en.usd(5.576e6) == "about $5.58 million"
    assert ja.usd(2e6) == "200万ドル" and ja.big(37e9) == "370億" and en.big(37e9) == "37 billion"
    assert ja.big(14.8e12) == "14.8兆" and ja.big(2.788e6) == "278.8万"
    assert ja.big(3.2856e24) == "3.29×10²⁴"
    stamp = pd.Timestamp("2025-01-27T00:00Z")
    assert ja.moment(stamp) == "2025年1月27日 9:00（日本時間、UTC 0:00）"
    assert en.moment(stamp) == "27 Jan 2025 09:00 JST (00:00 UTC)"
    close = pd.Timestamp("2025-01-27T21:00Z")
    assert ja.moment(close, "XNYS", with_date=False) == "16:00（米東部時間、UTC 21:00）"
    assert ja.points(-548.93, "^N225") == f"{MINUS}548.93円"
    assert en.points(-612.47, "^IXIC") == f"{MINUS}612.47 points"
    assert ja.exchange("XTKS") == "東証" and ja.exchange("XNYS") == "NY市場"
    assert en.num(-0.0001, 0) == "0" and ja.pval(0.0001) == "<0.001"


# -- facts -------------------------------------------------------------------------------------


def test_report_files(built: dict[str, Any]) -> None:
    for name in SPECS:
        out, tables = built[name]["out"], built[name]["tables"]
        for lang in ("en", "ja"):
            for file in (f"report.{lang}.html", f"report.{lang}.md"):
                assert (out / file).stat().st_size > 0
            for chart in chart_ids(tables):
                png = out / f"{chart}.{lang}.png"
                assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", png
        page = (out / "report.en.html").read_text(encoding="utf-8")
        assert "<script src" not in page and "<link" not in page  # plotly.js is inlined
        for csv in ("report_indices.csv", "report_movers.csv", "report_study.csv"):
            assert csv in _md(built, name, "en") and (out / csv).is_file()


def test_shock_result_writes_its_tables(built: dict[str, Any], tmp_path: Path) -> None:
    import json

    res = built["export_controls_2022"]["result"]
    files = {p.relative_to(tmp_path).as_posix() for p in res.to_dir(tmp_path)}
    for name in ("moves.csv", "headline.csv", "indices.csv", "fx.csv", "basket_moves.csv"):
        assert name in files
    assert {"summary.txt", "manifest.json", "study/XNYS/car.csv", "study/XTKS/car.csv"} <= files
    manifest = json.loads((tmp_path / "manifest.json").read_text(encoding="utf-8"))
    # The forecast from Columbus Day is made: JPY=X is known at that close (DEXJPUS is not).
    assert not manifest["forecast"]["problem"]
    assert manifest["event_sessions"][0][:2] == ["XNYS", "2022-10-07"]


def test_each_report_is_about_its_own_event(built: dict[str, Any]) -> None:
    """No DeepSeek text outside the DeepSeek report; scenario sections only where named."""
    for name in ("carry_unwind", "export_controls_2022"):
        for lang in ("en", "ja"):
            text = _md(built, name, lang)
            page = (built[name]["out"] / f"report.{lang}.html").read_text(encoding="utf-8")
            for word in ("DeepSeek", "IOWN", "H800", "GPU", "scenario-", "IEA"):
                assert word not in text, (name, lang, word)
                assert word not in page.split("<script>")[0] + page.split("</script>")[-1]
    ds = _md(built, "deepseek", "en")
    for section in ("scenario-export_controls", "scenario-power", "scenario-compute_cost"):
        assert f'<a id="{section}"></a>' in ds
    assert "## 1. 要点" in _md(built, "carry_unwind", "ja")
    assert "## 1. Key findings" in _md(built, "export_controls_2022", "en")


def test_headline_is_computed_from_the_data(built: dict[str, Any]) -> None:
    carry = built["carry_unwind"]["result"]
    n225 = carry.indices.set_index(["symbol", "session"]).loc[("^N225", "2024-08-05")]
    # Nikkei Inc.: 35,909.70 on 2024-08-02, 31,458.42 on 08-05 (-4,451.28 points, -12.40%)
    assert n225["level"] == pytest.approx(31458.42, abs=0.01)
    assert n225["change"] == pytest.approx(-4451.28, abs=0.01)
    ja = _md(built, "carry_unwind", "ja")
    assert (
        f"| 東証 2024年8月5日 | 日経平均株価 | 31,458.42 | {MINUS}4,451.28円 | {MINUS}12.40% |"
        in ja
    )
    ds = built["deepseek"]["result"]
    nasdaq = ds.indices.set_index(["symbol", "session"]).loc[("^IXIC", "2025-01-27")]
    # Reuters: Nasdaq -612.47 points, -3.07%, close 19,341.83
    assert nasdaq["level"] == pytest.approx(19341.83, abs=0.01)
    assert nasdaq["change"] == pytest.approx(-612.47, abs=0.01)
    assert "^VIX" not in set(ds.indices["symbol"])  # a volatility index is no benchmark
    for name in SPECS:
        res = built[name]["result"]
        members = {s for ev in res.spec.events for b in ev.baskets for s in _basket(res, b)}
        universe = members | set(res.indices["symbol"])
        for (exchange, session), got in res.headline.groupby(["exchange", "session"]):
            pool = res.moves.loc[(res.moves["exchange"] == exchange)]
            pool = pool.loc[pool["session"] == session]
            pool = pool.loc[pool["symbol"].isin(universe)].dropna(subset=["ret"])
            want = pool.loc[pool["ret"].abs().nlargest(5).index, "symbol"]
            assert set(got["symbol"]) == set(want), (name, session)
            assert got["ret"].is_monotonic_increasing
        assert len(res.fx) == len({s.day for s in res.sessions})  # USD/JPY on every event day
        raw = res.baskets.dropna(subset=["mean_ret", "mean_ar"])
        assert len(raw) == len(res.baskets) > 0  # raw and abnormal side by side
    assert "USD/JPY (daily bar): 27 Jan 2025 154.49" in _md(built, "deepseek", "en")


def _basket(res: Any, basket: str) -> list[str]:
    return list(res.moves.loc[res.moves["baskets"].str.contains(basket), "symbol"].unique())


def test_every_car_window_of_the_spec_is_shown(built: dict[str, Any]) -> None:
    study = built["export_controls_2022"]["tables"].study
    assert list(dict.fromkeys(study["window"])) == ["0:0", "0:1", "-1:1", "0:5"]
    assert "| New York | US-listed chip equipment | sessions 0 to +5 |" in _md(
        built, "export_controls_2022", "en"
    )
    assert "| 東証 | 日本の半導体製造装置 | 基準日から5取引日後まで |" in _md(
        built, "export_controls_2022", "ja"
    )
    # The KP-adjusted interval is the one shown, and it is the wider one.
    assert (study["ci_high"] - study["ci_low"] >= study["ci_t_high"] - study["ci_t_low"]).all()


def test_timeline_names_the_session_each_tokyo_session_followed(built: dict[str, Any]) -> None:
    res = built["export_controls_2022"]["result"]
    tokyo = res.session("XTKS", "next")
    assert (tokyo.day, tokyo.role, tokyo.follows) == ("2022-10-11", "day0+next", "2022-10-10")
    assert tokyo.gap_hours == 4.0  # New York closed 20:00 UTC on 10-10; Tokyo opened 00:00 UTC
    en, ja = _md(built, "export_controls_2022", "en"), _md(built, "export_controls_2022", "ja")
    assert "Tokyo 11 Oct 2022 followed New York 10 Oct 2022" in en
    assert "| New York 10 Oct 2022 (4 hours earlier) |" in en
    assert "76 hours" not in en
    assert "NY市場 2022年10月10日（4時間前に大引け）" in ja


def test_a_forecast_that_cannot_be_made_says_why(built: dict[str, Any], shared_store: Any) -> None:
    from ipposaki.report.findings import forecast_reason
    from ipposaki.spillover import forecast_next
    from ipposaki.spillover.forecast import ForecastUnavailableError

    fc = built["export_controls_2022"]["result"].forecast
    assert fc.made and fc.as_of == "2022-10-10" and fc.target_session == "2022-10-11"
    # With DEXJPUS as the only driver (no value on Columbus Day) it cannot be made; the reason
    # as the pipeline records it and the report words it.
    with pytest.raises(ForecastUnavailableError) as info:
        forecast_next(shared_store, "2022-10-10", drivers=["DEXJPUS"])
    exc = info.value
    problem = {"kind": exc.kind, "series": exc.series, "day": exc.day, "last": exc.last}
    assert problem["kind"] == "missing_on" and problem["series"] == "DEXJPUS"
    tables = built["export_controls_2022"]["tables"]
    en = forecast_reason(problem, load_locale("en"), tables)
    ja = forecast_reason(problem, load_locale("ja"), tables)
    assert "(DEXJPUS) has no value for New York's 10 Oct 2022 session" in en
    assert "ドル円（FRB H.10 NY正午レート、DEXJPUS）にNY市場 2022年10月10日の値がない" in ja
    made = built["deepseek"]["result"].forecast
    assert made.made and made.as_of == "2025-01-27"
    n225 = made.table.set_index("target").loc["^N225"]
    assert n225["forecast"] == pytest.approx(-0.0188, abs=1e-4)  # docs/deepseek.md


def test_key_findings(built: dict[str, Any]) -> None:
    for name in SPECS:
        for lang in ("en", "ja"):
            text = _md(built, name, lang)
            block = text.split('<a id="findings"></a>')[1].split('<a id="headline"></a>')[0]
            items = [line for line in block.splitlines() if line.startswith("- ")]
            assert 4 <= len(items) <= 8, (name, lang, items)
    ds = _md(built, "deepseek", "en")
    assert "Japanese chip equipment, BMP finds a significant CAAR over day 0 (p 0.004)" in ds
    assert "Kolari–Pynnönen does not (p 0.113)" in ds
    assert "US hyperscalers (p 0.700)" in ds  # not significant, said so
    assert "ranks this episode 1st of" in ds
    assert "is indistinguishable from zero" in ds
    ja = _md(built, "deepseek", "ja")
    assert "日本の電線で、予測−2.69%に対し実績は−6.24%（区間内）" in ja
    assert "約558万ドル" in ja and "278.8万GPU時間" in ja


# -- natural Japanese --------------------------------------------------------------------------

#: ASCII words the Japanese edition may hold besides tickers, numbers and names.
ALLOWED = {
    "CAAR",
    "CAR",
    "BMP",
    "KP",
    "Kolari",
    "Pynnönen",
    "Forbes",
    "Rigobon",
    "Clark",
    "West",
    "Campbell",
    "Wasley",
    "Thompson",
    "RMSE",
    "UTC",
    "NY",
    "CSV",
    "TWh",
    "MWh",
    "GPU",
    "FLOP",
    "PERT",
    "PUE",
    "IOWN",
    "NTT",
    "IEA",
    "LBNL",
    "AI",
    "IT",
    "DeepSeek",
    "TOPIX",
    "ipposaki",
    "p",
    "e",
}


def readable(markdown: str) -> str:
    """The text a reader reads as prose: no code spans (paths, hashes), link targets, anchors
    or citations (the source column of the scenario inputs, kept in their own language)."""
    text = html.unescape(markdown)
    text = re.sub(r"`[^`]*`", " ", text)
    text = re.sub(r"\]\([^)]*\)", "]", text)
    text = re.sub(r'<a id="[^"]*"></a>', " ", text)
    kept, drop = [], None
    for line in text.splitlines():  # drop the source column of every table that has one
        if not line.startswith("|"):
            drop = None
            kept.append(line)
            continue
        cells = [c.strip() for c in re.split(r"(?<!\\)\|", line)]
        if "出典" in cells:
            drop = cells.index("出典")
        elif drop is not None and len(cells) > drop:
            cells[drop] = ""
        kept.append(" | ".join(cells))
    return "\n".join(kept)


def ascii_words(markdown: str) -> set[str]:
    """ASCII words of a Japanese Markdown report's :func:`readable` text outside tickers,
    names of instruments, baskets and catalogue events, numbers and :data:`ALLOWED`."""
    from ipposaki.events import builtin_catalog
    from ipposaki.instruments import builtin_baskets, builtin_instruments

    inst = builtin_instruments()
    text = readable(markdown)
    names = set(inst["name_ja"]) | set(builtin_baskets()["name_ja"])
    names |= {e.name_ja for e in builtin_catalog().events}
    names |= {n[:-1] for n in names if n.endswith("）")}  # "名前（注記、CODE）" keeps the note
    for name in sorted(names | set(inst["symbol"]), key=len, reverse=True):
        text = text.replace(name, " ")
    words = set(re.findall(r"[A-Za-zÀ-ÖØ-öø-ÿ]+", text))
    return words - ALLOWED


def test_japanese_edition_has_no_stray_english_or_reprs(built: dict[str, Any]) -> None:
    for name in SPECS:
        text = _md(built, name, "ja")
        assert ascii_words(text) == set(), name
        bare = readable(text)
        for bad in ("=", "{", "None", "nan", "NaT"):
            assert bad not in bare, (name, bad)
        assert re.search(r"年0\d月|月0\d日", text) is None  # no zero-padded dates
        assert "日本時間" in text and "米東部時間" in text


def test_ascii_scan_catches_english() -> None:
    assert ascii_words("## 要点\n\nmodel=market のように") == {"model", "market"}
    assert ascii_words("| 出典 |\n|---|\n| Reuters, 2025 |") == set()


# -- escaping and validation -------------------------------------------------------------------


def test_user_strings_are_escaped_in_html_and_markdown(
    built: dict[str, Any], tmp_path: Path, chromium: Any
) -> None:
    attack = "<script>alert(1)</script>"
    res = built["carry_unwind"]["result"]
    movers = res.headline.copy()
    movers.loc[0, "symbol"] = "<img src=x onerror=alert(2)>"
    baskets = res.basket_names.copy()
    baskets.loc[baskets["basket"] == "jp_semi_equipment", ["name", "name_ja"]] = attack
    evil = dataclasses.replace(
        res,
        spec=dataclasses.replace(res.spec, title=attack),
        source=attack,
        headline=movers,
        basket_names=baskets,
    )
    files = write_report(evil, "en", tmp_path)
    assert files.lang == "en" and all(Path(p).is_file() for p in files.to_frame()["path"])
    md = files.markdown.read_text(encoding="utf-8")
    outside_code = re.sub(r"`[^`]*`", "", md)  # a code span's content is text in Markdown
    assert "<script>" not in outside_code and "<img" not in outside_code
    assert "&lt;script&gt;alert(1)&lt;/script&gt;: what moved" in md
    seen = chromium(files.html, "report.escaped.png")
    assert seen["dialogs"] == [] and seen["errors"] == []
    assert f"{attack}: what moved, where it spread" in seen["text"]


def test_a_bad_report_table_writes_nothing(shared_prices: Path, tmp_path: Path) -> None:
    from ipposaki.cli.main import run

    spec = tmp_path / "bad.toml"
    base = (REPO / "examples" / "carry_unwind.toml").read_text(encoding="utf-8")
    for table, message in (
        ('[report]\nscenario = ["x.toml"]\n', "[report].scenario="),
        ('[report]\nscenarios = ["missing.toml"]\n', "a scenario spec file"),
        ("[report]\ntop_moves = 0\n", "an integer from 1 to 50"),
    ):
        spec.write_text(base + "\n" + table, encoding="utf-8")
        out, store = tmp_path / "out", tmp_path / "s.duckdb"
        argv = ["report", str(spec), "--out", str(out), "--store", str(store)]
        assert run([*argv, "--data", str(shared_prices)]) == 2
        assert not out.exists() and not store.exists(), message


@pytest.mark.slow
def test_cli_report(
    shared_prices: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``ipposaki --json report SPEC``, and specs the report refuses before any work."""
    import json

    from ipposaki.cli.main import run

    store = ["--store", str(tmp_path / "s.duckdb"), "--data", str(shared_prices)]
    out = tmp_path / "ec"
    spec = str(REPO / "examples" / "export_controls_2022.toml")
    argv = ["--json", "report", spec, "--lang", "ja", "--out", str(out), *store]
    assert run(argv) == 0
    doc = json.loads(capsys.readouterr().out)
    assert [(s["exchange"], s["day"], s["role"], s["follows"]) for s in doc["sessions"]] == [
        ("XNYS", "2022-10-07", "day0", "2022-10-07"),
        ("XTKS", "2022-10-11", "day0+next", "2022-10-10"),
    ]
    assert [r["lang"] for r in doc["reports"]] == ["ja"] and not (out / "report.en.md").exists()
    md = (out / "report.ja.md").read_text(encoding="utf-8")
    assert md.startswith("# 米国の半導体・製造装置輸出規制（2022年10月7日）：")

    two = tmp_path / "two.toml"
    two.write_text(
        '[[events]]\nid = "a"\ndate = "2024-08-05"\nbaskets = ["us_ai_chips"]\n'
        '[[events]]\nid = "b"\ndate = "2025-01-27"\nbaskets = ["us_ai_chips"]\n'
    )
    bad = tmp_path / "bad.toml"
    bad.write_text('[[events]]\nid = "a"\ndate = "2024-08-05"\nbaskets = ["us_ai_chip"]\n')
    fresh = ["--store", str(tmp_path / "fresh.duckdb"), "--data", str(shared_prices)]
    for path, message in ((two, "a report covers one shock"), (bad, "did you mean us_ai_chips")):
        capsys.readouterr()
        assert run(["report", str(path), "--out", str(tmp_path / "o2"), *fresh]) == 2
        assert message in capsys.readouterr().err
        assert not (tmp_path / "o2").exists() and not (tmp_path / "fresh.duckdb").exists()
    assert run(["report", spec, "--lang", "fr", "--out", str(tmp_path / "o3"), *fresh]) == 2


@pytest.mark.parametrize("name", ["export_controls", "power", "compute_cost"])
def test_shipped_scenario_specs_are_the_example_files(name: str) -> None:
    shipped = REPO / "src" / "ipposaki" / "data" / "scenarios" / f"{name}.toml"
    assert shipped.read_bytes() == (REPO / "examples" / f"{name}.toml").read_bytes()


# -- headless Chromium -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    """Open a file:// page in one headless Chromium; return errors, requests, dialogs, text and
    what every chart drew."""
    pytest.importorskip("playwright")
    if not Path(CHROMIUM).is_file():
        pytest.skip("Debian's chromium is not installed (make system-deps installs it)")
    from playwright.sync_api import sync_playwright

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

        def open_page(path: Path, shot: str) -> dict[str, Any]:
            seen: dict[str, Any] = {"errors": [], "requests": [], "dialogs": []}
            page = browser.new_page(viewport={"width": 1200, "height": 900})
            page.on("console", lambda m: m.type == "error" and seen["errors"].append(m.text))
            page.on("pageerror", lambda e: seen["errors"].append(str(e)))
            page.on("request", lambda r: seen["requests"].append(r.url))
            page.on("dialog", lambda d: (seen["dialogs"].append(d.message), d.dismiss()))
            page.goto(path.as_uri())
            charts = page.evaluate("() => [...document.querySelectorAll('.chart')].map(e => e.id)")
            page.wait_for_function(
                f"() => document.querySelectorAll('.js-plotly-plot').length >= {len(charts)}"
            )
            seen["points"] = {
                # calcdata: what plotly drew, one entry per bar / point / heatmap
                c: page.evaluate(
                    f"() => document.getElementById('{c}').calcdata"
                    ".reduce((n, t) => n + t.length, 0)"
                )
                for c in charts
            }
            seen["text"] = page.inner_text("body")
            seen["findings"] = page.inner_text("#findings")
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            # the whole page for the Japanese editions, the first screen for the others
            page.screenshot(path=str(ARTIFACTS / shot), full_page=".ja." in shot)
            page.close()
            return seen

        yield open_page
        browser.close()


@pytest.mark.parametrize("lang", ["en", "ja"])
@pytest.mark.parametrize("name", SPECS)
def test_report_in_headless_chromium(
    built: dict[str, Any], chromium: Any, name: str, lang: str
) -> None:
    out, tables = built[name]["out"], built[name]["tables"]
    seen = chromium(out / f"report.{lang}.html", f"report.{name}.{lang}.png")
    assert seen["errors"] == []
    assert [u for u in seen["requests"] if not u.startswith(("file:", "data:"))] == []
    assert set(seen["points"]) == set(chart_ids(tables))
    assert all(n > 0 for n in seen["points"].values()), seen["points"]
    assert seen["findings"].strip()
    text = seen["text"]
    if name == "deepseek":
        assert f"{MINUS}16.97%" not in text or "NVDA" in text
        assert f"{MINUS}1.39%" in text and "39,016.87" in text  # Nikkei 225 on 2025-01-28
        assert f"{MINUS}1.88%" in text and f"[{MINUS}4.42%, +0.67%]" in text  # the forecast
        assert ("約558万ドル" if lang == "ja" else "about $5.58 million") in text
        assert "33.1%" in text
    if name == "carry_unwind":
        assert f"{MINUS}12.40%" in text and "+10.23%" in text
        if lang == "ja":
            assert "円キャリー取引の巻き戻し（2024年8月5日）" in text
            assert "東証 2024年8月6日" in text  # Tokyo's first session after New York's close
    if name == "export_controls_2022":
        assert ("NY市場 2022年10月10日" if lang == "ja" else "New York 10 Oct 2022") in text
    if lang == "ja":
        assert "要点" in text and "ヘッドライン" in text


def test_report_files_list_what_was_written_and_write_their_index(tmp_path: Path) -> None:
    from ipposaki.report import ReportFiles

    names = ["report.ja.html", "report.ja.md", "report_caar.png", "report_study.csv"]
    paths = [tmp_path / n for n in names]
    files = ReportFiles(paths[0], paths[1], (paths[2],), (paths[3],))
    assert files.lang == "ja"
    assert files.summary.as_text().splitlines()[2:] == [
        "charts: report_caar.png",
        "tables: report_study.csv",
    ]
    index = files.to_frame()
    assert index["kind"].tolist() == ["html", "markdown", "png", "csv"]
    assert index["path"].tolist() == [p.as_posix() for p in paths]
    assert files.manifest["files"] == 4 and files.manifest["lang"] == "ja"
    written = files.to_dir(tmp_path / "index")
    assert {p.name for p in written} == {"report_files.csv", "summary.txt", "manifest.json"}
