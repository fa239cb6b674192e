"""One exception tree and the named warnings of ipposaki.

Every error a user can cause derives from :class:`IpposakiError`, and most also derive from the
natural built-in (``ValueError``, ``KeyError``, ``FileNotFoundError``) so that generic handlers
keep working. Messages are one line: they name the argument (or file and row), the value, and
what is allowed. The CLI prints ``str(error)`` and exits with code 2.

Recoverable data problems are *warnings* with their own class, so a caller can filter or
escalate them with :mod:`warnings`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

__all__ = [
    "DataWarning",
    "DataValidationError",
    "DriverDroppedWarning",
    "DuplicateRowWarning",
    "InputError",
    "IpposakiError",
    "MissingSessionWarning",
    "NonSessionWarning",
    "SourceUnavailableError",
    "SplitLikeMoveWarning",
    "StoreError",
    "UnknownNameError",
    "close_matches",
    "preview",
]


class IpposakiError(Exception):
    """Base class of every error raised by ipposaki on purpose."""


class InputError(IpposakiError, ValueError):
    """A user-supplied argument or spec value is not allowed.

    Parameters
    ----------
    argument : str
        The argument, option or spec key that holds the bad value.
    value : object
        The value received.
    allowed : str
        What would have been accepted.
    """

    def __init__(self, argument: str, value: object, allowed: str) -> None:
        self.argument = argument
        self.value = value
        self.allowed = allowed
        super().__init__(f"{argument}={value!r} is not allowed: expected {allowed}")


class UnknownNameError(IpposakiError, KeyError):
    """A symbol, basket, exchange or other name is not known, with the close matches.

    Parameters
    ----------
    kind : str
        What kind of name it is, e.g. ``"symbol"``.
    name : str
        The unknown name.
    known : Iterable[str]
        The names that are known, used to suggest close matches.
    """

    def __init__(self, kind: str, name: str, known: Iterable[str]) -> None:
        self.kind = kind
        self.name = name
        known = list(known)
        matches = close_matches(name, known)
        hint = f"; did you mean {', '.join(matches)}?" if matches else ""
        super().__init__(f"unknown {kind} {name!r}{hint} ({len(known)} known)")

    def __str__(self) -> str:  # KeyError quotes its message; we want the plain line.
        return str(self.args[0])


class DataValidationError(IpposakiError, ValueError):
    """A data file fails validation; nothing was written.

    Parameters
    ----------
    source : str
        The file (or other source) that was read.
    problem : str
        One line saying what is wrong, naming the row and value and what is allowed.
    """

    def __init__(self, source: str, problem: str) -> None:
        self.source = source
        self.problem = problem
        super().__init__(f"{source}: {problem}")


class StoreError(IpposakiError, ValueError):
    """The store file cannot be used: not DuckDB, another application's, newer, or busy.

    Parameters
    ----------
    path : str
        The store file.
    problem : str
        One line saying what is wrong and what to do.
    """

    def __init__(self, path: str, problem: str) -> None:
        self.path = path
        self.problem = problem
        super().__init__(f"store {path}: {problem}")


class SourceUnavailableError(IpposakiError, RuntimeError):
    """An online data source could not be reached or returned nothing usable."""


class DataWarning(UserWarning):
    """Base class of recoverable data problems."""


class SplitLikeMoveWarning(DataWarning):
    """A one-session move beyond ±50% that looks like an unadjusted split."""


class MissingSessionWarning(DataWarning):
    """Sessions of the exchange's calendar inside a symbol's range have no price."""


class NonSessionWarning(DataWarning):
    """Rows dated on days that are not sessions of the symbol's exchange were skipped."""


class DuplicateRowWarning(DataWarning):
    """Exact duplicate (symbol, date) rows were collapsed into one."""


class DriverDroppedWarning(DataWarning):
    """A forecast driver has no value known at the forecast's cutoff and was left out."""


def close_matches(name: str, known: Sequence[str], n: int = 3) -> list[str]:
    """Return up to ``n`` known names close to ``name`` (case-insensitive).

    Parameters
    ----------
    name : str
        The name to match.
    known : Sequence[str]
        Candidate names.
    n : int, default 3
        Maximum number of matches.

    Returns
    -------
    list[str]
        Close matches, best first.
    """
    import difflib

    lower = {str(k).lower(): k for k in known}
    key = str(name).lower()  # a number given for a name is matched as its text
    # Names that contain what was typed come first (``jp_semi`` -> ``jp_semi_equipment``),
    # then those that are spelled alike.
    contained = [k for k in lower if key and key in k and k != key]
    alike = difflib.get_close_matches(key, list(lower), n=n, cutoff=0.6)
    hits = list(dict.fromkeys([*sorted(contained, key=len), *alike]))[:n]
    return [lower[h] for h in hits]


def preview(items: Iterable[object], limit: int = 3) -> str:
    """Format the first items of a collection for a one-line message, e.g. ``a, b, c (+4 more)``.

    Parameters
    ----------
    items : Iterable[object]
        Items to show.
    limit : int, default 3
        How many to show before summarising the rest.

    Returns
    -------
    str
        The formatted preview.
    """
    texts = [str(i) for i in items]
    head = ", ".join(texts[:limit])
    rest = len(texts) - limit
    return f"{head} (+{rest} more)" if rest > 0 else head
