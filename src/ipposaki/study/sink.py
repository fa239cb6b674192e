"""Per-pair series that a cluster's workers write to disk, and what the client reads back.

With ``DaskBackend(spill_to=PATH)`` each task writes its block's per-pair series itself, one
file per block, and sends back only what the cross-sectional tests need (per-pair CARs and
fit, and the additive :class:`~ipposaki.study.statistics.TimeSums`):

``PATH/ar/part-NNNNN.parquet``
    The block's long abnormal-return rows, the columns of :attr:`EventStudyResult.ar` plus
    ``pair``, the pair's row in the study's pair table (the blocks are cut in event-session
    order, not pair order). Read them with any Parquet reader, e.g.
    ``pandas.read_parquet(PATH / "ar")``.
``PATH/sar_est/part-NNNNN.npz``
    The block's standardised estimation residuals (``sar_est``, float32), their count per pair
    (``n_valid``) and the pairs' rows (``pair``), for the generalized rank test.

So the client holds O(pairs x windows) numbers, not O(pairs x days): the result reads the AR
table from the parts when it is first asked for, the AAR comes from the additive sums, and the
generalized rank test reads the residuals back one block at a time. A retried task rewrites
its own part (each part is written under a temporary name, then renamed), so no row is lost
or counted twice.
"""

from __future__ import annotations

import functools
import os
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import pandas as pd

from ipposaki.study.battery import _grank_t, _scaled_cars
from ipposaki.study.block import Chunk, ChunkContext, ChunkJob
from ipposaki.study.heap import trim_heap
from ipposaki.study.statistics import TestResult, _two_sided_t

__all__ = [
    "AR_DIR",
    "SAR_DIR",
    "SpilledPairs",
    "prepare",
    "spill_chunk",
    "spilled_grank",
]

#: Sub-folders of the spill folder: the AR rows and the estimation residuals, one part a block.
AR_DIR = "ar"
SAR_DIR = "sar_est"
#: The column of an AR part that holds the pair's row in the study's pair table.
PAIR_COLUMN = "pair"
#: Threads that read back and rank the residual parts (at most one per core): numpy's
#: comparisons and sums run outside the GIL.
READ_BACK_THREADS = 4
_T = TypeVar("_T")
#: The per-pair series a spilled :class:`Chunk` no longer carries (zero columns instead).
SPILLED_FIELDS = ("y_ev", "normal", "ar", "sar", "sar_est", "resid", "m_est", "m_ev")


def prepare(folder: Path) -> None:
    """Create the part folders under ``folder`` and remove the parts of an earlier run.

    Only ``part-*`` files in :data:`AR_DIR` and :data:`SAR_DIR` are removed; nothing else
    in ``folder`` is touched.
    """
    for sub, suffix in ((AR_DIR, ".parquet"), (SAR_DIR, ".npz")):
        path = folder / sub
        path.mkdir(parents=True, exist_ok=True)
        for old in path.glob(f"part-*{suffix}"):
            old.unlink()


def _part(folder: Path, sub: str, block: int, suffix: str) -> Path:
    return folder / sub / f"part-{block:05d}{suffix}"


def spill_chunk(
    chunk: Chunk,
    job: ChunkJob,
    context: ChunkContext,
    sessions: pd.DatetimeIndex,
    folder: Path,
    block: int,
) -> Chunk:
    """Write one block's per-pair series under ``folder`` and return the block without them.

    Parameters
    ----------
    chunk : Chunk
        The block's result.
    job : ChunkJob
        The block's pairs, with their rows in the study's pair table (their index) and their
        session positions on the whole grid (``cal0``).
    context : ChunkContext
        The windows every block shares.
    sessions : pandas.DatetimeIndex
        The study's session grid.
    folder : pathlib.Path
        The spill folder (:func:`prepare` made its sub-folders).
    block : int
        The block's number (names its parts).

    Returns
    -------
    Chunk
        ``chunk`` with the fields of :data:`SPILLED_FIELDS` cut to zero columns.
    """
    import pyarrow.parquet as pq

    keep = chunk.keep.astype(bool)
    kept = job.pairs.loc[keep]
    pos = kept.index.to_numpy(np.int64)
    table = _ar_table(kept, sessions, context.rel, chunk, keep)
    # No dictionary pages: the float columns have none to find, and the labels repeat per
    # pair, which the compression takes (a block of 64,000 rows: 18 -> 8 ms, 2.5 -> 2.2 MB).
    _atomic(
        lambda p: pq.write_table(table, p, use_dictionary=False),
        _part(folder, AR_DIR, block, ".parquet"),
    )
    sar_est = chunk.sar_est[keep]
    _atomic(
        lambda p: np.savez(
            p,
            pair=pos,
            n_valid=np.sum(~np.isnan(sar_est), axis=1),
            sar_est=sar_est.astype(np.float32),
        ),
        _part(folder, SAR_DIR, block, ".npz"),
    )
    none = np.empty((len(chunk.keep), 0))
    return replace(
        chunk,
        y_ev=none,
        normal=none,
        ar=none,
        sar=none,
        sar_est=none,
        resid=none,
        m_est=none,
        m_ev=none,
    )


