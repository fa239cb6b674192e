"""A versioned catalogue of real events, each with a zoned timestamp and a source.

The built-in catalogue (``ipposaki/data/events.toml``) holds the events of the mission, taken from
``shared/facts/FACTS.md``. Users add their own with a TOML file of the same layout
(``[[events]]`` tables with ``id``, ``name``, ``timestamp`` with its zone, ``description`` and
``source``); an id that repeats, or a timestamp without a zone, is rejected naming its line.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import pandas as pd

from ipposaki.crossmarket import event_sessions
from ipposaki.errors import DataValidationError, InputError, UnknownNameError

__all__ = ["CatalogEvent", "builtin_catalog", "load_catalog"]


@dataclass(frozen=True)
class CatalogEvent:
    """One event of the catalogue."""

    id: str
    name: str
    name_ja: str
    timestamp: pd.Timestamp
    precision: str
    description: str
    source: str

    def sessions(self, exchanges: tuple[str, ...] = ("XTKS", "XNYS")) -> pd.DataFrame:
        """Each exchange's event session (see :func:`ipposaki.crossmarket.event_sessions`)."""
        return event_sessions(self.timestamp, exchanges)


@dataclass(frozen=True)
class Catalog:
    """A set of events, by id."""

    events: tuple[CatalogEvent, ...]
    version: int = 1

    def get(self, event_id: str) -> CatalogEvent:
        """Return the event ``event_id``; an unknown id lists close matches."""
        for ev in self.events:
            if ev.id == event_id:
                return ev
        raise UnknownNameError("event", event_id, [e.id for e in self.events])

    def table(self) -> pd.DataFrame:
        """One row per event: id, name, name_ja, timestamp (UTC), precision, source."""
        return pd.DataFrame(
            [
                {
                    "id": e.id,
                    "name": e.name,
                    "name_ja": e.name_ja,
                    "timestamp": e.timestamp,
                    "precision": e.precision,
                    "source": e.source,
                }
                for e in self.events
            ]
        )

    def near(self, start: pd.Timestamp, end: pd.Timestamp) -> list[CatalogEvent]:
        """Events with a timestamp in [start, end] (UTC)."""
        return [e for e in self.events if start <= e.timestamp <= end]

    def __add__(self, other: Catalog) -> Catalog:
        ids = {e.id for e in self.events}
        dup = [e.id for e in other.events if e.id in ids]
        if dup:
            raise InputError("catalogue", dup[0], "an event id not already in the catalogue")
        return Catalog(self.events + other.events, max(self.version, other.version))


def _line_of(text: str, needle: str) -> int:
    for number, line in enumerate(text.splitlines(), start=1):
        if needle in line:
            return number
    return 0


#: The keys of a catalogue event, every one text.
_EVENT_KEYS = ("id", "name", "name_ja", "timestamp", "precision", "description", "source")


def _parse(text: str, source: str) -> Catalog:
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise DataValidationError(source, f"not valid TOML: {exc}") from None
    raw = doc.get("events")
    if not isinstance(raw, list) or not raw:
        raise DataValidationError(source, "expected [[events]] tables")
    extra = sorted(set(doc) - {"version", "events"})
    if extra:
        raise DataValidationError(
            source,
            f"line {_line_of(text, extra[0])}: unknown key {extra[0]!r}: expected version and "
            "[[events]] tables",
        )
    seen: set[str] = set()
    events = []
    for i, ev in enumerate(raw):
        if not isinstance(ev, dict):
            raise DataValidationError(
                source,
                f"event {i + 1}: {ev!r} is not allowed: expected an [[events]] table with id, "
                "name, timestamp and source",
            )
        ev_id = str(ev.get("id", ""))
        line = _line_of(text, f'"{ev_id}"') if ev_id else 0
        for key in ("id", "name", "timestamp", "source"):
            if not ev.get(key):
                raise DataValidationError(source, f"event {i + 1} (line {line}): missing '{key}'")
        if ev_id in seen:
            second = [n for n, ln in enumerate(text.splitlines(), 1) if f'"{ev_id}"' in ln]
            at = second[1] if len(second) > 1 else line
            raise DataValidationError(source, f"line {at}: duplicate event id {ev_id!r}")
        seen.add(ev_id)
        unknown = sorted(set(ev) - set(_EVENT_KEYS))
        texts = [k for k in _EVENT_KEYS if k != "timestamp"]  # a TOML datetime is a timestamp
        bad = next((k for k in texts if k in ev and not isinstance(ev[k], str)), None)
        if unknown or bad is not None:
            key = unknown[0] if unknown else str(bad)
            allowed = f"keys among {', '.join(_EVENT_KEYS)}" if unknown else "text"
            raise DataValidationError(
                source,
                f"line {_line_of(text, key) or line}: {key}={ev[key]!r} of event {ev_id!r} is not "
                f"allowed: expected {allowed}",
            )
        if ev.get("precision", "minute") not in ("minute", "day"):
            raise DataValidationError(
                source,
                f"line {_line_of(text, 'precision')}: precision={ev['precision']!r} of event "
                f"{ev_id!r} is not allowed: expected minute or day",
            )
        try:
            stamp = pd.Timestamp(str(ev["timestamp"]))
        except (ValueError, TypeError, OverflowError):
            at = _line_of(text, str(ev["timestamp"]))
            raise DataValidationError(
                source,
                f"line {at}: timestamp={ev['timestamp']!r} of event {ev_id!r} is not a "
                "timestamp: expected e.g. 2025-01-27T09:00+09:00",
            ) from None
        if stamp.tzinfo is None:
            at = _line_of(text, str(ev["timestamp"]))
            raise DataValidationError(
                source,
                f"line {at}: timestamp={ev['timestamp']!r} of event {ev_id!r} has no zone: "
                "expected e.g. 2025-01-27T09:00+09:00",
            )
        events.append(
            CatalogEvent(
                id=ev_id,
                name=str(ev["name"]),
                name_ja=str(ev.get("name_ja", ev["name"])),
                timestamp=stamp.tz_convert("UTC"),
                precision=str(ev.get("precision", "minute")),
                description=str(ev.get("description", "")),
                source=str(ev["source"]),
            )
        )
    version = doc.get("version", 1)
    if not isinstance(version, int) or isinstance(version, bool):
        raise DataValidationError(
            source, f"version={version!r} is not allowed: expected an integer"
        )
    return Catalog(tuple(events), version)


def builtin_catalog() -> Catalog:
    """Return the built-in catalogue of real events."""
    text = resources.files("ipposaki").joinpath("data").joinpath("events.toml").read_text("utf-8")
    return _parse(text, "ipposaki/data/events.toml")


def load_catalog(path: str | Path | None = None) -> Catalog:
    """Return the built-in catalogue, plus the user's events in ``path`` when given.

    Parameters
    ----------
    path : str or pathlib.Path, optional
        A TOML file of ``[[events]]``.

    Returns
    -------
    Catalog
        The events.

    Raises
    ------
    DataValidationError
        Naming the line of a duplicate id or a timestamp without a zone.
    """
    catalog = builtin_catalog()
    if path is None:
        return catalog
    path = Path(path)
    if not path.is_file():
        raise InputError("catalog", str(path), "an existing TOML file")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(
            "catalog", str(path), f"a UTF-8 TOML file (byte {exc.start} is not UTF-8)"
        ) from None
    return catalog + _parse(text, str(path))
