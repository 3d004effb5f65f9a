"""The embedded store (DuckDB)."""
