"""dedup on Spark: sketches and verification distributed, decisions by the one
:func:`reprints.dedup.decide.decide` every runner calls.

1. documents numbered in reading order (file, block, row), as the local runner
   numbers them as it reads, so removals and kept records come out in its order;
2. sketches in ``mapInArrow`` by :func:`reprints.dedup.kernels.sketch` (token counts,
   exact-copy hashes, shingles, MinHash signatures); the shingles stay in Spark, the
   fixed-size arrays of each document (what the local runner keeps in memory too)
   come to the driver;
3. :func:`decide` runs the exact groups, LSH bands, clusters, keep rule, reasons,
   containment, repeats and boilerplate, calling back into Spark for what needs the
   documents: the true Jaccard of candidate pairs (both documents' shingles joined to
   each pair, :func:`reprints.dedup.kernels.pair_jaccards` in ``mapInArrow``), `find`
   on the kept documents (:func:`reprints.spark.find.spark_find`), and the kept
   documents themselves;
4. :class:`SparkDedup` reads the kept records back in reading order for the writers.

What is not distributed yet: the LSH band grouping, the exact groups and the clusters
run on the driver over the per-document arrays (as in the local runner), not as
shuffles.
"""

from __future__ import annotations

import pickle
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from reprints.boilerplate import (
    BoilerplateDetector,
    BoilerplateMarker,
    LineCounts,
    MarkedSpan,
    without_spans,
)
from reprints.dedup.decide import Sketched, boilerplate_detector, decide
from reprints.dedup.kernels import KEPT, pair_jaccards, sketch
from reprints.dedup.options import DedupOptions
from reprints.dedup.records import record_line
from reprints.dedup.result import Removal
from reprints.dedup.summary import DedupSummary
from reprints.documents import Document, Pair, SelfRepeats
from reprints.finding import FindOptions
from reprints.minhash import MinHasher
from reprints.pipeline import ProgressHook, StageClock, no_progress
from reprints.spark.align import found_records
from reprints.spark.find import line_counts, spark_find
from reprints.spark.read import document_of_row
from reprints.text import Tokenizer

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]

SKETCH_SCHEMA = "k long, tokens long, exact binary, signature binary, shingles binary, keep binary"
_SKETCHES = pa.schema(
    [
        ("k", pa.int64()),
        ("tokens", pa.int64()),
        ("exact", pa.binary()),
        ("signature", pa.binary()),
        ("shingles", pa.binary()),
        ("keep", pa.binary()),
    ]
)
_SCORES = pa.schema([("i", pa.int64()), ("score", pa.float64())])


def number_in_reading_order(documents: DataFrame) -> DataFrame:
    """``documents`` (as :func:`reprints.spark.read.read_inputs` gives them) with ``k``,
    their number in reading order: by file, then by place in the file."""
    from pyspark.sql import functions as F

    ordered = documents.orderBy("path", "block", "at").select("id").rdd.zipWithIndex()
    numbers = documents.sparkSession.createDataFrame(
        ordered.map(lambda row: (row[0]["id"], row[1])), "id string, k long"
    )
    ids = documents.select("id")
    repeated = ids.groupBy("id").count().where(F.col("count") > 1).select("id").first()
    if repeated is not None:
        raise ValueError(f"duplicate document id {repeated['id']!r}")
    return documents.join(numbers, "id").select("k", "id", "text", "meta")


