"""Dask tasks reuse glibc's heap between their blocks (issue #18), and the read-back GRANK's
row counts.

Dask's nanny starts workers with ``MALLOC_TRIM_THRESHOLD_=65536``, which fixes glibc's mmap
threshold at 128 KiB: every block's temporaries are then mapped and faulted in afresh. A task
raises the thresholds while it runs and gives the worker its own settings back when the last
of its running tasks ends. glibc's settings cannot be read back, so the calls are recorded.
What counts is the environment a process started with: the nanny also sets the variable in the
process that starts the cluster, whose glibc never saw it.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from typing import Any

import numpy as np
import pytest

import ipposaki.study.distributed as distributed
from ipposaki.study.distributed import TASK_MMAP_THRESHOLD, TASK_TRIM_THRESHOLD, task_heap
from ipposaki.study.sink import _row_counts

M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3  # glibc's malloc.h


@pytest.fixture
def started_with(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The environment the process started with, as task_heap sees it (empty until set)."""
    environment: dict[str, str] = {}
    monkeypatch.setattr(distributed, "_startup_environment", lambda: environment)
    return environment


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch, started_with: dict[str, str]) -> list[dict[int, int]]:
    """The settings passed to mallopt, in order (nothing reaches glibc)."""
    seen: list[dict[int, int]] = []
    monkeypatch.setattr(distributed, "_mallopt", lambda settings: seen.append(dict(settings)))
    monkeypatch.setattr(distributed, "trim_heap", lambda: seen.append({}))
    monkeypatch.setattr(distributed.sys, "platform", "linux")
    return seen


def test_a_task_on_a_dask_worker_raises_the_thresholds_and_restores_the_workers(
    calls: list[dict[int, int]], started_with: dict[str, str]
) -> None:
    started_with["MALLOC_TRIM_THRESHOLD_"] = "65536"  # as Dask's nanny starts a worker
    with task_heap():
        assert calls == [
            {M_MMAP_THRESHOLD: TASK_MMAP_THRESHOLD, M_TRIM_THRESHOLD: TASK_TRIM_THRESHOLD}
        ]
    # the worker's trim threshold, glibc's fixed 128 KiB mmap threshold, then a trim
    assert calls[1:] == [{M_TRIM_THRESHOLD: 65536, M_MMAP_THRESHOLD: 128 * 1024}, {}]


def test_overlapping_tasks_restore_once_the_last_one_ends(
    calls: list[dict[int, int]], started_with: dict[str, str]
) -> None:
    started_with.update(MALLOC_TRIM_THRESHOLD_="65536", MALLOC_MMAP_THRESHOLD_="1000000")
    started, release = threading.Event(), threading.Event()

    def other_task() -> None:
        with task_heap():
            started.set()
            release.wait(10)

    thread = threading.Thread(target=other_task)
    thread.start()
    started.wait(10)
    with task_heap():
        pass
    assert len(calls) == 1  # raised once; the other task still runs
    release.set()
    thread.join(10)
    assert calls[1:] == [{M_TRIM_THRESHOLD: 65536, M_MMAP_THRESHOLD: 1000000}, {}]


def test_a_process_that_started_with_glibcs_own_thresholds_is_not_touched(
    calls: list[dict[int, int]], monkeypatch: pytest.MonkeyPatch
) -> None:
    # set later, as Dask's nanny does in the process that starts a LocalCluster
    monkeypatch.setenv("MALLOC_TRIM_THRESHOLD_", "65536")
    with task_heap():
        pass
    assert calls == []


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc/self/environ is Linux's")
@pytest.mark.parametrize("at_start", [True, False], ids=["set at start", "set later"])
def test_the_startup_environment_is_the_one_the_process_began_with(at_start: bool) -> None:
    probe = (
        "import os\n"
        "os.environ['MALLOC_TRIM_THRESHOLD_'] = '65536'  # what the nanny does, too late\n"
        "from ipposaki.study.distributed import _startup_environment\n"
        "print(_startup_environment().get('MALLOC_TRIM_THRESHOLD_'))\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_")}
    if at_start:
        env["MALLOC_TRIM_THRESHOLD_"] = "131072"
    out = subprocess.run(
        [sys.executable, "-c", probe], env=env, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == ("131072" if at_start else "None")


def test_the_thresholds_go_back_when_a_task_fails(
    calls: list[dict[int, int]], started_with: dict[str, str]
) -> None:
    started_with["MALLOC_TRIM_THRESHOLD_"] = "65536"
    with pytest.raises(RuntimeError, match="block failed"), task_heap():
        raise RuntimeError("block failed")
    assert len(calls) == 3 and distributed._heap_tasks == 0


@pytest.mark.parametrize("width", [8, 60, 240, 2040, 2048, 3000], ids=lambda w: f"width={w}")
def test_row_counts_equal_numpys_sum(width: int) -> None:
    rng = np.random.default_rng(width)
    mask = (rng.random((300, width)) < 0.7).astype(np.uint8)
    mask[0] = 1  # a full row: the largest count
    mask[1] = 0
    expected = mask.sum(axis=1, dtype=np.int64)
    got: Any = _row_counts(mask)
    np.testing.assert_array_equal(got, expected)
    np.testing.assert_array_equal(_row_counts(mask[:, : width // 2]), mask[:, : width // 2].sum(1))
