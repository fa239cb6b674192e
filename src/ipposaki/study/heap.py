"""glibc's heap while blocks run: the freed pages of one block reused by the next
(:func:`reused_heap`), and the free memory given back between a study's stages
(:func:`trim_heap`).

With glibc's defaults an array larger than its dynamic mmap threshold (at most 32 MiB; a
(4,096 x 271) float64 block is 8.9 MiB) is mapped on its own and unmapped when freed, and an
array of the same size as the last one freed still is; freed heap at its top beyond twice that
threshold goes back to the system. Each of a block's temporaries then faults in fresh zeroed
pages: at 100,000 firm-events the kernel's share was 2.1-2.3 s of a 4.8 s study (650,000 page
faults), at 10,000 firms 17% of the study. A Dask worker is worse off: Dask's nanny starts it
with ``MALLOC_TRIM_THRESHOLD_=65536``, which also fixes the mmap threshold at 128 KiB, so every
array over 128 KiB is mapped afresh (a block's kernel 0.23-0.28 s of CPU there, 0.12 s with
glibc's defaults, 0.08-0.09 s inside :func:`reused_heap`; ``docs/benchmarks.md``).

:func:`reused_heap` raises both thresholds while blocks run (the local runner's, a Dask task's)
and puts back afterwards what the process started with: the values its environment fixed, or,
in a process that kept glibc's dynamic rule (which cannot be handed back), the pair that rule
settles on once a 32 MiB array has been freed.

Blocks on threads share glibc's main heap meanwhile (at most one arena): a thread's own arena
is a chain of 64 MiB heaps that glibc unmaps as soon as one is empty, whatever the trim
threshold, so each block on a second thread faulted its pages in afresh (100,000 firm-events
on two threads: 400,000-490,000 page faults against 170,000 on one; 250,000-300,000 with one
arena). Afterwards the arena limit goes back to the environment's ``MALLOC_ARENA_MAX`` or to
glibc's own limit, eight per core.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import os
import sys
import threading
from collections.abc import Iterator, Mapping
from pathlib import Path

__all__ = [
    "MAPPED_THRESHOLD",
    "REUSE_MMAP_THRESHOLD",
    "REUSE_TRIM_THRESHOLD",
    "mapped_temporaries",
    "reused_heap",
    "startup_environment",
    "trim_heap",
]

#: glibc's ``mallopt`` parameters (``malloc.h``).
M_TRIM_THRESHOLD, M_MMAP_THRESHOLD, M_ARENA_MAX = -1, -3, -8
#: Environment variables that fix glibc's thresholds for a process from its start (Dask's
#: nanny: ``distributed.nanny.pre-spawn-environ``), by the parameter each sets.
FIXED_BY_ENV = {
    "MALLOC_TRIM_THRESHOLD_": M_TRIM_THRESHOLD,
    "MALLOC_MMAP_THRESHOLD_": M_MMAP_THRESHOLD,
}
#: glibc's value for a threshold the environment did not give once another one was given.
_GLIBC_FIXED_DEFAULT = 128 * 1024
#: While blocks run: arrays up to 32 MiB (glibc's own ceiling for its dynamic threshold on
#: 64-bit) come from the heap, and up to 256 MiB of freed heap is kept for the next block.
REUSE_MMAP_THRESHOLD = 32 * 2**20
REUSE_TRIM_THRESHOLD = 256 * 2**20
#: While the battery's threads run: arrays from 1 MiB up are mapped on their own.
MAPPED_THRESHOLD = 2**20
_lock = threading.Lock()
_users = 0


@functools.cache
def _libc() -> ctypes.CDLL | None:
    """glibc, or None where the C library is another one."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt  # noqa: B018 - glibc has it
    except (OSError, AttributeError):
        return None
    return libc


def mallopt(settings: dict[int, int]) -> None:
    """Set glibc's malloc parameters (nothing where the C library is not glibc)."""
    libc = _libc()
    if libc is not None:
        for param, value in settings.items():
            libc.mallopt(ctypes.c_int(param), ctypes.c_int(value))


def trim_heap() -> None:
    """Return the free memory this process keeps to the system: glibc's heap (Linux) and
    Arrow's memory pool, when pyarrow is loaded.

    A large study's client frees many arrays between its stages (the blocks' buffers once
    packed, the pair tables of the tasks run, the tests' columns, the residuals read back).
    glibc keeps the pages they leave between live allocations, and Arrow's pool (mimalloc)
    keeps what it freed, also in the threads that received the tasks' results; the next
    stage's arrays do not always reuse them. At 1,000,000 firm-events glibc held 0.2-0.3 GiB
    free between the stages.
    """
    pyarrow = sys.modules.get("pyarrow")  # the strings of the pandas frames
    if pyarrow is not None:
        pyarrow.default_memory_pool().release_unused()
    libc = _libc()
    if libc is not None:
        libc.malloc_trim(0)


