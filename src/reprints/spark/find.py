"""`find` on Spark, end to end: the steps of :mod:`reprints.finding`, distributed.

1. documents numbered by their sorted ids (:func:`~reprints.spark.fingerprint.number_documents`);
2. with boilerplate marking, each partition's site lines counted by
   :func:`~reprints.boilerplate.count_lines` and the partitions' counts merged
   (:meth:`~reprints.boilerplate.LineCounts.merge`, as a tree reduction), giving the
   one :class:`~reprints.boilerplate.BoilerplateMarker` of the collection;
3. fingerprints in ``mapInArrow`` (:func:`~reprints.finding.fingerprint_documents`),
   each document's exact-copy key with them, grouped by a shuffle
   (:func:`~reprints.spark.copies.exact_copies`);
4. posting lists of the representatives' anchors grouped by a hash shuffle, each
   weighing its group's size, the document-frequency cap applied to whole lists
   before any pair (:func:`~reprints.spark.candidates.spark_candidates`);
5. the representatives' pairs and repeats expanded to every copy, with the groups'
   own pairs (:func:`~reprints.spark.copies.copy_tasks`), then aligned by pair, both
   documents' fingerprints joined in (:func:`~reprints.spark.align.align`);
6. the figures of :class:`~reprints.finding.FindSummary`, from counts made in Spark.

:func:`spark_find` returns the run still distributed (:class:`SparkFind`);
:meth:`SparkFind.result` brings what a local ``--out`` needs to the driver, as the
local runner's :class:`~reprints.runners.local.FindResult`, so the same writers
write the same files.
"""

from __future__ import annotations

import dataclasses
import pickle
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from reprints.boilerplate import (
    BoilerplateMarker,
    BoilerplateSettings,
    LineCounts,
    MarkCounts,
    boilerplate_summary,
    count_lines,
)
from reprints.candidates import too_many_pairs
from reprints.finding import CandidateCounts, FindOptions, FindSummary
from reprints.pipeline import StageClock
from reprints.runners.local import FindResult
from reprints.spark.align import align, found_records
from reprints.spark.candidates import SparkCandidates, spark_candidates
from reprints.spark.copies import copies_count, copy_tasks, exact_copies, representative_anchors
from reprints.spark.fingerprint import fingerprints, number_documents
from reprints.spark.read import document_of_row
from reprints.spark.session import scale_shuffle_partitions

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

_COUNTS = pa.schema([("counts", pa.binary())])


@dataclass(frozen=True, slots=True)
class SparkFind:
    """A `find` run on Spark: the numbered documents (``doc``, ``id``, ``text``,
    ``meta``), their fingerprints, the pairing, the aligned records (``a``, ``b``,
    ``record``) and the run's figures."""

    documents: DataFrame
    fingerprinted: DataFrame
    found: SparkCandidates
    aligned: DataFrame
    stats: FindSummary

    def result(self) -> FindResult:
        """What the writers of a local ``--out`` read, on the driver: every pair and
        repeat, every document's id and metadata, and the texts of the documents in a
        pair or a repeat (the clusters' and the report's excerpts)."""
        from pyspark.sql import functions as F

        pairs, repeats = found_records(self.aligned)
        wanted = sorted({d for p in pairs for d in (p.a, p.b)} | {r.doc for r in repeats})
        spark = self.documents.sparkSession
        chosen = F.broadcast(spark.createDataFrame([(d,) for d in wanted], "id string"))
        meta: dict[str, dict[str, Any]] = {}
        for row in self.documents.select("id", "meta").collect():
            meta[row["id"]] = document_of_row(row["id"], "", row["meta"]).meta
        texts: dict[str, str] = {}
        if wanted:
            for row in self.documents.join(chosen, "id").select("id", "text").collect():
                texts[row["id"]] = row["text"]
        return FindResult(sorted(meta), pairs, repeats, self.stats, texts, meta)


