"""Exact copies grouped before anchoring (reprints.copies and its use by find)."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reprints.candidates import AnchorIndex
from reprints.cli import main
from reprints.copies import ExactCopies, content_key, content_keys
from reprints.documents import Document
from reprints.finding import (
    FindOptions,
    align_tasks,
    alignment_tasks,
    collect,
    fingerprint_documents,
)
from reprints.runners.local import find
from reprints.runners.reference import find_batch
from reprints.synthetic import TextGenerator
from reprints.text import Tokenizer


def _keys(labels: list[int]) -> np.ndarray:
    """Keys from small labels; label 0 is a document without tokens."""
    return np.array([[0, 0] if x == 0 else [x, 7 * x] for x in labels], dtype=np.uint64)


@given(st.lists(st.integers(0, 4), max_size=30))
def test_groups_hold_exactly_the_documents_with_equal_keys(labels: list[int]) -> None:
    copies = ExactCopies.of(_keys(labels))
    for d, label in enumerate(labels):
        same = [e for e, other in enumerate(labels) if other == label and label != 0]
        expected = same if label != 0 else [d]
        assert copies.group(d).tolist() == expected
        assert copies.first[d] == expected[0]
    assert copies.copies() == len(labels) - len(set(x for x in labels if x)) - labels.count(0)


@given(st.lists(st.integers(0, 4), max_size=30), st.integers(1, 5))
def test_group_pairs_are_cliques_up_to_the_cap_and_stars_beyond(
    labels: list[int], max_clique: int
) -> None:
    copies = ExactCopies.of(_keys(labels))
    expected = set()
    for label in set(labels) - {0}:
        members = [d for d, x in enumerate(labels) if x == label]
        if len(members) <= max_clique:
            expected |= set(itertools.combinations(members, 2))
        else:
            expected |= {(members[0], m) for m in members[1:]}
    got = [tuple(p) for p in copies.group_pairs(max_clique).tolist()]
    assert len(got) == len(set(got))
    assert set(got) == expected


@given(st.lists(st.integers(1, 4), min_size=2, max_size=20), st.data())
def test_expanded_pairs_are_every_copy_of_one_side_with_every_copy_of_the_other(
    labels: list[int], data: st.DataObject
) -> None:
    copies = ExactCopies.of(_keys(labels))
    reps = np.flatnonzero(copies.representatives()).tolist()
    chosen = data.draw(st.lists(st.sampled_from(list(itertools.combinations(reps, 2)) or [(0, 0)])))
    chosen = sorted({p for p in chosen if p[0] != p[1]})
    got = {tuple(p) for p in copies.expand_pairs(np.array(chosen, dtype=np.int64)).tolist()}
    expected = {
        (min(x, y), max(x, y))
        for a, b in chosen
        for x in copies.group(a).tolist()
        for y in copies.group(b).tolist()
    }
    assert got == expected


def test_keys_tell_apart_token_streams_and_boilerplate_marks_not_spelling() -> None:
    tokenizer = Tokenizer()
    a, b, c = tokenizer.tokenize_batch(["The Mill, by the river.", "the mill by THE river", "x"])
    assert content_key(a) == content_key(b) != content_key(c)
    marked = type(a)(a.hashes, a.starts, a.ends, np.array([True] + [False] * (len(a) - 1)))
    assert content_key(marked) != content_key(a)
    assert content_keys(tokenizer.tokenize_batch(["", " \n "])).tolist() == [[0, 0], [0, 0]]


def _collection(copies_of: list[int], seed: int = 5) -> list[Document]:
    """Articles with the given numbers of identical copies (spelt differently), some
    quoting each other."""
    gen = TextGenerator(seed)
    texts = [gen.article(120) for _ in copies_of]
    docs = []
    for k, count in enumerate(copies_of):
        text = texts[k] + (" " + texts[k - 1][:400] if k % 2 else "")
        for c in range(count):
            docs.append(Document(f"a{k}-c{c}", text.upper() if c % 2 else text))
    return docs


def _ungrouped(docs: list[Document], options: FindOptions) -> tuple[list, list]:
    """find's stages with every copy indexed on its own (what find did before grouping)."""
    docs = sorted(docs, key=lambda d: d.id)
    batch = fingerprint_documents(docs, options, Tokenizer(), None)
    index = AnchorIndex.build(batch.anchors, options.ngram, options.window(), options.max_df)
    tasks = alignment_tasks(index, options.self_repeats)
    found = align_tasks(tasks, [d.id for d in docs], batch.tokens, index, options.align_params())
    return collect(found)


@settings(max_examples=10, deadline=None)
@given(st.lists(st.integers(1, 4), min_size=2, max_size=6))
def test_grouping_changes_nothing_while_copies_stay_under_the_cap(copies_of: list[int]) -> None:
    docs = _collection(copies_of)
    options = FindOptions(max_df=100)
    found = find_batch(docs, options)
    assert (found.pairs, found.repeats) == _ungrouped(docs, options)
    assert found.stats.exact_copies == sum(copies_of) - len(copies_of)


def test_copies_beyond_the_cap_form_one_group_of_pairs_with_their_first() -> None:
    docs = _collection([150, 1, 1], seed=9)
    options = FindOptions(max_df=100)
    before = _ungrouped(docs, options)[0]
    assert not [p for p in before if p.a.startswith("a0-") and p.b.startswith("a0-")]
    found = find_batch(docs, options)
    copies = [p for p in found.pairs if p.a.startswith("a0-") and p.b.startswith("a0-")]
    assert len(copies) == 149
    assert {p.a for p in copies} == {"a0-c0"}
    texts = {d.id: d.text for d in docs}
    for pair in copies:
        (passage,) = pair.passages
        # The whole text, first token to last (a final full stop is no token).
        assert passage.a_start == passage.b_start == 0
        assert texts[pair.a][passage.a_end :] == texts[pair.b][passage.b_end :] == "."
        assert (pair.containment_a, pair.containment_b, pair.jaccard) == (1.0, 1.0, 1.0)
    local = find(docs, FindOptions(max_df=100, workers=2))
    try:
        assert (local.pairs, local.repeats) == (found.pairs, found.repeats)
    finally:
        local.close()


def test_a_cap_so_loose_it_would_pair_too_much_is_refused_before_pairing() -> None:
    gen = TextGenerator(3)
    shared = gen.sentence(30)
    docs = [Document(f"d{i}", f"{gen.article(30)} {shared} {gen.article(30)}") for i in range(300)]
    try:
        find_batch(docs, FindOptions(max_df=1_000_000, max_pairs=10_000))
    except ValueError as err:
        assert "--max-df 1000000" in str(err) and "--max-pairs 10,000" in str(err)
    else:
        raise AssertionError("expected a refusal")
    assert find_batch(docs, FindOptions(max_df=1_000_000, max_pairs=1_000_000)).pairs


def test_the_cli_refuses_a_loose_cap_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    gen = TextGenerator(4)
    shared = gen.sentence(30)
    lines = [
        json.dumps({"id": f"d{i}", "text": f"{gen.article(30)} {shared} {gen.article(30)}"})
        for i in range(200)
    ]
    (tmp_path / "docs.jsonl").write_text("\n".join(lines) + "\n")
    out = tmp_path / "out"
    args = ["-q", "find", str(tmp_path / "docs.jsonl"), "-o", str(out), "--max-df", "1000000"]
    assert main([*args, "--max-pairs", "1000"]) == 2
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith("reprints: error: --max-df 1000000 lets anchors held by up to 200")
    assert not out.exists()
