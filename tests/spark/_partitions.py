"""Running a block of Spark work with a given number of shuffle partitions."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

SHUFFLE_PARTITIONS = (1, 3, 17)


COALESCE = "spark.sql.adaptive.coalescePartitions.enabled"


@contextmanager
def shuffle_partitions(spark: Any, count: int) -> Iterator[None]:
    """Every shuffle in the block makes ``count`` partitions: ``spark.sql.shuffle.partitions``
    set and adaptive execution's merging of small partitions off (it merged 17 into one),
    both restored after."""
    previous = spark.conf.get("spark.sql.shuffle.partitions"), spark.conf.get(COALESCE)
    spark.conf.set("spark.sql.shuffle.partitions", str(count))
    spark.conf.set(COALESCE, "false")
    try:
        yield
    finally:
        spark.conf.set("spark.sql.shuffle.partitions", previous[0])
        spark.conf.set(COALESCE, previous[1])
