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


def build_segment(nums: I64, tokens: list[Tokens], anchors: Anchors, keys: Anchors) -> SegmentData:
    """A segment of documents ``nums`` (ascending), their tokens, anchors and sentence
    keys (document ``k`` of ``anchors`` and ``keys`` is document number ``nums[k]``)."""
    numbers = nums.astype(np.int64)
    return SegmentData(
        numbers,
        *_distinct_postings(anchors.hashes, numbers[anchors.owners()]),
        *_distinct_postings(keys.hashes, numbers[keys.owners()]),
        **_tokens(tokens),
    )


def _distinct_postings(hashes: U64, docs: I64) -> tuple[U64, I64]:
    order = np.lexsort((docs, hashes))
    h, d = hashes[order], docs[order]
    keep = np.ones(h.shape[0], dtype=bool)
    keep[1:] = (h[1:] != h[:-1]) | (d[1:] != d[:-1])
    return h[keep].astype(np.uint64), d[keep].astype(np.int64)


def _tokens(tokens: list[Tokens]) -> dict[str, npt.NDArray[Any]]:
    """The token fields of a segment: offsets and the concatenated arrays."""
    lengths = np.fromiter((len(t) for t in tokens), dtype=np.int64, count=len(tokens))
    offsets = np.concatenate(([0], np.cumsum(lengths))).astype(np.int64)

    def joined(pick: str, dtype: type) -> npt.NDArray[Any]:
        parts = [
            np.zeros(len(t), dtype=dtype) if getattr(t, pick) is None else getattr(t, pick)
            for t in tokens
        ]
        return np.concatenate(parts).astype(dtype) if parts else np.zeros(0, dtype=dtype)

    words = [word_fields(t) for t in tokens]

    def joined_words(pick: str, dtype: type) -> npt.NDArray[Any]:
        parts = [w[pick] for w in words]
        return np.concatenate(parts).astype(dtype) if parts else np.zeros(0, dtype=dtype)

    return {
        "tok_offsets": offsets,
        "tok_hashes": joined("hashes", np.uint64),
        "tok_starts": joined("starts", np.int32),
        "tok_ends": joined("ends", np.int32),
        "tok_boilerplate": joined("boilerplate", np.bool_),
        "tok_stems": joined_words("stems", np.uint64),
        "tok_breaks": joined_words("breaks", np.bool_),
    }


def merge_segments(segments: list[SegmentData], dead: I64) -> SegmentData:
    """One segment holding the live documents of ``segments`` (numbers not in ``dead``)."""
    nums_parts: list[I64] = []
    tokens: list[Tokens] = []
    for seg in segments:
        alive = ~np.isin(seg.nums, dead)
        nums_parts.append(np.asarray(seg.nums)[alive])
        tokens.extend(segment_tokens(seg, k) for k in np.flatnonzero(alive).tolist())
    nums = np.concatenate(nums_parts) if nums_parts else np.zeros(0, np.int64)
    order = np.argsort(nums, kind="stable")
    return SegmentData(
        nums[order].astype(np.int64),
        *_live_postings([(s.post_hash, s.post_doc) for s in segments], dead),
        *_live_postings([(s.key_hash, s.key_doc) for s in segments], dead),
        **_tokens([tokens[i] for i in order.tolist()]),
    )


def _live_postings(parts: list[tuple[U64, I64]], dead: I64) -> tuple[U64, I64]:
    """The postings of several segments as one, the dead documents' rows dropped."""
    hashes = [np.zeros(0, np.uint64)]
    docs = [np.zeros(0, np.int64)]
    for post_hash, post_doc in parts:
        rows = ~np.isin(post_doc, dead)
        hashes.append(np.asarray(post_hash)[rows])
        docs.append(np.asarray(post_doc)[rows])
    return _distinct_postings(np.concatenate(hashes), np.concatenate(docs))


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
        try:
            arrays[name] = np.load(path, mmap_mode="r", allow_pickle=False)
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
