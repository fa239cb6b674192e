"""Which of a block's pairs belong to each group: the (G, N) membership matrix of the sums.

Every per-day sum of a group is a product ``member @ X`` of its 0/1 row with a (pairs, days)
array. Row 0 is the whole sample ("all"), row g > 0 a basket. With a few groups the matrix is a
dense array (one BLAS product per sum); with many (a simulation makes one basket per sample,
a thousand of them) a dense matrix is G times larger than its 2N ones and its products cost G
times the work, so it is a sparse CSR array: the products then cost O(2 N days). Both kinds
give the same sums up to the order of additions (1e-15 relative).
"""

from __future__ import annotations

from typing import TypeAlias

import numpy as np
from scipy import sparse

__all__ = [
    "DENSE_GROUPS",
    "Member",
    "group_rows",
    "membership",
    "scaled",
    "stacked",
    "window_weights",
]

#: Groups up to which the membership matrix is dense.
DENSE_GROUPS = 16
#: A membership matrix: dense for a few groups, sparse CSR for many.
Member: TypeAlias = np.ndarray | sparse.csr_array


def membership(codes: np.ndarray, n_groups: int) -> Member:
    """The (G, N) 0/1 matrix of N pairs: every pair in group 0, and in group ``codes[i]``.

    Examples
    --------
    >>> membership(np.array([1, 0, 2, 1]), 3).tolist()
    [[1.0, 1.0, 1.0, 1.0], [1.0, 0.0, 0.0, 1.0], [0.0, 0.0, 1.0, 0.0]]
    >>> membership(np.array([1, 0, 2, 1]), 40).shape, type(membership(np.zeros(2, int), 40))
    ((40, 4), <class 'scipy.sparse._csr.csr_array'>)
    """
    n = len(codes)
    if n_groups <= DENSE_GROUPS:
        member = np.zeros((n_groups, n))
        member[0] = 1.0
        member[codes, np.arange(n)] = 1.0
        return member
    basket = np.flatnonzero(codes > 0)
    rows = np.concatenate([np.zeros(n, dtype=np.int64), codes[basket]])
    cols = np.concatenate([np.arange(n), basket])
    return sparse.csr_array((np.ones(len(rows)), (rows, cols)), shape=(n_groups, n))


def scaled(member: Member, w: np.ndarray, divide: bool = False) -> Member:
    """``member`` with pair i's column multiplied by ``w[i]`` (divided, with ``divide``).

    Examples
    --------
    >>> m = membership(np.array([1, 0]), 2)
    >>> scaled(m, np.array([2.0, 4.0]), divide=True).tolist()
    [[0.5, 0.25], [0.5, 0.0]]
    """
    if isinstance(member, np.ndarray):
        return member / w if divide else member * w
    data = member.data / w[member.indices] if divide else member.data * w[member.indices]
    return sparse.csr_array((data, member.indices, member.indptr), shape=member.shape)


def stacked(parts: list[Member]) -> Member:
    """The matrices one above the other (all dense or all sparse)."""
    if isinstance(parts[0], np.ndarray):
        return np.vstack(parts)
    return sparse.vstack(parts, format="csr")


def group_rows(member: Member, g: int) -> np.ndarray:
    """The positions of the pairs with a non-zero weight in group ``g``, in order.

    Examples
    --------
    >>> group_rows(membership(np.array([1, 0, 1]), 40), 1).tolist()
    [0, 2]
    """
    if isinstance(member, np.ndarray):
        return np.flatnonzero(member[g] > 0)
    lo, hi = member.indptr[g], member.indptr[g + 1]
    at = member.indices[lo:hi][member.data[lo:hi] > 0]
    return np.sort(at)


def window_weights(member: Member, has: np.ndarray) -> Member:
    """(G C, N) rows ``member[g] * has[:, c]`` in the order g, then c (C windows).

    Examples
    --------
    >>> has = np.array([[True, False], [True, True]])
    >>> window_weights(membership(np.array([0, 1]), 2), has).tolist()
    [[1.0, 1.0], [0.0, 1.0], [0.0, 1.0], [0.0, 1.0]]
    """
    n_groups, (n_pairs, n_win) = member.shape[0], has.shape
    if isinstance(member, np.ndarray):
        return (member[:, None, :] * has.T[None, :, :]).reshape(n_groups * n_win, n_pairs)
    coo = member.tocoo()
    rows = np.concatenate([coo.row * n_win + c for c in range(n_win)])
    cols = np.concatenate([coo.col] * n_win)
    data = np.concatenate([coo.data * has[coo.col, c] for c in range(n_win)])
    return sparse.csr_array((data, (rows, cols)), shape=(n_groups * n_win, n_pairs))
