"""Running a block of Spark work with a given number of shuffle partitions."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

SHUFFLE_PARTITIONS = (1, 3, 17)


@contextmanager
def shuffle_partitions(spark: Any, count: int) -> Iterator[None]:
    """``spark.sql.shuffle.partitions`` set to ``count`` inside the block, restored after."""
    previous = spark.conf.get("spark.sql.shuffle.partitions")
    spark.conf.set("spark.sql.shuffle.partitions", str(count))
    try:
        yield
    finally:
        spark.conf.set("spark.sql.shuffle.partitions", previous)
