"""The episodes section of the report: the scanner's worst episodes of the period, in words,
and the Forbes–Rigobon contagion test of the episode that holds the event."""

from __future__ import annotations

import re
from collections.abc import Mapping

import pandas as pd

from ipposaki.report.blocks import csv_link
from ipposaki.report.content import ReportTables, rows
from ipposaki.report.document import Block, Cell, Para, Table
from ipposaki.report.locale import Locale
from ipposaki.shock.result import ScanOutcome

__all__ = ["contagion_blocks", "episodes_blocks"]


def episodes_blocks(tables: ReportTables, loc: Locale) -> list[Block]:
    """The scanner's worst episodes of the period and the contagion test of the event's."""
    scan = tables.scan
    blocks: list[Block] = [
        Para(
            loc.t("episodes.intro", start=loc.date(scan.start), end=loc.date(scan.end)),
            links=csv_link(loc, "report_episodes.csv"),
        )
    ]
    if scan.note:
        blocks.append(Para(loc.t("episodes.unavailable"), cls="warn"))
    blocks.append(
        Table(
            "table-episodes",
            tuple(
                loc.t(f"episodes.col_{c}")
                for c in ("rank", "sessions", "severity", "baskets", "market", "events")
            ),
            tuple(
                (
                    Cell(str(r.rank)),
                    Cell(_episode_sessions(str(r.sessions), str(r.start), loc), "t"),
                    Cell(loc.num(r.severity, 1)),
                    Cell(_episode_baskets(str(r.baskets), str(r.start), tables, loc), "t"),
                    Cell(
                        _episode_baskets(str(getattr(r, "market", "")), str(r.start), tables, loc),
                        "t",
                    ),
                    Cell(_episode_events(str(r.events), scan.event_names, loc), "t"),
                )
                for r in rows(scan.episodes)
            ),
        )
    )
    return blocks + contagion_blocks(scan, loc)


_EPISODE_ITEM = re.compile(r"^(\S+) ([+-]?\d+(?:\.\d+)?)σ \((\w+) (\d\d)-(\d\d)\)$")


def _year_of(month: int, start: str) -> int:
    first = pd.Timestamp(start.split(" ")[-1])
    return first.year if month >= first.month else first.year + 1


def _episode_sessions(listing: str, start: str, loc: Locale) -> str:
    parts = []
    for item in listing.split(", "):
        bits = item.split(" ")
        if len(bits) != 2 or "-" not in bits[1]:
            return listing
        month, day = (int(x) for x in bits[1].split("-"))
        parts.append(
            loc.session(bits[0], f"{_year_of(month, start)}-{month:02d}-{day:02d}", year=False)
        )
    return " → ".join(parts)


def _episode_baskets(text: str, start: str, tables: ReportTables, loc: Locale) -> str:
    parts = []
    for item in text.split("; "):
        match = _EPISODE_ITEM.match(item.strip())
        if not match:
            if item.strip():
                return text
            continue
        basket, sar, mic, month, day = match.groups()
        if basket.startswith("universe:"):
            name = loc.t("episodes.universe", exchange=loc.exchange(basket.split(":")[1]))
        elif basket.startswith("EW:"):
            name = loc.t("episodes.equal_weight", exchange=loc.exchange(basket.split(":")[1]))
        else:
            name = tables.name(basket, loc.lang)
        when = loc.session(mic, f"{_year_of(int(month), start)}-{month}-{day}", year=False)
        parts.append(
            f"{name} {sar.replace('-', '−')}σ（{when}）"
            if loc.lang == "ja"
            else f"{name} {sar.replace('-', '−')}σ ({when})"
        )
    return loc.t("episodes.sep").join(parts)


def _episode_events(text: str, names: Mapping[str, tuple[str, str]], loc: Locale) -> str:
    ids = [e.strip() for e in text.split(",") if e.strip()]
    return loc.t("episodes.sep").join(
        (names.get(e, (e, e))[1] if loc.lang == "ja" else names.get(e, (e, e))[0]) for e in ids
    )


def contagion_blocks(scan: ScanOutcome, loc: Locale) -> list[Block]:
    """The Forbes–Rigobon test of the episode that holds the event, in words."""
    tests = scan.contagion
    if scan.rank is None or tests is None or tests.empty or scan.rank not in set(tests["rank"]):
        return []
    r = tests.loc[tests["rank"] == scan.rank].iloc[0]
    key = "episodes.contagion_yes" if bool(r["contagion"]) else "episodes.contagion_no"
    text = loc.t(
        key,
        rank=scan.rank,
        start=loc.session("XTKS", str(r["crisis_start"])[:10]),
        rho_t=loc.num(r["rho_tranquil"], 2),
        rho_c=loc.num(r["rho_crisis"], 2),
        ratio=loc.num(1 + r["delta"], 1),
        rho_adj=loc.num(r["rho_adjusted"], 2),
        p=loc.num(r["p_value"], 3),
    )
    return [Para(text, links=((loc.t("csv"), "report_contagion.csv"),))]
