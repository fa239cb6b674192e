"""The protocol every result of ipposaki follows.

A result is read-only. It has

* ``summary``: a :class:`Summary`, prose lines and tables that render as plain text, HTML,
  Markdown and LaTeX (``str(result)`` and a notebook's ``_repr_html_`` delegate to it);
* ``manifest``: a read-only mapping of what produced it (parameters, data hash, versions,
  exclusions with reasons);
* ``frames()``: its tidy tables by name (the names are the files ``to_dir`` writes) and
  ``to_frame()``, the main one;
* ``to_dir(path)``: writes every frame as CSV, ``summary.txt`` and ``manifest.json``.

Result classes subclass :class:`Result` and implement the three abstract members; the rest
follows. A result that holds others (one study per exchange) names them in ``parts()``, and one
that writes more than tables (a chart, a JSON document) does so in ``write_extra(folder)``;
neither overrides ``to_dir``.

Examples
--------
>>> import pandas as pd
>>> s = Summary.of("Two firms.", pd.DataFrame({"symbol": ["A", "B"], "car": [0.01, -0.02]}))
>>> print(s.as_text())
Two firms.
<BLANKLINE>
symbol     car
     A  0.0100
     B -0.0200
>>> print(s.as_markdown().splitlines()[2])
| symbol | car |
"""

from __future__ import annotations

import datetime as dt
import html
import json
import math
import os
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from ipposaki.errors import InputError

__all__ = [
    "ReadOnlyMapping",
    "Result",
    "Summary",
    "SummaryTable",
    "freeze",
    "manifest_json",
    "plain",
    "prepare_dir",
    "thaw",
    "versions",
]

#: The packages whose versions every manifest records.
VERSIONED = (
    "ipposaki",
    "numpy",
    "pandas",
    "scipy",
    "statsmodels",
    "arch",
    "duckdb",
    "pyarrow",
    "exchange_calendars",
    "matplotlib",
    "plotly",
)


def versions(*extra: str) -> dict[str, str]:
    """Python's version and those of ipposaki and the libraries a result depends on.

    Parameters
    ----------
    *extra : str
        More distributions to record (e.g. ``"distributed"``).

    Returns
    -------
    dict[str, str]
        ``{"python": ..., "ipposaki": ..., ...}``; a library that is not installed is
        ``"not installed"``.
    """
    import platform
    from importlib.metadata import PackageNotFoundError, version

    out = {"python": platform.python_version()}
    for pkg in (*VERSIONED, *extra):
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:
            out[pkg] = "not installed"
    return out


class ReadOnlyMapping(Mapping[str, Any]):
    """A mapping that cannot be changed after it is made (and pickles, unlike a mappingproxy).

    Examples
    --------
    >>> m = ReadOnlyMapping({"a": 1})
    >>> m["a"]
    1
    >>> m["a"] = 2
    Traceback (most recent call last):
    ...
    TypeError: 'ReadOnlyMapping' object does not support item assignment
    """

    __slots__ = ("_data",)
    _data: dict[str, Any]

    def __init__(self, data: Mapping[str, Any] | None = None) -> None:
        object.__setattr__(self, "_data", dict(data or {}))

    def __getitem__(self, key: str) -> Any:
        return self._data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"{type(self).__name__} is read-only")

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self._data,))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._data!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Mapping) and dict(self.items()) == dict(other.items())

    __hash__ = None  # type: ignore[assignment]


def freeze(value: Any) -> Any:
    """A read-only copy: mappings become :class:`ReadOnlyMapping`, lists and sets tuples.

    Parameters
    ----------
    value : object
        A manifest or one of its values.

    Returns
    -------
    object
        The same content that nobody can change in place.
    """
    if isinstance(value, Mapping):
        return ReadOnlyMapping({str(k): freeze(v) for k, v in value.items()})
    if isinstance(value, list | tuple):
        return tuple(freeze(v) for v in value)
    if isinstance(value, set | frozenset):
        return tuple(sorted((freeze(v) for v in value), key=str))
    return value


