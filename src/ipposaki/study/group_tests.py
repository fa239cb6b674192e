"""The cross-sectional tests of a study, per basket and window, from the gathered blocks.

Each basket's pairs and additive time sums go through the test battery (or estudy2's
statistics, or Savickas's for GARCH models) once the blocks are gathered. A large study's
battery runs on a few windows at a time (:func:`_column_blocks`), each block's columns of the
basket's rows copied on their own: at 1,000,000 firm-events the tests' memory went from
0.71 GiB (the tested columns of every pair, then each basket's rows of them) to 0.11 GiB,
with the same tests.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

import numpy as np

from ipposaki.study.block import Chunk
from ipposaki.study.correlation import window_rbar
from ipposaki.study.estudy2 import ESTUDY2_TESTS, IPPOSAKI_NAMES, estudy2_statistics
from ipposaki.study.garch import (
    GARCH_MODELS,
    savickas_tests,
)
from ipposaki.study.heap import mapped_temporaries, trim_heap
from ipposaki.study.hypotheses import TEST_NAMES
from ipposaki.study.measures import (
    measure_tests,
)
from ipposaki.study.pages import large_study
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
    threads: int = 1,
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
    threads : int, default 1
        Blocks of windows (:func:`_column_blocks`) a group's battery runs at once.

    Returns
    -------
    tuple
        The test results, and the mean cross-correlation of each (basket, window).

    Notes
    -----
    In a study of more than :data:`~ipposaki.study.pages.LARGE_STUDY` pairs the blocks' own
    correlation sums are let go once each group's are combined (``chunks`` is changed: a
    second call on the same blocks would find none), and the heap is trimmed at the end.
    """
    # A one-day CAR window such as 0:0 is also an event day: test it once.
    first = sorted({label: j for j, label in reversed(list(enumerate(labels)))}.values())
    names = [labels[j] for j in first]
    lengths = window_days[first].sum(axis=1)
    car_labels = [str(w) for w in cars]
    rank_once = arrays["sar_est"].shape[1] > 0  # residuals here (not spilled)
    large = large_study(len(kept_codes))
    blocks = _column_blocks(names, car_labels, len(kept_codes), rank_once)
    tests: list[TestResult] = []
    rbars: dict[tuple[str, str], float] = {}
    for g, basket in enumerate(groups):
        in_group = np.ones(len(kept_codes), dtype=bool) if g == 0 else np.asarray(kept_codes == g)
        if not in_group.any():
            continue
        total = TimeSums.combine([c.sums[g] for c in chunks])
        if large:  # read once: the blocks let go of their correlation sums (0.13 GiB at a
            for c in chunks:  # million pairs) for what follows
                if c.sums[g].corr is not None:
                    c.sums[g] = replace(c.sums[g], corr=None)
        rbar = window_rbar(total.corr, lengths)
        rbars.update({(basket, w): float(r) for w, r in zip(names, rbar, strict=True)})
        if params.convention == "estudy2":
            resid, ar, m_est, m_ev = (arrays[k][in_group] for k in ("resid", "ar", "m_est", "m_ev"))
            tests.extend(_estudy2_tests(resid, ar, m_est, m_ev, rel, basket))
            continue
        rows = None if in_group.all() else np.flatnonzero(in_group)  # all pairs: no row copy
        found = _basket_battery(
            arrays,
            rows,
            blocks,
            first,
            names,
            total,
            window_days[first],
            rbar,
            lengths,
            cars,
            basket,
            params,
            threads,
        )
        tests.extend(_in_battery_order(found, names) if len(blocks) > 1 else found)
    if large:  # a small study's freed pages are soon reused
        trim_heap()  # the tests' columns and the groups' correlation sums
    return tests, rbars


