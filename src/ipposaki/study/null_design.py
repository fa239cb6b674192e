"""Synthetic null samples with known properties, for checking the size of the test battery.

Market-model returns ``r_it = a_i + b_i m_t + e_it`` with gappy estimation windows, missing
event days or cross-correlated residuals (:data:`SIZE_DESIGNS`); every sample is a block of
columns of one wide frame with one shared market column, so one
:func:`~ipposaki.study.run_study` call with ``basket`` = sample studies them all. Used by
``tests/test_size.py`` and ``benchmarks/bench_size.py``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ipposaki.errors import InputError, UnknownNameError
from ipposaki.study.settings import DEFAULTS
from ipposaki.study.windows import Window, parse_window

__all__ = ["NULL_MARKET", "SIZE_DESIGNS", "NullDesign", "null_design"]

# -- synthetic null designs ----------------------------------------------------------------------

#: The market column of :func:`null_design` panels.
NULL_MARKET = "MKT"


@dataclass(frozen=True)
class NullDesign:
    """A synthetic null design: market-model returns with no abnormal return.

    Returns are ``r_it = a_i + b_i m_t + e_it`` with ``m_t ~ N(0, market_sd^2)`` (one market
    series shared by every sample), ``a_i ~ N(0, 0.0005^2)``, ``b_i ~ U(0.5, 1.5)`` and
    ``e_it = sqrt(rho) c_t + sqrt(1 - rho) u_it``, where ``c_t`` is a factor common to the
    firms of one sample, ``u_it`` is firm noise, both ``N(0, resid_sd^2)``, and ``rho`` is
    ``correlation``. All firms of a sample share day 0 (a clustered event).

    Attributes
    ----------
    name : str
        Label, e.g. ``"gappy-estimation"``.
    firms : int
        Firms per sample.
    gappy_firms : int
        Firms per sample (the first ones) that lose ``gappy_share`` of their estimation-window
        returns, on sessions drawn at random per firm.
    gappy_share : float
        The share lost (the nearest integer to share x window length).
    event_gap_firms : int
        Firms per sample (the last ones) with no return on ``event_gap_days``.
    event_gap_days : tuple of int
        Event days (relative to day 0) those firms miss.
    correlation : float
        Same-date residual correlation within a sample.
    market_sd, resid_sd : float
        Standard deviations of the market return and of the residuals.
    """

    name: str
    firms: int = 15
    gappy_firms: int = 0
    gappy_share: float = 0.0
    event_gap_firms: int = 0
    event_gap_days: tuple[int, ...] = (0, 1)
    correlation: float = 0.0
    market_sd: float = 0.01
    resid_sd: float = 0.02


#: The null designs of the size tests (``tests/test_size.py``) and ``benchmarks/bench_size.py``:
#: complete data; (a) 10 of 15 firms missing 60% of their estimation returns; (b) 8 of 15 firms
#: missing event days 0 and 1; (c) design (a) with same-date residual correlation 0.3.
SIZE_DESIGNS: dict[str, NullDesign] = {
    d.name: d
    for d in (
        NullDesign("complete"),
        NullDesign("gappy-estimation", gappy_firms=10, gappy_share=0.6),
        NullDesign("missing-event-days", event_gap_firms=8, event_gap_days=(0, 1)),
        NullDesign("correlated-gappy", gappy_firms=10, gappy_share=0.6, correlation=0.3),
    )
}


def null_design(
    design: NullDesign | str,
    *,
    samples: int = 1000,
    estimation_window: str | tuple[int, int] | Window = DEFAULTS.estimation_window,
    event_window: str | tuple[int, int] | Window = "-5:5",
    seed: int | np.random.Generator = 0,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Synthetic null samples of a design, as one wide returns frame and one events table.

    Every firm of every sample is its own column, on one grid of business days that runs from
    the start of the estimation window to the end of the event window of a common day 0; the
    market is the one shared column :data:`NULL_MARKET`. Run all samples at once with
    ``run_study(returns, events, market=NULL_MARKET, ...)``: the events' ``basket`` is the
    sample, so the engine tests each sample separately.

    Parameters
    ----------
    design : NullDesign or str
        A design, or the name of one in :data:`SIZE_DESIGNS`.
    samples : int, default 1000
        Independent samples (given the market series).
    estimation_window, event_window : str or tuple or Window
        Windows relative to day 0, default ``-250:-11`` and ``-5:5``.
    seed : int or numpy.random.Generator, default 0
        Reproducible randomness.

    Returns
    -------
    tuple[pandas.DataFrame, pandas.DataFrame]
        Returns (sessions x ``samples * firms + 1`` columns) and events (symbol, event_date,
        basket = sample id ``s0001``...).

    Raises
    ------
    InputError
        For an unknown design name or impossible design parameters.

    Examples
    --------
    >>> returns, events = null_design("missing-event-days", samples=2, seed=3)
    >>> returns.shape, len(events), events["basket"].nunique()
    ((256, 31), 30, 2)
    """
    if isinstance(design, str):
        if design not in SIZE_DESIGNS:
            raise UnknownNameError("null design", design, list(SIZE_DESIGNS))
        design = SIZE_DESIGNS[design]
    est = parse_window(estimation_window, "estimation_window")
    evw = parse_window(event_window, "event_window")
    if samples < 1:
        raise InputError("samples", samples, "an integer >= 1")
    f = design.firms
    if not (0 <= design.gappy_firms <= f and 0 <= design.event_gap_firms <= f):
        raise InputError("design", design.name, f"gappy and event-gap firms within 0..{f}")
    if not (0.0 <= design.correlation < 1.0 and 0.0 <= design.gappy_share < 1.0):
        raise InputError("design", design.name, "correlation and gappy_share in [0, 1)")
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    lo, hi = min(est.start, evw.start), max(est.end, evw.end)
    t = hi - lo + 1
    day0 = -lo
    index = pd.bdate_range("2001-01-01", periods=t)
    n = samples * f
    m = rng.normal(0.0, design.market_sd, t)
    a = rng.normal(0.0, 0.0005, n)
    b = rng.uniform(0.5, 1.5, n)
    rho = design.correlation
    e = rng.normal(0.0, design.resid_sd, (t, n))
    if rho > 0:
        common = rng.normal(0.0, design.resid_sd, (t, samples))
        e = np.sqrt(rho) * np.repeat(common, f, axis=1) + np.sqrt(1.0 - rho) * e
    r = a[None, :] + m[:, None] * b[None, :] + e
    firm = np.tile(np.arange(f), samples)  # position of each column within its sample
    if design.gappy_firms and design.gappy_share > 0:
        rows = np.arange(day0 + est.start, day0 + est.end + 1)
        k = int(np.floor(design.gappy_share * len(rows) + 0.5))
        cols = np.flatnonzero(firm < design.gappy_firms)
        keys = rng.random((len(cols), len(rows)))
        drop = np.argsort(np.argsort(keys, axis=1), axis=1) < k
        block = r[np.ix_(rows, cols)]
        block[drop.T] = np.nan
        r[np.ix_(rows, cols)] = block
    if design.event_gap_firms:
        cols = np.flatnonzero(firm >= f - design.event_gap_firms)
        rows = np.array([day0 + d for d in design.event_gap_days])
        if ((rows < 0) | (rows >= t)).any():
            raise InputError("design", design.name, f"event_gap_days inside the event window {evw}")
        r[np.ix_(rows, cols)] = np.nan
    width = len(str(samples))
    names = [f"s{i // f + 1:0{width}d}f{i % f + 1:02d}" for i in range(n)]
    returns = pd.DataFrame(r, index=index, columns=names)
    returns[NULL_MARKET] = m
    events = pd.DataFrame(
        {
            "symbol": names,
            "event_date": index[day0],
            "basket": [f"s{i // f + 1:0{width}d}" for i in range(n)],
        }
    )
    return returns, events
