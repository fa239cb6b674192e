"""Cross-correlation of abnormal returns for the Kolari–Pynnönen adjustment, with gaps.

Kolari and Pynnönen (2010) correct the BMP test for the average correlation ``r`` of the
pairs' abnormal returns: ``t_KP = t_BMP sqrt((1 - r) / (1 + (N - 1) r))``. Here ``r`` is
estimated from the estimation-window residuals as follows.

* **Pairwise, over common days.** Each pair (i, j) of event-firm pairs gets the Pearson
  correlation ``r_ij`` of their residuals over the sessions on which *both* have one; a day that
  one of them lacks is not counted as a zero (which would bias ``r`` toward 0 when returns are
  missing). Pairs with fewer than :data:`MIN_COMMON` common sessions get ``r_ij = 0``.
* **In calendar time.** Residuals are placed on the session grid, so events on different but
  overlapping dates are correlated over the sessions they share (Kolari and Pynnönen 2010,
  section on event-date clustering).
* **Weighted by the overlap of the tested window.** Two CARs over a window of ``L_w`` sessions
  whose day 0 are ``d`` sessions apart share ``max(0, L_w - d)`` calendar days, so their
  correlation is ``r_ij max(0, L_w - d) / L_w`` (serially uncorrelated abnormal returns). For
  events on one date this is ``r_ij``; pairs whose windows share no day contribute 0. The
  window's ``r_w`` is the mean of these over all ordered pairs ``i != j``.
* **A bottom-k sample for large groups.** Every event-firm pair carries a fixed pseudo-random
  key (a hash of its event id and symbol); a group keeps the :data:`SAMPLE_PAIRS` pairs with the
  smallest keys. Samples of blocks merge exactly (keep the smallest keys of the union), so the
  estimate does not depend on how pairs were split into blocks or machines; below that size it
  uses every pair. With 400 firm-events, ``r`` averages 79,800 pairwise correlations.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["MIN_COMMON", "SAMPLE_PAIRS", "CorrelationSample", "pair_keys", "window_rbar"]

#: Pairs a group keeps to estimate the average cross-correlation.
SAMPLE_PAIRS = 400
#: Fewest common sessions for a pairwise correlation to count.
MIN_COMMON = 20


def pair_keys(event_id: pd.Series, symbol: pd.Series) -> np.ndarray:
    """Fixed pseudo-random uint64 keys of event-firm pairs (independent of their order)."""
    text = event_id.astype(str).str.cat(symbol.astype(str), sep="\x1f")
    return pd.util.hash_pandas_object(text, index=False).to_numpy(np.uint64)


@dataclass(frozen=True)
class CorrelationSample:
    """Up to :data:`SAMPLE_PAIRS` pairs of a group: keys, residuals and calendar positions.

    Attributes
    ----------
    keys : numpy.ndarray
        (k,) uint64 pair keys, ascending.
    resid : numpy.ndarray
        (k, L) estimation-window residuals in event time (NaN where missing).
    start : numpy.ndarray
        (k,) session position of each pair's first estimation column.
    day0 : numpy.ndarray
        (k,) session position of each pair's event day.
    """

    keys: np.ndarray
    resid: np.ndarray
    start: np.ndarray
    day0: np.ndarray

    @classmethod
    def take(
        cls,
        keys: np.ndarray,
        resid: np.ndarray,
        start: np.ndarray,
        day0: np.ndarray,
        rows: np.ndarray,
    ) -> CorrelationSample:
        """The sample of the pairs in ``rows`` (a bool mask or indices)."""
        idx = np.flatnonzero(rows) if rows.dtype == bool else rows
        order = idx[np.argsort(keys[idx], kind="stable")][:SAMPLE_PAIRS]
        return cls(keys[order], resid[order], start[order], day0[order])

    def __add__(self, other: CorrelationSample) -> CorrelationSample:
        keys = np.concatenate([self.keys, other.keys])
        order = np.argsort(keys, kind="stable")[:SAMPLE_PAIRS]
        return CorrelationSample(
            keys[order],
            np.concatenate([self.resid, other.resid])[order],
            np.concatenate([self.start, other.start])[order],
            np.concatenate([self.day0, other.day0])[order],
        )


def _pairwise(sample: CorrelationSample) -> np.ndarray:
    """(k, k) Pearson correlations over common sessions in calendar time (0 where too few)."""
    k, width = sample.resid.shape
    lo = int(sample.start.min())
    span = int(sample.start.max()) - lo + width
    z = np.zeros((k, span))
    m = np.zeros((k, span))
    cols = (sample.start - lo)[:, None] + np.arange(width)[None, :]
    valid = ~np.isnan(sample.resid)
    # Standardise each pair first: the correlation is unchanged, the sums are well scaled.
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.nanmean(np.where(valid, sample.resid, np.nan), axis=1)
        sd = np.nanstd(np.where(valid, sample.resid, np.nan), axis=1)
    scaled = (sample.resid - mean[:, None]) / np.where(sd > 0, sd, 1.0)[:, None]
    rows = np.repeat(np.arange(k), width).reshape(k, width)
    z[rows[valid], cols[valid]] = scaled[valid]
    m[rows[valid], cols[valid]] = 1.0
    n = m @ m.T
    a = z @ z.T
    b = z @ m.T  # b[i, j] = sum of z_i over the days j has too
    c = (z * z) @ m.T
    with np.errstate(invalid="ignore", divide="ignore"):
        cov = a - b * b.T / n
        var_i = c - b * b / n
        r = cov / np.sqrt(var_i * var_i.T)
    r = np.where((n >= MIN_COMMON) & np.isfinite(r), r, 0.0)
    np.fill_diagonal(r, 0.0)
    return np.clip(r, -1.0, 1.0)


def window_rbar(sample: CorrelationSample | None, lengths: np.ndarray) -> np.ndarray:
    """Average cross-correlation of the pairs' CARs for windows of ``lengths`` sessions.

    Parameters
    ----------
    sample : CorrelationSample or None
        The group's sample (None or fewer than two pairs: 0).
    lengths : numpy.ndarray
        (K,) window lengths ``L_w``.

    Returns
    -------
    numpy.ndarray
        (K,) ``r_w``: the mean over ordered pairs ``i != j`` of ``r_ij max(0, L_w - d_ij) / L_w``.
    """
    lengths = np.asarray(lengths, dtype=float)
    if sample is None or len(sample.keys) < 2 or len(lengths) == 0:
        return np.zeros(len(lengths))
    k = len(sample.keys)
    gap = np.abs(sample.day0[:, None] - sample.day0[None, :]).astype(float)
    np.fill_diagonal(gap, np.inf)
    if not (gap < lengths.max()).any():  # no two windows share a day: nothing to estimate
        return np.zeros(len(lengths))
    r = _pairwise(sample)
    out = np.empty(len(lengths))
    for j, length in enumerate(lengths):  # a handful of windows, not firms
        overlap = np.clip(length - gap, 0.0, None) / length
        out[j] = float(np.sum(r * overlap)) / (k * (k - 1))
    return out
