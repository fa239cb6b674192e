"""Instruments (symbols with metadata) and baskets (named groups of symbols)."""

from ipposaki.instruments.catalog import (
    INSTRUMENT_COLUMNS,
    builtin_baskets,
    builtin_instruments,
    guess_exchange,
    read_baskets,
    read_instruments,
)

__all__ = [
    "INSTRUMENT_COLUMNS",
    "builtin_baskets",
    "builtin_instruments",
    "guess_exchange",
    "read_baskets",
    "read_instruments",
]
