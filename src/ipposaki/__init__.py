"""ipposaki (一歩先): measure a market shock, trace where it spread, and look one step ahead.

The top-level API is small and lazy: heavy modules load on first use, so ``ipposaki --help``
starts fast.

Examples
--------
>>> import ipposaki
>>> ipposaki.__version__
'0.1.0'
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_LAZY: dict[str, str] = {
    "Store": "ipposaki.store",
    "IngestResult": "ipposaki.store",
    "ReturnsPanel": "ipposaki.panel",
    "build_panel": "ipposaki.panel",
    "read_price_file": "ipposaki.sources",
    "builtin_instruments": "ipposaki.instruments",
    "builtin_baskets": "ipposaki.instruments",
    "sessions": "ipposaki.calendars",
    "session_times": "ipposaki.calendars",
    "synthetic_prices": "ipposaki.sources.synthetic",
    "IpposakiError": "ipposaki.errors",
}

__all__ = ["__version__", *sorted(_LAZY)]

if TYPE_CHECKING:
    from ipposaki.calendars import session_times, sessions
    from ipposaki.errors import IpposakiError
    from ipposaki.instruments import builtin_baskets, builtin_instruments
    from ipposaki.panel import ReturnsPanel, build_panel
    from ipposaki.sources import read_price_file
    from ipposaki.sources.synthetic import synthetic_prices
    from ipposaki.store import IngestResult, Store


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'ipposaki' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
