"""The dedup stages as array functions (reprints.dedup.kernels) and the run summary."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reprints.dedup import DedupOptions, dedup
from reprints.dedup.kernels import (
    CONTAINED,
    EXACT,
    NEAR,
    Reason,
    contained_removals,
    containers_of,
    exact_groups,
    keep_in_cluster,
    keep_rank,
    kept_of_cluster,
    known_scores,
    near_removal_pairs,
    removal_reasons,
    sketch,
)
from reprints.dedup.summary import DedupSummary, add_counts
from reprints.documents import Document
from reprints.minhash import MinHasher
from reprints.synthetic import TextGenerator
from reprints.text import Tokenizer


def test_sketch_of_a_document_does_not_depend_on_its_batch() -> None:
    gen = TextGenerator(3)
    texts = [gen.article(80), "", "Two words", gen.article(30), "... !!!"]
    tokenizer, hasher = Tokenizer(), MinHasher(32, 1)
    whole = sketch(texts, tokenizer, hasher, 5)
    for k, text in enumerate(texts):
        alone = sketch([text], tokenizer, hasher, 5)
        assert alone.tokens[0] == whole.tokens[k]
        assert (alone.exact[0] == whole.exact[k]).all()
        assert (alone.signatures[0] == whole.signatures[k]).all()
        assert (alone.shingles.of(0) == whole.shingles.of(k)).all()
    assert whole.tokens.tolist()[1::3] == [0, 0]  # no words, no tokens


def test_exact_groups_join_copies_to_their_first_member() -> None:
    exact = np.array([[1, 2], [3, 4], [1, 2], [0, 0], [1, 2]], dtype=np.uint64)
    has_words = np.array([True, True, True, False, True])
    groups = exact_groups(exact, has_words)
    assert groups.exact_of.tolist() == [0, 1, 0, 3, 0]
    assert sorted(map(tuple, groups.edges.tolist())) == [(2, 0), (4, 0)]
    assert sorted(groups.representatives.tolist()) == [0, 1]


def test_keep_rank_policies_break_ties_by_id_not_input_order() -> None:
    tokens = np.array([5, 9, 9, 1], dtype=np.int64)
    ids = ["d", "c", "b", "a"]
    assert keep_rank("first", tokens, ids).tolist() == [3, 2, 1, 0]
    assert keep_rank("longest", tokens, ids).tolist() == [2, 1, 0, 3]
    values = ["2021", None, 2020, "2020"]
    # Numbers before strings, missing values last, ties by id.
    assert keep_rank("date", tokens, ids, values).tolist() == [2, 3, 0, 1]
    assert keep_rank("date", tokens, ids, ["x", "x", "x", "x"]).tolist() == [3, 2, 1, 0]
    with pytest.raises(ValueError, match="one value per document"):
        keep_rank("date", tokens, ids, None)


def test_kept_member_and_reasons_of_each_cluster() -> None:
    labels = np.array([0, 0, 1, 0, 1], dtype=np.int64)
    rank = np.array([3, 0, 1, 2, 4], dtype=np.int64)
    kept_of = kept_of_cluster(labels, rank)
    assert kept_of.tolist() == [1, 1, 2, 1, 2]
    exact_of = np.array([0, 1, 2, 1, 4], dtype=np.int64)  # 3 is an exact copy of 1
    losers = np.array([0, 3, 4], dtype=np.int64)
    exact_losers, near, pairs = near_removal_pairs(losers, kept_of, exact_of)
    assert exact_losers.tolist() == [3] and near.tolist() == [0, 4]
    assert pairs.tolist() == [[0, 1], [4, 2]]
    scores = known_scores(pairs, np.array([[1, 0]]), np.array([0.912345]), 5)
    assert scores[0] == 0.912345 and np.isnan(scores[1])
    reasons = removal_reasons(kept_of, exact_losers, near, np.array([0.912345, 0.85]))
    assert reasons == {
        3: Reason(1, EXACT, 1.0),
        0: Reason(1, NEAR, 0.9123),
        4: Reason(2, NEAR, 0.85),
    }


def test_containment_is_decided_longest_first() -> None:
    # 2 is inside 1, which is inside 0: only the longest stays, and 2 names 0 or 1
    # whichever covers it more among those still kept.
    shares = [(1, 0, 0.95, 0.5), (2, 1, 0.9, 0.2), (2, 0, 0.85, 0.1)]
    containers = containers_of(shares, 0.8)
    tokens = np.array([300, 200, 100], dtype=np.int64)
    removed = contained_removals(containers, tokens, np.arange(3))
    assert removed == {1: Reason(0, CONTAINED, 0.95), 2: Reason(0, CONTAINED, 0.85)}


def test_summary_merge_adds_counts_and_checks_settings() -> None:
    gen = TextGenerator(5)
    text = gen.article(100)
    a_docs = [Document("a", text), Document("b", text), Document("c", "")]
    b_docs = [Document("d", gen.article(100)), Document("e", gen.edit(text, 0.01))]
    options = DedupOptions(workers=1)
    summaries = []
    for docs in (a_docs, b_docs):
        with dedup(docs, options) as result:
            summaries.append(result.summary)
    merged = summaries[0].merge(summaries[1])
    assert merged.documents == 5 and merged.kept == 3
    assert merged.removed == {"exact": 1} and merged.skipped == {"no words": 1}
    assert merged.skipped_documents == (("c", "no words"),)
    assert merged.figures.tokens == sum(s.figures.tokens for s in summaries)
    as_json = merged.to_json()
    assert as_json["removed_total"] == 1 and as_json["lsh"]["bands"] == 17
    json.dumps(as_json)  # plain JSON
    other = DedupSummary.of(
        kept=0,
        removed_reasons=[],
        skipped=[],
        figures=summaries[0].figures,
        edited_documents=0,
        seconds={},
        options={**summaries[0].options, "threshold": 0.5},
    )
    with pytest.raises(ValueError, match="different settings"):
        merged.merge(other)


def test_add_counts_adds_numbers_and_keeps_equal_settings() -> None:
    a = {"n": 1, "sub": {"x": 2.5}, "mode": "site", "flag": True}
    b = {"n": 2, "sub": {"x": 1, "y": 3}, "mode": "site", "flag": True}
    assert add_counts(a, b) == {"n": 3, "sub": {"x": 3.5, "y": 3}, "mode": "site", "flag": True}
    with pytest.raises(ValueError, match="'mode' differs"):
        add_counts(a, {"mode": "corpus"})


@settings(max_examples=60, deadline=None)
@given(
    sizes=st.lists(st.integers(1, 6), min_size=1, max_size=6),
    keep=st.sampled_from(["first", "longest", "date"]),
    data=st.data(),
)
def test_the_keep_rule_of_one_cluster_is_the_collections(
    sizes: list[int], keep: str, data: st.DataObject
) -> None:
    # Clusters decided one at a time from their members' arrays (as a Spark task
    # does) keep the member and give the pairs the whole collection's rank gives.
    n = sum(sizes)
    labels = np.repeat(np.arange(len(sizes)), sizes).astype(np.int64)
    order = np.array(data.draw(st.permutations(range(n))), dtype=np.int64)
    labels = labels[order]
    tokens = np.array(data.draw(st.lists(st.integers(1, 3), min_size=n, max_size=n)), np.int64)
    ids = [f"d{v}" for v in data.draw(st.permutations(range(n)))]
    values = data.draw(st.lists(st.none() | st.integers(0, 2), min_size=n, max_size=n))
    exact_of = np.arange(n, dtype=np.int64)
    for k in range(n):  # some members exact copies of an earlier one of their cluster
        same = np.flatnonzero(labels[:k] == labels[k])
        if same.size and data.draw(st.booleans()):
            exact_of[k] = exact_of[same[0]]
    kept_of = kept_of_cluster(labels, keep_rank(keep, tokens, ids, values))
    losers = np.flatnonzero(kept_of != np.arange(n))
    exact, near, pairs = near_removal_pairs(losers, kept_of, exact_of)
    want = {int(k): (int(kept_of[k]), True, None) for k in exact.tolist()}
    want |= {
        int(k): (int(kept_of[k]), False, tuple(p))
        for k, p in zip(near.tolist(), pairs.tolist(), strict=True)
    }
    got = {}
    for label in range(len(sizes)):
        members = np.flatnonzero(labels == label)
        one = keep_in_cluster(
            keep,
            [ids[k] for k in members.tolist()],
            tokens[members],
            exact_of[members],
            [values[k] for k in members.tolist()],
        )
        kept = int(members[one.kept])
        got |= {int(members[i]): (kept, True, None) for i in one.exact_losers.tolist()}
        near_pairs = one.near_pairs.tolist()
        got |= {
            int(members[i]): (kept, False, tuple(p))
            for i, p in zip(one.near_losers.tolist(), near_pairs, strict=True)
        }
    assert got == want
