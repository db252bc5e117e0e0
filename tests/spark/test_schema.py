"""The DDL strings the Spark modules derive from their Arrow schemas."""

from __future__ import annotations

from typing import Any

import pyarrow as pa
import pytest

from reprints.spark.schema import ddl


def test_each_arrow_type_used_maps_to_its_spark_name() -> None:
    schema = pa.schema(
        [
            ("k", pa.int8()),
            ("a", pa.int64()),
            ("n", pa.int32()),
            ("s", pa.float64()),
            ("f", pa.bool_()),
            ("t", pa.string()),
            ("b", pa.binary()),
            ("l", pa.list_(pa.int64())),
        ]
    )
    expected = "k byte, a long, n int, s double, f boolean, t string, b binary, l array<long>"
    assert ddl(schema) == expected


def test_spark_parses_each_modules_ddl_to_its_arrow_columns(spark: Any) -> None:
    from pyspark.sql.types import _parse_datatype_string  # needs the running session

    from reprints.spark import align, candidates, fingerprint, near, read

    for text, schema in (
        (read.READ_SCHEMA, read._OUT),
        (fingerprint.FINGERPRINT_SCHEMA, fingerprint._FINGERPRINTS),
        (candidates.FOUND_SCHEMA, candidates._FOUND),
        (align.FOUND_SCHEMA, align._OUT),
        (near.SKETCH_SCHEMA, near.SKETCHES),
    ):
        parsed = _parse_datatype_string(text)
        assert [field.name for field in parsed.fields] == schema.names


def test_an_unmapped_type_is_refused() -> None:
    with pytest.raises(TypeError, match="no Spark type"):
        ddl(pa.schema([("u", pa.uint64())]))
