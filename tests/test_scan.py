"""Catalogue, scanner and contagion view, on hand-made data and on the real prices."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from conftest import REPO
from ipposaki.errors import DataValidationError, InputError, UnknownNameError
from ipposaki.events import builtin_catalog, load_catalog
from ipposaki.scan import rolling_sar, scan
from ipposaki.store import Store


def test_builtin_catalogue_holds_the_mission_events() -> None:
    cat = builtin_catalog()
    ids = {e.id for e in cat.events}
    assert {
        "deepseek_v3",
        "deepseek_r1",
        "deepseek_shock",
        "us_ec_2022_10_07",
        "us_ec_2023_10_17",
        "us_ec_2024_12_02",
        "us_ai_diffusion_2025_01_13",
        "us_foundry_rule_2025_01_15",
        "h20_license_2025_04_09",
        "h20_charge_2025_04_15",
        "jp_ec_2023_03_31",
        "jp_ec_2023_05_23",
        "jp_ec_2023_07_23",
    } <= ids
    for ev in cat.events:
        assert ev.source and ev.name_ja and ev.timestamp.tzinfo is not None
    shock = cat.get("deepseek_shock").sessions().set_index("exchange")["event_session"]
    # Before Tokyo's Monday open, as examples/deepseek.toml: day 0 is 2025-01-27 on both.
    assert shock["XNYS"] == pd.Timestamp("2025-01-27") and shock["XTKS"] == pd.Timestamp(
        "2025-01-27"
    )
    first = cat.get("us_ec_2022_10_07").sessions().set_index("exchange")["event_session"]
    assert first["XTKS"] == pd.Timestamp("2022-10-11")  # 2022-10-10 was Sports Day in Japan


def test_unknown_event_lists_close_matches() -> None:
    with pytest.raises(
        UnknownNameError, match="unknown event 'deepseek_shok'; did you mean deepseek_shock"
    ):
        builtin_catalog().get("deepseek_shok")


def test_user_catalogue_errors_name_the_line(tmp_path: Path) -> None:
    good = '[[events]]\nid = "mine"\nname = "Mine"\ntimestamp = "2025-02-03T10:00+09:00"\nsource = "me"\n'
    path = tmp_path / "c.toml"
    path.write_text(good)
    assert load_catalog(path).get("mine").timestamp == pd.Timestamp("2025-02-03T01:00Z")
    path.write_text(good + good)
    with pytest.raises(DataValidationError, match="line 7: duplicate event id 'mine'"):
        load_catalog(path)
    path.write_text(good.replace("+09:00", ""))
    with pytest.raises(
        DataValidationError,
        match="line 4: timestamp='2025-02-03T10:00' of event 'mine' has no zone",
    ):
        load_catalog(path)
    clash = good.replace('"mine"', '"deepseek_shock"')
    path.write_text(clash)
    with pytest.raises(InputError, match="an event id not already in the catalogue"):
        load_catalog(path)


def test_rolling_sar_uses_no_future_data() -> None:
    rng = np.random.default_rng(3)
    m = rng.normal(0, 0.01, 400)
    r = 0.5 * m[:, None] + rng.normal(0, 0.01, (400, 3))
    base = rolling_sar(r, m, 100, 50)
    changed = r.copy()
    changed[300:] *= 5.0  # the future changes...
    after = rolling_sar(changed, m, 100, 50)
    np.testing.assert_array_equal(base[:300], after[:300])  # ...the past SARs do not
    # By hand for one session: OLS on the 100 sessions before t=250.
    x = np.column_stack([np.ones(100), m[150:250]])
    beta, *_ = np.linalg.lstsq(x, r[150:250, 0], rcond=None)
    resid = r[150:250, 0] - x @ beta
    s2 = resid @ resid / 98
    x0 = np.array([1.0, m[250]])
    var = s2 * (1 + x0 @ np.linalg.inv(x.T @ x) @ x0)
    assert base[250, 0] == pytest.approx((r[250, 0] - x0 @ beta) / np.sqrt(var), rel=1e-9)


def test_deepseek_ranks_first_or_second(shared_store: Store) -> None:
    """Issue #5's check on the real prices."""
    res = scan(shared_store, "2024-06-01", "2025-03-31")
    top = res.episodes.iloc[0]
    assert top["sessions"] == "XTKS 01-27, XNYS 01-27, XTKS 01-28"
    assert top["first_exchange"] == "XTKS" and "deepseek_shock" in top["events"]
    for basket in ("us_ai_chips", "jp_semi_equipment", "jp_electric_wires"):
        ranked = res.ranking(basket)
        rank = ranked.index[ranked["sessions"] == "XTKS 01-27, XNYS 01-27, XTKS 01-28"][0] + 1
        assert rank <= 2, basket
    doc = (REPO / "docs" / "deepseek.md").read_text(encoding="utf-8")
    assert f"{top['severity']:.1f}" in doc and "### Shock scan, 2024-06-01 to 2025-03-31" in doc


