"""How each firm reacted to past export-control announcements, and what that says.

**Reactions.** Every (announcement, firm) pair of :data:`CALIBRATION_EVENTS` is run through the
event-study engine (market model on the firm's own exchange, estimation window −250..−11): day 0
is the firm's exchange's first session at or after the catalogue's zoned timestamp (the US rules
of 2022-10-07 reached Tokyo on 2022-10-11, Monday 10-10 being a Tokyo holiday). One row per pair:
the CAR over the calibration window with its standard error and the raw return on day 0; a pair
the engine left out keeps its row with the reason.

**Calibration**, separately for US rules and Japan's own rules (different events, different
news): the model

    car[firm, event] = const + slope x china_share[firm] + error

fitted by OLS over the firm-events with a sourced China share (``guess`` shares are left out),
with errors clustered by announcement. The abnormal returns of one announcement share a common
shock, and there are only three announcements per country, so the standard errors are CR2 with
Bell–McCaffrey degrees of freedom (:mod:`ipposaki.scenario.clustered`); CR1 is reported beside
them. The model has an intercept, and the market path applies it as fitted: a firm's predicted
reaction is ``const + slope x share``.

**Verdict.** The slope is *identified* when its CR2 95% interval excludes zero. Otherwise it is
not distinguishable from zero, and the market path uses each firm's own average reaction to the
US announcements instead (:attr:`Calibration.firm_reactions`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

import numpy as np
import pandas as pd

from ipposaki.results import ReadOnlyMapping, Result, Summary, SummaryTable, freeze, versions
from ipposaki.scenario.clustered import ClusteredOLS, clustered_ols, wild_cluster_p
from ipposaki.scenario.exposures import Exposures, read_exposures

__all__ = [
    "CALIBRATION_EVENTS",
    "MODEL",
    "Calibration",
    "calibrate",
    "calibrate_reactions",
    "reactions",
]

#: Past announcements, by the country whose rule it was.
CALIBRATION_EVENTS: dict[str, tuple[str, ...]] = {
    "US": ("us_ec_2022_10_07", "us_ec_2023_10_17", "us_ec_2024_12_02"),
    "JP": ("jp_ec_2023_03_31", "jp_ec_2023_05_23", "jp_ec_2023_07_23"),
}
_ZONES = {"US": "America/New_York", "JP": "Asia/Tokyo"}
#: The calibration model, as applied.
MODEL = "car = const + slope x china_share (OLS, errors clustered by announcement)"
REACTION_COLUMNS = (
    "event_id",
    "country",
    "announced",
    "exchange",
    "day0",
    "symbol",
    "name",
    "name_ja",
    "window",
    "car",
    "car_std_err",
    "ret_day0",
    "note",
)


def reactions(
    store: Any,
    firms: Sequence[str],
    events: Mapping[str, Sequence[str]] = CALIBRATION_EVENTS,
    window: str = "0:1",
    exposures: Exposures | None = None,
) -> pd.DataFrame:
    """Each firm's reaction to each past announcement: one row per (announcement, firm).

    Parameters
    ----------
    store : Store
        The price store.
    firms : sequence of str
        Symbols; those not in the store's instruments keep rows with a note.
    events : mapping of str to sequence of str
        Country (``"US"``, ``"JP"``) -> catalogue ids.
    window : str, default "0:1"
        The CAR window.
    exposures : Exposures, optional
        For the firms' names; default the shipped table.

    Returns
    -------
    pandas.DataFrame
        ``event_id``, ``country``, ``announced`` (the zoned timestamp, ISO 8601), ``exchange``,
        ``day0`` (that exchange's event session), ``symbol``, ``name``, ``name_ja``, ``window``,
        ``car``, ``car_std_err``, ``ret_day0`` (the raw return on day 0) and ``note`` (why a pair
        has no CAR).
    """
    from ipposaki.events import builtin_catalog
    from ipposaki.study.spec import SpecEvent

    exp = exposures if exposures is not None else read_exposures()
    catalog = builtin_catalog()
    inst = store.instruments().set_index("symbol")
    stored = set(store.symbols())
    known = [f for f in dict.fromkeys(firms) if f in inst.index and f in stored]
    spec_events = []
    rows = []
    for country, ids in events.items():
        for event_id in ids:
            stamp = catalog.get(event_id).timestamp
            local = stamp.tz_convert(_ZONES.get(country, "UTC"))  # in the announcing country's zone
            ev = SpecEvent(id=event_id, date=None, symbols=tuple(known), timestamp=stamp)
            spec_events.append(ev)
            for sym in dict.fromkeys(firms):
                exchange, name, name_ja = _firm_names(sym, exp, inst)
                rows.append(
                    {
                        "event_id": event_id,
                        "country": country,
                        "announced": local.strftime("%Y-%m-%dT%H:%M%z")[:-2]
                        + ":"
                        + local.strftime("%z")[-2:],
                        "exchange": exchange,
                        "day0": ev.session(exchange).strftime("%Y-%m-%d") if exchange else "",
                        "symbol": sym,
                        "name": name,
                        "name_ja": name_ja,
                        "window": window,
                        "note": "" if sym in known else "no prices in the store",
                    }
                )
    table = pd.DataFrame(rows)
    if known and spec_events:
        table = _with_cars(table, store, spec_events, window)
    else:
        table["car"] = table["car_std_err"] = table["ret_day0"] = np.nan
    table["event_id"] = table["event_id"].astype(str)
    return table[list(REACTION_COLUMNS)].reset_index(drop=True)


def _firm_names(sym: str, exp: Exposures, inst: pd.DataFrame) -> tuple[str, str, str]:
    """A firm's exchange and its English and Japanese names (exposure table first).

    Parameters
    ----------
    sym : str
        The symbol.
    exp : Exposures
        The exposure table.
    inst : pandas.DataFrame
        The store's instruments, indexed by symbol.

    Returns
    -------
    exchange, name, name_ja : str
        ``""`` for the exchange of a symbol not in the store; names fall back on the symbol.
    """
    record = exp.record(sym) or {}
    exchange = str(inst.loc[sym, "exchange"]) if sym in inst.index else ""
    name = record.get("name") or (inst.loc[sym, "name"] if sym in inst.index else sym)
    name_ja = record.get("name_ja") or (inst.loc[sym, "name_ja"] if sym in inst.index else name)
    return exchange, str(name), str(name_ja or name)


def _with_cars(
    table: pd.DataFrame, store: Any, spec_events: list[Any], window: str
) -> pd.DataFrame:
    """The reaction rows with each pair's CAR, its standard error and day-0 return.

    Parameters
    ----------
    table : pandas.DataFrame
        One row per (announcement, firm), ``note`` filled for firms without prices.
    store : Store
        The price store.
    spec_events : list of SpecEvent
        The announcements, on the firms with prices.
    window : str
        The CAR window.

    Returns
    -------
    pandas.DataFrame
        ``table`` with ``car``, ``car_std_err`` and ``ret_day0``; a pair the study left out gets
        the reason in ``note``.
    """
    from ipposaki.study.spec import StudySpec, run_spec
    from ipposaki.study.windows import parse_window

    span = parse_window(window, "calibration.window")
    spec = StudySpec(
        title="export-control reactions",
        events=tuple(spec_events),
        # the default event window -5:10, widened to hold a longer calibration window
        study={
            "car_windows": [window],
            "event_window": f"{min(span.start, -5)}:{max(span.end, 10)}",
        },
    )
    cars, day0, excluded = [], [], []
    for res in run_spec(spec, store).results.values():
        car = res.car
        cars.append(car.loc[car["window"] == window, ["event_id", "symbol", "car", "car_std_err"]])
        ar = res.ar
        zero = ar.loc[ar["rel_day"] == 0, ["event_id", "symbol", "ret"]]
        day0.append(zero.rename(columns={"ret": "ret_day0"}))
        excluded.append(res.excluded)
    if not cars:
        return table.assign(car=np.nan, car_std_err=np.nan, ret_day0=np.nan)
    keys = ["event_id", "symbol"]
    table = table.merge(pd.concat(cars), on=keys, how="left")
    table = table.merge(pd.concat(day0), on=keys, how="left")
    why = pd.concat(excluded).drop_duplicates(keys).set_index(keys)["reason"]
    reason = pd.Series(
        [why.get((e, s), "") for e, s in zip(table["event_id"], table["symbol"], strict=True)],
        index=table.index,
    )
    table["note"] = table["note"].where(table["note"] != "", reason)
    return table


@dataclass(frozen=True)
class Calibration(Result):
    """The market's revealed reaction to export-control announcements.

    Attributes
    ----------
    window : str
        The CAR window.
    reactions : pandas.DataFrame
        One row per (announcement, firm); see :func:`reactions`.
    table : pandas.DataFrame
        ``calibration.csv``: per country of the rules, covariance type and term: ``coef``,
        ``std_err``, ``df``, ``t_stat``, ``p_value``, ``ci_low``, ``ci_high``, ``wild_p_value``
        (the slope's restricted wild cluster bootstrap p-value, Webb weights, every weight vector
        enumerated: a check on the CR2 verdict that needs no degrees of freedom), ``nobs``,
        ``n_clusters``, ``n_firms``, ``share_min``, ``share_max``, ``model``, ``identified`` and
        ``verdict``.
    firm_reactions : pandas.DataFrame
        Per firm, its reaction to the US announcements as the market path uses it: ``mean``,
        ``std_err``, ``n_events`` and ``basis`` (``own average``, ``fitted line`` or ``peers``).
    fits : Mapping
        Read-only: ``(country, cov_type)`` -> :class:`~ipposaki.scenario.clustered.ClusteredOLS`.
    identified : bool
        Whether the US slope (CR2) differs from zero at 5%.
    """

    window: str
    reactions: pd.DataFrame
    table: pd.DataFrame
    firm_reactions: pd.DataFrame
    fits: Mapping[tuple[str, str], ClusteredOLS] = field(default_factory=dict)
    identified: bool = False
    model: str = MODEL

    def __post_init__(self) -> None:
        # Read-only, and it pickles; its keys are (country, cov_type) pairs.
        object.__setattr__(self, "fits", ReadOnlyMapping(cast(Mapping[str, Any], self.fits)))

    def _us(self, column: str) -> float:
        fit = self.fits.get(("US", "CR2"))
        if fit is None or "china_share" not in fit.params.index:
            return float("nan")
        return _cell(fit.params, "china_share", column)

    @property
    def slope(self) -> float:
        """The US rules' slope of CAR on China share."""
        return self._us("coef")

    @property
    def se(self) -> float:
        """Its CR2 standard error."""
        return self._us("std_err")

    @property
    def df(self) -> float:
        """Its Bell–McCaffrey degrees of freedom."""
        return self._us("df")

    @property
    def ci_low(self) -> float:
        """Lower end of its 95% interval (CR2, Bell–McCaffrey)."""
        return self._us("ci_low")

    @property
    def ci_high(self) -> float:
        """Upper end of its 95% interval."""
        return self._us("ci_high")

    @property
    def nobs(self) -> int:
        """Firm-events in the US regression."""
        fit = self.fits.get(("US", "CR2"))
        return 0 if fit is None else fit.nobs

    @property
    def clusters(self) -> int:
        """Announcements in the US regression."""
        fit = self.fits.get(("US", "CR2"))
        return 0 if fit is None else fit.clusters

    @property
    def cov_type(self) -> str:
        """The covariance the verdict rests on."""
        return "CR2"

    @property
    def scatter(self) -> pd.DataFrame:
        """The reactions with the China share each regression used (NaN when left out)."""
        return self.reactions.copy()

    @property
    def summary(self) -> Summary:
        """The model, the reactions measured, the US slope (CR2) with its verdict, and the
        coefficients per country of the rules and covariance type."""
        rx = self.reactions
        measured = int(rx["car"].notna().sum()) if "car" in rx else 0
        lines = [
            f"Export-control calibration, CAR({self.window}): {self.model}",
            f"{measured} of {len(rx)} firm-event reactions measured, "
            f"{rx['event_id'].nunique() if len(rx) else 0} announcements.",
        ]
        if ("US", "CR2") in self.fits:
            lines.append(
                f"US rules, CR2: slope {self.slope:.4f} (95% interval {self.ci_low:.4f} to "
                f"{self.ci_high:.4f}, {self.df:.1f} df), {self.nobs} firm-events in "
                f"{self.fits['US', 'CR2'].clusters} announcements: slope "
                + (
                    "differs from zero at 5%."
                    if self.identified
                    else "not distinguishable from "
                    "zero; the market path uses each firm's average reaction instead."
                )
            )
        else:
            us = self.table.loc[self.table["country"] == "US", "verdict"]
            lines.append(f"US rules: {us.iloc[0] if len(us) else 'no reactions'}.")
        shown = [c for c in self.table.columns if c not in ("model", "identified", "verdict")]
        return Summary.of("\n".join(lines), SummaryTable(self.table[shown]))

    @property
    def manifest(self) -> Mapping[str, Any]:
        """Window, model, the announcements per country, the firms, the verdict, versions."""
        rx = self.reactions
        events = (
            {
                str(c): list(dict.fromkeys(rx.loc[rx["country"] == c, "event_id"].astype(str)))
                for c in dict.fromkeys(rx["country"])
            }
            if len(rx)
            else {}
        )
        return freeze(
            {
                "window": self.window,
                "model": self.model,
                "events": events,
                "firms": list(dict.fromkeys(self.firm_reactions["symbol"].astype(str))),
                "cov_type": self.cov_type,
                "identified": self.identified,
                "versions": versions(),
            }
        )

    def frames(self) -> dict[str, pd.DataFrame]:
        """``calibration`` (the coefficients, the main table), ``reactions`` and
        ``firm_reactions``."""
        return {
            "calibration": self.table.copy(),
            "reactions": self.reactions.copy(),
            "firm_reactions": self.firm_reactions.copy(),
        }


def _cell(frame: pd.DataFrame, row: str, column: str) -> float:
    """``frame.loc[row, column]`` as a float."""
    return float(frame[column].to_numpy()[list(frame.index).index(row)])


def _identified(fit: ClusteredOLS) -> bool:
    """Whether the slope's 95% interval excludes zero."""
    low, high = (
        _cell(fit.params, "china_share", "ci_low"),
        _cell(fit.params, "china_share", "ci_high"),
    )
    return bool(low > 0 or high < 0)


def _fit_rows(
    country: str, data: pd.DataFrame
) -> tuple[list[dict[str, Any]], dict[tuple[str, str], ClusteredOLS]]:
    rows: list[dict[str, Any]] = []
    fits: dict[tuple[str, str], ClusteredOLS] = {}
    x = pd.DataFrame({"const": 1.0, "china_share": data["china_share"].to_numpy(dtype=float)})
    try:
        p_wild = wild_cluster_p(
            data["car"].to_numpy(dtype=float), x, data["event_id"].to_numpy(), "china_share"
        )
    except ValueError:
        p_wild = float("nan")
    for cov in ("CR2", "CR1"):
        try:
            fit = clustered_ols(
                data["car"].to_numpy(dtype=float),
                x,
                data["event_id"].to_numpy(),
                cov,
            )
        except ValueError as exc:
            rows.append(
                {
                    "country": country,
                    "cov_type": cov,
                    "term": "",
                    "nobs": len(data),
                    "verdict": f"not estimable: {exc}",
                }
            )
            continue
        fits[(country, cov)] = fit
        identified = _identified(fit)
        verdict = (
            "slope differs from zero at 5%"
            if identified
            else "slope not distinguishable from zero"
            + (
                "; the market path uses each firm's average reaction instead"
                if country == "US"
                else ""
            )
        )
        for term, r in fit.params.iterrows():
            rows.append(
                {
                    "country": country,
                    "cov_type": cov,
                    "term": str(term),
                    **{
                        c: float(r[c])
                        for c in ("coef", "std_err", "df", "t_stat", "p_value", "ci_low", "ci_high")
                    },
                    "wild_p_value": p_wild if term == "china_share" else float("nan"),
                    "nobs": fit.nobs,
                    "n_clusters": fit.clusters,
                    "n_firms": int(data["symbol"].nunique()),
                    "share_min": float(data["china_share"].min()),
                    "share_max": float(data["china_share"].max()),
                    "model": MODEL,
                    "identified": identified,
                    "verdict": verdict,
                }
            )
    return rows, fits


def _firm_reactions(
    rx: pd.DataFrame,
    firms: Sequence[str],
    fits: dict[tuple[str, str], ClusteredOLS],
    identified: bool,
    exp: Exposures,
) -> pd.DataFrame:
    us = rx.loc[(rx["country"] == "US") & rx["car"].notna(), ["symbol", "car"]]
    us = us.assign(symbol=us["symbol"].astype(str), car=us["car"].astype(float))
    by = us.groupby("symbol")["car"]
    means, counts = by.mean().astype(float), by.count()
    dev = us["car"] - us["symbol"].map(means).astype(float)
    dof = int((counts - 1).clip(lower=0).sum())
    pooled = float(np.sqrt((dev**2).sum() / dof)) if dof > 0 else float(us["car"].std(ddof=1))
    if not np.isfinite(pooled):
        pooled = float("nan")
    exchange = rx.drop_duplicates("symbol").set_index("symbol")["exchange"]
    out = []
    fit = fits.get(("US", "CR2"))
    for sym in firms:
        record = exp.record(sym) or {}
        share = record.get("china_share", np.nan)
        n = int(counts.get(sym, 0))
        if identified and fit is not None and pd.notna(share):
            b = fit.params["coef"]
            mean = float(b["const"] + b["china_share"] * share)
            se = fit.predict_se([1.0, float(share)])
            basis = "fitted line"
        elif n > 0:
            mean, se, basis = float(means[sym]), pooled / np.sqrt(n), "own average"
        else:
            peers = [s for s in means.index if exchange.get(s) == exchange.get(sym)] or list(
                means.index
            )
            mean = float(means[peers].mean()) if peers else float("nan")
            se, basis = pooled, "peers"
        out.append(
            {
                "symbol": sym,
                "mean": mean,
                "std_err": float(se),
                "n_events": n,
                "basis": basis,
                "pooled_sd": pooled,
            }
        )
    return pd.DataFrame(
        out, columns=["symbol", "mean", "std_err", "n_events", "basis", "pooled_sd"]
    )


def calibrate(
    store: Any,
    firms: Sequence[str],
    events: Mapping[str, Sequence[str]] = CALIBRATION_EVENTS,
    window: str = "0:1",
    exposures: Exposures | None = None,
) -> Calibration:
    """Reactions to past announcements, the clustered calibration per country, the verdict.

    Parameters
    ----------
    store : Store
        The price store.
    firms : sequence of str
        The firms whose reactions to measure (the regression uses those with a sourced share).
    events : mapping of str to sequence of str
        Country -> catalogue ids; default :data:`CALIBRATION_EVENTS`.
    window : str, default "0:1"
        The CAR window.
    exposures : Exposures, optional
        China shares and names; default the shipped table.

    Returns
    -------
    Calibration
        Reactions, ``calibration.csv``, the per-firm reactions the market path uses, the verdict.
    """
    exp = exposures if exposures is not None else read_exposures()
    rx = reactions(store, firms, events, window, exp)
    return calibrate_reactions(rx, firms, window, exp)


def calibrate_reactions(
    rx: pd.DataFrame,
    firms: Sequence[str],
    window: str = "0:1",
    exposures: Exposures | None = None,
) -> Calibration:
    """The clustered calibration per country and the verdict, from reactions already measured.

    Parameters
    ----------
    rx : pandas.DataFrame
        One row per (announcement, firm), as :func:`reactions` gives them (``event_id``,
        ``country``, ``symbol``, ``exchange``, ``car`` at least).
    firms : sequence of str
        The firms the market path needs a reaction for.
    window : str, default "0:1"
        The CAR window the reactions were measured over.
    exposures : Exposures, optional
        China shares; default the shipped table.

    Returns
    -------
    Calibration
        As :func:`calibrate` gives it; the countries are those of ``rx``, in order.
    """
    exp = exposures if exposures is not None else read_exposures()
    table = exp.table.set_index("symbol")
    sourced = table.loc[table["status"] != "guess", "china_share"].dropna()
    rx = rx.assign(china_share=rx["symbol"].map(sourced))
    rows: list[dict[str, Any]] = []
    fits: dict[tuple[str, str], ClusteredOLS] = {}
    for country in dict.fromkeys(rx["country"]):
        data = rx.loc[(rx["country"] == country) & rx["car"].notna() & rx["china_share"].notna()]
        r, f = _fit_rows(country, data)
        rows += r
        fits.update(f)
    us = fits.get(("US", "CR2"))
    identified = us is not None and _identified(us)
    columns = [
        "country", "cov_type", "term", "coef", "std_err", "df", "t_stat", "p_value", "ci_low",
        "ci_high", "wild_p_value", "nobs", "n_clusters", "n_firms", "share_min", "share_max",
        "model", "identified", "verdict",
    ]  # fmt: skip
    return Calibration(
        window=window,
        reactions=rx,
        table=pd.DataFrame(rows, columns=columns),
        firm_reactions=_firm_reactions(rx, list(dict.fromkeys(firms)), fits, identified, exp),
        fits=fits,
        identified=identified,
    )
