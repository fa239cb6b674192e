"""What an event study measures: abnormal returns, abnormal log volume or abnormal volatility.

``measure="return"``
    The returns themselves; nothing here changes them.
``measure="volume"``
    The series is ``ln(1 + V_t)`` with ``V_t`` the shares traded (a session with no trades is
    ``ln 1 = 0``, a valid value; a session without a volume is missing and follows the missing-
    data policy). The normal-return models apply to it unchanged: ``constant-mean`` gives the
    mean-adjusted abnormal log volume of Campbell and Wasley (1996), ``ln(1 + V_t)`` minus its
    estimation-window mean; ``market`` regresses it on a market volume series, a given symbol's
    ``ln(1 + V)`` or, by default, :data:`UNIVERSE_VOLUME`, the mean ``ln(1 + V)`` of every
    symbol of the table on each session. A window *sums* the abnormal log volumes (cumulative
    abnormal log volume), like a CAR. Given the shares outstanding ``S_t``, the series is log
    turnover instead, ``ln(100 V_t / S_t + 0.000255)``: the percentage of the shares traded,
    plus Campbell and Wasley's (1996) small constant so that a day without trades has a
    logarithm (:data:`TURNOVER_CONSTANT`); turnover compares firms of different sizes, where
    share counts do not.
``measure="volatility"``
    Abnormal volatility ``AV_t = AR_t^2 / s^2 - 1``, where ``AR_t`` and ``s`` (the estimation
    residual standard deviation, with the model's degrees of freedom: ``T - 2`` for the market
    model) come from the chosen return model. A window *averages* its days' AVs (the mean AV),
    so a value reads the same on any window length. The estimation window's AVs
    (``e_t^2 / s^2 - 1``) feed the rank and sign tests. With ``model="garch"`` or
    ``"egarch"`` the constant ``s^2`` becomes the conditional variance ``sigma_t^2``:
    ``AV_t = AR_t^2 / sigma_t^2 - 1``, the squared event-window residual over its one-step
    conditional variance, minus one (in-sample ``sigma_t^2`` in the estimation window, the
    filtered recursion of :mod:`ipposaki.study.garch` in the event window).

:data:`TESTS` says which tests of the battery are run for each measure (``docs/measures.md``
gives the reasons).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from ipposaki.errors import InputError
from ipposaki.study.results import EventStudyResult, StudyParameters
from ipposaki.study.settings import Measure
from ipposaki.study.statistics import NULLS, TEST_NAMES, TestResult

__all__ = [
    "DESCRIPTIONS",
    "MEASURES",
    "TESTS",
    "TURNOVER_CONSTANT",
    "UNIVERSE_VOLUME",
    "VOLUME_MISSING_POLICY",
    "Measure",
    "MeasureParameters",
    "MeasureResult",
    "abnormal_volatility",
    "applicable",
    "check_measure",
    "log_volume",
    "measure_tests",
]

MEASURES: tuple[str, ...] = ("return", "volume", "volatility")

#: The market volume series of ``model="market"`` with ``measure="volume"`` when no market
#: symbol is given: the mean ``ln(1 + V)`` over the table's symbols on each session.
UNIVERSE_VOLUME = "universe mean ln(1+V)"

#: Campbell and Wasley (1996, Rev. Quant. Finance Acc. 6:309-326): log turnover is
#: ``ln(100 V / S + 0.000255)``, the constant added to the percentage turnover so that a day
#: without trades has a logarithm.
TURNOVER_CONSTANT = 0.000255

#: The volume measure's description when shares outstanding are given.
_TURNOVER_DESCRIPTION = (
    "abnormal log turnover: ln(100 x shares traded / shares outstanding + 0.000255) minus its "
    "normal level; ar is the abnormal log turnover and a window's car (and CAAR) its sum over "
    "the window's days"
)

#: The missing-data policy of ``measure="volume"`` (the others keep the engine's).
VOLUME_MISSING_POLICY = (
    "missing volumes inside a window are dropped and counted, never filled with zero (a session "
    "with no shares traded is ln(1 + 0) = 0, a valid value), and the window is never shifted; "
    "pairs with too few estimation volumes or windows outside the data are excluded and listed "
    "with their reason"
)

#: One line per measure, for the summary.
DESCRIPTIONS: dict[str, str] = {
    "return": "abnormal returns",
    "volume": (
        "abnormal log volume: ln(1 + shares traded) minus its normal level; ar is the "
        "abnormal log volume and a window's car (and CAAR) its sum over the window's days"
    ),
    "volatility": (
        "abnormal volatility AV = AR^2 / s^2 - 1 (AR and s from the return model); ar is the "
        "day's AV and a window's car (and CAAR) the mean AV over the window's days"
    ),
}

#: The volatility line of the summary with a GARCH-family model.
_GARCH_VOLATILITY = (
    "abnormal volatility AV = AR^2 / sigma_t^2 - 1 (sigma_t^2 the GARCH conditional variance "
    "of the day); ar is the day's AV and a window's car (and CAAR) the mean AV over the "
    "window's days"
)

#: The tests run for each measure (the others do not apply; docs/measures.md says why).
TESTS: dict[str, tuple[str, ...]] = {
    "return": TEST_NAMES,
    # Not sign (p = 0.5) or Wilcoxon: log-volume residuals are right-skewed, so their median is
    # below zero and they are not symmetric about it.
    "volume": tuple(t for t in TEST_NAMES if t not in ("sign", "wilcoxon")),
    "volatility": (
        "t_cross_section",
        "generalized_sign",
        "corrado_rank",
        "modified_rank",
        "corrado_sign",
    ),
}
#: Tests of a measure that apply to single event days only. Log volume is autocorrelated
#: (lag-1 about 0.6), so a test that adds independent days' variances over-rejects on a longer
#: window; the share of positive values (generalized sign) of a mean or sum of skewed days is not
#: the single days' share.
_SINGLE_DAY: dict[str, frozenset[str]] = {
    "volume": frozenset(
        {
            "brown_warner_1980",
            "brown_warner_1985",
            "patell",
            "lamb",
            "generalized_sign",
            "corrado_rank",
            "modified_rank",
            "corrado_sign",
        }
    ),
    "volatility": frozenset({"generalized_sign"}),
}

_VOLATILITY_NULLS: dict[str, str] = {
    "t_cross_section": (
        "the mean abnormal volatility (AV = AR^2/s^2 - 1, averaged over the window's days) is "
        "zero (AVs independent across pairs)"
    ),
    "generalized_sign": (
        "the share of positive AVs equals the share of positive estimation-window AVs"
    ),
    "corrado_rank": (
        "event-window AVs rank like estimation-window AVs (the event's |AR| no larger than usual)"
    ),
    "modified_rank": (
        "event-window AVs rank like estimation-window AVs (standardised ranks average 1/2)"
    ),
    "corrado_sign": "event-window AVs fall above the pair's median AV as often as below it",
}


@dataclass(frozen=True)
class MeasureParameters(StudyParameters):
    """:class:`~ipposaki.study.results.StudyParameters` with the measure studied."""

    measure: str = "return"
    #: Whether the volume series is log turnover (shares outstanding given) not ln(1 + V).
    turnover: bool = False


@dataclass(frozen=True, eq=False)
class MeasureResult(EventStudyResult):
    """An event study of abnormal volume or volatility: the measure is said everywhere.

    The frames are those of :class:`~ipposaki.study.results.EventStudyResult`; the second line
    of the summary's first block names the measure and what ``ar``, ``car`` and ``CAAR`` hold,
    ``tests`` gains a ``measure`` column and the manifest's parameters hold ``measure``.
    """

    @property
    def measure(self) -> str:
        """``"volume"`` or ``"volatility"``."""
        return str(getattr(self.parameters, "measure", "return"))

    @property
    def tests(self) -> pd.DataFrame:
        """Every test, as :attr:`EventStudyResult.tests`, with a last column ``measure``."""
        frame = super().tests
        frame["measure"] = self.measure
        return frame

    def _summary_head(self) -> list[str]:
        """The lines of :meth:`EventStudyResult._summary_head` with the measure second."""
        head = super()._summary_head()
        text = DESCRIPTIONS[self.measure]
        if self.measure == "volume" and getattr(self.parameters, "turnover", False):
            text = _TURNOVER_DESCRIPTION
        if self.measure == "volatility" and self.parameters.model in ("garch", "egarch"):
            text = _GARCH_VOLATILITY
        return [head[0], f"Measure: {self.measure}, {text}.", *head[1:]]

    def _summary_table(self) -> pd.DataFrame:
        table = super()._summary_table()
        if self.measure != "volatility" or table.empty:
            return table
        # BMP and Kolari-Pynnönen do not apply to AV; the cross-sectional t does.
        p_t = {(t.basket, t.window): t.p_value for t in self._tests if t.test == "t_cross_section"}
        table = table.drop(columns=["p BMP", "p KP"], errors="ignore")
        at = (
            list(table.columns).index("p rank") if "p rank" in table.columns else len(table.columns)
        )
        table.insert(
            at,
            "p t",
            [
                p_t.get((g, w), np.nan)
                for g, w in zip(table["basket"], table["window"], strict=True)
            ],
        )
        return table

    def with_inference(self, **options: Any) -> EventStudyResult:
        """:meth:`EventStudyResult.with_inference`, refusing the stationary bootstrap for AV.

        The stationary bootstrap sums resampled return residuals, while an abnormal-volatility
        window is a mean of squared, scaled residuals: the two do not match.

        Parameters
        ----------
        **options
            As for :meth:`EventStudyResult.with_inference`.

        Returns
        -------
        EventStudyResult
            A new read-only result (a :class:`MeasureResult`).

        Raises
        ------
        InputError
            For ``bootstrap="stationary"`` with ``measure="volatility"``, and as the parent.
        """
        if self.measure == "volatility" and options.get("bootstrap") == "stationary":
            raise InputError(
                "bootstrap", "stationary", "'wild' or 'none' with measure='volatility'"
            )
        return super().with_inference(**options)

    def __repr__(self) -> str:
        return super().__repr__().replace("EventStudyResult(", f"MeasureResult({self.measure}, ")


def check_measure(measure: object) -> Measure:
    """Return ``measure`` if it is one of :data:`MEASURES`.

    Parameters
    ----------
    measure : object
        The value given.

    Returns
    -------
    {"return", "volume", "volatility"}
        ``measure``.

    Raises
    ------
    InputError
        Naming ``measure`` otherwise.

    Examples
    --------
    >>> check_measure("volume")
    'volume'
    """
    if measure not in MEASURES:
        raise InputError("measure", measure, f"one of {', '.join(MEASURES)}")
    return measure  # type: ignore[return-value]


def log_volume(
    volume: pd.DataFrame,
    index: pd.DatetimeIndex,
    columns: pd.Index,
    universe: bool,
    shares: pd.DataFrame | None = None,
) -> np.ndarray:
    """``ln(1 + V)``, or log turnover, as a (symbols, sessions) matrix on the study's grid.

    Parameters
    ----------
    volume : pandas.DataFrame
        Sessions x symbols shares traded (NaN where missing).
    index, columns : pandas.DatetimeIndex, pandas.Index
        The study's sessions and symbols; ``volume`` is aligned on them (a session or symbol it
        lacks is missing).
    universe : bool
        Whether to add one last row, :data:`UNIVERSE_VOLUME`: the mean over symbols on each
        session of the ``ln(1 + V)`` present.
    shares : pandas.DataFrame, optional
        Sessions x symbols shares outstanding in force on each session, in the basis of the
        session's volume (NaN where unknown); with it the series is the log turnover
        ``ln(100 V / S + TURNOVER_CONSTANT)`` and the universe row its mean.

    Returns
    -------
    numpy.ndarray
        (symbols, sessions), or (symbols + 1, sessions) with ``universe``.

    Raises
    ------
    InputError
        If ``volume`` is not a table of non-negative numbers sharing a symbol with the study,
        or ``shares`` not one of positive numbers.

    Examples
    --------
    >>> days = pd.DatetimeIndex(["2025-01-27", "2025-01-28"])
    >>> v = pd.DataFrame({"X": [0.0, 2e6]}, index=days)
    >>> s = pd.DataFrame({"X": [1e8, 1e8]}, index=days)
    >>> np.round(np.exp(log_volume(v, days, pd.Index(["X"]), False, s)), 6).tolist()
    [[0.000255, 2.000255]]
    """
    if not isinstance(volume, pd.DataFrame):
        raise InputError("volume", type(volume).__name__, "a sessions x symbols DataFrame")
    if not isinstance(volume.index, pd.DatetimeIndex):
        volume = volume.set_axis(pd.DatetimeIndex(volume.index), axis=0)
    if not (pd.Index(volume.columns).get_indexer_for(columns) >= 0).any():
        raise InputError(
            "volume", "a table with none of the returns' symbols", "the same symbols as columns"
        )
    same = volume.index.equals(index) and volume.columns.equals(columns)
    aligned = volume if same else volume.reindex(index=index, columns=columns)
    try:
        values = aligned.to_numpy(dtype=np.float64, na_value=np.nan)
    except (TypeError, ValueError):
        raise InputError("volume", "a non-numeric cell", "numbers of shares traded") from None
    bad = ~np.isnan(values) & ~(values >= 0) | np.isinf(values)
    if bad.any():
        r, c = np.argwhere(bad)[0]
        raise InputError(
            "volume",
            f"{values[r, c]} ({columns[c]}, {index[r].date()})",
            "a non-negative, finite number of shares",
        )
    if shares is None:
        out = np.log1p(values.T)
    else:
        out = np.log(100.0 * values.T / _shares_matrix(shares, index, columns) + TURNOVER_CONSTANT)
    if universe:
        present = ~np.isnan(out)
        count = present.sum(axis=0)
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = np.where(count > 0, np.where(present, out, 0.0).sum(axis=0) / count, np.nan)
        out = np.vstack([out, mean[None, :]])
    return np.ascontiguousarray(out)


def _shares_matrix(shares: pd.DataFrame, index: pd.DatetimeIndex, columns: pd.Index) -> np.ndarray:
    """(symbols, sessions) shares outstanding on the study's grid; NaN where unknown."""
    if not isinstance(shares, pd.DataFrame):
        raise InputError("shares", type(shares).__name__, "a sessions x symbols DataFrame")
    if not isinstance(shares.index, pd.DatetimeIndex):
        shares = shares.set_axis(pd.DatetimeIndex(shares.index), axis=0)
    try:
        values = shares.reindex(index=index, columns=columns).to_numpy(
            dtype=np.float64, na_value=np.nan
        )
    except (TypeError, ValueError):
        raise InputError("shares", "a non-numeric cell", "numbers of shares outstanding") from None
    bad = ~np.isnan(values) & ~((values > 0) & np.isfinite(values))
    if bad.any():
        r, c = np.argwhere(bad)[0]
        raise InputError(
            "shares",
            f"{values[r, c]} ({columns[c]}, {index[r].date()})",
            "a positive, finite number of shares outstanding",
        )
    if np.isnan(values).all():
        raise InputError(
            "shares", "a table with none of the study's symbols and sessions", "shares outstanding"
        )
    return values.T


