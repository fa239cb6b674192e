"""The DeepSeek study on the real prices: calendars, and NVDA's AR against statsmodels."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from conftest import REPO
from ipposaki.panel import build_panel
from ipposaki.store import Store
from ipposaki.study.spec import load_spec


@pytest.fixture(scope="module")
def deepseek(deepseek_demo):
    """The event study of examples/deepseek.toml, as the session's demo run computed it
    (``run_shock`` runs ``run_spec`` on the spec)."""
    return deepseek_demo.result.study


def test_each_exchange_on_its_own_sessions(deepseek) -> None:
    ny = deepseek.results["XNYS"].ar
    tk = deepseek.results["XTKS"].ar
    day = lambda ar, rel: set(ar.loc[ar["rel_day"] == rel, "session"].dt.strftime("%Y-%m-%d"))  # noqa: E731
    assert day(ny, 0) == {"2025-01-27"} and day(ny, 1) == {"2025-01-28"}
    assert day(tk, 0) == {"2025-01-27"} and day(tk, 1) == {"2025-01-28"}
    assert day(ny, -1) == {"2025-01-24"} and day(tk, -1) == {"2025-01-24"}
    assert deepseek.results["XNYS"].excluded.empty and deepseek.results["XTKS"].excluded.empty


def test_nvda_abnormal_return_against_statsmodels(deepseek, shared_store: Store) -> None:
    panel = build_panel(shared_store, "XNYS", ["NVDA", "^GSPC"], "2023-06-01", "2025-03-31")
    r = panel.returns
    p0 = r.index.get_loc(pd.Timestamp("2025-01-27"))
    est = r.iloc[p0 - 250 : p0 - 10]
    fit = sm.OLS(est["NVDA"].to_numpy(), sm.add_constant(est["^GSPC"].to_numpy())).fit()
    x0 = np.array([[1.0, r["^GSPC"].iloc[p0]]])
    ar0 = r["NVDA"].iloc[p0] - (fit.params @ x0[0])
    sar0 = ar0 / fit.get_prediction(x0).se_obs[0]
    ours = deepseek.results["XNYS"].ar.query("symbol == 'NVDA' and rel_day == 0").iloc[0]
    assert ours["ret"] == pytest.approx(-0.169682, abs=5e-7)
    assert ours["ar"] == pytest.approx(ar0, abs=1e-12)
    assert ours["sar"] == pytest.approx(sar0, rel=1e-10)


def test_deepseek_doc_tables_are_current(deepseek) -> None:
    """docs/deepseek.md holds the CAAR tables this code produces now."""
    doc = (REPO / "docs" / "deepseek.md").read_text(encoding="utf-8")
    for exchange, res in deepseek.results.items():
        caar = res.caar.set_index(["basket", "window"])
        for group, window in (
            ("us_ai_chips", "0:0"),
            ("us_power", "0:0"),
            ("jp_electric_wires", "0:1"),
            ("jp_semi_equipment", "0:1"),
        ):
            if (group, window) in caar.index:
                value = caar.loc[(group, window), "caar"]
                row = f"| {group:<{len(group)}}"
                assert f"{value:.4f}" in doc and row in doc, (exchange, group, window)


def test_cli_spec_writes_each_exchange(shared_store: Store, tmp_path: Path) -> None:
    from ipposaki.cli.main import run

    out = tmp_path / "ds"
    code = run(
        [
            "study",
            str(REPO / "examples" / "deepseek.toml"),
            "--store",
            str(shared_store.path),
            "--out",
            str(out),
        ]
    )
    assert code == 0
    assert (out / "XNYS" / "car.csv").is_file() and (out / "XTKS" / "tests.csv").is_file()


def test_builtin_spec_is_the_example_file() -> None:
    from ipposaki.shock.demo import deepseek_spec

    assert load_spec(REPO / "examples" / "deepseek.toml") == deepseek_spec()
