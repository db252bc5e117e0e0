"""Connected components (reprints.graph) against a hand-written union-find."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from reprints.graph import connected_components


def union_find_labels(n: int, edges: list[tuple[int, int]]) -> list[int]:
    """Each node's root under a plain union-find, the reference the scipy version must match."""
    parent = list(range(n))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for a, b in edges:
        parent[root(a)] = root(b)
    return [root(i) for i in range(n)]


@st.composite
def graphs(draw: st.DrawFn) -> tuple[int, list[tuple[int, int]]]:
    n = draw(st.integers(0, 40))
    if n == 0:
        return 0, []
    node = st.integers(0, n - 1)
    return n, draw(st.lists(st.tuples(node, node), max_size=3 * n))


@settings(max_examples=200, deadline=None)
@given(graphs())
def test_components_match_a_plain_union_find(graph: tuple[int, list[tuple[int, int]]]) -> None:
    n, edges = graph
    labels = connected_components(n, np.array(edges, dtype=np.int64).reshape(-1, 2)).tolist()
    roots = union_find_labels(n, edges)
    assert len(labels) == n
    for i in range(n):
        for j in range(n):
            assert (labels[i] == labels[j]) == (roots[i] == roots[j])
    # Numbered by smallest member: the first time a label appears, it is the next number.
    seen: list[int] = []
    for label in labels:
        if label not in seen:
            seen.append(label)
    assert seen == list(range(len(seen)))


def test_no_edges_leaves_every_node_alone() -> None:
    assert connected_components(4, np.zeros((0, 2), np.int64)).tolist() == [0, 1, 2, 3]
    assert connected_components(0, []).tolist() == []


def test_a_chain_given_backwards_is_one_component() -> None:
    edges = np.array([[4, 3], [3, 2], [2, 1], [1, 0], [5, 6]], dtype=np.int64)
    assert connected_components(7, edges).tolist() == [0, 0, 0, 0, 0, 1, 1]
