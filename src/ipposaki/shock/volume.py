"""Abnormal trading volume on the shock's sessions, per basket and exchange.

The spec's events are run again as a volume study (:func:`~ipposaki.study.spec.run_spec` on a
copy of the spec whose ``[study]`` says ``measure = "volume"`` and ``model = "constant-mean"``,
with the spec's estimation and event windows): each stock's abnormal log volume is
``ln(1 + V_t)`` less its mean over the estimation window (the mean-adjusted model of Campbell
and Wasley 1996, ``docs/measures.md``). :func:`volume_study` keeps, per basket and exchange,
day 0, day +1 and the window 0:1: the mean abnormal log volume (CAAR, the sum over the window's
days), the number of stocks, and the Kolari–Pynnönen test (the test ``docs/measures.md`` names
the main one for volume: BMP on standardised values, corrected for the stocks'
cross-correlation on a shared event date).
"""

from __future__ import annotations

import dataclasses
import warnings
from typing import Any

import numpy as np
import pandas as pd

from ipposaki.errors import InputError
from ipposaki.panel import ReturnsPanel
from ipposaki.store import Store
from ipposaki.study.spec import StudySpec, run_spec

__all__ = ["VOLUME_COLUMNS", "VOLUME_TEST", "VOLUME_WINDOWS", "volume_study"]

#: The windows kept: day 0, day +1 and both together.
VOLUME_WINDOWS = ("0:0", "1:1", "0:1")
#: The test whose p-value the report shows.
VOLUME_TEST = "kolari_pynnonen"
#: The columns of :func:`volume_study`'s frame.
VOLUME_COLUMNS = [
    "exchange",
    "basket",
    "window",
    "first_session",
    "last_session",
    "nobs",
    "n_members",
    "caar",
    "ratio",
    "test",
    "statistic",
    "p_value",
]


def has_volume(panels: dict[str, ReturnsPanel]) -> bool:
    """Whether any panel holds a volume."""
    return any(bool(p.volume.notna().to_numpy().any()) for p in panels.values())


def volume_spec(spec: StudySpec) -> StudySpec:
    """``spec`` as a constant-mean volume study with its own windows (0:1 added if missing)."""
    windows = list(spec.study.get("car_windows", []))
    study: dict[str, Any] = {
        k: v for k, v in spec.study.items() if k not in ("thin_trading", "turnover")
    }
    study.update(
        measure="volume",
        model="constant-mean",
        car_windows=windows + [w for w in VOLUME_WINDOWS if w not in windows],
    )
    return dataclasses.replace(spec, study=study)


def volume_study(spec: StudySpec, store: Store, panels: dict[str, ReturnsPanel]) -> pd.DataFrame:
    """Abnormal log volume of each basket on the shock's sessions.

    Parameters
    ----------
    spec : StudySpec
        The shock's spec (its events, baskets and windows).
    store : Store
        The prices (read only).
    panels : dict of str to ReturnsPanel
        The shock's panels: no volume in any of them, no study.

    Returns
    -------
    pandas.DataFrame
        One row per exchange, basket and window (``0:0``, ``1:1``, ``0:1``): exchange, basket,
        window, first_session and last_session (the window's sessions), n (stocks with a
        volume), n_members (the basket's stocks), caar (mean abnormal log volume, summed over
        the window's days), ratio (``exp(caar)``: the multiple of normal volume), test
        (``kolari_pynnonen``), statistic and p_value. No rows when the data have no volume or
        no stock could be studied.
    """
    empty = pd.DataFrame(columns=VOLUME_COLUMNS)
    if not has_volume(panels):
        return empty
    with warnings.catch_warnings():  # stocks without a volume are left out, and counted
        warnings.simplefilter("ignore")
        try:
            study = run_spec(volume_spec(spec), store)
        except InputError:
            return empty
    members = store.baskets()
    size = members.groupby("basket")["symbol"].nunique()
    out = []
    for exchange, res in study.results.items():
        if res.caar.empty:  # no stock of this exchange could be studied
            continue
        caar = res.caar.set_index(["basket", "window"])
        tests = res.tests
        tests = tests.loc[tests["test"] == VOLUME_TEST].set_index(["basket", "window"])
        ar = res.ar
        days = ar.loc[ar["rel_day"].isin([0, 1])].groupby(["basket", "rel_day"])["session"].min()
        for basket in dict.fromkeys(res.car["basket"]):  # the studied baskets, in order
            for window in VOLUME_WINDOWS:
                if (basket, window) not in caar.index:
                    continue
                a, b = (int(x) for x in window.split(":"))
                value = float(caar.loc[(basket, window), "caar"])
                test = tests.loc[(basket, window)] if (basket, window) in tests.index else None
                out.append(
                    {
                        "exchange": exchange,
                        "basket": basket,
                        "window": window,
                        "first_session": _day(days, basket, a),
                        "last_session": _day(days, basket, b),
                        "nobs": int(caar.loc[(basket, window), "nobs"]),
                        "n_members": int(size.get(str(basket).split("/")[-1], 0)),
                        "caar": value,
                        "ratio": float(np.exp(value)),
                        "test": VOLUME_TEST,
                        "statistic": np.nan if test is None else float(test["statistic"]),
                        "p_value": np.nan if test is None else float(test["p_value"]),
                    }
                )
    return pd.DataFrame(out, columns=VOLUME_COLUMNS) if out else empty


def _day(days: pd.Series, basket: str, rel: int) -> str:
    """The session of relative day ``rel`` of ``basket`` (empty when it has none)."""
    key = (basket, rel)
    return f"{pd.Timestamp(days[key]):%Y-%m-%d}" if key in days.index else ""
