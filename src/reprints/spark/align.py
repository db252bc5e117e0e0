"""Alignment on Spark, distributed by pair, by the local engine's stage functions.

Every alignment task (a candidate pair, or a document's own repeats) becomes one row
with the fingerprints of its documents joined in: the first document's tokens and
anchors, the second's too. In ``mapInArrow`` each row is aligned by
:func:`reprints.finding.align_tasks`, the composition every runner calls, over an
:class:`~reprints.candidates.AnchorIndex` of the task's own documents that carries the
collection's capped hashes: :meth:`~reprints.candidates.AnchorIndex.admission` reads no
more than the two documents' anchors and that cap, so it admits what the index of the
whole collection admits. The capped hashes travel to the tasks with the function
(one sorted array, a few bytes per stock phrase of the collection).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from reprints.candidates import AnchorIndex, Candidates
from reprints.finding import REPEATS, FindOptions, align_tasks
from reprints.fingerprint import Anchors
from reprints.spark.candidates import SparkCandidates, to_hash
from reprints.spark.fingerprint import tokens_of
from reprints.text import Tokens

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

FOUND_SCHEMA = "a long, b long, record string"
_OUT = pa.schema([("a", pa.int64()), ("b", pa.int64()), ("record", pa.string())])
_TOKEN_CELLS = ("hashes", "starts", "ends", "boilerplate", "stems", "breaks")
_SIDE = ("id", *_TOKEN_CELLS, "anchor_positions", "anchor_hashes")


def capped_hashes(found: SparkCandidates) -> npt.NDArray[np.uint64]:
    """The collection's capped anchor hashes, sorted, for every task's admission."""
    return np.sort(to_hash([row["hash"] for row in found.capped.collect()]))


def alignment_tasks(found: SparkCandidates, self_repeats: bool) -> DataFrame:
    """``(a, b)`` for every candidate pair, and ``(doc, REPEATS)`` for every repeat
    candidate when asked: :func:`reprints.finding.alignment_tasks`, distributed."""
    from pyspark.sql import functions as F

    tasks = found.pairs.select("a", "b")
    if self_repeats:
        tasks = tasks.union(found.repeats.select(F.col("doc").alias("a"), F.lit(REPEATS)))
    return tasks


def align(
    tasks: DataFrame,
    fingerprinted: DataFrame,
    options: FindOptions,
    capped: npt.NDArray[np.uint64],
) -> DataFrame:
    """Every task's record (a :class:`Pair` or :class:`SelfRepeats` as its JSON text)
    where the alignment found one: ``(a, b, record)``."""
    from pyspark.sql import functions as F

    sides = fingerprinted.select("doc", *_SIDE)
    first = sides.select(F.col("doc").alias("a"), *(F.col(c).alias(f"{c}_a") for c in _SIDE))
    second = sides.select(F.col("doc").alias("b"), *(F.col(c).alias(f"{c}_b") for c in _SIDE))
    joined = tasks.join(first, "a").join(second, "b", "left")
    return joined.mapInArrow(align_partition(options, capped), FOUND_SCHEMA)


def align_partition(
    options: FindOptions, capped: npt.NDArray[np.uint64]
) -> Callable[[Iterator[pa.RecordBatch]], Iterator[pa.RecordBatch]]:
    """The ``mapInArrow`` function: each task row through :func:`align_tasks`."""
    params = options.align_params()
    window = options.window()

    def run(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for batch in batches:
            found: dict[str, list[Any]] = {"a": [], "b": [], "record": []}
            for row in batch.to_pylist():
                alone = row["b"] == REPEATS
                docs = [_Side.of(row, "a")] if alone else [_Side.of(row, "a"), _Side.of(row, "b")]
                index = AnchorIndex(
                    _anchors(docs), options.ngram, window, options.max_df, _capped_only(capped)
                )
                tasks = [(0, REPEATS) if alone else (0, 1)]
                ids, tokens = [d.id for d in docs], [d.tokens for d in docs]
                (record,) = align_tasks(tasks, ids, tokens, index, params)
                if record is not None:
                    found["a"].append(row["a"])
                    found["b"].append(row["b"])
                    found["record"].append(json.dumps(record.to_json(), sort_keys=True))
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
            tokens_of({name: cell[name] for name in _TOKEN_CELLS}),
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


def _capped_only(capped: npt.NDArray[np.uint64]) -> Candidates:
    """The part of the collection's pairing an admission reads: its capped hashes."""
    empty = np.zeros(0, dtype=np.int64)
    return Candidates(empty.reshape(0, 2), empty, empty, capped, 0, 0)


def pair_records(found: DataFrame) -> list[dict[str, Any]]:
    """The pairs ``align`` found, in the reference runner's order (by document numbers)."""
    rows = found.where("b >= 0").orderBy("a", "b").collect()
    return [json.loads(row["record"]) for row in rows]


def repeat_records(found: DataFrame) -> list[dict[str, Any]]:
    """The repeats ``align`` found, in the reference runner's order (by document id)."""
    records = [json.loads(row["record"]) for row in found.where(f"b = {REPEATS}").collect()]
    return sorted(records, key=lambda r: r["doc"])
