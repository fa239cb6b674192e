"""The demo job: ingest a price source, run a shock (by default the DeepSeek shock's) and write
its files into ``out/<name>/``.

Data source, in order: ``data`` (a folder holding ``daily.csv``, or a price file); Yahoo Finance
when it is reachable; otherwise deterministic synthetic data, which every output then names.
Without ``data``, a store that already holds prices is used as it is (never overwritten).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import pandas as pd

from ipposaki.errors import InputError
from ipposaki.instruments import builtin_instruments
from ipposaki.results import Result, Summary
from ipposaki.shock.pipeline import run_shock
from ipposaki.shock.result import ShockResult
from ipposaki.shock.sessions import ShockSession
from ipposaki.sources.synthetic import SYNTHETIC_LABEL, synthetic_prices
from ipposaki.store import IngestResult, Store
from ipposaki.study.settings import DEFAULTS
from ipposaki.study.spec import SpecEvent, SpecResult, StudySpec

__all__ = ["DEEPSEEK_BASKETS", "DemoResult", "deepseek_spec", "resolve_data", "run_demo"]

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
        Market model, estimation -250:-11, event -5:10, the seven demo baskets, and the three
        shipped scenarios (the same files as ``examples/``).
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
            "model": DEFAULTS.model,
            "estimation_window": DEFAULTS.estimation_window,
            "event_window": DEFAULTS.event_window,
            "car_windows": list(DEFAULTS.car_windows),
            "min_estimation_obs": DEFAULTS.min_estimation_obs,
        },
        report={"scenarios": ["export_controls.toml", "power.toml", "compute_cost.toml"]},
        base=Path(str(resources.files("ipposaki").joinpath("data", "scenarios"))),
    )


@dataclass(frozen=True, eq=False)
class DemoResult(Result):
    """What :func:`run_demo` wrote: the folder, the files and the shock's result.

    Attributes
    ----------
    out : pathlib.Path
        The output folder.
    files : tuple[str, ...]
        Files written, relative to ``out``.
    shock : ShockResult
        Everything computed (the report renders it).
    """

    out: Path
    files: tuple[str, ...]
    shock: ShockResult

    @property
    def spec(self) -> StudySpec:
        """The spec that was run."""
        return self.shock.spec

    @property
    def source(self) -> str:
        """Where the prices came from."""
        return self.shock.source

    @property
    def synthetic(self) -> bool:
        """True when the prices are synthetic."""
        return self.shock.synthetic

    @property
    def sessions(self) -> tuple[ShockSession, ...]:
        """Each exchange's sessions around the shock."""
        return self.shock.sessions

    @property
    def headline(self) -> pd.DataFrame:
        """The largest moves on each event session."""
        return self.shock.headline

    @property
    def moves(self) -> pd.DataFrame:
        """Every symbol on every event session."""
        return self.shock.moves

    @property
    def study(self) -> SpecResult:
        """The spec's event study, per exchange."""
        return self.shock.study

    @property
    def manifest(self) -> Mapping[str, Any]:
        """Source, hashes, event sessions and versions (the shock's)."""
        return self.shock.manifest

    @property
    def summary(self) -> Summary:
        """The headline and the event study (the shock's)."""
        return self.shock.summary

    def frames(self) -> dict[str, pd.DataFrame]:
        """The shock's tables (see :meth:`ShockResult.frames`)."""
        return self.shock.frames()

    def to_dir(self, out: str | Path) -> list[Path]:
        """Write the shock's files into ``out`` (see :meth:`ShockResult.to_dir`), as
        :func:`run_demo` wrote them into :attr:`out`.

        Parameters
        ----------
        out : str or pathlib.Path
            Output folder, created if needed.

        Returns
        -------
        list[pathlib.Path]
            The files written.
        """
        return self.shock.to_dir(out)


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
        log(f"no `data` given: using the {len(held)} symbols already in {store.path}")
        empty = IngestResult(sources=(), rows_read=0, rows_written=0, symbols=())
        label = f"store {store.path} ({', '.join(sources) or 'unknown source'})"
        return empty, label, SYNTHETIC_LABEL in sources
    if allow_online:
        from ipposaki.sources.yahoo import pull_yahoo, yahoo_reachable

        if yahoo_reachable():
            symbols = builtin_instruments()["symbol"].tolist()
            symbols = [s for s in symbols if s not in ("DEXJPUS", "^TOPX")]
            log(f"no `data` given: downloading {len(symbols)} symbols from Yahoo Finance")
            rows = pull_yahoo(symbols, "2015-01-01", pd.Timestamp.today().normalize())
            return store.ingest(rows, "yahoo", non_sessions="skip"), "yahoo", False
    log(f"no `data` given and Yahoo is not reachable: using {SYNTHETIC_LABEL}")
    rows = synthetic_prices()
    return store.ingest(rows, SYNTHETIC_LABEL, non_sessions="skip"), SYNTHETIC_LABEL, True


def _check_names(spec: StudySpec, store: Store) -> None:
    """Raise for a basket the store does not know (read only: a missing store file is not
    created), before the ingest writes anything."""
    from ipposaki.errors import UnknownNameError

    known = set(store.baskets()["basket"])
    for ev in spec.events:
        for basket in ev.baskets:
            if basket not in known:
                raise UnknownNameError("basket", basket, sorted(known))


def run_demo(
    out: str | Path,
    data: str | Path | None = None,
    store: Store | None = None,
    allow_online: bool = True,
    log: Callable[[str], None] = print,
    spec: StudySpec | None = None,
    step: Callable[[str], None] | None = None,
) -> DemoResult:
    """Ingest the prices, run a shock (by default the DeepSeek shock's) and write its files.

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
        The shock to run; default :func:`deepseek_spec`. Its events must fall on one set of
        sessions (one shock, :func:`~ipposaki.shock.sessions.shock_sessions`).
    step : callable, optional
        Called with a short description as each step starts (for progress bars).

    Returns
    -------
    DemoResult
        The folder, the files written and the :class:`~ipposaki.shock.result.ShockResult`.

    Raises
    ------
    InputError
        For a spec with events on several sessions, or data missing an event session.
    """
    from ipposaki.shock.sessions import shock_sessions

    spec = spec if spec is not None else deepseek_spec()
    shock_sessions(spec)  # a spec on several shocks fails before any work
    mark = step if step is not None else (lambda _description: None)
    out = Path(out)
    store = store if store is not None else Store()
    _check_names(spec, store)  # and so does an unknown basket: nothing is written
    mark("importing prices")
    source, synthetic, ingest = _ingest(store, resolve_data(data), allow_online, log)
    log(str(ingest.summary))
    result = run_shock(spec, store, source=source, synthetic=synthetic, step=mark)
    written = result.to_dir(out)
    log(result.summary.as_text())
    log(f"wrote {len(written)} files to {out}")
    return DemoResult(out, tuple(str(p.relative_to(out)) for p in written), result)
