"""The embedded DuckDB store: instruments, prices, baskets, characteristics, events."""

from ipposaki.store.store import IngestResult, Store, default_store_path
from ipposaki.store.validate import ValidationReport, validate_prices

__all__ = ["IngestResult", "Store", "ValidationReport", "default_store_path", "validate_prices"]
