"""The tidy frames of an event study, built from the engine's arrays: AR, CAR, AAR and CAAR.

The long AR table and the CAAR table (whose median intervals cost O(n log n) per window) are
built when first asked for, through :class:`Deferred`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from ipposaki.study.battery import _two_sided_t
from ipposaki.study.signed_rank import median_interval


def _ar_frame(
    pairs: pd.DataFrame,
    index: pd.DatetimeIndex,
    rel: np.ndarray,
    ret: np.ndarray,
    normal: np.ndarray,
    ar: np.ndarray,
    sar: np.ndarray,
) -> pd.DataFrame:
    """One row per pair and event day with an abnormal return."""
    pair_i, day_j = np.nonzero(~np.isnan(ar))
    sess_pos = pairs["pos0"].to_numpy()[pair_i] + rel[day_j]

    def labels_of(column: str) -> pd.Categorical:
        codes, names = pd.factorize(pairs[column])
        return pd.Categorical.from_codes(codes[pair_i], categories=names)

    return pd.DataFrame(
        {
            "event_id": labels_of("event_id"),
            "symbol": labels_of("symbol"),
            "basket": labels_of("basket"),
            "rel_day": rel[day_j],
            "session": index[sess_pos],
            "ret": ret[pair_i, day_j],
            "normal_ret": normal[pair_i, day_j],
            "ar": ar[pair_i, day_j],
            "sar": sar[pair_i, day_j],
        }
    )


def _car_frame(
    pairs: pd.DataFrame,
    car_labels: list[str],
    car: np.ndarray,
    car_se: np.ndarray,
    bhar: np.ndarray,
    days: np.ndarray,
    fit: Any,
) -> pd.DataFrame:
    """One row per pair and CAR window (``car``, ``car_se``, ``bhar``: (pairs, CAR windows))."""
    n, k = car.shape
    cs = slice(days.shape[1] - k, None)
    car_v, se_v = car.reshape(-1), car_se.reshape(-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        t_v = car_v / se_v
    p_v = _two_sided_t(t_v, np.repeat(fit.dof.astype(float), k))
    each = np.repeat(np.arange(n), k)  # taken from the string arrays, not through objects
    columns = {
        "event_id": pairs["event_id"].array.take(each),
        "symbol": pairs["symbol"].array.take(each),
        "basket": pairs["basket"].array.take(each),
        "window": pd.array(car_labels, dtype="str").take(np.tile(np.arange(k), n)),
    }
    del each  # (pairs x windows) positions: 32 MB at a million pairs and four windows
    columns.update(
        car=car_v,
        car_std_err=se_v,
        car_t_stat=t_v,
        car_p_value=p_v,
        bhar=bhar.reshape(-1),
        nobs=days[:, cs].reshape(-1).astype(np.int64),
    )
    return pd.DataFrame(columns, copy=False)  # no copies: nothing writes to these arrays


def _aar_frame(
    member: dict[str, np.ndarray],
    rel: np.ndarray,
    ar: np.ndarray,
    sums: dict[str, tuple[np.ndarray, np.ndarray]] | None = None,
) -> pd.DataFrame:
    """Average abnormal returns per group and event day (from ``sums``, each group's per-day
    sum and count of ARs, when the workers kept the ARs: :mod:`ipposaki.study.sink`)."""
    rows = []
    for basket, rows_in in member.items():
        if sums is None:
            block = ar[rows_in]
            total, counts = np.nansum(block, axis=0), np.sum(~np.isnan(block), axis=0)
        else:
            total, counts = sums[basket][0], np.rint(sums[basket][1]).astype(np.int64)
        with np.errstate(invalid="ignore", divide="ignore"):
            aar = np.where(counts > 0, total / counts, np.nan)
        rows.append(
            pd.DataFrame(
                {
                    "basket": basket,
                    "rel_day": rel,
                    "nobs": counts,
                    "aar": aar,
                    "caar": np.cumsum(np.nan_to_num(aar)),
                }
            )
        )
    return pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(columns=_AAR_COLUMNS)


#: The AAR table's columns (kept when no pair was studied).
_AAR_COLUMNS = ["basket", "rel_day", "nobs", "aar", "caar"]
#: The CAAR table's columns (kept when no pair was studied, or no CAR window was asked for).
_CAAR_COLUMNS = [
    "basket",
    "window",
    "nobs",
    "caar",
    "ci_low",
    "ci_high",
    "rbar",
    "ci_kp_low",
    "ci_kp_high",
    "median",
    "hodges_lehmann",
    "median_ci_low",
    "median_ci_high",
]


def _caar_frame(
    member: dict[str, np.ndarray],
    car_labels: list[str],
    car: np.ndarray,
    rbar: dict[tuple[str, str], float],
) -> pd.DataFrame:
    """CAAR per group and window with its t, Kolari-Pynnönen and median intervals."""
    rows = []
    for basket, rows_in in member.items():
        for j, label in enumerate(car_labels):
            values = car[rows_in, j]
            values = values[~np.isnan(values)]
            m = len(values)
            mean = float(values.mean()) if m else np.nan
            half = (
                float(stats.t.ppf(0.975, m - 1) * values.std(ddof=1) / np.sqrt(m))
                if m > 1
                else np.nan
            )
            centre = median_interval(values)
            r = rbar.get((basket, label), np.nan)
            # Kolari-Pynnönen: sd(CAR)^2 estimates sigma^2 (1 - r), while the mean's
            # variance is sigma^2 (1 + (m - 1) r) / m.
            with np.errstate(invalid="ignore", divide="ignore"):
                widen = np.sqrt((1.0 + (m - 1) * r) / (1.0 - r)) if m > 1 else np.nan
            rows.append(
                {
                    "basket": basket,
                    "window": label,
                    "nobs": m,
                    "caar": mean,
                    "ci_low": mean - half,
                    "ci_high": mean + half,
                    "rbar": r,
                    "ci_kp_low": mean - half * widen,
                    "ci_kp_high": mean + half * widen,
                    "median": centre.median,
                    "hodges_lehmann": centre.hodges_lehmann,
                    "median_ci_low": centre.low,
                    "median_ci_high": centre.high,
                }
            )
    return pd.DataFrame(rows, columns=_CAAR_COLUMNS)


class Deferred:
    """A table built on first use, then kept (results stay read-only: callers get copies).

    The engine hands over the arrays and a function of them; a caller who never asks for the
    long abnormal-return table or the CAAR medians does not pay for them.

    Examples
    --------
    >>> calls = []
    >>> table = Deferred(lambda: calls.append(1) or pd.DataFrame({"x": [1]}))
    >>> table.get().shape, table.get().shape, len(calls)
    ((1, 1), (1, 1), 1)
    """

    __slots__ = ("_make", "_value")

    def __init__(self, make: Callable[[], pd.DataFrame]) -> None:
        self._make: Callable[[], pd.DataFrame] | None = make
        self._value: pd.DataFrame | None = None

    def get(self) -> pd.DataFrame:
        """The table (built now if this is the first call)."""
        if self._value is None:
            assert self._make is not None
            self._value, self._make = self._make(), None
        return self._value