def thaw(value: Any) -> Any:
    """Plain ``dict``/``list`` copies of a frozen value, for JSON or for editing a copy."""
    if isinstance(value, Mapping):
        return {str(k): thaw(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [thaw(v) for v in value]
    return value


def plain(value: Any) -> Any:
    """``value`` as plain JSON values: the one conversion behind every JSON file and output.

    Mappings become dicts, sequences and arrays lists, NaN, infinities, ``NaT`` and ``NA``
    ``null``, numpy scalars Python numbers, paths text, a timestamp at midnight without a zone
    a session (``YYYY-MM-DD``), other timestamps and dates ISO 8601, and anything else its text.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> plain({"a": (np.float64(1.5), float("nan")), "d": pd.Timestamp("2025-01-27")})
    {'a': [1.5, None], 'd': '2025-01-27'}
    """
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [plain(v) for v in value]
    if isinstance(value, Path):
        return value.as_posix()
    if hasattr(value, "tolist") and not isinstance(value, str):  # numpy arrays and scalars
        converted = value.tolist()
        return plain(converted) if isinstance(converted, list) else _scalar(converted)
    return _scalar(value)


def _scalar(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, dt.datetime):  # pandas Timestamps too; NaT is not one
        if value.tzinfo is None and value.time() == dt.time(0):
            return value.date().isoformat()
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return None if str(value) in ("NaT", "<NA>", "nan") else str(value)


def manifest_json(manifest: Mapping[str, Any]) -> str:
    """The manifest as indented JSON (UTF-8 text, :func:`plain` values), ending in a newline:
    the one serializer ``to_dir`` uses for every result."""
    return json.dumps(plain(manifest), indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def prepare_dir(out: str | Path) -> Path:
    """The output folder ``out``, created if needed.

    Raises
    ------
    InputError
        When ``out`` is not a path, is empty, exists and is not a folder, lies under a file,
        or cannot be created.
    """
    if not isinstance(out, str | os.PathLike) or str(out) == "":
        raise InputError("out", repr(out), "a folder's path")
    path = Path(out)
    if path.exists() and not path.is_dir():
        raise InputError("out", str(path), "a folder")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:  # under a file, or not writable
        raise InputError(
            "out", str(path), f"a folder that can be created ({exc.strerror})"
        ) from None
    return path


@dataclass(frozen=True)
class SummaryTable:
    """A table in a summary and how to print it.

    Parameters
    ----------
    frame : pandas.DataFrame
        The table.
    index : bool, default False
        Print the row labels.
    digits : int, default 4
        Decimals of float cells.
    """

    frame: pd.DataFrame
    index: bool = False
    digits: int = 4

    def _fmt(self, v: float) -> str:
        return "" if pd.isna(v) else f"{v:.{self.digits}f}"

    def as_text(self) -> str:
        """Aligned plain text."""
        if self.frame.empty:
            return "(no rows)"
        return self.frame.to_string(index=self.index, float_format=self._fmt, na_rep="")

    def as_html(self) -> str:
        """An HTML ``<table>``."""
        return self.frame.to_html(index=self.index, float_format=self._fmt, na_rep="", border=0)

    def as_markdown(self) -> str:
        """A pipe table."""
        frame = self.frame.reset_index() if self.index else self.frame

        def cell(v: Any) -> str:
            text = self._fmt(v) if isinstance(v, float) else ("" if v is None else str(v))
            return text.replace("|", "\\|").replace("\n", " ")

        head = "| " + " | ".join(cell(c) for c in frame.columns) + " |"
        rule = "|" + "|".join("---" for _ in frame.columns) + "|"
        rows = ["| " + " | ".join(cell(v) for v in row) + " |" for row in frame.itertuples(False)]
        return "\n".join([head, rule, *rows])

    def as_latex(self) -> str:
        """A booktabs ``tabular``."""
        frame = self.frame.copy()
        frame.columns = [_latex_escape(str(c)) for c in frame.columns]
        for col in frame.columns:
            if frame[col].dtype == object:
                frame[col] = frame[col].map(lambda v: _latex_escape(str(v)))
        return frame.to_latex(index=self.index, float_format=self._fmt, na_rep="")


_LATEX = {
    "\\": r"\textbackslash{}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "{": r"\{",
    "}": r"\}",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
}


def _latex_escape(text: str) -> str:
    return "".join(_LATEX.get(ch, ch) for ch in text)


@dataclass(frozen=True)
class Summary:
    """A result's summary: blocks of prose lines and tables, in four formats.

    Parameters
    ----------
    blocks : tuple of str or SummaryTable
        In order; text blocks may hold several lines.
    """

    blocks: tuple[str | SummaryTable, ...]

    @classmethod
    def of(cls, *blocks: str | pd.DataFrame | SummaryTable | None) -> Summary:
        """A summary from text, frames (printed without their index) and tables; ``None`` and
        empty strings are left out."""
        out: list[str | SummaryTable] = []
        for block in blocks:
            if block is None or (isinstance(block, str) and not block):
                continue
            out.append(SummaryTable(block) if isinstance(block, pd.DataFrame) else block)
        return cls(tuple(out))

    def as_text(self) -> str:
        """Plain text: blocks separated by a blank line."""
        return "\n\n".join(b if isinstance(b, str) else b.as_text() for b in self.blocks)

    def as_html(self) -> str:
        """An HTML fragment: a paragraph per text block, a table per table."""
        parts = []
        for b in self.blocks:
            if isinstance(b, str):
                parts.append("<p>" + html.escape(b).replace("\n", "<br>\n") + "</p>")
            else:
                parts.append(b.as_html())
        return "\n".join(parts)

    def as_markdown(self) -> str:
        """Markdown: lines of a text block kept apart (hard breaks), tables as pipe tables."""
        return "\n\n".join(
            b.replace("\n", "  \n") if isinstance(b, str) else b.as_markdown() for b in self.blocks
        )

    def as_latex(self) -> str:
        """LaTeX: escaped paragraphs and booktabs tables."""
        return "\n\n".join(
            _latex_escape(b).replace("\n", " \\\\\n") if isinstance(b, str) else b.as_latex()
            for b in self.blocks
        )

    @property
    def tables(self) -> tuple[pd.DataFrame, ...]:
        """The summary's tables."""
        return tuple(b.frame for b in self.blocks if isinstance(b, SummaryTable))

    def __str__(self) -> str:
        return self.as_text()

    def __contains__(self, text: object) -> bool:
        return isinstance(text, str) and text in self.as_text()

    def _repr_html_(self) -> str:
        return self.as_html()


class Result(ABC):
    """The base of every result: ``summary``, ``manifest``, named frames and ``to_dir``.

    Subclasses implement :attr:`summary`, :attr:`manifest` and :meth:`frames`; they may extend
    :meth:`to_dir` to write more files (charts, Parquet parts) after calling it.
    """

    __slots__ = ()

    @property
    @abstractmethod
    def summary(self) -> Summary:
        """What the result says, as a :class:`Summary`."""

    @property
    @abstractmethod
    def manifest(self) -> Mapping[str, Any]:
        """Read-only: parameters, data hash, versions, exclusions with reasons."""

    @abstractmethod
    def frames(self) -> dict[str, pd.DataFrame]:
        """The result's tidy tables by name, the main one first; each name is a file stem."""

    def to_frame(self) -> pd.DataFrame:
        """The main table (the first of :meth:`frames`)."""
        frames = self.frames()
        return next(iter(frames.values())) if frames else pd.DataFrame()

    def parts(self) -> Mapping[str, Result]:
        """Nested results, by sub-folder name, that :meth:`to_dir` writes first (none here)."""
        return {}

    def write_extra(self, folder: Path) -> list[Path]:
        """Files beyond the tables, summary and manifest (charts, JSON) that :meth:`to_dir`
        writes into ``folder`` last; none here.

        Parameters
        ----------
        folder : pathlib.Path
            The output folder, which exists.

        Returns
        -------
        list[pathlib.Path]
            The files written.
        """
        return []

    def to_dir(self, out: str | Path) -> list[Path]:
        """Write each of :meth:`parts` into its sub-folder, every frame as ``<name>.csv``,
        ``summary.txt``, ``manifest.json`` and :meth:`write_extra`'s files.

        Parameters
        ----------
        out : str or pathlib.Path
            Output folder, created if needed.

        Returns
        -------
        list[pathlib.Path]
            The files written.

        Raises
        ------
        InputError
            When ``out`` exists and is not a folder.
        """
        folder = prepare_dir(out)
        written = [p for name, part in self.parts().items() for p in part.to_dir(folder / name)]
        for name, frame in self.frames().items():
            path = folder / f"{name}.csv"
            path.parent.mkdir(parents=True, exist_ok=True)
            frame.to_csv(path, index=False)
            written.append(path)
        summary = folder / "summary.txt"
        summary.write_text(self.summary.as_text() + "\n", encoding="utf-8")
        manifest = folder / "manifest.json"
        manifest.write_text(manifest_json(self.manifest), encoding="utf-8")
        return [*written, summary, manifest, *self.write_extra(folder)]

    def __str__(self) -> str:
        return self.summary.as_text()

    def _repr_html_(self) -> str:
        return self.summary.as_html()
