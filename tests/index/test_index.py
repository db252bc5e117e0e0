"""The index answers exactly what `find` reports for the queried document."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reprints.api import BoilerplateDetector, FindOptions, find
from reprints.boilerplate import BoilerplateSettings
from reprints.documents import Document, Pair
from reprints.index import (
    DuplicateId,
    Index,
    IndexBusy,
    IndexOptions,
    NotAnIndex,
    query,
)
from reprints.readers import read_documents
from reprints.runners.reference import find_batch
from reprints.synthetic import TextGenerator
from tests.conftest import NEWS_PAGE, REPOST
from tests.index.collections import collection


def find_pairs_of(
    docs: list[Document], q: Document, options: FindOptions, boilerplate: bool
) -> list[Pair]:
    """What `find` (the reference runner) on the collection plus the query reports for
    the query's pairs."""
    settings = BoilerplateSettings() if boilerplate else None
    found = find_batch([*docs, q], options, boilerplate=settings)
    return sorted((p for p in found.pairs if q.id in (p.a, p.b)), key=lambda p: (p.a, p.b))


def index_pairs(index: Index, q: Document) -> list[Pair]:
    return sorted((m.pair for m in query(index, q).matches), key=lambda p: (p.a, p.b))


def make_index(path: Path, docs: list[Document], options: IndexOptions | None = None) -> Index:
    index = Index.create(path, options)
    index.add(docs)
    return index


def test_seeds_repost_answers_with_the_news_page(seeds_dir: Path, tmp_path: Path) -> None:
    docs = list(read_documents([seeds_dir]))
    index = make_index(tmp_path / "ix", docs)
    repost = next(d for d in docs if d.id == REPOST)
    result = query(index, Document("pasted", repost.text))
    by_id = {m.id: m for m in result.matches}
    assert set(by_id) == {NEWS_PAGE, REPOST}
    assert result.matches[0].id == REPOST and result.matches[0].kind == "exact"
    page = by_id[NEWS_PAGE]
    assert page.kind == "contained" and page.containment_query > 0.9
    # The same passages and scores as `find` on the two (the repost renamed "pasted":
    # ids order the pair the same way).
    news = next(d for d in docs if d.id == NEWS_PAGE)
    with find([news, repost], FindOptions(workers=1), boilerplate=BoilerplateDetector()) as found:
        (expected,) = found.pairs
    assert page.pair.passages == expected.passages
    assert (page.pair.containment_a, page.pair.containment_b, page.pair.jaccard) == (
        expected.containment_a,
        expected.containment_b,
        expected.jaccard,
    )
    # Offsets as seen from the query: the query's side is find's b side here.
    assert [(p.query_start, p.query_end) for p in page.passages] == [
        (p.b_start, p.b_end) for p in expected.passages
    ]


def test_add_remove_compact(tmp_path: Path) -> None:
    docs = collection(7, 40)
    index = make_index(tmp_path / "ix", docs[:30])
    probe = Document("probe", docs[35].text)
    before = {m.id for m in query(index, probe).matches}
    assert docs[35].id not in before

    index.add(docs[30:])
    after = query(index, probe)
    assert docs[35].id in {m.id for m in after.matches}

    assert index.remove([docs[35].id, "no-such-id"]) == ["no-such-id"]
    removed = query(index, probe)
    assert docs[35].id not in {m.id for m in removed.matches}
    assert index.document(docs[35].id) is None

    assert index.compact() == 2
    compacted = query(index, probe)
    assert [m.to_json() for m in compacted.matches] == [m.to_json() for m in removed.matches]
    assert index.stats()["segments"] == 1 and index.stats()["tombstones"] == 0
    # Reopened from disk: the same answers.
    again = query(Index(tmp_path / "ix"), probe)
    assert [m.to_json() for m in again.matches] == [m.to_json() for m in removed.matches]


def test_duplicate_ids_are_refused_whole(tmp_path: Path) -> None:
    docs = collection(3, 6)
    index = make_index(tmp_path / "ix", docs[:3])
    with pytest.raises(DuplicateId):
        index.add([docs[4], docs[0]])
    assert index.document(docs[4].id) is None  # nothing of the refused add is visible
    assert index.stats()["documents"] == 3


