"""Output folders written through a staging folder, so a failure leaves the old folder as it was.

Every command that writes files writes them first into a hidden folder beside the output folder
(``.<name>.<random>.staging``, on the same file system), then publishes them:

- when the output folder does not exist, the staging folder is renamed to it (one atomic rename);
- when it exists, each new file replaces its namesake with an atomic rename, and files of the
  folder that this run did not write are left alone (nothing of the user's is deleted).

If anything fails before publishing, the staging folder is removed and the output folder, and
any parent folders the run created for it, are as they were.

Examples
--------
>>> import pathlib, tempfile
>>> out = pathlib.Path(tempfile.mkdtemp()) / "study"
>>> with staged(out) as folder:
...     _ = (folder / "summary.txt").write_text("done\\n")
>>> sorted(p.name for p in out.iterdir())
['summary.txt']
>>> try:
...     with staged(out) as folder:
...         _ = (folder / "summary.txt").write_text("half\\n")
...         raise RuntimeError("the run failed")
... except RuntimeError:
...     pass
>>> (out / "summary.txt").read_text()
'done\\n'
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from ipposaki.errors import InputError

__all__ = ["check_writable", "published", "staged"]


def check_writable(out: Path, argument: str = "out") -> None:
    """Refuse an output folder that is a file or lies under a folder we cannot write to.

    Parameters
    ----------
    out : pathlib.Path
        The output folder (it need not exist).
    argument : str, default "out"
        The argument's name, for the message.

    Raises
    ------
    InputError
        If ``out`` (or one of its parents) is a file, or the nearest existing folder is not
        writable.
    """
    if out.exists() and not out.is_dir():
        raise InputError(argument, str(out), "a folder (that path is a file)")
    parent = out if out.exists() else out.parent
    while not parent.exists():
        parent = parent.parent
    if not parent.is_dir():
        raise InputError(argument, str(out), f"a folder ({parent} is a file)")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise InputError(argument, str(out), f"a folder you can write to ({parent} is not)")


def _missing_parents(folder: Path) -> list[Path]:
    """The ancestors of ``folder`` that do not exist yet, outermost first."""
    missing = []
    for parent in folder.absolute().parents:
        if parent.exists():
            break
        missing.append(parent)
    return missing[::-1]


@contextmanager
def staged(out: str | Path, argument: str = "out", inputs: Sequence[Path] = ()) -> Iterator[Path]:
    """Yield a staging folder for ``out``; publish its files into ``out`` when the block ends.

    Parameters
    ----------
    out : str or pathlib.Path
        The output folder.
    argument : str, default "out"
        The argument's name, for messages.
    inputs : sequence of pathlib.Path, default ()
        The command's input files: an output that would replace one of them is refused
        (``--prices out/ar.csv --out out`` would have lost the prices).

    Yields
    ------
    pathlib.Path
        The staging folder: write every output file here, under the same relative paths.

    Raises
    ------
    InputError
        If ``out`` cannot be written (see :func:`check_writable`), or a new file would replace
        a folder of the same name in ``out`` or one of ``inputs`` (checked before anything is
        moved).
    """
    out = Path(out)
    check_writable(out, argument)
    created = _missing_parents(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".staging", dir=out.parent))
    try:
        yield stage
        _publish(stage, out, argument, inputs)
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        for parent in reversed(created):
            try:
                parent.rmdir()  # only if still empty
            except OSError:
                break
        raise
    finally:
        shutil.rmtree(stage, ignore_errors=True)


def _publish(stage: Path, out: Path, argument: str, inputs: Sequence[Path] = ()) -> None:
    """Move the staged files into ``out``: one rename if ``out`` is new, else file by file."""
    if not out.exists():
        os.replace(stage, out)
        return
    files = sorted(p for p in stage.rglob("*") if not p.is_dir())
    read = {p.resolve() for p in inputs}
    for path in files:  # every clash is found before the first file moves
        target = out / path.relative_to(stage)
        if target.resolve() in read:
            raise InputError(
                argument,
                str(out),
                f"a folder that does not hold the input file {target} (an output of the same "
                "name would replace it)",
            )
        clash = next((p for p in (target, *target.parents) if p.is_file() and p != target), None)
        if (target.exists() and target.is_dir()) or clash is not None:
            raise InputError(argument, str(out), f"a folder where {clash or target} can be written")
    for path in files:
        target = out / path.relative_to(stage)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(path, target)


def published(paths: Sequence[str | Path], stage: Path, out: Path) -> list[Path]:
    """Map files written under ``stage`` to where they are after publishing into ``out``.

    Parameters
    ----------
    paths : sequence of str or pathlib.Path
        Paths returned by a writer that wrote into ``stage``.
    stage : pathlib.Path
        The staging folder.
    out : pathlib.Path
        The output folder.

    Returns
    -------
    list[pathlib.Path]
        The same files under ``out``.
    """
    return [out / Path(p).relative_to(stage) for p in paths]
