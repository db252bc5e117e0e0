"""Segment files: a segment written part by part reads back as its documents."""

from __future__ import annotations

import errno
import os
import shutil
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reprints.documents import Document
from reprints.finding import FindOptions, fingerprint_documents
from reprints.index.segments import (
    FENCE_ROWS,
    SegmentWriter,
    fence_of,
    posting_ranges,
    read_segment,
    segment_part,
    segment_tokens,
    spill_part,
)
from reprints.synthetic import TextGenerator
from reprints.text import Tokenizer


def test_a_segment_written_part_by_part_holds_its_documents(tmp_path: Path) -> None:
    gen = TextGenerator(5, vocabulary=2_000)
    docs = [Document(f"d{k}", gen.article(40 + 7 * k)) for k in range(9)]
    docs.insert(4, Document("short", "two words"))  # no anchors, no keys
    options, tokenizer = FindOptions(), Tokenizer()
    writer = SegmentWriter(tmp_path / "seg")
    batches = [
        fingerprint_documents(docs[lo : lo + 4], options, tokenizer, None) for lo in (0, 4, 8)
    ]
    for batch in batches:
        writer.add(segment_part(batch.tokens, batch.anchors, batch.sentence_keys))
    nums = np.arange(100, 100 + len(docs)) * 3  # numbers need not be consecutive
    assert writer.finish(nums)[0] == len(docs)
    seg = read_segment(tmp_path / "seg")
    assert seg.nums.tolist() == nums.tolist()
    assert seg.token_files is not None  # rows read from the files, not the maps
    tokens = [t for batch in batches for t in batch.tokens]
    for k, expected in enumerate(tokens):
        got = segment_tokens(seg, k)
        for name in ("hashes", "starts", "ends", "stems", "breaks"):
            assert np.array_equal(getattr(got, name), getattr(expected, name)), name
        assert got.hashes.dtype == expected.hashes.dtype
        assert (got.boilerplate is None) == (expected.boilerplate is None)
    rows = {
        (int(h), int(nums[lo + k]))
        for lo, batch in zip((0, 4, 8), batches, strict=True)
        for k in range(len(batch.tokens))
        for h in batch.anchors.of(k)[1].tolist()
    }
    assert list(zip(seg.post_hash.tolist(), seg.post_doc.tolist(), strict=True)) == sorted(rows)


def test_spilled_parts_write_the_same_segment_as_parts_sent_whole(tmp_path: Path) -> None:
    gen = TextGenerator(11, vocabulary=1_500)
    docs = [Document(f"d{k}", gen.article(30 + 11 * k)) for k in range(10)]
    docs.insert(3, Document("empty", ""))
    options, tokenizer = FindOptions(), Tokenizer()
    batches = [
        fingerprint_documents(docs[lo : lo + 3], options, tokenizer, None) for lo in (0, 3, 6, 9)
    ]
    nums = np.arange(len(docs), dtype=np.int64) * 2 + 7
    whole, spilled = SegmentWriter(tmp_path / "whole"), SegmentWriter(tmp_path / "spilled")
    for k, batch in enumerate(batches):
        part = segment_part(batch.tokens, batch.anchors, batch.sentence_keys)
        whole.add(part)
        # every other part through a file, as a worker process sends it
        spilled.add(spill_part(part, spilled.spill_path(k)) if k % 2 == 0 else part)
    assert whole.finish(nums) == spilled.finish(nums)
    names = sorted(p.name for p in (tmp_path / "whole").iterdir())
    assert names == sorted(p.name for p in (tmp_path / "spilled").iterdir())  # no part files
    for name in names:
        a, b = (tmp_path / "whole" / name).read_bytes(), (tmp_path / "spilled" / name).read_bytes()
        assert a == b, name


def test_an_empty_segment(tmp_path: Path) -> None:
    writer = SegmentWriter(tmp_path / "seg")
    writer.finish(np.zeros(0, dtype=np.int64))
    seg = read_segment(tmp_path / "seg")
    assert seg.documents == 0 and seg.tok_hashes.shape == (0,)


@settings(max_examples=300, deadline=None)
@given(
    rows=st.integers(0, 6 * FENCE_ROWS),
    span=st.integers(1, 1_000),
    seed=st.integers(0, 2**32 - 1),
    ends=st.booleans(),
)
def test_posting_ranges_through_the_fence_are_a_binary_search(
    rows: int, span: int, seed: int, ends: bool
) -> None:
    """Hashes from a range of ``span`` values: runs of equal hashes, runs longer than
    a block, lookups between, before and after them; with ``ends``, the two ends of the
    uint64 range too."""
    rng = np.random.default_rng(seed)
    hashes = np.sort(rng.integers(0, span, rows).astype(np.uint64))
    wanted = rng.integers(0, span + 2, 50).astype(np.uint64)
    if ends:
        extremes = np.array([0, 2**64 - 1], dtype=np.uint64)
        hashes = np.sort(np.concatenate((hashes, extremes)))
        wanted = np.concatenate((wanted, extremes))
    lo, hi = posting_ranges(hashes, wanted, fence_of(hashes))
    assert lo.tolist() == np.searchsorted(hashes, wanted, side="left").tolist()
    assert hi.tolist() == np.searchsorted(hashes, wanted, side="right").tolist()


def test_a_segment_written_without_fences_reads_with_them(tmp_path: Path) -> None:
    gen = TextGenerator(3, vocabulary=500)
    docs = [Document(f"d{k}", gen.article(200)) for k in range(6)]
    batch = fingerprint_documents(docs, FindOptions(), Tokenizer(), None)
    writer = SegmentWriter(tmp_path / "seg")
    writer.add(segment_part(batch.tokens, batch.anchors, batch.sentence_keys))
    writer.finish(np.arange(len(docs)))
    written = read_segment(tmp_path / "seg")
    shutil.copytree(tmp_path / "seg", tmp_path / "old")
    for name in ("post_fence", "key_fence"):  # as written before fences were
        (tmp_path / "old" / f"{name}.npy").unlink()
    old = read_segment(tmp_path / "old")
    assert written.post_fence.shape[0] > 1 and written.key_fence.shape[0] > 1
    assert np.array_equal(old.post_fence, written.post_fence)
    assert np.array_equal(old.key_fence, written.key_fence)


def test_a_spilled_part_is_copied_where_the_kernel_refuses_copy_file_range(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*args: object) -> int:
        raise OSError(errno.EXDEV, "cross-device")

    monkeypatch.setattr(os, "copy_file_range", refuse)
    batch = fingerprint_documents(
        [Document("a", TextGenerator(3).article(80))], FindOptions(), Tokenizer(), None
    )
    part = segment_part(batch.tokens, batch.anchors, batch.sentence_keys)
    writer = SegmentWriter(tmp_path / "seg")
    writer.add(spill_part(part, writer.spill_path(0)))
    writer.finish(np.array([5]))
    got = segment_tokens(read_segment(tmp_path / "seg"), 0)
    assert np.array_equal(got.starts, batch.tokens[0].starts)
    assert np.array_equal(got.hashes, batch.tokens[0].hashes)
