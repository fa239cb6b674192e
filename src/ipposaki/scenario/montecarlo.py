"""Monte Carlo over independent uncertain inputs, with a tornado and Sobol first-order indices.

A scenario's model is a vectorised function of the draws: ``model({name: (n,) array}) ->
{output: (n,) or (n, m) array}``. The result reports, per output (and per label of its second
dimension: a firm, a year), the 5/25/50/75/95% quantiles and the mean.

* **Tornado** (one at a time): every input at its median, then one input at its 5% and at its
  95% quantile; the swing is the output's change.
* **Sobol first-order index** ``S_i = Var(E[Y | X_i]) / Var(Y)``, estimated from the same draws
  by sorting them on ``X_i`` and averaging Y in 50 equal-count bins (a correlation-ratio
  estimator; its upward bias is about 50/n).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ipposaki.errors import InputError
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
class ScenarioResult:
    """Read-only result of a scenario: quantiles, inputs with sources, tornado, Sobol."""

    title: str
    seed: int
    draws: int
    _quantiles: pd.DataFrame
    _inputs: pd.DataFrame
    _tornado: pd.DataFrame
    _sobol: pd.DataFrame
    _samples: dict[str, np.ndarray] | None = None
    extra: dict[str, Any] = field(default_factory=dict)

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
    def summary(self) -> str:
        """Header, quantiles and inputs with sources."""
        with pd.option_context("display.width", 200, "display.max_colwidth", 90):
            q = self._quantiles.to_string(index=False, float_format=lambda v: f"{v:.4g}")
            i = self._inputs.to_string(index=False)
        return f"{self.header}\n\n{q}\n\nInputs:\n{i}"

    def __str__(self) -> str:
        return self.summary

    def _repr_html_(self) -> str:
        import html

        head = html.escape(self.header).replace("\n", "<br>")
        quantiles = self._quantiles.to_html(index=False, float_format="{:.4g}".format)
        return f"<p>{head}</p>{quantiles}<p>Inputs</p>{self._inputs.to_html(index=False)}"


def _matrix(value: object) -> np.ndarray:
    """An output as a (draws, columns) float matrix."""
    arr = np.asarray(value, dtype=float)
    return arr[:, None] if arr.ndim == 1 else arr


def _labels(matrix: np.ndarray, out: Output) -> tuple[str, ...]:
    if out.labels:
        return out.labels
    return ("",) if matrix.shape[1] == 1 else tuple(str(j) for j in range(matrix.shape[1]))


def simulate(
    title: str,
    inputs: Mapping[str, Input],
    model: Model,
    outputs: Mapping[str, Output],
    draws: int = 10_000,
    seed: int | np.random.Generator = 0,
    keep_draws: bool = False,
    extra: dict[str, Any] | None = None,
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
    extra : dict, optional
        Anything else to carry on the result (tables, reference paths).

    Returns
    -------
    ScenarioResult
        The summary.
    """
    if draws < 100:
        raise InputError("draws", draws, "at least 100 draws")
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    seed_value = seed if isinstance(seed, int) else -1
    sampled = {name: inp.sample(rng, draws) for name, inp in inputs.items()}
    results = model(sampled)
    matrices = {name: _matrix(results[name]) for name in outputs}
    rows = []
    for name, out in outputs.items():
        y = matrices[name]
        labels = _labels(y, out)
        qs = np.nanquantile(y, QUANTILES, axis=0)  # all columns at once
        means = np.nanmean(y, axis=0)
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
    quantiles = pd.DataFrame(rows)
    medians = {n: np.full(1, inp.quantile(0.5, sampled[n])) for n, inp in inputs.items()}
    key_outputs = [name for name, out in outputs.items() if out.key]
    variances = {name: np.nanvar(matrices[name], axis=0) for name in key_outputs}
    filled = {name: np.nan_to_num(matrices[name]) for name in key_outputs}
    tornado_rows, sobol_rows = [], []
    varying = [n for n, inp in inputs.items() if inp.dist != "fixed"]
    for n in varying:  # inputs, not draws
        lo_out = model(dict(medians, **{n: np.full(1, inputs[n].quantile(0.05, sampled[n]))}))
        hi_out = model(dict(medians, **{n: np.full(1, inputs[n].quantile(0.95, sampled[n]))}))
        # Equal-count bins of X_n from its quantiles; E[Y | bin] for every column in one bincount.
        edges = np.quantile(sampled[n], np.linspace(0.0, 1.0, _BINS + 1)[1:-1])
        bins = np.searchsorted(edges, sampled[n], side="right")
        for name in key_outputs:
            y = matrices[name]
            m = y.shape[1]
            labels = _labels(y, outputs[name])
            lo_v, hi_v = _matrix(lo_out[name])[0], _matrix(hi_out[name])[0]
            flat = (bins[:, None] * m + np.arange(m)[None, :]).ravel()
            sums = np.bincount(flat, weights=filled[name].ravel(), minlength=_BINS * m)
            counts = np.bincount(bins, minlength=_BINS)
            bin_means = sums.reshape(_BINS, m) / counts[:, None]
            with np.errstate(invalid="ignore", divide="ignore"):
                s1 = np.where(variances[name] > 0, bin_means.var(axis=0) / variances[name], 0.0)
            for j, label in enumerate(labels):
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
                sobol_rows.append({"output": name, "label": label, "input": n, "s1": float(s1[j])})
    tornado = pd.DataFrame(
        tornado_rows, columns=["output", "label", "input", "at_q05", "at_q95", "swing"]
    )
    if len(tornado):
        tornado = tornado.sort_values(["output", "label", "swing"], ascending=[True, True, False])
    sobol = pd.DataFrame(sobol_rows, columns=["output", "label", "input", "s1"])
    if len(sobol):
        sobol = sobol.sort_values(["output", "label", "s1"], ascending=[True, True, False])
    table = pd.DataFrame(
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
    return ScenarioResult(
        title=title,
        seed=seed_value,
        draws=draws,
        _quantiles=quantiles,
        _inputs=table,
        _tornado=tornado.reset_index(drop=True),
        _sobol=sobol.reset_index(drop=True),
        _samples={k: np.asarray(v) for k, v in results.items()} if keep_draws else None,
        extra=extra or {},
    )


def labels_of(values: Sequence[object]) -> tuple[str, ...]:
    """Labels as strings."""
    return tuple(str(v) for v in values)
