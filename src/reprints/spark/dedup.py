"""dedup on Spark: sketches and verification distributed, decisions by the one
:func:`reprints.dedup.decide.decide` every runner calls.

1. documents numbered in reading order (file, block, row), as the local runner
   numbers them as it reads, so removals and kept records come out in its order;
2. sketches in ``mapInArrow`` by :func:`reprints.dedup.kernels.sketch` (token counts,
   exact-copy hashes, shingles, MinHash signatures and their LSH band keys), which
   stay in Spark: only each document's id, token count and keep field value come to
   the driver (the keep rank of containment and the skipped documents need them);
3. exact groups, LSH candidates, verification, clusters and the keep rule as
   shuffles over the sketches (:func:`reprints.spark.near.spark_clusters`), the
   driver receiving one row per removed document;
4. :func:`reprints.dedup.decide.settle`, the local runner's code after the clusters,
   for containment, repeats and boilerplate, calling back into Spark for `find` on the
   kept documents (:func:`reprints.spark.find.spark_find`) and the documents
   themselves;
5. :class:`SparkDedup` reads the kept records back in reading order for the writers.
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
from reprints.dedup.decide import Sketched, boilerplate_detector, settle
from reprints.dedup.kernels import KEPT, sketch
from reprints.dedup.options import DedupOptions
from reprints.dedup.records import record_line
from reprints.dedup.result import Removal
from reprints.dedup.summary import DedupSummary
from reprints.documents import Document, Pair, SelfRepeats
from reprints.finding import FindOptions
from reprints.minhash import MinHasher, band_keys
from reprints.pipeline import ProgressHook, StageClock, no_progress
from reprints.spark.align import found_records
from reprints.spark.find import line_counts, spark_find
from reprints.spark.near import SKETCH_SCHEMA, SKETCHES, signed_halves, spark_clusters
from reprints.spark.read import document_of_row
from reprints.spark.session import scale_shuffle_partitions
from reprints.text import Tokenizer

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

I64 = npt.NDArray[np.int64]


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
    """The ``mapInArrow`` function: each batch through :func:`sketch`, with each
    document's LSH band keys by :func:`band_keys`."""
    bands, rows = options.bands_rows()

    def run(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        tokenizer = Tokenizer()
        hasher = MinHasher(options.num_perm, options.seed)
        for batch in batches:
            columns = batch.to_pydict()
            count = len(columns["k"])
            sk = sketch(columns["text"], tokenizer, hasher, options.ngram)
            keep: list[bytes | None] = [None] * count
            if options.keeps_by_field:
                pairs = zip(columns["id"], columns["meta"], strict=True)
                values = [document_of_row(i, "", m).meta.get(options.keep) for i, m in pairs]
                keep = [pickle.dumps(v) for v in values]
            exact = signed_halves(sk.exact)
            keys = band_keys(sk.signatures, bands, rows).view(np.int64)
            cells = [
                pa.array(columns["k"], pa.int64()),
                pa.array(columns["id"], pa.string()),
                pa.array(sk.tokens, pa.int64()),
                pa.array(exact[:, 0], pa.int64()),
                pa.array(exact[:, 1], pa.int64()),
                pa.array(list(keys), pa.list_(pa.int64())),
                pa.array([s.tobytes() for s in sk.signatures], pa.binary()),
                pa.array([sk.shingles.of(j).tobytes() for j in range(count)], pa.binary()),
                pa.array(keep, pa.binary()),
            ]
            yield pa.RecordBatch.from_arrays(cells, schema=SKETCHES)

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

    options = options or DedupOptions()
    report = progress or no_progress
    clock = StageClock()
    numbered = number_in_reading_order(documents).persist()
    sketches = numbered.mapInArrow(sketch_partition(options), SKETCH_SCHEMA).persist()
    rows = sketches.select("k", "id", "tokens", "keep").orderBy("k").collect()
    ids = [r["id"] for r in rows]
    sketched = Sketched(
        ids=ids,
        tokens=np.array([r["tokens"] for r in rows], dtype=np.int64),
        exact=np.zeros((0, 2), dtype=np.uint64),
        signatures=np.zeros((0, options.num_perm), dtype=np.uint32),
        keep_values=[pickle.loads(r["keep"]) for r in rows] if options.keeps_by_field else None,
    )
    del rows
    scale_shuffle_partitions(numbered.sparkSession, len(ids))
    clock.lap("sketch")
    clusters = spark_clusters(sketches, sketched, options, clock)

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
    decided = settle(sketched, clusters, options, documents_at, run_find, detector, clock, report)
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
