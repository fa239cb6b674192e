"""The result of a shock run: read-only tables and the results of each stage, and ``to_dir``."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

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
    problem : dict
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
    problem: dict[str, Any] = field(default_factory=dict)
    skill: pd.DataFrame = field(default_factory=pd.DataFrame)
    skill_start: str = ""
    split: pd.DataFrame = field(default_factory=pd.DataFrame)

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
    event_names : dict[str, tuple[str, str]]
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
    event_names: dict[str, tuple[str, str]] = field(default_factory=dict)
    contagion: pd.DataFrame = field(default_factory=pd.DataFrame)


@dataclass(frozen=True)
class ScenarioRun:
    """One scenario of the report: its kind, its spec file and its result."""

    kind: ScenarioKind
    path: Path
    result: ScenarioResult


@dataclass(frozen=True, eq=False)
class ShockResult:
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
    panels : dict[str, PanelInfo]
        The headline panels.
    data_info : pandas.DataFrame
        The store's symbols, spans and gaps.
    versions : dict[str, str]
        Package versions.
    store : str
        The store's path.
    names : pandas.DataFrame
        symbol, name, name_ja, exchange, kind of every instrument (labels for the report).
    basket_names : pandas.DataFrame
        basket, name, name_ja of every basket.
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
    panels: dict[str, PanelInfo] = field(default_factory=dict)
    data_info: pd.DataFrame = field(default_factory=pd.DataFrame)
    versions: dict[str, str] = field(default_factory=dict)
    store: str = ""
    names: pd.DataFrame = field(default_factory=pd.DataFrame)
    basket_names: pd.DataFrame = field(default_factory=pd.DataFrame)
    volume: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=VOLUME_COLUMNS))

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

    @property
    def summary(self) -> str:
        """The headline as text, then the event study's summary."""
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
        study = self.study.summary
        if self.synthetic:
            study = study.replace(self.spec.title, self.title, 1)
        return "\n".join(lines) + "\n\n" + study

    def __str__(self) -> str:
        return self.summary

    @property
    def manifest(self) -> dict[str, Any]:
        """Source, store, panels with their data hashes, event sessions and versions."""
        return {
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

    def tables(self) -> dict[str, pd.DataFrame]:
        """File name -> table, for :meth:`to_dir`."""
        return {
            "moves.csv": self.moves,
            "basket_moves.csv": self.baskets,
            "volume.csv": self.volume,
            "headline.csv": self.headline,
            "indices.csv": self.indices,
            "fx.csv": self.fx,
            "data_info.csv": self.data_info,
        }

    def to_dir(self, out: str | Path) -> list[Path]:
        """Write the tables, ``summary.txt``, ``manifest.json`` and ``study/`` into ``out``.

        Every CSV of synthetic data says so in a first column ``data``.

        Returns
        -------
        list[pathlib.Path]
            The files written.
        """
        out = Path(out)
        out.mkdir(parents=True, exist_ok=True)
        written = []
        for name, frame in self.tables().items():
            _label(frame, self.synthetic).to_csv(out / name, index=False)
            written.append(out / name)
        study = self.study.to_dir(out / "study")
        if self.synthetic:
            for path in study:
                if path.suffix == ".csv":
                    _label(pd.read_csv(path), True).to_csv(path, index=False)
        (out / "summary.txt").write_text(self.summary + "\n", encoding="utf-8")
        manifest = json.dumps(self.manifest, indent=2, ensure_ascii=False, default=str)
        (out / "manifest.json").write_text(manifest + "\n", encoding="utf-8")
        return [*written, out / "summary.txt", out / "manifest.json", *study]


def _label(frame: pd.DataFrame, synthetic: bool) -> pd.DataFrame:
    if synthetic:
        frame = frame.copy()
        frame.insert(0, "data", SYNTHETIC_LABEL)
    return frame
