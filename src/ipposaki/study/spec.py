"""Study specs (TOML): events on baskets of store symbols, each on its own exchange's calendar.

Example (``examples/deepseek.toml``)::

    title = "DeepSeek shock"

    [study]
    model = "market"
    estimation_window = "-250:-11"
    event_window = "-5:10"
    car_windows = ["0:0", "0:1", "-1:1", "0:10"]

    [[events]]
    id = "deepseek"
    timestamp = "2025-01-27T09:00+09:00"
    baskets = ["us_ai_chips", "jp_semi_equipment"]

Each symbol is studied on its own exchange's sessions against its instrument's benchmark
(``^GSPC`` for New York listings, ``^TOPX`` for Tokyo in the built-in universe), so a spec that
mixes exchanges runs one study per exchange (the ``--by-exchange`` mode). An event given by a
``timestamp`` with its zone gets each exchange's own event session (see
:func:`ipposaki.crossmarket.event_sessions`); an event given by a ``date`` uses that date on
every exchange (it must be a session there).
"""

from __future__ import annotations

import datetime
import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Annotated, Any

import pandas as pd
from pydantic import AfterValidator, BeforeValidator, Field, model_validator

from ipposaki.calendars import sessions
from ipposaki.crossmarket import event_sessions, parse_timestamp
from ipposaki.errors import InputError
from ipposaki.panel import build_panel
from ipposaki.results import Result, Summary, SummaryTable, freeze, versions
from ipposaki.schema import Table, load_toml, refuse, validate
from ipposaki.sources.files import parse_iso_date
from ipposaki.store import Store
from ipposaki.study.engine import CONVENTIONS, ChunkRunner, run_study
from ipposaki.study.measures import MEASURES
from ipposaki.study.models import MODELS
from ipposaki.study.results import EventStudyResult
from ipposaki.study.settings import DEFAULTS
from ipposaki.study.windows import parse_window

__all__ = [
    "EventTable",
    "SpecEvent",
    "SpecResult",
    "StudySpec",
    "StudyTable",
    "load_spec",
    "run_spec",
]

_TOP_KEYS = {"title", "title_ja", "study", "events", "report"}
_THIN_TRADING = ("none", "scholes-williams", "dimson")


def _keys_hint(key: str, known: set[str]) -> str:
    from ipposaki.errors import close_matches

    hint = close_matches(key, sorted(known))
    return f"one of the keys {', '.join(sorted(known))}" + (
        f" (did you mean {hint[0]}?)" if hint else ""
    )


def _one_of(choices: tuple[str, ...]) -> Callable[[str], str]:
    def check(value: str) -> str:
        if value not in choices:
            refuse(f"one of {', '.join(choices)}")
        return value

    return check


def _window(argument: str) -> Callable[[str], str]:
    def check(value: str) -> str:
        parse_window(value, argument)
        return value

    return check


def _nonempty(value: str) -> str:
    if not value.strip():
        refuse("a non-empty string")
    return value


def _names(value: list[str]) -> list[str]:
    for i, name in enumerate(value):
        if not name.strip():
            refuse("a list of names (non-empty strings)", key=i, value=name)
    return value


def _date_like(value: object) -> object:
    if isinstance(value, bool) or not isinstance(value, str | datetime.date):
        refuse("a date as YYYY-MM-DD")
    return value


def _stamp_like(value: object) -> object:
    if isinstance(value, bool) or not isinstance(value, str | datetime.datetime):
        refuse("an ISO timestamp with a zone, e.g. 2025-01-27T09:00+09:00")
    return value


NonEmpty = Annotated[str, AfterValidator(_nonempty)]
Names = Annotated[list[str], AfterValidator(_names)]


