"""Memory pages for the engine's temporary arrays: no transparent-huge-page advice while a large
study runs (:func:`large_study`), freed pages reused from one block to the next
(:func:`kept_heap`), and given back afterwards (:func:`trim_heap`).

On Linux numpy marks every large array it allocates with ``madvise(MADV_HUGEPAGE)``. Where the
kernel's ``transparent_hugepage/defrag`` setting is ``madvise`` (a common default), a page fault
in such memory makes the kernel compact memory synchronously to find a free 2 MiB page, and on a
machine whose memory is fragmented that stall costs more than the huge page saves. The engine
allocates and frees a few (4,096 x 271) float64 temporaries per block of pairs, and with the
advice those faults took most of their time: at 100,000 firm-events one ``np.where`` over each
block cost 1.69 s in all with the advice and 0.39 s without, and the whole study 10.9 s of CPU
against 8.6 s (``docs/benchmarks.md``, issue #18; numpy issue 31590 describes the stall).

:func:`small_pages` turns the advice off for the duration of a study and restores numpy's
setting afterwards. It is a trade: without the advice every fresh page faults on its own, which
costs a small study more than the stall it avoids (10,000 firms on one date: 0.51-0.56 s of CPU
with the advice, 0.57-0.59 s without; 30,000 firms the same either way; 100,000 firm-events
7.6 s with, 6.4 s without). The engine therefore turns it off for studies of more than
:data:`LARGE_STUDY` pairs and on Dask workers, which run many blocks in one process. A user who
set ``NUMPY_MADVISE_HUGEPAGE`` chose for themselves: it is then left alone.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import os
import sys
import threading
from collections.abc import Callable, Iterator

__all__ = ["LARGE_STUDY", "kept_heap", "large_study", "small_pages", "trim_heap"]

#: Pairs above which a study runs without the huge-page advice (four blocks of 4,096).
LARGE_STUDY = 16_384


def large_study(n_pairs: int) -> bool:
    """Whether a study of ``n_pairs`` pairs is large: it then runs without the huge-page advice,
    lets go of the blocks' sums early and trims its heap (its CAR and AAR tables are built at
    once above :data:`ipposaki.study.results.EAGER_TABLES` pairs).

    Examples
    --------
    >>> large_study(LARGE_STUDY), large_study(LARGE_STUDY + 1)
    (False, True)
    """
    return n_pairs > LARGE_STUDY


def _setter() -> Callable[[bool], bool] | None:
    """numpy's switch for the advice (it returns the previous setting), if this numpy has one."""
    try:
        from numpy._core import multiarray
    except ImportError:  # pragma: no cover - numpy < 2
        return None
    return getattr(multiarray, "_set_madvise_hugepage", None)


@contextlib.contextmanager
def small_pages(active: bool = True) -> Iterator[None]:
    """Allocate without numpy's huge-page advice inside the block (when ``active``); restore
    it on the way out.

    Examples
    --------
    >>> import numpy as np
    >>> with small_pages():
    ...     total = float(np.ones(1_000_000).sum())
    >>> total
    1000000.0
    """
    setter = _setter()
    if not active or setter is None or "NUMPY_MADVISE_HUGEPAGE" in os.environ:
        yield
        return
    previous = setter(False)
    try:
        yield
    finally:
        setter(previous)


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
    if not sys.platform.startswith("linux"):
        return
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)


#: glibc's ``mallopt`` parameters (``malloc.h``).
M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3
#: Environment variables with which a process fixes glibc's thresholds itself (Dask's nanny
#: sets ``MALLOC_TRIM_THRESHOLD_`` in its workers; :func:`ipposaki.study.distributed.task_heap`
#: serves those).
_THRESHOLD_VARIABLES = ("MALLOC_TRIM_THRESHOLD_", "MALLOC_MMAP_THRESHOLD_")
#: While a study runs: arrays up to 32 MiB (glibc's own ceiling for its dynamic threshold on
#: 64-bit) come from the heap, and up to 256 MiB of freed heap is kept for the next block.
STUDY_MMAP_THRESHOLD = 32 * 2**20
STUDY_TRIM_THRESHOLD = 256 * 2**20
_lock = threading.Lock()
_studies = 0


@functools.cache
def _libc() -> ctypes.CDLL | None:
    """glibc, or None where the C library is another one."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt  # noqa: B018 - glibc has it; musl's libc.so.6 does not exist
    except (OSError, AttributeError):
        return None
    return libc


def mallopt(settings: dict[int, int]) -> None:
    """Set glibc's malloc parameters (nothing where the C library is not glibc)."""
    libc = _libc()
    if libc is not None:
        for param, value in settings.items():
            libc.mallopt(ctypes.c_int(param), ctypes.c_int(value))


@contextlib.contextmanager
def kept_heap(trim: bool = False) -> Iterator[None]:
    """Run a study's blocks with the freed pages of one block reused by the next (and, with
    ``trim``, return the free memory to the system afterwards: :func:`trim_heap`).

    With glibc's defaults an array larger than its dynamic threshold (at most 32 MiB; a
    (4,096 x 271) float64 block is 8.9 MiB) is mapped on its own and unmapped when freed, and an
    array of the same size as the last one freed still is; freed heap at its top beyond twice
    that threshold goes back to the system. Each of a block's temporaries then faults in fresh
    zeroed pages: at 100,000 firm-events the kernel's share was 2.1-2.3 s of a 4.8 s study
    (650,000 page faults), at 10,000 firms 17% of the study (``docs/benchmarks.md``).

    Inside, arrays up to :data:`STUDY_MMAP_THRESHOLD` come from the heap and up to
    :data:`STUDY_TRIM_THRESHOLD` of freed heap is kept: around the blocks of
    :class:`~ipposaki.study.engine.LocalRunner` only, so a Dask client, which runs no block,
    keeps glibc's own thresholds. On the way out the trim threshold
    becomes twice the mmap threshold, the pair glibc's dynamic rule settles on once a 32 MiB
    array has been freed (glibc cannot be handed its dynamic rule back, so a process keeps
    that pair); freed memory above it goes back to the system at the next ``free``. A
    process whose environment fixed the thresholds (``MALLOC_TRIM_THRESHOLD_``,
    ``MALLOC_MMAP_THRESHOLD_``) is left alone. Nested and concurrent studies share one
    setting: the last one out restores.

    Examples
    --------
    >>> import numpy as np
    >>> with kept_heap():
    ...     total = float(np.ones(1_000_000).sum())
    >>> total
    1000000.0
    """
    global _studies
    if _libc() is None or any(name in os.environ for name in _THRESHOLD_VARIABLES):
        yield
        return
    with _lock:
        if _studies == 0:
            mallopt(
                {M_MMAP_THRESHOLD: STUDY_MMAP_THRESHOLD, M_TRIM_THRESHOLD: STUDY_TRIM_THRESHOLD}
            )
        _studies += 1
    try:
        yield
    finally:
        with _lock:
            _studies -= 1
            if _studies == 0:
                mallopt({M_TRIM_THRESHOLD: 2 * STUDY_MMAP_THRESHOLD})
                if trim:
                    trim_heap()
