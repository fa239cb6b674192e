"""What the store returns besides frames: :class:`IngestResult` (what one ingest did) and
:class:`PanelArrays` (a panel's prices as flat Arrow columns)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ipposaki.errors import preview
from ipposaki.results import Result, Summary, freeze, versions
from ipposaki.store.validate import ValidationReport

__all__ = ["IngestResult", "PanelArrays"]


@dataclass(frozen=True)
class IngestResult(Result):
    """What one ingest did.

    Attributes
    ----------
    sources : tuple[str, ...]
        Files (or other sources) read.
    rows_read, rows_written : int
        Rows received, and rows written after validation.
    symbols : tuple[str, ...]
        Symbols written.
    new_instruments : tuple[str, ...]
        Symbols that were not in the instruments table and were added with guessed metadata.
    reports : tuple[ValidationReport, ...]
        Validation report per source.
    listed : Mapping[str, int] or None
        Rows of listed-company data written in the same transaction, by
        :func:`~ipposaki.sources.jquants.load_jquants` with ``listed=True`` (the counts of
        :func:`~ipposaki.store.listed.write_listed`); None otherwise. Read-only.
    """

    sources: tuple[str, ...]
    rows_read: int
    rows_written: int
    symbols: tuple[str, ...]
    new_instruments: tuple[str, ...] = ()
    reports: tuple[ValidationReport, ...] = field(default=(), repr=False)
    listed: Mapping[str, int] | None = None

    def __post_init__(self) -> None:
        if self.listed is not None:
            object.__setattr__(self, "listed", freeze(self.listed))

    @property
    def summary(self) -> Summary:
        """One paragraph saying what was written and what was found."""
        lines = [
            f"Imported {self.rows_written:,} rows for {len(self.symbols)} symbols "
            f"from {len(self.sources)} source(s) ({self.rows_read:,} rows read)."
        ]
        if self.new_instruments:
            lines.append(
                f"New instruments with guessed exchange: {preview(self.new_instruments, 8)}."
            )
        for rep in self.reports:
            if len(rep.missing_sessions):
                lines.append(
                    f"Sessions without a price (left missing): "
                    f"{int(rep.missing_sessions['missing'].sum())} in "
                    f"{len(rep.missing_sessions)} symbols."
                )
            if len(rep.split_like_moves):
                lines.append(f"Split-like moves (>=50%): {len(rep.split_like_moves)}.")
            if len(rep.non_sessions):
                lines.append(f"Rows on non-sessions skipped: {len(rep.non_sessions)}.")
            if rep.duplicates_collapsed:
                lines.append(f"Exact duplicate rows collapsed: {rep.duplicates_collapsed}.")
        return Summary.of("\n".join(lines))

    @property
    def manifest(self) -> Mapping[str, Any]:
        """Sources, row counts, symbols, new instruments, listed-company rows, versions."""
        return freeze(
            {
                "sources": self.sources,
                "rows_read": self.rows_read,
                "rows_written": self.rows_written,
                "symbols": self.symbols,
                "new_instruments": self.new_instruments,
                "listed": self.listed,
                "versions": versions(),
            }
        )

    def frames(self) -> dict[str, pd.DataFrame]:
        """``sources`` (one row per source: rows read and written and what validation found,
        the main table) and, when validation found any, ``missing_sessions``,
        ``split_like_moves`` and ``non_sessions`` (with a ``source`` column)."""
        rows = [
            {
                "source": source,
                "rows_read": rep.rows_in,
                "rows_written": rep.rows_out,
                "missing_sessions": int(rep.missing_sessions["missing"].sum())
                if len(rep.missing_sessions)
                else 0,
                "split_like_moves": len(rep.split_like_moves),
                "non_sessions": len(rep.non_sessions),
                "duplicates_collapsed": rep.duplicates_collapsed,
                "unchecked_rows": rep.unchecked_rows,
            }
            for source, rep in zip(self.sources, self.reports, strict=False)
        ]
        columns = list(rows[0]) if rows else ["source", "rows_read", "rows_written"]
        out = {"sources": pd.DataFrame(rows, columns=columns)}
        for name in ("missing_sessions", "split_like_moves", "non_sessions"):
            found = [
                getattr(rep, name).assign(source=source)
                for source, rep in zip(self.sources, self.reports, strict=False)
                if len(getattr(rep, name))
            ]
            if found:
                frame = pd.concat(found, ignore_index=True)
                out[name] = frame[["source", *[c for c in frame.columns if c != "source"]]]
        return out


@dataclass(frozen=True)
class PanelArrays:
    """Prices of a panel as an Arrow table of flat positions, plus each symbol's basis.

    :meth:`scatter` places one column into a (sessions x symbols) matrix chunk by chunk, so no
    column is ever copied whole into numpy.
    """

    table: Any
    has_adj: np.ndarray

    def scatter(self, column: str, shape: tuple[int, int]) -> np.ndarray:
        """Return a NaN matrix of ``shape`` holding ``column`` at its flat positions.

        Parameters
        ----------
        column : str
            ``"px"``, ``"open"``, ``"close"`` or ``"volume"``.
        shape : tuple[int, int]
            (sessions, symbols).

        Returns
        -------
        numpy.ndarray
            The matrix.
        """
        out = np.full(shape, np.nan)
        flat_out = out.reshape(-1)
        flats = self.table.column("flat").chunks
        values = self.table.column(column).chunks
        for flat, vals in zip(flats, values, strict=True):
            flat_out[flat.to_numpy()] = vals.to_numpy(zero_copy_only=False)
        return out