def spark_find(
    documents: DataFrame,
    options: FindOptions | None = None,
    boilerplate: BoilerplateSettings | None = None,
) -> SparkFind:
    """`find` on ``documents`` (``id``, ``text`` and optionally ``meta``, as
    :func:`reprints.spark.read.read_inputs` gives them); ``boilerplate``: mark it with
    these settings, counting lines over ``documents`` (the local engine's detector)."""
    from pyspark.sql import functions as F

    options = options or FindOptions()
    clock = StageClock()
    if "meta" not in documents.columns:
        documents = documents.withColumn("meta", F.lit(None).cast("binary"))
    numbered = number_documents(documents.select("id", "text", "meta")).persist()
    count = numbered.count()
    scale_shuffle_partitions(numbered.sparkSession, count)
    clock.lap("read")

    counts = marker = None
    if boilerplate is not None:
        counts = line_counts(numbered, boilerplate)
        marker = BoilerplateMarker.from_counts(boilerplate, counts)
        clock.lap("boilerplate")
    fingerprinted = fingerprints(numbered, options, marker).persist()
    figures = fingerprinted.agg(F.sum("length"), F.sum(F.size("anchor_hashes"))).first()
    tokens, anchor_rows = (0, 0) if figures is None else (figures[0] or 0, figures[1] or 0)
    clock.lap("fingerprint")

    groups = exact_copies(fingerprinted).persist()
    copies = copies_count(groups)
    # A posting list of df <= max_df documents makes at most df * (max_df - 1) / 2
    # pairs: below that bound the cap cannot let too many through.
    if anchor_rows * (options.max_df - 1) // 2 > options.max_pairs:
        check_pair_count(fingerprinted, groups, options.max_df, options.max_pairs)
    keys = None
    if options.sentences:
        keys = representative_anchors(fingerprinted, groups, "key_hashes")
    found = spark_candidates(representative_anchors(fingerprinted, groups), options.max_df, keys)
    capped = found.capped_hashes
    tasks = copy_tasks(found, groups, options.max_df, True).persist()
    kinds = {row[0]: row[1] for row in tasks.groupBy(F.col("b") < 0).count().collect()}
    pair_count, repeat_count = kinds.get(False, 0), kinds.get(True, 0)
    if not options.self_repeats:
        tasks = tasks.where(F.col("b") >= 0)
    clock.lap("candidates")

    aligned = align(tasks, fingerprinted, options, capped, found.capped_df).localCheckpoint()
    tasks.unpersist()
    groups.unpersist()
    pair_rows = F.col("b") >= 0
    figures = aligned.agg(
        F.sum(pair_rows.cast("long")),
        F.sum(F.when(pair_rows, F.col("passages"))),
        F.sum((~pair_rows).cast("long")),
        F.sum(F.when(~pair_rows, F.col("passages"))),
    ).first()
    found_pairs, passages, found_repeats, repeated = (int(x or 0) for x in (figures or [0] * 4))
    clock.lap("align")

    summary = None
    if boilerplate is not None and counts is not None:
        summary = boilerplate_summary(boilerplate, counts, mark_counts(fingerprinted))
    # The records stay distributed: the summary counts them there.
    stats = FindSummary.of(
        options,
        documents=count,
        tokens=int(tokens),
        found=CandidateCounts(found.anchors, capped.shape[0], pair_count, repeat_count, copies),
        pairs=[],
        repeats=[],
        seconds=clock.seconds,
        boilerplate=summary,
    )
    stats = dataclasses.replace(
        stats,
        pairs=found_pairs,
        passages=passages,
        documents_with_repeats=found_repeats,
        repeated_passages=repeated,
    )
    return SparkFind(numbered, fingerprinted, found, aligned, stats)


def check_pair_count(
    fingerprinted: DataFrame, groups: DataFrame, max_df: int, max_pairs: int
) -> None:
    """Refuse, before any pair is made, a ``max_df`` that lets the representatives'
    posting lists pair documents more than ``max_pairs`` times, as the local engine's
    :func:`~reprints.candidates.find_candidates` does (the same sum over the uncapped
    lists of two documents or more, each weighing its copies against the cap, and the
    same message): one aggregation by hash, then one row to the driver."""
    from pyspark.sql import functions as F

    anchors = representative_anchors(fingerprinted, groups, distinct=True)
    lists = anchors.groupBy("hash").agg(
        F.count(F.lit(1)).alias("df"), F.sum("weight").alias("weighted")
    )
    uncapped = lists.where((F.col("weighted") <= max_df) & (F.col("df") > 1))
    row = uncapped.agg(F.sum(F.expr("df * (df - 1) div 2")), F.max("weighted")).first()
    if row is not None and int(row[0] or 0) > max_pairs:
        raise too_many_pairs(int(row[0]), int(row[1]), max_df, max_pairs)


def line_counts(numbered: DataFrame, settings: BoilerplateSettings) -> LineCounts:
    """The site line counts of the collection: each partition's by
    :func:`count_lines`, merged by :meth:`LineCounts.merge` in a tree reduction."""
    parts = numbered.select("id", "text", "meta").mapInArrow(
        count_partition(settings), "counts binary"
    )
    counted = parts.rdd.map(lambda row: pickle.loads(row[0]))
    # Every partition gives one row (its counts, maybe empty): only a collection of no
    # partitions at all has none to reduce.
    merged: LineCounts = counted.treeAggregate(LineCounts(), LineCounts.merge, LineCounts.merge)
    return merged


def mark_counts(fingerprinted: DataFrame) -> MarkCounts:
    """What the marker marked in every batch of ``fingerprinted`` (the ``marks``
    cells that are not null, one per batch), merged by :meth:`MarkCounts.merge` in a
    tree reduction."""
    from pyspark.sql import functions as F

    cells = fingerprinted.where(F.col("marks").isNotNull()).select("marks")
    counted = cells.rdd.map(lambda row: pickle.loads(row[0]))
    merged: MarkCounts = counted.treeAggregate(MarkCounts(), MarkCounts.merge, MarkCounts.merge)
    return merged


def count_partition(
    settings: BoilerplateSettings,
) -> Callable[[Iterator[pa.RecordBatch]], Iterator[pa.RecordBatch]]:
    """The ``mapInArrow`` function: one partition's line counts, pickled, in one row."""

    def run(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        def documents() -> Iterator[Any]:
            for batch in batches:
                columns = batch.to_pydict()
                rows = zip(columns["id"], columns["text"], columns["meta"], strict=True)
                for doc_id, text, meta in rows:
                    yield document_of_row(doc_id, text, meta)

        counts = count_lines(documents(), settings)
        cell = pickle.dumps(counts, protocol=pickle.HIGHEST_PROTOCOL)
        yield pa.RecordBatch.from_pydict({"counts": [cell]}, schema=_COUNTS)

    return run
