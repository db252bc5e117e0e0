"""Document numbers and fingerprints on Spark, by the local engine's stage functions.

Documents are numbered by the order of their sorted ids (a global sort, then each
row's index in it), exactly as the local and reference runners number them, so no
result depends on how Spark partitions the input. Fingerprints are computed in
``mapInArrow`` over Arrow batches by :func:`reprints.finding.fingerprint_documents`,
the function the other runners call (with the collection's boilerplate marker when
there is one); its tokens and anchors come back as columns: each document's
:class:`~reprints.text.Tokens` as one pickled binary cell (every field, whatever the
tokeniser carries), the anchors as arrays of longs that :func:`anchor_rows` explodes
into the ``(hash, doc)`` rows of the anchor index.
"""

from __future__ import annotations

import pickle
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa

from reprints.boilerplate import BoilerplateMarker
from reprints.finding import FindOptions, FingerprintedBatch, fingerprint_documents
from reprints.spark.candidates import to_long
from reprints.spark.read import document_of_row
from reprints.spark.schema import ddl
from reprints.text import Tokenizer, Tokens

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

_FINGERPRINTS = pa.schema(
    [
        ("doc", pa.int64()),
        ("id", pa.string()),
        ("length", pa.int64()),
        ("tokens", pa.binary()),
        ("anchor_positions", pa.list_(pa.int64())),
        ("anchor_hashes", pa.list_(pa.int64())),
        ("key_hashes", pa.list_(pa.int64())),
        ("marks", pa.binary()),
        ("key_hi", pa.int64()),
        ("key_lo", pa.int64()),
    ]
)
FINGERPRINT_SCHEMA = ddl(_FINGERPRINTS)


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


def fingerprints(
    numbered: DataFrame, options: FindOptions, marker: BoilerplateMarker | None = None
) -> DataFrame:
    """Tokens and anchors of every document of ``numbered`` (``doc``, ``id``, ``text``,
    and ``meta`` when it has one), one row per document in :data:`FINGERPRINT_SCHEMA`;
    with a ``marker``, boilerplate is marked (``marks``: what each batch marked, on its
    first row; ``key_hi``, ``key_lo``: the halves of its exact-copy key)."""
    from pyspark.sql import functions as F

    meta = F.col("meta") if "meta" in numbered.columns else F.lit(None).cast("binary")
    rows = numbered.select("doc", "id", "text", meta.alias("meta"))
    return rows.mapInArrow(fingerprint_partition(options, marker), FINGERPRINT_SCHEMA)


def fingerprint_partition(
    options: FindOptions, marker: BoilerplateMarker | None = None
) -> Callable[[Iterator[pa.RecordBatch]], Iterator[pa.RecordBatch]]:
    """The ``mapInArrow`` function: each Arrow batch through
    :func:`fingerprint_documents`, with a tokeniser of the task's own."""

    def run(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        tokenizer = Tokenizer()
        for batch in batches:
            columns = batch.to_pydict()
            rows = zip(columns["id"], columns["text"], columns["meta"], strict=True)
            documents = [document_of_row(doc_id, text, meta) for doc_id, text, meta in rows]
            found = fingerprint_documents(documents, options, tokenizer, marker)
            yield _fingerprint_batch(columns["doc"], columns["id"], found)

    return run


def _fingerprint_batch(
    docs: list[int], ids: list[str], found: FingerprintedBatch
) -> pa.RecordBatch:
    """One batch's fingerprints as :data:`FINGERPRINT_SCHEMA` rows."""
    anchors = [found.anchors.of(k) for k in range(len(docs))]
    marks: list[bytes | None] = [None] * len(docs)
    if found.marks is not None and docs:
        marks[0] = pickle.dumps(found.marks, protocol=pickle.HIGHEST_PROTOCOL)
    columns = [
        pa.array(docs, pa.int64()),
        pa.array(ids, pa.string()),
        pa.array([len(t) for t in found.tokens], pa.int64()),
        pa.array([tokens_cell(t) for t in found.tokens], pa.binary()),
        pa.array([p.astype(np.int64) for p, _ in anchors], pa.list_(pa.int64())),
        pa.array([to_long(h) for _, h in anchors], pa.list_(pa.int64())),
        pa.array(
            [to_long(found.sentence_keys.of(k)[1]) for k in range(len(docs))],
            pa.list_(pa.int64()),
        ),
        pa.array(marks, pa.binary()),
        pa.array(to_long(found.keys[:, 0]), pa.int64()),
        pa.array(to_long(found.keys[:, 1]), pa.int64()),
    ]
    return pa.RecordBatch.from_arrays(columns, schema=_FINGERPRINTS)


def tokens_cell(tokens: Tokens) -> bytes:
    """A document's :class:`~reprints.text.Tokens` as one binary cell: pickled, so every
    field it has (whatever the tokeniser adds) travels without this module naming it."""
    return pickle.dumps(tokens, protocol=pickle.HIGHEST_PROTOCOL)


def tokens_of(cell: bytes) -> Tokens:
    """A document's :class:`~reprints.text.Tokens` back from its fingerprint row's cell."""
    tokens = pickle.loads(cell)
    assert isinstance(tokens, Tokens)
    return tokens


def anchor_rows(fingerprinted: DataFrame) -> DataFrame:
    """The ``(hash, doc)`` rows of every anchor, for :func:`spark_candidates`."""
    from pyspark.sql import functions as F

    return fingerprinted.select("doc", F.explode("anchor_hashes").alias("hash"))


def key_rows(fingerprinted: DataFrame) -> DataFrame:
    """The ``(hash, doc)`` rows of every sentence key, for :func:`spark_candidates`."""
    from pyspark.sql import functions as F

    return fingerprinted.select("doc", F.explode("key_hashes").alias("hash"))