def abnormal_volatility(
    resid: np.ndarray,
    ar: np.ndarray,
    sigma2: np.ndarray,
    valid_ev: np.ndarray,
    weights: np.ndarray,
    *,
    cond_var: tuple[np.ndarray, np.ndarray] | None = None,
) -> dict[str, np.ndarray]:
    """Abnormal volatility from the return model's residuals, and what the battery needs.

    Parameters
    ----------
    resid : numpy.ndarray
        (N, L) estimation-window residuals (NaN where missing).
    ar : numpy.ndarray
        (N, W) event-window abnormal returns (NaN where missing).
    sigma2 : numpy.ndarray
        (N,) the model's residual variance ``s^2``.
    valid_ev : numpy.ndarray
        (N, W) bool, the event days with an AR.
    weights : numpy.ndarray
        (W, K) 0/1, the days of each of the K windows.
    cond_var : tuple of numpy.ndarray, optional
        ``(est, ev)``: (N, L) and (N, W) conditional variances ``sigma_t^2`` (GARCH models)
        that replace ``s^2`` day by day: ``AV_t = e_t^2 / sigma_t^2 - 1``.

    Returns
    -------
    dict of numpy.ndarray
        ``av_est`` (N, L) and ``av`` (N, W): ``e^2 / s^2 - 1`` and ``AR^2 / s^2 - 1``;
        ``car`` (N, K): the mean AV over each window's valid days (NaN without one);
        ``sd`` (N,): the estimation-window standard deviation of AV (ddof 1); ``car_se``
        (N, K): ``sd / sqrt(days)``, the standard error of a mean of independent days; ``sar``
        (N, W): AV over ``sd``.
    """
    var_est, var_ev = (sigma2[:, None], sigma2[:, None]) if cond_var is None else cond_var
    with np.errstate(invalid="ignore", divide="ignore"):
        av_est = resid**2 / var_est - 1.0
        av = ar**2 / var_ev - 1.0
        days = valid_ev.astype(np.float64) @ weights
        car = np.where(days > 0, np.where(valid_ev, av, 0.0) @ weights / days, np.nan)
        n_est = np.sum(~np.isnan(av_est), axis=1)
        mean = np.nansum(av_est, axis=1) / n_est
        sd = np.sqrt(np.nansum((av_est - mean[:, None]) ** 2, axis=1) / (n_est - 1))
        car_se = sd[:, None] / np.sqrt(days)
        sar = av / sd[:, None]
    return {"av_est": av_est, "av": av, "car": car, "sd": sd, "car_se": car_se, "sar": sar}


