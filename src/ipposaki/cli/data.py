"""``ipposaki data …``: import, pull and inspect prices, instruments and baskets."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from ipposaki.cli import output
from ipposaki.cli.options import StoreOption

if TYPE_CHECKING:
    from ipposaki.store import IngestResult, Store

app = typer.Typer(help="Import, pull and inspect prices in the store.", no_args_is_help=True)


def _store(path: Path | None) -> Store:
    from ipposaki.store import Store

    return Store(path)


def _ingest_payload(result: IngestResult) -> dict[str, object]:
    return {
        "sources": result.sources,
        "rows_read": result.rows_read,
        "rows_written": result.rows_written,
        "symbols": result.symbols,
        "new_instruments": result.new_instruments,
        "summary": result.summary.as_text(),
    }


def _echo_warnings(caught: list[warnings.WarningMessage]) -> None:
    for w in caught:
        output.note(f"warning: {w.category.__name__}: {w.message}")


@app.command("import")
def import_(
    files: Annotated[
        list[Path],
        typer.Argument(help="CSV or Parquet files, long or wide, or a data export directory."),
    ],
    store: StoreOption = None,
    layout: Annotated[str, typer.Option(help="auto, long or wide.")] = "auto",
    non_sessions: Annotated[
        str, typer.Option(help="Rows dated on non-sessions: error, or skip (with a warning).")
    ] = "error",
    replace_rows: Annotated[
        bool,
        typer.Option(
            help="Replace stored rows whole; by default a blank or absent column keeps its value."
        ),
    ] = False,
) -> None:
    """Validate FILES, then write them to the store in one transaction.

    Example: ipposaki data import ../shared/data/prices/daily.csv --non-sessions skip
    """
    import warnings

    from ipposaki.errors import InputError

    if layout not in ("auto", "long", "wide"):
        raise InputError("--layout", layout, "one of auto, long, wide")
    if non_sessions not in ("error", "skip"):
        raise InputError("--non-sessions", non_sessions, "one of error, skip")
    with warnings.catch_warnings(record=True) as caught, output.working("importing"):
        warnings.simplefilter("always")
        result = _store(store).import_files(
            files,
            layout=layout,  # type: ignore[arg-type]
            non_sessions=non_sessions,  # type: ignore[arg-type]
            replace_rows=replace_rows,
        )
    _echo_warnings(caught)
    output.text(result.summary.as_text())
    output.result(_ingest_payload(result))


@app.command()
def pull(
    ctx: typer.Context,
    symbols: Annotated[
        list[str] | None,
        typer.Argument(
            help="Yahoo symbols (NVDA 8035.T ^N225), or with --source jquants J-Quants codes "
            "(80350 8035 130A0) or Tokyo symbols."
        ),
    ] = None,
    *,
    start: Annotated[str, typer.Option(help="First date, YYYY-MM-DD.")],
    end: Annotated[str, typer.Option(help="Last date, YYYY-MM-DD.")],
    source: Annotated[
        str, typer.Option(help="yahoo, or jquants (extra 'jquants', key in JQUANTS_API_KEY).")
    ] = "yahoo",
    indices: Annotated[
        str,
        typer.Option(
            help="With --source jquants: indices, comma-separated: TOPIX, TOPIX33-<S33 code>, "
            "TOPIX17-<S17 code>, TOPIX33-*, TOPIX17-* (stored as ^TOPX, ^TOPIX33-3650, ...)."
        ),
    ] = "",
    listed: Annotated[
        bool,
        typer.Option(
            help="With --source jquants: also store the codes' TOPIX-17/33 sectors (and "
            "baskets sector33:<name>, sector17:<name>), shares outstanding and earnings dates."
        ),
    ] = False,
    store: StoreOption = None,
) -> None:
    """Download SYMBOLS from Yahoo Finance or J-Quants and write them to the store.

    J-Quants reads its API key from JQUANTS_API_KEY (or the client's
    ~/.jquants-api/jquants-api.toml), never from the command line; see docs/data.md.

    Example: ipposaki data pull NVDA 8035.T --start 2025-01-01 --end 2025-02-28

    Example: ipposaki data pull --source jquants 80350 --indices TOPIX --start 2025-01-06 --end 2025-02-28
    """  # noqa: E501
    import warnings

    from typer._click.exceptions import UsageError  # typer vendors Click (see cli.main)

    from ipposaki.cli.options import check_dates
    from ipposaki.errors import InputError

    if source not in ("yahoo", "jquants"):
        raise InputError("--source", source, "one of yahoo, jquants")
    index_names = [n.strip() for n in indices.split(",") if n.strip()]
    if index_names and source != "jquants":
        raise InputError("--indices", indices, "nothing unless --source jquants")
    if listed and (source != "jquants" or not symbols):
        raise InputError("--listed", True, "only with --source jquants and codes")
    if not symbols and not index_names:
        raise UsageError("Missing argument 'symbols'", ctx=ctx)
    start, end = check_dates(start, end)
    extra: dict[str, int] = {}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        if source == "jquants":
            from ipposaki.sources.jquants import load_jquants

            with output.working("pulling from J-Quants"):
                result = load_jquants(
                    _store(store), symbols or [], index_names, start, end, listed=listed
                )
            extra = dict(result.listed or {})
        else:
            from ipposaki.sources.yahoo import pull_yahoo

            rows = pull_yahoo(symbols or [], start, end)
            result = _store(store).ingest(rows, "yahoo", non_sessions="skip")
    _echo_warnings(caught)
    output.text(result.summary.as_text())
    payload = _ingest_payload(result)
    if listed:
        output.text(
            f"stored {extra['listed']} sector and share-count rows, {extra['earnings']} "
            f"earnings announcements and {extra['basket_members']} sector-basket members"
        )
        payload["listed"] = extra
    output.result(payload)


@app.command()
def info(store: StoreOption = None) -> None:
    """List stored symbols with their exchange, date range, row count and gaps.

    Example: ipposaki data info
    """
    import pandas as pd

    table = _store(store).info()
    output.result({"symbols": output.frame_records(table)})
    if table.empty:
        output.text("the store holds no prices yet: see 'ipposaki data import --help'")
        return
    with pd.option_context("display.max_rows", None, "display.width", 120):
        output.text(table.to_string(index=False))


@app.command()
def instruments(
    file: Annotated[Path | None, typer.Argument(help="CSV or TOML of instruments to add.")] = None,
    store: StoreOption = None,
) -> None:
    """Show the instruments table, or add instruments from FILE.

    Example: ipposaki data instruments my_instruments.toml
    """
    import pandas as pd

    from ipposaki.instruments import read_instruments

    st = _store(store)
    if file is not None:
        added = st.add_instruments(read_instruments(file))
        output.text(f"added {added} instruments")
        output.result({"added": added})
        return
    table = st.instruments()
    output.result({"instruments": output.frame_records(table)})
    with pd.option_context("display.max_rows", None, "display.width", 160):
        output.text(table.to_string(index=False))


@app.command()
def baskets(
    file: Annotated[Path | None, typer.Argument(help="CSV or TOML of baskets to add.")] = None,
    store: StoreOption = None,
) -> None:
    """Show the baskets, or add baskets from FILE (a basket of the same name is replaced).

    Example: ipposaki data baskets my_baskets.toml
    """
    from ipposaki.instruments import read_baskets

    st = _store(store)
    if file is not None:
        added = st.add_baskets(read_baskets(file))
        output.text(f"added {added} basket members")
        output.result({"added": added})
        return
    groups = st.baskets().groupby("basket", sort=True)["symbol"]
    output.result({"baskets": {name: list(members) for name, members in groups}})
    for name, members in groups:
        output.text(f"{name:<20} {', '.join(members)}")


@app.command()
def export(
    parquet: Annotated[Path, typer.Option(help="Target directory (must not exist yet).")],
    partition_by: Annotated[
        str, typer.Option(help="Partition columns: exchange, year and/or bucket (symbol hash).")
    ] = "exchange,year",
    store: StoreOption = None,
) -> None:
    """Write the store's prices as partitioned Parquet (read by study --parquet and Dask).

    Example: ipposaki data export --parquet out/prices --partition-by exchange,year
    """
    from ipposaki.store.parquet import export_partitioned

    path = export_partitioned(_store(store), parquet, partition_by.split(","))
    files = sorted(path.rglob("*.parquet"))
    output.text(f"wrote {len(files)} Parquet files to {path}")
    output.result({"out": path, "files": files})