class StudyTable(Table):
    """``[study]``: the model, windows, estimation size, thin-trading fix and convention.

    Every key is optional (the defaults are those of :func:`~ipposaki.study.run_study`).
    ``min_estimation_obs`` may be 0 only with ``model = "raw"`` (raw returns need no
    estimation); ``convention = "estudy2"`` needs the market model.
    """

    model: Annotated[str, AfterValidator(_one_of(MODELS))] = DEFAULTS.model
    estimation_window: Annotated[str, AfterValidator(_window("[study].estimation_window"))] = (
        DEFAULTS.estimation_window
    )
    event_window: Annotated[str, AfterValidator(_window("[study].event_window"))] = (
        DEFAULTS.event_window
    )
    car_windows: list[Annotated[str, AfterValidator(_window("[study].car_windows"))]] = Field(
        default_factory=lambda: list(DEFAULTS.car_windows)
    )
    min_estimation_obs: Annotated[int, Field(ge=0)] = DEFAULTS.min_estimation_obs
    thin_trading: Annotated[str, AfterValidator(_one_of(_THIN_TRADING))] = DEFAULTS.thin_trading
    convention: Annotated[str, AfterValidator(_one_of(CONVENTIONS))] = DEFAULTS.convention
    measure: Annotated[str, AfterValidator(_one_of(MEASURES))] = DEFAULTS.measure
    #: With measure = "volume": log turnover from the shares outstanding in the store.
    turnover: bool = False

    @model_validator(mode="after")
    def _combinations(self) -> StudyTable:
        if self.turnover and self.measure != "volume":
            refuse('false unless measure = "volume"', key="turnover", value=self.turnover)
        if self.min_estimation_obs < 1 and self.model != "raw":
            refuse(
                'an integer >= 1 (0 only with model = "raw")',
                key="min_estimation_obs",
                value=self.min_estimation_obs,
            )
        if self.convention == "estudy2" and self.model != "market":
            refuse(
                "market with convention estudy2 (estudy2's statistics are reproduced for its "
                "market model only)",
                key="model",
                value=self.model,
            )
        return self


class EventTable(Table):
    """One ``[[events]]`` table: an id, a date or a timestamp, and baskets or symbols."""

    id: NonEmpty
    name: str | None = None
    name_ja: str | None = None
    description: str | None = None
    date: Annotated[object, BeforeValidator(_date_like)] = None
    timestamp: Annotated[object, BeforeValidator(_stamp_like)] = None
    baskets: Names = Field(default_factory=list)
    symbols: Names = Field(default_factory=list)


@dataclass(frozen=True)
class SpecEvent:
    """One event of a spec: an id, a date, and the baskets and symbols it concerns."""

    id: str
    date: pd.Timestamp | None
    name: str = ""
    baskets: tuple[str, ...] = ()
    symbols: tuple[str, ...] = ()
    timestamp: pd.Timestamp | None = None

    def session(self, exchange: str) -> pd.Timestamp:
        """The event session (day 0) on ``exchange``."""
        if self.timestamp is not None:
            return _event_session(self.timestamp, exchange)
        assert self.date is not None  # load_spec requires one of the two
        return self.date


@functools.lru_cache(maxsize=256)
def _event_session(timestamp: pd.Timestamp, exchange: str) -> pd.Timestamp:
    """Day 0 on ``exchange`` of news at ``timestamp``: a calendar lookup, asked for by every
    stage of a shock, computed once."""
    return pd.Timestamp(event_sessions(timestamp, [exchange])["event_session"].iloc[0])


@dataclass(frozen=True)
class StudySpec:
    """A validated study spec."""

    title: str
    events: tuple[SpecEvent, ...]
    study: dict[str, Any] = field(default_factory=dict)
    title_ja: str = ""
    #: The ``[report]`` table, as written (see :mod:`ipposaki.shock.options`).
    report: dict[str, Any] = field(default_factory=dict)
    #: The folder of the spec file: relative paths in ``report`` start there.
    base: Path | None = field(default=None, compare=False)

    def title_in(self, lang: str) -> str:
        """The title in ``lang`` (``title_ja`` for Japanese when the spec gives one)."""
        return self.title_ja if lang == "ja" and self.title_ja else self.title


