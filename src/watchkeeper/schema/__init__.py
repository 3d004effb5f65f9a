"""Column types, schema inference from reference data, and explicit overrides."""

from watchkeeper.schema.infer import infer_schema
from watchkeeper.schema.types import ColumnSchema, ColumnType, Schema

__all__ = ["ColumnSchema", "ColumnType", "Schema", "infer_schema"]
