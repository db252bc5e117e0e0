"""One Spark session, ``local[2]``, for every Spark test of the run; skipped cleanly
when pyspark or a Java runtime is missing (``.ci/run`` installs both)."""

from __future__ import annotations

import importlib.util
import os
import shutil
import sys
from collections.abc import Iterator
from typing import Any

import pytest

from tests.spark._partitions import SHUFFLE_PARTITIONS, shuffle_partitions


def _missing() -> str | None:
    if importlib.util.find_spec("pyspark") is None:
        return "pyspark is not installed (pip install 'reprints[spark]')"
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        return "no Java runtime (apt-get install default-jre-headless)"
    return None


@pytest.fixture(scope="session")
def spark() -> Iterator[Any]:
    """The shared session: two cores, few shuffle partitions, no UI, loopback only."""
    reason = _missing()
    if reason:
        pytest.skip(reason)
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    from reprints.spark.session import spark_session

    session = spark_session(
        "local[2]",
        {
            "spark.sql.shuffle.partitions": "3",
            "spark.default.parallelism": "2",
            "spark.ui.enabled": "false",
            "spark.driver.memory": "1g",
            "spark.sql.adaptive.enabled": "true",
        },
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


@pytest.fixture(params=SHUFFLE_PARTITIONS, ids=lambda n: f"{n}-partitions")
def partitions(request: pytest.FixtureRequest, spark: Any) -> Iterator[int]:
    """Each Spark test that takes this runs with 1, 3 and 17 shuffle partitions; results
    must not change with them."""
    with shuffle_partitions(spark, request.param):
        yield request.param
