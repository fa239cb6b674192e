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
    shares: dict[str, Input] = {}
    reaction_rows: dict[Any, Any] = {}
    if calibration is not None:
        reaction_rows = calibration.firm_reactions.set_index("symbol").to_dict("index")
    for sym in firms:
        own = tables.get(sym)
        given = own.to_inputs(f"firms.{sym}") if own is not None else {}
        firm = {
            "share": _china_share(sym, given, exp),
            **_per_firm(sym, given, defaults),
            "reaction": _reaction(sym, given, reaction_rows.get(sym), calibration),
        }
        for prefix, inp in firm.items():
            inputs[f"{prefix}:{sym}"] = _named(inp, f"{prefix}:{sym}")
            scope[f"{prefix}:{sym}"] = sym
        shares[sym] = firm["share"]
    weights, weighted = None, []
    if spec.nikkei is not None:
        level = spec.nikkei.level.to_input("nikkei.level")
        inputs["nikkei_level"] = _named(level, "nikkei_level")
        weights = np.array([spec.nikkei.weights.get(s, 0.0) for s in firms])
        weighted = [s for s in firms if s in spec.nikkei.weights]
    extra: dict[str, Any] = {"exposures": _exposure_rows(firms, exp, tables, shares)}
    if spec.nikkei is not None:
        extra["nikkei_weights"] = pd.DataFrame(
            {
                "symbol": list(spec.nikkei.weights),
                "weight": list(spec.nikkei.weights.values()),
                "source": spec.nikkei.source.strip(),
            }
        )
    if calibration is not None:
        extra["calibration"] = calibration
        extra["reactions"] = calibration.reactions
        extra["firm_reactions"] = calibration.firm_reactions
    return simulate(
        title,
        inputs,
        lambda x: _impacts(x, firms, weights, weighted),
        _outputs(firms, weighted if spec.nikkei is not None else None),
        draws,
        seed,
        extra=extra,
        scope=scope,
    )


def _china_share(sym: str, given: dict[str, Input], exp: Exposures) -> Input:
    """The firm's China share: its own ``[firms.SYMBOL]`` one, else the exposure table's.

    Raises
    ------
    InputError
        Naming ``firms.SYMBOL.china_share`` when neither has one.
    """
    if "china_share" in given:
        return given["china_share"]
    share = exp.shares.get(sym)
    if share is None:
        raise InputError(
            f"firms.{sym}.china_share",
            None,
            f"a China share for {sym}: the exposure table has none",
        )
    return share


def _per_firm(sym: str, given: dict[str, Input], defaults: dict[str, Input]) -> dict[str, Input]:
    """The firm's at_risk and operating_leverage, by input prefix: its own, else the default.

    Raises
    ------
    InputError
        Naming ``firms.SYMBOL.KEY`` when neither is given.
    """
    out = {}
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
        out[_PREFIX[key]] = inp
    return out


def _reaction(
    sym: str,
    given: dict[str, Input],
    row: dict[str, Any] | None,
    calibration: Calibration | None,
) -> Input:
    """The firm's typical reaction: its own, else the calibration's estimate with its error.

    Parameters
    ----------
    sym : str
        The firm.
    given : dict of str to Input
        Its ``[firms.SYMBOL]`` inputs.
    row : dict or None
        Its row of ``calibration.firm_reactions`` (mean, se, basis, n_events).
    calibration : Calibration or None
        The past reactions.

    Returns
    -------
    Input
        Normal with the calibrated mean and standard error, or the spec's.

    Raises
    ------
    InputError
        Naming ``firms.SYMBOL.reaction`` when there is neither.
    """
    if "reaction" in given:
        return given["reaction"]
    if row is None or not np.isfinite(row["mean"]):
        raise InputError(
            f"firms.{sym}.reaction",
            None,
            "a typical reaction to past announcements: give one, or a store holding the "
            "firms' prices to measure it",
        )
    if not (np.isfinite(row["std_err"]) and row["std_err"] >= 0):
        raise InputError(
            f"firms.{sym}.reaction",
            None,
            f"a typical reaction to past announcements: its mean ({row['mean']:.4f}, "
            f"{row['basis']}, {row['n_events']} of its own) has no standard error (too few "
            "past reactions to measure their spread): give one, or an exposure table with more "
            "firms",
        )
    assert calibration is not None
    what = {
        "fitted line": "fitted CAR = const + slope x China share",
        "own average": f"its mean CAR over {row['n_events']} US announcement(s)",
        "peers": "no reaction of its own: the mean of its exchange's peers",
    }[str(row["basis"])]
    return Input(
        name=f"reaction:{sym}",
        dist="normal",
        params={"mean": float(row["mean"]), "sd": float(row["std_err"])},
        source=f"event study, CAR({calibration.window}) after past US export-control "
        f"announcements: {what}",
    )


