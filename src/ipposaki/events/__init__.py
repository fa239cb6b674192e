"""The event catalogue: real events with sources, and users' own events."""

from ipposaki.events.catalog import CatalogEvent, builtin_catalog, load_catalog

__all__ = ["CatalogEvent", "builtin_catalog", "load_catalog"]
