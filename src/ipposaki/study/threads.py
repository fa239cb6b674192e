"""How many threads a study's local work uses: blocks of pairs in the local runner, blocks of
windows in the battery.

numpy's sorts, reductions and matrix products let go of the GIL, so independent blocks run
side by side on threads; each is computed alone and the results are gathered in order, so
they are the same whatever the number of threads.
"""

from __future__ import annotations

import os

__all__ = ["MAX_THREADS", "local_threads"]

#: The most threads a study uses by default. Each block in flight holds its own temporaries
#: (about 40 MiB for 4,096 pairs), and past a few threads the blocks wait on memory, not cores.
MAX_THREADS = 4


def local_threads(requested: int | None = None) -> int:
    """``requested``, or by default one per core, at most :data:`MAX_THREADS`.

    Examples
    --------
    >>> local_threads(1)
    1
    >>> 1 <= local_threads() <= MAX_THREADS
    True
    """
    if requested is not None:
        return requested
    return max(1, min(os.cpu_count() or 1, MAX_THREADS))
