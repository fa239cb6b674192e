"""Out-of-sample evaluation of the spillover model against naive forecasts.

For every target session in [start, end] the model is fitted on the window before it and
forecasts it; the benchmarks are the zero forecast and the historical mean of the same window.
Reported per target (a symbol or a basket):

* RMSE, MAE and the directional hit rate (share of sessions where the forecast has the sign of
  the outcome, zero outcomes left out);
* the Diebold-Mariano test of equal squared-error loss against each benchmark, with the
  Harvey-Leybourne-Newbold (1997) small-sample correction
  ``DM* = DM sqrt((n + 1 - 2h + h(h - 1)/n) / n)`` compared with t(n - 1), h = 1;
* the Clark-West (2007) test against each benchmark, which the model nests (set its slopes to
  zero and it is the mean or, without the intercept, the zero forecast). With benchmark forecast
  ``b_t`` and model forecast ``m_t``, ``f_t = (y_t - b_t)^2 - [(y_t - m_t)^2 - (b_t - m_t)^2]``;
  the statistic is the mean of ``f`` over its Newey-West standard error (Bartlett kernel,
  ``floor(4 (n / 100)^(2/9))`` lags), compared one-sided with N(0, 1): a small p says the model
  forecasts better than the benchmark. Diebold-Mariano is biased against the larger model in
  this nested case; Clark-West corrects for the noise of estimating the extra parameters;
* the out-of-sample R^2 of Campbell and Thompson (2008), ``1 - sum (y - m)^2 / sum (y - mean)^2``:
  positive when the model's squared errors are smaller than the historical mean's;
* the Mincer-Zarnowitz regression ``y = a + b f``: a, b and the Wald test of a = 0, b = 1 with
  Newey-West covariance (chi-square, 2 df).

With ``split`` every target is also scored in its two parts, overnight (previous close to open)
and daytime (open to close), forecast from the same drivers and information (Hamao, Masulis and
Ng 1990; Lin, Engle and Ito 1994), and :attr:`SpilloverEvaluation.split` shows them side by side.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from ipposaki._typing import DateLike
from ipposaki.calendars import sessions
from ipposaki.errors import DriverDroppedWarning, InputError
from ipposaki.ols import newey_west, rolling_ols
from ipposaki.results import Result, Summary, SummaryTable
from ipposaki.spillover.connectedness_results import frozen_manifest
from ipposaki.spillover.data import SpilloverData, spillover_data
from ipposaki.spillover.forecast import (
    DEFAULT_DRIVERS,
    DEFAULT_TARGETS,
    _history_start,
    _window_text,
)
from ipposaki.store import Store
from ipposaki.study.statistics import TestResult

__all__ = [
    "ClarkWestTest",
    "MincerZarnowitz",
    "SpilloverEvaluation",
    "clark_west",
    "diebold_mariano",
    "evaluate_spillover",
    "mincer_zarnowitz",
    "r2_oos",
]

#: The parts of a close-to-close return reported by ``split``, and their target suffixes.
PARTS: tuple[tuple[str, str], ...] = (
    ("close", ""),
    ("overnight", ":overnight"),
    ("daytime", ":daytime"),
)


#: The null hypothesis of the Diebold-Mariano test, in words.
DM_NULL = "the model and the benchmark have equal expected squared forecast errors"
#: The papers the Diebold-Mariano test follows.
DM_REFERENCE = "Diebold and Mariano (1995); Harvey, Leybourne and Newbold (1997)"
#: The null hypothesis of the Mincer-Zarnowitz Wald test, in words.
MZ_NULL = "the forecast is unbiased and efficient: in y = a + b f, a = 0 and b = 1"
#: The paper the Mincer-Zarnowitz regression follows.
MZ_REFERENCE = "Mincer and Zarnowitz (1969), with Newey-West (1987) covariance"


def diebold_mariano(
    e_model: np.ndarray, e_bench: np.ndarray, h: int = 1, *, basket: str = "", window: str = ""
) -> TestResult:
    """Diebold-Mariano test (squared loss) with the Harvey-Leybourne-Newbold correction.

    Parameters
    ----------
    e_model, e_bench : numpy.ndarray
        Forecast errors of the model and of the benchmark, aligned.
    h : int, default 1
        Forecast horizon (autocovariances up to h - 1 enter the variance).
    basket, window : str, default ""
        Labels for the result (the target and the evaluated range, say).

    Returns
    -------
    TestResult
        The corrected statistic (negative when the model's loss is smaller) and its two-sided
        p-value from t(n - 1); NaN with fewer than 3 errors or a zero variance.

    Examples
    --------
    >>> import numpy as np
    >>> r = diebold_mariano(np.array([0.1, 0.2, 0.1, 0.0]), np.array([0.2, 0.1, 0.3, 0.2]))
    >>> round(r.statistic, 4), r.distribution
    (-1.3198, 't(3)')
    """
    d = e_model**2 - e_bench**2
    n = len(d)
    stat = p = float("nan")
    if n >= 3:
        dbar = d.mean()
        dev = d - dbar
        var = dev @ dev / n
        for k in range(1, h):
            var += 2.0 * (dev[k:] @ dev[:-k]) / n
        if var > 0:
            correction = np.sqrt((n + 1 - 2 * h + h * (h - 1) / n) / n)
            stat = float(dbar / np.sqrt(var / n) * correction)
            p = float(2 * stats.t.sf(abs(stat), n - 1))
    return TestResult(
        test="diebold_mariano",
        basket=basket,
        window=window,
        statistic=stat,
        p_value=p,
        df=float(n - 1),
        nobs=n,
        distribution=f"t({n - 1})",
        null=DM_NULL,
        reference=DM_REFERENCE,
    )


#: The null hypothesis of the Clark-West test, in words.
CW_NULL = "equal mean squared prediction error (the model nests the benchmark)"
#: The alternative of the Clark-West test.
CW_ALTERNATIVE = "the model's mean squared prediction error is smaller (one-sided)"
#: The papers the Clark-West test follows.
CW_REFERENCE = "Clark and West (2007), with Newey-West (1987) standard errors"


@dataclass(frozen=True)
class ClarkWestTest(TestResult):
    """The Clark-West (2007) test of equal forecast accuracy for nested models.

    A :class:`~ipposaki.study.statistics.TestResult` (``test`` is ``"clark_west"``,
    ``distribution`` ``"N(0, 1)"``, ``df`` NaN) with the parts of its statistic.

    Attributes
    ----------
    statistic : float
        ``mean(f) / std_err(mean(f))``; positive when the model's adjusted loss is smaller.
    p_value : float
        One-sided p-value, ``P(N(0, 1) > statistic)``.
    mean : float
        The mean of ``f_t = e_bench^2 - [e_model^2 - (f_bench - f_model)^2]``.
    std_err : float
        Newey-West standard error of ``mean``.
    nobs : int
        Forecasts compared.
    lags : int
        Newey-West lags.
    alternative : str
        The alternative hypothesis, in words.
    """

    mean: float = float("nan")
    std_err: float = float("nan")
    lags: int = 0
    alternative: str = CW_ALTERNATIVE


def _clark_west_result(
    statistic: float, p_value: float, mean: float, std_err: float, nobs: int, lags: int
) -> ClarkWestTest:
    return ClarkWestTest(
        test="clark_west",
        basket="",
        window="",
        statistic=statistic,
        p_value=p_value,
        df=float("nan"),
        nobs=nobs,
        distribution="N(0, 1)",
        null=CW_NULL,
        reference=CW_REFERENCE,
        mean=mean,
        std_err=std_err,
        lags=lags,
    )


def clark_west(
    y: np.ndarray, f_model: np.ndarray, f_bench: np.ndarray, lags: int | None = None
) -> ClarkWestTest:
    """Clark-West (2007) MSPE-adjusted test of a model against a benchmark it nests.

    Parameters
    ----------
    y : numpy.ndarray
        Outcomes.
    f_model, f_bench : numpy.ndarray
        Forecasts of the larger model and of the nested benchmark, aligned with ``y``.
    lags : int, optional
        Newey-West lags; default ``floor(4 (n / 100)^(2/9))``.

    Returns
    -------
    ClarkWestTest
        The statistic, its one-sided p-value and what they test; NaN with fewer than 3
        forecasts or a zero variance.

    Examples
    --------
    >>> import numpy as np
    >>> y = np.array([0.02, -0.01, 0.03, 0.0, -0.02, 0.01])
    >>> test = clark_west(y, 0.5 * y, np.zeros(6), lags=0)  # f_t = y_t^2 here
    >>> round(test.mean * 1e4, 4), test.nobs, test.p_value < 0.05
    (3.1667, 6, True)
    """
    e_bench, e_model = y - f_bench, y - f_model
    f = e_bench**2 - (e_model**2 - (f_bench - f_model) ** 2)
    n = len(f)
    if lags is None:
        lags = int(np.floor(4.0 * (n / 100.0) ** (2.0 / 9.0)))
    nan = float("nan")
    if n < 3:
        return _clark_west_result(nan, nan, nan, nan, n, lags)
    fbar = float(f.mean())
    var = float(newey_west(np.ones((n, 1)), f - fbar, lags)[0, 0])
    if not var > 0:
        return _clark_west_result(nan, nan, fbar, nan, n, lags)
    std_err = float(np.sqrt(var))
    stat = fbar / std_err
    return _clark_west_result(stat, float(stats.norm.sf(stat)), fbar, std_err, n, lags)


def r2_oos(y: np.ndarray, f_model: np.ndarray, f_mean: np.ndarray) -> float:
    """Campbell-Thompson (2008) out-of-sample R^2: ``1 - sum e_model^2 / sum e_mean^2``.

    Parameters
    ----------
    y : numpy.ndarray
        Outcomes.
    f_model, f_mean : numpy.ndarray
        The model's forecasts and the historical-mean forecasts, aligned with ``y``.

    Returns
    -------
    float
        Positive when the model's squared errors sum to less than the mean's; NaN when the
        mean's errors are all zero.

    Examples
    --------
    >>> import numpy as np
    >>> r2_oos(np.array([1.0, -1.0]), np.array([0.5, -0.5]), np.zeros(2))
    0.75
    """
    denom = float(np.sum((y - f_mean) ** 2))
    if denom == 0:
        return float("nan")
    return 1.0 - float(np.sum((y - f_model) ** 2)) / denom


@dataclass(frozen=True)
class MincerZarnowitz:
    """The Mincer-Zarnowitz regression ``y = a + b f`` and its Wald test of ``a = 0, b = 1``.

    Attributes
    ----------
    a, b : float
        Intercept and slope.
    wald : TestResult
        The Wald statistic with Newey-West covariance, compared with chi-square(2).
    """

    a: float
    b: float
    wald: TestResult

    @property
    def statistic(self) -> float:
        """The Wald statistic (:attr:`wald`'s)."""
        return self.wald.statistic

    @property
    def p_value(self) -> float:
        """The Wald test's p-value (:attr:`wald`'s)."""
        return self.wald.p_value


def mincer_zarnowitz(
    y: np.ndarray, f: np.ndarray, *, basket: str = "", window: str = ""
) -> MincerZarnowitz:
    """Mincer-Zarnowitz regression ``y = a + b f`` with the HAC Wald test of ``(a, b) = (0, 1)``.

    Parameters
    ----------
    y : numpy.ndarray
        Outcomes.
    f : numpy.ndarray
        Forecasts, aligned with ``y``.
    basket, window : str, default ""
        Labels for the test result.

    Returns
    -------
    MincerZarnowitz
        ``a``, ``b`` and the Wald test (NaN when the covariance is singular).
    """
    x = np.column_stack([np.ones(len(f)), f])
    coef, *_ = np.linalg.lstsq(x, y, rcond=None)
    cov = newey_west(x, y - x @ coef)
    diff = coef - np.array([0.0, 1.0])
    try:
        wald = float(diff @ np.linalg.solve(cov, diff))
        p = float(stats.chi2.sf(wald, 2))
    except np.linalg.LinAlgError:
        wald = p = float("nan")
    test = TestResult(
        test="mincer_zarnowitz",
        basket=basket,
        window=window,
        statistic=wald,
        p_value=p,
        df=2.0,
        nobs=len(y),
        distribution="chi2(2)",
        null=MZ_NULL,
        reference=MZ_REFERENCE,
    )
    return MincerZarnowitz(float(coef[0]), float(coef[1]), test)


@dataclass(frozen=True, eq=False)
class SpilloverEvaluation(Result):
    """Read-only out-of-sample evaluation: metrics per target and the forecasts behind them.

    Notes
    -----
    :meth:`to_dir` writes ``metrics.csv``, ``forecasts.csv`` (and with ``split``,
    ``split.csv``), ``summary.txt`` and ``manifest.json``.
    """

    _metrics: pd.DataFrame
    _forecasts: pd.DataFrame
    _manifest: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_manifest", frozen_manifest(self._manifest))

    @property
    def manifest(self) -> Mapping[str, Any]:
        """Read-only: range, exchanges, window, drivers kept and left out (with why), targets,
        options, and the versions."""
        return self._manifest

    @property
    def metrics(self) -> pd.DataFrame:
        """One row per target: nobs, rmse, mae, hit_rate, ratios and tests against benchmarks.

        Besides the RMSE and MAE of the model and of the zero and mean forecasts: ``dm_*``
        (Diebold-Mariano, two-sided), ``cw_zero``/``cw_mean`` and their one-sided ``_p_value``
        (Clark-West against each benchmark), ``r2_oos`` (Campbell-Thompson, against the mean)
        and ``mz_a``, ``mz_b``, ``mz_p_value`` (Mincer-Zarnowitz).
        """
        return self._metrics.copy()

    @property
    def forecasts(self) -> pd.DataFrame:
        """session, target, actual, forecast, zero, mean: the out-of-sample series."""
        return self._forecasts.copy()

    @property
    def split(self) -> pd.DataFrame:
        """Each target's close-to-close, overnight and daytime scores side by side.

        One row per target (empty unless evaluated with ``split``): ``nobs`` and, for each part
        (``close``, ``overnight``, ``daytime``), ``sd_*`` (standard deviation of the actual
        returns), ``r2_oos_*``, ``rmse_vs_mean_*``, ``cw_mean_p_value_*`` and ``hit_rate_*``.
        """
        if not self.manifest.get("split"):
            return pd.DataFrame()
        m = self._metrics.set_index("target")
        sd = self._forecasts.groupby("target")["actual"].std()
        rows = []
        for target in self.manifest["targets"]:
            if target not in m.index:
                continue
            row: dict[str, Any] = {"target": target, "nobs": int(m.loc[target, "nobs"])}
            for metric in ("sd", "r2_oos", "rmse_vs_mean", "cw_mean_p_value", "hit_rate"):
                for part, suffix in PARTS:
                    key = target + suffix
                    if metric == "sd":
                        row[f"sd_{part}"] = float(sd.get(key, np.nan))
                    else:
                        row[f"{metric}_{part}"] = (
                            float(m.loc[key, metric]) if key in m.index else np.nan
                        )
            rows.append(row)
        return pd.DataFrame(rows)

    @property
    def summary(self) -> Summary:
        """The metrics as a table, then what they say in words."""
        m = self._manifest
        head = (
            f"Out of sample {m['start']}..{m['end']}, {m['source']} -> {m['target']}, "
            f"{_window_text(m['window'])}, drivers {', '.join(m['drivers'])}"
        )
        dropped = m.get("dropped") or {}
        if dropped:
            head += "; left out: " + "; ".join(f"{k} ({v})" for k, v in dropped.items())
        cols = [
            "target",
            "nobs",
            "rmse",
            "rmse_vs_zero",
            "rmse_vs_mean",
            "r2_oos",
            "hit_rate",
            "dm_zero_p_value",
            "dm_mean_p_value",
            "cw_zero_p_value",
            "cw_mean_p_value",
            "mz_b",
            "mz_p_value",
        ]
        parts: list[str | SummaryTable] = [head, SummaryTable(self._metrics[cols])]
        split = self.split
        if not split.empty:
            parts.append(
                "Close to close beside its overnight (previous close to open) and daytime "
                "(open to close) parts:"
            )
            show = ["target", "nobs"] + [
                f"{metric}_{part}"
                for metric in ("sd", "r2_oos", "cw_mean_p_value")
                for part, _ in PARTS
            ]
            parts.append(SummaryTable(split[show]))
        words = [
            "In words: r2_oos is the share by which the model's squared errors are smaller than "
            "the historical mean's (Campbell-Thompson; below 0, the mean forecasts better). "
            "cw_zero_p_value and cw_mean_p_value are one-sided Clark-West p-values for the model "
            "against the zero and the mean forecast, which it nests: a small p says the model "
            "forecasts better."
        ]
        for row in self._metrics.to_dict("records"):
            r2, p_mean, p_zero = (
                float(row[k]) for k in ("r2_oos", "cw_mean_p_value", "cw_zero_p_value")
            )
            verdict = "beats" if p_mean < 0.05 and r2 > 0 else "does not clearly beat"
            words.append(
                f"  {row['target']}: the model {verdict} the historical mean "
                f"(out-of-sample R2 {r2:+.1%}, Clark-West p {_p(p_mean)}; "
                f"against zero p {_p(p_zero)})"
            )
        return Summary.of(*parts, "\n".join(words))

    def frames(self) -> dict[str, pd.DataFrame]:
        """``metrics``, ``forecasts`` and, when evaluated with ``split``, ``split``."""
        out = {"metrics": self.metrics, "forecasts": self.forecasts}
        if self._manifest.get("split"):
            out["split"] = self.split
        return out


def _p(value: float) -> str:
    return "< 0.001" if value < 0.001 else f"{value:.3f}"


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
    split: bool = False,
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
    split : bool, default False
        Also score each target's overnight and daytime parts (``"TARGET:overnight"``,
        ``"TARGET:daytime"``) and fill :attr:`SpilloverEvaluation.split`; replaces
        ``open_gap``.

    Returns
    -------
    SpilloverEvaluation
        Metrics per target and the forecast series.

    Raises
    ------
    InputError
        If the range holds no target session, too little history precedes it, or no driver
        has a value in it (``drivers``).

    Warns
    -----
    DriverDroppedWarning
        For each driver with no value known for any session in the range (a series that
        ended before it); it is left out.
    """
    targets = list(targets or DEFAULT_TARGETS)
    drivers = list(drivers or DEFAULT_DRIVERS)
    grid = sessions(target, start, end)
    if len(grid) == 0:
        raise InputError("start/end", f"{start}..{end}", f"a range with {target} sessions")
    data = spillover_data(
        store,
        source,
        target,
        targets,
        drivers,
        _history_start(target, grid[0], window),
        grid[-1],
        open_gap=open_gap,
        own_lag=own_lag,
        lag=lag,
        split=split,
    )
    in_range = data.y.index >= grid[0]
    dropped = _drop_empty_drivers(store, data.x.loc[in_range], drivers, target, grid)
    drivers = [d for d in drivers if d not in dropped]
    metrics, series = _score_targets(data, drivers, own_lag, window, in_range)
    manifest = {
        "start": str(grid[0].date()),
        "end": str(grid[-1].date()),
        "source": source,
        "target": target,
        "window": window,
        "drivers": drivers,
        "dropped": dropped,
        "targets": targets,
        "own_lag": own_lag,
        "open_gap": open_gap,
        "split": split,
    }
    return SpilloverEvaluation(metrics, series, manifest)


def _score_targets(
    data: SpilloverData, drivers: list[str], own_lag: bool, window: int | None, in_range: np.ndarray
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Forecast each target out of sample, with the model and the historical mean, and score it.

    Parameters
    ----------
    data : SpilloverData
        Targets and drivers from before the window to the last evaluated session.
    drivers : list of str
        The drivers kept.
    own_lag : bool
        Whether the target's own previous return is a regressor.
    window : int or None
        Rolling window (None: expanding); half of it (125 if None) must be filled to forecast.
    in_range : numpy.ndarray
        (T,) mask of the evaluated sessions.

    Returns
    -------
    metrics, forecasts : pandas.DataFrame
        :attr:`SpilloverEvaluation.metrics` and :attr:`SpilloverEvaluation.forecasts`.

    Raises
    ------
    InputError
        If a target has fewer than 10 evaluable sessions.
    """
    y, x = data.design(drivers, own_lag)
    need = window // 2 if window else 125
    forecast = rolling_ols(y, x, window, need).predict(x)
    ones = np.ones((len(data.y.columns), len(data.y), 1))
    mean_fc = rolling_ols(y, ones, window, need).predict(ones)
    rows, series = [], []
    for i, col in enumerate(data.y.columns):
        ok = in_range & ~np.isnan(y[i]) & ~np.isnan(forecast[i]) & ~np.isnan(mean_fc[i])
        if ok.sum() < 10:
            raise _too_short(col, int(ok.sum()), data.x.loc[in_range, drivers])
        yy, ff, mm = y[i, ok], forecast[i, ok], mean_fc[i, ok]
        rows.append({"target": col, **_score(yy, ff, mm)})
        frame = {"session": data.y.index[ok], "target": col, "actual": yy, "forecast": ff}
        series.append(pd.DataFrame({**frame, "zero": 0.0, "mean": mm}))
    return pd.DataFrame(rows), pd.concat(series, ignore_index=True)


def _drop_empty_drivers(
    store: Store, x: pd.DataFrame, drivers: list[str], target: str, grid: pd.DatetimeIndex
) -> dict[str, str]:
    """Find the drivers with no value in the evaluated range and warn about each.

    Parameters
    ----------
    store : Store
        The price store, asked where each empty driver's data end.
    x : pandas.DataFrame
        The drivers' values over the evaluated sessions.
    drivers : list of str
        The drivers asked for.
    target : str
        ISO MIC of the target exchange (for the error message).
    grid : pandas.DatetimeIndex
        The evaluated sessions (for the error message).

    Returns
    -------
    dict of str to str
        Each dropped driver and why, in words.

    Raises
    ------
    InputError
        If every driver is empty.

    Warns
    -----
    DriverDroppedWarning
        For each dropped driver, pointing at the caller of :func:`evaluate_spillover`.
    """
    empty = [d for d in drivers if x[d].isna().all()]
    if len(empty) == len(drivers):
        raise InputError(
            "drivers",
            ",".join(drivers),
            f"a driver with a value known before some {target} session in "
            f"{grid[0].date()}..{grid[-1].date()}",
        )
    dropped = {}
    for driver in empty:
        _, last = store.span([driver])
        why = (
            f"no value known for any session in the range (data end {last.date()})"
            if last is not None
            else "not in the store"
        )
        dropped[driver] = why
        warnings.warn(
            f"driver {driver} left out of the evaluation: {why}",
            DriverDroppedWarning,
            stacklevel=3,
        )
    return dropped


def _too_short(col: str, n: int, x: pd.DataFrame) -> InputError:
    """The error for a target with fewer than 10 evaluable sessions, naming the thinnest driver.

    Parameters
    ----------
    col : str
        The target.
    n : int
        Its evaluable sessions.
    x : pandas.DataFrame
        The kept drivers' values over the evaluated sessions.

    Returns
    -------
    InputError
        To be raised by the caller.
    """
    have = x.notna().sum()
    hint = "check `start`"
    if len(have) and have.min() < len(x) / 2:
        worst = str(have.idxmin())
        hint += (
            f"; {worst} has a value known before only {int(have.min())} of the {len(x)} sessions"
        )
    return InputError("history", f"{n} evaluable sessions for {col}", f"at least 10 ({hint})")


def _score(yy: np.ndarray, ff: np.ndarray, mm: np.ndarray) -> dict[str, float]:
    """One target's metrics: errors, hit rates and the tests against the two benchmarks.

    Parameters
    ----------
    yy, ff, mm : numpy.ndarray
        Outcomes, the model's forecasts and the historical-mean forecasts, aligned.

    Returns
    -------
    dict of str to float
        The columns of :attr:`SpilloverEvaluation.metrics` after ``target``.
    """
    n = len(yy)
    e_model, e_zero, e_mean = yy - ff, yy, yy - mm
    nonzero = yy != 0
    dm_z = diebold_mariano(e_model, e_zero)
    dm_m = diebold_mariano(e_model, e_mean)
    cw_z = clark_west(yy, ff, np.zeros(n))
    cw_m = clark_west(yy, ff, mm)
    mz = mincer_zarnowitz(yy, ff)
    rmse = float(np.sqrt(np.mean(e_model**2)))
    return {
        "nobs": n,
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
        "dm_zero": dm_z.statistic,
        "dm_zero_p_value": dm_z.p_value,
        "dm_mean": dm_m.statistic,
        "dm_mean_p_value": dm_m.p_value,
        "cw_zero": cw_z.statistic,
        "cw_zero_p_value": cw_z.p_value,
        "cw_mean": cw_m.statistic,
        "cw_mean_p_value": cw_m.p_value,
        "r2_oos": r2_oos(yy, ff, mm),
        "mz_a": mz.a,
        "mz_b": mz.b,
        "mz_p_value": mz.wald.p_value,
    }
