"""Scenario specs against their declared schemas (issue #15).

Each bad value is one change to a shipped example; it must give exactly one ``InputError`` that
names the TOML key path, before any draw. The expected keys and words are written by hand from
the schema's declared rules (``scenario/schema.py``, ``scenario/bounds.py``), not by running it.
"""

from __future__ import annotations

import copy
import math
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from conftest import REPO
from ipposaki.errors import InputError
from ipposaki.scenario import compute_cost, export_controls, power
from ipposaki.scenario.bounds import INPUT_BOUNDS, bounds_markdown
from ipposaki.scenario.schema import (
    ComputeCostInputs,
    ExportControlsInputs,
    FirmTable,
    PowerInputs,
)
from ipposaki.scenario.spec import SPEC_MODELS, check_spec, load_toml
from ipposaki.schema import Table, input_error, key_path, validate

Doc = dict[str, Any]
SHIPPED = REPO / "src" / "ipposaki" / "data" / "scenarios"
RUNNERS: dict[str, Callable[[Doc], Any]] = {
    "compute_cost": compute_cost,
    "power": power,
    "export_controls": export_controls,
}


def example(kind: str) -> Doc:
    return tomllib.loads((REPO / "examples" / f"{kind}.toml").read_text(encoding="utf-8"))


def _set(path: str, value: object) -> Callable[[Doc], None]:
    """Set ``doc[a][b]... = value`` for ``path`` ``"a.b..."``."""

    def change(doc: Doc) -> None:
        *head, last = path.split(".")
        table = doc
        for part in head:
            table = table[part]
        table[last] = value

    return change


def _pop(path: str) -> Callable[[Doc], None]:
    def change(doc: Doc) -> None:
        *head, last = path.split(".")
        table = doc
        for part in head:
            table = table[part]
        del table[last]

    return change


TRI = {"dist": "triangular", "low": 1.1, "mode": 1.3, "high": 1.5, "source": "s"}