def load_spec(path: str | Path) -> StudySpec:
    """Read and validate a study spec.

    Parameters
    ----------
    path : str or pathlib.Path
        The TOML file.

    Returns
    -------
    StudySpec
        The spec.

    Raises
    ------
    InputError
        Naming the TOML key that is missing or not allowed.
    """
    path = Path(path)
    doc = load_toml(path)
    unknown_top = sorted(set(doc) - _TOP_KEYS)
    if unknown_top:
        raise InputError(unknown_top[0], doc[unknown_top[0]], _keys_hint(unknown_top[0], _TOP_KEYS))
    if not isinstance(doc.get("study", {}), dict):
        raise InputError("[study]", doc["study"], "a table: [study] with model, windows, ...")
    study = dict(doc.get("study", {}))
    validate(StudyTable, study, "[study]")
    for key in ("title", "title_ja"):
        if key in doc and not isinstance(doc[key], str):
            raise InputError(key, doc[key], "a string")
    raw_events = doc.get("events")
    if not isinstance(raw_events, list) or not raw_events:
        raise InputError("[[events]]", None, "at least one [[events]] table")
    events: list[SpecEvent] = []
    for i, ev in enumerate(raw_events):
        where = f"events[{i}]"
        if not isinstance(ev, dict):
            raise InputError(where, ev, "an [[events]] table with id, date or timestamp, baskets")
        validate(EventTable, ev, where)  # unknown keys (with a did-you-mean), types, names
        if ("date" in ev) == ("timestamp" in ev):
            raise InputError(
                f"{where}.date/timestamp", None, "exactly one of 'date' or 'timestamp'"
            )
        stamp = (
            parse_timestamp(ev["timestamp"], f"{where}.timestamp") if "timestamp" in ev else None
        )
        date = parse_iso_date(ev["date"], f"{where}.date") if "date" in ev else None
        if str(ev["id"]) in {e.id for e in events}:
            raise InputError(f"{where}.id", ev["id"], "an id used by one event only")
        baskets = tuple(ev.get("baskets", ()))
        symbols = tuple(ev.get("symbols", ()))
        if not baskets and not symbols:
            raise InputError(f"{where}.baskets", None, "a list of baskets or symbols")
        events.append(
            SpecEvent(
                id=str(ev["id"]),
                date=date,
                timestamp=stamp,
                name=str(ev.get("name", ev["id"])),
                baskets=baskets,
                symbols=symbols,
            )
        )
    from ipposaki.shock.options import parse_report

    report = doc.get("report", {})
    parse_report(report, path.parent)  # a bad [report] table fails before any work
    return StudySpec(
        title=str(doc.get("title", path.stem)),
        events=tuple(events),
        study=study,
        title_ja=str(doc.get("title_ja", "")),
        report=dict(report),
        base=path.parent.resolve(),
    )


#: Columns of :attr:`SpecResult.earnings`.
EARNINGS_COLUMNS = (
    "event_id",
    "symbol",
    "exchange",
    "event_session",
    "earnings_count",
    "earnings_dates",
)


