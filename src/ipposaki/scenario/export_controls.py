"""Export controls: how much tighter US controls on China would hurt each chip-equipment maker.

**Exposure.** Each firm's China revenue share comes from an exposure table
(:mod:`ipposaki.scenario.exposures`: the shipped ``ipposaki/data/exposures.csv``, or the spec's
``[scenario] exposures``), with its period, its status (``filing``, ``company``, ``press``,
``secondary`` or ``guess``) and its source; a spec may override one firm's share in
``[firms.SYMBOL] china_share``. Nothing is invented: a guess is labelled a guess.

**Fundamental path**, per draw and firm ``i`` (``S`` the common severity, so firms move
together; every other input is the firm's own):

* share of China revenue lost ``= min(1, at_risk_i x S)``: ``at_risk_i`` is the share of the
  firm's China revenue that a tightening as large as an average past US announcement cuts off
  (it depends on what the firm sells there: mature-node deposition, EUV mask inspection, dicing…);
  ``S`` is this tightening's size relative to such an announcement;
* revenue impact ``= -china_share_i x lost share``;
* operating-profit impact ``= max(-1, revenue impact x operating_leverage_i)``. **Convention:**
  the impact is bounded at −100%: this model lets operating profit fall to zero, not below (a
  loss larger than the whole profit would need the cost structure, which the model does not
  have);
* price impact ``= operating-profit impact x min(duration, valuation_years) / valuation_years``:
  the lost profit over the years the loss lasts, as a share of the years of profit the price
  capitalises (a P/E-like multiple).

**Market path**: price impact ``= max(-1, reaction_i x S)``, with ``reaction_i`` the firm's
typical abnormal return over the calibration window after past US announcements
(:mod:`ipposaki.scenario.calibration`: the fitted line when the slope on China share is
identified, else the firm's own average, drawn from a normal with its standard error), scaled by
the same severity. A spec may set ``[firms.SYMBOL] reaction`` itself (needed without a store).

The two paths answer different questions: the fundamental path is what the lost profit is worth;
the market path is what investors have so far marked down on such news. When the market path is
the smaller, either the market priced the controls before they were announced, or it doubts they
bite as hard as the inputs say.

**Nikkei 225 points at risk** (optional ``[nikkei]``: the index level and each firm's weight in
it, both with a source; none are shipped): ``points_i = level x weight_i x price impact_i``,
per firm and in total, for both paths.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ipposaki.errors import InputError
from ipposaki.scenario.calibration import CALIBRATION_EVENTS, Calibration, calibrate
from ipposaki.scenario.exposures import Exposures, read_exposures
from ipposaki.scenario.inputs import Input
from ipposaki.scenario.montecarlo import Output, ScenarioResult, simulate
from ipposaki.scenario.schema import ExportControlsSpec, FirmTable
from ipposaki.scenario.spec import check_spec, load_toml
from ipposaki.schema import known_keys

__all__ = [
    "CALIBRATION_EVENTS",
    "FIRM_KEYS",
    "Calibration",
    "calibrate",
    "export_controls",
    "export_controls_spec",
    "exposures",
]

#: Per-firm inputs: the spec's ``[inputs]`` gives the default, ``[firms.SYMBOL]`` the firm's own.
_PER_FIRM = ("at_risk", "operating_leverage")
#: Keys of a ``[firms.SYMBOL]`` table.
FIRM_KEYS = tuple(known_keys(FirmTable))
_PREFIX = {"china_share": "share", "at_risk": "at_risk", "operating_leverage": "leverage"}


def exposures(path: str | Path | None = None) -> pd.DataFrame:
    """The exposure table (default the shipped one): symbol, name, name_ja, china_share, …"""
    return read_exposures(path).table.copy()


def _named(inp: Input, name: str) -> Input:
    return Input(name=name, dist=inp.dist, params=dict(inp.params), source=inp.source)


def export_controls(
    doc: dict[str, Any],
    calibration: Calibration | None = None,
    exposure_table: Exposures | None = None,
) -> ScenarioResult:
    """Run the export-control scenario from a parsed spec.

    Parameters
    ----------
    doc : dict
        ``[scenario]`` (title, seed, draws, ``firms``), ``[inputs]`` (severity, duration_years,
        valuation_years, and the defaults of at_risk and operating_leverage), optional
        ``[firms.SYMBOL]`` (china_share, at_risk, operating_leverage, reaction) and ``[nikkei]``.
    calibration : Calibration, optional
        Past reactions (:func:`~ipposaki.scenario.calibration.calibrate`); a firm without one
        needs ``[firms.SYMBOL] reaction``.
    exposure_table : Exposures, optional
        China shares; default the shipped table.

    Returns
    -------
    ScenarioResult
        Per firm (fractions): ``revenue_impact``, ``op_profit_impact``,
        ``price_impact_fundamental``, ``price_impact_market``; with ``[nikkei]`` also
        ``nikkei_points_fundamental`` and ``nikkei_points_market`` (per firm and ``total``).
        ``extra`` holds ``exposures`` (the firms' rows, with the share used), ``calibration``,
        ``reactions`` and ``firm_reactions`` when calibrated.

    Raises
    ------
    InputError
        Naming the spec key: a firm without a China share or a reaction, an unknown key, a
        distribution outside its range.
    """
    spec = check_spec(doc, ExportControlsSpec)
    title, seed, draws = spec.run_settings()
    firms = list(spec.scenario.firms)
    exp = exposure_table if exposure_table is not None else read_exposures()
    tables = spec.firm_tables()
    common = spec.inputs.to_inputs("inputs")
    defaults = {k: common.pop(k) for k in _PER_FIRM if k in common}
    inputs: dict[str, Input] = dict(common)
    scope: dict[str, str] = {}
    reaction_rows = {}
    if calibration is not None:
        reaction_rows = calibration.firm_reactions.set_index("symbol").to_dict("index")
    shares_used = {}
    for sym in firms:
        own = tables.get(sym)
        given = own.to_inputs(f"firms.{sym}") if own is not None else {}
        if "china_share" in given:
            share = given["china_share"]
        elif exp.shares.get(sym) is not None:
            share = exp.shares[sym]  # type: ignore[assignment]
        else:
            raise InputError(
                f"firms.{sym}.china_share",
                None,
                f"a China share for {sym}: the exposure table has none",
            )
        inputs[f"share:{sym}"] = _named(share, f"share:{sym}")
        shares_used[sym] = share
        for key in _PER_FIRM:
            if key in given:
                inp = given[key]
            elif key in defaults:
                inp = defaults[key]
            else:
                raise InputError(
                    f"firms.{sym}.{key}",
                    None,
                    f"a value or distribution (or a default in [inputs] {key})",
                )
            inputs[f"{_PREFIX[key]}:{sym}"] = _named(inp, f"{_PREFIX[key]}:{sym}")
        if "reaction" in given:
            reaction = given["reaction"]
        elif sym in reaction_rows and np.isfinite(reaction_rows[sym]["mean"]):
            r = reaction_rows[sym]
            assert calibration is not None
            what = {
                "fitted line": "fitted CAR = const + slope x China share",
                "own average": f"its mean CAR over {r['n_events']} US announcement(s)",
                "peers": "no reaction of its own: the mean of its exchange's peers",
            }[str(r["basis"])]
            reaction = Input(
                name=f"reaction:{sym}",
                dist="normal",
                params={"mean": float(r["mean"]), "sd": float(r["se"])},
                source=f"event study, CAR({calibration.window}) after past US export-control "
                f"announcements: {what}",
            )
        else:
            raise InputError(
                f"firms.{sym}.reaction",
                None,
                "a typical reaction to past announcements: give one, or a store holding the "
                "firms' prices to measure it",
            )
        inputs[f"reaction:{sym}"] = _named(reaction, f"reaction:{sym}")
        for prefix in ("share", "at_risk", "leverage", "reaction"):
            scope[f"{prefix}:{sym}"] = sym
    nikkei = None
    if spec.nikkei is not None:
        level = spec.nikkei.level.to_input("nikkei.level")
        nikkei = (level, dict(spec.nikkei.weights), spec.nikkei.source.strip())
        inputs["nikkei_level"] = _named(level, "nikkei_level")
    n_firms = len(firms)
    weights = np.array([nikkei[1].get(s, 0.0) for s in firms]) if nikkei else np.zeros(n_firms)
    weighted = [s for s in firms if nikkei and s in nikkei[1]]

    def stack(x: dict[str, np.ndarray], prefix: str) -> np.ndarray:
        return np.column_stack([x[f"{prefix}:{s}"] for s in firms])

    def model(x: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        severity = x["severity"][:, None]
        lost = np.minimum(1.0, stack(x, "at_risk") * severity)
        revenue = -stack(x, "share") * lost
        profit = np.maximum(-1.0, revenue * stack(x, "leverage"))
        horizon = np.minimum(x["duration_years"], x["valuation_years"]) / x["valuation_years"]
        fundamental = profit * horizon[:, None]
        market = np.maximum(-1.0, stack(x, "reaction") * severity)
        out = {
            "revenue_impact": revenue,
            "op_profit_impact": profit,
            "price_impact_fundamental": fundamental,
            "price_impact_market": market,
        }
        if nikkei is not None:
            cols = [firms.index(s) for s in weighted]
            for path, impact in (("fundamental", fundamental), ("market", market)):
                points = x["nikkei_level"][:, None] * weights[None, :] * impact
                out[f"nikkei_points_{path}"] = np.column_stack(
                    [points[:, cols], points.sum(axis=1)]
                )
        return out

    labels = tuple(firms)
    outputs = {
        "revenue_impact": Output("fraction of revenue", labels, key=False),
        "op_profit_impact": Output("fraction of operating profit", labels),
        "price_impact_fundamental": Output("fraction of price", labels),
        "price_impact_market": Output("fraction of price", labels),
    }
    if nikkei is not None:
        for path in ("fundamental", "market"):
            outputs[f"nikkei_points_{path}"] = Output(
                "Nikkei 225 points", (*weighted, "total"), key=False
            )
    rows = []
    for sym in firms:
        record = exp.record(sym) or {"symbol": sym, "name": sym, "name_ja": sym}
        share = shares_used[sym]
        own = tables.get(sym)
        overridden = own is not None and own.china_share is not None
        rows.append(
            {
                **record,
                "china_share": share.quantile(0.5) if overridden else record.get("china_share"),
                "distribution": share.describe(),
                **(
                    {
                        "china_share_low": share.support()[0] if share.dist != "fixed" else np.nan,
                        "china_share_high": share.support()[1] if share.dist != "fixed" else np.nan,
                    }
                    if overridden
                    else {}
                ),
                "status": ("guess" if share.is_guess else "spec")
                if overridden
                else record.get("status", ""),
                "source": share.source if overridden else record.get("source", ""),
                "from_spec": overridden,
            }
        )
    extra: dict[str, Any] = {"exposures": pd.DataFrame(rows)}
    if nikkei is not None:
        extra["nikkei_weights"] = pd.DataFrame(
            {"symbol": list(nikkei[1]), "weight": list(nikkei[1].values()), "source": nikkei[2]}
        )
    if calibration is not None:
        extra["calibration"] = calibration
        extra["reactions"] = calibration.reactions
        extra["firm_reactions"] = calibration.firm_reactions
    return simulate(title, inputs, model, outputs, draws, seed, extra=extra, scope=scope)


def export_controls_spec(path: str | Path, store: Any = None) -> ScenarioResult:
    """Run the export-control scenario in ``path``, calibrated on ``store`` when given.

    The spec's ``[scenario] exposures`` (a CSV or TOML path relative to the spec) replaces the
    shipped exposure table; ``[calibration]`` may set ``window`` (default ``"0:1"``) and the
    announcements, ``us`` and ``jp`` (catalogue ids).
    """
    path = Path(path)
    doc = load_toml(path)
    spec = check_spec(doc, ExportControlsSpec)  # before the exposures or the store are read
    firms = list(spec.scenario.firms)
    name = spec.scenario.exposures
    exp = read_exposures(None if name is None else path.parent / name)
    calibration = None
    if store is not None:
        cal = spec.calibration
        events = {
            "US": tuple(cal.us if cal.us is not None else CALIBRATION_EVENTS["US"]),
            "JP": tuple(cal.jp if cal.jp is not None else CALIBRATION_EVENTS["JP"]),
        }
        peers = exp.table["symbol"].tolist()
        calibration = calibrate(store, list(dict.fromkeys(firms + peers)), events, cal.window, exp)
    return export_controls(doc, calibration, exp)
