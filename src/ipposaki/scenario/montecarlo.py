"""Monte Carlo over independent uncertain inputs, with a tornado and Sobol first-order indices.

A scenario's model is a vectorised function of the draws: ``model({name: (n,) array}) ->
{output: (n,) or (n, m) array}``. The result reports, per output (and per label of its second
dimension: a firm, a year), the 5/25/50/75/95% quantiles and the mean.

* **Tornado** (one at a time): every input at its median, then one input at its 5% and at its
  95% quantile; the swing is the output's change.
* **Sobol first-order index** ``S_i = Var(E[Y | X_i]) / Var(Y)``, estimated from the same draws
  by averaging Y in 50 bins of equal probability under ``X_i``'s distribution (a
  correlation-ratio estimator; its upward bias is about 50/n).
* Per-firm inputs can be *scoped* to their firm's label: their tornado and Sobol rows are given
  for that label only (see :func:`simulate`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ipposaki.errors import InputError
from ipposaki.results import ReadOnlyMapping, Result, Summary, freeze, versions
from ipposaki.scenario.inputs import Input

__all__ = ["QUANTILES", "Output", "ScenarioResult", "simulate"]

QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)
_BINS = 50


@dataclass(frozen=True)
class Output:
    """How to label one model output: its unit and, for 2-D outputs, the column labels."""

    unit: str
    labels: tuple[str, ...] = ()
    key: bool = True  # include in the tornado and Sobol tables


Model = Callable[[dict[str, np.ndarray]], dict[str, np.ndarray]]


@dataclass(frozen=True, eq=False)
class ScenarioResult(Result):
    """Read-only result of a scenario: quantiles, inputs with sources, tornado, Sobol.

    ``extra`` is a read-only mapping of what the scenario carries besides (tables, a
    :class:`~ipposaki.scenario.calibration.Calibration`, reference paths); its tables, and the
    frames of a result it holds, are among :meth:`frames` and the files :meth:`to_dir` writes.
    """

    title: str
    seed: int
    draws: int
    _quantiles: pd.DataFrame
    _inputs: pd.DataFrame
    _tornado: pd.DataFrame
    _sobol: pd.DataFrame
    _samples: Mapping[str, np.ndarray] | None = None
    extra: Mapping[str, Any] = field(default_factory=ReadOnlyMapping)

    def __post_init__(self) -> None:
        object.__setattr__(self, "extra", freeze(self.extra))
        if self._samples is not None:
            object.__setattr__(self, "_samples", ReadOnlyMapping(self._samples))

    @property
    def quantiles(self) -> pd.DataFrame:
        """output, label, unit, q05, q25, q50, q75, q95, mean."""
        return self._quantiles.copy()

    @property
    def inputs(self) -> pd.DataFrame:
        """name, distribution, source, user_guess."""
        return self._inputs.copy()

    @property
    def tornado(self) -> pd.DataFrame:
        """output, label, input, at_q05, at_q95, swing (sorted by swing within each output)."""
        return self._tornado.copy()

    @property
    def sobol(self) -> pd.DataFrame:
        """output, label, input, s1 (first-order Sobol index)."""
        return self._sobol.copy()

    @property
    def samples(self) -> dict[str, np.ndarray] | None:
        """The raw draws of every output, when kept."""
        return None if self._samples is None else dict(self._samples)

    @property
    def guesses(self) -> list[str]:
        """Inputs that rest on the user's guesses."""
        return self._inputs.loc[self._inputs["user_guess"], "name"].tolist()

    @property
    def header(self) -> str:
        """The scenario's title, draws and seed, and whether it rests on guesses."""
        text = f"{self.title}: {self.draws:,} draws, seed {self.seed}"
        if self.guesses:
            text += (
                f". Partly based on user guesses ({len(self.guesses)} of {len(self._inputs)} "
                f"inputs: {', '.join(self.guesses)})"
            )
        return text

    @property
    def summary(self) -> Summary:
        """Header, quantiles (four significant digits) and inputs with sources."""
        q = self._quantiles.copy()
        for col in q.select_dtypes("float").columns:
            q[col] = [f"{v:.4g}" if np.isfinite(v) else "" for v in q[col]]
        return Summary.of(self.header, q, "Inputs:", self._inputs)

    @property
    def manifest(self) -> Mapping[str, Any]:
        """Title, seed, draws, the inputs resting on guesses, versions; and the manifest of a
        result in ``extra`` (a calibration), by its key."""
        nested = {
            k: {kk: vv for kk, vv in v.manifest.items() if kk != "versions"}
            for k, v in self.extra.items()
            if isinstance(v, Result)
        }
        return freeze(
            {
                "title": self.title,
                "seed": self.seed,
                "draws": self.draws,
                "user_guesses": self.guesses,
                **nested,
                "versions": versions(),
            }
        )

    def frames(self) -> dict[str, pd.DataFrame]:
        """``quantiles`` (the main table), ``inputs``, ``tornado``, ``sobol``, the tables in
        ``extra`` by their key, and the frames of a result in ``extra`` (a calibration's
        ``calibration``, ``reactions``, ``firm_reactions``) not already there."""
        out = {
            "quantiles": self.quantiles,
            "inputs": self.inputs,
            "tornado": self.tornado,
            "sobol": self.sobol,
        }
        for key, value in self.extra.items():
            if isinstance(value, pd.DataFrame):
                out[key] = value.copy()
        for value in self.extra.values():
            if isinstance(value, Result):
                for name, frame in value.frames().items():
                    out.setdefault(name, frame)
        return out


