"""Scenarios: distributions against theory, hand-checked models, Sobol on a known model, errors."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from conftest import REPO
from ipposaki.errors import InputError
from ipposaki.scenario import (
    Input,
    Output,
    compute_cost,
    parse_input,
    power,
    simulate,
)
from ipposaki.store import Store


def draws(spec: dict, n: int = 200_000) -> np.ndarray:
    return parse_input("x", {**spec, "source": "test"}).sample(np.random.default_rng(1), n)


@pytest.mark.parametrize(
    ("spec", "mean"),
    [
        ({"dist": "uniform", "low": 1, "high": 3}, 2.0),
        ({"dist": "triangular", "low": 0, "mode": 1, "high": 5}, 2.0),  # (a + m + b) / 3
        ({"dist": "normal", "mean": -1, "sd": 2}, -1.0),
        ({"dist": "pert", "min": 0, "mode": 2, "max": 10}, 3.0),  # (a + 4m + b) / 6
        ({"dist": "lognormal", "median": 2, "sigma": 0.5}, 2 * math.exp(0.125)),  # median e^(s^2/2)
    ],
)
def test_distribution_means(spec: dict, mean: float) -> None:
    assert draws(spec).mean() == pytest.approx(mean, rel=0.01, abs=0.01)


def test_lognormal_median_and_fixed() -> None:
    assert np.median(draws({"dist": "lognormal", "median": 2, "sigma": 0.5})) == pytest.approx(
        2, rel=0.01
    )
    assert parse_input("y", 4.5).sample(np.random.default_rng(0), 3).tolist() == [4.5, 4.5, 4.5]


@pytest.mark.parametrize(
    ("key", "raw", "bounds", "message"),
    [
        (
            "inputs.loss_share",
            {"dist": "uniform", "low": 0.5, "high": 1.2, "source": "s"},
            (0, 1),
            "inputs.loss_share=1.2 is not allowed: expected a share <= 1",
        ),
        (
            "inputs.base_twh_2024",
            -5,
            (0, None),
            "inputs.base_twh_2024=-5.0 is not allowed: expected a TWh >= 0",
        ),
        (
            "inputs.x",
            {"dist": "pert", "min": 3, "mode": 2, "max": 5, "source": "s"},
            (None, None),
            "inputs.x.min=3.0 is not allowed: expected min <= mode (2)",
        ),
        (
            "inputs.x",
            {"dist": "beta", "a": 1, "source": "s"},
            (None, None),
            "inputs.x.dist='beta' is not allowed: expected one of fixed, uniform",
        ),
        (
            "inputs.x",
            {"dist": "uniform", "low": 0, "high": 1},
            (None, None),
            "inputs.x.source=None is not allowed: expected a source for every uncertain input",
        ),
        (
            "inputs.x",
            {"dist": "normal", "mean": 0},
            (None, None),
            "inputs.x.sd=None is not allowed",
        ),
    ],
)
def test_bad_inputs_name_the_key(key: str, raw: object, bounds: tuple, message: str) -> None:
    what = "share" if "share" in key else ("TWh" if "twh" in key else "value")
    with pytest.raises(InputError) as err:
        parse_input(key, raw, bounds, what)
    assert str(err.value).startswith(message)


def test_sobol_and_tornado_on_a_known_linear_model() -> None:
    # Y = 2A + B, A ~ U(0, 1), B ~ N(0, 1): Var = 4/12 + 1, S_A = (1/3)/(4/3) = 0.25, S_B = 0.75.
    inputs = {
        "a": Input("a", "uniform", {"low": 0.0, "high": 1.0}, "test"),
        "b": Input("b", "normal", {"mean": 0.0, "sd": 1.0}, "test"),
    }
    res = simulate(
        "lin", inputs, lambda x: {"y": 2 * x["a"] + x["b"]}, {"y": Output("u")}, 200_000, 5
    )
    s1 = res.sobol.set_index("input")["s1"]
    assert s1["a"] == pytest.approx(0.25, abs=0.01) and s1["b"] == pytest.approx(0.75, abs=0.01)
    swing = res.tornado.set_index("input")["swing"]
    assert swing["a"] == pytest.approx(2 * 0.9, rel=1e-12)  # 2 x (q95 - q05) of U(0, 1)
    assert swing["b"] == pytest.approx(2 * 1.6448536269514722, rel=1e-9)
    q = res.quantiles.iloc[0]
    assert q["q50"] == pytest.approx(1.0, abs=0.02) and q["mean"] == pytest.approx(1.0, abs=0.01)


def test_compute_cost_reproduces_deepseek_v3() -> None:
    import tomllib

    doc = tomllib.loads((REPO / "examples" / "compute_cost.toml").read_text())
    res = compute_cost(doc).quantiles.set_index("output")
    assert res.loc["cost_usd", "q50"] == pytest.approx(5.576e6, rel=1e-12)  # 2.788M x $2
    flops = 6 * 37e9 * 14.8e12
    assert res.loc["training_flops", "q50"] == pytest.approx(flops, rel=1e-12)
    mfu = flops / (2.788e6 * 3600 * 989.4e12)
    assert res.loc["implied_mfu", "q50"] == pytest.approx(mfu, rel=1e-12)
    assert round(mfu, 3) == 0.331


def _power_doc(**over: object) -> dict:
    base = {
        "base_twh_2024": 415,
        "growth_2024_2030": 0.15,
        "growth_2030_2035": 0.05,
        "ai_share_2024": 0.2,
        "ai_share_2030": 0.5,
        "efficiency_factor": 1.0,
        "rebound_elasticity": 1.0,
        "shock_year": 2026,
        "compute_share": 0.4,
        "cooling_share": 0.4,
        "network_share_of_other": 0.5,
        "iown_start": 2026,
        "iown_midpoint": 2030,
        "iown_speed": 1.0,
        "iown_saturation": 0.0,
        "iown_reduction": 100,
    }
    base.update(over)
    return {"scenario": {"draws": 200, "seed": 1}, "inputs": base}


def test_power_base_path_by_hand() -> None:
    q = power(_power_doc()).quantiles.query("output == 'twh'").set_index("label")["q50"]
    assert q["2030"] == pytest.approx(415 * 1.15**6, rel=1e-12)
    assert q["2035"] == pytest.approx(415 * 1.15**6 * 1.05**5, rel=1e-12)


def test_power_efficiency_shock_and_rebound_by_hand() -> None:
    # f = 4, elasticity 0.5: AI energy x 4^(-0.5) = 0.5 from 2026; AI share in 2030 = 0.5.
    q = power(_power_doc(efficiency_factor=4.0, rebound_elasticity=0.5)).quantiles
    twh = q.query("output == 'twh'").set_index("label")["q50"]
    assert twh["2030"] == pytest.approx(415 * 1.15**6 * (0.5 + 0.5 * 0.5), rel=1e-12)
    jevons = power(_power_doc(efficiency_factor=4.0, rebound_elasticity=1.5)).quantiles
    assert jevons.query("output == 'twh' and label == '2030'")["q50"].iloc[0] > 415 * 1.15**6


def test_power_iown_by_hand() -> None:
    # Full adoption (saturation 1, far past the midpoint) cuts the network (0.2 x 0.5 = 0.1 of
    # the load) to 1/100; cooling follows IT: IT 0.6 -> 0.6 - 0.099 = 0.501, cooling 0.4 x 0.501/0.6.
    doc = _power_doc(iown_saturation=1.0, iown_midpoint=2000, iown_start=2000)
    q = power(doc).quantiles.query("output == 'twh'").set_index("label")["q50"]
    it_after = 0.4 + 0.2 * 0.5 + 0.2 * 0.5 * 0.01
    assert q["2024"] == pytest.approx(
        415 * (it_after + 0.4 * it_after / 0.6), rel=1e-9
    )  # 1 - e^-24


def test_power_bad_shares() -> None:
    with pytest.raises(
        InputError, match="inputs.compute_share \\+ inputs.cooling_share=1.1 is not allowed"
    ):
        power(_power_doc(compute_share=0.6, cooling_share=0.5))


def test_examples_run_and_say_they_rest_on_guesses(shared_store: Store, tmp_path: Path) -> None:
    from ipposaki.cli.main import run

    for name, cmd in (
        ("power", "power"),
        ("compute_cost", "compute-cost"),
        ("export_controls", "export-controls"),
    ):
        out = tmp_path / name
        args = ["scenario", cmd, str(REPO / "examples" / f"{name}.toml"), "--out", str(out)]
        if name == "export_controls":
            args += ["--store", str(shared_store.path)]
        assert run(args) == 0, name
        assert "Partly based on user guesses" in (out / "summary.txt").read_text()
        inputs = pd.read_csv(out / "inputs.csv")
        assert inputs["source"].notna().all()


def test_a_scenario_result_is_read_only_and_writes_its_tables(tmp_path: Path) -> None:
    from ipposaki.results import ReadOnlyMapping

    res = power(_power_doc())
    assert isinstance(res.extra, ReadOnlyMapping) and res.extra["years"][0] == 2024
    with pytest.raises(TypeError):
        res.extra["reference"] = None  # type: ignore[index]
    assert list(res.frames()) == ["quantiles", "inputs", "tornado", "sobol", "reference"]
    assert res.summary.as_text().startswith(res.header)
    assert res.manifest["draws"] == 200 and "ipposaki" in res.manifest["versions"]
    names = {p.name for p in res.to_dir(tmp_path / "power")}
    assert names == {
        "quantiles.csv",
        "inputs.csv",
        "tornado.csv",
        "sobol.csv",
        "reference.csv",
        "summary.txt",
        "manifest.json",
    }


def test_the_cli_writes_what_to_dir_writes(tmp_path: Path) -> None:
    import json

    from ipposaki.cli.main import run
    from ipposaki.scenario import compute_cost_spec

    spec = REPO / "examples" / "compute_cost.toml"
    assert run(["scenario", "compute-cost", str(spec), "--out", str(tmp_path / "cli")]) == 0
    compute_cost_spec(spec).to_dir(tmp_path / "lib")
    cli = sorted(p.name for p in (tmp_path / "cli").iterdir())
    assert cli == sorted(p.name for p in (tmp_path / "lib").iterdir())
    for name in cli:
        assert (tmp_path / "cli" / name).read_bytes() == (tmp_path / "lib" / name).read_bytes()
    manifest = json.loads((tmp_path / "cli" / "manifest.json").read_text(encoding="utf-8"))
    assert {"title", "seed", "draws", "user_guesses", "versions"} <= set(manifest)
