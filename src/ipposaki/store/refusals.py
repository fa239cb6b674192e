"""Refusing instrument and basket rows that name a symbol the store does not know.

The error is one line naming the file, line, column and value, with close matches.
"""

from __future__ import annotations

import pandas as pd

__all__ = ["check_benchmarks", "refuse_cell"]


def refuse_cell(frame: pd.DataFrame, pos: int, column: str, allowed: str, known: set[str]) -> None:
    """Raise a one-line error naming the file, line, column and value of ``frame``'s row.

    Parameters
    ----------
    frame : pandas.DataFrame
        The rows read; ``attrs["source"]`` names the file and ``attrs["where"]`` each row's
        place in it, when known.
    pos : int
        Position of the row refused.
    column : str
        Column of the value refused.
    allowed : str
        What the column allows, for the message.
    known : set of str
        The symbols allowed, for close matches.

    Raises
    ------
    DataValidationError
        Always.
    """
    from ipposaki.errors import DataValidationError, close_matches

    value = str(frame[column].iloc[pos])
    where = frame.attrs.get("where")
    at = f"{where[pos]}, " if where and pos < len(where) else ""
    hint = close_matches(value, sorted(known))
    suggestion = f" (did you mean {', '.join(hint)}?)" if hint else ""
    raise DataValidationError(
        str(frame.attrs.get("source", "input")),
        f"{at}column {column}: unknown symbol {value!r} is not allowed: expected {allowed}"
        f"{suggestion}",
    )


def check_benchmarks(frame: pd.DataFrame, known: set[str]) -> None:
    """Refuse an instrument whose benchmark is neither in ``known`` nor in ``frame``.

    Raises
    ------
    DataValidationError
        Naming the first such instrument's row (see :func:`refuse_cell`).
    """
    known = known | set(frame["symbol"])
    unknown = ~frame["benchmark"].isin([*known, ""])
    if unknown.any():
        pos = int(unknown.to_numpy().argmax())
        refuse_cell(frame, pos, "benchmark", "an instrument of the store or of this file", known)
