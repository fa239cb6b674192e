"""Blocks reuse glibc's heap while they run (issue #18): :mod:`ipposaki.study.heap`.

glibc's thresholds cannot be read back, so the ``mallopt`` calls are recorded. Dask's nanny
starts workers with ``MALLOC_TRIM_THRESHOLD_=65536``, which fixes glibc's mmap threshold at
128 KiB; a process started without it keeps glibc's dynamic rule. What counts is the
environment a process started with: the nanny also sets the variable in the process that
starts the cluster, whose glibc never saw it.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading

import pytest

from ipposaki.study import heap
from ipposaki.study.heap import (
    M_ARENA_MAX,
    M_MMAP_THRESHOLD,
    M_TRIM_THRESHOLD,
    MAPPED_THRESHOLD,
    REUSE_MMAP_THRESHOLD,
    REUSE_TRIM_THRESHOLD,
    mapped_temporaries,
    reused_heap,
)

RAISED = {
    M_MMAP_THRESHOLD: REUSE_MMAP_THRESHOLD,
    M_TRIM_THRESHOLD: REUSE_TRIM_THRESHOLD,
    M_ARENA_MAX: 1,
}
#: glibc's own arena limit on 64-bit systems: eight per core.
GLIBC_ARENAS = 8 * (os.cpu_count() or 1)


@pytest.fixture
def started_with(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The environment the process started with, as reused_heap sees it (empty until set)."""
    environment: dict[str, str] = {}
    monkeypatch.setattr(heap, "startup_environment", lambda: environment)
    return environment


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch, started_with: dict[str, str]) -> list[dict[int, int]]:
    """The settings passed to mallopt, in order, and {} for each trim (nothing reaches glibc)."""
    seen: list[dict[int, int]] = []
    monkeypatch.setattr(heap, "mallopt", lambda settings: seen.append(dict(settings)))
    monkeypatch.setattr(heap, "trim_heap", lambda: seen.append({}))
    monkeypatch.setattr(heap, "_libc", lambda: object())
    return seen


def test_a_dask_workers_thresholds_come_back_after_its_task(
    calls: list[dict[int, int]], started_with: dict[str, str]
) -> None:
    started_with["MALLOC_TRIM_THRESHOLD_"] = "65536"  # as Dask's nanny starts a worker
    with reused_heap(trim=True):
        assert calls == [RAISED]
    # the worker's trim threshold, glibc's fixed 128 KiB mmap threshold, then a trim
    assert calls[1:] == [
        {M_TRIM_THRESHOLD: 65536, M_MMAP_THRESHOLD: 128 * 1024, M_ARENA_MAX: GLIBC_ARENAS},
        {},
    ]


def test_a_process_with_glibcs_own_rule_keeps_the_pair_it_settles_on(
    calls: list[dict[int, int]], monkeypatch: pytest.MonkeyPatch
) -> None:
    # set later, as Dask's nanny does in the process that starts a LocalCluster: not seen
    monkeypatch.setenv("MALLOC_TRIM_THRESHOLD_", "65536")
    with reused_heap(), reused_heap():  # a study inside a study: one setting
        assert calls == [RAISED]
    # and no trim
    assert calls[1:] == [{M_TRIM_THRESHOLD: 2 * REUSE_MMAP_THRESHOLD, M_ARENA_MAX: GLIBC_ARENAS}]


def test_an_arena_limit_from_the_environment_comes_back(
    calls: list[dict[int, int]], started_with: dict[str, str]
) -> None:
    started_with["MALLOC_ARENA_MAX"] = "2"
    with reused_heap():
        assert calls == [RAISED]
    assert calls[1:] == [{M_TRIM_THRESHOLD: 2 * REUSE_MMAP_THRESHOLD, M_ARENA_MAX: 2}]


