"""Distributed passage clusters (reprints.spark.passages) against the local grouping."""

from __future__ import annotations

import pickle
import random
from typing import Any

import pytest

from reprints.dedup.records import record_line
from reprints.documents import Document, Pair, Passage
from reprints.group import PassageFigures, passage_clusters
from reprints.output import dumps
from reprints.spark.passages import passage_clusters as spark_passage_clusters
from tests.spark._partitions import SHUFFLE_PARTITIONS, shuffle_partitions

DATES = [None, None, None, "2020", "2020-01-01", "2021-03", "soon"]
# Few starts and lengths, so that spans repeat, nest, overlap by more or less than the
# 80% a region needs, start at the same place, and clusters tie on size and text.
STARTS = [0, 40, 100, 120, 400, 410, 900]
LENGTHS = [50, 60, 100, 300, 1000]


def _collection(seed: int, n: int) -> tuple[list[Document], list[Pair]]:
    """``n`` dated or undated documents of random text (some with "<" and quotes),
    random pairs of one to four passages, a passage reprinted along a chain and by a
    star, a passage whose halves are shared elsewhere (clusters ``part_of`` it), and
    two clusters that tie on every key but the order of their regions."""
    rng = random.Random(seed)
    alphabet = "abcdefgh <>&\"'é\n"
    docs = [
        Document(f"d{i:03d}", "".join(rng.choice(alphabet) for _ in range(2500)), {})
        for i in range(n)
    ]
    for d in docs:
        d.meta["date"] = rng.choice(DATES)
    passages: dict[tuple[int, int], list[Passage]] = {}

    def share(a: int, b: int, a_start: int, b_start: int, length: int, b_length: int = 0) -> None:
        a_end, b_end = a_start + length, b_start + (b_length or length)
        if a > b:
            a, a_start, a_end, b, b_start, b_end = b, b_start, b_end, a, a_start, a_end
        passages.setdefault((a, b), []).append(
            Passage(a_start, a_end, b_start, b_end, length // 5, 1.0)
        )

    for _ in range(2 * n):
        a, b = rng.sample(range(n), 2)
        for _ in range(rng.randint(1, 4)):
            share(a, b, rng.choice(STARTS), rng.choice(STARTS), rng.choice(LENGTHS))
    for k in range(n // 2, n - 1):  # a chain
        share(k, k + 1, 1200, 1200 + rng.choice([0, 5, 10]), 800)
    for k in range(2, n, 5):  # a star
        share(1, k, 0, 1400, 200)
    share(0, 2, 2000, 2000, 400)  # the whole passage ...
    share(0, 3, 2000, 2000, 200)  # ... and its halves
    share(2, 3, 2200, 2200, 200)
    # Two clusters alike in size, text and first member (d010 at 2300, dated first):
    # the local order is the order its loop meets them, by their regions.
    docs[10].meta["date"], docs[11].meta["date"], docs[12].meta["date"] = "1900", None, None
    share(10, 11, 2300, 2300, 100, 300)
    share(10, 12, 2300, 2300, 300, 100)
    pairs = [
        Pair(docs[a].id, docs[b].id, 0.5, 0.5, 0.0, tuple(ps))
        for (a, b), ps in sorted(passages.items())
    ]
    return docs, pairs


def _spark_lines(
    spark: Any, docs: list[Document], pairs: list[Pair]
) -> tuple[list[str], PassageFigures]:
    number = {d.id: k for k, d in enumerate(docs)}
    documents = spark.createDataFrame(
        [(k, d.id, d.text, record_line(Document(d.id, "", d.meta))) for k, d in enumerate(docs)],
        "doc long, id string, text string, meta binary",
    )
    aligned = spark.createDataFrame(
        [(number[p.a], number[p.b], pickle.dumps(p)) for p in pairs]
        + [(number[docs[1].id], -1, b"")],  # a repeats record: not a pair
        "a long, b long, record binary",
    )
    lines, figures = spark_passage_clusters(documents, aligned)
    return [row["value"] for row in lines.orderBy("cluster").collect()], figures


@pytest.mark.parametrize("seed", [1])
def test_passage_clusters_equal_the_local_grouping(spark: Any, seed: int) -> None:
    docs, pairs = _collection(seed, 40)
    local = passage_clusters(pairs, {d.id: d.meta for d in docs}, {d.id: d.text for d in docs})
    expected = [dumps(c.to_json()) for c in local]
    assert any(c.part_of is not None for c in local), "the collection holds fragments"
    assert any(c.size > 10 for c in local), "and a long chain"
    for count in SHUFFLE_PARTITIONS:
        with shuffle_partitions(spark, count):
            lines, figures = _spark_lines(spark, docs, pairs)
        assert lines == expected
        assert figures == PassageFigures.of(local)


def test_no_passages_no_clusters(spark: Any) -> None:
    docs, _ = _collection(3, 13)
    lines, figures = _spark_lines(spark, docs, [])
    assert lines == []
    assert figures == PassageFigures(0, 0, 0, 0)
