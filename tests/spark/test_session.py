"""The settings reprints starts Spark with, and the shuffle partitions it scales."""

from __future__ import annotations

import re
from typing import Any

import pytest

from reprints.options import OptionsError
from reprints.spark.session import (
    DOCUMENTS_PER_PARTITION,
    SCALED_PARTITIONS,
    local_cores,
    local_driver_memory,
    parse_conf,
    scale_shuffle_partitions,
    session_conf,
)


def test_a_local_master_gets_a_driver_heap_the_user_can_override() -> None:
    local = session_conf("local[2]", {})
    assert re.fullmatch(r"[1-9][0-9]*g", local["spark.driver.memory"])
    assert local["spark.driver.memory"] == local_driver_memory()
    assert local["spark.sql.shuffle.partitions"] == "4"
    mine = session_conf("local[2]", {"spark.driver.memory": "3g"})
    assert mine["spark.driver.memory"] == "3g"
    # On a cluster the deployment sizes its JVMs: nothing is set.
    assert "spark.driver.memory" not in session_conf("spark://host:7077", {})


def test_driver_heap_is_a_share_of_the_machine_at_least_one_gigabyte() -> None:
    assert local_driver_memory(share=1e-9) == "1g"
    assert int(local_driver_memory(share=1.0)[:-1]) >= int(local_driver_memory()[:-1])


def test_conf_pairs_and_local_cores() -> None:
    assert parse_conf(["a=b", " c =d=e"]) == {"a": "b", "c": "d=e"}
    with pytest.raises(OptionsError, match="key=value"):
        parse_conf(["novalue"])
    assert local_cores("local[3]") == 3 and local_cores("local") == 1
    assert local_cores("local[*]") >= 1


def test_shuffle_partitions_grow_with_the_collection_unless_the_user_set_them() -> None:
    assert session_conf("local[2]", {})[SCALED_PARTITIONS] == "4"
    assert SCALED_PARTITIONS not in session_conf("local[2]", {"spark.sql.shuffle.partitions": "9"})
    assert SCALED_PARTITIONS not in session_conf("spark://host:7077", {})


def test_scaling_sets_partitions_from_the_document_count(spark: Any) -> None:
    key = "spark.sql.shuffle.partitions"
    before = spark.conf.get(key)
    scale_shuffle_partitions(spark, 10**9)  # the test session's partitions are chosen
    assert spark.conf.get(key) == before
    spark.conf.set(SCALED_PARTITIONS, "4")
    try:
        scale_shuffle_partitions(spark, 10)
        assert spark.conf.get(key) == "4"
        scale_shuffle_partitions(spark, 20 * DOCUMENTS_PER_PARTITION + 1)
        assert spark.conf.get(key) == "21"
    finally:
        spark.conf.unset(SCALED_PARTITIONS)
        spark.conf.set(key, before)
