"""Cross-correlation of abnormal returns for the Kolari–Pynnönen adjustment, with gaps.

Kolari and Pynnönen (2010) correct the BMP test for the average correlation ``r`` of the
pairs' abnormal returns: ``t_KP = t_BMP sqrt((1 - r) / (1 + (N - 1) r))``. Here ``r`` is
estimated from the estimation-window residuals of every pair, as follows.

* **Over common sessions.** Each pair's residuals are standardised over its own valid sessions
  (``z_it``, mean 0, variance 1). A pair of pairs (i, j) contributes its cross-products
  ``z_it z_jt`` over the sessions on which *both* have a residual, and those sessions' count
  ``n_ij``; ``r = sum_{i != j} sum_t z_it z_jt / sum_{i != j} n_ij``. A session that one of
  them lacks is not counted as a zero, which biased ``r`` toward 0 when returns were missing.
  With no missing returns and one event date this is the average pairwise correlation,
  ``(||sum_i z_i||^2 - sum_i ||z_i||^2) / (N (N - 1) L)``.
* **In calendar time.** Pairs are grouped by their event session; residuals are placed on the
  session grid, so events on different but overlapping dates are correlated over the sessions
  they share (Kolari and Pynnönen 2010 on event-date clustering).
* **Weighted by the overlap of the tested window.** Two CARs over a window of ``L_w`` sessions
  whose day 0 are ``d`` sessions apart share ``max(0, L_w - d)`` days, so their correlation is
  ``r max(0, L_w - d) / L_w`` (serially uncorrelated abnormal returns): ``r_w`` is the mean of
  ``r_ij max(0, L_w - d_ij) / L_w`` over all ordered pairs ``i != j``, with ``r_ij`` pooled per
  pair of event sessions as above. Pairs whose windows share no day contribute 0.
* **Exact and additive.** Everything reduces to sums over the pairs of one event session
  (:class:`CorrelationSums`), which blocks of pairs (or Dask tasks) add exactly; the cost is
  linear in the number of pairs, so no sample is drawn, whatever the size of the group.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse

__all__ = ["MIN_COMMON", "CorrelationSums", "window_rbar"]

#: Fewest common pair-sessions for a pooled correlation to count (else it is taken as 0).
MIN_COMMON = 20


@dataclass(frozen=True)
class CorrelationSums:
    """Sums of standardised estimation residuals per event session of one group.

    Column ``k`` of the (C, R) arrays is the session ``day0 + origin + k``.

    Attributes
    ----------
    day0 : numpy.ndarray
        (C,) session positions of the event sessions, ascending.
    pairs : numpy.ndarray
        (C,) pairs on each event session.
    total, square, count : numpy.ndarray
        (C, R) sums of ``z``, of ``z^2`` and of the pairs present, per session offset.
    origin : int
        Offset from day 0 of column 0 (the earliest estimation day of the study).
    """

    day0: np.ndarray
    pairs: np.ndarray
    total: np.ndarray
    square: np.ndarray
    count: np.ndarray
    origin: int

    @classmethod
    def of(
        cls,
        resid: np.ndarray,
        est_lo: np.ndarray,
        day0: np.ndarray,
        origin: int,
        span: int,
    ) -> CorrelationSums:
        """The sums of the pairs whose residuals are ``resid``.

        Parameters
        ----------
        resid : numpy.ndarray
            (n, L) estimation residuals in event time: column ``tau`` is the session
            ``day0 + est_lo + tau`` (NaN where missing).
        est_lo : numpy.ndarray
            (n,) first estimation day of each pair, relative to its day 0.
        day0 : numpy.ndarray
            (n,) session position of each pair's day 0.
        origin, span : int
            The study's earliest estimation offset and the number of offsets it covers.
        """
        valid = ~np.isnan(resid)
        count = valid.sum(axis=1)
        filled = np.where(valid, resid, 0.0)
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = filled.sum(axis=1) / count
            filled -= mean[:, None]  # z in place: centred, then scaled, 0 where missing
            filled[~valid] = 0.0
            sd = np.sqrt(np.einsum("nl,nl->n", filled, filled) / count)
        use = (count >= 3) & (sd > 0)
        filled *= np.where(use, 1.0 / np.where(use, sd, 1.0), 0.0)[:, None]
        present = valid & use[:, None]
        starts = est_lo - origin
        days, cluster = np.unique(day0[use], return_inverse=True)
        pairs = np.bincount(cluster, minlength=len(days)).astype(np.int64)
        if use.any() and (starts[use] == starts[use][0]).all():
            # Every window starts at the same offset: sum the columns, then place them.
            first = int(starts[use][0])
            width = min(filled.shape[1], span - first)
            rows = slice(None) if use.all() else use  # a view when every pair counts
            z, present = filled[rows, :width], present[rows, :width].astype(np.float64)
            placed = np.zeros((3, len(days), span))
            target = placed[:, :, first : first + width]  # written in place: no stacked copy
            if len(days) == 1:
                target[0, 0] = z.sum(axis=0)
                target[1, 0] = np.einsum("nl,nl->l", z, z)
                target[2, 0] = present.sum(axis=0)
            else:
                group = _membership(cluster, len(days))
                for k, part in enumerate((z, z * z, present)):
                    target[k] = group @ part
            total, square, cnt = placed
        else:
            total, square, cnt = _placed_sums(
                filled[use], present[use], starts[use], cluster, len(days), span
            )
        return cls(
            day0=days.astype(np.int64),
            pairs=pairs,
            total=total,
            square=square,
            count=cnt,
            origin=int(origin),
        )

    def __add__(self, other: CorrelationSums) -> CorrelationSums:
        return CorrelationSums.combine([self, other])

    @staticmethod
    def combine(parts: Sequence[CorrelationSums]) -> CorrelationSums:
        """The sums of several blocks of pairs, merged by event session in one pass."""
        days = np.unique(np.concatenate([p.day0 for p in parts]))
        rows = [np.searchsorted(days, p.day0) for p in parts]  # each part's days are unique

        def merged(name: str) -> np.ndarray:
            # Added part after part into one table: no concatenated copy of all the parts.
            first = getattr(parts[0], name)
            out = np.zeros((len(days), *first.shape[1:]), dtype=first.dtype)
            for part, at in zip(parts, rows, strict=True):
                out[at] += getattr(part, name)
            return out

        return CorrelationSums(
            day0=days,
            pairs=merged("pairs"),
            total=merged("total"),
            square=merged("square"),
            count=merged("count"),
            origin=parts[0].origin,
        )


def _placed_sums(
    z: np.ndarray,
    present: np.ndarray,
    starts: np.ndarray,
    cluster: np.ndarray,
    n_days: int,
    span: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sums of ``z``, ``z^2`` and the pairs present per event session, on the study's offsets.

    For windows that start at different offsets: each row is placed at its own start first.
    """
    n, width = z.shape
    cols = starts[:, None] + np.arange(width)[None, :]
    keep = cols < span
    rows = np.broadcast_to(np.arange(n)[:, None], cols.shape)
    placed = np.zeros((n, span))
    placed[rows[keep], cols[keep]] = z[keep]
    mask = np.zeros((n, span))
    mask[rows[keep], cols[keep]] = present[keep]
    stacked = np.asarray(_membership(cluster, n_days) @ np.hstack([placed, placed * placed, mask]))
    return stacked[:, :span], stacked[:, span : 2 * span], stacked[:, 2 * span :]