@dataclass(frozen=True)
class SpecResult(Result):
    """The result of running a spec: one event study per exchange.

    Attributes
    ----------
    spec : StudySpec
        The spec that was run.
    results : Mapping[str, EventStudyResult]
        Each exchange's study (ISO MIC -> result), read-only.
    earnings : pandas.DataFrame
        What else happened: each studied pair's own earnings announcements within one session
        of its event session (event_id, symbol, exchange, event_session, earnings_count,
        earnings_dates), from the store's earnings calendar; no rows when it holds none.

    Notes
    -----
    :meth:`to_dir` writes each exchange's study into ``out/EXCHANGE/`` (its own
    :meth:`~ipposaki.study.results.EventStudyResult.to_dir`), then ``timing.csv``,
    ``earnings.csv``, ``summary.txt`` and ``manifest.json`` into ``out``.
    """

    spec: StudySpec
    results: Mapping[str, EventStudyResult]
    earnings: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=EARNINGS_COLUMNS))

    def __post_init__(self) -> None:
        object.__setattr__(self, "results", freeze(self.results))

    def timing(self) -> pd.DataFrame:
        """Each event's session on each studied exchange, and hours from the news to the open."""
        rows = []
        for ev in self.spec.events:
            if ev.timestamp is not None:
                table = event_sessions(ev.timestamp, list(self.results))
                rows.append(table.assign(event_id=ev.id))
            else:
                rows.append(
                    pd.DataFrame(
                        {
                            "exchange": list(self.results),
                            "event_session": ev.date,
                            "event_id": ev.id,
                        }
                    )
                )
        return pd.concat(rows, ignore_index=True) if rows else pd.DataFrame()

    @staticmethod
    def _next_sessions(timing: pd.DataFrame) -> list[str]:
        from ipposaki.spillover.forecast import next_target_session

        lines = []
        for ev_id, grp in timing.groupby("event_id", sort=False):
            days = dict(zip(grp["exchange"], grp["event_session"], strict=True))
            for a, day in days.items():
                for b in days:
                    if a != b:
                        nxt = next_target_session(a, b, day)
                        lines.append(
                            f"{ev_id}: first {b} session after {a}'s {pd.Timestamp(day).date()} "
                            f"close: {nxt.date()}"
                        )
        return lines

    def _earnings_lines(self) -> list[str]:
        if not len(self.earnings):
            return []
        near = self.earnings[self.earnings["earnings_count"] > 0]
        if not len(near):
            return []
        return ["Own earnings announcements within one session of day 0:"] + [
            f"  {r.symbol} ({r.event_id}, {r.exchange}): {r.earnings_dates}"
            for r in near.itertuples()
        ]

    @property
    def summary(self) -> Summary:
        """The spec's title, each event's session per exchange, the own earnings near day 0,
        then every exchange's summary under ``== EXCHANGE ==``."""
        timing = self.timing()
        blocks: list[str | SummaryTable] = [self.spec.title]
        if not timing.empty:
            cols = ["event_id", "exchange", "event_session", "hours_to_open"]
            table = timing[[c for c in cols if c in timing.columns]]
            blocks = [
                f"{self.spec.title}\nEvent sessions (day 0) per exchange:",
                SummaryTable(table, digits=2),
                "\n".join(self._next_sessions(timing)),
            ]
        blocks.append("\n".join(self._earnings_lines()))
        for exchange, res in self.results.items():
            blocks.extend([f"== {exchange} ==", *res.summary.blocks])
        return Summary.of(*blocks)

    @property
    def manifest(self) -> Mapping[str, Any]:
        """The spec's title, events and ``[study]`` table, each exchange's pairs, exclusions
        and data hash (the rest is in each exchange's own manifest), and the versions."""
        events = [
            {
                "id": ev.id,
                "date": ev.date,
                "timestamp": ev.timestamp,
                "baskets": ev.baskets,
                "symbols": ev.symbols,
            }
            for ev in self.spec.events
        ]
        exchanges = {
            x: {
                "pairs": len(res.params),
                "excluded": len(res.excluded),
                "data_hash": res.parameters.data_hash,
            }
            for x, res in self.results.items()
        }
        return freeze(
            {
                "title": self.spec.title,
                "events": events,
                "study": self.spec.study,
                "exchanges": exchanges,
                "versions": versions(),
            }
        )

    def frames(self) -> dict[str, pd.DataFrame]:
        """``timing`` (:meth:`timing`) and ``earnings`` (:attr:`earnings`); each exchange's
        tables are its study's."""
        return {"timing": self.timing(), "earnings": self.earnings}

    def parts(self) -> Mapping[str, Result]:
        """Each exchange's study, written into ``out/EXCHANGE/``."""
        return self.results


