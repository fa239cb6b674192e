"""What a large study's client holds (issue #18): the battery in blocks of windows, and Dask
tasks submitted a few at a time.

The reference is the same study run the usual way: the battery on every window at once, and
(for Dask) the local backend. A block of windows changes which columns sit in memory together,
not the per-window arithmetic, so the pair tests are equal exactly; the portfolio and rank
tests sum their daily statistics over a window through a matrix product whose rows are the
block's windows, and BLAS may add a row's terms in another order for a smaller matrix (last
bits only, hence ``rtol=1e-13``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import ipposaki.study.group_tests as group_tests
from ipposaki.study import run_study
from test_distributed import _synthetic, assert_results_equal


def _study(case: str) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, Any]]:
    """About 400 gappy pairs in two baskets (or one covering every pair)."""
    frame, events = _synthetic(11, n_sym=60, n_ses=700, n_ev=420)
    events["basket"] = np.where(np.arange(len(events)) % 3 == 0, "a", "b")
    kwargs: dict[str, Any] = {
        "market": "MKT",
        "estimation_window": "-120:-11",
        "min_estimation_obs": 60,
    }
    if case == "log":
        frame = np.log1p(frame.clip(lower=-0.5))
        kwargs["log_returns"] = True
    elif case == "one basket":
        events["basket"] = "a"
    elif case == "garch":  # Savickas replaces BMP; its rows come last
        events = events.iloc[:40]
        kwargs["model"] = "garch"
    return frame, events, kwargs


def _assert_same_tables(a: Any, b: Any) -> None:
    for name in ("car", "caar", "aar"):
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name), obj=name)
    left, right = a.tests, b.tests
    labels = ["test", "basket", "window", "nobs", "distribution", "null"]
    pd.testing.assert_frame_equal(left[labels], right[labels], obj="tests")  # same rows, order
    pd.testing.assert_frame_equal(left, right, rtol=1e-13, atol=0, obj="tests")


@pytest.mark.parametrize("case", ["simple", "log", "one basket", "garch"])
def test_battery_in_blocks_of_one_window_equals_one_block(
    case: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    frame, events, kwargs = _study(case)
    whole = run_study(frame, events, **kwargs)
    monkeypatch.setattr(group_tests, "_BLOCK_VALUES", 1)  # one window a block
    blocks = run_study(frame, events, **kwargs)
    assert len(whole.tests) > 200
    _assert_same_tables(whole, blocks)


def test_column_blocks_keep_ranked_windows_together_when_the_residuals_are_here() -> None:
    names = [f"{d}:{d}" for d in range(-5, 11)] + ["0:1", "-1:1", "0:10"]
    cars = ["0:0", "0:1", "-1:1", "0:10"]
    spilled = group_tests._column_blocks(names, cars, 1_000_000, rank_once=False)
    here = group_tests._column_blocks(names, cars, 1_000_000, rank_once=True)
    assert spilled[:4] == [[5], [16], [17], [18]]  # GRANK's windows first, one a block
    assert here[0] == [5, 16, 17, 18]
    for blocks in (spilled, here):
        assert sorted(j for block in blocks for j in block) == list(range(len(names)))
        assert max(len(b) for b in blocks if 16 not in b) == 1  # a million values a block
    assert group_tests._column_blocks(names, cars, 1000, rank_once=False) == [list(range(19))]


@pytest.mark.slow
@pytest.mark.parametrize("spill", [False, True], ids=["gathered", "spilled"])
def test_dask_tasks_submitted_a_few_at_a_time_equal_local(
    dask_client: Any, tmp_path: Path, spill: bool
) -> None:
    """Twelve tasks on two worker threads: at most four are ever in the scheduler."""
    from ipposaki.study.distributed import IN_FLIGHT_PER_THREAD, DaskBackend

    frame, events, kwargs = _study("simple")
    local = run_study(frame, events, **kwargs)
    threads = sum(dask_client.nthreads().values())

    def in_scheduler(dask_scheduler: Any) -> int:
        return sum(
            str(key).startswith("ipposaki-blocks") and task.state not in ("memory", "released")
            for key, task in dask_scheduler.tasks.items()
        )

    seen: list[tuple[int, int, int]] = []

    def progress(done: int, total: int) -> None:
        seen.append((done, total, dask_client.run_on_scheduler(in_scheduler)))

    backend = DaskBackend(
        client=dask_client,
        chunk_pairs=35,
        blocks_per_task=1,
        on_progress=progress,
        spill_to=tmp_path / "spill" if spill else None,
    )
    dask = run_study(frame, events, backend=backend, **kwargs)
    total = seen[-1][1]
    assert total >= 3 * IN_FLIGHT_PER_THREAD * threads  # more tasks than submitted at once
    assert [s[0] for s in seen] == list(range(1, total + 1))
    assert max(s[2] for s in seen) <= IN_FLIGHT_PER_THREAD * threads
    if spill:  # the AR table is read back from the parts; the rest is compared here
        for name in ("car", "aar", "caar", "tests"):
            pd.testing.assert_frame_equal(
                getattr(local, name), getattr(dask, name), rtol=0, atol=1e-12, obj=name
            )
    else:
        assert_results_equal(local, dask, atol=1e-12)