def test_second_writer_is_refused(tmp_path: Path) -> None:
    index = make_index(tmp_path / "ix", collection(4, 4))
    other = Index(tmp_path / "ix")
    with index._writing(), pytest.raises(IndexBusy, match="another process is writing"):
        other.add(collection(5, 2))
    other.add(collection(5, 2))  # once the lock is free
    assert other.stats()["documents"] == 6


def test_not_an_index(tmp_path: Path) -> None:
    with pytest.raises(NotAnIndex, match="no index in"):
        Index(tmp_path)


@settings(
    max_examples=16,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    seed=st.integers(0, 10_000),
    size=st.integers(2, 14),
    max_df=st.sampled_from([2, 3, 100]),
    boilerplate=st.booleans(),
    steps=st.integers(1, 3),
    removed=st.integers(0, 3),
    compact=st.booleans(),
)
def test_query_equals_find(
    tmp_path_factory: pytest.TempPathFactory,
    seed: int,
    size: int,
    max_df: int,
    boilerplate: bool,
    steps: int,
    removed: int,
    compact: bool,
) -> None:
    """In several adds (several segments), after removals (tombstones: the frequent
    anchors kept by the adds over-count) and after a compact (which counts them again)."""
    docs = collection(seed, size + 1)
    *stored, q = docs
    options = FindOptions(max_df=max_df, min_tokens=12, workers=1)
    index = Index.create(
        tmp_path_factory.mktemp("ix") / "ix",
        IndexOptions(options, BoilerplateSettings() if boilerplate else None),
    )
    for k in range(steps):
        index.add(stored[k::steps])
    gone = {d.id for d in stored[:removed]}
    index.remove(sorted(gone))
    if compact:
        index.compact()
    kept = [d for d in stored if d.id not in gone]
    assert index_pairs(index, q) == find_pairs_of(kept, q, options, boilerplate)


def _site_collection(seed: int, size: int) -> list[Document]:
    """Pages of one site: a header line on every page (chrome once three pages hold
    it), an article, and copies of earlier articles."""
    gen = TextGenerator(seed, vocabulary=2_000)
    header = "Daily Example Herald front page edition"
    docs: list[Document] = []
    for k in range(size):
        if docs and gen.rng.random() < 0.5:
            body = gen.edit(docs[int(gen.rng.integers(len(docs)))].text.split("\n\n", 1)[1], 0.03)
        else:
            body = gen.article(80, paragraph_words=40)
        text = f"{header}\n\n{body}"
        docs.append(Document(f"s{seed}-{k:03d}", text, {"url": f"https://herald.example/{k}"}))
    return docs


def _site_query_equals_find(path: Path, seed: int, size: int, cut: int) -> None:
    *stored, q = _site_collection(seed, size)
    options = FindOptions(min_tokens=12, workers=1)
    index = Index.create(path, IndexOptions(options))
    index.add(stored[:cut])  # added before their lines repeat on the site
    index.add(stored[cut:])
    assert index_pairs(index, q) == find_pairs_of(stored, q, options, True)


# Cases where the stored marks of add time gave other passages than find's (before
# stored documents of a counted site were marked again at query time).
@pytest.mark.parametrize(
    ("seed", "size", "cut"), [(5, 12, 5), (7, 12, 5), (9, 7, 3), (9, 12, 5), (20, 9, 2)]
)
def test_site_pages_are_marked_with_the_current_counts(
    tmp_path: Path, seed: int, size: int, cut: int
) -> None:
    """A site's pages are marked as find would over the whole collection plus the
    query: a long line on half the site's pages at add time is chrome then, and no
    longer once the site has more pages (nor the other way round)."""
    _site_query_equals_find(tmp_path / "ix", seed, size, cut)


@settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(seed=st.integers(0, 10_000), size=st.integers(3, 12), cut=st.integers(1, 11))
def test_site_query_equals_find_after_several_adds(
    tmp_path_factory: pytest.TempPathFactory, seed: int, size: int, cut: int
) -> None:
    _site_query_equals_find(tmp_path_factory.mktemp("ix") / "ix", seed, size, min(cut, size - 2))
