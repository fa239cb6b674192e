"""Memory pages for the engine's temporary arrays: no transparent-huge-page advice while a large
study runs (:func:`large_study`; freed pages reused from one block to the next and given back
afterwards: :mod:`ipposaki.study.heap`).

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
import os
from collections.abc import Callable, Iterator

__all__ = ["LARGE_STUDY", "large_study", "small_pages"]

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
