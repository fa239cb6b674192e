"""The main job: a shock study, from a price source to ``out/<name>/``; by default the DeepSeek
shock into ``out/deepseek/``.

The run ingests the data, builds each exchange's returns panel, writes the moves of the universe
on each exchange's own event sessions, and runs the spec's event study. For the DeepSeek shock the
sessions are Tokyo's 2025-01-27 (the news broke before it opened), New York's 2025-01-27 (the
crash) and Tokyo's 2025-01-28 (the first Tokyo session after New York's close); for any other
spec they follow from its event's timestamp or date in the same way (:func:`shock_sessions`).
The report (:mod:`ipposaki.report`) is built from what it returns.

Data source, in order: ``data`` (a folder holding ``daily.csv``, or a price file); Yahoo Finance
when it is reachable; otherwise deterministic synthetic data, which every output then names.
"""

from __future__ import annotations

import json
import platform
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from ipposaki.errors import InputError
from ipposaki.instruments import builtin_baskets, builtin_instruments
from ipposaki.panel import ReturnsPanel, build_panel
from ipposaki.sources.synthetic import SYNTHETIC_LABEL, synthetic_prices
from ipposaki.store import IngestResult, Store
from ipposaki.study.spec import SpecEvent, SpecStudy, StudySpec, run_spec

__all__ = [
    "DEEPSEEK_BASKETS",
    "HEADLINE_SYMBOLS",
    "DemoResult",
    "ShockSession",
    "deepseek_spec",
    "resolve_data",
    "run_demo",
    "shock_sessions",
]

#: Calendar days of prices read before the first and after the last event session.
_PANEL_MARGIN = (pd.Timedelta(days=45), pd.Timedelta(days=35))
#: The DeepSeek study of ``examples/deepseek.toml``, built in so the installed demo needs no file.
DEEPSEEK_BASKETS: tuple[str, ...] = (
    "us_ai_chips",
    "us_hyperscalers",
    "us_power",
    "jp_semi_equipment",
    "jp_electric_wires",
    "jp_utilities",
    "jp_telecom",
)


def deepseek_spec() -> StudySpec:
    """Return the DeepSeek-shock study spec (the same as ``examples/deepseek.toml``).

    Returns
    -------
    StudySpec
        Market model, estimation -250:-11, event -5:10, the seven demo baskets.
    """
    return StudySpec(
        title="DeepSeek shock, 2025-01-27",
        title_ja="DeepSeekショック（2025年1月27日）",
        events=(
            SpecEvent(
                id="deepseek",
                date=None,
                name="DeepSeek shock",
                baskets=DEEPSEEK_BASKETS,
                timestamp=pd.Timestamp("2025-01-27T00:00Z"),
            ),
        ),
        study={
            "model": "market",
            "estimation_window": "-250:-11",
            "event_window": "-5:10",
            "car_windows": ["0:0", "0:1", "-1:1", "0:10"],
            "min_estimation_obs": 100,
        },
    )


#: Symbols the headline always shows besides the largest moves.
HEADLINE_SYMBOLS: tuple[str, ...] = ("NVDA", "AVGO", "GOOGL", "^IXIC", "^SOX", "8035.T", "^N225")


@dataclass(frozen=True)
class ShockSession:
    """One exchange's session around a shock.

    Attributes
    ----------
    exchange : str
        ISO MIC (XNYS, XTKS).
    day : str
        The session, ``YYYY-MM-DD``.
    role : str
        ``"day0"`` (the exchange's event session), ``"next"`` (Tokyo's first session after New
        York's day-0 close) or ``"day0+next"`` when they coincide.
    label : str
        How tables name it, e.g. ``"Tokyo 2025-01-28 (first session after New York's close)"``.
    open_utc, close_utc : pandas.Timestamp
        When the session opened and closed (UTC).
    """

    exchange: str
    day: str
    role: str
    label: str
    open_utc: pd.Timestamp
    close_utc: pd.Timestamp


