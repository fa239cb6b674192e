"""``ipposaki events``, ``ipposaki scan`` and ``ipposaki contagion``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ipposaki.cli import output
from ipposaki.cli.options import (
    StoreOption,
    check_dates,
    check_number,
    check_out,
    split_list,
    write_out,
)
from ipposaki.study.windows import MAX_SESSIONS

app = typer.Typer(help="The event catalogue: real events with sources.", no_args_is_help=True)

CatalogOption = Annotated[
    Path | None,
    typer.Option("--catalog", help="Your own events (TOML), added to the built-in ones."),
]


@app.command("list")
def list_events(catalog: CatalogOption = None) -> None:
    """List the events: id, UTC timestamp, precision, name.

    Example: ipposaki events list
    """
    from ipposaki.events import load_catalog

    events = load_catalog(catalog).events
    for ev in events:
        output.text(f"{ev.id:<28} {ev.timestamp:%Y-%m-%d %H:%M}Z  {ev.precision:<6}  {ev.name}")
    output.result(
        {
            "events": [
                {"id": e.id, "timestamp": e.timestamp, "precision": e.precision, "name": e.name}
                for e in events
            ]
        }
    )


@app.command()
def show(
    event_id: Annotated[str, typer.Argument(help="An event id.")], catalog: CatalogOption = None
) -> None:
    """Show one event: names, timestamp, source, and each exchange's event session.

    Example: ipposaki events show deepseek_shock
    """
    from ipposaki.events import load_catalog

    ev = load_catalog(catalog).get(event_id)
    output.text(f"{ev.id}: {ev.name} / {ev.name_ja}")
    output.text(f"timestamp: {ev.timestamp.isoformat()} (precision: {ev.precision})")
    output.text(f"description: {ev.description}")
    output.text(f"source: {ev.source}")
    output.text(ev.sessions().to_string(index=False))
    output.result(
        {
            "id": ev.id,
            "name": ev.name,
            "name_ja": ev.name_ja,
            "timestamp": ev.timestamp,
            "precision": ev.precision,
            "description": ev.description,
            "source": ev.source,
            "sessions": output.frame_records(ev.sessions()),
        }
    )


def scan(
    start: Annotated[str, typer.Option(help="First session to scan.")],
    end: Annotated[str, typer.Option(help="Last session to scan.")],
    universe: Annotated[
        list[str] | None, typer.Option(help="Baskets (repeat or comma-separate), or all.")
    ] = None,
    z: Annotated[float, typer.Option(help="SAR threshold.")] = 2.0,
    k: Annotated[int | None, typer.Option(help="Members beyond z that flag a basket.")] = None,
    window: Annotated[int, typer.Option(help="Rolling market-model window.")] = 250,
    max_gap: Annotated[
        int, typer.Option(help="Unflagged sessions allowed between flagged ones of an episode.")
    ] = 0,
    max_sessions: Annotated[
        int, typer.Option(help="Most sessions (both exchanges) in one episode.")
    ] = 5,
    market: Annotated[
        bool, typer.Option(help="Also score each exchange's indices on their EWMA volatility.")
    ] = True,
    out: Annotated[Path | None, typer.Option(help="Folder for episodes.csv and flags.csv.")] = None,
    catalog: CatalogOption = None,
    store: StoreOption = None,
    parquet: Annotated[
        Path | None, typer.Option(help="Read prices from a partitioned Parquet directory.")
    ] = None,
) -> None:
    """Find the sessions when baskets or whole markets moved, and rank the episodes.

    Example: ipposaki scan --universe all --start 2024-06-01 --end 2025-03-31
    """
    from ipposaki.events import load_catalog
    from ipposaki.scan import scan as run_scan
    from ipposaki.store import Store

    start, end = check_dates(start, end)
    check_number(z, "--z", low=0, low_open=True)
    check_number(k, "--k", low=1)
    check_number(window, "--window", low=2, high=MAX_SESSIONS)
    check_number(max_gap, "--max-gap", low=0)
    check_number(max_sessions, "--max-sessions", low=1)
    check_out(out)
    names = split_list(universe) or ["all"]
    with output.working("scanning"):
        res = run_scan(
            Store(store),
            start,
            end,
            names,
            z=z,
            k=k,
            window=window,
            max_gap=max_gap,
            catalog=load_catalog(catalog),
            parquet=parquet,
            max_sessions=max_sessions,
            market=market,
        )
    output.text(res.summary.as_text())
    if out is not None:
        write_out(out, res.to_dir)
        output.text(f"wrote {out}")
    output.result(
        {
            "out": out,
            "episodes": output.frame_records(res.episodes),
            "contagion": output.frame_records(res.contagion),
        }
    )


def contagion(
    basket: Annotated[list[str], typer.Option(help="Baskets; repeat for more.")],
    event: Annotated[str | None, typer.Option(help="A catalogue event id.")] = None,
    timestamp: Annotated[str | None, typer.Option(help="Or the event's zoned timestamp.")] = None,
    out: Annotated[Path | None, typer.Option(help="Folder for paths.csv, comovement.csv.")] = None,
    catalog: CatalogOption = None,
    store: StoreOption = None,
) -> None:
    """Show each basket's CAAR path on its own exchange in UTC order, and their co-movement.

    Example: ipposaki contagion --event deepseek_shock --basket us_ai_chips --basket us_power
    """
    from ipposaki.errors import InputError
    from ipposaki.events import load_catalog
    from ipposaki.scan.contagion import contagion as view
    from ipposaki.store import Store

    if (event is None) == (timestamp is None):
        raise InputError("--event/--timestamp", None, "exactly one of --event ID or --timestamp TS")
    check_out(out)
    when = load_catalog(catalog).get(event).timestamp if event else timestamp
    res = view(Store(store), when, basket)
    output.text(res.summary.as_text())
    if out is not None:
        write_out(out, res.to_dir)
        output.text(f"wrote {out}")
    output.result(
        {
            "out": out,
            "paths": output.frame_records(res.paths),
            "comovement": output.frame_records(res.comovement),
        }
    )
