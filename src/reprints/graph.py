"""Connected components of an undirected graph given as an edge list.

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