def shock_sessions(spec: StudySpec) -> tuple[ShockSession, ...]:
    """Each exchange's sessions around the spec's shock, in the order they opened.

    Day 0 on Tokyo and New York (each exchange's first session at or after the news, see
    :func:`ipposaki.crossmarket.event_sessions`), and Tokyo's first session after New York's
    day-0 close, where a spillover would show.

    Parameters
    ----------
    spec : StudySpec
        A spec whose events all fall on the same sessions (one shock).

    Returns
    -------
    tuple[ShockSession, ...]
        Two or three sessions.

    Raises
    ------
    InputError
        If the events fall on different sessions, or a date is not a session of both exchanges.
    """
    from ipposaki.calendars import is_session, session_times
    from ipposaki.spillover.forecast import next_target_session

    first = spec.events[0]
    ny, tk = first.session("XNYS"), first.session("XTKS")
    for ev in spec.events[1:]:
        if (ev.session("XNYS"), ev.session("XTKS")) != (ny, tk):
            raise InputError(
                "spec",
                f"event {ev.id!r}",
                f"an event on the sessions of {first.id!r} (New York {ny.date()}, Tokyo "
                f"{tk.date()}): a report covers one shock; for several use `ipposaki study SPEC`",
            )
    for exchange, day in (("XNYS", ny), ("XTKS", tk)):
        if not is_session(exchange, pd.DatetimeIndex([day]))[0]:
            raise InputError(
                "spec",
                f"event {first.id!r} on {day.date()}",
                f"a session of {exchange}; give the event a timestamp with its zone instead",
            )
    nxt = next_target_session("XNYS", "XTKS", ny)
    after = "first session after New York's close"
    rows = [("XNYS", ny, "day0", f"New York {ny.date()} (day 0)")]
    if nxt == tk:
        rows.append(("XTKS", tk, "day0+next", f"Tokyo {tk.date()} (day 0, {after})"))
    else:
        rows.append(("XTKS", tk, "day0", f"Tokyo {tk.date()} (day 0)"))
        rows.append(("XTKS", nxt, "next", f"Tokyo {nxt.date()} ({after})"))
    out = []
    for exchange, day, role, label in rows:
        times = session_times(exchange, day, day).iloc[0]
        out.append(
            ShockSession(exchange, f"{day:%Y-%m-%d}", role, label, times["open"], times["close"])
        )
    return tuple(sorted(out, key=lambda s: s.open_utc))


@dataclass(frozen=True)
class DemoResult:
    """What the demo wrote.

    Attributes
    ----------
    out : pathlib.Path
        The output folder.
    source : str
        Where the prices came from (a path, ``"yahoo"`` or ``"synthetic data"``).
    synthetic : bool
        True when the prices are synthetic.
    moves : pandas.DataFrame
        One row per symbol and event session: exchange, session, ret.
    headline : pandas.DataFrame
        The five stocks that moved most (by absolute return) on each event session, and the
        :data:`HEADLINE_SYMBOLS`.
    files : tuple[str, ...]
        Files written, relative to ``out``.
    study : SpecStudy, optional
        The event study of the spec, per exchange.
    manifest : dict
        Data source, hashes, event sessions and versions.
    spec : StudySpec
        The spec that was run.
    sessions : tuple[ShockSession, ...]
        Each exchange's sessions around the shock (:func:`shock_sessions`).
    """

    out: Path
    source: str
    synthetic: bool
    moves: pd.DataFrame
    headline: pd.DataFrame
    files: tuple[str, ...]
    study: SpecStudy | None = None
    manifest: dict[str, Any] = field(default_factory=dict)
    spec: StudySpec = field(default_factory=deepseek_spec)
    sessions: tuple[ShockSession, ...] = ()

    @property
    def summary(self) -> str:
        """The headline as text."""
        return _headline_text(self.spec.title, self.headline, self.synthetic)

    def session(self, exchange: str, role: str) -> ShockSession:
        """The shock's session on ``exchange`` with ``role`` ``"day0"`` or ``"next"`` (Tokyo's
        first session after New York's close; the same session when the two coincide)."""
        return next(
            s for s in self.sessions if s.exchange == exchange and role in s.role.split("+")
        )

    @property
    def news(self) -> pd.Timestamp:
        """When the shock's news came (the first event's timestamp in UTC, else its date)."""
        ev = self.spec.events[0]
        if ev.timestamp is not None:
            return pd.Timestamp(ev.timestamp).tz_convert("UTC")
        assert ev.date is not None
        return pd.Timestamp(ev.date)

    def __str__(self) -> str:
        return self.summary


def resolve_data(data: str | Path | None) -> Path | None:
    """Return the price file behind ``data`` (a file, or a folder holding ``daily.csv``).

    Parameters
    ----------
    data : str or pathlib.Path or None
        The ``--data`` argument or ``IPPOSAKI_DATA``.

    Returns
    -------
    pathlib.Path or None
        The file, or None when no data was given.

    Raises
    ------
    InputError
        If the path does not exist or a folder has no ``daily.csv``.
    """
    if data is None or str(data) == "":
        return None
    path = Path(data)
    if path.is_dir():
        path = path / "daily.csv"
    if not path.is_file():
        raise InputError("data", str(data), "a price file, or a folder holding daily.csv")
    return path


