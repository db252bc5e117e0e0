"""Immutable segment files: one folder of ``.npy`` arrays per add, merged by compact.

A segment holds a set of documents, by their index-wide *numbers* (assigned in the
order documents were added, never reused):

- ``nums.npy``: the documents' numbers, ascending; slot ``k`` is ``nums[k]``;
- ``post_hash.npy``, ``post_doc.npy``: the posting rows, one per distinct
  (anchor hash, document number), sorted by hash then number, so that a hash's
  posting list is one ``searchsorted`` range and its length is the hash's document
  frequency inside the segment. Anchor *positions* are not stored: a query
  re-fingerprints the few documents it aligns from their stored tokens (the same
  :func:`reprints.fingerprint.fingerprint` call that built the postings), which is
  cheaper than keeping 4 bytes per anchor of the whole collection on disk;
- ``tok_offsets.npy`` and ``tok_hashes``/``tok_starts``/``tok_ends``/
  ``tok_boilerplate.npy``: every document's tokens as marked when it was added, slot
  ``k`` spanning ``tok_offsets[k]:tok_offsets[k+1]``.

Files are written under a temporary folder name, fsynced, then renamed into place;
only a manifest entry in SQLite makes a segment part of the index (see
:mod:`reprints.index.store`), so a folder without one is debris of an interrupted
write. Readers memory-map the arrays: opening costs nothing, pages come in on use.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from reprints.fingerprint import Anchors
from reprints.text import Tokens

I64 = npt.NDArray[np.int64]
U64 = npt.NDArray[np.uint64]

_TOKEN_FIELDS = (
    ("tok_hashes", np.uint64),
    ("tok_starts", np.int32),
    ("tok_ends", np.int32),
    ("tok_boilerplate", np.bool_),
)
_ARRAYS = ("nums", "post_hash", "post_doc", "tok_offsets", *(name for name, _ in _TOKEN_FIELDS))


@dataclass(frozen=True, slots=True)
class SegmentData:
    """A segment's arrays in memory, before writing (or read back, memory-mapped)."""

    nums: I64
    post_hash: U64
    post_doc: I64
    tok_offsets: I64
    tok_hashes: U64
    tok_starts: npt.NDArray[np.int32]
    tok_ends: npt.NDArray[np.int32]
    tok_boilerplate: npt.NDArray[np.bool_]

    @property
    def documents(self) -> int:
        return int(self.nums.shape[0])

    @property
    def postings(self) -> int:
        return int(self.post_hash.shape[0])


@dataclass(frozen=True, slots=True)
class SegmentPart:
    """The tokens and anchors of consecutive documents as a few flat arrays: what a
    worker sends back for a chunk (one pickle of six arrays, not four per document)."""

    lengths: I64  # tokens of each document
    tok_hashes: U64
    tok_starts: npt.NDArray[np.int32]
    tok_ends: npt.NDArray[np.int32]
    tok_boilerplate: npt.NDArray[np.bool_]
    anchors: Anchors


def segment_part(tokens: list[Tokens], anchors: Anchors) -> SegmentPart:
    """The part of documents with these ``tokens`` and ``anchors`` (document k of each)."""
    return SegmentPart(anchors=anchors, **_token_arrays(tokens))


def build_segment(nums: I64, parts: Sequence[SegmentPart]) -> SegmentData:
    """A segment of documents ``nums`` (ascending): the documents of ``parts`` in
    order, the k-th of them being document number ``nums[k]``."""
    anchors = Anchors.concat([p.anchors for p in parts])
    owners = nums.astype(np.int64)[anchors.owners()]
    lengths = _joined([p.lengths for p in parts], np.int64)
    return SegmentData(
        nums.astype(np.int64),
        # owners ascend with the anchors: a stable sort by hash orders (hash, number)
        *_distinct_postings(anchors.hashes, owners, np.argsort(anchors.hashes, kind="stable")),
        np.concatenate(([0], np.cumsum(lengths))).astype(np.int64),
        *(_joined([getattr(p, name) for p in parts], dtype) for name, dtype in _TOKEN_FIELDS),
    )


def _joined(parts: Sequence[npt.NDArray[Any]], dtype: type) -> npt.NDArray[Any]:
    return np.concatenate(parts).astype(dtype, copy=False) if parts else np.zeros(0, dtype)


def _distinct_postings(hashes: U64, docs: I64, order: I64 | None = None) -> tuple[U64, I64]:
    """Distinct (hash, document) rows sorted by hash then document; ``order``, when
    given, is an ordering of the rows that sorts them so."""
    if order is None:
        order = np.lexsort((docs, hashes))
    h, d = hashes[order], docs[order]
    keep = np.ones(h.shape[0], dtype=bool)
    keep[1:] = (h[1:] != h[:-1]) | (d[1:] != d[:-1])
    return h[keep].astype(np.uint64), d[keep].astype(np.int64)


