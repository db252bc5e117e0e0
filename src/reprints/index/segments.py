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
- ``key_hash.npy``, ``key_doc.npy``: the same for the documents' sentence keys
  (:func:`reprints.seeds.sentence_keys`), which pair reworded copies;
- ``tok_offsets.npy`` and ``tok_hashes``/``tok_starts``/``tok_ends``/
  ``tok_boilerplate``/``tok_stems``/``tok_breaks.npy``: every document's tokens as
  marked when it was added, slot ``k`` spanning ``tok_offsets[k]:tok_offsets[k+1]``.

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
from reprints.text import Tokens, word_fields

I64 = npt.NDArray[np.int64]
U64 = npt.NDArray[np.uint64]

_TOKEN_FIELDS = (
    ("tok_hashes", np.uint64),
    ("tok_starts", np.int32),
    ("tok_ends", np.int32),
    ("tok_boilerplate", np.bool_),
    ("tok_stems", np.uint64),
    ("tok_breaks", np.bool_),
)
_ARRAYS = (
    "nums",
    "post_hash",
    "post_doc",
    "key_hash",
    "key_doc",
    "tok_offsets",
    *(name for name, _ in _TOKEN_FIELDS),
)


@dataclass(frozen=True, slots=True)
class SegmentData:
    """A segment's arrays in memory, before writing (or read back, memory-mapped)."""

    nums: I64
    post_hash: U64
    post_doc: I64
    key_hash: U64  # the sentence keys' postings, as post_hash and post_doc
    key_doc: I64
    tok_offsets: I64
    tok_hashes: U64
    tok_starts: npt.NDArray[np.int32]
    tok_ends: npt.NDArray[np.int32]
    tok_boilerplate: npt.NDArray[np.bool_]
    tok_stems: U64
    tok_breaks: npt.NDArray[np.bool_]

    @property
    def documents(self) -> int:
        return int(self.nums.shape[0])

    @property
    def postings(self) -> int:
        return int(self.post_hash.shape[0])


@dataclass(frozen=True, slots=True)
class SegmentPart:
    """The tokens, anchors and sentence keys of consecutive documents as a few flat
    arrays: what a worker sends back for a chunk (one pickle of a few arrays, not
    several per document)."""

    lengths: I64  # tokens of each document
    tok_hashes: U64
    tok_starts: npt.NDArray[np.int32]
    tok_ends: npt.NDArray[np.int32]
    tok_boilerplate: npt.NDArray[np.bool_]
    tok_stems: U64
    tok_breaks: npt.NDArray[np.bool_]
    anchors: Anchors
    keys: Anchors


def segment_part(tokens: list[Tokens], anchors: Anchors, keys: Anchors) -> SegmentPart:
    """The part of documents with these ``tokens``, ``anchors`` and sentence ``keys``
    (document k of each)."""
    return SegmentPart(anchors=anchors, keys=keys, **_token_arrays(tokens))


def build_segment(nums: I64, parts: Sequence[SegmentPart]) -> SegmentData:
    """A segment of documents ``nums`` (ascending): the documents of ``parts`` in
    order, the k-th of them being document number ``nums[k]``."""
    numbers = nums.astype(np.int64)
    lengths = _joined([p.lengths for p in parts], np.int64)
    return SegmentData(
        numbers,
        *_postings_of(numbers, Anchors.concat([p.anchors for p in parts])),
        *_postings_of(numbers, Anchors.concat([p.keys for p in parts])),
        np.concatenate(([0], np.cumsum(lengths))).astype(np.int64),
        *(_joined([getattr(p, name) for p in parts], dtype) for name, dtype in _TOKEN_FIELDS),
    )


def _postings_of(numbers: I64, anchors: Anchors) -> tuple[U64, I64]:
    """The distinct (hash, number) rows of documents ``numbers``' anchors (or keys)."""
    owners = numbers[anchors.owners()]
    # owners ascend with the anchors: a stable sort by hash orders (hash, number)
    return _distinct_postings(anchors.hashes, owners, np.argsort(anchors.hashes, kind="stable"))


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
    """Each document's token count and the concatenated token fields (one list per
    field, no dictionary per document)."""
    lengths = np.fromiter((len(t) for t in tokens), dtype=np.int64, count=len(tokens))
    words = [
        (t.stems, t.breaks) if t.stems is not None and t.breaks is not None else _words_of(t)
        for t in tokens
    ]
    columns: dict[str, list[npt.NDArray[Any]]] = {
        "tok_hashes": [t.hashes for t in tokens],
        "tok_starts": [t.starts for t in tokens],
        "tok_ends": [t.ends for t in tokens],
        "tok_boilerplate": [
            t.boilerplate if t.boilerplate is not None else np.zeros(len(t), np.bool_)
            for t in tokens
        ],
        "tok_stems": [w[0] for w in words],
        "tok_breaks": [w[1] for w in words],
    }
    return {
        "lengths": lengths,
        **{name: _joined(columns[name], dtype) for name, dtype in _TOKEN_FIELDS},
    }


def _words_of(tokens: Tokens) -> tuple[npt.NDArray[Any], npt.NDArray[Any]]:
    fields = word_fields(tokens)
    return fields["stems"], fields["breaks"]


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
    for seg in segments:
        alive = ~np.isin(seg.nums, dead)
        nums_parts.append(np.asarray(seg.nums)[alive])
        tokens.extend(segment_tokens(seg, k) for k in np.flatnonzero(alive).tolist())
    nums = _joined(nums_parts, np.int64)
    order = np.argsort(nums, kind="stable")
    arrays = _token_arrays([tokens[i] for i in order.tolist()])
    lengths = arrays.pop("lengths")
    return SegmentData(
        nums[order].astype(np.int64),
        *_live_postings([(s.post_hash, s.post_doc) for s in segments], dead),
        *_live_postings([(s.key_hash, s.key_doc) for s in segments], dead),
        np.concatenate(([0], np.cumsum(lengths))).astype(np.int64),
        **arrays,
    )


def _live_postings(parts: list[tuple[U64, I64]], dead: I64) -> tuple[U64, I64]:
    """The postings of several segments as one, the dead documents' rows dropped."""
    hashes, docs = [], []
    for post_hash, post_doc in parts:
        rows = ~np.isin(post_doc, dead)
        hashes.append(np.asarray(post_hash)[rows])
        docs.append(np.asarray(post_doc)[rows])
    return _distinct_postings(_joined(hashes, np.uint64), _joined(docs, np.int64))


def segment_tokens(seg: SegmentData, slot: int) -> Tokens:
    """The stored tokens of the document in ``slot`` (copied out of the memory map)."""
    lo, hi = int(seg.tok_offsets[slot]), int(seg.tok_offsets[slot + 1])
    mask = np.array(seg.tok_boilerplate[lo:hi])
    return Tokens(
        hashes=np.array(seg.tok_hashes[lo:hi]),
        starts=np.array(seg.tok_starts[lo:hi]),
        ends=np.array(seg.tok_ends[lo:hi]),
        boilerplate=mask if mask.any() else None,
        stems=np.array(seg.tok_stems[lo:hi]),
        breaks=np.array(seg.tok_breaks[lo:hi]),
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
