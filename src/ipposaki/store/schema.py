"""The DuckDB schema of the store.

``prices`` has the logical unique key ``(symbol, session)``. The key is kept by the ingest
(delete the incoming keys, then insert, in one transaction) rather than by a DuckDB ``PRIMARY
KEY``: the ART index behind a primary key made a 10-million-row ingest six times slower on the
2-core reference machine (9.1 s against 1.5 s, measured with DuckDB 2.0). A test checks that the
key holds after repeated and overlapping ingests.

Each ``prices`` row records its ``source``: the label of the ingest that last wrote it (the file
path for a file, ``"yahoo"``, ``"jquants"``, ``"synthetic data"``). ``meta`` keeps the labels of
every ingest as keys ``source:<label>`` as well.

Schema versions: 1 had no ``prices.source``; 2 adds it. A version-1 store opens and reads as
before (:meth:`~ipposaki.store.Store.prices` gives its rows an empty source); the first ingest
into it runs :func:`upgrade` inside the ingest's transaction, which adds the column (empty for the
rows already stored) and sets ``schema_version`` to 2. An ipposaki that knows only version 1
then refuses the store by its version instead of failing to write rows of the wrong width.
"""

from __future__ import annotations

__all__ = [
    "APPLICATION_ID",
    "PRICE_COLUMNS",
    "PRICE_VALUES",
    "SCHEMA_VERSION",
    "TABLES",
    "ddl",
    "upgrade",
]

#: ``meta['application_id']``: marks a DuckDB file as an ipposaki store.
APPLICATION_ID = "ipposaki"
#: ``meta['schema_version']``: the version of the tables below; a newer store is refused.
SCHEMA_VERSION = "2"

TABLES: dict[str, str] = {
    "meta": "key VARCHAR PRIMARY KEY, value VARCHAR",
    "instruments": (
        "symbol VARCHAR PRIMARY KEY, name VARCHAR, name_ja VARCHAR, exchange VARCHAR, "
        "currency VARCHAR, country VARCHAR, kind VARCHAR, sector VARCHAR, benchmark VARCHAR"
    ),
    "prices": (
        "symbol VARCHAR NOT NULL, session DATE NOT NULL, open DOUBLE, high DOUBLE, low DOUBLE, "
        "close DOUBLE, adj_close DOUBLE, volume DOUBLE, source VARCHAR"
    ),
    "baskets": (
        "basket VARCHAR NOT NULL, symbol VARCHAR NOT NULL, name VARCHAR, name_ja VARCHAR, "
        "PRIMARY KEY (basket, symbol)"
    ),
    "characteristics": (
        "symbol VARCHAR NOT NULL, key VARCHAR NOT NULL, value DOUBLE, as_of DATE NOT NULL, "
        "source VARCHAR, PRIMARY KEY (symbol, key, as_of)"
    ),
    "events": (
        "event_id VARCHAR PRIMARY KEY, name VARCHAR, name_ja VARCHAR, timestamp TIMESTAMPTZ, "
        "description VARCHAR, source VARCHAR"
    ),
}


#: The value columns of ``prices``: what an ingest writes besides the key and the source.
PRICE_VALUES = ("open", "high", "low", "close", "adj_close", "volume")
#: The columns of ``prices``, in order; ``source`` is missing from a schema-version-1 store.
PRICE_COLUMNS = ("symbol", "session", *PRICE_VALUES, "source")


def ddl() -> list[str]:
    """Return the statements that create every table that is missing.

    Returns
    -------
    list[str]
        ``CREATE TABLE IF NOT EXISTS`` statements, one per table.
    """
    return [f"CREATE TABLE IF NOT EXISTS {name} ({cols})" for name, cols in TABLES.items()]


def upgrade() -> list[str]:
    """Return the statements that bring an older store's tables up to :data:`SCHEMA_VERSION`.

    Each is a no-op on a store that is up to date; the ingest runs them inside its write
    transaction, before it writes rows, and then records the version in ``meta``.

    Returns
    -------
    list[str]
        ``ALTER TABLE ... IF NOT EXISTS`` statements.
    """
    return ["ALTER TABLE prices ADD COLUMN IF NOT EXISTS source VARCHAR"]
