"""Segment files: a segment written part by part reads back as its documents."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from reprints.documents import Document
from reprints.finding import FindOptions, fingerprint_documents
from reprints.index.segments import SegmentWriter, read_segment, segment_part, segment_tokens
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
    tokens = [t for batch in batches for t in batch.tokens]
    for k, expected in enumerate(tokens):
        got = segment_tokens(seg, k)
        assert np.array_equal(got.hashes, expected.hashes)
        assert np.array_equal(got.starts, expected.starts)
        assert np.array_equal(got.ends, expected.ends)
    rows = {
        (int(h), int(nums[lo + k]))
        for lo, batch in zip((0, 4, 8), batches, strict=True)
        for k in range(len(batch.tokens))
        for h in batch.anchors.of(k)[1].tolist()
    }
    assert list(zip(seg.post_hash.tolist(), seg.post_doc.tolist(), strict=True)) == sorted(rows)


def test_an_empty_segment(tmp_path: Path) -> None:
    writer = SegmentWriter(tmp_path / "seg")
    writer.finish(np.zeros(0, dtype=np.int64))
    seg = read_segment(tmp_path / "seg")
    assert seg.documents == 0 and seg.tok_hashes.shape == (0,)
