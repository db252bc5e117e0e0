"""Starting a Spark session for reprints, and a clear message when pyspark is absent."""

from __future__ import annotations

import importlib.util
import os
import sys
from collections.abc import Mapping
from typing import TYPE_CHECKING

from reprints.options import OptionsError

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

INSTALL_HINT = (
    "the Spark engine needs pyspark and a Java runtime: pip install 'reprints[spark]' "
    "(and e.g. apt-get install default-jre-headless)"
)


def require_pyspark() -> None:
    """Raise :class:`OptionsError` naming the install command when pyspark is missing."""
    if importlib.util.find_spec("pyspark") is None:
        raise OptionsError(INSTALL_HINT)


def parse_conf(pairs: list[str] | None) -> dict[str, str]:
    """``--conf key=value`` arguments as a dict; a pair without ``=`` is a usage error."""
    conf: dict[str, str] = {}
    for pair in pairs or ():
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise OptionsError(f"--conf must be key=value (got {pair!r})")
        conf[key.strip()] = value
    return conf


def session_conf(master: str, conf: Mapping[str, str]) -> dict[str, str]:
    """The settings reprints starts Spark with: the user's ``conf`` over these defaults.

    In local mode the Python workers run this interpreter (``spark.pyspark.python``),
    so they import the same reprints as the driver; on a cluster that is the
    deployment's business (``PYSPARK_PYTHON``), so nothing is set. Arrow is on because
    the fingerprint stages take Arrow batches.
    """
    defaults = {
        "spark.sql.execution.arrow.pyspark.enabled": "true",
        "spark.ui.showConsoleProgress": "false",
    }
    if master.startswith("local"):
        defaults["spark.pyspark.python"] = sys.executable
        defaults["spark.driver.host"] = "127.0.0.1"
        # Spark's 200 shuffle partitions are for clusters: on one machine each is a
        # Python task with its own start-up, and a small job spends its time there.
        # A large job needs more (see :func:`scale_shuffle_partitions`), unless the
        # user set the number.
        partitions = str(2 * local_cores(master))
        defaults["spark.sql.shuffle.partitions"] = partitions
        defaults["spark.default.parallelism"] = partitions
        if "spark.sql.shuffle.partitions" not in conf:
            defaults[SCALED_PARTITIONS] = partitions
        # In local mode the driver's JVM runs every task: Spark's default heap of 1 GB
        # ran out at 200,000 documents of 300 words (the fingerprint rows persisted).
        defaults["spark.driver.memory"] = local_driver_memory()
    return {**defaults, **conf}


# Set by reprints on the sessions it starts whose shuffle partitions the user did not
# choose: the fewest partitions, which :func:`scale_shuffle_partitions` raises.
SCALED_PARTITIONS = "spark.reprints.scaledShufflePartitions"
# Documents per shuffle partition, at most, for a large collection: with 4 partitions
# for 200,000 documents of 300 words (50,000 a task), dedup's verification join ran
# out of a 6 GB heap in its sort; 32 ran.
DOCUMENTS_PER_PARTITION = 10_000


def scale_shuffle_partitions(spark: SparkSession, documents: int) -> None:
    """On a session reprints started without the user's ``spark.sql.shuffle.partitions``,
    set it to enough partitions for ``documents`` (at least the session's start value);
    a count from the data alone, never from the input's layout."""
    least = spark.conf.get(SCALED_PARTITIONS, None)
    if least is None:
        return
    wanted = max(int(least), -(-documents // DOCUMENTS_PER_PARTITION))
    spark.conf.set("spark.sql.shuffle.partitions", str(wanted))


def local_driver_memory(share: float = 0.25) -> str:
    """The driver heap for a local master: ``share`` of the machine's memory, at least
    1 GB (Spark's default), as Spark writes sizes (``"6g"``, in whole gigabytes)."""
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):  # not a POSIX system that says
        return "1g"
    return f"{max(1, int(total * share) >> 30)}g"


def local_cores(master: str) -> int:
    """The cores of a ``local``, ``local[N]`` or ``local[*]`` master."""
    if "[" not in master:
        return 1  # plain "local": one worker thread
    inside = master.partition("[")[2].partition("]")[0].split(",")[0]
    if inside.isdigit():
        return max(int(inside), 1)
    return os.cpu_count() or 1


DEFAULT_MASTER = "local[*]"


def under_spark_submit() -> bool:
    """True in a driver launched by ``spark-submit``, whose JVM already holds the master
    and every setting given on the spark-submit command line."""
    return "PYSPARK_GATEWAY_PORT" in os.environ


def spark_session(master: str | None = None, conf: Mapping[str, str] | None = None) -> SparkSession:
    """The Spark session to run on: an active one is reused as it is; under
    ``spark-submit`` its master stands unless ``master`` is given; else a session on
    ``master`` (default ``local[*]``) with :func:`session_conf`."""
    require_pyspark()
    from pyspark.sql import SparkSession

    active = SparkSession.getActiveSession()
    if active is not None:
        return active
    builder = SparkSession.builder.appName("reprints")
    if master is None and under_spark_submit():
        settings = dict(conf or {})
    else:
        master = master or DEFAULT_MASTER
        builder = builder.master(master)
        settings = session_conf(master, conf or {})
    for key, value in settings.items():
        builder = builder.config(key, value)
    return builder.getOrCreate()