def run_spec(spec: StudySpec, store: Store, backend: ChunkRunner | None = None) -> SpecResult:
    """Run a spec on the store: one study per exchange, each symbol on its own sessions.

    Parameters
    ----------
    spec : StudySpec
        The spec.
    store : Store
        The price store (baskets, instruments and prices).
    backend : ChunkRunner, optional
        Where the blocks run (see :func:`ipposaki.study.run_study`); default in this process.

    Returns
    -------
    SpecResult
        Results per exchange.
    """
    inst = store.instruments().set_index("symbol")
    rows = []
    for ev in spec.events:
        members = [(s, b) for b in ev.baskets for s in store.basket(b)]
        members += [(s, "symbols") for s in ev.symbols]
        if len(spec.events) > 1:  # several events: groups per event, and per basket within it
            members = [(s, f"{ev.id}/{g}") for s, g in members]
        for symbol, basket in members:
            if symbol not in inst.index:
                raise InputError("symbols", symbol, "a symbol in the instruments table")
            rows.append(
                {
                    "event_id": ev.id,
                    "symbol": symbol,
                    "event_date": ev.session(str(inst.loc[symbol, "exchange"]))
                    if inst.loc[symbol, "exchange"]
                    else ev.date,
                    "basket": basket,
                    "market": inst.loc[symbol, "benchmark"] or None,
                    "exchange": inst.loc[symbol, "exchange"],
                }
            )
    table = pd.DataFrame(rows).drop_duplicates(["event_id", "symbol"])
    est = parse_window(spec.study.get("estimation_window", DEFAULTS.estimation_window))
    evw = parse_window(spec.study.get("event_window", DEFAULTS.event_window))
    results: dict[str, EventStudyResult] = {}
    for key, events in table.groupby("exchange", sort=True):
        exchange = str(key)
        if not exchange:
            continue
        grid = sessions(str(exchange))
        first = grid[max(grid.searchsorted(events["event_date"].min()) + est.start - 5, 0)]
        last_pos = min(grid.searchsorted(events["event_date"].max()) + evw.end + 5, len(grid) - 1)
        wanted = sorted(set(events["symbol"]) | set(events["market"].dropna()))
        stored = set(store.symbols())
        panel = build_panel(
            store, str(exchange), [s for s in wanted if s in stored], first, grid[last_pos]
        )
        try:
            results[str(exchange)] = _run_one(
                spec,
                panel.returns,
                events,
                est,
                evw,
                store,
                backend,
                panel.data_hash,
                exchange,
                panel.volume,
            )
        except InputError as exc:
            raise _in_spec_terms(exc, spec, events) from None
    study = SpecResult(spec=spec, results=results)
    return replace(study, earnings=_earnings_near(study, store))


def _run_one(
    spec: StudySpec,
    returns: pd.DataFrame,
    events: pd.DataFrame,
    est: Any,
    evw: Any,
    store: Store,
    backend: ChunkRunner | None,
    data_hash: str,
    exchange: str,
    volume: pd.DataFrame,
) -> EventStudyResult:
    """One exchange's study of a spec."""
    return run_study(
        returns,
        events.drop(columns=["exchange"]),
        model=spec.study.get("model", DEFAULTS.model),
        estimation_window=est,
        event_window=evw,
        car_windows=spec.study.get("car_windows", DEFAULTS.car_windows),
        min_estimation_obs=int(spec.study.get("min_estimation_obs", DEFAULTS.min_estimation_obs)),
        thin_trading=spec.study.get("thin_trading", DEFAULTS.thin_trading),
        convention=spec.study.get("convention", DEFAULTS.convention),
        measure=spec.study.get("measure", DEFAULTS.measure),
        volume=volume if spec.study.get("measure") == "volume" else None,
        shares=store_shares(store, volume) if spec.study.get("turnover") else None,
        data_source=f"store {store.path} ({exchange!s}, panel hash {data_hash})",
        backend=backend,
    )


