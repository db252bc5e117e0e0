"""Distributed document clusters (reprints.spark.groups) against the local grouping."""

from __future__ import annotations

import random
from typing import Any

import pytest

from reprints.dedup.records import record_line
from reprints.documents import Document, Pair
from reprints.group import RoleFigures, document_clusters
from reprints.output import dumps
from reprints.spark.groups import document_roles
from tests.spark._partitions import SHUFFLE_PARTITIONS, shuffle_partitions

DATES = [None, None, "2020", "2020-01-01", "2021-03", "2019-12-31T23:00:00+02:00", "soon"]
# Few containment values, so that best covers and scores tie often.
CONTAINMENTS = [0.05, 0.1, 0.25, 0.5, 0.8, 0.8, 1.0, 1 / 3]


def _collection(seed: int, n: int) -> tuple[list[Document], list[Pair]]:
    """``n`` documents, some dated (repeated dates, one unparseable), with random pairs:
    long chains, a star, isolated documents, weak pairs under the containment bar."""
    rng = random.Random(seed)
    docs = [Document(f"d{i:03d}", "", {"date": rng.choice(DATES)}) for i in range(n)]
    edges = {tuple(sorted(rng.sample(range(n), 2))) for _ in range(n)}
    edges |= {(0, k) for k in range(1, n, 7)}  # a star on the first document
    edges |= {(k, k + 1) for k in range(n // 2, n - 1, 1) if rng.random() < 0.8}  # chains
    pairs = [
        Pair(docs[a].id, docs[b].id, rng.choice(CONTAINMENTS), rng.choice(CONTAINMENTS), 0.0, ())
        for a, b in sorted(edges)
    ]
    return docs, pairs


def _spark_roles(spark: Any, docs: list[Document], pairs: list[Pair]) -> tuple[list[str], Any]:
    number = {d.id: k for k, d in enumerate(docs)}
    documents = spark.createDataFrame(
        [(k, d.id, record_line(Document(d.id, "", d.meta))) for k, d in enumerate(docs)],
        "doc long, id string, meta binary",
    )
    aligned = spark.createDataFrame(
        [(number[p.a], number[p.b], p.containment_a, p.containment_b) for p in pairs]
        + [(number[docs[1].id], -1, None, None)],  # a repeats record: not a pair
        "a long, b long, containment_a double, containment_b double",
    )
    lines, figures = document_roles(documents, aligned)
    return [row["value"] for row in lines.orderBy("doc").collect()], figures


@pytest.mark.parametrize("seed", [1])
def test_document_roles_equal_the_local_grouping(spark: Any, seed: int) -> None:
    docs, pairs = _collection(seed, 60)
    local = document_clusters(pairs, [d.id for d in docs], {d.id: d.meta for d in docs})
    expected = [dumps(r.to_json()) for r in local]
    assert len({r.role for r in local}) == 4, "the collection holds every role"
    for count in SHUFFLE_PARTITIONS:
        with shuffle_partitions(spark, count):
            lines, figures = _spark_roles(spark, docs, pairs)
        assert lines == expected
        assert figures == RoleFigures.of(local)


def test_no_pairs_every_document_unique(spark: Any) -> None:
    docs, _ = _collection(3, 5)
    lines, figures = _spark_roles(spark, docs, [])
    local = document_clusters([], [d.id for d in docs], {d.id: d.meta for d in docs})
    assert lines == [dumps(r.to_json()) for r in local]
    assert figures == RoleFigures(
        {"original": 0, "copy": 0, "partial copy": 0, "unique": 5}, 0, 0, 0
    )
