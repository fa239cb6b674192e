"""``run_shock(spec, store)``: every number of a shock report, computed once, with no file I/O.

Steps: each exchange's sessions around the shock (:func:`~ipposaki.shock.sessions.shock_sessions`),
the returns panels around them, the headline (:mod:`ipposaki.shock.headline`), the spec's event
study, Tokyo's next session forecast from New York's last close before it opened, the shock
scanner around the event, the scenarios the spec names, and, when the data have volume, the
spec's events as a volume study (:mod:`ipposaki.shock.volume`). The report
(:mod:`ipposaki.report`) only renders the :class:`~ipposaki.shock.result.ShockResult`.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from ipposaki.errors import InputError
from ipposaki.panel import ReturnsPanel, build_panel
from ipposaki.results import versions
from ipposaki.shock import headline as hl
from ipposaki.shock.options import ReportOptions, parse_report, scenario_kind
from ipposaki.shock.result import (
    ForecastOutcome,
    PanelInfo,
    ScanOutcome,
    ScenarioRun,
    ShockResult,
)
from ipposaki.shock.sessions import ShockSession, news_time, shock_sessions
from ipposaki.shock.volume import volume_study
from ipposaki.sources.synthetic import SYNTHETIC_LABEL
from ipposaki.store import Store
from ipposaki.study.spec import StudySpec, run_spec

__all__ = ["PANEL_MARGIN", "SCAN_MARGIN", "TOP_EPISODES", "run_shock"]

#: Calendar days of prices read before the first and after the last event session.
PANEL_MARGIN = (pd.Timedelta(days=45), pd.Timedelta(days=35))
#: Years of out-of-sample forecasts behind the report's forecast skill.
SKILL_YEARS = 3

#: The scanner's range around the shock (calendar days before and after the news), and how
#: many episodes the report lists.
SCAN_MARGIN = (pd.Timedelta(days=240), pd.Timedelta(days=63))
TOP_EPISODES = 8


def report_options(spec: StudySpec) -> ReportOptions:
    """The spec's ``[report]`` table, validated (relative paths from the spec's folder)."""
    return parse_report(spec.report, spec.base)


def run_shock(
    spec: StudySpec,
    store: Store,
    source: str | None = None,
    synthetic: bool | None = None,
    step: Callable[[str], None] | None = None,
) -> ShockResult:
    """Compute everything a shock report shows, from the prices in ``store``.

    Parameters
    ----------
    spec : StudySpec
        One shock: its events fall on one set of sessions; baskets, model, windows and the
        ``[report]`` table are free.
    store : Store
        The prices (read only).
    source : str, optional
        Where the prices came from; default the store's recorded sources.
    synthetic : bool, optional
        Whether they are synthetic; default whether the store's sources say so.
    step : callable, optional
        Called with a short description as each step starts (for progress bars).

    Returns
    -------
    ShockResult
        The read-only result.

    Raises
    ------
    InputError
        For a spec with events on several sessions, or data missing an event session.
    """
    mark = step if step is not None else (lambda _description: None)
    options = report_options(spec)
    sessions = shock_sessions(spec)
    sources = store.sources()
    if source is None:
        source = f"store {store.path} ({', '.join(sources) or 'unknown source'})"
    if synthetic is None:
        synthetic = SYNTHETIC_LABEL in sources
    mark("building returns panels")
    days = [pd.Timestamp(s.day) for s in sessions]
    start, end = min(days) - PANEL_MARGIN[0], max(days) + PANEL_MARGIN[1]
    panels = {x: build_panel(store, x, start=start, end=end) for x in ("XNYS", "XTKS")}
    instruments, members = store.instruments(), store.baskets()
    moves = hl.moves(panels, sessions, instruments, members)
    names = hl.spec_baskets(spec)
    indices = hl.benchmark_indices(instruments, options.indices)
    universe = list(options.headline) or sorted(
        set(members.loc[members["basket"].isin(names), "symbol"]) | set(indices)
    )
    mark("running the event study")
    study = run_spec(spec, store)
    baskets = hl.basket_moves(moves, members, names, study)
    baskets = _in_session_order(baskets, sessions)
    mark("abnormal volume")
    volume = volume_study(spec, store, panels)
    mark("forecast, scan and scenarios")
    with warnings.catch_warnings():  # the ingest already reported what the data lack
        warnings.simplefilter("ignore")
        forecast = _forecast(store, spec, sessions, options, instruments, members)
        scanned = _scan(store, spec, sessions)
        scenarios = tuple(
            ScenarioRun(scenario_kind(p), p, _scenario(scenario_kind(p), p, store))
            for p in options.scenarios
        )
    index_moves = moves.loc[moves["symbol"].isin(indices)]
    rank = {s: i for i, s in enumerate(indices)}
    index_moves = index_moves.iloc[np.argsort(index_moves["symbol"].map(rank), kind="stable")]
    index_moves = _in_session_order(index_moves, sessions)
    return ShockResult(
        spec=spec,
        options=options,
        sessions=sessions,
        source=source,
        synthetic=synthetic,
        moves=moves,
        headline=hl.headline(moves, universe, options.top_moves),
        indices=index_moves,
        fx=hl.fx_moves(store, sorted({s.day for s in sessions})),
        baskets=baskets,
        study=study,
        volume=volume,
        forecast=forecast,
        scan=scanned,
        scenarios=scenarios,
        panels={x: _panel_info(p) for x, p in panels.items()},
        data_info=store.info(),
        versions=versions(),
        store=str(store.path),
        names=instruments[["symbol", "name", "name_ja", "exchange", "kind"]].copy(),
        basket_names=members.drop_duplicates("basket")[["basket", "name", "name_ja"]].reset_index(
            drop=True
        ),
    )


def _in_session_order(frame: pd.DataFrame, sessions: tuple[ShockSession, ...]) -> pd.DataFrame:
    """``frame`` (with exchange and session columns) in the order the sessions opened."""
    order = {(s.exchange, s.day): i for i, s in enumerate(sessions)}
    pairs = zip(frame["exchange"], frame["session"], strict=True)
    keys = [order.get((x, d), len(order)) for x, d in pairs]
    return frame.iloc[np.argsort(keys, kind="stable")].reset_index(drop=True)


def _panel_info(panel: ReturnsPanel) -> PanelInfo:
    idx = panel.sessions
    basis = panel.basis
    return PanelInfo(
        exchange=panel.exchange,
        sessions=len(idx),
        first=f"{idx[0]:%Y-%m-%d}" if len(idx) else "",
        last=f"{idx[-1]:%Y-%m-%d}" if len(idx) else "",
        symbols=len(panel.symbols),
        adjusted=int((basis == "adj_close").sum()),
        as_traded=int((basis != "adj_close").sum()),
        missing=int(panel.returns.iloc[1:].isna().to_numpy().sum()),
        data_hash=panel.data_hash,
    )


def _forecast(
    store: Store,
    spec: StudySpec,
    sessions: tuple[ShockSession, ...],
    options: ReportOptions,
    instruments: pd.DataFrame,
    members: pd.DataFrame,
) -> ForecastOutcome:
    """Tokyo's first session after New York's day-0 close, forecast from the New York session
    that closed last before it opened (which is later than day 0 when Tokyo was closed)."""
    from ipposaki.spillover import forecast_next
    from ipposaki.spillover.forecast import ForecastUnavailableError

    nxt = next(s for s in sessions if s.exchange == "XTKS" and s.has("next"))
    targets = list(options.forecast_targets)
    if not targets:
        tokyo = set(instruments.loc[instruments["exchange"] == "XTKS", "symbol"])
        own = [
            b
            for b in hl.spec_baskets(spec)
            if set(members.loc[members["basket"] == b, "symbol"]) <= tokyo
        ]
        targets = ["^N225", "^TOPX", *own]
    held = set(store.symbols())
    targets = [t for t in targets if t in held or t in set(members["basket"])]
    drivers = list(options.forecast_drivers) or None
    empty = pd.DataFrame(columns=["target", "forecast", "lower", "upper", "level", "actual"])
    try:
        res = forecast_next(store, nxt.follows, targets=targets, drivers=drivers)
    except ForecastUnavailableError as exc:
        problem: dict[str, Any] = {
            "kind": exc.kind,
            "series": exc.series,
            "day": exc.day,
            "last": exc.last,
            "need": exc.need,
            "have": exc.have,
            "message": str(exc),
        }
        return ForecastOutcome(nxt.follows, nxt.day, empty, problem)
    except InputError as exc:
        return ForecastOutcome(nxt.follows, nxt.day, empty, {"kind": "other", "message": str(exc)})
    skill, start, split = _skill(store, nxt.day, targets, drivers)
    return ForecastOutcome(nxt.follows, nxt.day, res.table, {}, skill, start, split)


def _skill(
    store: Store, day: str, targets: list[str], drivers: list[str] | None
) -> tuple[pd.DataFrame, str, pd.DataFrame]:
    """The forecast's out-of-sample record over the three years to ``day``, by part of the
    session, and ``day``'s own move in parts (empty frames when it cannot be evaluated)."""
    import warnings

    from ipposaki.spillover import evaluate_spillover

    start = f"{pd.Timestamp(day) - pd.DateOffset(years=SKILL_YEARS):%Y-%m-%d}"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # a driver left out is said by the forecast itself
            ev = evaluate_spillover(store, start, day, targets=targets, drivers=drivers, split=True)
    except InputError:
        return pd.DataFrame(), start, pd.DataFrame()
    m = ev.metrics
    parts = m["target"].str.partition(":")
    skill = m.assign(target=parts[0], part=parts[2].replace("", "close"))[
        ["target", "part", "nobs", "rmse_vs_zero", "r2_oos", "cw_mean_p_value", "hit_rate"]
    ]
    f = ev.forecasts
    f = f.loc[pd.to_datetime(f["session"]) == pd.Timestamp(day)]
    parts = f["target"].str.partition(":")
    f = f.assign(target=parts[0], part=parts[2].replace("", "close"))
    actual = f.pivot(index="target", columns="part", values="actual")
    forecast = f.pivot(index="target", columns="part", values="forecast").add_prefix("forecast_")
    split = actual.join(forecast).reindex(targets).dropna(how="all").reset_index()
    return skill.reset_index(drop=True), str(ev.forecasts["session"].min())[:10], split