def test_scan_bad_input(shared_store: Store, shared_prices: Path) -> None:
    with pytest.raises(UnknownNameError, match="unknown basket 'jp_semi'; did you mean"):
        scan(shared_store, "2024-06-01", "2025-03-31", ["jp_semi"])
    # The error names the first and last date of the data, read here from the file itself.
    dates = pd.read_csv(shared_prices / "daily.csv", usecols=["date"])["date"]
    have = re.escape(f"dates with data ({dates.min()}..{dates.max()})")
    with pytest.raises(InputError, match=have):
        scan(shared_store, "1990-01-01", "1990-12-31")


def test_contagion_view(shared_store: Store) -> None:
    from ipposaki.scan.contagion import contagion

    view = contagion(shared_store, "2025-01-27T09:00+09:00", ["us_ai_chips", "jp_electric_wires"])
    paths = view.paths.query("rel_day in (0, 1)")
    order = list(zip(paths["basket"], paths["session"].dt.strftime("%m-%d"), strict=True))
    # UTC order: Tokyo 01-27, New York 01-27, Tokyo 01-28, New York 01-28
    assert order == [
        ("jp_electric_wires", "01-27"),
        ("us_ai_chips", "01-27"),
        ("jp_electric_wires", "01-28"),
        ("us_ai_chips", "01-28"),
    ]
    co = view.comovement.set_index("basket")
    assert (
        co.loc["jp_electric_wires", "corr_event"] > co.loc["jp_electric_wires", "corr_estimation"]
    )


def test_scan_and_contagion_commands_write_their_results(
    shared_store: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``scan`` and ``contagion`` print the result's summary and write its to_dir files."""
    from ipposaki.cli.main import run

    store = ["--store", str(shared_store.path)]
    out = tmp_path / "scan"
    args = ["scan", "--start", "2025-01-20", "--end", "2025-02-07", "--universe", "us_ai_chips"]
    assert run([*args, "--universe", "jp_semi_equipment", "--out", str(out), *store]) == 0
    text = capsys.readouterr().out
    assert text.startswith("Shock scan 2025-01-20..2025-02-07") and "Forbes-Rigobon" in text
    names = {p.name for p in out.iterdir()}
    tables = {"episodes.csv", "flags.csv", "symbols.csv", "contagion.csv"}
    assert names == tables | {"summary.txt", "manifest.json"}
    assert (out / "summary.txt").read_text(encoding="utf-8") in text
    assert json.loads((out / "manifest.json").read_text())["universe"] == [
        "us_ai_chips",
        "jp_semi_equipment",
    ]
    assert pd.read_csv(out / "episodes.csv")["events"].iloc[0] == "deepseek_shock"
    out = tmp_path / "contagion"
    args = ["contagion", "--event", "deepseek_shock", "--basket", "us_ai_chips"]
    assert run([*args, "--out", str(out), *store]) == 0
    text = capsys.readouterr().out
    assert text.startswith("Contagion view around 2025-01-27 00:00:00+00:00")
    names = {p.name for p in out.iterdir()}
    assert names == {"paths.csv", "comovement.csv", "summary.txt", "manifest.json"}
    assert json.loads((out / "manifest.json").read_text())["baskets"] == ["us_ai_chips"]


def test_export_controls_doc_is_current(shared_store: Store) -> None:
    from ipposaki.events import builtin_catalog
    from ipposaki.study.spec import SpecEvent, StudySpec, run_spec

    ev = builtin_catalog().get("us_ec_2022_10_07")
    spec = StudySpec(
        "t",
        (SpecEvent(id=ev.id, date=None, symbols=("8035.T", "AMAT"), timestamp=ev.timestamp),),
        {},
    )
    res = run_spec(spec, shared_store)
    doc = (REPO / "docs" / "export_controls.md").read_text(encoding="utf-8")
    for exchange, symbol in (("XTKS", "8035.T"), ("XNYS", "AMAT")):
        car = res.results[exchange].car.query("window == '0:1'")["car"].iloc[0]
        assert f"| {ev.id} | {symbol}" in doc and f"{car:.4f}" in doc