def _matrix(value: object) -> np.ndarray:
    """An output as a (draws, columns) float matrix."""
    arr = np.asarray(value, dtype=float)
    return arr[:, None] if arr.ndim == 1 else arr


def _labels(matrix: np.ndarray, out: Output) -> tuple[str, ...]:
    if out.labels:
        return out.labels
    return ("",) if matrix.shape[1] == 1 else tuple(str(j) for j in range(matrix.shape[1]))


def _quantiles(y: np.ndarray, qs: Sequence[float], cols: np.ndarray | None = None) -> np.ndarray:
    """Column quantiles (numpy's default linear interpolation), by partial sorts.

    Equal to ``np.nanquantile(y, qs, axis=0)``; a column without NaN needs only the order
    statistics around each quantile, found with one ``np.partition`` per column. ``cols`` may
    pass ``y.T`` as a contiguous array already made.
    """
    out = np.empty((len(qs), y.shape[1]))
    if cols is None:
        cols = np.ascontiguousarray(y.T)  # one row per column: partitions read contiguous memory
    for j, col in enumerate(cols):
        finite = col[~np.isnan(col)] if np.isnan(col).any() else col
        n = len(finite)
        if n == 0:
            out[:, j] = np.nan
            continue
        pos = np.asarray(qs) * (n - 1)
        lo = np.floor(pos).astype(int)
        hi = np.minimum(lo + 1, n - 1)
        part = np.partition(finite, np.unique(np.concatenate([lo, hi])))
        out[:, j] = part[lo] + (pos - lo) * (part[hi] - part[lo])
    return out


def _bins(inp: Input, x: np.ndarray) -> np.ndarray:
    """The bin (0 to ``_BINS - 1``) of each draw: ``floor(F(x) x _BINS)``, or, for PERT (whose
    distribution function costs more than a search), the bins between its exact quantiles."""
    if inp.dist == "pert":
        edges = inp.quantiles(np.linspace(0.0, 1.0, _BINS + 1)[1:-1])
        lo, hi = inp.support()
        if hi == lo:
            return np.zeros(len(x), dtype=np.intp)
        # A lookup table over 4,096 equal cells of the support gives each draw the bin of its
        # cell's left end; draws past an edge inside their cell then step up. Same bins as
        # np.searchsorted(edges, x, side="right"), without a binary search per draw.
        cells = 4096
        left = lo + (hi - lo) * np.arange(cells) / cells
        table = np.searchsorted(edges, left, side="right")
        cell = np.clip(((x - lo) * (cells / (hi - lo))).astype(np.intp), 0, cells - 1)
        bins = table[cell]
        bounds = np.append(edges, np.inf)
        while True:
            up = x >= bounds[bins]
            if not up.any():
                return bins
            bins += up
    return np.minimum((inp.cdf(x) * _BINS).astype(np.intp), _BINS - 1)


