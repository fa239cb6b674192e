"""Windows counted in sessions relative to the event session (day 0)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TypeGuard

import numpy as np

from ipposaki.errors import InputError

__all__ = ["Window", "parse_window"]

_PATTERN = re.compile(r"^\s*([+-]?\d+)\s*[:,]\s*([+-]?\d+)\s*$")


@dataclass(frozen=True, order=True)
class Window:
    """An inclusive range of relative sessions, e.g. ``Window(-250, -11)``.

    Attributes
    ----------
    start, end : int
        First and last relative session; ``start <= end``.
    """

    start: int
    end: int

    def __post_init__(self) -> None:
        if self.start > self.end:
            raise InputError("window", str(self), "start <= end, e.g. -5:10")

    @property
    def length(self) -> int:
        """Number of sessions in the window."""
        return self.end - self.start + 1

    def __str__(self) -> str:
        return f"{self.start}:{self.end}"

    def contains(self, other: Window) -> bool:
        """Tell whether ``other`` lies inside this window."""
        return self.start <= other.start and other.end <= self.end


#: The farthest a window bound, or a rolling window, reaches: 100,000 sessions (about 400
#: years of trading; a 20-digit bound overflowed numpy's integers).
MAX_SESSIONS = 100_000


def is_integer(value: object) -> TypeGuard[int | np.integer]:
    """An integer, Python's or numpy's, and not a bool (True would pass as day 1).

    Examples
    --------
    >>> [is_integer(v) for v in (3, np.int64(-2), 1.5, True, "1")]
    [True, True, False, False, False]
    """
    return isinstance(value, int | np.integer) and not isinstance(value, bool | np.bool_)


def parse_window(value: str | tuple[int, int] | Window, argument: str = "window") -> Window:
    """Parse ``"-250:-11"`` (or a pair, or a Window) into a :class:`Window`.

    Parameters
    ----------
    value : str or tuple of int or Window
        The window.
    argument : str, default "window"
        Name used in error messages, e.g. ``"event_window"``.

    Returns
    -------
    Window
        The parsed window.

    Raises
    ------
    InputError
        If the text is not ``A:B`` with integers, or ``A > B``.

    Examples
    --------
    >>> parse_window("-5:10")
    Window(start=-5, end=10)
    """
    if isinstance(value, Window):
        return value
    if isinstance(value, tuple):
        if len(value) != 2 or not all(is_integer(v) for v in value):
            raise InputError(argument, str(value), "two integers (A, B), e.g. (-5, 10)")
        start, end = (int(v) for v in value)
    else:
        match = _PATTERN.match(str(value))
        if not match:
            raise InputError(argument, value, "two integers A:B, e.g. -5:10")
        start, end = int(match.group(1)), int(match.group(2))
    if max(abs(start), abs(end)) > MAX_SESSIONS:
        raise InputError(argument, str(value), f"bounds within {MAX_SESSIONS:,} sessions of day 0")
    if start > end:
        raise InputError(argument, str(value), f"A <= B (did you mean {end}:{start}?)")
    return Window(start, end)