def _ingest(
    store: Store, data: Path | None, allow_online: bool, log: Callable[[str], None]
) -> tuple[str, bool, IngestResult]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        if data is not None:
            result = store.import_files([data], non_sessions="skip")
            source, synthetic = str(data), False
        else:
            result, source, synthetic = _ingest_fallback(store, allow_online, log)
    for w in caught:
        log(f"note: {w.category.__name__}: {w.message}")
    return source, synthetic, result


def _ingest_fallback(
    store: Store, allow_online: bool, log: Callable[[str], None]
) -> tuple[IngestResult, str, bool]:
    held = store.symbols()
    if held:  # never overwrite a store's prices with downloaded or synthetic ones
        sources = store.sources()
        log(f"no --data given: using the {len(held)} symbols already in {store.path}")
        empty = IngestResult(sources=(), rows_read=0, rows_written=0, symbols=())
        label = f"store {store.path} ({', '.join(sources) or 'unknown source'})"
        return empty, label, SYNTHETIC_LABEL in sources
    if allow_online:
        from ipposaki.sources.yahoo import pull_yahoo, yahoo_reachable

        if yahoo_reachable():
            symbols = builtin_instruments()["symbol"].tolist()
            symbols = [s for s in symbols if s not in ("DEXJPUS", "^TOPX")]
            log(f"no --data given: downloading {len(symbols)} symbols from Yahoo Finance")
            rows = pull_yahoo(symbols, "2015-01-01", pd.Timestamp.today().normalize())
            return store.ingest(rows, "yahoo", non_sessions="skip"), "yahoo", False
    log(f"no --data given and Yahoo is not reachable: using {SYNTHETIC_LABEL}")
    rows = synthetic_prices()
    return store.ingest(rows, SYNTHETIC_LABEL, non_sessions="skip"), SYNTHETIC_LABEL, True


def _moves(panels: dict[str, ReturnsPanel], sessions: tuple[ShockSession, ...]) -> pd.DataFrame:
    inst = builtin_instruments().set_index("symbol")
    baskets = builtin_baskets().groupby("symbol")["basket"].agg(", ".join)
    rows = []
    for exchange, day, label in ((s.exchange, s.day, s.label) for s in sessions):
        returns = panels[exchange].returns
        if pd.Timestamp(day) not in returns.index:
            raise InputError(
                "data",
                f"no {exchange} prices on {day}",
                "prices covering every event session (see `ipposaki data info`)",
            )
        ret = returns.loc[pd.Timestamp(day)]
        for symbol, value in ret.items():
            rows.append(
                {
                    "exchange": exchange,
                    "session": day,
                    "event_session": label,
                    "symbol": symbol,
                    "name": inst["name"].get(symbol, symbol),
                    "name_ja": inst["name_ja"].get(symbol, symbol),
                    "kind": inst["kind"].get(symbol, ""),
                    "baskets": baskets.get(symbol, ""),
                    "ret": value,
                }
            )
    return pd.DataFrame(rows)


def _basket_moves(moves: pd.DataFrame) -> pd.DataFrame:
    members = builtin_baskets()
    joined = members.merge(moves, on="symbol", suffixes=("_basket", ""))
    grouped = joined.groupby(["basket", "exchange", "session", "event_session"], sort=False)["ret"]
    out = grouped.agg(mean_ret="mean", median_ret="median", n="count", n_members="size")
    return out.reset_index()


def _headline(moves: pd.DataFrame, k: int = 5) -> pd.DataFrame:
    """Per event session: the ``k`` stocks that moved most, then the named symbols."""
    firms = moves.loc[moves["kind"].isin(["stock", "index"]) & moves["ret"].notna()]
    picks = []
    for _, grp in firms.groupby(["exchange", "session"], sort=False):
        stocks = grp.loc[grp["kind"] == "stock", "ret"]
        picks.append(grp.loc[stocks.abs().nlargest(k).index].sort_values("ret"))
        named = grp.loc[grp["symbol"].isin(HEADLINE_SYMBOLS) & ~grp.index.isin(picks[-1].index)]
        picks.append(named)
    return pd.concat(picks).reset_index(drop=True)