@functools.cache
def startup_environment() -> Mapping[str, str]:
    """The environment this process started with, from which glibc took its malloc settings
    (read once: it does not change).

    A later change does not reach glibc: Dask's nanny sets ``MALLOC_TRIM_THRESHOLD_`` in
    ``os.environ`` of the process that starts a ``LocalCluster`` (for the workers it spawns),
    whose own thresholds stay glibc's dynamic ones. ``/proc/self/environ`` holds the
    environment as it was at the start; ``os.environ`` where there is none.
    """
    try:
        raw = Path("/proc/self/environ").read_bytes()
    except OSError:
        return os.environ
    pairs = (item.split(b"=", 1) for item in raw.split(b"\0") if b"=" in item)
    return {name.decode(errors="replace"): value.decode(errors="replace") for name, value in pairs}


def _at_start() -> dict[int, int]:
    """The thresholds to leave behind: those the environment fixed at the start (glibc's fixed
    default for one it did not give), else the pair glibc's dynamic rule settles on."""
    started_with = startup_environment()
    fixed = {param: started_with.get(name) for name, param in FIXED_BY_ENV.items()}
    if all(value is None for value in fixed.values()):
        return {M_TRIM_THRESHOLD: 2 * REUSE_MMAP_THRESHOLD}
    return {param: _env_bytes(value) for param, value in fixed.items()}


def _arena_limit_at_start() -> int:
    """The arena limit to leave behind: the environment's ``MALLOC_ARENA_MAX``, else glibc's
    own limit on 64-bit systems, eight arenas per core (glibc takes no 0 back)."""
    with contextlib.suppress(TypeError, ValueError):
        return int(startup_environment().get("MALLOC_ARENA_MAX"))  # type: ignore[arg-type]
    return 8 * (os.cpu_count() or 1)


def _env_bytes(value: str | None) -> int:
    """A threshold as the environment gave it, or glibc's fixed default when not given."""
    with contextlib.suppress(TypeError, ValueError):
        return int(value)  # type: ignore[arg-type]
    return _GLIBC_FIXED_DEFAULT


@contextlib.contextmanager
def reused_heap(trim: bool = False) -> Iterator[None]:
    """Run blocks with :data:`REUSE_MMAP_THRESHOLD` and :data:`REUSE_TRIM_THRESHOLD`, and
    threads started meanwhile on the main heap, then put back the process's own thresholds
    and arena limit (and, with ``trim``, return its free memory to the system:
    :func:`trim_heap`).

    Nested and concurrent users (a worker's task threads, a study inside a study) share one
    setting: the first one in raises it, the last one out restores it.

    Examples
    --------
    >>> import numpy as np
    >>> with reused_heap():
    ...     total = float(np.ones(1_000_000).sum())
    >>> total
    1000000.0
    """
    global _users
    if _libc() is None:
        yield
        return
    with _lock:
        if _users == 0:
            mallopt(
                {
                    M_MMAP_THRESHOLD: REUSE_MMAP_THRESHOLD,
                    M_TRIM_THRESHOLD: REUSE_TRIM_THRESHOLD,
                    M_ARENA_MAX: 1,  # threads started meanwhile share the main heap
                }
            )
        _users += 1
    try:
        yield
    finally:
        with _lock:
            _users -= 1
            if _users == 0:
                mallopt({**_at_start(), M_ARENA_MAX: _arena_limit_at_start()})
                if trim:
                    trim_heap()


@contextlib.contextmanager
def mapped_temporaries() -> Iterator[None]:
    """Map arrays of :data:`MAPPED_THRESHOLD` or more on their own while threads run work that
    keeps nothing large (the battery's blocks of windows), so that freeing them gives their
    pages back; then leave the thresholds :func:`reused_heap` leaves (those the environment
    fixed, else the pair glibc's dynamic rule settles on).

    A thread's arena keeps its heap's free top up to the trim threshold, and ``malloc_trim``
    does not reach it: the battery of 1,000,000 firm-events on two threads left its client
    0.10 GiB larger than on one (1.117 against 1.016 GiB), and the result's build then peaked
    at 1.52 GiB; with this, 1.055 and 1.44 GiB at the same speed. Nothing changes while
    :func:`reused_heap` is in use (blocks running meanwhile keep their setting).

    Examples
    --------
    >>> import numpy as np
    >>> with mapped_temporaries():
    ...     total = float(np.ones(1_000_000).sum())
    >>> total
    1000000.0
    """
    with _lock:
        lowered = _libc() is not None and _users == 0
        if lowered:
            mallopt({M_MMAP_THRESHOLD: MAPPED_THRESHOLD})
    try:
        yield
    finally:
        if lowered:
            with _lock:
                if _users == 0:  # what reused_heap leaves behind
                    mallopt({M_MMAP_THRESHOLD: REUSE_MMAP_THRESHOLD, **_at_start()})
