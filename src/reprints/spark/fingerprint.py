"""Document numbers and fingerprints on Spark, by the local engine's stage functions.

Documents are numbered by the order of their sorted ids (a global sort, then each
row's index in it), exactly as the local and reference runners number them, so no
result depends on how Spark partitions the input. Fingerprints are computed in
``mapInArrow`` over Arrow batches by :func:`reprints.finding.fingerprint_documents`,
the function the other runners call; its tokens and anchors come back as columns:
the token arrays as raw little-endian bytes (one binary cell per array, rebuilt
without copying by :func:`tokens_of`), the anchors as arrays of longs that
:func:`anchor_rows` explodes into the ``(hash, doc)`` rows of the anchor index.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa

from reprints.documents import Document
from reprints.finding import FindOptions, FingerprintedBatch, fingerprint_documents
from reprints.spark.candidates import to_long
from reprints.text import Tokenizer, Tokens, word_fields

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

FINGERPRINT_SCHEMA = (
    "doc long, id string, hashes binary, starts binary, ends binary, boilerplate binary, "
    "stems binary, breaks binary, anchor_positions array<long>, anchor_hashes array<long>, "
    "key_hashes array<long>"
)


def number_documents(documents: DataFrame) -> DataFrame:
    """``documents`` (with a string column ``id``) with ``doc``: the position of its id
    among the sorted ids. Spark orders strings by their UTF-8 bytes, which is the order
    of their code points, Python's order. A repeated id is an error, as locally."""
    from pyspark.sql import functions as F

    ids = documents.select("id")
    repeated = ids.groupBy("id").count().where(F.col("count") > 1).select("id").first()
    if repeated is not None:
        raise ValueError(f"duplicate document id {repeated['id']!r}")
    ranked = ids.orderBy("id").rdd.zipWithIndex().map(lambda row: (row[0]["id"], row[1]))
    numbers = documents.sparkSession.createDataFrame(ranked, "id string, doc long")
    return documents.join(numbers, "id")


def fingerprints(numbered: DataFrame, options: FindOptions) -> DataFrame:
    """Tokens and anchors of every document of ``numbered`` (``doc``, ``id``,
    ``text``), one row per document in :data:`FINGERPRINT_SCHEMA`."""
    rows = numbered.select("doc", "id", "text")
    return rows.mapInArrow(fingerprint_partition(options), FINGERPRINT_SCHEMA)


def fingerprint_partition(
    options: FindOptions,
) -> Callable[[Iterator[pa.RecordBatch]], Iterator[pa.RecordBatch]]:
    """The ``mapInArrow`` function: each Arrow batch through
    :func:`fingerprint_documents`, with a tokeniser of the task's own."""

    def run(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        tokenizer = Tokenizer()
        for batch in batches:
            columns = batch.to_pydict()
            pairs = zip(columns["id"], columns["text"], strict=True)
            documents = [Document(doc_id, text) for doc_id, text in pairs]
            found = fingerprint_documents(documents, options, tokenizer, None)
            yield _fingerprint_batch(columns["doc"], columns["id"], found)

    return run


def _fingerprint_batch(
    docs: list[int], ids: list[str], batch: FingerprintedBatch
) -> pa.RecordBatch:
    """One batch's fingerprints as :data:`FINGERPRINT_SCHEMA` rows."""
    tokens = batch.tokens
    found = [batch.anchors.of(k) for k in range(len(docs))]
    keys = [to_long(batch.keys.of(k)[1]) for k in range(len(docs))]
    positions = [p.astype(np.int64) for p, _ in found]
    hashes = [to_long(h) for _, h in found]
    words = [word_fields(t) for t in tokens]
    return pa.RecordBatch.from_arrays(
        [
            pa.array(docs, pa.int64()),
            pa.array(ids, pa.string()),
            pa.array([t.hashes.astype("<u8").tobytes() for t in tokens], pa.binary()),
            pa.array([t.starts.astype("<i4").tobytes() for t in tokens], pa.binary()),
            pa.array([t.ends.astype("<i4").tobytes() for t in tokens], pa.binary()),
            pa.array(
                [None if t.boilerplate is None else t.boilerplate.tobytes() for t in tokens],
                pa.binary(),
            ),
            pa.array([w["stems"].astype("<u8").tobytes() for w in words], pa.binary()),
            pa.array([w["breaks"].astype(np.bool_).tobytes() for w in words], pa.binary()),
            pa.array(positions, pa.list_(pa.int64())),
            pa.array(hashes, pa.list_(pa.int64())),
            pa.array(keys, pa.list_(pa.int64())),
        ],
        schema=pa.schema(
            [
                ("doc", pa.int64()),
                ("id", pa.string()),
                ("hashes", pa.binary()),
                ("starts", pa.binary()),
                ("ends", pa.binary()),
                ("boilerplate", pa.binary()),
                ("stems", pa.binary()),
                ("breaks", pa.binary()),
                ("anchor_positions", pa.list_(pa.int64())),
                ("anchor_hashes", pa.list_(pa.int64())),
                ("key_hashes", pa.list_(pa.int64())),
            ]
        ),
    )


def tokens_of(cells: dict[str, bytes | None]) -> Tokens:
    """A document's :class:`~reprints.text.Tokens` from its fingerprint row's cells
    (``hashes``, ``starts``, ``ends``, ``boilerplate``, ``stems``, ``breaks``)."""
    boilerplate, stems, breaks = cells["boilerplate"], cells["stems"], cells["breaks"]
    return Tokens(
        np.frombuffer(cells["hashes"] or b"", dtype="<u8").astype(np.uint64, copy=False),
        np.frombuffer(cells["starts"] or b"", dtype="<i4").astype(np.int32, copy=False),
        np.frombuffer(cells["ends"] or b"", dtype="<i4").astype(np.int32, copy=False),
        None if boilerplate is None else np.frombuffer(boilerplate, dtype=np.bool_),
        None if stems is None else np.frombuffer(stems, dtype="<u8").astype(np.uint64, copy=False),
        None if breaks is None else np.frombuffer(breaks, dtype=np.bool_),
    )


def anchor_rows(fingerprinted: DataFrame) -> DataFrame:
    """The ``(hash, doc)`` rows of every anchor, for :func:`spark_candidates`."""
    from pyspark.sql import functions as F

    return fingerprinted.select("doc", F.explode("anchor_hashes").alias("hash"))


def key_rows(fingerprinted: DataFrame) -> DataFrame:
    """The ``(hash, doc)`` rows of every sentence key, for :func:`spark_candidates`."""
    from pyspark.sql import functions as F

    return fingerprinted.select("doc", F.explode("key_hashes").alias("hash"))