def test_overlapping_users_restore_once_the_last_one_ends(
    calls: list[dict[int, int]], started_with: dict[str, str]
) -> None:
    started_with.update(MALLOC_TRIM_THRESHOLD_="65536", MALLOC_MMAP_THRESHOLD_="1000000")
    started, release = threading.Event(), threading.Event()

    def other_task() -> None:
        with reused_heap(trim=True):
            started.set()
            release.wait(10)

    thread = threading.Thread(target=other_task)
    thread.start()
    started.wait(10)
    with reused_heap(trim=True):
        pass
    assert len(calls) == 1  # raised once; the other task still runs
    release.set()
    thread.join(10)
    assert calls[1:] == [
        {M_TRIM_THRESHOLD: 65536, M_MMAP_THRESHOLD: 1000000, M_ARENA_MAX: GLIBC_ARENAS},
        {},
    ]


def test_the_thresholds_go_back_when_a_block_fails(
    calls: list[dict[int, int]], started_with: dict[str, str]
) -> None:
    started_with["MALLOC_TRIM_THRESHOLD_"] = "65536"
    with pytest.raises(RuntimeError, match="block failed"), reused_heap(trim=True):
        raise RuntimeError("block failed")
    assert len(calls) == 3 and heap._users == 0


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc/self/environ is Linux's")
@pytest.mark.parametrize("at_start", [True, False], ids=["set at start", "set later"])
def test_the_startup_environment_is_the_one_the_process_began_with(at_start: bool) -> None:
    probe = (
        "import os\n"
        "os.environ['MALLOC_TRIM_THRESHOLD_'] = '65536'  # what the nanny does, too late\n"
        "from ipposaki.study.heap import startup_environment\n"
        "print(startup_environment().get('MALLOC_TRIM_THRESHOLD_'))\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_")}
    if at_start:
        env["MALLOC_TRIM_THRESHOLD_"] = "131072"
    out = subprocess.run(
        [sys.executable, "-c", probe], env=env, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == ("131072" if at_start else "None")


_REUSE_PROBE = """
import contextlib, resource
import numpy as np
from ipposaki.study.heap import reused_heap
from ipposaki.study.pages import small_pages

def block():  # two temporaries of a block's sizes, a product, a sum
    a, b = np.ones((4096, 271)), np.ones((4096, 250))
    return float((a[:, :250] * b).sum())

def faults(context):
    with small_pages(), context:
        block()
        before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
        for _ in range(10):
            block()
        return resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before

print(faults(contextlib.nullcontext()), faults(reused_heap()))
"""


@pytest.mark.parametrize("worker", [False, True], ids=["glibc's own rule", "a Dask worker's"])
def test_a_blocks_freed_pages_serve_the_next_block(worker: bool) -> None:
    """Inside, no fresh page faults; the same loop first without it (61,392 pages faulted in a
    process with glibc's own thresholds on this machine). Run in fresh processes started with
    and without Dask's worker setting."""
    if heap._libc() is None:
        pytest.skip("glibc only")
    env = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_")}
    if worker:
        env["MALLOC_TRIM_THRESHOLD_"] = "65536"
    out = subprocess.run(
        [sys.executable, "-c", _REUSE_PROBE], env=env, capture_output=True, text=True, check=True
    )
    plain, reused = (int(v) for v in out.stdout.split())
    assert reused < 2_000 < plain, (plain, reused)


def test_the_batterys_threads_map_their_arrays_then_the_thresholds_come_back(
    calls: list[dict[int, int]], started_with: dict[str, str]
) -> None:
    with mapped_temporaries():
        assert calls == [{M_MMAP_THRESHOLD: MAPPED_THRESHOLD}]
    # what reused_heap leaves in a process that kept glibc's own rule
    assert calls[1:] == [
        {M_MMAP_THRESHOLD: REUSE_MMAP_THRESHOLD, M_TRIM_THRESHOLD: 2 * REUSE_MMAP_THRESHOLD}
    ]
    calls.clear()
    started_with["MALLOC_TRIM_THRESHOLD_"] = "65536"  # a Dask worker's
    with mapped_temporaries():
        pass
    assert calls[1:] == [{M_MMAP_THRESHOLD: 128 * 1024, M_TRIM_THRESHOLD: 65536}]


def test_mapped_temporaries_leave_running_blocks_alone(calls: list[dict[int, int]]) -> None:
    with reused_heap(), mapped_temporaries():
        assert calls == [RAISED]  # the blocks' setting stays
    assert len(calls) == 2  # reused_heap's restore only
