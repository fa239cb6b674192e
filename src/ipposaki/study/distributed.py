"""Run an event study's blocks of pairs on a Dask cluster.

The engine splits the pairs (firm-events) into blocks. Here each block becomes one Dask task
that cuts, from the returns matrix, only the symbols and sessions its pairs read, and runs the
same vectorised kernel as the local backend on that slice. The blocks come back in order; the
cross-sectional tests are then computed once on the gathered per-pair values and the additive
time sums, exactly as in a local run, so nothing is approximated per block.

A task that fails is retried; a worker lost mid-run only makes the scheduler run its tasks
again elsewhere. Each block's result is keyed by the block, so none is lost or counted twice.
"""

from __future__ import annotations

import contextlib
import os
import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from ipposaki.errors import InputError
from ipposaki.panel.partitioned import PartitionedPrices
from ipposaki.study.engine import Chunk, ChunkContext, ChunkJob, _PaddedReturns, run_chunk

__all__ = ["DaskBackend", "parse_scheduler", "sliced_chunk"]

_LOCAL = re.compile(r"^local(?::(\d+))?$")
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
        if n is not None and n < 1:
            raise InputError("scheduler", scheduler, _ALLOWED)
        return "local", n
    if re.match(r"^[a-z]+://[^:/]+:\d+/?$", scheduler):
        return "remote", None
    raise InputError("scheduler", scheduler, _ALLOWED)


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
    pairs = job.pairs
    pos0 = pairs["pos0"].to_numpy(np.int64)
    col = pairs["col"].to_numpy(np.int64)
    mcol = pairs["mcol"].to_numpy(np.int64)
    est_lo = pairs["est_lo"].to_numpy(np.int64)
    rel = context.rel
    n_sessions = len(matrix.sessions) if isinstance(matrix, PartitionedPrices) else matrix.shape[1]
    lo = max(int((pos0 + np.minimum(est_lo - 1, rel[0])).min()), 0)
    hi = min(int((pos0 + np.maximum(est_lo + context.width, rel[-1])).max()), n_sessions - 1)
    symbols = np.unique(np.concatenate([col[col >= 0], mcol[mcol >= 0]]))

    def local(c: np.ndarray) -> np.ndarray:
        return np.where(c >= 0, np.searchsorted(symbols, c), -1)

    sliced = pairs.assign(pos0=pos0 - lo, col=local(col), mcol=local(mcol))
    if isinstance(matrix, PartitionedPrices):
        values = matrix.read(symbols, lo, hi)
    else:
        values = matrix[symbols, lo : hi + 1]
    windows = _PaddedReturns(values, pad=context.pad)
    sub_factors = factors[lo : hi + 1] if factors is not None else None
    return run_chunk(ChunkJob(sliced, job.member), context, windows, sub_factors)


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
        Pairs per task (default: the engine's block size).
    progress : bool, default False
        Show a rich progress bar and the dashboard address.
    on_progress : callable, optional
        Called with ``(done, total)`` after each finished task.
    time_ordered : bool, default True
        Group pairs into blocks by event session, so each task reads a short span of sessions.
    """

    scheduler: str = "local"
    client: Any = None
    timeout: float = 10.0
    retries: int = 2
    chunk_pairs: int | None = None
    progress: bool = False
    on_progress: Callable[[int, int], None] | None = None
    time_ordered: bool = True

    def __post_init__(self) -> None:
        if self.client is None:
            parse_scheduler(self.scheduler)
        if self.chunk_pairs is not None and self.chunk_pairs < 1:
            raise InputError("chunk_pairs", self.chunk_pairs, "an integer >= 1")

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
        if not jobs:
            return []
        from distributed import as_completed

        with self._connect() as client:
            shared: dict[str, Any] = {"matrix": matrix, "factors": factors}
            if not isinstance(matrix, PartitionedPrices):
                shared = client.scatter(shared, broadcast=True, hash=False)
            run_id = uuid.uuid4().hex[:8]
            futures = client.map(
                sliced_chunk,
                jobs,
                context=context,
                matrix=shared["matrix"],
                factors=shared["factors"],
                key=[f"ipposaki-block-{run_id}-{i}" for i in range(len(jobs))],
                retries=self.retries,
            )
            with self._bar(client, len(jobs)) as advance:
                for done, _ in enumerate(as_completed(futures), start=1):
                    advance()
                    if self.on_progress is not None:
                        self.on_progress(done, len(jobs))
            chunks: list[Chunk] = client.gather(futures)
            return chunks

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
