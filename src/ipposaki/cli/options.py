"""Options and helpers that several ``ipposaki`` commands share."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["StoreOption", "split_list", "write_tables"]

StoreOption = Annotated[
    Path | None,
    typer.Option(
        "--store",
        envvar="IPPOSAKI_STORE",
        help="DuckDB store file (default: IPPOSAKI_STORE, else the user data directory).",
    ),
]


def split_list(values: list[str] | None) -> list[str] | None:
    """Flatten repeated and comma-separated option values: ``["a,b", "c"]`` -> ``[a, b, c]``."""
    if not values:
        return None
    return [v.strip() for item in values for v in item.split(",") if v.strip()]


def write_tables(out: Path, tables: Mapping[str, pd.DataFrame], index: bool = False) -> None:
    """Write each table as ``out/<name>`` (CSV), creating ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    for name, frame in tables.items():
        frame.to_csv(out / name, index=index)
