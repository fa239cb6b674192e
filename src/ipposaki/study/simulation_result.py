"""The read-only result of a size-and-power simulation (:func:`ipposaki.study.simulate.simulate`)
and the parameters that define it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from ipposaki.errors import UnknownNameError
from ipposaki.results import (
    ReadOnlyMapping,
    Result,
    Summary,
    SummaryTable,
    freeze,
    thaw,
    versions,
)
from ipposaki.study.rejection import _RATE_COLUMNS, ALPHAS

__all__ = ["OUTPUT_FILES", "SimulationParameters", "SimulationResult"]

#: Files :meth:`SimulationResult.to_dir` writes.
OUTPUT_FILES = ("power.csv", "power.png", "pseudo_events.csv", "summary.txt", "manifest.json")


@dataclass(frozen=True)
class SimulationParameters:
    """Everything that defines a simulation besides its data."""

    market: str
    events_per_run: int
    runs: int
    abnormal: tuple[float, ...]
    missing: float
    cluster: str
    model: str
    estimation_window: str
    event_window: str
    car_windows: tuple[str, ...]
    min_estimation_obs: int
    seed: int | None
    data_source: str


@dataclass(frozen=True, eq=False)
class SimulationResult(Result):
    """Read-only result of :func:`simulate`: rejection rates per test, window and level.

    Properties return copies; nothing changes after the simulation ran. It follows the results
    protocol (:class:`ipposaki.results.Result`): :attr:`summary`, a read-only
    :attr:`manifest`, :meth:`frames` (``power``, the rejection rates, then
    ``pseudo_events``) and :meth:`to_dir`, which also draws ``power.png``.
    """

    parameters: SimulationParameters
    _rates: pd.DataFrame
    _pvalues: pd.DataFrame
    _pseudo_events: pd.DataFrame
    _data: Mapping[str, Any] = field(default_factory=ReadOnlyMapping)
    _generator_state: Mapping[str, Any] = field(default_factory=ReadOnlyMapping)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_data", freeze(self._data))
        object.__setattr__(self, "_generator_state", freeze(self._generator_state))

    @property
    def data(self) -> dict[str, Any]:
        """The panel: source, hash, sessions, symbols, eligible cells, excluded pseudo-events."""
        return dict(thaw(self._data))

    @property
    def generator_state(self) -> dict[str, Any]:
        """The numpy Generator's state before drawing, when ``seed`` was one (else empty)."""
        return dict(thaw(self._generator_state))

    @property
    def rates(self) -> pd.DataFrame:
        """test, window, abnormal, nobs (runs with a p-value), rejection_rate, ci_low, ci_high,
        alpha (tidy)."""
        return self._rates.copy()

    @property
    def pvalues(self) -> pd.DataFrame:
        """Every run's p-values: abnormal, run, test, window, p_value."""
        return self._pvalues.copy()

    @property
    def pseudo_events(self) -> pd.DataFrame:
        """The drawn pseudo-events: run, event, symbol, event_session (day 0),
        n_estimation_returns, n_deleted.

        ``n_estimation_returns`` counts the estimation-window sessions on which the symbol and
        the market both have a return, before ``n_deleted`` of them were removed.
        """
        return self._pseudo_events.copy()

    def rate(
        self, test: str, window: str = "0:0", abnormal: float = 0.0, alpha: float = 0.05
    ) -> float:
        """One rejection rate.

        Parameters
        ----------
        test : str
            Test name, e.g. ``"bmp"``.
        window : str, default "0:0"
            A CAR window of the simulation.
        abnormal : float, default 0.0
            One of the simulated abnormal returns.
        alpha : float, default 0.05
            One of :data:`ALPHAS`.

        Returns
        -------
        float
            The share of runs that rejected.

        Raises
        ------
        UnknownNameError
            If the test, window, abnormal return or level was not simulated.
        """
        r = self._rates
        for column, value in (
            ("test", test),
            ("window", window),
            ("abnormal", abnormal),
            ("alpha", alpha),
        ):
            if value not in set(r[column]):
                raise UnknownNameError(column, str(value), [str(v) for v in pd.unique(r[column])])
        hit = r.loc[
            (r["test"] == test)
            & (r["window"] == window)
            & (r["abnormal"] == abnormal)
            & (r["alpha"] == alpha),
            "rejection_rate",
        ]
        return float(hit.iloc[0])

    @property
    def header(self) -> str:
        """The design in a few lines."""
        p = self.parameters
        d = self._data
        seed = f"seed {p.seed}" if p.seed is not None else "a numpy Generator (state in manifest)"
        return "\n".join(
            [
                f"Simulated size and power (Brown and Warner 1985): {p.runs} runs of "
                f"{p.events_per_run} pseudo-events per abnormal return, {p.cluster} clustering, "
                f"{p.model} model, estimation {p.estimation_window}, event {p.event_window}; "
                f"{seed}.",
                "The abnormal return is added to each pseudo-event's return on day 0 only; "
                f"{p.missing:.0%} of each pseudo-event's estimation returns deleted at random.",
                f"Data: {p.data_source or 'returns given directly'}, "
                f"{d.get('sessions', 0)} sessions x {d.get('symbols', 0)} symbols; "
                f"{d.get('eligible_cells', 0):,} eligible "
                f"(symbol, session) cells on {d.get('eligible_sessions', 0):,} sessions; "
                f"{d.get('excluded_pairs', 0)} pseudo-events excluded by the engine.",
            ]
        )

    def table(self, alpha: float = 0.05) -> pd.DataFrame:
        """Rejection rates at ``alpha``: one row per window and test, one column per level."""
        r = self._rates.loc[self._rates["alpha"] == alpha]
        wide = r.pivot_table(
            index=["window", "test"], columns="abnormal", values="rejection_rate", sort=False
        )
        wide.columns = [f"{a:g}" for a in wide.columns]
        return wide.reset_index()

    @property
    def summary(self) -> Summary:
        """The header, then the rejection rates at 5% per window, test and abnormal return.

        One table per CAR window (three decimals), under a line naming the window.
        """
        blocks: list[str | SummaryTable] = [
            self.header,
            "Rejection rate at 5% (two-sided); columns are the abnormal returns added on day 0. "
            "Exact binomial 95% intervals, and the 1% and 10% levels, are in power.csv.",
        ]
        for window, block in self.table(0.05).groupby("window", sort=False):
            blocks.append(f"window {window}")
            blocks.append(SummaryTable(block.drop(columns="window"), digits=3))
        return Summary.of(*blocks)

    def __repr__(self) -> str:
        p = self.parameters
        return (
            f"SimulationResult({p.runs} runs x {p.events_per_run} pseudo-events, "
            f"abnormal {', '.join(f'{a:g}' for a in p.abnormal)}, {p.cluster})"
        )

    @property
    def manifest(self) -> Mapping[str, Any]:
        """Read-only: seed (or the generator's state), parameters, data description, versions."""
        return freeze(
            {
                "parameters": asdict(self.parameters),
                "generator_state": self._generator_state,
                "data": self._data,
                "design": {
                    "injection": "abnormal return added to the return on day 0 of each "
                    "pseudo-event only; a CAR window carries it when it contains day 0",
                    "missing": "the nearest integer to missing * n of each pseudo-event's n "
                    "estimation returns deleted at random; the event window keeps every return",
                    "isolation": "each pseudo-event reads its own copy of its symbol's returns; "
                    "the market is one shared column",
                    "rates": "p-value below alpha; Clopper-Pearson 95% interval",
                    "alphas": list(ALPHAS),
                },
                "versions": versions(),
            }
        )

    def frames(self) -> dict[str, pd.DataFrame]:
        """``power`` (the rejection rates: test, window, abnormal, nobs, rejection_rate,
        ci_low, ci_high, alpha) and ``pseudo_events`` (the drawn pseudo-events), as copies."""
        return {
            "power": self._rates.loc[:, [*_RATE_COLUMNS, "alpha"]].copy(),
            "pseudo_events": self.pseudo_events,
        }

    def figure(self, alpha: float = 0.05) -> Any:
        """A matplotlib figure: rejection rate against the abnormal return, one panel per window.

        Parameters
        ----------
        alpha : float, default 0.05
            The level to plot (one of :data:`ALPHAS`).

        Returns
        -------
        matplotlib.figure.Figure
            The figure (not attached to pyplot, so no GUI backend is touched).
        """
        from matplotlib.figure import Figure

        r = self._rates.loc[self._rates["alpha"] == alpha]
        windows = list(pd.unique(r["window"]))
        tests = list(pd.unique(r["test"]))
        fig = Figure(figsize=(5.0 * len(windows) + 2.5, 4.8))
        axes = fig.subplots(1, len(windows), squeeze=False, sharey=True)[0]
        markers = "os^vD<>ph*XP+x"
        for ax, window in zip(axes, windows, strict=True):
            block = r.loc[r["window"] == window]
            for i, test in enumerate(tests):
                line = block.loc[block["test"] == test].sort_values("abnormal")
                ax.plot(
                    100 * line["abnormal"],
                    line["rejection_rate"],
                    marker=markers[i % len(markers)],
                    markersize=4,
                    linewidth=1,
                    color=f"C{i % 10}",
                    linestyle="-" if i < 10 else "--",
                    label=test,
                )
            ax.axhline(alpha, color="black", linewidth=0.8, linestyle=":")
            ax.set_ylim(0, 1)
            ax.set_xlabel("abnormal return on day 0 (%)")
            ax.set_title(f"window {window}")
            ax.grid(alpha=0.3)
        axes[0].set_ylabel(f"rejection rate at {alpha:.0%}")
        axes[-1].legend(loc="center left", bbox_to_anchor=(1.02, 0.5), fontsize=8)
        p = self.parameters
        fig.suptitle(
            f"{p.runs} runs x {p.events_per_run} pseudo-events, {p.cluster}, "
            f"missing {p.missing:.0%}",
            fontsize=10,
        )
        fig.tight_layout()
        return fig

    def write_extra(self, folder: Path) -> list[Path]:
        """``power.png``: the rejection rates against the abnormal return (:meth:`figure`)."""
        png = folder / "power.png"
        self.figure().savefig(png, dpi=110)
        return [png]