def simulate(
    title: str,
    inputs: Mapping[str, Input],
    model: Model,
    outputs: Mapping[str, Output],
    draws: int = 10_000,
    seed: int | np.random.Generator = 0,
    keep_draws: bool = False,
    extra: Mapping[str, Any] | None = None,
    scope: Mapping[str, str] | None = None,
) -> ScenarioResult:
    """Draw the inputs, run the model on all draws at once, and summarise.

    Parameters
    ----------
    title : str
        Scenario title.
    inputs : mapping of str to Input
        The uncertain inputs, by the name the model reads.
    model : callable
        Vectorised model: draws in, outputs out.
    outputs : mapping of str to Output
        Units and labels of the outputs to report.
    draws : int, default 10,000
        Number of Monte Carlo draws.
    seed : int or numpy.random.Generator, default 0
        Reproducible randomness.
    keep_draws : bool, default False
        Keep the raw output draws on the result.
    extra : mapping, optional
        Anything else to carry on the result (tables, reference paths, a calibration); the
        result holds a read-only copy.
    scope : mapping of str to str, optional
        Input name -> the one label (a firm) it acts on. The tornado and Sobol tables give such
        an input's rows for that label only (on any other label its effect is zero by
        construction), which keeps many per-firm inputs fast.

    Returns
    -------
    ScenarioResult
        The summary.
    """
    if draws < 100:
        raise InputError("draws", draws, "at least 100 draws")
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    sampled = {name: inp.sample(rng, draws) for name, inp in inputs.items()}
    results = model(sampled)
    matrices = {name: _matrix(results[name]) for name in outputs}
    varying = [n for n, inp in inputs.items() if inp.dist != "fixed"]
    swings = _swings(inputs, varying, model)
    keys = {
        name: _KeyOutput.of(matrices[name], outputs[name])
        for name, out in outputs.items()
        if out.key
    }
    tornado, sobol = _sensitivity(inputs, varying, sampled, swings, keys, dict(scope or {}))
    return ScenarioResult(
        title=title,
        seed=seed if isinstance(seed, int) else -1,
        draws=draws,
        _quantiles=_quantile_table(matrices, outputs),
        _inputs=_input_table(inputs),
        _tornado=tornado,
        _sobol=sobol,
        _samples={k: np.asarray(v) for k, v in results.items()} if keep_draws else None,
        extra=freeze(extra or {}),
    )


def _quantile_table(
    matrices: Mapping[str, np.ndarray], outputs: Mapping[str, Output]
) -> pd.DataFrame:
    """The quantiles and mean of every output and label over the draws.

    Parameters
    ----------
    matrices : mapping of str to numpy.ndarray
        Each output's (draws, labels) values; NaN where the model gives none.
    outputs : mapping of str to Output
        Units and labels of the outputs, in the order reported.

    Returns
    -------
    pandas.DataFrame
        output, label, unit, q05 ... q95 (:data:`QUANTILES`) and mean.
    """
    rows = []
    for name, out in outputs.items():
        y = matrices[name]
        gaps = bool(np.isnan(y).any())
        labels = _labels(y, out)
        qs = _quantiles(y, QUANTILES, np.ascontiguousarray(y.T))
        means = np.nanmean(y, axis=0) if gaps else y.mean(axis=0)
        for j, label in enumerate(labels):
            rows.append(
                {
                    "output": name,
                    "label": label,
                    "unit": out.unit,
                    **{f"q{int(q * 100):02d}": qs[i, j] for i, q in enumerate(QUANTILES)},
                    "mean": float(means[j]),
                }
            )
    return pd.DataFrame(rows)


def _swings(inputs: Mapping[str, Input], varying: list[str], model: Model) -> dict[str, np.ndarray]:
    """The tornado's model outputs, in one model call.

    Row ``2i`` has varying input ``i`` at its 5% quantile, row ``2i + 1`` at its 95% quantile,
    every other input at its median.

    Parameters
    ----------
    inputs : mapping of str to Input
        Every input.
    varying : list of str
        The inputs that are not fixed, in order.
    model : callable
        The vectorised model.

    Returns
    -------
    dict of str to numpy.ndarray
        Each output's (2 x varying, labels) values (one median row when nothing varies).
    """
    swing_rows = max(2 * len(varying), 1)
    batch = {n: np.full(swing_rows, inp.quantile(0.5)) for n, inp in inputs.items()}
    for i, n in enumerate(varying):
        batch[n][2 * i] = inputs[n].quantile(0.05)
        batch[n][2 * i + 1] = inputs[n].quantile(0.95)
    return {name: _matrix(v) for name, v in model(batch).items()}


@dataclass(frozen=True)
class _KeyOutput:
    """A key output's draws, prepared for the first-order Sobol indices."""

    labels: tuple[str, ...]
    variance: np.ndarray  # (labels,) variance over the draws
    filled: np.ndarray  # (draws, labels) values, NaN as 0
    by_label: np.ndarray  # (labels, draws) contiguous rows for the scoped inputs' bincounts

    @classmethod
    def of(cls, y: np.ndarray, out: Output) -> _KeyOutput:
        """Prepare the (draws, labels) values ``y`` of ``out``."""
        gaps = bool(np.isnan(y).any())
        transposed = np.ascontiguousarray(y.T)
        return cls(
            labels=_labels(y, out),
            variance=np.nanvar(y, axis=0) if gaps else y.var(axis=0),
            filled=np.nan_to_num(y) if gaps else y,
            by_label=np.nan_to_num(transposed) if gaps else transposed,
        )