def _ar_table(
    kept: pd.DataFrame,
    sessions: pd.DatetimeIndex,
    rel: np.ndarray,
    chunk: Chunk,
    keep: np.ndarray,
) -> Any:
    """The rows :func:`~ipposaki.study.frames._ar_frame` makes of a block's kept pairs, with
    their ``pair``, as an Arrow table with the labels as plain strings (the parts' categories
    differ), built from the arrays without a pandas frame: the table of the frame, without its
    pandas metadata, in 4.5 ms instead of 9.5-12 ms for a block of 4,096 pairs x 16 days.

    Parameters
    ----------
    kept : pandas.DataFrame
        The block's kept pairs (index: their rows in the study's pair table; ``cal0``: day 0's
        session position on the whole grid).
    sessions : pandas.DatetimeIndex
        The study's session grid.
    rel : numpy.ndarray
        The event days.
    chunk : Chunk
        The block's result.
    keep : numpy.ndarray
        (pairs,) bool: the block's kept pairs.

    Returns
    -------
    pyarrow.Table
        ``event_id``, ``symbol``, ``basket``, ``rel_day``, ``session``, ``ret``,
        ``normal_ret``, ``ar``, ``sar`` and ``pair``: pair by pair, day by day, the days with an
        abnormal return.
    """
    import pyarrow as pa

    ar = chunk.ar[keep]
    pair_i, day_j = np.nonzero(~np.isnan(ar))
    columns: dict[str, Any] = {}
    for name in ("event_id", "symbol", "basket"):
        codes, names = pd.factorize(kept[name])
        labels = pa.array(np.asarray(names, dtype=object), type=pa.large_string())
        columns[name] = labels.take(codes[pair_i])
    columns["rel_day"] = rel[day_j]
    columns["session"] = sessions[kept["cal0"].to_numpy(np.int64)[pair_i] + rel[day_j]]
    for name, values in (("ret", chunk.y_ev), ("normal_ret", chunk.normal), ("sar", chunk.sar)):
        columns[name] = values[keep][pair_i, day_j]
    columns["ar"] = ar[pair_i, day_j]
    columns[PAIR_COLUMN] = kept.index.to_numpy(np.int64)[pair_i]
    order = ("event_id", "symbol", "basket", "rel_day", "session", "ret", "normal_ret", "ar")
    return pa.table({name: columns[name] for name in (*order, "sar", PAIR_COLUMN)})


