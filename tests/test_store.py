"""The spools: texts and token arrays written once, read back by id or number."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pytest

from reprints.fingerprint import Anchors
from reprints.store import AnchorReader, AnchorStore, TextSpool, TokenReader, TokenStore
from reprints.text import Tokenizer, Tokens


def test_text_spool_reads_back_every_text(tmp_path: Path) -> None:
    texts = {"b": "second", "a": "first, with ünïcödé", "empty": "", "lone": "x\udcff y"}
    spool = TextSpool(tmp_path / "texts.bin")
    for doc_id, text in texts.items():
        spool.add(doc_id, text)
    spool.seal()
    assert dict(spool) == texts  # a lone surrogate survives (surrogatepass)
    assert list(spool) == list(texts) and len(spool) == 4


def test_text_spool_of_empty_texts(tmp_path: Path) -> None:
    spool = TextSpool(tmp_path / "texts.bin")
    spool.add("a", "")
    spool.seal()
    assert spool["a"] == ""


def _tokens(text: str, marked: list[bool] | None = None) -> Tokens:
    tokens = Tokenizer().tokenize(text)
    mask = None if marked is None else np.array(marked, dtype=bool)
    return Tokens(tokens.hashes, tokens.starts, tokens.ends, mask)


def _same(a: Tokens, b: Tokens) -> bool:
    return (
        np.array_equal(a.hashes, b.hashes)
        and np.array_equal(a.starts, b.starts)
        and np.array_equal(a.ends, b.ends)
        and (a.boilerplate is None) == (b.boilerplate is None)
        and (a.boilerplate is None or np.array_equal(a.boilerplate, b.boilerplate))
    )


def test_token_store_reads_back_each_document_and_pickles_as_its_files(tmp_path: Path) -> None:
    docs = [
        _tokens("one two three"),
        _tokens(""),
        _tokens("four five", [False, True]),
        _tokens("six seven", [False, False]),  # an all-False mask reads back as None
    ]
    store = TokenStore(tmp_path)
    for tokens in docs:
        store.add(tokens)
    files = store.seal()
    assert files.offsets.tolist() == [0, 3, 3, 5, 7]
    reader = TokenReader(files)
    assert len(reader) == 4
    expected = [*docs[:3], _tokens("six seven")]
    assert all(_same(reader[k], t) for k, t in enumerate(expected))
    again = pickle.loads(pickle.dumps(reader))
    assert len(pickle.dumps(reader)) < 1000  # the names of the files, not the arrays
    assert all(_same(again[k], t) for k, t in enumerate(expected))


def test_an_empty_token_store(tmp_path: Path) -> None:
    store = TokenStore(tmp_path)
    store.add(_tokens(""))
    reader = TokenReader(store.seal())
    assert len(reader[0]) == 0


def test_reads_are_the_same_when_pages_are_dropped_often(tmp_path: Path, monkeypatch) -> None:
    import reprints.store as store

    monkeypatch.setattr(store, "_DROP_EVERY", 7)  # drop the mapped pages every few bytes
    texts = [f"text {k} " * (k % 5 + 1) + "é" for k in range(200)]
    spool = TextSpool(tmp_path / "texts.bin")
    for k, text in enumerate(texts):
        spool.add(f"d{k}", text)
    spool.seal()
    assert [spool[f"d{k}"] for k in reversed(range(200))] == texts[::-1]
    tokenizer = Tokenizer()
    tokens = [tokenizer.tokenize(text) for text in texts]
    writer = TokenStore(tmp_path)
    for t in tokens:
        writer.add(t)
    reader = TokenReader(writer.seal())
    for k in (199, 0, 57, 57, 3):
        assert np.array_equal(reader[k].hashes, tokens[k].hashes)
        assert np.array_equal(reader[k].starts, tokens[k].starts)


def test_anchor_store_reads_back_each_document_and_pickles_as_its_files(tmp_path: Path) -> None:
    first = Anchors(
        np.array([0, 2, 2], dtype=np.int64),
        np.array([0, 7], dtype=np.int64),
        np.array([5, 1 << 63], dtype=np.uint64),
    )
    second = Anchors(
        np.array([0, 1], dtype=np.int64), np.array([3], dtype=np.int64), np.array([9], np.uint64)
    )
    store = AnchorStore(tmp_path)
    store.add(first)
    store.add(second)
    files = store.seal()
    assert files.offsets.tolist() == [0, 2, 2, 3]
    reader = pickle.loads(pickle.dumps(AnchorReader(files)))
    assert len(reader) == 3
    got = [tuple(a.tolist() for a in reader.of(k)) for k in range(3)]
    assert got == [([0, 7], [5, 1 << 63]), ([], []), ([3], [9])]
    assert reader.of(0)[0].dtype == np.int32 and reader.of(0)[1].dtype == np.uint64


def test_anchor_positions_past_32_bits_are_refused(tmp_path: Path) -> None:
    huge = Anchors(
        np.array([0, 1], dtype=np.int64), np.array([1 << 31], np.int64), np.array([1], np.uint64)
    )
    with pytest.raises(ValueError, match="overflow"):
        AnchorStore(tmp_path).add(huge)
