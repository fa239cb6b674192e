"""Run an event study's blocks of pairs on a Dask cluster.

The engine splits the pairs (firm-events) into blocks. Here a few consecutive blocks become one
Dask task that cuts, from the returns matrix, only the symbols and sessions their pairs read
(one read for them all), and runs the same vectorised kernel as the local backend on each
block's part of that slice. The blocks come back in order; the
cross-sectional tests are then computed once on the gathered per-pair values and the additive
time sums, exactly as in a local run, so nothing is approximated per block.

A task that fails is retried; a worker lost mid-run only makes the scheduler run its tasks
again elsewhere. Each task is keyed by its first block, so no block is lost or counted twice.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ipposaki.errors import InputError
from ipposaki.panel.partitioned import PartitionedPrices
from ipposaki.study.engine import Chunk, ChunkContext, ChunkJob, _PaddedReturns, run_chunk
from ipposaki.study.heap import reused_heap, trim_heap
from ipposaki.study.sink import SpilledPairs, prepare, spill_chunk

__all__ = ["DaskBackend", "parse_scheduler", "sliced_chunk", "sliced_chunks"]

#: Most consecutive blocks one task runs on one shared read (:func:`sliced_chunks`). At
#: 1,000,000 firm-events (blocks of 4096 time-ordered pairs) the read per block took 0.59 s
#: alone, 0.15 s in 14 blocks, 0.12 s in 24, 0.10 s in 32; a worker's memory grows with the
#: slice (about 6,000 symbols x 730 sessions for 24 blocks).
MAX_BLOCKS_PER_TASK = 32
#: Fewest tasks per worker thread that grouping blocks leaves, so the workers stay balanced.
TASKS_PER_THREAD = 4
#: Tasks submitted per worker thread ahead of those finished: one running, one waiting.
IN_FLIGHT_PER_THREAD = 2

_LOCAL = re.compile(r"^local(?::(\d+))?$")
#: The most worker processes ``--scheduler local:N`` starts on one machine (a larger N would
#: start that many Python processes, each with its memory limit, and exhaust the machine).
MAX_LOCAL_WORKERS = 64
_ALLOWED = "local, local:N (N workers on this machine) or a scheduler address tcp://HOST:PORT"


def parse_scheduler(scheduler: str) -> tuple[str, int | None]:
    """Split ``--scheduler`` into ``("local", workers)`` or ``("remote", None)``.

    Raises
    ------
    InputError
        When the value is neither ``local[:N]`` nor an address with a scheme and a port.
    """
    match = _LOCAL.match(scheduler)
    if match:
        n = int(match.group(1)) if match.group(1) else None
        if n is not None and not 1 <= n <= MAX_LOCAL_WORKERS:
            raise InputError(
                "scheduler",
                scheduler,
                f"local:N with 1 <= N <= {MAX_LOCAL_WORKERS} (each worker is a process with "
                "its own memory limit)",
            )
        return "local", n
    if re.match(r"^[a-z]+://[^:/]+:\d+/?$", scheduler):
        return "remote", None
    raise InputError("scheduler", scheduler, _ALLOWED)


def _span(job: ChunkJob, context: ChunkContext, n_sessions: int) -> tuple[int, int, np.ndarray]:
    """The first and last session and the symbols (sorted positions) a block's pairs read.

    Every window the kernel reads lies inside: the estimation window padded to the longest,
    its lead and lag for thin trading, and the event window.
    """
    pairs = job.pairs
    pos0 = pairs["pos0"].to_numpy(np.int64)
    col = pairs["col"].to_numpy(np.int64)
    mcol = pairs["mcol"].to_numpy(np.int64)
    est_lo = pairs["est_lo"].to_numpy(np.int64)
    rel = context.rel
    lo = max(int((pos0 + np.minimum(est_lo - 1, rel[0])).min()), 0)
    hi = min(int((pos0 + np.maximum(est_lo + context.width, rel[-1])).max()), n_sessions - 1)
    symbols = np.unique(np.concatenate([col[col >= 0], mcol[mcol >= 0]]))
    return lo, hi, symbols


def _n_sessions(matrix: np.ndarray | PartitionedPrices) -> int:
    return len(matrix.sessions) if isinstance(matrix, PartitionedPrices) else matrix.shape[1]


def _cut(
    matrix: np.ndarray | PartitionedPrices, symbols: np.ndarray, lo: int, hi: int
) -> np.ndarray:
    """Returns of ``symbols`` on sessions ``lo..hi`` (a :class:`PartitionedPrices` source is
    read for those cells only)."""
    if isinstance(matrix, PartitionedPrices):
        return matrix.read(symbols, lo, hi)
    return matrix[symbols, lo : hi + 1]


def _localise(job: ChunkJob, lo: int, symbols: np.ndarray) -> ChunkJob:
    """``job`` with its session and symbol positions on the slice from session ``lo`` of
    ``symbols``."""
    pairs = job.pairs
    col = pairs["col"].to_numpy(np.int64)
    mcol = pairs["mcol"].to_numpy(np.int64)

    def local(c: np.ndarray) -> np.ndarray:
        return np.where(c >= 0, np.searchsorted(symbols, c), -1)

    pos0 = pairs["pos0"].to_numpy(np.int64) - lo
    return ChunkJob(pairs.assign(pos0=pos0, col=local(col), mcol=local(mcol)), job.member)


def sliced_chunk(
    job: ChunkJob,
    context: ChunkContext,
    matrix: np.ndarray | PartitionedPrices,
    factors: np.ndarray | None,
) -> Chunk:
    """Run one block on the slice of ``matrix`` (symbols x sessions) that its pairs read.

    A :class:`PartitionedPrices` source is read for that slice only.

    Every window the kernel reads lies inside the slice (estimation window padded to the
    longest, its lead and lag for thin trading, and the event window), so the values, and
    hence the results, are those of the run on the whole matrix.
    """
    lo, hi, symbols = _span(job, context, _n_sessions(matrix))
    windows = _PaddedReturns(_cut(matrix, symbols, lo, hi), pad=context.pad)
    sub_factors = factors[lo : hi + 1] if factors is not None else None
    return run_chunk(_localise(job, lo, symbols), context, windows, sub_factors)


def sliced_chunks(
    jobs: list[ChunkJob],
    context: ChunkContext,
    matrix: np.ndarray | PartitionedPrices,
    factors: np.ndarray | None,
) -> Iterator[Chunk]:
    """:func:`sliced_chunk` of each of ``jobs``, all cut from one slice: the union of theirs.

    Consecutive blocks of time-ordered pairs read mostly the same cells (each block's
    estimation windows reach about 260 sessions back, its events span a few dozen), so one
    read of the union replaces several overlapping ones. Each block then runs on its own cells
    of that slice, which hold the values its own read would give (a return is made from the
    session's price and the one before, whichever the first session read), so its result is
    the same, bit for bit.
    """
    if len(jobs) == 1:
        yield sliced_chunk(jobs[0], context, matrix, factors)
        return
    spans = [_span(job, context, _n_sessions(matrix)) for job in jobs]
    lo = min(s[0] for s in spans)
    hi = max(s[1] for s in spans)
    symbols = np.unique(np.concatenate([s[2] for s in spans]))
    values = _cut(matrix, symbols, lo, hi)
    sub_factors = factors[lo : hi + 1] if factors is not None else None
    for job in jobs:
        yield sliced_chunk(_localise(job, lo, symbols), context, values, sub_factors)


def _blocks(
    jobs: tuple[ChunkJob, ...],
    first: int,
    *,
    context: ChunkContext,
    matrix: np.ndarray | PartitionedPrices,
    factors: np.ndarray | None,
) -> list[Chunk]:
    """One task: blocks ``first, first + 1, ...`` (:func:`sliced_chunks`; ``first`` keys it)."""
    with reused_heap(trim=True):  # a worker's blocks reuse one another's pages
        return list(sliced_chunks(list(jobs), context, matrix, factors))


def _spilled_blocks(
    jobs: tuple[ChunkJob, ...],
    first: int,
    *,
    context: ChunkContext,
    matrix: np.ndarray | PartitionedPrices,
    factors: np.ndarray | None,
    sessions: pd.DatetimeIndex,
    folder: Path,
) -> list[Chunk]:
    """Run blocks ``first, first + 1, ...`` on one slice, write each block's per-pair series
    under ``folder`` and return the blocks without them
    (:func:`ipposaki.study.sink.spill_chunk`)."""
    with reused_heap(trim=True):  # a worker's blocks reuse one another's pages
        chunks = sliced_chunks(list(jobs), context, matrix, factors)
        return [
            spill_chunk(chunk, job, context, sessions, folder, first + b)
            for b, (job, chunk) in enumerate(zip(jobs, chunks, strict=True))
        ]


class _Packed:
    """The blocks' per-pair arrays, copied as they arrive into one array per field.

    Each block arrives as many buffers of a few hundred KB; kept until the study gathers them,
    they fragment this process's heap, which then keeps their pages after they are freed. One
    array per field (in job order) holds them instead, and each block's buffers are freed at
    once, so the next block reuses their memory. A field whose shape or type differs between
    blocks stays as it came.
    """

    def __init__(self, rows: list[int]) -> None:
        self.starts = np.concatenate([[0], np.cumsum(rows)]).astype(np.int64)
        self.fields: dict[str, np.ndarray] = {}

    def add(self, block: int, chunk: Chunk) -> Chunk:
        """``chunk`` with its per-pair arrays replaced by views of the packed arrays."""
        lo, hi = int(self.starts[block]), int(self.starts[block + 1])
        views: dict[str, Any] = {}
        for name, value in vars(chunk).items():
            if not isinstance(value, np.ndarray) or len(value) != hi - lo:
                continue
            whole = self.fields.get(name)
            if whole is None:
                shape = (int(self.starts[-1]), *value.shape[1:])
                whole = self.fields[name] = np.empty(shape, dtype=value.dtype)
            if whole.shape[1:] != value.shape[1:] or whole.dtype != value.dtype:
                continue
            whole[lo:hi] = value
            views[name] = whole[lo:hi]
        return replace(chunk, **views)


@dataclass
class DaskBackend:
    """Run the blocks of a study on a Dask cluster.

    Parameters
    ----------
    scheduler : str, default "local"
        ``local`` or ``local:N`` starts a :class:`distributed.LocalCluster` with N worker
        processes (default: one per core) for this run; ``tcp://HOST:PORT`` connects to a running
        scheduler (e.g. one started by dask-jobqueue or the Dask Kubernetes operator).
    client : distributed.Client, optional
        An existing client to use instead (it is not closed afterwards).
    timeout : float, default 10
        Seconds to wait for a remote scheduler before giving up.
    retries : int, default 2
        How often a failed task is tried again.
    chunk_pairs : int, optional
        Pairs per block (default: the engine's block size).
    progress : bool, default False
        Show a rich progress bar and the dashboard address.
    on_progress : callable, optional
        Called with ``(done, total)`` blocks for each block of a finished task.
    time_ordered : bool, default True
        Group pairs into blocks by event session, so each task reads a short span of sessions.
    blocks_per_task : int, optional
        Consecutive blocks one task runs on one read of the cells they share
        (:func:`sliced_chunks`). Default: with ``time_ordered``, as many as keep at least
        :data:`TASKS_PER_THREAD` tasks per worker thread, at most :data:`MAX_BLOCKS_PER_TASK`,
        in tasks of nearly equal size; otherwise 1. ``on_progress`` still counts blocks.
    spill_to : str or os.PathLike, optional
        A folder the workers and this process share. Each task then writes its block's
        abnormal returns (``ar/part-NNNNN.parquet``) and estimation residuals
        (``sar_est/part-NNNNN.npz``) there and sends back only per-pair CARs, the fit and
        additive sums, so this process holds O(pairs x windows) numbers instead of every
        per-pair series; the result reads its AR table from the parts when asked
        (:mod:`ipposaki.study.sink`, ``docs/scale.md``). Results are those of a run without it,
        except that the stationary bootstrap of ``with_inference`` is not available. Ignored
        with ``convention="estudy2"``, whose statistics need every series.
    """

    scheduler: str = "local"
    client: Any = None
    timeout: float = 10.0
    retries: int = 2
    chunk_pairs: int | None = None
    progress: bool = False
    on_progress: Callable[[int, int], None] | None = None
    time_ordered: bool = True
    spill_to: str | os.PathLike[str] | None = None
    blocks_per_task: int | None = None

    def __post_init__(self) -> None:
        if self.client is None:
            parse_scheduler(self.scheduler)
        for name in ("chunk_pairs", "blocks_per_task"):
            value = getattr(self, name)
            if value is None:
                continue
            # "3", 2.5 or True are refused here, not met later as an internal error.
            if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
                raise InputError(name, value, "an integer >= 1")
        if self.spill_to is not None and Path(self.spill_to).exists():
            if not Path(self.spill_to).is_dir():
                raise InputError("spill_to", str(self.spill_to), "a folder (or a new path)")

    @contextlib.contextmanager
    def _connect(self) -> Iterator[Any]:
        from distributed import Client, LocalCluster

        if self.client is not None:
            yield self.client
            return
        kind, workers = parse_scheduler(self.scheduler)
        if kind == "local":
            n = workers or os.cpu_count() or 1
            with (
                LocalCluster(
                    n_workers=n, threads_per_worker=1, processes=True, dashboard_address=":0"
                ) as cluster,
                Client(cluster) as client,
            ):
                yield client
            return
        try:
            client = Client(self.scheduler, timeout=self.timeout)
        except (OSError, TimeoutError) as exc:
            raise InputError(
                "scheduler",
                self.scheduler,
                f"a Dask scheduler that answers within {self.timeout:g} s ({type(exc).__name__})",
            ) from None
        with client:
            yield client

    def run(
        self,
        jobs: list[ChunkJob],
        context: ChunkContext,
        matrix: np.ndarray | PartitionedPrices,
        factors: np.ndarray | None,
    ) -> list[Chunk]:
        """Run every job as a task and return the blocks in the order of ``jobs``.

        An in-memory matrix is sent once to every worker; a partitioned Parquet source is not
        sent at all: each task reads its own slice from the directory.
        """
        return self._map(_blocks, jobs, context, matrix, factors, {})

    def run_spilled(
        self,
        jobs: list[ChunkJob],
        context: ChunkContext,
        matrix: np.ndarray | PartitionedPrices,
        factors: np.ndarray | None,
        sessions: pd.DatetimeIndex,
    ) -> tuple[list[Chunk], SpilledPairs]:
        """Run every job as a task that writes its per-pair series under :attr:`spill_to`.

        Each task writes its block's parts (:mod:`ipposaki.study.sink`) and returns the block
        without its per-pair series; the parts of an earlier run in the folder are removed
        first.

        Raises
        ------
        FileNotFoundError
            If a block's part is missing after the run (e.g. the folder is not shared by the
            workers and the client).
        """
        assert self.spill_to is not None
        folder = Path(self.spill_to).resolve()
        prepare(folder)
        extra = {"sessions": sessions, "folder": folder}
        chunks = self._map(_spilled_blocks, jobs, context, matrix, factors, extra)
        spilled = SpilledPairs(folder, len(jobs))
        spilled.check()
        return chunks, spilled

    def _map(
        self,
        task: Callable[..., list[Chunk]],
        jobs: list[ChunkJob],
        context: ChunkContext,
        matrix: np.ndarray | PartitionedPrices,
        factors: np.ndarray | None,
        extra: dict[str, Any],
    ) -> list[Chunk]:
        """Run ``task`` on groups of consecutive jobs; collect each task's blocks as it
        finishes (its future is then released, so a worker does not keep them) and return the
        blocks in job order.

        Tasks are submitted :data:`IN_FLIGHT_PER_THREAD` per worker thread ahead, the next as
        one finishes, and the heap is trimmed after each (:func:`~ipposaki.study.heap.trim_heap`):
        at 1,000,000 firm-events this process's peak while the blocks ran went from 1.50 to
        1.33 GiB (every task submitted at once put all the pair tables in the scheduler, which
        a LocalCluster runs in this process).
        """
        if not jobs:
            return []
        from distributed import as_completed

        with self._connect() as client:
            shared: dict[str, Any] = {"matrix": matrix, "factors": factors, **extra}
            if not isinstance(matrix, PartitionedPrices):
                shared = client.scatter(shared, broadcast=True, hash=False)
            elif extra:
                shared = {**shared, **client.scatter(extra, broadcast=True, hash=False)}
            firsts = self._firsts(client, len(jobs))
            groups = [
                tuple(jobs[i:j]) for i, j in zip(firsts, [*firsts[1:], len(jobs)], strict=True)
            ]
            run_id = uuid.uuid4().hex[:8]
            keys = [f"ipposaki-blocks-{run_id}-{i}" for i in firsts]
            at = dict(zip(keys, firsts, strict=True))
            # Tasks are submitted as others finish, a few per worker thread ahead: the
            # scheduler then holds a few tasks' pair tables, not all (0.16 GiB pickled at a
            # million pairs).
            waiting = iter(zip(groups, firsts, keys, strict=True))
            del groups

            def submit(n: int) -> list[Any]:
                return [
                    client.submit(
                        task, group, first, context=context, key=key, retries=self.retries, **shared
                    )
                    for group, first, key in itertools.islice(waiting, n)
                ]

            ahead = IN_FLIGHT_PER_THREAD * max(sum(client.nthreads().values()), 1)
            futures = as_completed(submit(ahead), with_results=True)
            chunks: list[Chunk | None] = [None] * len(jobs)
            packed = _Packed([len(job.pairs) for job in jobs])
            done = 0
            with self._bar(client, len(jobs)) as advance:
                for future, result in futures:
                    first = at[future.key]
                    future.release()
                    for b, chunk in enumerate(result):
                        chunks[first + b] = packed.add(first + b, chunk)
                    n_blocks = len(result)
                    del result
                    trim_heap()  # the task's buffers, now copied into the packed arrays
                    futures.update(submit(1))
                    for _ in range(n_blocks):
                        done += 1
                        advance()
                        if self.on_progress is not None:
                            self.on_progress(done, len(jobs))
            del futures
            return [c for c in chunks if c is not None]

    def _firsts(self, client: Any, n_jobs: int) -> list[int]:
        """The first block of each task: :attr:`blocks_per_task` blocks a task, or by default
        up to :data:`MAX_BLOCKS_PER_TASK`, in tasks of nearly equal size whose number is a
        multiple of the worker threads (so that no thread waits for a short last task)."""
        if self.blocks_per_task is not None:
            return list(range(0, n_jobs, self.blocks_per_task))
        if not self.time_ordered:
            return list(range(n_jobs))
        threads = max(sum(client.nthreads().values()), 1)
        size = max(1, min(MAX_BLOCKS_PER_TASK, n_jobs // (TASKS_PER_THREAD * threads)))
        tasks = -(-n_jobs // size)
        if size > 1:
            tasks = -(-tasks // threads) * threads  # <= n_jobs: size > 1 left n_jobs >= 8 threads
        return [int(a[0]) for a in np.array_split(np.arange(n_jobs), tasks)]

    @contextlib.contextmanager
    def _bar(self, client: Any, total: int) -> Iterator[Callable[[], None]]:
        if not self.progress:
            yield lambda: None
            return
        from rich.console import Console
        from rich.progress import Progress

        console = Console(stderr=True)
        console.print(f"Dask dashboard: {client.dashboard_link}")
        with Progress(console=console, transient=True) as bar:
            task = bar.add_task("event-study blocks", total=total)
            yield lambda: bar.advance(task)
