"""The result of a shock run: read-only tables and the results of each stage, and ``to_dir``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from ipposaki.results import Result, Summary, freeze, versions
from ipposaki.scenario import ScenarioResult
from ipposaki.shock.options import ReportOptions, ScenarioKind
from ipposaki.shock.sessions import ShockSession, news_time
from ipposaki.shock.volume import VOLUME_COLUMNS
from ipposaki.sources.synthetic import SYNTHETIC_LABEL
from ipposaki.study.spec import SpecResult, StudySpec

__all__ = [
    "ForecastOutcome",
    "PanelInfo",
    "ScanOutcome",
    "ScenarioRun",
    "ShockResult",
]


@dataclass(frozen=True)
class PanelInfo:
    """What a returns panel held: its span, symbols, price basis and missing returns."""

    exchange: str
    sessions: int
    first: str
    last: str
    symbols: int
    adjusted: int
    as_traded: int
    missing: int
    data_hash: str


@dataclass(frozen=True)
class ForecastOutcome:
    """Tokyo's next session forecast from New York's last close before it opened.

    Attributes
    ----------
    as_of : str
        The New York session whose close the forecast uses.
    target_session : str
        The Tokyo session forecast.
    table : pandas.DataFrame
        target, forecast, lower, upper, level, nobs, actual; empty when no forecast was made.
    problem : Mapping
        Why no forecast was made (empty when one was): ``kind`` (``"missing_after"``,
        ``"missing_on"``, ``"history"``, ``"singular"`` or ``"other"``), ``series``, ``day``,
        ``last``, ``need``, ``have`` and ``message`` (the library's English sentence).
    skill : pandas.DataFrame
        The same model's out-of-sample record over the three years to the target session
        (each forecast from data before it): target, part (close, overnight, daytime), nobs,
        rmse_vs_zero, r2_oos, cw_mean_p_value, hit_rate; empty when it could not be evaluated.
    skill_start : str
        The first session of that record.
    split : pandas.DataFrame
        The target session's move in parts: target, close, overnight (previous close to
        open), daytime (open to close), with the forecast of each part.
    """

    as_of: str
    target_session: str
    table: pd.DataFrame
    problem: Mapping[str, Any] = field(default_factory=dict)
    skill: pd.DataFrame = field(default_factory=pd.DataFrame)
    skill_start: str = ""
    split: pd.DataFrame = field(default_factory=pd.DataFrame)

    def __post_init__(self) -> None:
        object.__setattr__(self, "problem", freeze(self.problem))

    @property
    def made(self) -> bool:
        """Whether a forecast was made."""
        return not self.problem


@dataclass(frozen=True)
class ScanOutcome:
    """The shock scanner around the event.

    Attributes
    ----------
    start, end : str
        The scanned range.
    episodes : pandas.DataFrame
        The top episodes (rank, start, end, sessions, severity, baskets, events).
    count : int
        How many episodes the scan found.
    rank : int or None
        The rank of the episode that holds the event's day-0 sessions (None if none does).
    note : str
        Why the scan could not run (empty when it ran).
    event_names : Mapping[str, tuple[str, str]]
        Catalogue id -> (English name, Japanese name) of the events the episodes name.
    contagion : pandas.DataFrame
        The Forbes–Rigobon test of the episodes shown (see
        :func:`ipposaki.scan.forbes_rigobon.episode_contagion`); empty when it could not run.
    """

    start: str
    end: str
    episodes: pd.DataFrame
    count: int = 0
    rank: int | None = None
    note: str = ""
    event_names: Mapping[str, tuple[str, str]] = field(default_factory=dict)
    contagion: pd.DataFrame = field(default_factory=pd.DataFrame)

    def __post_init__(self) -> None:
        object.__setattr__(self, "event_names", freeze(self.event_names))


@dataclass(frozen=True)
class ScenarioRun:
    """One scenario of the report: its kind, its spec file and its result."""

    kind: ScenarioKind
    path: Path
    result: ScenarioResult


@dataclass(frozen=True, eq=False)
class ShockResult(Result):
    """Everything a shock report shows, computed once (see :func:`ipposaki.shock.run_shock`).

    Attributes
    ----------
    spec : StudySpec
        The spec that was run.
    options : ReportOptions
        Its ``[report]`` table.
    sessions : tuple[ShockSession, ...]
        Each exchange's sessions around the shock, in the order they opened.
    source : str
        Where the prices came from.
    synthetic : bool
        True when the prices are synthetic.
    moves, headline, indices, fx, baskets : pandas.DataFrame
        See :mod:`ipposaki.shock.headline`.
    study : SpecResult
        The spec's event study, per exchange.
    forecast : ForecastOutcome
        Tokyo's next session, forecast from New York's close.
    volume : pandas.DataFrame
        Each basket's abnormal log volume on day 0, day +1 and over 0:1, per exchange, with
        its Kolari–Pynnönen p-value (see :func:`ipposaki.shock.volume.volume_study`); no rows
        when the data have no volume.
    scan : ScanOutcome
        The scanner's episodes around the event.
    scenarios : tuple[ScenarioRun, ...]
        The scenarios the spec names.
    panels : Mapping[str, PanelInfo]
        The headline panels (read-only).
    data_info : pandas.DataFrame
        The store's symbols, spans and gaps.
    versions : Mapping[str, str]
        Package versions when the result was computed (read-only; default those of this
        process, :func:`ipposaki.results.versions`).
    store : str
        The store's path.
    names : pandas.DataFrame
        symbol, name, name_ja, exchange, kind of every instrument (labels for the report).
    basket_names : pandas.DataFrame
        basket, name, name_ja of every basket.

    Notes
    -----
    :meth:`to_dir` writes :meth:`frames` as CSV, ``summary.txt`` and ``manifest.json``, and the
    event study into ``study/`` (its own :meth:`~ipposaki.study.spec.SpecResult.to_dir`).
    """

    spec: StudySpec
    options: ReportOptions
    sessions: tuple[ShockSession, ...]
    source: str
    synthetic: bool
    moves: pd.DataFrame
    headline: pd.DataFrame
    indices: pd.DataFrame
    fx: pd.DataFrame
    baskets: pd.DataFrame
    study: SpecResult
    forecast: ForecastOutcome
    scan: ScanOutcome
    scenarios: tuple[ScenarioRun, ...] = ()
    panels: Mapping[str, PanelInfo] = field(default_factory=dict)
    data_info: pd.DataFrame = field(default_factory=pd.DataFrame)
    versions: Mapping[str, str] = field(default_factory=dict)
    store: str = ""
    names: pd.DataFrame = field(default_factory=pd.DataFrame)
    basket_names: pd.DataFrame = field(default_factory=pd.DataFrame)
    volume: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=VOLUME_COLUMNS))

    def __post_init__(self) -> None:
        object.__setattr__(self, "panels", freeze(self.panels))
        object.__setattr__(self, "versions", freeze(self.versions or versions()))

    def session(self, exchange: str, role: str) -> ShockSession:
        """The shock's session on ``exchange`` with ``role`` ``"day0"`` or ``"next"`` (Tokyo's
        first session after New York's close; the same session when the two coincide)."""
        return next(s for s in self.sessions if s.exchange == exchange and s.has(role))

    @property
    def news(self) -> pd.Timestamp:
        """When the shock's news came (the first event's timestamp in UTC, else its date)."""
        return news_time(self.spec)

    @property
    def title(self) -> str:
        """The spec's title, marked when the data are synthetic."""
        return self.spec.title + (f" ({SYNTHETIC_LABEL})" if self.synthetic else "")

    def _headline_lines(self) -> list[str]:
        lines = [f"{self.title}: the largest moves on each exchange's event sessions"]
        for label, grp in self.headline.groupby("event_label", sort=False):
            lines.append(f"  {label}:")
            for r in grp.itertuples():
                lines.append(f"    {r.symbol:<8} {r.name:<28} {r.ret:+.2%}")
        if len(self.indices):
            lines.append("Benchmark indices:")
            for r in self.indices.itertuples():
                lines.append(
                    f"  {r.exchange} {r.session} {r.symbol:<6} {r.name:<28} {r.level:>12,.2f} "
                    f"{r.change:>+10,.2f} {r.ret:+.2%}"
                )
        for r in self.fx.itertuples():
            lines.append(f"USD/JPY ({r.symbol}) {r.date}: {r.level:.2f} ({r.ret:+.2%})")
        if len(self.baskets):
            lines.append("Baskets, raw (equal-weight) and abnormal moves:")
            for r in self.baskets.itertuples():
                lines.append(
                    f"  {r.exchange} {r.session} {r.basket:<22} raw {r.mean_ret:+.2%}  "
                    f"abnormal {r.mean_ar:+.2%}"
                )
        return lines

    @property
    def summary(self) -> Summary:
        """The headline as text, then the event study's summary (its title marked when the
        data are synthetic)."""
        study = list(self.study.summary.blocks)
        if self.synthetic:
            first = next(i for i, b in enumerate(study) if isinstance(b, str))
            study[first] = str(study[first]).replace(self.spec.title, self.title, 1)
        return Summary.of("\n".join(self._headline_lines()), *study)

    @property
    def manifest(self) -> Mapping[str, Any]:
        """Source, store, panels with their data hashes, event sessions and versions."""
        return freeze(
            {
                "title": self.title,
                "source": self.source,
                "synthetic": self.synthetic,
                "store": self.store,
                "panels": {x: vars(p) for x, p in self.panels.items()},
                "data_hash": {x: p.data_hash for x, p in self.panels.items()},
                "event_sessions": [[s.exchange, s.day, s.label] for s in self.sessions],
                "forecast": {
                    "as_of": self.forecast.as_of,
                    "target_session": self.forecast.target_session,
                    "problem": self.forecast.problem.get("message", ""),
                },
                "scan": {"start": self.scan.start, "end": self.scan.end, "rank": self.scan.rank},
                "scenarios": [str(s.path) for s in self.scenarios],
                "versions": self.versions,
            }
        )

    def frames(self) -> dict[str, pd.DataFrame]:
        """``moves``, ``basket_moves``, ``volume``, ``headline``, ``indices``, ``fx`` and
        ``data_info``; with synthetic prices each has a first column ``data`` that says so.
        The event study's tables are :attr:`study`'s."""
        tables = {
            "moves": self.moves,
            "basket_moves": self.baskets,
            "volume": self.volume,
            "headline": self.headline,
            "indices": self.indices,
            "fx": self.fx,
            "data_info": self.data_info,
        }
        return {name: _label(frame, self.synthetic) for name, frame in tables.items()}

    def to_dir(self, out: str | Path) -> list[Path]:
        """Write :meth:`frames` as CSV, ``summary.txt``, ``manifest.json`` and the event
        study into ``study/``.

        Every CSV of synthetic data says so in a first column ``data``.

        Parameters
        ----------
        out : str or pathlib.Path
            Output folder, created if needed.

        Returns
        -------
        list[pathlib.Path]
            The files written.

        Raises
        ------
        InputError
            When ``out`` exists and is not a folder.
        """
        written = super().to_dir(out)
        study = self.study.to_dir(Path(out) / "study")
        if self.synthetic:
            for path in study:
                if path.suffix == ".csv":
                    _label(pd.read_csv(path), True).to_csv(path, index=False)
        return [*written, *study]


def _label(frame: pd.DataFrame, synthetic: bool) -> pd.DataFrame:
    if synthetic:
        frame = frame.copy()
        frame.insert(0, "data", SYNTHETIC_LABEL)
    return frame