def _sensitivity(
    inputs: Mapping[str, Input],
    varying: list[str],
    sampled: Mapping[str, np.ndarray],
    swings: Mapping[str, np.ndarray],
    keys: Mapping[str, _KeyOutput],
    scope: Mapping[str, str],
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The tornado (output at each input's 5% and 95% quantile) and first-order Sobol indices.

    ``S1 = Var(E[Y | X_n]) / Var(Y)``, with ``E[Y | X_n]`` the mean of ``Y`` in equal-probability
    bins of ``X_n`` (from its distribution function), for every label in one bincount.

    Parameters
    ----------
    inputs : mapping of str to Input
        Every input.
    varying : list of str
        The inputs that are not fixed, in order.
    sampled : mapping of str to numpy.ndarray
        Each input's draws.
    swings : mapping of str to numpy.ndarray
        The outputs of :func:`_swings`.
    keys : mapping of str to _KeyOutput
        The key outputs.
    scope : mapping of str to str
        Input name -> the one label it acts on (see :func:`simulate`).

    Returns
    -------
    tornado, sobol : pandas.DataFrame
        Sorted by output, label and the input's swing (or S1), largest first.
    """
    tornado_rows, sobol_rows = [], []
    for i, n in enumerate(varying):  # inputs, not draws
        bins = _bins(inputs[n], sampled[n])
        counts = np.bincount(bins, minlength=_BINS)
        flat: np.ndarray | None = None  # bin x label index of every cell, shared by the outputs
        for name, key in keys.items():
            if n in scope:
                if scope[n] not in key.labels:
                    continue
                cols = [key.labels.index(scope[n])]
                column = key.by_label[cols[0]]
                sums = np.bincount(bins, weights=column, minlength=_BINS)[:, None]
            else:
                cols = list(range(len(key.labels)))
                y = key.filled
                m = y.shape[1]
                if flat is None or len(flat) != y.size:
                    flat = (bins[:, None] * m + np.arange(m)[None, :]).ravel()
                sums = np.bincount(flat, weights=y.ravel(), minlength=_BINS * m).reshape(_BINS, m)
            s1 = _first_order(sums, counts, key.variance[cols])
            lo_v, hi_v = swings[name][2 * i], swings[name][2 * i + 1]
            for k, j in enumerate(cols):
                label = key.labels[j]
                tornado_rows.append(
                    {
                        "output": name,
                        "label": label,
                        "input": n,
                        "at_q05": float(lo_v[j]),
                        "at_q95": float(hi_v[j]),
                        "swing": abs(float(hi_v[j]) - float(lo_v[j])),
                    }
                )
                sobol_rows.append({"output": name, "label": label, "input": n, "s1": float(s1[k])})
    tornado = pd.DataFrame(
        tornado_rows, columns=["output", "label", "input", "at_q05", "at_q95", "swing"]
    )
    sobol = pd.DataFrame(sobol_rows, columns=["output", "label", "input", "s1"])
    return _largest_first(tornado, "swing"), _largest_first(sobol, "s1")


def _first_order(sums: np.ndarray, counts: np.ndarray, var: np.ndarray) -> np.ndarray:
    """First-order Sobol indices from the per-bin sums of the output.

    Parameters
    ----------
    sums : numpy.ndarray
        (bins, labels) sum of the output over the draws in each bin.
    counts : numpy.ndarray
        (bins,) draws in each bin.
    var : numpy.ndarray
        (labels,) the output's variance.

    Returns
    -------
    numpy.ndarray
        (labels,) ``Var(E[Y | bin]) / Var(Y)`` with bins weighted by their draws; 0 where the
        output does not vary.
    """
    used = counts > 0
    weight = counts / counts.sum()
    bin_means = sums[used] / counts[used, None]
    centred = bin_means - weight[used] @ bin_means
    between = weight[used] @ centred**2
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(var > 0, between / var, 0.0)


def _largest_first(frame: pd.DataFrame, value: str) -> pd.DataFrame:
    """Sort by output and label, then ``value`` descending; a fresh index."""
    if len(frame):
        frame = frame.sort_values(["output", "label", value], ascending=[True, True, False])
    return frame.reset_index(drop=True)


def _input_table(inputs: Mapping[str, Input]) -> pd.DataFrame:
    """name, distribution, source and user_guess of every input."""
    return pd.DataFrame(
        [
            {
                "name": n,
                "distribution": inp.describe(),
                "source": inp.source,
                "user_guess": inp.is_guess,
            }
            for n, inp in inputs.items()
        ]
    )


def labels_of(values: Sequence[object]) -> tuple[str, ...]:
    """Labels as strings."""
    return tuple(str(v) for v in values)
