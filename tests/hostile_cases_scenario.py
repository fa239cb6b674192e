"""Hostile scenario specs (issue #15): ``ipposaki scenario export-controls|power|compute-cost``.

Each case is one spec with one thing wrong; it must exit 2 with one line naming the TOML key,
before any draw or write. ``tests/hostile_cases.py`` appends these to its table (import them
through it: this module imports :class:`Case` from there). The words are written by hand from
the declared schemas (``src/ipposaki/scenario/schema.py`` and ``bounds.py``).
"""

from __future__ import annotations

from hostile_cases import Case

#: A compute-cost spec that runs (fixed inputs and one triangular PUE, all with sources).
COMPUTE = """[scenario]
title = "t"
seed = 1
draws = 200

[inputs]
active_params = 37e9
tokens = 14.8e12
gpu_hours = 2.788e6
price_per_gpu_hour = 2.0
peak_flops = 989.4e12
board_power_kw = 0.7
pue = { dist = "triangular", low = 1.1, mode = 1.3, high = 1.5, source = "user guess" }
"""

#: A power spec that runs.
POWER = """[scenario]
title = "t"
seed = 1
draws = 200
start = 2024
end = 2035
scope = "global"

[inputs]
base_twh_2024 = 415
growth_2024_2030 = 0.15
growth_2030_2035 = 0.05
ai_share_2024 = 0.15
ai_share_2030 = 0.4
efficiency_factor = { dist = "lognormal", median = 3.0, sigma = 0.5, source = "user guess" }
rebound_elasticity = 1.0
shock_year = 2026
compute_share = 0.45
cooling_share = 0.35
network_share_of_other = 0.4
iown_start = 2026
iown_midpoint = 2031
iown_speed = 1.5
iown_saturation = 0.4
iown_reduction = 100
"""

#: An export-control spec for two firms with their own reactions (no store needed).
EXPORT = """[scenario]
title = "t"
seed = 1
draws = 200
firms = ["8035.T", "6146.T"]

[inputs]
severity = 1.5
duration_years = 3
valuation_years = 15
at_risk = 0.2
operating_leverage = 1.8

[firms."8035.T"]
reaction = -0.02

[firms."6146.T"]
reaction = -0.01
"""

CC = ("scenario", "compute-cost", "{tmp}/s.toml")
PW = ("scenario", "power", "{tmp}/s.toml", "--out", "{tmp}/o")
EC = ("scenario", "export-controls", "{tmp}/s.toml", "--out", "{tmp}/o")
PUE = 'pue = { dist = "triangular", low = 1.1, mode = 1.3, high = 1.5, source = "user guess" }'


def _cc(old: str, new: str) -> dict[str, str | bytes]:
    assert old in COMPUTE, old
    return {"s.toml": COMPUTE.replace(old, new)}


def _pw(old: str, new: str) -> dict[str, str | bytes]:
    assert old in POWER, old
    return {"s.toml": POWER.replace(old, new)}


def _ec(old: str, new: str) -> dict[str, str | bytes]:
    assert old in EXPORT, old
    return {"s.toml": EXPORT.replace(old, new)}