def _earnings_near(study: SpecResult, store: Store) -> pd.DataFrame:
    """Each studied pair's own earnings announcements within one session of its day 0."""
    from ipposaki.store.listed import earnings_within

    timing = study.timing()
    frames = []
    for exchange, res in study.results.items():
        days = timing.loc[timing["exchange"] == exchange, ["event_id", "event_session"]]
        pairs = (
            res.params[["event_id", "symbol"]]
            .astype(str)
            .merge(days.astype({"event_id": str}), on="event_id", how="inner")
            .assign(session=lambda f: pd.to_datetime(f["event_session"]))
        )
        announced = store.earnings(sorted(set(pairs["symbol"])))
        if pairs.empty or announced.empty:
            continue
        near = earnings_within(
            pairs.rename(columns={"session": "date"}), announced, sessions=1, exchange=exchange
        )
        frames.append(
            pd.DataFrame(
                {
                    "event_id": pairs["event_id"].to_numpy(),
                    "symbol": pairs["symbol"].to_numpy(),
                    "exchange": exchange,
                    "event_session": pairs["session"].dt.date.to_numpy(),
                    "earnings_count": near["earnings_count"].to_numpy(),
                    "earnings_dates": near["earnings_dates"].to_numpy(),
                }
            )
        )
    if not frames:
        return pd.DataFrame(columns=EARNINGS_COLUMNS)
    return pd.concat(frames, ignore_index=True)


def store_shares(store: Store, volume: pd.DataFrame) -> pd.DataFrame:
    """Shares outstanding in force on each session of ``volume`` (sessions x symbols).

    Each session takes the latest count disclosed on or before it, rescaled across later
    splits to the session's share basis (:func:`ipposaki.store.listed.turnover`).

    Parameters
    ----------
    store : Store
        Holds the prices and the dated share counts (``ipposaki data pull --source jquants
        --listed``).
    volume : pandas.DataFrame
        The study's sessions x symbols volumes.

    Returns
    -------
    pandas.DataFrame
        Aligned on ``volume``; NaN where no count is known.

    Raises
    ------
    InputError
        If the store holds no share count for any of the symbols.
    """
    from ipposaki.store.listed import turnover

    symbols = [str(c) for c in volume.columns]
    counts = store.shares_outstanding(symbols)
    if counts.empty:
        raise InputError(
            "turnover",
            True,
            "false, or shares outstanding in the store for these symbols (J-Quants listed "
            "data, see docs/data.md)",
        )
    prices = store.prices(symbols, volume.index[0], volume.index[-1])
    table = turnover(prices, counts)
    wide = table.pivot_table(index="session", columns="symbol", values="shares", aggfunc="last")
    return wide.reindex(index=volume.index, columns=volume.columns)


def _in_spec_terms(exc: InputError, spec: StudySpec, events: pd.DataFrame) -> InputError:
    """An engine error in the spec's own terms: ``[study].key`` (saying when the value is a
    default the spec did not write), or the symbols that have no benchmark."""
    if exc.argument in StudyTable.model_fields:
        key = exc.argument
        allowed = exc.allowed
        if key not in spec.study:
            allowed += f" (the default; set [study].{key} in the spec)"
        return InputError(f"[study].{key}", exc.value, allowed)
    if exc.argument == "market":
        bare = sorted(events.loc[events["market"].isna(), "symbol"].unique())
        model = spec.study.get("model", "market")
        return InputError(
            "[[events]].symbols",
            ", ".join(bare),
            f"symbols with a benchmark for model '{model}' (indices have none; study them "
            'with model = "raw" or "constant-mean" in their own spec)',
        )
    return exc