def sketch_partition(
    options: DedupOptions,
) -> Callable[[Iterator[pa.RecordBatch]], Iterator[pa.RecordBatch]]:
    """The ``mapInArrow`` function: each batch through :func:`sketch`."""

    def run(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        tokenizer = Tokenizer()
        hasher = MinHasher(options.num_perm, options.seed)
        for batch in batches:
            columns = batch.to_pydict()
            sk = sketch(columns["text"], tokenizer, hasher, options.ngram)
            keep: list[bytes | None] = [None] * len(columns["k"])
            if options.keeps_by_field:
                rows = zip(columns["id"], columns["meta"], strict=True)
                values = [document_of_row(i, "", m).meta.get(options.keep) for i, m in rows]
                keep = [pickle.dumps(v) for v in values]
            cells = [
                pa.array(columns["k"], pa.int64()),
                pa.array(sk.tokens, pa.int64()),
                pa.array([e.tobytes() for e in sk.exact], pa.binary()),
                pa.array([s.tobytes() for s in sk.signatures], pa.binary()),
                pa.array([sk.shingles.of(j).tobytes() for j in range(len(keep))], pa.binary()),
                pa.array(keep, pa.binary()),
            ]
            yield pa.RecordBatch.from_arrays(cells, schema=_SKETCHES)

    return run


def jaccard_partition() -> Callable[[Iterator[pa.RecordBatch]], Iterator[pa.RecordBatch]]:
    """The ``mapInArrow`` function: each pair's true Jaccard, by :func:`pair_jaccards`."""

    def run(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for batch in batches:
            columns = batch.to_pydict()
            shingles = (
                (np.frombuffer(a, dtype=np.uint64), np.frombuffer(b, dtype=np.uint64))
                for a, b in zip(columns["sa"], columns["sb"], strict=True)
            )
            scores = pair_jaccards(shingles, len(columns["i"]))
            yield pa.RecordBatch.from_arrays(
                [pa.array(columns["i"], pa.int64()), pa.array(scores, pa.float64())],
                schema=_SCORES,
            )

    return run


class _CountedDetector(BoilerplateDetector):
    """A detector whose line counts were made in Spark (:func:`line_counts`):
    ``decide`` asks it for the marker and the summary, never to observe."""

    def __init__(self, like: BoilerplateDetector, counts: LineCounts) -> None:
        super().__init__(
            like.settings.min_docs, like.settings.line_rules, like.settings.corpus_wide
        )
        self._counts = counts

    def counts(self) -> LineCounts:
        return self._counts

    def marker(self) -> BoilerplateMarker:
        if self._marker is None:
            self._marker = BoilerplateMarker.from_counts(self.settings, self._counts)
        return self._marker


class _Kept(Iterator[tuple[int, Document]]):
    """The documents ``decide`` asks for, read from Spark only when iterated; their
    numbers stay readable, so `find` on them runs in Spark without the driver reading
    their texts."""

    def __init__(self, numbered: DataFrame, indices: I64) -> None:
        self.numbered = numbered
        self.indices = indices
        self._rows: Iterator[tuple[int, Document]] | None = None

    def frame(self) -> DataFrame:
        from pyspark.sql import functions as F

        spark = self.numbered.sparkSession
        wanted = spark.createDataFrame([(int(k),) for k in self.indices.tolist()], "k long")
        return self.numbered.join(F.broadcast(wanted), "k")

    def __next__(self) -> tuple[int, Document]:
        if self._rows is None:
            rows = self.frame().orderBy("k").toLocalIterator()
            self._rows = ((r["k"], document_of_row(r["id"], r["text"], r["meta"])) for r in rows)
        return next(self._rows)


@dataclass
class SparkDedup:
    """A dedup run's decisions, with the kept records read from Spark by the writers
    (:func:`reprints.output.write_dedup_outputs`)."""

    numbered: DataFrame
    ids: list[str]
    status: npt.NDArray[np.int8]
    removed: list[Removal]
    skipped: list[tuple[str, str]]
    summary: DedupSummary
    options: DedupOptions
    edits: dict[int, list[MarkedSpan]] = field(default_factory=dict)

    @property
    def kept_ids(self) -> list[str]:
        return [self.ids[k] for k in np.flatnonzero(self.status == KEPT).tolist()]

    def kept_lines(self) -> Iterator[bytes]:
        """The kept records as JSON lines, in reading order, repeats and boilerplate cut."""
        o = self.options
        kept = _Kept(self.numbered, np.flatnonzero(self.status == KEPT))
        for k, doc in kept:
            yield record_line(without_spans(doc, self.edits.get(k)), o.id_field, o.text_field)

    def close(self) -> None:
        self.numbered.unpersist()

    def __enter__(self) -> SparkDedup:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def spark_dedup(
    documents: DataFrame, options: DedupOptions | None = None, progress: ProgressHook | None = None
) -> SparkDedup:
    """Deduplicate ``documents`` (as :func:`reprints.spark.read.read_inputs` gives them)."""
    from pyspark.sql import functions as F

    options = options or DedupOptions()
    report = progress or no_progress
    clock = StageClock()
    numbered = number_in_reading_order(documents).persist()
    sketches = numbered.mapInArrow(sketch_partition(options), SKETCH_SCHEMA).persist()
    rows = sketches.select("k", "tokens", "exact", "signature", "keep").orderBy("k").collect()
    n = len(rows)
    id_rows = numbered.select("k", "id").orderBy("k").collect()
    ids = [r["id"] for r in id_rows]
    sketched = Sketched(
        ids=ids,
        tokens=np.array([r["tokens"] for r in rows], dtype=np.int64),
        exact=np.frombuffer(b"".join(r["exact"] for r in rows), dtype=np.uint64).reshape(n, 2),
        signatures=np.frombuffer(b"".join(r["signature"] for r in rows), dtype=np.uint32)
        .reshape(n, options.num_perm)
        .copy(),
        keep_values=[pickle.loads(r["keep"]) for r in rows] if options.keeps_by_field else None,
    )
    del rows
    clock.lap("sketch")
    shingles = sketches.select("k", "shingles")
    spark = documents.sparkSession

    def verify(pairs: I64) -> F64:
        table = spark.createDataFrame(
            [(i, int(a), int(b)) for i, (a, b) in enumerate(pairs.tolist())],
            "i long, a long, b long",
        )
        side_a = shingles.select(F.col("k").alias("a"), F.col("shingles").alias("sa"))
        side_b = shingles.select(F.col("k").alias("b"), F.col("shingles").alias("sb"))
        joined = table.join(side_a, "a").join(side_b, "b").select("i", "sa", "sb")
        scored = joined.mapInArrow(jaccard_partition(), "i long, score double").collect()
        out = np.zeros(pairs.shape[0], dtype=np.float64)
        for row in scored:
            out[row["i"]] = row["score"]
        return out

    asked: list[_Kept] = []

    def documents_at(indices: I64) -> Iterator[tuple[int, Document]]:
        asked[:] = [_Kept(numbered, indices)]
        return asked[0]

    def run_find(
        kept: Iterator[Document], find_options: FindOptions, find_progress: ProgressHook
    ) -> tuple[list[Pair], list[SelfRepeats], dict[str, Any]]:
        # ``kept`` reads the documents of decide's last documents_at call, the kept
        # ones: `find` runs on them in Spark instead, never reading them to the driver.
        frame = asked[0].frame()
        found = spark_find(frame.select("id", "text", "meta"), find_options)
        pairs, repeats = found_records(found.aligned)
        found.documents.unpersist()
        found.fingerprinted.unpersist()
        return pairs, repeats, found.stats.to_json()

    detector = boilerplate_detector(options)
    if detector is not None:
        detector = _CountedDetector(detector, line_counts(numbered, detector.settings))
    decided = decide(sketched, options, verify, documents_at, run_find, detector, clock, report)
    sketches.unpersist()
    return SparkDedup(
        numbered,
        ids,
        decided.status,
        decided.removed,
        decided.skipped,
        decided.summary,
        options,
        decided.edits,
    )
