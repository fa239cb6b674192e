"""``ipposaki spillover connectedness``: Diebold-Yilmaz (2012) spillover table and rolling index."""

from __future__ import annotations

from dataclasses import replace
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
    import pandas as pd

__all__ = ["connectedness"]


_Returns = Annotated[
    Path | None,
    typer.Option(
        "--returns", help="CSV: first column the dates, then one numeric column per series."
    ),
]
_Symbols = Annotated[
    list[str] | None,
    typer.Option("--symbols", help="Stored symbols, comma-separated or repeated."),
]
_From = Annotated[
    str, typer.Option("--from", help="With --symbols on two exchanges: the earlier one.")
]
_To = Annotated[
    str, typer.Option("--to", help="With --symbols on two exchanges: the later one (rows).")
]
_Start = Annotated[str | None, typer.Option(help="First session (with --symbols).")]
_End = Annotated[str | None, typer.Option(help="Last session (with --symbols).")]
_Lags = Annotated[int, typer.Option("--lags", help="VAR order p.")]
_Horizon = Annotated[int, typer.Option("--horizon", help="Forecast horizon H.")]
_Window = Annotated[
    int | None, typer.Option("--window", help="Rolling window, rows; adds rolling.csv/.png.")
]
_Step = Annotated[int, typer.Option("--step", help="Rows between rolling windows.")]
_Out = Annotated[
    Path | None,
    typer.Option(help="Folder for table.csv, pairwise.csv, directional.csv, rolling.*"),
]


def connectedness(
    returns: _Returns = None,
    symbols: _Symbols = None,
    source: _From = "XNYS",
    target: _To = "XTKS",
    start: _Start = None,
    end: _End = None,
    lags: _Lags = 1,
    horizon: _Horizon = 10,
    window: _Window = None,
    step: _Step = 1,
    out: _Out = None,
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
    from ipposaki.spillover.connectedness import (
        connectedness as fit_connectedness,
    )
    from ipposaki.spillover.connectedness import rolling_connectedness

    names = split_list(symbols)
    start, end = _check_inputs(returns, names, start, end)
    check_out(out)
    data, manifest = _read(returns, names, store, start, end, source, target)
    res = fit_connectedness(data, lags, horizon, manifest=manifest)
    if window is not None:
        with output.working("rolling connectedness"):
            rolling = rolling_connectedness(data, lags, horizon, window, step, manifest=manifest)
        res = replace(res, rolling=rolling)
    output.text(res.summary.as_text())
    written: list[Path] = []
    if out is not None:
        written = write_out(out, res.to_dir)
        output.text(f"wrote {out}")
    table = res.table.reset_index()
    doc: dict[str, Any] = {
        "total": res.total,
        "table": output.frame_records(table),
        "directional": output.frame_records(res.directional.reset_index()),
        "pairwise": output.frame_records(res.pairwise),
        "manifest": res.manifest,
        "out": out,
        "files": [p.name for p in written],
    }
    if res.rolling is not None:
        doc["rolling"] = output.frame_records(res.rolling.frame[["end", "total"]])
    output.result(doc)


def _check_inputs(
    returns: Path | None, names: list[str] | None, start: str | None, end: str | None
) -> tuple[str | None, str | None]:
    """Check that exactly one source is given and the dates, before anything is read.

    Parameters
    ----------
    returns : pathlib.Path or None
        The ``--returns`` file.
    names : list of str or None
        The ``--symbols``, split.
    start, end : str or None
        The ``--start`` and ``--end`` dates (only with ``--symbols``).

    Returns
    -------
    start, end : str or None
        The dates, stripped.

    Raises
    ------
    InputError
        For both sources or neither, dates with a returns file, or a date not YYYY-MM-DD.
    """
    from ipposaki.errors import InputError

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
    return start, end


def _read(
    returns: Path | None,
    names: list[str] | None,
    store: Path | None,
    start: str | None,
    end: str | None,
    source: str,
    target: str,
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """The returns to fit, from the file or from the store's symbols, and their manifest.

    Parameters
    ----------
    returns : pathlib.Path or None
        A returns CSV; else ``names`` are read from the store.
    names : list of str or None
        Stored symbols.
    store : pathlib.Path or None
        The store file (None: the default).
    start, end : str or None
        The sessions to read from the store.
    source, target : str
        The earlier and the later exchange, for symbols on two exchanges.

    Returns
    -------
    data : pandas.DataFrame
        One column per series.
    manifest : dict
        Where the returns came from.
    """
    from ipposaki.spillover.connectedness import connectedness_returns, read_returns

    if returns is not None:
        return read_returns(returns), {"returns": str(returns)}
    from ipposaki.store import Store

    data, manifest = connectedness_returns(Store(store), names or [], start, end, source, target)
    if manifest.get("dropped_rows"):
        output.note(f"dropped {manifest['dropped_rows']} session(s) with a missing return")
    return data, manifest
