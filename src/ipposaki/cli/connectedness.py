"""``ipposaki spillover connectedness``: Diebold-Yilmaz (2012) spillover table and rolling index."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from ipposaki.cli import output
from ipposaki.cli.options import (
    StoreOption,
    check_date,
    check_out,
    split_list,
    write_out,
)

if TYPE_CHECKING:
    from ipposaki.spillover.connectedness import RollingConnectedness

__all__ = ["connectedness"]


def _chart(rolling: RollingConnectedness, path: Path) -> Path:
    """The rolling total index as a PNG (matplotlib's Agg canvas, no display needed)."""
    import pandas as pd
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    total = rolling.total
    fig = Figure(figsize=(9, 4))
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    try:
        x: Any = pd.DatetimeIndex(total.index)
    except (ValueError, TypeError):
        x = range(len(total))
    ax.plot(x, total.to_numpy(), color="#1f4e79", linewidth=1.2)
    ax.set_ylabel("total connectedness, %")
    ax.set_title(
        f"Rolling total connectedness: VAR({rolling.lags}), H={rolling.horizon}, "
        f"window {rolling.window}, step {rolling.step}"
    )
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    return path


def connectedness(
    returns: Annotated[
        Path | None,
        typer.Option(
            "--returns", help="CSV: first column the dates, then one numeric column per series."
        ),
    ] = None,
    symbols: Annotated[
        list[str] | None,
        typer.Option("--symbols", help="Stored symbols, comma-separated or repeated."),
    ] = None,
    source: Annotated[
        str, typer.Option("--from", help="With --symbols on two exchanges: the earlier one.")
    ] = "XNYS",
    target: Annotated[
        str, typer.Option("--to", help="With --symbols on two exchanges: the later one (rows).")
    ] = "XTKS",
    start: Annotated[str | None, typer.Option(help="First session (with --symbols).")] = None,
    end: Annotated[str | None, typer.Option(help="Last session (with --symbols).")] = None,
    lags: Annotated[int, typer.Option("--lags", help="VAR order p.")] = 1,
    horizon: Annotated[int, typer.Option("--horizon", help="Forecast horizon H.")] = 10,
    window: Annotated[
        int | None, typer.Option("--window", help="Rolling window, rows; adds rolling.csv/.png.")
    ] = None,
    step: Annotated[int, typer.Option("--step", help="Rows between rolling windows.")] = 1,
    out: Annotated[
        Path | None,
        typer.Option(help="Folder for table.csv, pairwise.csv, directional.csv, rolling.*"),
    ] = None,
    store: StoreOption = None,
) -> None:
    """Diebold-Yilmaz (2012) connectedness: generalized FEVD of a VAR, total, net, pairwise.

    The table has receivers as rows and senders as columns, in percent, with FROM, TO and NET
    and the total index (Pesaran-Shin generalized FEVD: the order of the series does not
    matter). Symbols on New York and Tokyo are aligned on Tokyo's sessions as in `spillover
    align`: each row holds the New York returns known before that Tokyo session opened.

    Example: ipposaki spillover connectedness --symbols ^GSPC,^SOX,^N225,8035.T --lags 1
    --horizon 10 --window 250 --out conn
    """
    from ipposaki.errors import InputError
    from ipposaki.spillover.connectedness import (
        connectedness as fit_connectedness,
    )
    from ipposaki.spillover.connectedness import (
        connectedness_returns,
        read_returns,
        rolling_connectedness,
    )

    names = split_list(symbols)
    if (returns is None) == (names is None):
        raise InputError("returns/symbols", "both" if names else "neither", "exactly one of them")
    if returns is not None and (start is not None or end is not None):
        raise InputError(
            "start/end", f"{start}..{end}", "only with --symbols (cut the file instead)"
        )
    if start is not None:
        start = check_date(start, "start")
    if end is not None:
        end = check_date(end, "end")
    check_out(out)
    if returns is not None:
        data = read_returns(returns)
        manifest: dict[str, Any] = {"returns": str(returns)}
    else:
        from ipposaki.store import Store

        data, manifest = connectedness_returns(
            Store(store), names or [], start, end, source, target
        )
        if manifest.get("dropped_rows"):
            output.note(f"dropped {manifest['dropped_rows']} session(s) with a missing return")
    res = fit_connectedness(data, lags, horizon, manifest=manifest)
    rolling = None
    if window is not None:
        with output.working("rolling connectedness"):
            rolling = rolling_connectedness(data, lags, horizon, window, step, manifest=manifest)
    output.text(res.summary)
    if rolling is not None:
        output.text(rolling.summary)
    table = res.table.reset_index()
    written: list[Path] = []
    if out is not None:

        def write(folder: Path) -> list[Path]:
            files = {
                "table.csv": table,
                "pairwise.csv": res.pairwise,
                "directional.csv": res.directional.reset_index(),
            }
            if rolling is not None:
                files["rolling.csv"] = rolling.frame
            paths = []
            for name, frame in files.items():
                frame.to_csv(folder / name, index=False)
                paths.append(folder / name)
            if rolling is not None:
                paths.append(_chart(rolling, folder / "rolling.png"))
            return paths

        written = write_out(out, write)
        output.text(f"wrote {out}")
    doc: dict[str, Any] = {
        "total": res.total,
        "table": output.frame_records(table),
        "directional": output.frame_records(res.directional.reset_index()),
        "pairwise": output.frame_records(res.pairwise),
        "manifest": res.manifest,
        "out": out,
        "files": [p.name for p in written],
    }
    if rolling is not None:
        doc["rolling"] = output.frame_records(rolling.frame[["end", "total"]])
    output.result(doc)
