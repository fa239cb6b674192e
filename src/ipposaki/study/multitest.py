"""Multiple-testing control: Holm's step-down and Benjamini-Hochberg's step-up adjustments.

Both work on any array of p-values along one axis (each slice along ``axis`` is one family),
without a Python loop over the p-values. NaN p-values stay NaN and do not count in the family
size ``m``; they are neither adjusted nor used to adjust the others.

- **Holm (1979)** controls the family-wise error rate under any dependence. With the family's
  p-values sorted, ``p_(1) <= ... <= p_(m)``, the adjusted value of ``p_(i)`` is
  ``max_{j <= i} min(1, (m - j + 1) p_(j))``.
- **Benjamini and Hochberg (1995)** control the false discovery rate for independent or
  positively dependent (PRDS) p-values: ``min_{j >= i} min(1, m p_(j) / j)``.

These are the values ``statsmodels.stats.multitest.multipletests`` returns for ``"holm"`` and
``"fdr_bh"`` (``tests/test_multitest.py`` checks them on random, tied and NaN-holding vectors).

References
----------
Holm, S. (1979). A simple sequentially rejective multiple test procedure. *Scandinavian Journal
of Statistics* 6(2), 65-70.

Benjamini, Y. and Hochberg, Y. (1995). Controlling the false discovery rate: a practical and
powerful approach to multiple testing. *Journal of the Royal Statistical Society B* 57(1),
289-300.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ipposaki.errors import InputError

__all__ = ["ADJUST_ACROSS", "ADJUST_METHODS", "Adjust", "AdjustAcross", "adjust_pvalues"]

Adjust = Literal["none", "holm", "bh"]
#: Methods of :func:`adjust_pvalues`.
ADJUST_METHODS: tuple[str, ...] = ("none", "holm", "bh")

AdjustAcross = Literal["windows", "all"]
#: Families of an event study's tests: each test's windows x groups, or every row of tests.csv.
ADJUST_ACROSS: tuple[str, ...] = ("windows", "all")

#: How each method is named in tests.csv and the summary.
METHOD_LABELS = {"holm": "Holm (1979)", "bh": "Benjamini-Hochberg (1995)"}


def adjust_pvalues(p: ArrayLike, method: Adjust = "holm", axis: int = -1) -> NDArray[np.float64]:
    """Adjust p-values for multiple testing, each slice along ``axis`` being one family.

    Parameters
    ----------
    p : array_like
        P-values in [0, 1]; NaN for a test without one.
    method : {"holm", "bh", "none"}, default "holm"
        Holm's step-down (family-wise error rate) or Benjamini-Hochberg's step-up (false
        discovery rate); ``"none"`` returns a copy.
    axis : int, default -1
        The axis along which the p-values form a family.

    Returns
    -------
    numpy.ndarray
        Adjusted p-values, the shape of ``p``; NaN where ``p`` is NaN.

    Raises
    ------
    InputError
        For an unknown method, or a p-value outside [0, 1].

    Examples
    --------
    >>> adjust_pvalues([0.01, 0.04, 0.03, float("nan")], "holm").round(2).tolist()
    [0.03, 0.06, 0.06, nan]
    >>> adjust_pvalues([0.01, 0.04, 0.03], "bh").round(2).tolist()
    [0.03, 0.04, 0.04]
    """
    if method not in ADJUST_METHODS:
        raise InputError("adjust", method, f"one of {', '.join(ADJUST_METHODS)}")
    values = np.array(p, dtype=np.float64, ndmin=1)
    finite = values[~np.isnan(values)]
    if finite.size and (finite.min() < 0.0 or finite.max() > 1.0):
        bad = finite[(finite < 0.0) | (finite > 1.0)][0]
        raise InputError("p", float(bad), "p-values in [0, 1] (or NaN)")
    if method == "none" or values.size == 0:
        return values
    moved = np.moveaxis(values, axis, -1)
    nan = np.isnan(moved)
    m = np.sum(~nan, axis=-1, keepdims=True)  # the family size leaves NaN out
    order = np.argsort(np.where(nan, np.inf, moved), axis=-1, kind="stable")  # NaN last
    ranked = np.take_along_axis(moved, order, axis=-1)
    rank = np.arange(1, moved.shape[-1] + 1)  # 1-based position in the sorted family
    with np.errstate(invalid="ignore"):
        if method == "holm":
            raw = np.where(rank <= m, (m - rank + 1) * ranked, np.nan)
            adj = np.maximum.accumulate(np.where(rank <= m, raw, -np.inf), axis=-1)
        else:  # bh
            raw = np.where(rank <= m, m * ranked / rank, np.inf)
            adj = np.flip(np.minimum.accumulate(np.flip(raw, axis=-1), axis=-1), axis=-1)
    adj = np.where(rank <= m, np.minimum(adj, 1.0), np.nan)
    out = np.empty_like(adj)
    np.put_along_axis(out, order, adj, axis=-1)
    return np.moveaxis(out, -1, axis)