def _atomic(write: object, path: Path) -> None:
    """Write ``path`` under a temporary name, then rename it (a retried task replaces it)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "wb") as handle:
        write(handle)  # type: ignore[operator]
    os.replace(tmp, path)


@dataclass(frozen=True)
class SpilledPairs:
    """The per-pair series the workers left under ``folder`` for one study.

    Parameters
    ----------
    folder : pathlib.Path
        The spill folder.
    blocks : int
        How many blocks wrote parts.
    """

    folder: Path
    blocks: int

    def _parts(self, sub: str, suffix: str) -> list[Path]:
        return [_part(self.folder, sub, b, suffix) for b in range(self.blocks)]

    def check(self) -> None:
        """Raise :class:`FileNotFoundError` naming the first part a block did not write."""
        for path in self._parts(AR_DIR, ".parquet") + self._parts(SAR_DIR, ".npz"):
            if not path.exists():
                raise FileNotFoundError(f"the spilled part {path} is missing")

    def ar_frame(self, kept: np.ndarray, sessions: pd.DatetimeIndex) -> pd.DataFrame:
        """The AR table of the kept pairs, read from the parts, in pair order.

        Parameters
        ----------
        kept : numpy.ndarray
            The kept pairs' rows in the study's pair table, ascending.
        sessions : pandas.DatetimeIndex
            The session grid (the ``session`` column takes its dtype).

        Returns
        -------
        pandas.DataFrame
            The rows :func:`~ipposaki.study.results._ar_frame` builds from the gathered
            arrays: pair by pair, day by day, labels as categoricals in order of appearance.
        """
        import pyarrow.parquet as pq

        frame = pd.concat(
            [pq.read_table(p).to_pandas() for p in self._parts(AR_DIR, ".parquet")],
            ignore_index=True,
        )
        labels = [name for name in frame.columns if pd.api.types.is_string_dtype(frame[name])]
        pair = frame.pop(PAIR_COLUMN).to_numpy(np.int64)
        order = np.argsort(pair, kind="stable")  # each part runs day by day within a pair
        frame = frame.take(order).reset_index(drop=True)
        if len(np.unique(pair)) != len(kept):
            raise ValueError(
                f"the AR parts under {self.folder} hold {len(np.unique(pair))} pairs; the "
                f"study kept {len(kept)}"
            )
        for name in labels:  # categories in order of appearance, as _ar_frame makes them
            codes, names = pd.factorize(frame[name])
            frame[name] = pd.Categorical.from_codes(codes, categories=names)
        frame["session"] = frame["session"].astype(sessions.dtype)
        return frame

    def result_parts(
        self, kept: np.ndarray, sessions: pd.DatetimeIndex, chunks: list[Chunk], groups: list[str]
    ) -> dict[str, Any]:
        """The arguments of :meth:`EventStudyResult.build` that replace the spilled series.

        Parameters
        ----------
        kept : numpy.ndarray
            The kept pairs' rows in the study's pair table, ascending.
        sessions : pandas.DatetimeIndex
            The session grid.
        chunks : list of Chunk
            The blocks (their per-group sums).
        groups : list of str
            The groups, ``"all"`` first, as the blocks' sums are ordered.

        Returns
        -------
        dict
            ``ar_table``, a function that reads the AR table, and ``ar_sums``, each group's
            per-day AR sum and count.
        """
        sums = {
            group: (
                np.sum([c.sums[g].ar_sum for c in chunks], axis=0),
                np.sum([c.sums[g].ar_cnt for c in chunks], axis=0),
            )
            for g, group in enumerate(groups)
        }
        return {"ar_table": lambda: self.ar_frame(kept, sessions), "ar_sums": sums}

    def _read(self, keys: tuple[str, ...]) -> Iterator[dict[str, np.ndarray]]:
        for path in self._parts(SAR_DIR, ".npz"):
            with np.load(path) as part:
                yield {k: part[k] for k in keys}

    def grank(
        self,
        kept: np.ndarray,
        members: list[np.ndarray],
        scar: np.ndarray,
        u_base: list[np.ndarray],
        n_base: list[np.ndarray],
    ) -> list[tuple[np.ndarray, np.ndarray]]:
        """Kolari and Pynnönen's generalized rank t of several groups, reading each part once.

        The arithmetic of :func:`ipposaki.study.statistics._grank` for each group, with the
        residuals read from the parts one block at a time instead of one (pairs, L) array.

        Parameters
        ----------
        kept : numpy.ndarray
            The kept pairs (rows in the study's pair table), ascending.
        members : list of numpy.ndarray
            (N,) bool per group: its pairs among ``kept``.
        scar : numpy.ndarray
            (N, C) the kept pairs' standardised CARs of the C windows tested.
        u_base, n_base : list of numpy.ndarray
            (C, L) per group: the blocks' GRANK sums.

        Returns
        -------
        list of tuple
            Per group, (C,) t statistics and (C,) degrees of freedom.
        """
        n_windows = scar.shape[1]
        where = _positions(kept)
        n_valid = np.zeros(len(kept), dtype=np.int64)
        for part in self._read((PAIR_COLUMN, "n_valid")):
            rows, inside = _locate(where, part[PAIR_COLUMN])
            n_valid[rows] = part["n_valid"][inside]
        t_i = n_valid + 1.0
        weight = 1.0 / (t_i + 1.0)
        has = [member[:, None] & ~np.isnan(scar) & (t_i > 2)[:, None] for member in members]
        star = [_scaled_cars(scar, has_g) for has_g in has]
        shift = [np.zeros((n_windows, b.shape[1])) for b in u_base]
        below = [np.zeros(has_g.shape) for has_g in has]
        rank = functools.partial(
            _rank_part, where=where, members=members, n_valid=n_valid, star=star, below=below
        )
        # parts in threads (numpy's comparisons and sums let go of the GIL); each part's
        # shift is added in part order, so the sums are those of one thread
        for added in _in_order(rank, self._parts(SAR_DIR, ".npz")):
            for g, extra in enumerate(added):
                if extra is not None:
                    shift[g] += extra
        return [
            _grank_t(has[g], below[g], weight, shift[g], u_base[g], n_base[g])
            for g in range(len(members))
        ]


def _rank_part(
    path: Path,
    *,
    where: np.ndarray,
    members: list[np.ndarray],
    n_valid: np.ndarray,
    star: list[np.ndarray],
    below: list[np.ndarray],
) -> list[np.ndarray | None]:
    """One part's GRANK: each group's (C, L) shift (None: none of its pairs), and the
    ranks below their CARs of the part's pairs, set in ``below``.

    The part's pairs are ordered by residual count once for every group: a pair's weight
    depends on its count only, so each run of equal counts adds one weight times its count of
    residuals above.
    """
    with np.load(path) as part:
        pair, sar = part[PAIR_COLUMN], part["sar_est"]
    at, inside = _locate(where, pair)
    if not inside.all():
        sar = sar[inside]
    order = np.argsort(n_valid[at], kind="stable")
    at, sar = at[order], sar[order]
    added: list[np.ndarray | None] = []
    for g, member in enumerate(members):
        mine = member[at]
        everyone = bool(mine.all())
        rows = at if everyone else at[mine]
        if not len(rows):
            added.append(None)
            continue
        added.append(_rank_block(sar if everyone else sar[mine], rows, n_valid, star[g], below[g]))
    return added


def _in_order(task: Callable[[Path], _T], paths: list[Path]) -> Iterator[_T]:
    """``task`` of each path, in order, run in up to :data:`READ_BACK_THREADS` threads (one
    part each, a few parts ahead)."""
    threads = max(1, min(READ_BACK_THREADS, os.cpu_count() or 1))
    with ThreadPoolExecutor(threads) as pool:
        pending: deque[Future[_T]] = deque()
        for path in paths:
            pending.append(pool.submit(task, path))
            if len(pending) > threads:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()


def _rank_block(
    x: np.ndarray, rows: np.ndarray, n_valid: np.ndarray, star: np.ndarray, below: np.ndarray
) -> np.ndarray:
    """One part's pairs of one group: their ranks below their CARs, and the group's shift.

    Parameters
    ----------
    x : numpy.ndarray
        (n, L) the pairs' standardised estimation residuals (float32, NaN where missing),
        ordered by ``n_valid[rows]``.
    rows : numpy.ndarray
        (n,) the pairs' positions among the kept pairs.
    n_valid : numpy.ndarray
        Every kept pair's count of residuals (its weight is ``1 / (n_valid + 2)``).
    star : numpy.ndarray
        (pairs, C) the group's scaled standardised CARs (NaN: no test; then no residual is
        above or below).
    below : numpy.ndarray
        (pairs, C) the pairs' ranks below their CAR (ties count half), set at ``rows``.

    Returns
    -------
    numpy.ndarray
        (C, L) the weighted counts of the pairs' residuals above their CAR, day by day.
    """
    n, width = x.shape
    runs = np.flatnonzero(np.diff(n_valid[rows])) + 1
    spans = list(zip(np.append(0, runs), np.append(runs, n), strict=True))
    run_weight = 1.0 / (n_valid[rows[np.append(0, runs)]] + 2.0)
    count_type = np.uint16 if n < 2**16 else np.int64  # no run holds more rows than n
    # 0/1 bytes in rows padded to a multiple of 8 columns (zeros), for _row_counts
    above = np.zeros((n, -(-width // 8) * 8), dtype=np.uint8)
    lower = np.zeros_like(above)
    shift = np.zeros((star.shape[1], width))
    for c in range(star.shape[1]):
        cut = star[rows, c, None]
        np.greater(x, cut, out=above[:, :width].view(bool))
        np.less(x, cut, out=lower[:, :width].view(bool))
        counts = [above[i:j, :width].sum(axis=0, dtype=count_type) for i, j in spans]
        shift[c] = run_weight @ np.asarray(counts, dtype=np.int64)
        n_lower = _row_counts(lower)
        tie = n_valid[rows] - n_lower - _row_counts(above)
        below[rows, c] = n_lower + tie / 2.0
    return shift


def _row_counts(mask: np.ndarray) -> np.ndarray:
    """Row sums of a C-contiguous (n, W) array of 0/1 bytes, eight bytes at a time.

    Summing each row's W / 8 eight-byte words adds every byte position separately while no
    position's count reaches 256 (W < 2048), so the counts are the bytes of those sums; five
    times faster than numpy's byte-by-byte sum into 64-bit integers.

    Examples
    --------
    >>> mask = np.zeros((2, 16), dtype=np.uint8)
    >>> mask[0, [0, 3, 9]] = 1
    >>> mask[1] = 1
    >>> _row_counts(mask).tolist()
    [3, 16]
    """
    n, width = mask.shape
    if width % 8 or width >= 8 * 256 or not mask.flags.c_contiguous:
        return mask.sum(axis=1, dtype=np.int64)
    lanes = mask.view(np.uint64).sum(axis=1)  # (n,): each byte holds one position's count
    return lanes.view(np.uint8).reshape(n, 8).sum(axis=1, dtype=np.int64)


def _positions(kept: np.ndarray) -> np.ndarray:
    """Each pair's position in ``kept`` (ascending rows of the pair table), -1 if not kept."""
    where = np.full(int(kept[-1]) + 1 if len(kept) else 0, -1, dtype=np.int64)
    where[kept] = np.arange(len(kept))
    return where


