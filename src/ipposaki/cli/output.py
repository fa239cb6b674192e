"""What a command prints, under the global ``--quiet`` and ``--json`` options.

- By default a command prints its result as text on stdout, notes and warnings on stderr, and
  progress bars (on a terminal) on stderr.
- ``--quiet`` prints nothing but errors; the exit code tells the outcome.
- ``--json`` prints one JSON document on stdout, the command's result, and nothing else there;
  warnings still go to stderr.

Commands call :func:`text`, :func:`note` and :func:`result`; the root callback sets the mode
with :func:`configure` before each command runs.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import typer

if TYPE_CHECKING:
    import pandas as pd
    from rich.console import Console

__all__ = [
    "configure",
    "dumps",
    "frame_records",
    "note",
    "progress_steps",
    "result",
    "shows_progress",
    "text",
    "working",
]


@dataclass
class _Mode:
    quiet: bool = False
    json: bool = False


_MODE = _Mode()


def configure(quiet: bool = False, as_json: bool = False) -> None:
    """Set the output mode for the command about to run."""
    _MODE.quiet, _MODE.json = quiet, as_json


def shows_progress() -> bool:
    """Whether progress bars may draw (neither ``--quiet`` nor ``--json``)."""
    return not (_MODE.quiet or _MODE.json)


def text(message: str) -> None:
    """Print a line of the command's result (text mode only)."""
    if not (_MODE.quiet or _MODE.json):
        typer.echo(message)


def note(message: str) -> None:
    """Print a progress note or warning on stderr (not with ``--quiet``)."""
    if not _MODE.quiet:
        typer.echo(message, err=True)


def dumps(payload: dict[str, Any]) -> str:
    """``payload`` as JSON text: NaN as null, sessions as ``YYYY-MM-DD``, paths as text."""
    from ipposaki.results import plain

    return json.dumps(plain(payload), ensure_ascii=False, indent=2)


def result(payload: dict[str, Any]) -> None:
    """Print ``payload`` as the command's JSON document (``--json`` only)."""
    if _MODE.json:
        typer.echo(dumps(payload))


def frame_records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """A pandas frame as JSON-ready records (NaN to null, timestamps to ISO text)."""
    from ipposaki.results import plain

    return [plain(r) for r in frame.to_dict("records")]


def _terminal() -> Console | None:
    """A rich console on stderr when progress may draw there: a terminal, not quiet or JSON."""
    if _MODE.quiet or _MODE.json:
        return None
    from rich.console import Console

    console = Console(stderr=True)
    return console if console.is_terminal else None


@contextmanager
def working(description: str, show: bool = True) -> Iterator[None]:
    """A spinner with ``description`` on stderr while one long step runs (terminal only).

    ``show=False`` skips it, e.g. when the step draws its own progress bar.
    """
    console = _terminal() if show else None
    if console is None:
        yield
        return
    with console.status(description):
        yield


@contextmanager
def progress_steps(total: int) -> Iterator[Callable[[str], None]]:
    """A rich progress bar over ``total`` named steps, on stderr; silent when quiet or JSON.

    Yields a function to call at the start of each step with its description. The bar only
    draws on a terminal (rich's own check); elsewhere each step is a plain note line, so logs
    and CI output stay readable.
    """
    console = _terminal()
    if console is None:
        yield (lambda _d: None) if _MODE.quiet or _MODE.json else (lambda d: note(f"... {d}"))
        return
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as bar:
        task = bar.add_task("", total=total)
        started = False

        def step(description: str) -> None:
            nonlocal started
            if started:
                bar.advance(task)
            started = True
            bar.update(task, description=description)

        yield step
        bar.advance(task)
