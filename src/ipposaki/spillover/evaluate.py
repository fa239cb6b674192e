"""Out-of-sample evaluation of the spillover model against naive forecasts.

For every target session in [start, end] the model is fitted on the window before it and
forecasts it; the benchmarks are the zero forecast and the historical mean of the same window.
Reported per target (a symbol or a basket):

* RMSE, MAE and the directional hit rate (share of sessions where the forecast has the sign of
  the outcome, zero outcomes left out);
* the Diebold-Mariano test of equal squared-error loss against each benchmark, with the
  Harvey-Leybourne-Newbold (1997) small-sample correction
  ``DM* = DM sqrt((n + 1 - 2h + h(h - 1)/n) / n)`` compared with t(n - 1), h = 1;
* the Mincer-Zarnowitz regression ``y = a + b f``: a, b and the Wald test of a = 0, b = 1 with
  Newey-West covariance (chi-square, 2 df).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from ipposaki._typing import DateLike
from ipposaki.calendars import sessions
from ipposaki.errors import InputError
from ipposaki.spillover.data import spillover_data
from ipposaki.spillover.forecast import DEFAULT_DRIVERS, DEFAULT_TARGETS, _window_text
from ipposaki.spillover.model import newey_west, rolling_ols
from ipposaki.store import Store

__all__ = ["SpilloverEvaluation", "diebold_mariano", "evaluate_spillover", "mincer_zarnowitz"]


def diebold_mariano(e_model: np.ndarray, e_bench: np.ndarray, h: int = 1) -> tuple[float, float]:
    """Diebold-Mariano test (squared loss) with the Harvey-Leybourne-Newbold correction.

    Parameters
    ----------
    e_model, e_bench : numpy.ndarray
        Forecast errors of the model and of the benchmark, aligned.
    h : int, default 1
        Forecast horizon (autocovariances up to h - 1 enter the variance).

    Returns
    -------
    tuple[float, float]
        The corrected statistic (negative when the model's loss is smaller) and its two-sided
        p-value from t(n - 1).
    """
    d = e_model**2 - e_bench**2
    n = len(d)
    if n < 3:
        return np.nan, np.nan
    dbar = d.mean()
    dev = d - dbar
    var = dev @ dev / n
    for k in range(1, h):
        var += 2.0 * (dev[k:] @ dev[:-k]) / n
    if var <= 0:
        return np.nan, np.nan
    dm = dbar / np.sqrt(var / n)
    correction = np.sqrt((n + 1 - 2 * h + h * (h - 1) / n) / n)
    stat = dm * correction
    return float(stat), float(2 * stats.t.sf(abs(stat), n - 1))


def mincer_zarnowitz(y: np.ndarray, f: np.ndarray) -> tuple[float, float, float]:
    """Mincer-Zarnowitz regression y = a + b f; returns a, b and the HAC Wald p-value of (0, 1)."""
    x = np.column_stack([np.ones(len(f)), f])
    coef, *_ = np.linalg.lstsq(x, y, rcond=None)
    cov = newey_west(x, y - x @ coef)
    diff = coef - np.array([0.0, 1.0])
    try:
        wald = float(diff @ np.linalg.solve(cov, diff))
    except np.linalg.LinAlgError:
        return float(coef[0]), float(coef[1]), np.nan
    return float(coef[0]), float(coef[1]), float(stats.chi2.sf(wald, 2))


@dataclass(frozen=True, eq=False)
class SpilloverEvaluation:
    """Read-only out-of-sample evaluation: metrics per target and the forecasts behind them."""

    _metrics: pd.DataFrame
    _forecasts: pd.DataFrame
    manifest: dict[str, Any] = field(default_factory=dict)

    @property
    def metrics(self) -> pd.DataFrame:
        """One row per target: n, rmse, mae, hit_rate, ratios and tests against benchmarks."""
        return self._metrics.copy()

    @property
    def forecasts(self) -> pd.DataFrame:
        """session, target, actual, forecast, zero, mean: the out-of-sample series."""
        return self._forecasts.copy()

    @property
    def summary(self) -> str:
        """The metrics as text."""
        m = self.manifest
        head = (
            f"Out of sample {m['start']}..{m['end']}, {m['source']} -> {m['target']}, "
            f"{_window_text(m['window'])}, drivers {', '.join(m['drivers'])}"
        )
        cols = [
            "target",
            "n",
            "rmse",
            "rmse_vs_zero",
            "rmse_vs_mean",
            "hit_rate",
            "dm_zero_p",
            "dm_mean_p",
            "mz_b",
            "mz_p",
        ]
        return (
            head
            + "\n"
            + self._metrics[cols].to_string(index=False, float_format=lambda v: f"{v:.4f}")
        )

    def __str__(self) -> str:
        return self.summary


def evaluate_spillover(
    store: Store,
    start: DateLike,
    end: DateLike,
    source: str = "XNYS",
    target: str = "XTKS",
    targets: list[str] | None = None,
    drivers: list[str] | None = None,
    window: int | None = 250,
    own_lag: bool = False,
    open_gap: bool = False,
    lag: bool = False,
) -> SpilloverEvaluation:
    """Forecast every target session in [start, end] out of sample and score the forecasts.

    Parameters
    ----------
    store : Store
        The price store.
    start, end : date-like
        Target sessions to forecast.
    source, target : str
        ISO MICs.
    targets, drivers : list of str, optional
        Default :data:`DEFAULT_TARGETS` and :data:`DEFAULT_DRIVERS`.
    window : int or None, default 250
        Rolling window (target sessions); None for an expanding window.
    own_lag, open_gap, lag : bool
        As in :func:`~ipposaki.spillover.forecast_next`.

    Returns
    -------
    SpilloverEvaluation
        Metrics per target and the forecast series.

    Raises
    ------
    InputError
        If the range holds no target session or too little history precedes it.
    """
    targets = list(targets or DEFAULT_TARGETS)
    drivers = list(drivers or DEFAULT_DRIVERS)
    grid = sessions(target, start, end)
    if len(grid) == 0:
        raise InputError("start/end", f"{start}..{end}", f"a range with {target} sessions")
    all_grid = sessions(target)
    span = window if window is not None else len(all_grid)
    first = all_grid[max(int(all_grid.searchsorted(grid[0])) - span - 5, 0)]
    data = spillover_data(
        store,
        source,
        target,
        targets,
        drivers,
        first,
        grid[-1],
        open_gap=open_gap,
        own_lag=own_lag,
        lag=lag,
    )
    cols = list(data.y.columns)
    t = len(data.y)
    y, x = data.design(drivers, own_lag)
    need = window // 2 if window else 125
    fit = rolling_ols(y, x, window, need)
    forecast = fit.predict(x)
    ones = np.ones((len(cols), t, 1))
    mean_fit = rolling_ols(y, ones, window, need)
    mean_fc = mean_fit.predict(ones)
    in_range = data.y.index >= grid[0]
    rows, series = [], []
    for i, col in enumerate(cols):
        ok = in_range & ~np.isnan(y[i]) & ~np.isnan(forecast[i]) & ~np.isnan(mean_fc[i])
        yy, ff, mm = y[i, ok], forecast[i, ok], mean_fc[i, ok]
        n = len(yy)
        if n < 10:
            raise InputError(
                "history", f"{n} evaluable sessions for {col}", "at least 10 (check --start)"
            )
        e_model, e_zero, e_mean = yy - ff, yy, yy - mm
        nonzero = yy != 0
        dm_z, dm_zp = diebold_mariano(e_model, e_zero)
        dm_m, dm_mp = diebold_mariano(e_model, e_mean)
        mz_a, mz_b, mz_p = mincer_zarnowitz(yy, ff)
        rmse = float(np.sqrt(np.mean(e_model**2)))
        rows.append(
            {
                "target": col,
                "n": n,
                "rmse": rmse,
                "mae": float(np.mean(np.abs(e_model))),
                "hit_rate": float(np.mean(np.sign(ff[nonzero]) == np.sign(yy[nonzero]))),
                "rmse_zero": float(np.sqrt(np.mean(e_zero**2))),
                "rmse_mean": float(np.sqrt(np.mean(e_mean**2))),
                "rmse_vs_zero": rmse / float(np.sqrt(np.mean(e_zero**2))),
                "rmse_vs_mean": rmse / float(np.sqrt(np.mean(e_mean**2))),
                "mae_zero": float(np.mean(np.abs(e_zero))),
                "mae_mean": float(np.mean(np.abs(e_mean))),
                "hit_rate_mean": float(np.mean(np.sign(mm[nonzero]) == np.sign(yy[nonzero]))),
                "dm_zero": dm_z,
                "dm_zero_p": dm_zp,
                "dm_mean": dm_m,
                "dm_mean_p": dm_mp,
                "mz_a": mz_a,
                "mz_b": mz_b,
                "mz_p": mz_p,
            }
        )
        series.append(
            pd.DataFrame(
                {
                    "session": data.y.index[ok],
                    "target": col,
                    "actual": yy,
                    "forecast": ff,
                    "zero": 0.0,
                    "mean": mm,
                }
            )
        )
    manifest = {
        "start": str(grid[0].date()),
        "end": str(grid[-1].date()),
        "source": source,
        "target": target,
        "window": window,
        "drivers": drivers,
        "targets": targets,
        "own_lag": own_lag,
        "open_gap": open_gap,
    }
    return SpilloverEvaluation(pd.DataFrame(rows), pd.concat(series, ignore_index=True), manifest)