def _token_arrays(tokens: list[Tokens]) -> dict[str, npt.NDArray[Any]]:
    """Each document's token count and the concatenated token fields."""

    def joined_field(pick: str, dtype: type) -> npt.NDArray[Any]:
        return _joined(
            [
                np.zeros(len(t), dtype=dtype) if getattr(t, pick) is None else getattr(t, pick)
                for t in tokens
            ],
            dtype,
        )

    return {
        "lengths": np.fromiter((len(t) for t in tokens), dtype=np.int64, count=len(tokens)),
        **{name: joined_field(name.removeprefix("tok_"), dtype) for name, dtype in _TOKEN_FIELDS},
    }


def frequent_hashes(new: SegmentData, old: Sequence[SegmentData], max_df: int) -> U64:
    """The anchor hashes of ``new`` that ``max_df`` or more documents of ``new`` and
    ``old`` together hold (removed ones included: an over-count is safe), sorted."""
    hashes = np.asarray(new.post_hash)
    if not hashes.shape[0]:
        return np.zeros(0, np.uint64)
    first = np.flatnonzero(np.concatenate(([True], hashes[1:] != hashes[:-1])))
    distinct = hashes[first]
    df = np.diff(np.append(first, hashes.shape[0]))
    for seg in old:
        lo, hi = posting_ranges(seg.post_hash, distinct)
        df += hi - lo
    return distinct[df >= max_df].astype(np.uint64)


def posting_ranges(post_hash: U64, hashes: U64) -> tuple[I64, I64]:
    """The posting rows ``[lo, hi)`` of each of ``hashes`` in a segment. A
    binary search costs a cache miss a step on a large segment: the right ends are
    searched only for the few hashes the segment holds."""
    lo = np.searchsorted(post_hash, hashes, side="left")
    inside = lo < post_hash.shape[0]
    held = np.flatnonzero(inside)[post_hash[lo[inside]] == hashes[inside]]
    hi = lo.copy()
    if held.shape[0]:
        hi[held] = np.searchsorted(post_hash, hashes[held], side="right")
    return lo, hi


def merge_segments(segments: list[SegmentData], dead: I64) -> SegmentData:
    """One segment holding the live documents of ``segments`` (numbers not in ``dead``)."""
    nums_parts: list[I64] = []
    tokens: list[Tokens] = []
    hashes_parts, docs_parts = [], []
    for seg in segments:
        alive = ~np.isin(seg.nums, dead)
        nums_parts.append(np.asarray(seg.nums)[alive])
        tokens.extend(segment_tokens(seg, k) for k in np.flatnonzero(alive).tolist())
        rows = ~np.isin(seg.post_doc, dead)
        hashes_parts.append(np.asarray(seg.post_hash)[rows])
        docs_parts.append(np.asarray(seg.post_doc)[rows])
    nums = _joined(nums_parts, np.int64)
    order = np.argsort(nums, kind="stable")
    arrays = _token_arrays([tokens[i] for i in order.tolist()])
    lengths = arrays.pop("lengths")
    return SegmentData(
        nums[order].astype(np.int64),
        *_distinct_postings(_joined(hashes_parts, np.uint64), _joined(docs_parts, np.int64)),
        np.concatenate(([0], np.cumsum(lengths))).astype(np.int64),
        **arrays,
    )


def segment_tokens(seg: SegmentData, slot: int) -> Tokens:
    """The stored tokens of the document in ``slot`` (copied out of the memory map)."""
    lo, hi = int(seg.tok_offsets[slot]), int(seg.tok_offsets[slot + 1])
    mask = np.array(seg.tok_boilerplate[lo:hi])
    return Tokens(
        hashes=np.array(seg.tok_hashes[lo:hi]),
        starts=np.array(seg.tok_starts[lo:hi]),
        ends=np.array(seg.tok_ends[lo:hi]),
        boilerplate=mask if mask.any() else None,
    )


def write_segment(data: SegmentData, folder: Path) -> None:
    """Write every array of ``data`` into the new ``folder`` and fsync them and it."""
    folder.mkdir(parents=True)
    for name in _ARRAYS:
        path = folder / f"{name}.npy"
        with open(path, "wb") as stream:
            np.save(stream, np.ascontiguousarray(getattr(data, name)), allow_pickle=False)
            stream.flush()
            os.fsync(stream.fileno())
    fsync_dir(folder)


def read_segment(folder: Path) -> SegmentData:
    """A written segment, every array memory-mapped read-only."""
    arrays = {}
    for name in _ARRAYS:
        path = folder / f"{name}.npy"
        try:  # a plain array over the map: np.memmap's methods cost on every call
            arrays[name] = np.asarray(np.load(path, mmap_mode="r", allow_pickle=False))
        except ValueError:  # an empty array: nothing to map, read it
            arrays[name] = np.load(path, allow_pickle=False)
    return SegmentData(**arrays)


def fsync_dir(folder: Path) -> None:
    """Make a folder's entries (new files, renames) durable."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