def _scan(store: Store, spec: StudySpec, sessions: tuple[ShockSession, ...]) -> ScanOutcome:
    """The scanner from 240 days before to 63 days after the news; the rank of the episode
    that holds a day-0 session."""
    from ipposaki.calendars import session_times
    from ipposaki.events import builtin_catalog
    from ipposaki.scan import scan

    names = {e.id: (e.name, e.name_ja) for e in builtin_catalog().events}
    news = news_time(spec)
    news = news.tz_localize(None) if news.tzinfo else news
    start, end = f"{news - SCAN_MARGIN[0]:%Y-%m-%d}", f"{news + SCAN_MARGIN[1]:%Y-%m-%d}"
    cols = ["rank", "start", "end", "sessions", "severity", "channels", "baskets", "market"]
    cols += ["events"]
    try:
        scanned = scan(store, start, end)
    except InputError as exc:
        empty = pd.DataFrame(columns=cols)
        return ScanOutcome(start, end, empty, note=str(exc), event_names=names)
    episodes = scanned.episodes
    if episodes.empty:
        return ScanOutcome(start, end, pd.DataFrame(columns=cols), event_names=names)
    rank = None
    day0 = [s for s in sessions if s.has("day0")]
    for start_, end_, rank_ in zip(
        episodes["start"], episodes["end"], episodes["rank"], strict=True
    ):
        (x0, d0), (x1, d1) = str(start_).split(" "), str(end_).split(" ")
        first = session_times(x0, d0, d0)["open"].iloc[0]
        last = session_times(x1, d1, d1)["close"].iloc[0]
        if any(first <= s.open_utc and s.close_utc <= last for s in day0):
            rank = int(rank_)
            break
    shown = episodes["rank"].le(TOP_EPISODES) | episodes["rank"].eq(rank or 0)  # and the event's
    top = episodes.loc[shown, cols]
    tests = scanned.contagion
    if len(tests):
        tests = tests.loc[tests["rank"].isin(top["rank"])]
    return ScanOutcome(start, end, top, len(episodes), rank, event_names=names, contagion=tests)


def _scenario(kind: str, path: Any, store: Store) -> Any:
    from ipposaki.scenario import compute_cost_spec, export_controls_spec, power_spec

    if kind == "export_controls":
        return export_controls_spec(path, store)
    if kind == "power":
        return power_spec(path)
    return compute_cost_spec(path)
