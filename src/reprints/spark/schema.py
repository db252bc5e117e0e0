"""Spark DDL strings from Arrow schemas, so each ``mapInArrow`` schema is stated once."""

from __future__ import annotations

import pyarrow as pa

_NAMES = {
    pa.int8(): "byte",
    pa.int64(): "long",
    pa.int32(): "int",
    pa.float64(): "double",
    pa.bool_(): "boolean",
    pa.string(): "string",
    pa.binary(): "binary",
}


def spark_type(kind: pa.DataType) -> str:
    """The Spark SQL type of an Arrow type (the ones the Spark modules use)."""
    if pa.types.is_list(kind):
        return f"array<{spark_type(kind.value_type)}>"
    if kind in _NAMES:
        return _NAMES[kind]
    raise TypeError(f"no Spark type for Arrow {kind}")


def ddl(schema: pa.Schema) -> str:
    """``schema`` as the DDL string ``mapInArrow`` takes: ``"a long, b binary"``."""
    return ", ".join(f"{field.name} {spark_type(field.type)}" for field in schema)