# fmt: off
SCENARIO_CASES: list[Case] = [
    Case("scenario-spec-missing", "scenario", ("scenario", "power", "{tmp}/nope.toml"),
         ("SPEC", "nope.toml", "an existing TOML file")),
    Case("scenario-exposures-not-utf8", "scenario", EC, ("x.csv", "is not UTF-8 text"),
         {**_ec('draws = 200', 'draws = 200\nexposures = "x.csv"'),
          "x.csv": b"firm,china_share\n\xff\n"}),
    Case("scenario-calibration-window-overlaps", "scenario", EC,
         ("calibration.window='-20:1'", "day -10 or later"),
         {"s.toml": EXPORT + '\n[calibration]\nwindow = "-20:1"\n'}),
    Case("scenario-spec-invalid-toml", "scenario", CC, ("SPEC", "valid TOML"),
         {"s.toml": "[scenario\n"}),
    Case("scenario-seed-typo", "scenario", CC, ("scenario.seeed=1", "did you mean seed?"),
         _cc("seed = 1", "seeed = 1")),
    Case("scenario-draws-typo", "scenario", PW, ("scenario.drawz=200", "did you mean draws?"),
         _pw("draws = 200", "drawz = 200")),
    Case("scenario-draws-huge", "scenario", CC,
         ("scenario.draws=1000000000000", "an integer from 100 to 100,000,000"),
         _cc("draws = 200", "draws = 1_000_000_000_000")),
    Case("scenario-draws-too-few", "scenario", CC, ("scenario.draws=99", "an integer from 100"),
         _cc("draws = 200", "draws = 99")),
    Case("scenario-draws-float", "scenario", CC, ("scenario.draws=200.0", "an integer"),
         _cc("draws = 200", "draws = 200.0")),
    Case("scenario-seed-negative", "scenario", PW, ("scenario.seed=-1", "a non-negative integer"),
         _pw("seed = 1", "seed = -1")),
    Case("scenario-negative-pue", "scenario", CC, ("inputs.pue=-1.2", "a PUE >= 1"),
         _cc(PUE, "pue = -1.2")),
    Case("scenario-pue-low-below-one", "scenario", CC,
         ("inputs.pue=0.9", "a PUE >= 1 for every draw (its low)"), _cc("low = 1.1", "low = 0.9")),
    Case("scenario-nan-input", "scenario", CC, ("inputs.tokens=nan", "a finite number"),
         _cc("tokens = 14.8e12", "tokens = nan")),
    Case("scenario-inf-parameter", "scenario", CC, ("inputs.pue.high=inf", "a finite number"),
         _cc("high = 1.5", "high = inf")),
    Case("scenario-negative-price", "scenario", CC,
         ("inputs.price_per_gpu_hour=-2.0", "a price >= 0"),
         _cc("price_per_gpu_hour = 2.0", "price_per_gpu_hour = -2.0")),
    Case("scenario-negative-gpu-hours", "scenario", CC,
         ("inputs.gpu_hours=-2788000.0", "a GPU-hour count > 0"),
         _cc("gpu_hours = 2.788e6", "gpu_hours = -2.788e6")),
    Case("scenario-normal-sd-negative", "scenario", PW,
         ("inputs.rebound_elasticity.sd=-0.2", "a standard deviation >= 0"),
         _pw("rebound_elasticity = 1.0",
             'rebound_elasticity = { dist = "normal", mean = 1, sd = -0.2, source = "s" }')),
    Case("scenario-normal-on-pue", "scenario", CC,
         ("inputs.pue.dist='normal'", "fixed, uniform, triangular or pert"),
         _cc(PUE, 'pue = { dist = "normal", mean = 1.3, sd = 0.1, source = "s" }')),
    Case("scenario-triangular-low-above-mode", "scenario", CC,
         ("inputs.pue.low=1.4", "low <= mode (1.3)"), _cc("low = 1.1", "low = 1.4")),
    Case("scenario-missing-source", "scenario", CC,
         ("inputs.pue.source=None", "a source for every uncertain input"),
         _cc(', source = "user guess" }', " }")),
    Case("scenario-unknown-dist", "scenario", CC,
         ("inputs.pue.dist='beta'", "one of fixed, uniform, triangular"),
         _cc('dist = "triangular"', 'dist = "beta"')),
    Case("scenario-parameter-of-another-dist", "scenario", CC,
         ("inputs.pue.sd=0.1", "for a triangular distribution"),
         _cc("high = 1.5,", "high = 1.5, sd = 0.1,")),
    Case("scenario-input-name-typo", "scenario", CC, ("inputs.peu", "did you mean pue?"),
         _cc("pue = {", "peu = {")),
    Case("scenario-input-missing", "scenario", CC,
         ("inputs.pue=None", "a value or a distribution for pue"), _cc(PUE + "\n", "")),
    Case("scenario-input-as-text", "scenario", CC, ("inputs.tokens='14.8e12'", "a number"),
         _cc("tokens = 14.8e12", 'tokens = "14.8e12"')),
    Case("scenario-share-above-one", "scenario", PW, ("inputs.ai_share_2030=1.4", "a share <= 1"),
         _pw("ai_share_2030 = 0.4", "ai_share_2030 = 1.4")),
    Case("scenario-shares-sum-above-one", "scenario", PW,
         ("inputs.compute_share + inputs.cooling_share", "shares summing to <= 1"),
         _pw("cooling_share = 0.35", "cooling_share = 0.65")),
    Case("scenario-power-scope", "scenario", PW, ("scenario.scope='japan'", "'global' or 'us'"),
         _pw('scope = "global"', 'scope = "japan"')),
    Case("scenario-power-end-year", "scenario", PW,
         ("scenario.end=2060", "a year from 2024 to 2050"), _pw("end = 2035", "end = 2060")),
    Case("scenario-unknown-table", "scenario", PW, ("input=", "did you mean inputs?"),
         _pw("[inputs]", "[input]")),
    Case("scenario-export-firm-key-typo", "scenario", EC,
         ("firms.8035.T.reacton=-0.02", "did you mean reaction?"),
         _ec("reaction = -0.02", "reacton = -0.02")),
    Case("scenario-export-firm-not-listed", "scenario", EC,
         ("firms.6146.X='6146.X'", "a firm of scenario.firms"),
         _ec('[firms."6146.T"]', '[firms."6146.X"]')),
    Case("scenario-export-firms-twice", "scenario", EC,
         ("scenario.firms=", "each firm once"),
         _ec('firms = ["8035.T", "6146.T"]', 'firms = ["8035.T", "8035.T"]')),
    Case("scenario-export-valuation-zero", "scenario", EC,
         ("inputs.valuation_years=0.0", "a number of years > 0"),
         _ec("valuation_years = 15", "valuation_years = 0")),
    Case("scenario-export-with-store-typo", "scenario", (*EC, "--store", "{store}"),
         ("scenario.seeed=1", "did you mean seed?"), _ec("seed = 1", "seeed = 1")),
]
# fmt: on
