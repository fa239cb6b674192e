"""The cross-sectional tests of a study, per basket and window, from the gathered blocks.

Each basket's pairs and additive time sums go through the test battery (or estudy2's
statistics, or Savickas's for GARCH models) once the blocks are gathered.
"""

from __future__ import annotations

import numpy as np

from ipposaki.study.block import Chunk
from ipposaki.study.correlation import window_rbar
from ipposaki.study.estudy2 import ESTUDY2_TESTS, IPPOSAKI_NAMES, estudy2_statistics
from ipposaki.study.garch import (
    GARCH_MODELS,
    savickas_tests,
)
from ipposaki.study.measures import (
    measure_tests,
)
from ipposaki.study.results import StudyParameters
from ipposaki.study.statistics import (
    NULLS,
    REFERENCES,
    PairStats,
    TestResult,
    TimeSums,
    run_battery,
)
from ipposaki.study.windows import Window


def _group_tests(
    chunks: list[Chunk],
    arrays: dict[str, np.ndarray],
    kept_codes: np.ndarray,
    groups: list[str],
    labels: list[str],
    window_days: np.ndarray,
    rel: np.ndarray,
    cars: list[Window],
    params: StudyParameters,
) -> tuple[list[TestResult], dict[tuple[str, str], float]]:
    """Run the battery of each group on every window.

    Parameters
    ----------
    chunks : list of Chunk
        The blocks' results (their per-group sums).
    arrays : dict
        The kept pairs' arrays, by :class:`Chunk` field.
    kept_codes : numpy.ndarray
        Each kept pair's position in ``groups``.
    groups : list of str
        The groups, ``"all"`` first.
    labels : list of str
        The windows' labels: every event day, then the CAR windows.
    window_days : numpy.ndarray
        (K, W) days of each window.
    rel : numpy.ndarray
        Relative days of the union of the event windows.
    cars : list of Window
        The CAR windows.
    params : StudyParameters
        The study's parameters (convention, model, measure).

    Returns
    -------
    tuple
        The test results, and the mean cross-correlation of each (basket, window).
    """
    # A one-day CAR window such as 0:0 is also an event day: test it once.
    first = sorted({label: j for j, label in reversed(list(enumerate(labels)))}.values())
    # The tested columns, copied once for all baskets (a basket takes its rows of them); the
    # standardised CARs are divided in place: at a million pairs each copy is 0.15 GiB.
    car_t = arrays["car"][:, first]
    scar_t = arrays["car_se"][:, first]
    with np.errstate(invalid="ignore", divide="ignore"):
        np.divide(car_t, scar_t, out=scar_t)
    days_t = arrays["days"][:, first]
    tests: list[TestResult] = []
    rbars: dict[tuple[str, str], float] = {}
    lengths = window_days[first].sum(axis=1)
    for g, basket in enumerate(groups):
        in_group = np.ones(len(kept_codes), dtype=bool) if g == 0 else np.asarray(kept_codes == g)
        if not in_group.any():
            continue
        total = TimeSums.combine([c.sums[g] for c in chunks])
        rows = slice(None) if g == 0 else in_group  # all pairs: views, not copies
        stats_g = PairStats(
            car=car_t[rows],
            scar=scar_t[rows],
            days=days_t[rows],
            dof=arrays["dof"][rows],
            s2=arrays["s2"][rows],
            frac_pos=arrays["frac_pos"][rows],
            n_est=arrays["n_est"][rows],
            sar_est=arrays["sar_est"][rows],
        )
        rbar = window_rbar(total.corr, lengths)
        names_g = [labels[j] for j in first]
        rbars.update({(basket, w): float(r) for w, r in zip(names_g, rbar, strict=True)})
        if params.convention == "estudy2":
            tests.extend(
                _estudy2_tests(
                    arrays["resid"][in_group],
                    arrays["ar"][in_group],
                    arrays["m_est"][in_group],
                    arrays["m_ev"][in_group],
                    rel,
                    basket,
                )
            )
            continue
        tests.extend(
            _battery_tests(
                stats_g, total, window_days[first], names_g, basket, rbar, lengths, cars, params
            )
        )
        del stats_g  # before the next basket copies its rows
    return tests, rbars


def _battery_tests(
    stats: PairStats,
    total: TimeSums,
    window_days: np.ndarray,
    names: list[str],
    basket: str,
    rbar: np.ndarray,
    lengths: np.ndarray,
    cars: list[Window],
    params: StudyParameters,
) -> list[TestResult]:
    """The battery of one group (ipposaki convention), the tests the measure allows.

    Parameters
    ----------
    stats : PairStats
        The group's per-pair statistics of the tested windows.
    total : TimeSums
        The group's sums over the blocks.
    window_days : numpy.ndarray
        (K, W) days of the tested windows.
    names : list of str
        The tested windows' labels.
    basket : str
        The group's name.
    rbar : numpy.ndarray
        Mean cross-correlation of each tested window.
    lengths : numpy.ndarray
        Days of each tested window.
    cars : list of Window
        The CAR windows (GRANK tests them only).
    params : StudyParameters
        The study's parameters (model, measure).

    Returns
    -------
    list of TestResult
        The group's tests; for the GARCH models on returns Savickas replaces BMP.
    """
    car_labels = [str(w) for w in cars]
    for_grank = np.isin(names, car_labels)  # GRANK is for CARs
    g_rows = [car_labels.index(w) if w in car_labels else 0 for w in names]
    base = (total.grank_u[g_rows], total.grank_n[g_rows]) if len(total.grank_u) else None
    tests = measure_tests(
        run_battery(stats, total, window_days, names, basket, rbar, for_grank, base),
        getattr(params, "measure", "return"),
        dict(zip(names, lengths.tolist(), strict=True)),
    )
    if params.model in GARCH_MODELS and getattr(params, "measure", "return") == "return":
        # SCAR is CAR / sqrt(sum of conditional variances): Savickas (2003). On these
        # standardised returns BMP is the same statistic, so Savickas replaces it (an
        # adjustment across tests must not count it twice).
        tests = [t for t in tests if not (t.test == "bmp" and t.basket == basket)]
        tests.extend(savickas_tests(stats.scar, names, basket))
    return tests


def _estudy2_tests(
    resid: np.ndarray,
    ar: np.ndarray,
    m_est: np.ndarray,
    m_ev: np.ndarray,
    rel: np.ndarray,
    basket: str,
) -> list[TestResult]:
    """estudy2's twelve statistics on each event day of one group, as test results."""
    out = estudy2_statistics(resid, ar, m_est, m_ev)
    results = []
    for name in ESTUDY2_TESTS:
        ours = IPPOSAKI_NAMES[name]
        for j, day in enumerate(rel):
            results.append(
                TestResult(
                    test=ours,
                    basket=basket,
                    window=f"{day}:{day}",
                    statistic=float(out[name][j]),
                    p_value=float(out[f"{name}_p"][j]),
                    df=float("nan"),
                    nobs=int(out["n"][j]),
                    distribution=f"estudy2 {name}",
                    null=NULLS[ours],
                    reference=f"estudy2 convention (R package estudy2); {REFERENCES[ours]}",
                )
            )
    return results