def _membership(cluster: np.ndarray, size: int) -> sparse.csr_matrix:
    """(size, n) sparse 0/1 matrix: row c sums the rows of cluster c, in their order."""
    n = len(cluster)
    return sparse.csr_matrix((np.ones(n), (cluster, np.arange(n))), shape=(size, n))


def _pooled(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den >= MIN_COMMON, num / np.where(den > 0, den, 1.0), 0.0)


def window_rbar(sums: CorrelationSums | None, lengths: np.ndarray) -> np.ndarray:
    """Average cross-correlation of the pairs' CARs for windows of ``lengths`` sessions.

    Parameters
    ----------
    sums : CorrelationSums or None
        The group's sums (None, or fewer than two pairs: 0).
    lengths : numpy.ndarray
        (K,) window lengths ``L_w``.

    Returns
    -------
    numpy.ndarray
        (K,) ``r_w``: the mean over ordered pairs ``i != j`` of ``r_ij max(0, L_w - d_ij) /
        L_w`` (see the module docstring).
    """
    lengths = np.asarray(lengths, dtype=float)
    n = int(sums.pairs.sum()) if sums is not None else 0
    if sums is None or n < 2 or len(lengths) == 0:
        return np.zeros(len(lengths))
    p = sums.pairs.astype(np.float64)
    # Pairs on one event session: sum_t (S_t^2 - Q_t) over sum_t N_t (N_t - 1).
    same = _pooled(
        np.sum(sums.total**2 - sums.square, axis=1),
        np.sum(sums.count * (sums.count - 1.0), axis=1),
    )
    out = np.full(len(lengths), float(np.sum(p * (p - 1.0) * same)))
    # Pairs on event sessions g apart (g < the longest window): one calendar shift each.
    span = sums.total.shape[1]
    for gap in range(1, min(int(lengths.max()), span)):  # a few shifts, not pairs
        later = np.searchsorted(sums.day0, sums.day0 + gap)
        found = later < len(sums.day0)
        found[found] = sums.day0[later[found]] == sums.day0[found] + gap
        if not found.any():
            continue
        a, b = np.flatnonzero(found), later[found]
        # Session day0_a + o is offset o of a and offset o - gap of b.
        num = np.sum(sums.total[a, gap:] * sums.total[b, : span - gap], axis=1)
        den = np.sum(sums.count[a, gap:] * sums.count[b, : span - gap], axis=1)
        cross = float(np.sum(2.0 * p[a] * p[b] * _pooled(num, den)))
        out += cross * np.clip(lengths - gap, 0.0, None) / lengths
    return out / (n * (n - 1.0))
