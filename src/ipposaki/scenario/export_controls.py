"""Export controls: what a tightening toward China puts at stake for chip-equipment makers.

**Exposure.** Each firm's China revenue share, period and source ship in
``ipposaki/data/exposures.csv`` (from ``shared/facts/FACTS.md``). A firm without a sourced share
must be given one in the spec (``[firm_overrides.SYMBOL] china_share = …``) and is flagged; none is
invented.

**Fundamental path**, per firm and draw, with ``s`` the China share:

* revenue impact ``= -s x loss_share`` (the share of China revenue lost);
* operating-profit impact ``= revenue impact x operating_leverage`` (the % change of operating
  profit per % change of revenue);
* price impact ``= operating-profit impact x min(duration_years, valuation_years) /
  valuation_years`` (the share of the firm's valued earnings the loss lasts for).

**Market-implied path**: ``price impact = b x s x severity``, with ``b`` the market-revealed
sensitivity (the slope of CAR on China share over past export-control announcements, drawn from
its estimate and robust standard error) and ``severity`` the scenario's size relative to an average
past announcement. :func:`calibrate` estimates ``b`` with the event-study engine.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ipposaki.errors import InputError
from ipposaki.scenario.inputs import Input, parse_input
from ipposaki.scenario.montecarlo import Output, ScenarioResult, simulate
from ipposaki.scenario.spec import load_toml, read_inputs, run_settings

__all__ = ["Calibration", "calibrate", "exposures", "export_controls", "export_controls_spec"]

#: Past announcements used to reveal the market's sensitivity.
CALIBRATION_EVENTS: tuple[str, ...] = (
    "us_ec_2022_10_07",
    "us_ec_2023_10_17",
    "us_ec_2024_12_02",
    "jp_ec_2023_03_31",
    "jp_ec_2023_05_23",
    "jp_ec_2023_07_23",
)
_INPUTS = {
    "loss_share": "share",
    "operating_leverage": "value",
    "duration_years": "value",
    "valuation_years": "value",
    "severity": "value",
}


@cache
def _exposures() -> pd.DataFrame:
    text = resources.files("ipposaki").joinpath("data").joinpath("exposures.csv").read_text("utf-8")
    return pd.read_csv(io.StringIO(text))


def exposures() -> pd.DataFrame:
    """The shipped exposures: symbol, name, china_share (NaN if unsourced), period, source."""
    return _exposures().copy()


@dataclass(frozen=True)
class Calibration:
    """The market-revealed sensitivity: slope of CAR on China share, pooled over events."""

    slope: float
    se: float
    ci_low: float
    ci_high: float
    nobs: int
    window: str
    scatter: pd.DataFrame
    table: pd.DataFrame


def calibrate(
    store: Any,
    firms: Sequence[str],
    events: Sequence[str] = CALIBRATION_EVENTS,
    window: str = "0:1",
    cov_type: str = "HC1",
) -> Calibration:
    """Estimate the market's sensitivity to China exposure around past announcements.

    Each event is studied with the market model on each firm's own exchange (day 0 from the
    catalogue's timestamp); the firms' CARs over ``window`` are then regressed, pooled over
    events, on their China share with ``cov_type`` standard errors.

    Parameters
    ----------
    store : Store
        The price store.
    firms : sequence of str
        Symbols; those without a sourced share are left out of the regression (and listed).
    events : sequence of str
        Catalogue ids.
    window : str, default "0:1"
        CAR window.
    cov_type : str, default "HC1"
        ``"HC1"`` or ``"HC3"``.

    Returns
    -------
    Calibration
        Slope, its standard error and 95% interval, and the scatter data.
    """
    from ipposaki.events import builtin_catalog
    from ipposaki.study.regression import car_regression
    from ipposaki.study.spec import SpecEvent, StudySpec, run_spec

    catalog = builtin_catalog()
    spec = StudySpec(
        title="export-control calibration",
        events=tuple(
            SpecEvent(id=e, date=None, symbols=tuple(firms), timestamp=catalog.get(e).timestamp)
            for e in events
        ),
        study={"car_windows": [window]},
    )
    result = run_spec(spec, store)
    cars = pd.concat([r.car for r in result.results.values()], ignore_index=True)
    cars = cars.loc[cars["window"] == window, ["event_id", "symbol", "car", "car_se"]]
    share = exposures().set_index("symbol")["china_share"]
    cars["china_share"] = cars["symbol"].map(share)
    reg = car_regression(cars, "car", ["china_share"], cov_type=cov_type, id_column="symbol")  # type: ignore[arg-type]
    values = reg.params.loc["china_share"].to_numpy(dtype=float)
    row = dict(zip([str(c) for c in reg.params.columns], values, strict=True))
    return Calibration(
        slope=float(row["coef"]),
        se=float(row["se"]),
        ci_low=float(row["ci_low"]),
        ci_high=float(row["ci_high"]),
        nobs=reg.nobs,
        window=window,
        scatter=cars.reset_index(drop=True),
        table=reg.params,
    )


def _firm_shares(doc: dict[str, Any], firms: list[str]) -> dict[str, Input]:
    table = exposures().set_index("symbol")
    overrides = doc.get("firm_overrides", {})
    out = {}
    records = {str(k): dict(v) for k, v in table.to_dict(orient="index").items()}
    for sym in firms:
        key = f"firm_overrides.{sym}.china_share"
        if sym in overrides and "china_share" in overrides[sym]:
            out[sym] = parse_input(key, overrides[sym]["china_share"], (0.0, 1.0), "share")
        elif sym in records and pd.notna(records[sym]["china_share"]):
            rec = records[sym]
            out[sym] = Input(
                name=f"exposure.{sym}",
                dist="fixed",
                params={"value": float(rec["china_share"])},
                source=f"{rec['source']} ({rec['period']}, {rec['status']})",
            )
        else:
            raise InputError(
                key, None, f"a China share for {sym}: none is sourced, so the spec must give one"
            )
    return out


def export_controls(doc: dict[str, Any], calibration: Calibration | None = None) -> ScenarioResult:
    """Run the export-control scenario from a parsed spec.

    Parameters
    ----------
    doc : dict
        ``[scenario]`` (title, seed, draws, ``firms``), ``[inputs]`` (loss_share,
        operating_leverage, duration_years, valuation_years, severity) and optional
        ``[firm_overrides.SYMBOL]`` and ``[sensitivity]`` (``slope`` and ``se``, used when no
        calibration is passed).
    calibration : Calibration, optional
        The market-revealed sensitivity from :func:`calibrate`.

    Returns
    -------
    ScenarioResult
        Per firm: revenue_impact, op_profit_impact, price_impact_fundamental,
        price_impact_market (fractions); ``extra`` holds the exposure table and calibration.
    """
    title, seed, draws = run_settings(doc)
    firms = [str(f) for f in doc.get("scenario", {}).get("firms", [])]
    if not firms:
        raise InputError("scenario.firms", None, "a list of firm symbols")
    inputs = read_inputs(doc.get("inputs", {}), "inputs", _INPUTS)
    shares = _firm_shares(doc, firms)
    sens = doc.get("sensitivity")
    if calibration is not None:
        slope_input = parse_input(
            "sensitivity",
            {
                "dist": "normal",
                "mean": calibration.slope,
                "sd": calibration.se,
                "source": f"CAR({calibration.window}) on China share, "
                f"{calibration.nobs} firm-events, HC1",
            },
        )
    elif isinstance(sens, dict):
        slope_input = parse_input("sensitivity", sens)
    else:
        raise InputError(
            "sensitivity", None, "a calibration from the store, or [sensitivity] in the spec"
        )
    all_inputs = dict(inputs)
    all_inputs["sensitivity"] = slope_input
    for sym, inp in shares.items():
        all_inputs[f"share:{sym}"] = inp

    def model(x: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        s = np.column_stack([x[f"share:{sym}"] for sym in firms])
        revenue = -s * x["loss_share"][:, None]
        op_profit = revenue * x["operating_leverage"][:, None]
        horizon = np.minimum(x["duration_years"], x["valuation_years"]) / x["valuation_years"]
        return {
            "revenue_impact": revenue,
            "op_profit_impact": op_profit,
            "price_impact_fundamental": op_profit * horizon[:, None],
            "price_impact_market": x["sensitivity"][:, None] * s * x["severity"][:, None],
        }

    labels = tuple(firms)
    outputs = {
        "revenue_impact": Output("fraction of revenue", labels, key=False),
        "op_profit_impact": Output("fraction of operating profit", labels, key=False),
        "price_impact_fundamental": Output("fraction of price", labels),
        "price_impact_market": Output("fraction of price", labels),
    }
    table = exposures()
    extra: dict[str, Any] = {
        "exposures": table.loc[table["symbol"].isin(firms)].reset_index(drop=True)
    }
    if calibration is not None:
        extra["calibration"] = calibration
    return simulate(title, all_inputs, model, outputs, draws, seed, extra=extra)


def export_controls_spec(path: str | Path, store: Any = None) -> ScenarioResult:
    """Run the export-control scenario in ``path``, calibrated on ``store`` when given."""
    doc = load_toml(path)
    calibration = None
    if store is not None and not isinstance(doc.get("sensitivity"), dict):
        firms = [str(f) for f in doc.get("scenario", {}).get("firms", [])]
        table = exposures()
        sourced = table.loc[table["china_share"].notna(), "symbol"].tolist()
        calibration = calibrate(store, sorted(set(firms) | set(sourced)))
    return export_controls(doc, calibration)