# (id, kind, change, key named, words of the allowed part)
BAD: list[tuple[str, str, Callable[[Doc], None], str, str]] = [
    ("negative-pue", "compute_cost", _set("inputs.pue", -1.2), "inputs.pue", "a PUE >= 1"),
    ("pue-low-0.9", "compute_cost", _set("inputs.pue.low", 0.9), "inputs.pue", "a PUE >= 1"),
    ("pue-nan", "compute_cost", _set("inputs.pue", math.nan), "inputs.pue", "finite"),
    ("pue-high-inf", "compute_cost", _set("inputs.pue.high", math.inf), "inputs.pue.high",
     "finite"),
    ("tokens-nan", "compute_cost", _set("inputs.tokens.value", math.nan), "inputs.tokens.value",
     "finite"),
    ("negative-price", "compute_cost", _set("inputs.price_per_gpu_hour", -2.0),
     "inputs.price_per_gpu_hour", "a price >= 0"),
    ("negative-gpu-hours", "compute_cost", _set("inputs.gpu_hours.value", -5.0),
     "inputs.gpu_hours", "a GPU-hour count > 0"),
    ("zero-gpu-hours", "compute_cost", _set("inputs.gpu_hours", 0), "inputs.gpu_hours",
     "a GPU-hour count > 0"),
    ("seeed", "compute_cost", _set("scenario.seeed", 3), "scenario.seeed", "did you mean seed?"),
    ("drawz", "power", _set("scenario.drawz", 500), "scenario.drawz", "did you mean draws?"),
    ("draws-10**12", "compute_cost", _set("scenario.draws", 10**12), "scenario.draws",
     "an integer from 100 to 100,000,000"),
    ("draws-99", "compute_cost", _set("scenario.draws", 99), "scenario.draws",
     "an integer from 100"),
    ("draws-float", "compute_cost", _set("scenario.draws", 1e4), "scenario.draws", "an integer"),
    ("seed-negative", "power", _set("scenario.seed", -1), "scenario.seed", "non-negative"),
    ("normal-sd-negative", "power",
     _set("inputs.rebound_elasticity", {"dist": "normal", "mean": 1, "sd": -0.1, "source": "s"}),
     "inputs.rebound_elasticity.sd", "a standard deviation >= 0"),
    ("normal-on-a-positive-input", "compute_cost",
     _set("inputs.pue", {"dist": "normal", "mean": 1.3, "sd": 0.1, "source": "s"}),
     "inputs.pue.dist", "fixed, uniform, triangular or pert"),
    ("triangular-low-above-high", "compute_cost",
     _set("inputs.pue", {**TRI, "low": 1.6, "mode": 1.3, "high": 1.2}), "inputs.pue.low",
     "low <= mode"),
    ("triangular-mode-above-high", "compute_cost", _set("inputs.pue", {**TRI, "mode": 1.7}),
     "inputs.pue.mode", "mode <= high"),
    ("missing-source", "compute_cost", _pop("inputs.pue.source"), "inputs.pue.source",
     "a source for every uncertain input"),
    ("unknown-dist", "compute_cost", _set("inputs.pue.dist", "beta"), "inputs.pue.dist",
     "one of fixed, uniform"),
    ("key-of-another-dist", "compute_cost", _set("inputs.pue.sd", 0.1), "inputs.pue.sd",
     "for a triangular distribution"),
    ("typo-in-an-input-name", "compute_cost", _set("inputs.peu", 1.3), "inputs.peu",
     "did you mean pue?"),
    ("missing-input", "compute_cost", _pop("inputs.pue"), "inputs.pue",
     "a value or a distribution for pue"),
    ("string-number", "compute_cost", _set("inputs.tokens", "14.8e12"), "inputs.tokens",
     "a number or a table"),
    ("both-hours-and-mfu", "compute_cost", _set("inputs.mfu", 0.3), "inputs.gpu_hours/mfu",
     "exactly one of gpu_hours or mfu"),
    ("mfu-above-one", "compute_cost",
     lambda d: (_pop("inputs.gpu_hours")(d), _set("inputs.mfu", 1.2)(d)), "inputs.mfu",
     "a utilisation <= 1"),
    ("share-above-one", "power", _set("inputs.ai_share_2030.high", 1.2), "inputs.ai_share_2030",
     "a share <= 1"),
    ("negative-twh", "power", _set("inputs.base_twh_2024", -415), "inputs.base_twh_2024",
     "a TWh >= 0"),
    ("growth-minus-one", "power", _set("inputs.growth_2024_2030", -1), "inputs.growth_2024_2030",
     "a growth rate > -1"),
    ("iown-reduction-below-one", "power", _set("inputs.iown_reduction", 0.5),
     "inputs.iown_reduction", "a reduction factor >= 1"),
    ("lognormal-on-a-share", "power",
     _set("inputs.iown_saturation", {"dist": "lognormal", "median": 0.3, "sigma": 0.2,
                                     "source": "s"}),
     "inputs.iown_saturation.dist", "a share [0, 1]"),
    ("lognormal-sigma-negative", "power", _set("inputs.efficiency_factor.sigma", -0.5),
     "inputs.efficiency_factor.sigma", "a sigma >= 0"),
    ("scope", "power", _set("scenario.scope", "japan"), "scenario.scope", "'global' or 'us'"),
    ("end-after-2050", "power", _set("scenario.end", 2051), "scenario.end",
     "a year from 2024 to 2050"),
    ("start-after-end", "power", _set("scenario.start", 2036), "scenario.end",
     "a year >= start (2036)"),
    ("half-of-the-interconnect-pair", "power", _pop("inputs.interconnect_midpoint"),
     "inputs.interconnect_midpoint", "or neither"),
    ("unknown-table", "power", _set("input", {}), "input", "did you mean inputs?"),
    ("scenario-not-a-table", "power", _set("scenario", [1]), "scenario", "a table"),
    ("title-not-a-string", "power", _set("scenario.title", 3), "scenario.title", "a string"),
    ("firms-empty", "export_controls", _set("scenario.firms", []), "scenario.firms",
     "a list of firm symbols"),
    ("firms-twice", "export_controls", _set("scenario.firms", ["AMAT", "AMAT"]),
     "scenario.firms", "each firm once"),
    ("firm-typo-key", "export_controls", lambda d: d["firms"].update({"8035.T": {"at_rsk": 0.2}}),
     "firms.8035.T.at_rsk", "did you mean at_risk?"),
    ("firm-not-listed", "export_controls", _set("firms.ZZZ", {"at_risk": 0.2}), "firms.ZZZ",
     "a firm of scenario.firms"),
    ("valuation-years-zero", "export_controls", _set("inputs.valuation_years", 0),
     "inputs.valuation_years", "a number of years > 0"),
    ("at-risk-pert-below-zero", "export_controls",
     _set("inputs.at_risk", {"dist": "pert", "min": -0.1, "mode": 0.2, "max": 0.4,
                             "source": "s"}),
     "inputs.at_risk", "a share >= 0"),
    ("nikkei-weight", "export_controls",
     _set("nikkei", {"level": 40000.0, "weights": {"8035.T": 1.5}, "source": "s"}),
     "nikkei.weights.8035.T", "a weight between 0 and 1"),
    ("nikkei-level-negative", "export_controls",
     _set("nikkei", {"level": -1.0, "weights": {"8035.T": 0.1}, "source": "s"}),
     "nikkei.level", "an index level > 0"),
    ("calibration-window", "export_controls", _set("calibration", {"window": "one"}),
     "calibration.window", "two integers A:B"),
    ("calibration-typo", "export_controls", _set("calibration", {"windw": "0:1"}),
     "calibration.windw", "did you mean window?"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("kind", "change", "key", "words"),
    [case[1:] for case in BAD],
    ids=[case[0] for case in BAD],
)
def test_bad_value_is_one_error_naming_its_key(
    kind: str, change: Callable[[Doc], None], key: str, words: str
) -> None:
    doc = copy.deepcopy(example(kind))
    change(doc)
    with pytest.raises(InputError) as err:
        RUNNERS[kind](doc)
    message = str(err.value)
    assert err.value.argument == key, message
    assert message.startswith(f"{key}=") and "\n" not in message, message
    assert words in err.value.allowed, message


def test_a_huge_draw_count_is_refused_before_any_draw() -> None:
    # 10**12 draws would need terabytes: the schema refuses it before numpy is asked.
    doc = example("power")
    doc["scenario"]["draws"] = 10**12
    with pytest.raises(InputError, match=r"scenario\.draws=1000000000000 is not allowed"):
        power(doc)


def test_message_shape() -> None:
    doc = example("compute_cost")
    doc["scenario"]["seeed"] = 3
    with pytest.raises(InputError) as err:
        compute_cost(doc)
    assert str(err.value) == (
        "scenario.seeed=3 is not allowed: expected one of title, seed, draws (did you mean seed?)"
    )


# -- the shipped specs -------------------------------------------------------------------------


def _shipped() -> list[Path]:
    return sorted(SHIPPED.glob("*.toml")) + [
        REPO / "examples" / f"{k}.toml" for k in ("compute_cost", "power", "export_controls")
    ]


@pytest.mark.parametrize("path", _shipped(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_shipped_specs_pass_their_schema_and_run(path: Path) -> None:
    kind = path.stem
    doc = load_toml(path)
    check_spec(doc, SPEC_MODELS[kind])
    doc["scenario"]["draws"] = 200
    if kind == "export_controls":  # no store here: give each firm a typical reaction
        for sym in doc["scenario"]["firms"]:
            doc.setdefault("firms", {}).setdefault(sym, {})["reaction"] = -0.02
    result = RUNNERS[kind](doc)
    assert result.draws == 200 and not result.quantiles.empty


def test_spec_runs_fail_before_reading_anything(tmp_path: Path) -> None:
    """export_controls_spec checks the schema before it reads the exposures or a store."""
    from ipposaki.scenario import export_controls_spec

    text = (REPO / "examples" / "export_controls.toml").read_text(encoding="utf-8")
    spec = tmp_path / "ec.toml"
    spec.write_text(
        text.replace("draws = 20000", 'draws = 20000\nexposures = "missing.csv"\nseeed = 1'),
        encoding="utf-8",
    )
    with pytest.raises(InputError, match=r"^scenario\.seeed=1 "):
        export_controls_spec(spec, store=object())


# -- the bounds table --------------------------------------------------------------------------


@pytest.mark.parametrize("model", [ComputeCostInputs, PowerInputs, ExportControlsInputs, FirmTable])
def test_every_input_has_a_documented_range(model: type[BaseModel]) -> None:
    assert set(model.model_fields) <= set(INPUT_BOUNDS)


def test_docs_show_the_bounds_table() -> None:
    doc = (REPO / "docs" / "scenarios.md").read_text(encoding="utf-8")
    assert bounds_markdown() in doc, "docs/scenarios.md: paste scenario.bounds.bounds_markdown()"


@pytest.mark.parametrize(
    ("name", "text"),
    [("pue", ">= 1"), ("mfu", "(0, 1]"), ("ai_share_2024", "[0, 1]"), ("tokens", "> 0")],
)
def test_bound_text(name: str, text: str) -> None:
    assert INPUT_BOUNDS[name].text() == text


# -- the converter -----------------------------------------------------------------------------


class _Inner(Table):
    size: int = 1


class _Outer(Table):
    rows: list[_Inner] = []
    name: str = ""


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"rows": [{}, {"size": "2"}]}, "t.rows[1].size='2' is not allowed: expected an integer"),
        (
            {"nmae": "x"},
            "t.nmae='x' is not allowed: expected one of rows, name (did you mean name?)",
        ),
        ({"rows": 3}, "t.rows=3 is not allowed: expected a list"),
        ({"rows": [{"size": 1.0}]}, "t.rows[0].size=1.0 is not allowed: expected an integer"),
    ],
)
def test_converter_names_the_key_path(data: dict[str, Any], message: str) -> None:
    with pytest.raises(InputError) as err:
        validate(_Outer, data, "t")
    assert str(err.value) == message


