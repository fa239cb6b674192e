"""Options and helpers that several ``ipposaki`` commands share."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from ipposaki.study.engine import ChunkRunner

__all__ = [
    "BackendOption",
    "PricesOption",
    "ReturnsOption",
    "SchedulerOption",
    "StoreOption",
    "WindowOption",
    "chunk_runner",
    "check_date",
    "check_dates",
    "check_number",
    "check_out",
    "split_list",
    "input_files",
    "write_out",
]

StoreOption = Annotated[
    Path | None,
    typer.Option(
        "--store",
        envvar="IPPOSAKI_STORE",
        help="DuckDB store file (default: IPPOSAKI_STORE, else the user data directory).",
    ),
]

#: ``--prices FILE``: a prices file to read returns from.
PricesOption = Annotated[Path | None, typer.Option(help="Prices, CSV or Parquet, long or wide.")]
#: ``--returns FILE``: a returns file.
ReturnsOption = Annotated[Path | None, typer.Option(help="Returns, CSV or Parquet, long or wide.")]
#: ``--estimation-window``, ``--event-window``: a window of sessions relative to the event.
WindowOption = Annotated[str, typer.Option(help="Relative sessions A:B.")]
#: ``--backend``: see :func:`chunk_runner`.
BackendOption = Annotated[str, typer.Option(help="Where the blocks of pairs run: local or dask.")]
#: ``--scheduler``: see :func:`chunk_runner`.
SchedulerOption = Annotated[
    str, typer.Option(help="For --backend dask: local, local:N or tcp://HOST:PORT.")
]
#: ``--threads``: see :func:`chunk_runner`.
ThreadsOption = Annotated[
    int | None,
    typer.Option(help="For --backend local: blocks run at once (default: one per core, up to 4)."),
]


def split_list(values: list[str] | None) -> list[str] | None:
    """Flatten repeated and comma-separated option values: ``["a,b", "c"]`` -> ``[a, b, c]``."""
    if not values:
        return None
    return [v.strip() for item in values for v in item.split(",") if v.strip()]


def write_out(
    out: Path, write: Callable[[Path], Sequence[str | Path] | None], option: str = "--out"
) -> list[Path]:
    """Run ``write(folder)`` on a staging folder and publish it as ``out`` (see
    :mod:`ipposaki.outdir`); return the written files as they are under ``out``."""
    from ipposaki.outdir import published, staged

    with staged(out, option, input_files()) as stage:
        paths = write(stage) or []
    return published(paths, stage, out)


def input_files() -> list[Path]:
    """The files the running command was given (its path arguments and options, those of the
    commands around it too), so that an output never replaces one of them."""
    from typer._click.globals import get_current_context  # typer vendors Click (see cli.main)

    files: list[Path] = []
    ctx = get_current_context(silent=True)
    while ctx is not None:
        for value in ctx.params.values():
            for item in value if isinstance(value, list | tuple) else [value]:
                if isinstance(item, Path) and item.is_file():
                    files.append(item)
        ctx = ctx.parent
    return files


def check_date(value: str, option: str) -> str:
    """Return ``value`` if it is a date written YYYY-MM-DD, else raise naming ``option``."""
    from ipposaki.sources.files import parse_iso_date

    parse_iso_date(value, option)
    return value.strip()


def check_dates(start: str, end: str, start_option: str = "--start") -> tuple[str, str]:
    """Check both dates of a range and that the first is not after the second."""
    from ipposaki.errors import InputError

    first, last = check_date(start, start_option), check_date(end, "--end")
    if first > last:
        raise InputError(start_option, first, f"a date on or before --end {last}")
    return first, last


def check_out(out: Path | None, option: str = "--out") -> None:
    """Refuse an output folder that is a file or cannot be written, before any work is done."""
    from ipposaki.outdir import check_writable

    if out is not None:
        check_writable(out, option)


def check_number(
    value: float | None,
    option: str,
    *,
    low: float,
    low_open: bool = False,
    high: float | None = None,
) -> None:
    """Refuse NaN and values outside [low, high] (``low`` excluded when ``low_open``)."""
    import math

    from ipposaki.errors import InputError

    if value is None:
        return
    bad = math.isnan(value) or value < low or (low_open and value == low)
    bad = bad or (high is not None and value > high)
    if bad:
        lo = f"> {low:g}" if low_open else f">= {low:g}"
        hi = f" and <= {high:g}" if high is not None else ""
        raise InputError(option, value, f"a number {lo}{hi}")


def chunk_runner(
    backend: str, scheduler: str, progress: bool, threads: int | None = None
) -> ChunkRunner | None:
    """The chunk runner for ``--backend``, ``--scheduler`` and ``--threads``, checked before any
    data is read.

    Parameters
    ----------
    backend : str
        ``local`` (None: the engine's own runner) or ``dask``.
    scheduler : str
        For dask: ``local``, ``local:N`` or ``tcp://HOST:PORT``; must stay ``local`` otherwise.
    progress : bool
        Whether the Dask backend draws its own progress bar.
    threads : int, optional
        For local: blocks run at once (:class:`~ipposaki.study.engine.LocalRunner`).

    Raises
    ------
    InputError
        For an unknown backend, a scheduler without ``--backend dask``, threads below one or
        with ``--backend dask``, or dask not installed.
    """
    from ipposaki.errors import InputError

    if threads is not None and threads < 1:
        raise InputError("--threads", threads, "an integer >= 1")
    if backend == "local":
        if scheduler != "local":
            raise InputError("--scheduler", scheduler, "the default unless --backend dask")
        if threads is None:
            return None
        from ipposaki.study.engine import LocalRunner

        return LocalRunner(threads=threads)
    if threads is not None and backend == "dask":
        raise InputError("--threads", threads, "the default with --backend dask (use --scheduler)")
    if backend != "dask":
        raise InputError("--backend", backend, "local or dask")
    try:
        from ipposaki.study.distributed import DaskBackend
    except ImportError:  # distributed is an extra
        raise InputError("--backend", backend, "dask after pip install 'ipposaki[dask]'") from None
    return DaskBackend(scheduler, progress=progress)
