"""Readers that turn outside formats into canonical price rows."""

from ipposaki.sources.files import PRICE_COLUMNS, read_price_file

__all__ = ["PRICE_COLUMNS", "read_price_file"]
