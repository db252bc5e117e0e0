"""Graphs as edge lists: connected components, and the edges of cliques.

One function for every clustering in the package (passage and document clusters in
:mod:`reprints.group`, duplicate clusters in :mod:`reprints.dedup`), on scipy's
sparse-graph search: linear in nodes plus edges, with no Python loop per edge.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components as _scipy_components

I64 = npt.NDArray[np.int64]


def connected_components(n: int, edges: npt.ArrayLike) -> I64:
    """Component label of each of ``n`` nodes joined by ``edges`` (shape (m, 2), either
    direction), numbered 0, 1, ... in the order of each component's smallest node.

    The numbering is part of the contract (callers sort and tie-break by label), so
    it is fixed here rather than left to scipy's traversal order.
    """
    pairs = np.asarray(edges, dtype=np.int64).reshape(-1, 2)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    if pairs.shape[0] == 0:
        return np.arange(n, dtype=np.int64)
    graph = coo_matrix(
        (np.ones(pairs.shape[0], dtype=np.int8), (pairs[:, 0], pairs[:, 1])), shape=(n, n)
    ).tocsr()
    _, labels = _scipy_components(graph, directed=False)
    # Renumber by smallest member: np.unique's first index of each label is that node.
    _, first = np.unique(labels, return_index=True)
    rank = np.empty(first.shape[0], dtype=np.int64)
    rank[np.argsort(first)] = np.arange(first.shape[0], dtype=np.int64)
    return rank[labels]


def clique_edges(docs: I64, starts: I64, ends: I64) -> tuple[I64, I64]:
    """Every edge of a clique per group: all (docs[i], docs[j]) with i < j inside each
    group [start, end) of ``docs``, vectorised.

    Element i of a group ending at ``end`` pairs with the ``end - i - 1`` elements
    after it; repeat each i that many times and add 1, 2, ... to reach its partners.
    """
    sizes = ends - starts
    group_of = np.repeat(np.arange(starts.shape[0]), sizes)
    index = np.arange(docs.shape[0], dtype=np.int64)
    partners = ends[group_of] - index - 1
    total = int(partners.sum())
    if total == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty
    left = np.repeat(index, partners)
    first_of = np.repeat(np.cumsum(partners) - partners, partners)
    right = left + 1 + (np.arange(total, dtype=np.int64) - first_of)
    return docs[left], docs[right]
