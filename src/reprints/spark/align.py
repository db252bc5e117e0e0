"""Alignment on Spark, distributed by pair, by the local engine's stage functions.

Every alignment task (a candidate pair, or a document's own repeats) becomes one row
with the fingerprints of its documents joined in: the first document's tokens and
anchors, the second's too. In ``mapInArrow`` each row is aligned by
:func:`reprints.finding.align_tasks`, the composition every runner calls, over an
:class:`~reprints.candidates.AnchorIndex` of the task's own documents that carries the
collection's capped hashes: :meth:`~reprints.candidates.AnchorIndex.admission` reads no
more than the two documents' anchors and that cap, so it admits what the index of the
whole collection admits. The capped hashes travel to the tasks with the function
(one sorted array and their document counts, a few bytes per stock phrase of the
collection). A task of two exact copies of one group carries the group's size, and
admits what :meth:`~reprints.candidates.AnchorIndex.admission` admits of two copies:
the hashes capped beside the group (:func:`~reprints.candidates.capped_beside_group`).
"""

from __future__ import annotations

import pickle
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from reprints.candidates import AnchorIndex, Candidates, capped_beside_group
from reprints.documents import Pair, SelfRepeats
from reprints.finding import REPEATS, FindOptions, align_tasks, collect
from reprints.fingerprint import Anchors
from reprints.spark.candidates import to_hash
from reprints.spark.fingerprint import tokens_of
from reprints.spark.schema import ddl
from reprints.text import Tokens

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

_OUT = pa.schema(
    [
        ("a", pa.int64()),
        ("b", pa.int64()),
        ("record", pa.binary()),
        ("passages", pa.int64()),
        # A pair's containments (null for repeats): what the document clusters read.
        ("containment_a", pa.float64()),
        ("containment_b", pa.float64()),
    ]
)
FOUND_SCHEMA = ddl(_OUT)
_SIDE = ("id", "tokens", "anchor_positions", "anchor_hashes")


def align(
    tasks: DataFrame,
    fingerprinted: DataFrame,
    options: FindOptions,
    capped: npt.NDArray[np.uint64],
    capped_df: npt.NDArray[np.int64],
) -> DataFrame:
    """Every task's record (a :class:`Pair` or :class:`SelfRepeats`, pickled) where
    the alignment found one: ``(a, b, record, passages, containment_a,
    containment_b)``. ``tasks``: ``(a, b, size)``
    (:func:`reprints.spark.copies.copy_tasks`), ``capped`` and ``capped_df`` the
    collection's capped hashes, sorted, and their weighted document counts."""
    from pyspark.sql import functions as F

    sides = fingerprinted.select("doc", *_SIDE)
    first = sides.select(F.col("doc").alias("a"), *(F.col(c).alias(f"{c}_a") for c in _SIDE))
    second = sides.select(F.col("doc").alias("b"), *(F.col(c).alias(f"{c}_b") for c in _SIDE))
    joined = tasks.join(first, "a").join(second, "b", "left")
    return joined.mapInArrow(align_partition(options, capped, capped_df), FOUND_SCHEMA)


def align_partition(
    options: FindOptions, capped: npt.NDArray[np.uint64], capped_df: npt.NDArray[np.int64]
) -> Callable[[Iterator[pa.RecordBatch]], Iterator[pa.RecordBatch]]:
    """The ``mapInArrow`` function: each task row through :func:`align_tasks`."""
    params = options.align_params()
    window = options.window()
    found_capped = _capped_only(capped, capped_df)

    def run(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        # The cap a task's admission reads: the collection's, or for two copies of a
        # group of ``size`` the hashes capped beside the group (one per size met).
        caps: dict[int, Candidates] = {1: found_capped}
        for batch in batches:
            found: dict[str, list[Any]] = {name: [] for name in _OUT.names}
            for row in batch.to_pylist():
                alone = row["b"] == REPEATS
                docs = [_Side.of(row, "a")] if alone else [_Side.of(row, "a"), _Side.of(row, "b")]
                size = int(row["size"])
                if size not in caps:
                    beside = capped_beside_group(found_capped, size, options.max_df)
                    caps[size] = _capped_only(beside, None)
                anchors = _anchors(docs)
                index = AnchorIndex(anchors, options.ngram, window, options.max_df, caps[size])
                tasks = [(0, REPEATS) if alone else (0, 1)]
                ids, tokens = [d.id for d in docs], [d.tokens for d in docs]
                (record,) = align_tasks(tasks, ids, tokens, index, params)
                if record is not None:
                    found["a"].append(row["a"])
                    found["b"].append(row["b"])
                    found["record"].append(pickle.dumps(record, protocol=pickle.HIGHEST_PROTOCOL))
                    found["passages"].append(len(record.passages))
                    if isinstance(record, Pair):
                        found["containment_a"].append(record.containment_a)
                        found["containment_b"].append(record.containment_b)
                    else:  # a document's repeats
                        found["containment_a"].append(None)
                        found["containment_b"].append(None)
            yield pa.RecordBatch.from_pydict(found, schema=_OUT)

    return run


class _Side(NamedTuple):
    """One document of a task row: its id, tokens, anchor positions and hashes."""

    id: str
    tokens: Tokens
    positions: npt.NDArray[np.int64]
    hashes: npt.NDArray[np.uint64]

    @classmethod
    def of(cls, row: dict[str, Any], side: str) -> _Side:
        cell = {name: row[f"{name}_{side}"] for name in _SIDE}
        return cls(
            cell["id"],
            tokens_of(cell["tokens"]),
            np.asarray(cell["anchor_positions"], dtype=np.int64),
            to_hash(cell["anchor_hashes"]),
        )


def _anchors(docs: list[_Side]) -> Anchors:
    """The anchors of a task's documents, numbered 0 (and 1) in the task's order."""
    sizes = [d.positions.shape[0] for d in docs]
    return Anchors(
        np.concatenate(([0], np.cumsum(sizes))).astype(np.int64),
        np.concatenate([d.positions for d in docs]).astype(np.int64),
        np.concatenate([d.hashes for d in docs]).astype(np.uint64),
    )


def _capped_only(
    capped: npt.NDArray[np.uint64], capped_df: npt.NDArray[np.int64] | None
) -> Candidates:
    """The part of the collection's pairing an admission reads: its capped hashes (and
    their weighted document counts)."""
    empty = np.zeros(0, dtype=np.int64)
    return Candidates(empty.reshape(0, 2), empty, empty, capped, 0, 0, capped_df)


def found_records(found: DataFrame) -> tuple[list[Pair], list[SelfRepeats]]:
    """The pairs and repeats ``align`` found, on the driver, in the reference runner's
    order: pairs by document numbers, repeats by document id."""
    rows = found.orderBy("a", "b").select("record").collect()
    return collect(pickle.loads(row["record"]) for row in rows)
