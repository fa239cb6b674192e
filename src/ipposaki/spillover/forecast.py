"""One-step-ahead forecasts of the target exchange's next session from the source's last one.

``forecast_next(store, "2025-01-27")`` answers: given what New York did on its 2025-01-27 session,
what will Tokyo do on its next session (2025-01-28)? It uses only data known at New York's close
of the as-of session: source returns up to that session, values of series without an exchange
known by then (``JPY=X``: the previous FX day's close; see :mod:`ipposaki.spillover.data`), and
target returns of sessions that closed before it (the target session being forecast is blanked
even if the store holds it). A driver with no value known then is left out with a
:class:`~ipposaki.errors.DriverDroppedWarning`; with none left there is no forecast
(:class:`ForecastUnavailableError`, an :class:`~ipposaki.errors.InputError` naming ``drivers``).
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from ipposaki._typing import DateLike
from ipposaki.calendars import session_times, sessions
from ipposaki.errors import DriverDroppedWarning, InputError
from ipposaki.ols import RollingFit, newey_west, rolling_ols
from ipposaki.results import Result, Summary, manifest_json
from ipposaki.spillover.connectedness_results import frozen_manifest
from ipposaki.spillover.data import SpilloverData, series_clock, spillover_data
from ipposaki.store import Store

__all__ = [
    "DEFAULT_DRIVERS",
    "DEFAULT_TARGETS",
    "ForecastUnavailableError",
    "SpilloverForecast",
    "forecast_next",
    "next_target_session",
]

#: New York series that drive Tokyo by default. ``JPY=X`` is the USD/JPY daily bar, whose close
#: dated D is the FX day's close at 17:00 New York time (see
#: :data:`ipposaki.spillover.data.FX_CLOSE`); at New York's close on D the driver uses the last
#: close known then, D - 1's. ``DEXJPUS`` (FRED H.10, noon New York) is not the default: it follows
#: the Fed's calendar and is published weekly, so at most closes no new value of it is known.
DEFAULT_DRIVERS: tuple[str, ...] = ("^SOX", "^IXIC", "NVDA", "JPY=X")
DEFAULT_TARGETS: tuple[str, ...] = ("^N225", "^TOPX", "jp_semi_equipment", "jp_electric_wires")


class ForecastUnavailableError(InputError):
    """The data cannot give a forecast; says why in words and in fields a report can reword.

    Raised for missing drivers only when *no* driver is left: a driver without a value is
    otherwise dropped with a :class:`~ipposaki.errors.DriverDroppedWarning`.

    Attributes
    ----------
    kind : str
        ``"missing_after"`` (a driver's data end before the as-of session), ``"missing_on"``
        (a driver has no value known at the as-of close, e.g. ``DEXJPUS`` on a US bank holiday
        or before its weekly release) or ``"history"`` (too few sessions with both target and
        driver returns). For missing drivers, the first driver's.
    series : str
        The driver or target concerned.
    day : str
        The as-of session (``"missing_*"``) or the target session (``"history"``).
    last : str
        The series' last stored date (``""`` when it has none, or for ``"history"``).
    need, have : int
        Sessions needed and available (``"history"`` and ``"singular"``; 0 otherwise).
    """

    def __init__(
        self,
        kind: str,
        series: str,
        day: str,
        last: str = "",
        need: int = 0,
        have: int = 0,
        source: str = "XNYS",
        why: str = "",
        value: str = "",
    ) -> None:
        self.kind, self.series, self.day, self.last = kind, series, day, last
        self.need, self.have = need, have
        if kind == "history":
            super().__init__(
                "history",
                f"{have} overlapping sessions for {series}",
                f"at least {need} sessions with both target and driver returns before {day}",
            )
            return
        if kind == "singular":
            super().__init__("drivers", series, "drivers that are not collinear")
            self.args = (
                f"no forecast for {series} on {day}: its regression on the drivers cannot be "
                f"fitted on the {have} sessions before (collinear drivers, such as two "
                "identical series)",
            )
            return
        if not why:
            why = _missing_text(kind, series, day, last, source)
        allowed = f"a driver with a value known at {source}'s {day} close; {why}"
        super().__init__("drivers", value or series, allowed)
        self.args = (f"no forecast from {source}'s {day} close: {why}",)

    def __str__(self) -> str:
        return str(self.args[0])


def _missing_text(kind: str, series: str, day: str, last: str, source: str) -> str:
    if kind == "missing_after":
        return f"no {series} after {last}" if last else f"no {series} in the store"
    return f"no {series} return for {source}'s {day} session"


@dataclass(frozen=True, eq=False)
class SpilloverForecast(Result):
    """Read-only forecasts of the next target session, with intervals and coefficients.

    Notes
    -----
    :meth:`to_dir` writes ``forecast.csv``, ``coefficients.csv``, ``forecast.json`` (the
    manifest, forecasts and coefficients in one document), ``summary.txt`` and
    ``manifest.json``.
    """

    _table: pd.DataFrame
    _coefficients: pd.DataFrame
    _manifest: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_manifest", frozen_manifest(self._manifest))

    @property
    def manifest(self) -> Mapping[str, Any]:
        """Read-only: as-of session, exchanges, target session, window, drivers kept and left
        out (with why), targets, options, and the versions."""
        return self._manifest

    @property
    def table(self) -> pd.DataFrame:
        """target, target_session, forecast, lower, upper, level, nobs, r2, sigma, actual."""
        return self._table.copy()

    @property
    def coefficients(self) -> pd.DataFrame:
        """target, term, coef, hac_std_err, hac_t_stat, p_value (Newey-West)."""
        return self._coefficients.copy()

    @property
    def summary(self) -> Summary:
        """The forecasts as text."""
        m = self._manifest
        head = (
            f"One step ahead: {m['target']} session {m['target_session']} from {m['source']} "
            f"session {m['as_of']} (data up to {m['source']} close {m['source_close']}); "
            f"{_window_text(m['window'])}; drivers {', '.join(m['drivers'])}"
        )
        dropped = m.get("dropped") or {}
        if dropped:
            head += "; left out: " + "; ".join(f"{k} ({v})" for k, v in dropped.items())
        rows = [
            f"  {r.target:<22} {r.forecast:+.2%}  [{r.lower:+.2%}, {r.upper:+.2%}] "
            f"({r.level:.0%} PI, n={r.nobs}, R2={r.r2:.2f})"
            for r in self._table.itertuples()
        ]
        return Summary.of("\n".join([head, *rows]))

    def frames(self) -> dict[str, pd.DataFrame]:
        """``forecast`` (:attr:`table`) and ``coefficients``."""
        return {"forecast": self.table, "coefficients": self.coefficients}

    def write_extra(self, folder: Path) -> list[Path]:
        """``forecast.json``: the manifest, forecasts and coefficients in one document."""
        doc = {
            "manifest": self._manifest,
            "forecasts": self._table.to_dict("records"),
            "coefficients": self._coefficients.to_dict("records"),
        }
        path = folder / "forecast.json"
        path.write_text(manifest_json(doc), encoding="utf-8")
        return [path]


def _window_text(window: int | None) -> str:
    return f"rolling {window} sessions" if window else "expanding window"


def next_target_session(source: str, target: str, as_of: DateLike) -> pd.Timestamp:
    """Return the first ``target`` session that opens after ``source``'s ``as_of`` close.

    Parameters
    ----------
    source, target : str
        ISO MICs.
    as_of : date-like
        A session of ``source``.

    Returns
    -------
    pandas.Timestamp
        The target session.

    Raises
    ------
    InputError
        If ``as_of`` is not a session of ``source``; the message suggests the nearest.
    """
    day = pd.Timestamp(as_of)
    src = sessions(source)
    if day not in src:
        pos = int(src.searchsorted(day))
        near = [src[i] for i in (pos - 1, pos) if 0 <= i < len(src)]
        best = min(near, key=lambda s: abs(s - day))
        raise InputError(
            "as_of", str(day.date()), f"a session of {source} (nearest: {best.date()})"
        )
    close = session_times(source, day, day)["close"].iloc[0]
    tgt = session_times(target, day, day + pd.Timedelta(days=20))
    later = tgt.index[tgt["open"] >= close]
    return pd.Timestamp(later[0])


def _missing_drivers(
    store: Store,
    data: SpilloverData,
    drivers: list[str],
    t_star: pd.Timestamp,
    as_of: DateLike,
    source: str,
) -> dict[str, tuple[str, str, str]]:
    """Drivers with no value for ``t_star``: name -> (kind, last stored date, reason)."""
    row = data.x.loc[t_star]
    day = str(pd.Timestamp(as_of).date())
    exchange = store.instruments().set_index("symbol")["exchange"]
    out: dict[str, tuple[str, str, str]] = {}
    for driver in drivers:
        if not pd.isna(row[driver]):
            continue
        _, last = store.span([driver])
        last_text = "" if last is None else str(last.date())
        if last is None or last < pd.Timestamp(as_of):
            kind = "missing_after"
            why = _missing_text(kind, driver, day, last_text, source)
        elif exchange.get(driver, "") == source:
            kind = "missing_on"
            why = _missing_text(kind, driver, day, last_text, source)
        else:
            kind = "missing_on"
            pos = data.alignment.index.get_loc(t_star)
            prev = data.alignment["source_session"].iloc[pos - 1] if pos else None
            since = f"{pd.Timestamp(prev).date()} and {day}" if prev is not None else day
            why = (
                f"no {driver} value became known between {source}'s {since} closes "
                f"({series_clock(driver).description})"
            )
        out[driver] = (kind, last_text, why)
    return out


#: The manifest's note on the ``actual`` column.
_ACTUAL_NOTE = (
    "the actual column is filled when the store already holds the target session; "
    "it is never used by the forecast"
)


def forecast_next(
    store: Store,
    as_of: DateLike,
    source: str = "XNYS",
    target: str = "XTKS",
    targets: list[str] | None = None,
    drivers: list[str] | None = None,
    window: int | None = 250,
    own_lag: bool = False,
    open_gap: bool = False,
    lag: bool = False,
    level: float = 0.9,
    min_obs: int | None = None,
) -> SpilloverForecast:
    """Forecast every target's next session from the source's ``as_of`` session.

    Parameters
    ----------
    store : Store
        The price store.
    as_of : date-like
        The source session just closed.
    source, target : str, default "XNYS", "XTKS"
        ISO MICs.
    targets, drivers : list of str, optional
        Default :data:`DEFAULT_TARGETS` and :data:`DEFAULT_DRIVERS`.
    window : int or None, default 250
        Target sessions in the estimation window; None for an expanding window (every earlier
        session).
    own_lag : bool, default False
        Add each target's previous return as a driver.
    open_gap : bool, default False
        Also forecast each target's open gap.
    lag : bool, default False
        Allow ``source == target``, with drivers from the previous session.
    level : float, default 0.9
        Prediction-interval level.
    min_obs : int, optional
        Fewest valid sessions; default ``window // 2``.

    Returns
    -------
    SpilloverForecast
        Forecasts with intervals, Newey-West coefficients, and a manifest.

    Raises
    ------
    ForecastUnavailableError
        When no driver has a value known at the as-of close (their data end earlier, they have
        no return that day, or no new value was published), or a target has too little history:
        the message says which. A subclass of InputError naming ``drivers`` (or ``history``).
    InputError
        For a non-session as-of date or bad names.

    Warns
    -----
    DriverDroppedWarning
        For each driver left out because it has no value known at the as-of close; the
        manifest's ``dropped`` says why.
    """
    targets = list(targets or DEFAULT_TARGETS)
    drivers = list(drivers or DEFAULT_DRIVERS)
    if not 0 < level < 1:
        raise InputError("level", level, "a number between 0 and 1")
    t_star = next_target_session(source, target, as_of)
    data = spillover_data(
        store,
        source,
        target,
        targets,
        drivers,
        _history_start(target, t_star, window),
        t_star,
        source_end=as_of,
        open_gap=open_gap,
        own_lag=own_lag,
        lag=lag,
    )
    data, actual = _hide_session(data, t_star)
    drivers, dropped = _drop_missing_drivers(store, data, drivers, t_star, as_of, source)
    forecasts, coefficients = _forecast_tables(
        data, drivers, own_lag, window, min_obs, t_star, level, actual
    )
    close = session_times(source, as_of, as_of)["close"].iloc[0]
    manifest = {
        "as_of": str(pd.Timestamp(as_of).date()),
        "source": source,
        "target": target,
        "target_session": str(t_star.date()),
        "source_close": str(close),
        "window": window,
        "drivers": drivers,
        "dropped": dropped,
        "targets": targets,
        "own_lag": own_lag,
        "open_gap": open_gap,
        "level": level,
        "note": _ACTUAL_NOTE,
    }
    return SpilloverForecast(forecasts, coefficients, manifest)


def _history_start(target: str, session: pd.Timestamp, window: int | None) -> pd.Timestamp:
    """The first session to read: a window (all history if None) and 5 sessions before ``session``.

    Parameters
    ----------
    target : str
        ISO MIC of the target exchange.
    session : pandas.Timestamp
        The first target session to forecast.
    window : int or None
        Rolling window in sessions; None for an expanding one.

    Returns
    -------
    pandas.Timestamp
        A session of ``target``, the exchange's first one at the earliest.
    """
    grid = sessions(target)
    span = window if window is not None else len(grid)
    return grid[max(int(grid.searchsorted(session)) - span - 5, 0)]


def _hide_session(data: SpilloverData, t_star: pd.Timestamp) -> tuple[SpilloverData, np.ndarray]:
    """Blank the targets' returns on ``t_star``, which come after the as-of close.

    Parameters
    ----------
    data : SpilloverData
        Targets and drivers up to ``t_star``.
    t_star : pandas.Timestamp
        The target session forecast.

    Returns
    -------
    data : SpilloverData
        A copy with the targets' ``t_star`` row NaN, so no fit can use it.
    actual : numpy.ndarray
        (K,) the blanked returns (NaN where the store does not hold them yet).
    """
    actual = data.y.loc[t_star].to_numpy(dtype=float).copy()
    y = data.y.copy()
    y.loc[t_star] = np.nan
    return SpilloverData(y=y, x=data.x, alignment=data.alignment), actual


def _drop_missing_drivers(
    store: Store,
    data: SpilloverData,
    drivers: list[str],
    t_star: pd.Timestamp,
    as_of: DateLike,
    source: str,
) -> tuple[list[str], dict[str, str]]:
    """Leave out the drivers with no value known at the as-of close, with a warning for each.

    Parameters
    ----------
    store, data, drivers, t_star, as_of, source
        As in :func:`_missing_drivers`.

    Returns
    -------
    kept : list of str
        The drivers left, in their order.
    dropped : dict of str to str
        Each driver left out and why, in words.

    Raises
    ------
    ForecastUnavailableError
        If no driver is left.

    Warns
    -----
    DriverDroppedWarning
        For each driver left out, pointing at the caller of :func:`forecast_next`.
    """
    missing = _missing_drivers(store, data, drivers, t_star, as_of, source)
    day = str(pd.Timestamp(as_of).date())
    if len(missing) == len(drivers):
        lead = drivers[0]
        kind, last_text, _ = missing[lead]
        why = "; ".join(v[2] for v in missing.values())
        if len(drivers) > 1:
            why = f"no driver has a value known then ({why})"
        raise ForecastUnavailableError(
            kind, lead, day, last_text, source=source, why=why, value=",".join(drivers)
        )
    for driver, (_, _, why) in missing.items():
        warnings.warn(
            f"driver {driver} left out of the forecast from {source}'s {day} close: {why}",
            DriverDroppedWarning,
            stacklevel=3,
        )
    return [d for d in drivers if d not in missing], {d: v[2] for d, v in missing.items()}


def _check_fitted(
    fit: RollingFit, last: int, need: int, cols: list[str], t_star: pd.Timestamp
) -> None:
    """Raise for the first target whose window before ``t_star`` gave no coefficients.

    Parameters
    ----------
    fit : RollingFit
        The rolling fit of every target.
    last : int
        The row of ``t_star``.
    need : int
        Fewest valid sessions asked for.
    cols : list of str
        The targets, in the fit's order.
    t_star : pandas.Timestamp
        The target session forecast.

    Raises
    ------
    ForecastUnavailableError
        ``"history"`` with fewer than ``need`` sessions, else ``"singular"``.
    """
    have = fit.nobs[:, last]
    short = np.flatnonzero(np.isnan(fit.beta[:, last, 0]))
    if len(short):
        j = int(short[0])
        kind = "history" if have[j] < need else "singular"
        raise ForecastUnavailableError(
            kind, cols[j], str(t_star.date()), need=need, have=int(have[j])
        )


def _forecast_tables(
    data: SpilloverData,
    drivers: list[str],
    own_lag: bool,
    window: int | None,
    min_obs: int | None,
    t_star: pd.Timestamp,
    level: float,
    actual: np.ndarray,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Fit each target on the window before ``t_star`` (the last row) and forecast it.

    Parameters
    ----------
    data : SpilloverData
        Targets (``t_star`` blanked) and the kept drivers.
    drivers : list of str
        The drivers kept.
    own_lag : bool
        Whether each target's previous return is a regressor.
    window : int or None
        Estimation window (None: every earlier session).
    min_obs : int or None
        Fewest valid sessions in the window; default ``window // 2`` (125 if expanding).
    t_star : pandas.Timestamp
        The target session forecast.
    level : float
        Prediction-interval level.
    actual : numpy.ndarray
        (K,) the targets' returns on ``t_star`` where stored (NaN otherwise); never fitted.

    Returns
    -------
    table, coefficients : pandas.DataFrame
        :attr:`SpilloverForecast.table` and :attr:`SpilloverForecast.coefficients`.

    Raises
    ------
    ForecastUnavailableError
        If a target's window gives no coefficients (see :func:`_check_fitted`).
    """
    need = min_obs if min_obs is not None else (window // 2 if window else 125)
    cols = list(data.y.columns)
    y, x = data.design(drivers, own_lag)
    fit = rolling_ols(y, x, window, need)
    last = len(data.y) - 1
    _check_fitted(fit, last, need, cols, t_star)
    terms = ["const", *drivers] + (["lag"] if own_lag else [])
    fc, half = fit.at(last).interval(x[:, last : last + 1], level)
    lo = max(last - window, 0) if window else 0
    rows, coef_rows = [], []
    for i, col in enumerate(cols):
        beta = fit.beta[i, last]
        se, r2 = _hac_fit(y[i, lo:last], x[i, lo:last], beta)
        rows.append(
            {
                "target": col,
                "target_session": t_star.date(),
                "forecast": fc[i, 0],
                "lower": fc[i, 0] - half[i, 0],
                "upper": fc[i, 0] + half[i, 0],
                "level": level,
                "nobs": int(fit.nobs[i, last]),
                "r2": r2,
                "sigma": float(np.sqrt(fit.sigma2[i, last])),
                "actual": float(actual[i]),
            }
        )
        coef_rows += _coef_rows(col, terms, beta, se)
    return pd.DataFrame(rows), pd.DataFrame(coef_rows)


def _hac_fit(y: np.ndarray, x: np.ndarray, beta: np.ndarray) -> tuple[np.ndarray, float]:
    """Newey-West standard errors and R^2 of ``beta`` over one target's estimation window.

    Parameters
    ----------
    y : numpy.ndarray
        (L,) the target's returns (NaN where missing).
    x : numpy.ndarray
        (L, K) its regressors (rows with a NaN are left out).
    beta : numpy.ndarray
        (K,) the fitted coefficients.

    Returns
    -------
    se : numpy.ndarray
        (K,) Newey-West standard errors.
    r2 : float
        In-sample R^2 (NaN when ``y`` is constant).
    """
    ok = ~np.isnan(y) & ~np.isnan(x).any(axis=1)
    resid = y[ok] - x[ok] @ beta
    se = np.sqrt(np.diag(newey_west(x[ok], resid)))
    tss = np.sum((y[ok] - y[ok].mean()) ** 2)
    return se, (1.0 - float(resid @ resid) / tss if tss > 0 else np.nan)


def _coef_rows(
    target: str, terms: list[str], beta: np.ndarray, se: np.ndarray
) -> list[dict[str, Any]]:
    """One target's rows of :attr:`SpilloverForecast.coefficients`, with normal HAC p-values."""
    rows = []
    for j, term in enumerate(terms):
        tval = beta[j] / se[j]
        rows.append(
            {
                "target": target,
                "term": term,
                "coef": beta[j],
                "hac_std_err": se[j],
                "hac_t_stat": tval,
                "p_value": 2 * stats.norm.sf(abs(tval)),
            }
        )
    return rows
