"""Distributed connected components (reprints.spark.components) against union-find."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from reprints.spark.components import connected_components
from tests.spark._partitions import SHUFFLE_PARTITIONS, shuffle_partitions

Edges = list[tuple[int, int]]


def union_find(edges: Edges) -> dict[int, int]:
    """Each node of ``edges`` with the smallest node of its component: the reference."""
    parent: dict[int, int] = {}

    def root(i: int) -> int:
        parent.setdefault(i, i)
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for a, b in edges:
        ra, rb = root(a), root(b)
        parent[max(ra, rb)] = min(ra, rb)
    return {node: root(node) for node in parent}


def spark_components(spark: Any, edges: Edges) -> dict[int, int]:
    frame = spark.createDataFrame(edges, "src long, dst long")
    rows = connected_components(frame).collect()
    labels = {row["node"]: row["component"] for row in rows}
    assert len(labels) == len(rows), "one row per node"
    return labels


@st.composite
def graphs(draw: st.DrawFn) -> Edges:
    """Sparse random graphs on ids that are neither dense nor ordered like the edges:
    paths, stars and cycles come out of them as well as scattered pairs."""
    ids = draw(st.lists(st.integers(0, 10**12), min_size=1, max_size=40, unique=True))
    node = st.sampled_from(ids)
    return draw(st.lists(st.tuples(node, node), max_size=60))


@settings(
    max_examples=8,
    deadline=None,
    # Each example is a few Spark jobs: a failure is reported as found, not shrunk.
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(edges=graphs(), partitions=st.sampled_from(SHUFFLE_PARTITIONS))
def test_random_graphs_match_union_find(spark: Any, edges: Edges, partitions: int) -> None:
    with shuffle_partitions(spark, partitions):
        assert spark_components(spark, edges) == union_find(edges)


def test_a_long_chain_in_scrambled_order(spark: Any, partitions: int) -> None:
    # A path 0-1-...-n with the node ids shuffled by a multiplicative permutation, so
    # the minimum sits in the middle and labels must travel both ways.
    n = 1000
    label = [(i * 7919) % n for i in range(n)]
    edges = [(label[i], label[i + 1]) for i in range(n - 1)]
    assert spark_components(spark, edges) == {i: 0 for i in range(n)}


def test_one_giant_star_centred_on_the_largest_node(spark: Any, partitions: int) -> None:
    leaves = 10_000
    edges = [(leaves, leaf) for leaf in range(leaves)] + [(20_000, 20_001), (20_001, 20_002)]
    expected = {node: 0 for node in range(leaves + 1)} | {20_000 + i: 20_000 for i in range(3)}
    assert spark_components(spark, edges) == expected


def test_edges_the_rounds_repeat_give_one_row_per_node(spark: Any) -> None:
    # Found by the random graphs: the last round links 342983460 to 0 twice.
    edges = [(0, 824), (824, 824), (824, 2344085), (342983460, 2344085), (342983460, 824)]
    assert spark_components(spark, edges) == union_find(edges)


def test_self_loops_repeats_and_no_edges(spark: Any) -> None:
    edges = [(5, 5), (3, 4), (4, 3), (3, 4)]
    assert spark_components(spark, edges) == {5: 5, 3: 3, 4: 3}
    assert spark_components(spark, []) == {}