def _locate(where: np.ndarray, pair: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Positions among the kept pairs (:func:`_positions`) of the entries of ``pair`` that
    were kept, and which those are."""
    at = np.full(len(pair), -1, dtype=np.int64)
    known = pair < len(where)
    at[known] = where[pair[known]]
    inside = at >= 0
    return at[inside], inside


def spilled_grank(
    spilled: SpilledPairs,
    tests: list[TestResult],
    chunks: list[Chunk],
    kept: np.ndarray,
    kept_codes: np.ndarray,
    arrays: dict[str, np.ndarray],
    groups: list[str],
    car_labels: list[str],
    labels: list[str],
) -> list[TestResult]:
    """``tests`` with each group's generalized rank rows computed from the spilled residuals.

    The battery ran without the residuals (its GRANK rows are NaN); this runs the test as
    :func:`~ipposaki.study.group_tests._battery_tests` would have, group by group.

    Parameters
    ----------
    spilled : SpilledPairs
        The parts.
    tests : list of TestResult
        The study's tests.
    chunks : list of Chunk
        The blocks (their per-group GRANK sums).
    kept : numpy.ndarray
        The kept pairs' rows in the study's pair table, ascending.
    kept_codes : numpy.ndarray
        Each kept pair's position in ``groups``.
    arrays : dict
        The kept pairs' ``car`` and ``car_se`` (pairs x windows).
    groups : list of str
        The groups, ``"all"`` first.
    car_labels : list of str
        The CAR windows (GRANK tests them only).
    labels : list of str
        Every window: the event days, then the CAR windows.

    Returns
    -------
    list of TestResult
        ``tests``, GRANK rows replaced.
    """
    first = sorted({label: j for j, label in reversed(list(enumerate(labels)))}.values())
    tested = [j for j in first if labels[j] in car_labels]  # GRANK is for the CAR windows
    names = [labels[j] for j in tested]
    g_rows = [car_labels.index(w) for w in names]
    with np.errstate(invalid="ignore", divide="ignore"):
        scar = arrays["car"][:, tested] / arrays["car_se"][:, tested]
    present, members, u_base, n_base = [], [], [], []
    for g, group in enumerate(groups):
        member = np.ones(len(kept), dtype=bool) if g == 0 else kept_codes == g
        u_g = np.sum([c.sums[g].grank_u for c in chunks], axis=0)
        if member.any() and len(u_g):
            present.append(group)
            members.append(member)
            u_base.append(u_g[g_rows])
            n_base.append(np.sum([c.sums[g].grank_n for c in chunks], axis=0)[g_rows])
    if not present or not names:
        return tests
    results = spilled.grank(kept, members, scar, u_base, n_base)
    del scar, members
    trim_heap()  # the parts' residuals and the groups' ranks, before the result is built
    for group, (stat, dof) in zip(present, results, strict=True):
        tests = _with_grank(tests, group, names, stat, dof)
    return tests


def _with_grank(
    tests: list[TestResult], group: str, names: list[str], stat: np.ndarray, dof: np.ndarray
) -> list[TestResult]:
    """``tests`` with the generalized rank rows of ``group`` set to ``stat`` and ``dof``."""
    at = {name: k for k, name in enumerate(names)}
    out = []
    with np.errstate(invalid="ignore"):
        p_value = _two_sided_t(stat, dof)
    for t in tests:
        k = at.get(t.window)
        if t.test == "grank" and t.basket == group and k is not None and not np.isnan(stat[k]):
            t = replace(
                t,
                statistic=float(stat[k]),
                p_value=float(p_value[k]),
                df=float(dof[k]),
                distribution=f"t({dof[k]:g})",
            )
        out.append(t)
    return out