def test_key_path_and_one_error_from_many() -> None:
    from pydantic import ValidationError

    assert key_path(("events", 0, "id")) == "events[0].id"
    assert key_path(("model",), "[study]") == "[study].model"
    with pytest.raises(ValidationError) as exc:
        _Outer.model_validate({"rows": [{"size": "a"}], "name": 3})
    assert len(exc.value.errors()) == 2
    assert input_error(exc.value).argument == "rows[0].size"  # the first, only


# -- study specs: the same machinery ----------------------------------------------------------

EVENT = '[[events]]\nid = "e"\ndate = "2025-01-27"\nbaskets = ["us_ai_chips"]\n'


@pytest.mark.parametrize(
    ("text", "key", "words"),
    [
        ('[study]\nmodle = "market"\n' + EVENT, "[study].modle", "did you mean model?"),
        ('[study]\nthin_trading = "sw"\n' + EVENT, "[study].thin_trading", "scholes-williams"),
        ('[study]\nconvention = "eviews"\n' + EVENT, "[study].convention", "ipposaki, estudy2"),
        ("[study]\nmin_estimation_obs = 0\n" + EVENT, "[study].min_estimation_obs", ">= 1"),
        ("[study]\nmin_estimation_obs = 1.5\n" + EVENT, "[study].min_estimation_obs", "integer"),
        ('[study]\ncar_windows = "0:1"\n' + EVENT, "[study].car_windows", "a list"),
        ("[study]\nestimation_window = -250\n" + EVENT, "[study].estimation_window", "string"),
        ('[study]\nevent_window = "a:b"\n' + EVENT, "[study].event_window", "A:B"),
        (EVENT.replace('id = "e"', 'id = ""'), "events[0].id", "a non-empty string"),
        (EVENT.replace('id = "e"', "id = 7"), "events[0].id", "a string"),
        (EVENT + "name = 3\n", "events[0].name", "a string"),
        (EVENT.replace('["us_ai_chips"]', '"us_ai_chips"'), "events[0].baskets", "a list"),
        (EVENT.replace('["us_ai_chips"]', '["us_ai_chips", " "]'), "events[0].baskets[1]",
         "non-empty"),
        (EVENT.replace('"2025-01-27"', "20250127"), "events[0].date", "YYYY-MM-DD"),
        (EVENT + 'bsakets = ["x"]\n', "events[0].bsakets", "did you mean baskets?"),
    ],
)  # fmt: skip
def test_study_spec_values_are_typed(tmp_path: Path, text: str, key: str, words: str) -> None:
    from ipposaki.study.spec import load_spec

    spec = tmp_path / "s.toml"
    spec.write_text('title = "t"\n' + text, encoding="utf-8")
    with pytest.raises(InputError) as err:
        load_spec(spec)
    assert err.value.argument == key and words in err.value.allowed, str(err.value)


def test_study_spec_raw_may_skip_estimation(tmp_path: Path) -> None:
    from ipposaki.study.spec import load_spec

    spec = tmp_path / "s.toml"
    spec.write_text('[study]\nmodel = "raw"\nmin_estimation_obs = 0\n' + EVENT, encoding="utf-8")
    assert load_spec(spec).study == {"model": "raw", "min_estimation_obs": 0}  # as written
