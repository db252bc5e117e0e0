"""``--engine spark`` for `find` and `dedup`: the same options, outputs and figures as
the local engine, computed on Spark (:mod:`reprints.spark`). Nothing here imports
pyspark before :func:`reprints.spark.session.require_pyspark` has said how to install
it when it is missing."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from reprints.boilerplate import BoilerplateSettings
from reprints.dedup.options import DedupOptions
from reprints.finding import FindOptions
from reprints.options import OptionsError
from reprints.readers import ReadLog, ReadOptions

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

    from reprints.spark.dedup import SparkDedup
    from reprints.spark.find import SparkFind
    from reprints.spark.read import SparkInput


def is_cluster_path(out: str) -> bool:
    """An output on a Hadoop-compatible file system (``s3a://``, ``hdfs://``, ...)."""
    return "://" in out and not out.startswith("file://")


def writes_datasets(args: argparse.Namespace) -> bool:
    """Whether the run writes Spark datasets instead of the local engine's files."""
    return args.engine == "spark" and (args.out_datasets or is_cluster_path(str(args.out)))


def session(args: argparse.Namespace) -> SparkSession:
    """The Spark session of ``--master`` and ``--conf`` (an active one is reused)."""
    from reprints.spark.session import parse_conf, spark_session

    return spark_session(args.master, parse_conf(args.conf))


def check_engine(args: argparse.Namespace) -> None:
    """Before anything is read: pyspark is there, ``--conf`` pairs are well formed."""
    from reprints.spark.session import parse_conf, require_pyspark

    require_pyspark()
    parse_conf(args.conf)


def read(spark: SparkSession, args: argparse.Namespace, reading: ReadOptions) -> SparkInput:
    """The inputs as Spark reads them (JSON Lines or Parquet)."""
    from reprints.spark.read import read_inputs

    return read_inputs(spark, [str(i) for i in args.inputs], reading)


def duplicate_ids(err: ValueError) -> OptionsError:
    """A repeated id, which the Spark engine cannot rename in a reading order."""
    return OptionsError(
        f"{err}: the Spark engine needs unique ids (the local engine renames repeats "
        "id#2, id#3... in reading order, which Spark does not have)"
    )


def dedup_on_spark(
    args: argparse.Namespace, reading: ReadOptions, options: DedupOptions
) -> tuple[ReadLog, SparkDedup]:
    """`reprints dedup --engine spark`: the inputs read and the decisions."""
    from reprints.spark.dedup import spark_dedup

    spark = session(args)
    found = read(spark, args, reading)
    try:
        return found.log, spark_dedup(found.documents, options)
    except ValueError as err:
        if "duplicate document id" in str(err):
            raise duplicate_ids(err) from err
        raise


def find_on_spark(
    args: argparse.Namespace,
    reading: ReadOptions,
    options: FindOptions,
    boilerplate: BoilerplateSettings | None,
) -> tuple[ReadLog, SparkFind]:
    """`reprints find --engine spark`: the inputs read and the run, still distributed."""
    from reprints.spark.find import spark_find

    spark = session(args)
    found = read(spark, args, reading)
    try:
        return found.log, spark_find(found.documents, options, boilerplate)
    except ValueError as err:
        if "duplicate document id" in str(err):
            raise duplicate_ids(err) from err
        raise