def _headline_text(title: str, headline: pd.DataFrame, synthetic: bool) -> str:
    title = f"{title}: the largest moves on each exchange's event sessions"
    if synthetic:
        title += f" ({SYNTHETIC_LABEL})"
    lines = [title]
    for label, grp in headline.groupby("event_session", sort=False):
        lines.append(f"  {label}:")
        for r in grp.itertuples():
            lines.append(f"    {r.symbol:<8} {r.name:<28} {r.ret:+.2%}")
    return "\n".join(lines)


def _label(frame: pd.DataFrame, synthetic: bool) -> pd.DataFrame:
    if synthetic:
        frame = frame.copy()
        frame.insert(0, "data", SYNTHETIC_LABEL)
    return frame


def run_demo(
    out: str | Path,
    data: str | Path | None = None,
    store: Store | None = None,
    allow_online: bool = True,
    log: Callable[[str], None] = print,
    spec: StudySpec | None = None,
    step: Callable[[str], None] | None = None,
) -> DemoResult:
    """Run a shock study (by default the DeepSeek shock's) and write its files into ``out``.

    Parameters
    ----------
    out : str or pathlib.Path
        Output folder (created if needed), e.g. ``out/deepseek``.
    data : str or pathlib.Path, optional
        Price file, or a folder holding ``daily.csv`` (such as ``shared/data/prices``).
    store : Store, optional
        The store to ingest into; defaults to :class:`~ipposaki.store.Store` at its default path.
    allow_online : bool, default True
        Without ``data``, try Yahoo Finance before falling back to synthetic data.
    log : callable, default print
        Receives the run's text: the ingest summary, the headline and the study summary.
    spec : StudySpec, optional
        The event study to run; default :func:`deepseek_spec`. Its events must fall on one set
        of sessions (one shock, :func:`shock_sessions`); baskets, symbols, model and windows
        are free.
    step : callable, optional
        Called with a short description as each of the four steps starts (for progress bars).

    Returns
    -------
    DemoResult
        What was written.

    Raises
    ------
    InputError
        For a spec with events on several sessions, or data missing an event session.
    """
    spec = spec if spec is not None else deepseek_spec()
    shock = shock_sessions(spec)
    mark = step if step is not None else (lambda _description: None)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    store = store if store is not None else Store()
    mark("importing prices")
    source, synthetic, ingest = _ingest(store, resolve_data(data), allow_online, log)
    log(ingest.summary)
    mark("building returns panels")
    days = [pd.Timestamp(s.day) for s in shock]
    start, end = min(days) - _PANEL_MARGIN[0], max(days) + _PANEL_MARGIN[1]
    panels = {
        exchange: build_panel(store, exchange, start=start, end=end)
        for exchange in ("XNYS", "XTKS")
    }
    moves = _moves(panels, shock)
    baskets = _basket_moves(moves)
    headline = _headline(moves)
    files = {
        "moves.csv": _label(moves, synthetic),
        "basket_moves.csv": _label(baskets, synthetic),
        "headline.csv": _label(headline, synthetic),
        "data_info.csv": _label(store.info(), synthetic),
    }
    for name, frame in files.items():
        frame.to_csv(out / name, index=False)
    mark("running the event study")
    study = run_spec(spec, store)
    mark("writing the study tables")
    study_paths = study.to_dir(out / "study")
    if synthetic:  # every table says so
        for path in study_paths:
            if path.suffix == ".csv":
                _label(pd.read_csv(path), True).to_csv(path, index=False)
    study_files = [str(p.relative_to(out)) for p in study_paths]
    text = _headline_text(spec.title, headline, synthetic) + "\n\n" + study.summary
    if synthetic:
        text = text.replace(study.spec.title, f"{study.spec.title} ({SYNTHETIC_LABEL})")
    (out / "summary.txt").write_text(text + "\n", encoding="utf-8")
    manifest = {
        "title": spec.title + (f" ({SYNTHETIC_LABEL})" if synthetic else ""),
        "source": source,
        "synthetic": synthetic,
        "store": str(store.path),
        "panels": {x: p.summary for x, p in panels.items()},
        "data_hash": {x: p.data_hash for x, p in panels.items()},
        "event_sessions": [[s.exchange, s.day, s.label] for s in shock],
        "versions": _versions(),
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
    written = (*files, "summary.txt", "manifest.json", *study_files)
    log(text)
    log(f"wrote {len(written)} files to {out}")
    return DemoResult(
        out, source, synthetic, moves, headline, written, study, manifest, spec, shock
    )


def _versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {"python": platform.python_version()}
    for pkg in ("ipposaki", "numpy", "pandas", "duckdb", "exchange_calendars", "pyarrow"):
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:  # pragma: no cover
            out[pkg] = "not installed"
    return out
