"""The main job: the DeepSeek-shock study, from a price source to ``out/deepseek/``.

At this stage the demo ingests the data, builds each exchange's returns panel, and writes the
moves of the demo universe on each exchange's own event sessions: New York's 2025-01-27 session,
Tokyo's 2025-01-27 session (the news broke before it opened) and Tokyo's 2025-01-28 session (the
first Tokyo session after New York's crash). Later stages (event study, spillover, scenarios,
report) extend what it writes.

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
    "EVENT_SESSIONS",
    "HEADLINE_SYMBOLS",
    "DemoResult",
    "deepseek_spec",
    "resolve_data",
    "run_demo",
]

#: Each exchange's sessions around the DeepSeek shock, labelled as in the report.
EVENT_SESSIONS: tuple[tuple[str, str, str], ...] = (
    ("XTKS", "2025-01-27", "Tokyo 01-27 (news before the open)"),
    ("XNYS", "2025-01-27", "New York 01-27 (the crash)"),
    ("XTKS", "2025-01-28", "Tokyo 01-28 (first session after New York's close)"),
)
_WINDOW = ("2024-12-02", "2025-02-28")
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


#: Symbols the headline always shows besides the largest falls.
HEADLINE_SYMBOLS: tuple[str, ...] = ("NVDA", "AVGO", "GOOGL", "^IXIC", "^SOX", "8035.T", "^N225")


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
        The largest falls on each event session.
    files : tuple[str, ...]
        Files written, relative to ``out``.
    study : SpecStudy, optional
        The event study of the spec, per exchange.
    manifest : dict
        Data source, hashes, event sessions and versions.
    """

    out: Path
    source: str
    synthetic: bool
    moves: pd.DataFrame
    headline: pd.DataFrame
    files: tuple[str, ...]
    study: SpecStudy | None = None
    manifest: dict[str, Any] = field(default_factory=dict)

    @property
    def summary(self) -> str:
        """The headline as text."""
        return _headline_text(self.headline, self.synthetic)

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


def _moves(panels: dict[str, ReturnsPanel]) -> pd.DataFrame:
    inst = builtin_instruments().set_index("symbol")
    baskets = builtin_baskets().groupby("symbol")["basket"].agg(", ".join)
    rows = []
    for exchange, day, label in EVENT_SESSIONS:
        ret = panels[exchange].returns.loc[pd.Timestamp(day)]
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
    firms = moves.loc[moves["kind"].isin(["stock", "index"]) & moves["ret"].notna()]
    picks = []
    for _, grp in firms.groupby(["exchange", "session"], sort=False):
        picks.append(grp.nsmallest(k, "ret"))
        named = grp.loc[grp["symbol"].isin(HEADLINE_SYMBOLS) & ~grp.index.isin(picks[-1].index)]
        picks.append(named)
    return pd.concat(picks).reset_index(drop=True)


def _headline_text(headline: pd.DataFrame, synthetic: bool) -> str:
    title = "DeepSeek shock: the largest moves on each exchange's event sessions"
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
) -> DemoResult:
    """Run the DeepSeek-shock study and write its files into ``out``.

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
        Receives progress lines.
    spec : StudySpec, optional
        The event study to run; default :func:`deepseek_spec`. Its events must be the DeepSeek
        shock's (the headline, the timeline and the scan are built around those sessions);
        baskets, symbols, model and windows are free.

    Returns
    -------
    DemoResult
        What was written.
    """
    spec = spec if spec is not None else deepseek_spec()
    shock = deepseek_spec().events[0]
    for ev in spec.events:
        if (ev.session("XNYS"), ev.session("XTKS")) != (
            shock.session("XNYS"),
            shock.session("XTKS"),
        ):
            raise InputError(
                "spec",
                f"event {ev.id!r}",
                "an event on the DeepSeek shock's sessions (New York and Tokyo 2025-01-27); "
                "for other events use `ipposaki study SPEC`",
            )
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    store = store if store is not None else Store()
    source, synthetic, ingest = _ingest(store, resolve_data(data), allow_online, log)
    log(ingest.summary)
    panels = {
        exchange: build_panel(store, exchange, start=_WINDOW[0], end=_WINDOW[1])
        for exchange in ("XNYS", "XTKS")
    }
    moves = _moves(panels)
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
    study = run_spec(spec, store)
    study_paths = study.to_dir(out / "study")
    if synthetic:  # every table says so
        for path in study_paths:
            if path.suffix == ".csv":
                _label(pd.read_csv(path), True).to_csv(path, index=False)
    study_files = [str(p.relative_to(out)) for p in study_paths]
    text = _headline_text(headline, synthetic) + "\n\n" + study.summary
    if synthetic:
        text = text.replace(study.spec.title, f"{study.spec.title} ({SYNTHETIC_LABEL})")
    (out / "summary.txt").write_text(text + "\n", encoding="utf-8")
    manifest = {
        "title": "DeepSeek shock" + (f" ({SYNTHETIC_LABEL})" if synthetic else ""),
        "source": source,
        "synthetic": synthetic,
        "store": str(store.path),
        "panels": {x: p.summary for x, p in panels.items()},
        "data_hash": {x: p.data_hash for x, p in panels.items()},
        "event_sessions": [list(e) for e in EVENT_SESSIONS],
        "versions": _versions(),
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
    written = (*files, "summary.txt", "manifest.json", *study_files)
    log(text)
    log(f"wrote {len(written)} files to {out}")
    return DemoResult(out, source, synthetic, moves, headline, written, study, manifest)


def _versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {"python": platform.python_version()}
    for pkg in ("ipposaki", "numpy", "pandas", "duckdb", "exchange_calendars", "pyarrow"):
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:  # pragma: no cover
            out[pkg] = "not installed"
    return out
