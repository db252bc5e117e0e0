"""Document numbers, fingerprints and candidates on Spark equal the reference runner's."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from reprints.candidates import AnchorIndex
from reprints.documents import Document
from reprints.finding import FindOptions, fingerprint_documents
from reprints.readers import read_documents
from reprints.spark.candidates import spark_candidates, to_hash
from reprints.spark.fingerprint import (
    anchor_rows,
    fingerprints,
    key_rows,
    number_documents,
    tokens_of,
)
from reprints.text import Tokenizer

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def collection(seeds: Path) -> list[Document]:
    """The examples, the seeds, a template copied 150 times and documents shorter than
    the n-gram, in an order that is not the ids' order."""
    docs = list(read_documents([EXAMPLES, seeds]))
    template = "subscribe to our newsletter for the latest stories from the harbor " * 3
    docs += [Document(f"t{i:03d}", f"{template} story number {i} of many") for i in range(150)]
    docs += [Document("short-1", "two words"), Document("short-0", "one")]
    return docs[::-1]


def frame_of(spark: Any, docs: list[Document]) -> Any:
    return spark.createDataFrame([(d.id, d.text) for d in docs], "id string, text string")


def test_numbers_fingerprints_and_candidates_are_the_reference_ones(
    spark: Any, partitions: int, seeds_dir: Path
) -> None:
    docs = collection(seeds_dir)
    options = FindOptions(max_df=100)
    ordered = sorted(docs, key=lambda d: d.id)
    expected = fingerprint_documents(ordered, options, Tokenizer(), None)

    found = fingerprints(number_documents(frame_of(spark, docs)), options)
    rows = {row["doc"]: row for row in found.collect()}
    assert sorted(rows) == list(range(len(ordered)))
    for k, want in enumerate(expected.tokens):
        row = rows[k]
        got = tokens_of(row["tokens"])
        for name in ("hashes", "starts", "ends"):
            assert np.array_equal(getattr(got, name), getattr(want, name))
        positions, hashes = expected.anchors.of(k)
        assert row["anchor_positions"] == positions.tolist()
        assert to_hash(row["anchor_hashes"]).tolist() == hashes.tolist()
        key = to_hash([row["key_hi"], row["key_lo"]])
        assert key.tolist() == expected.keys[k].tolist()

    for k in range(len(ordered)):
        assert to_hash(rows[k]["key_hashes"]).tolist() == expected.sentence_keys.of(k)[1].tolist()
    index = AnchorIndex.build(
        expected.anchors,
        options.ngram,
        options.window(),
        options.max_df,
        keys=expected.sentence_keys,
    )
    want = index.candidates()
    got = spark_candidates(anchor_rows(found), options.max_df, key_rows(found))
    pairs = sorted((r["a"], r["b"], r["shared"]) for r in got.pairs.collect())
    assert pairs == sorted(zip(*(want.pairs.T.tolist()), want.shared_anchors.tolist(), strict=True))
    assert sorted(r["doc"] for r in got.repeats.collect()) == want.self_docs.tolist()
    assert want.capped.shape[0] > 0  # the template's anchors are capped, not paired
    capped = np.sort(to_hash([r["hash"] for r in got.capped.collect()]))
    assert capped.tolist() == want.capped.tolist()


def test_a_repeated_id_is_an_error(spark: Any) -> None:
    docs = [Document("a", "one text"), Document("a", "another text")]
    with pytest.raises(ValueError, match="duplicate document id 'a'"):
        number_documents(frame_of(spark, docs))
