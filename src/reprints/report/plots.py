"""The report's charts, rendered by matplotlib as inline SVG (no files, no CDN).

Figures are built with :class:`matplotlib.figure.Figure` directly (no pyplot, no
global backend state). Text stays text (``svg.fonttype = none``) so the SVG is small,
and the date stamp and element ids are fixed so the same data gives the same bytes.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

import matplotlib as mpl
import numpy as np
import numpy.typing as npt
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

_RC: dict[str, Any] = {
    "svg.fonttype": "none",
    "svg.hashsalt": "reprints",
    "font.size": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
}
_BLUE, _ORANGE = "#4c78a8", "#f58518"


def _svg(fig: Figure) -> str:
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", metadata={"Date": None}, bbox_inches="tight")
    text = buffer.getvalue()
    return text[text.index("<svg") :]


def containment_histogram(
    larger: npt.NDArray[np.float64], smaller: npt.NDArray[np.float64], bins: int = 20
) -> str:
    """Pairs by containment: of the more-covered document and of the other one."""
    with mpl.rc_context(_RC):  # type: ignore[arg-type]
        fig = Figure(figsize=(6.0, 2.6))
        ax = fig.add_subplot()
        edges = np.linspace(0.0, 1.0, bins + 1)
        ax.hist(
            [larger, smaller],
            bins=edges.tolist(),
            color=[_BLUE, _ORANGE],
            label=["more-covered document", "other document"],
        )
        ax.set_xlabel("containment (share of a document's tokens in shared passages)")
        ax.set_ylabel("pairs")
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        if larger.size and np.histogram(larger, edges)[0].max() > 50:
            ax.set_yscale("log")
        ax.legend(frameon=False)
        return _svg(fig)


def size_buckets(sizes: Sequence[int], top: int) -> tuple[list[str], npt.NDArray[np.int64]]:
    """Cluster counts by size: 2, 3, 4, then powers of two (5–8, 9–16, …) up to ``top``."""
    uppers = [2, 3, 4]
    while uppers[-1] < top:
        uppers.append(uppers[-1] * 2)
    labels = []
    for i, upper in enumerate(uppers):
        lower = uppers[i - 1] + 1 if i else 2
        labels.append(str(upper) if lower == upper else f"{lower}–{upper}")
    index = np.searchsorted(np.array(uppers), np.asarray(sizes, dtype=np.int64), side="left")
    return labels, np.bincount(index, minlength=len(uppers)).astype(np.int64)


def cluster_sizes(passage_sizes: Sequence[int], document_sizes: Sequence[int]) -> str:
    """Distribution of cluster sizes, passage clusters beside document clusters."""
    top = max(max(passage_sizes, default=2), max(document_sizes, default=2))
    labels, passages = size_buckets(passage_sizes, top)
    _, documents = size_buckets(document_sizes, top)
    with mpl.rc_context(_RC):  # type: ignore[arg-type]
        fig = Figure(figsize=(6.0, 2.6))
        ax = fig.add_subplot()
        x = np.arange(len(labels))
        ax.bar(x - 0.2, passages, width=0.4, color=_BLUE, label="passage clusters (members)")
        ax.bar(x + 0.2, documents, width=0.4, color=_ORANGE, label="document clusters (documents)")
        ax.set_xticks(x, labels)
        ax.set_xlabel("cluster size")
        ax.set_ylabel("clusters")
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        if max(passages.max(initial=0), documents.max(initial=0)) > 50:
            ax.set_yscale("log")
        ax.legend(frameon=False)
        return _svg(fig)