def _basket_battery(
    arrays: dict[str, np.ndarray],
    rows: np.ndarray | None,
    blocks: list[list[int]],
    first: list[int],
    names: list[str],
    total: TimeSums,
    window_days: np.ndarray,
    rbar: np.ndarray,
    lengths: np.ndarray,
    cars: list[Window],
    basket: str,
    params: StudyParameters,
    threads: int = 1,
) -> list[TestResult]:
    """One basket's battery, a block of windows at a time (:func:`_column_blocks`), blocks on
    up to ``threads`` threads.

    Parameters
    ----------
    arrays : dict
        The kept pairs' arrays, by :class:`Chunk` field.
    rows : numpy.ndarray or None
        The basket's rows of them (None: every pair, read without a copy).
    blocks : list of list of int
        The tested windows' blocks (positions in ``names``).
    first : list of int
        Each tested window's column in the per-pair window arrays.
    names : list of str
        The tested windows' labels.
    total : TimeSums
        The basket's sums over the study's blocks of pairs.
    window_days : numpy.ndarray
        (tested windows, W) days of each tested window.
    rbar, lengths : numpy.ndarray
        Each tested window's mean cross-correlation and number of days.
    cars : list of Window
        The CAR windows (GRANK tests them only).
    basket : str
        The basket's name.
    params : StudyParameters
        The study's parameters.
    threads : int, default 1
        Blocks run at once (each copies its own columns).

    Returns
    -------
    list of TestResult
        Block by block (the caller puts them in the battery's order).
    """
    car_labels = [str(w) for w in cars]
    pair = {name: _rows(arrays[name], rows) for name in _PER_PAIR}

    def tests_of(block: list[int]) -> list[TestResult]:
        k = np.asarray(block)
        # GRANK reads the residuals of its (CAR) windows only; without the blocks' sums
        # it ranks them itself, for every window
        residuals = not len(total.grank_u) or any(names[j] in car_labels for j in block)
        stats_b = PairStats(
            car=_columns(arrays["car"], [first[j] for j in block], rows),
            scar=_columns(arrays["car_se"], [first[j] for j in block], rows),
            days=_columns(arrays["days"], [first[j] for j in block], rows),
            sar_est=pair["sar_est"] if residuals else pair["sar_est"][:, :0],
            **{name: pair[name] for name in _PER_PAIR if name != "sar_est"},
        )
        with np.errstate(invalid="ignore", divide="ignore"):
            np.divide(stats_b.car, stats_b.scar, out=stats_b.scar)  # SCAR = CAR / its SE
        return _battery_tests(
            stats_b,
            total,
            window_days[k],
            [names[j] for j in block],
            basket,
            rbar[k],
            lengths[k],
            cars,
            params,
        )

    if threads > 1 and len(blocks) > 1:  # blocks of windows side by side, gathered in order
        with (
            mapped_temporaries(),  # the threads' heaps would keep 0.1 GiB at a million pairs
            ThreadPoolExecutor(min(threads, len(blocks)), "ipposaki-battery") as pool,
        ):
            return [t for found in pool.map(tests_of, blocks) for t in found]
    return [t for block in blocks for t in tests_of(block)]


#: Most pair-column values (pairs x windows) a block of the battery copies at once: one window
#: of a million pairs, 8 MB each for its CARs and standardised CARs.
_BLOCK_VALUES = 1 << 20


def _column_blocks(
    names: list[str], car_labels: list[str], n_pairs: int, rank_once: bool
) -> list[list[int]]:
    """The tested windows in blocks the battery runs on one at a time.

    Every test of a window reads that window's column only (and the group's additive sums),
    so a window's tests are the same in any block. A block holds at most
    :data:`_BLOCK_VALUES` pair-window values; a study within that runs as one block. Else
    the windows GRANK tests (the CAR windows) come first, and the other blocks need no
    estimation residuals; with ``rank_once`` (the residuals are here, not spilled: GRANK
    counts through them once a call) those windows stay in one block.

    Examples
    --------
    >>> _column_blocks(["-1:-1", "0:0", "1:1", "0:1"], ["0:0", "0:1"], 100, True)
    [[0, 1, 2, 3]]
    >>> _column_blocks(["-1:-1", "0:0", "1:1", "0:1"], ["0:0", "0:1"], 3 << 20, False)
    [[1], [3], [0], [2]]
    >>> _column_blocks(["-1:-1", "0:0", "1:1", "0:1"], ["0:0", "0:1"], 3 << 20, True)
    [[1, 3], [0], [2]]
    """
    if len(names) * n_pairs <= _BLOCK_VALUES:
        return [list(range(len(names)))]
    size = max(1, _BLOCK_VALUES // max(n_pairs, 1))
    cut = [j for j, name in enumerate(names) if name in car_labels]
    rest = [j for j, name in enumerate(names) if name not in car_labels]
    blocks = [cut] if rank_once and cut else [cut[i : i + size] for i in range(0, len(cut), size)]
    return blocks + [rest[i : i + size] for i in range(0, len(rest), size)]


#: The per-pair (not per-window) inputs of the battery, taken once per group.
_PER_PAIR = ("dof", "s2", "frac_pos", "n_est", "sar_est")


def _rows(x: np.ndarray, rows: np.ndarray | None) -> np.ndarray:
    """``x``'s ``rows`` (None: ``x`` itself)."""
    return x if rows is None else x[rows]


def _columns(x: np.ndarray, cols: list[int], rows: np.ndarray | None) -> np.ndarray:
    """``x[rows][:, cols]`` copied column by column: no copy of every column of the rows."""
    out = np.empty((x.shape[0] if rows is None else len(rows), len(cols)), dtype=x.dtype)
    for i, c in enumerate(cols):
        out[:, i] = _rows(x[:, c], rows)
    return out


def _in_battery_order(tests: list[TestResult], names: list[str]) -> list[TestResult]:
    """One group's tests of every block in the battery's order: test by test (Savickas's
    last), window by window."""
    order = {name: i for i, name in enumerate(TEST_NAMES)}
    at = {name: j for j, name in enumerate(names)}
    return sorted(tests, key=lambda t: (order.get(t.test, len(order)), at[t.window]))


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