def applicable(measure: str, test: str, days: int) -> bool:
    """Whether ``test`` is run for ``measure`` on a window of ``days`` event days.

    Parameters
    ----------
    measure : {"return", "volume", "volatility"}
        The measure.
    test : str
        A name of :data:`~ipposaki.study.statistics.TEST_NAMES`.
    days : int
        The window's length in event days.

    Returns
    -------
    bool
        Whether the engine runs it (``docs/measures.md`` has the table).

    Examples
    --------
    >>> applicable("volume", "patell", 1), applicable("volume", "patell", 11)
    (True, False)
    >>> applicable("volatility", "bmp", 1)
    False
    """
    return test in TESTS[measure] and (days == 1 or test not in _SINGLE_DAY.get(measure, ()))


def measure_tests(
    tests: list[TestResult], measure: Measure, window_lengths: dict[str, int]
) -> list[TestResult]:
    """Keep the tests that apply to ``measure`` and state their null for it.

    Parameters
    ----------
    tests : list of TestResult
        The battery's results.
    measure : {"return", "volume", "volatility"}
        The measure studied.
    window_lengths : dict
        Days of each window label.

    Returns
    -------
    list of TestResult
        The applicable tests; for volume and volatility each ``null`` names the measure.
    """
    if measure == "return":
        return tests
    out = []
    for t in tests:
        if not applicable(measure, t.test, window_lengths.get(t.window, 1)):
            continue
        if measure == "volatility":
            null = _VOLATILITY_NULLS[t.test]
        else:
            null = f"abnormal log volume (CAR: its sum over the window): {NULLS[t.test]}"
        out.append(replace(t, null=null))
    return out
