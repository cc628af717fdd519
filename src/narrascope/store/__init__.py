"""The DuckDB store: one file holds the corpus (see docs/STORE.md)."""

from .duckdb_store import EXPORT_FORMATS, SCHEMA_VERSION, SOURCE_STATUSES, Store

__all__ = ["Store", "EXPORT_FORMATS", "SCHEMA_VERSION", "SOURCE_STATUSES"]
