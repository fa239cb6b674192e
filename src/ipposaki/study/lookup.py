"""Positions of names among other names (symbols among the returns' columns, baskets among
the groups), the same as pandas' ``Index.get_indexer`` and cheaper for a small study.

pandas builds a hash table for every new index, and for its text indexes that costs
0.15-0.4 ms a call even for ten names; a small study looked names up four times. Up to
:data:`SMALL` names and candidates a dict finds them instead; larger look-ups, and any that is
not text throughout, go to pandas, whose hash table is then the faster.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

__all__ = ["SMALL", "positions"]

#: The most names plus candidates looked up through a dict (a larger look-up goes to pandas).
SMALL = 2048


def positions(
    names: np.ndarray | pd.Index | pd.Series | Sequence[object],
    among: pd.Index | Sequence[object],
    small: int = SMALL,
) -> np.ndarray:
    """Each name's position in ``among`` (-1 where it is not there), as int64.

    Parameters
    ----------
    names : array-like
        The names looked up.
    among : pandas.Index or sequence
        The candidates, each once.
    small : int, default :data:`SMALL`
        The most names plus candidates looked up through a dict.

    Returns
    -------
    numpy.ndarray
        ``pd.Index(among).get_indexer(pd.Index(names))``, equal for every input; a
        repeated candidate raises pandas' error as it does.

    Examples
    --------
    >>> positions(np.array(["B", "Z", "A"], dtype=object), pd.Index(["A", "B"])).tolist()
    [1, -1, 0]
    """
    if len(names) + len(among) <= small:
        text = [n for n in names if type(n) is str]
        candidates = [c for c in among if type(c) is str]
        if len(text) == len(names) and len(candidates) == len(among):
            where = {c: i for i, c in enumerate(candidates)}
            if len(where) == len(candidates):  # repeated candidates: pandas says so
                return np.fromiter((where.get(n, -1) for n in text), np.int64, len(text))
    # an Index keeps its hash table: the returns' columns are hashed once, not every call
    index = among if isinstance(among, pd.Index) else pd.Index(np.asarray(among, dtype=object))
    return np.asarray(index.get_indexer(pd.Index(names)), dtype=np.int64)