def _impacts(
    x: dict[str, np.ndarray],
    firms: list[str],
    weights: np.ndarray | None,
    weighted: list[str],
) -> dict[str, np.ndarray]:
    """The model: each firm's revenue, profit and price impacts, and the Nikkei points.

    Parameters
    ----------
    x : dict of str to numpy.ndarray
        The inputs' draws (``PREFIX:SYMBOL`` for the per-firm ones).
    firms : list of str
        The firms, in order.
    weights : numpy.ndarray or None
        (firms,) Nikkei 225 weights (0 for a firm outside it); None without ``[nikkei]``.
    weighted : list of str
        The firms in the Nikkei 225.

    Returns
    -------
    dict of str to numpy.ndarray
        (draws, firms) impacts, and with ``weights`` (draws, weighted + 1) points per path.
    """

    def stack(prefix: str) -> np.ndarray:
        return np.column_stack([x[f"{prefix}:{s}"] for s in firms])

    severity = x["severity"][:, None]
    lost = np.minimum(1.0, stack("at_risk") * severity)
    revenue = -stack("share") * lost
    profit = np.maximum(-1.0, revenue * stack("leverage"))
    horizon = np.minimum(x["duration_years"], x["valuation_years"]) / x["valuation_years"]
    fundamental = profit * horizon[:, None]
    market = np.maximum(-1.0, stack("reaction") * severity)
    out = {
        "revenue_impact": revenue,
        "op_profit_impact": profit,
        "price_impact_fundamental": fundamental,
        "price_impact_market": market,
    }
    if weights is not None:
        cols = [firms.index(s) for s in weighted]
        for path, impact in (("fundamental", fundamental), ("market", market)):
            points = x["nikkei_level"][:, None] * weights[None, :] * impact
            out[f"nikkei_points_{path}"] = np.column_stack([points[:, cols], points.sum(axis=1)])
    return out


def _outputs(firms: list[str], weighted: list[str] | None) -> dict[str, Output]:
    """The outputs' units and labels; the Nikkei points only with ``weighted``."""
    labels = tuple(firms)
    outputs = {
        "revenue_impact": Output("fraction of revenue", labels, key=False),
        "op_profit_impact": Output("fraction of operating profit", labels),
        "price_impact_fundamental": Output("fraction of price", labels),
        "price_impact_market": Output("fraction of price", labels),
    }
    if weighted is not None:
        for path in ("fundamental", "market"):
            outputs[f"nikkei_points_{path}"] = Output(
                "Nikkei 225 points", (*weighted, "total"), key=False
            )
    return outputs


def _exposure_rows(
    firms: list[str], exp: Exposures, tables: dict[str, FirmTable], shares: dict[str, Input]
) -> pd.DataFrame:
    """The firms' exposure rows, with the China share used and where it came from.

    Parameters
    ----------
    firms : list of str
        The firms.
    exp : Exposures
        The exposure table.
    tables : dict of str to FirmTable
        The firms' own ``[firms.SYMBOL]`` tables.
    shares : dict of str to Input
        The China share used for each firm.

    Returns
    -------
    pandas.DataFrame
        The table's record of each firm, its share replaced where the spec gives one.
    """
    rows = []
    for sym in firms:
        record = exp.record(sym) or {"symbol": sym, "name": sym, "name_ja": sym}
        share = shares[sym]
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
    return pd.DataFrame(rows)


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
