"""Passage clusters, document clusters and roles (reprints.group)."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reprints.api import FindOptions, find
from reprints.documents import Document, Pair, Passage
from reprints.group import (
    COPY,
    ORIGINAL,
    PARTIAL_COPY,
    UNIQUE,
    build_groups,
    document_clusters,
    parse_date,
    passage_clusters,
    seed_regions,
    write_groups,
)
from reprints.synthetic import TextGenerator

PLANTED = 30


def _planted_collection(seed: int) -> tuple[list[Document], dict[str, tuple[int, int]]]:
    """30 documents carrying one passage (each copy edited differently), 5 carrying
    another passage B (3 of them right after passage A, where chaining could join A
    and B), and 15 unrelated documents. Returns the documents and where passage A
    sits in each of its 30 hosts."""
    gen = TextGenerator(seed)
    passage_a = gen.paragraph(120)
    passage_b = gen.paragraph(120)
    docs: list[Document] = []
    planted: dict[str, tuple[int, int]] = {}
    for i in range(PLANTED):
        before, after = gen.article(150), gen.article(150)
        copy = gen.edit(passage_a, 0.03) if i else passage_a
        tail = f"\n\n{gen.edit(passage_b, 0.02)}" if i < 3 else ""
        text = f"{before}\n\n{copy}{tail}\n\n{after}"
        doc_id = f"a{i:02d}"
        start = len(before) + 2
        planted[doc_id] = (start, start + len(copy))
        docs.append(Document(doc_id, text, {"date": f"2020-01-{30 - i:02d}"}))
    for i in range(2):
        text = f"{gen.article(200)}\n\n{gen.edit(passage_b, 0.02)}\n\n{gen.article(200)}"
        docs.append(Document(f"b{i}", text, {}))
    for i in range(15):
        docs.append(Document(f"u{i:02d}", gen.article(400), {}))
    return docs, planted


def _overlaps(span: tuple[int, int], start: int, end: int) -> float:
    return max(0, min(span[1], end) - max(span[0], start)) / (span[1] - span[0])


@pytest.fixture(scope="module")
def planted_run() -> tuple[list[Pair], dict[str, str], dict[str, dict], dict[str, tuple[int, int]]]:
    docs, planted = _planted_collection(7)
    with find(docs, FindOptions(workers=1, self_repeats=False)) as result:
        return result.pairs, dict(result.texts), result.meta, planted


def test_planted_passage_cluster_holds_exactly_its_30_copies(planted_run) -> None:
    pairs, texts, meta, planted = planted_run
    clusters = passage_clusters(pairs, meta, texts)
    # The cluster of passage A: the one whose members cover the planted spans.
    hits = [
        c
        for c in clusters
        if any(
            _overlaps(planted[m.doc], m.start, m.end) > 0.5 for m in c.members if m.doc in planted
        )
    ]
    assert len(hits) >= 1
    cluster = max(hits, key=lambda c: c.size)
    assert cluster.size == PLANTED
    assert sorted(m.doc for m in cluster.members) == sorted(planted)
    for m in cluster.members:
        # Each member is the planted copy (edits may shift the ends by a few words).
        assert _overlaps(planted[m.doc], m.start, m.end) > 0.9
        assert (m.end - m.start) < 1.2 * (planted[m.doc][1] - planted[m.doc][0])
    # Members in date order: a29 is the earliest (2020-01-01).
    assert [m.doc for m in cluster.members] == [f"a{i:02d}" for i in range(PLANTED - 1, -1, -1)]
    # Passage B (5 hosts) is a cluster of its own, and nothing unrelated joins A.
    b_hosts = {"a00", "a01", "a02", "b0", "b1"}
    b_clusters = [c for c in clusters if {m.doc for m in c.members} == b_hosts]
    assert len(b_clusters) == 1
    assert b_clusters[0].size == 5
    for c in clusters:
        assert not any(m.doc.startswith("u") for m in c.members)
    # Fragments (halves of A where an edit split some copies) are marked, not merged.
    assert cluster.part_of is None and b_clusters[0].part_of is None
    for c in clusters:
        if c.part_of == cluster.id:
            assert {m.doc for m in c.members} <= set(planted)
    # The representative text is the earliest copy's text.
    first = cluster.members[0]
    assert cluster.text == texts[first.doc][first.start : first.end]


def test_planted_collection_document_roles(planted_run) -> None:
    pairs, texts, meta, planted = planted_run
    roles = {r.doc: r for r in document_clusters(pairs, sorted(texts), meta)}
    # A short passage in a long article: the hosts are clustered (containment ≥ 0.1)
    # but none is a copy of another, and the earliest (a29) is the original.
    assert roles["a29"].role == ORIGINAL
    cluster = roles["a29"].cluster
    members = [r for r in roles.values() if r.cluster == cluster]
    assert {r.doc for r in members} >= set(planted)
    assert all(r.role in (ORIGINAL, PARTIAL_COPY) for r in members)
    assert all(roles[f"u{i:02d}"].role == UNIQUE for i in range(15))


def _pair(a: str, b: str, ca: float, cb: float) -> Pair:
    return Pair(a, b, ca, cb, min(ca, cb), (Passage(0, 10, 0, 10, 10, 1.0),))


def test_roles_from_containment_without_dates() -> None:
    # "src" contains "copy" whole and half of "part"; "other" is unrelated.
    pairs = [_pair("copy", "src", 0.95, 0.3), _pair("part", "src", 0.5, 0.2)]
    roles = {r.doc: r for r in document_clusters(pairs, ["src", "copy", "part", "other"], {})}
    assert roles["src"].role == ORIGINAL
    assert (roles["copy"].role, roles["copy"].of, roles["copy"].containment) == (COPY, "src", 0.95)
    assert (roles["part"].role, roles["part"].of) == (PARTIAL_COPY, "src")
    assert roles["other"].role == UNIQUE
    assert roles["src"].cluster == roles["copy"].cluster == roles["part"].cluster == 0
    assert roles["other"].cluster == 1
    assert roles["src"].cluster_size == 3 and roles["other"].cluster_size == 1


def test_without_dates_the_hub_that_explains_its_partners_is_the_original() -> None:
    # Three answers each copy a different part of a short source and add their own
    # words: each covers more of the source (0.6) than the source covers of it (0.5),
    # but only the source explains all three.
    pairs = [_pair("src", f"answer{i}", 0.6, 0.5) for i in range(3)]
    roles = {
        r.doc: r for r in document_clusters(pairs, ["answer0", "answer1", "answer2", "src"], {})
    }
    assert roles["src"].role == ORIGINAL
    assert {roles[f"answer{i}"].role for i in range(3)} == {PARTIAL_COPY}


def test_equal_hubs_tie_by_id_whatever_the_float_sums() -> None:
    # A explains partners covering 0.2, 0.7 and 0.15 of them, B 0.7, 0.15 and 0.2: the
    # same total, although summed in those orders as floats A's is the smaller
    # (1.5499999999999998 < 1.55 with the A-B pair). The tie goes to the smaller id.
    pairs = [_pair(f"a{i}", "A", c, 0.05) for i, c in enumerate((0.2, 0.7, 0.15))]
    pairs += [_pair(f"b{i}", "B", c, 0.05) for i, c in enumerate((0.7, 0.15, 0.2))]
    pairs.append(_pair("A", "B", 0.5, 0.5))
    ids = sorted({d for p in pairs for d in (p.a, p.b)})
    roles = {r.doc: r for r in document_clusters(pairs, ids, {})}
    assert roles["A"].role == ORIGINAL
    assert roles["B"].role == PARTIAL_COPY


def test_dates_decide_the_original() -> None:
    pairs = [_pair("late", "early", 0.2, 0.95)]
    meta = {"late": {"date": "2021-05-01"}, "early": {"date": "2019"}}
    roles = {r.doc: r for r in document_clusters(pairs, ["late", "early"], meta)}
    assert roles["early"].role == ORIGINAL
    assert roles["early"].date == "2019-01-01T00:00:00"
    # "late" covers only 20% of itself with "early": a partial copy of it.
    assert (roles["late"].role, roles["late"].of) == (PARTIAL_COPY, "early")


def test_weak_pairs_do_not_join_documents() -> None:
    # A quotation covering 5% of both documents: they stay apart.
    roles = document_clusters([_pair("x", "y", 0.05, 0.05)], ["x", "y"], {})
    assert [r.role for r in roles] == [UNIQUE, UNIQUE]
    assert roles[0].cluster != roles[1].cluster


def _two_doc_pair(a_span: tuple[int, int], b_span: tuple[int, int]) -> Passage:
    return Passage(a_span[0], a_span[1], b_span[0], b_span[1], 30, 1.0)


def test_chaining_through_partly_overlapping_passages_is_refused() -> None:
    # A shares paragraphs 1-2 with B, B shares 2-3 with C, C shares 3-4 with D.
    # On B the two spans overlap by half: not the same text, so no chain A…D.
    pairs = [
        Pair("A", "B", 0.5, 0.5, 0.3, (_two_doc_pair((0, 200), (0, 200)),)),
        Pair("B", "C", 0.5, 0.5, 0.3, (_two_doc_pair((100, 300), (0, 200)),)),
        Pair("C", "D", 0.5, 0.5, 0.3, (_two_doc_pair((100, 300), (0, 200)),)),
    ]
    texts = {d: "x" * 400 for d in "ABCD"}
    clusters = passage_clusters(pairs, {}, texts)
    assert [sorted(m.doc for m in c.members) for c in clusters] == [
        ["A", "B"],
        ["B", "C"],
        ["C", "D"],
    ]


def test_slightly_shifted_spans_of_one_passage_join() -> None:
    # The same passage aligned against three partners, ends wandering by a few chars.
    pairs = [
        Pair("H", "P1", 0.5, 0.9, 0.3, (_two_doc_pair((100, 300), (0, 200)),)),
        Pair("H", "P2", 0.5, 0.9, 0.3, (_two_doc_pair((104, 296), (10, 202)),)),
        Pair("H", "P3", 0.5, 0.9, 0.3, (_two_doc_pair((98, 305), (5, 212)),)),
    ]
    texts = {d: "y" * 400 for d in ("H", "P1", "P2", "P3")}
    (cluster,) = passage_clusters(pairs, {}, texts)
    assert [m.doc for m in cluster.members] == ["H", "P1", "P2", "P3"]
    assert (cluster.members[0].start, cluster.members[0].end) == (98, 305)


def test_overlapping_regions_of_one_cluster_on_a_document_are_one_member() -> None:
    # X shares its first 300 characters with Y and its first 400 with Z; Y and Z
    # share 340. On X the two spans are not the same text (75% < 80%), but they end
    # up in one cluster through Y and Z (300 ~ 340 on Y, 340 ~ 400 on Z): X is one
    # member, its extent 0-400.
    pairs = [
        Pair("X", "Y", 0.3, 0.9, 0.3, (_two_doc_pair((0, 300), (0, 300)),)),
        Pair("X", "Z", 0.4, 0.9, 0.3, (_two_doc_pair((0, 400), (0, 400)),)),
        Pair("Y", "Z", 0.9, 0.7, 0.3, (_two_doc_pair((0, 340), (0, 340)),)),
    ]
    texts = {d: "z" * 1000 for d in "XYZ"}
    (cluster,) = passage_clusters(pairs, {}, texts)
    assert [(m.doc, m.start, m.end) for m in cluster.members] == [
        ("X", 0, 400),
        ("Y", 0, 340),
        ("Z", 0, 400),
    ]


def test_write_groups_is_deterministic_whatever_the_pair_order(tmp_path: Path, planted_run) -> None:
    pairs, texts, meta, _ = planted_run
    first = write_groups(tmp_path / "one", pairs, sorted(texts), meta, texts)
    shuffled = list(pairs)
    np.random.default_rng(3).shuffle(shuffled)  # type: ignore[arg-type]
    second = write_groups(tmp_path / "two", shuffled, sorted(texts, reverse=True), meta, texts)
    assert first == second
    for name in ("clusters.jsonl", "documents.jsonl"):
        assert (tmp_path / "one" / name).read_bytes() == (tmp_path / "two" / name).read_bytes()
    rows = [json.loads(line) for line in (tmp_path / "one" / "documents.jsonl").open()]
    assert [r["doc"] for r in rows] == sorted(texts)
    assert first["passage_clusters"] == len(
        (tmp_path / "one" / "clusters.jsonl").read_text().splitlines()
    )


def test_no_pairs_gives_no_clusters() -> None:
    groups = build_groups([], ["x", "y"], {}, {"x": "", "y": ""})
    assert groups.passages == []
    assert [r.role for r in groups.documents] == [UNIQUE, UNIQUE]
    assert groups.summary["document_clusters"] == 0


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2014-06-13", "2014-06-13T00:00:00"),
        ("2014-06-13T10:00:00+02:00", "2014-06-13T08:00:00"),
        ("2014-06-13T10:00:00Z", "2014-06-13T10:00:00"),
        ("1851", "1851-01-01T00:00:00"),
        ("1851-07", "1851-07-01T00:00:00"),
        (1851, "1851-01-01T00:00:00"),
        ("June 1851", None),
        (True, None),
        (None, None),
    ],
)
def test_parse_date(value: object, expected: str | None) -> None:
    assert parse_date(value) == expected


@st.composite
def _random_pairs(draw: st.DrawFn) -> list[Pair]:
    docs = ["d0", "d1", "d2", "d3", "d4"]
    pairs = []
    for i, a in enumerate(docs):
        for b in docs[i + 1 :]:
            spans = draw(
                st.lists(
                    st.tuples(st.integers(0, 900), st.integers(5, 100), st.integers(0, 900)),
                    max_size=3,
                )
            )
            if spans:
                passages = tuple(Passage(s, s + w, t, t + w, w, 1.0) for s, w, t in sorted(spans))
                pairs.append(Pair(a, b, 0.5, 0.5, 0.3, passages))
    return pairs


@settings(max_examples=100, deadline=None)
@given(_random_pairs())
def test_every_passage_lies_in_one_cluster_on_both_sides(pairs: list[Pair]) -> None:
    texts = {f"d{i}": "w" * 1000 for i in range(5)}
    clusters = passage_clusters(pairs, {}, texts)
    for c in clusters:
        # Members of one cluster on one document never overlap (they were merged).
        spans = sorted((m.doc, m.start, m.end) for m in c.members)
        for (d1, _, e1), (d2, s2, _) in itertools.pairwise(spans):
            assert d1 != d2 or s2 >= e1
    for pair in pairs:
        for p in pair.passages:
            holding = [
                c
                for c in clusters
                if any(
                    m.doc == pair.a and m.start <= p.a_start and p.a_end <= m.end for m in c.members
                )
                and any(
                    m.doc == pair.b and m.start <= p.b_start and p.b_end <= m.end for m in c.members
                )
            ]
            assert holding, (pair.a, pair.b, p)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 300), st.integers(1, 120)), min_size=1, max_size=40),
    st.sampled_from([0.5, 0.8, 0.95]),
)
def test_regions_follow_the_seed_rule(spans: list[tuple[int, int]], min_overlap: float) -> None:
    distinct = sorted({(s, s + w) for s, w in spans}, key=lambda x: (x[0] - x[1], x[0]))
    starts = np.array([s for s, _ in distinct], dtype=np.int64)
    ends = np.array([e for _, e in distinct], dtype=np.int64)
    regions = seed_regions(np.zeros(len(distinct), dtype=np.int64), starts, ends, min_overlap)

    def same(a: tuple[int, int], b: tuple[int, int]) -> bool:
        overlap = min(a[1], b[1]) - max(a[0], b[0])
        return overlap >= min_overlap * (a[1] - a[0]) and overlap >= min_overlap * (b[1] - b[0])

    seeds: dict[int, tuple[int, int]] = {}
    for span, region in zip(distinct, regions.tolist(), strict=True):
        if region in seeds:
            assert same(span, seeds[region])  # joined its region's seed...
        else:
            assert not any(same(span, seed) for seed in seeds.values())  # ...or none matched
            seeds[region] = span
