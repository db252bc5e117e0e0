"""The bundled example collection shows what the README says it shows."""

from __future__ import annotations

from pathlib import Path

import pytest

from reprints.api import FindOptions, find
from reprints.boilerplate import BoilerplateDetector
from reprints.readers import ReadLog, ReadOptions, read_documents

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
PAGE = "harbor-gazette/2026-03-02-lighthouse-lens.txt"
REPOST = "blog/tidewater-notes-lens.txt"
WIRE = "wire/coastal-wire-0302-lens.txt"
UNRELATED = ("notes/sourdough-starter.txt", "notes/bicycle-commute.txt")


@pytest.fixture(scope="module")
def found():
    documents = list(read_documents([EXAMPLES], ReadOptions(), ReadLog()))
    # As `reprints find` runs: site and line-rule boilerplate marked, never pairing.
    detector = BoilerplateDetector()
    with find(documents, FindOptions(workers=1), boilerplate=detector) as result:
        texts = {doc_id: result.texts[doc_id] for doc_id in result.doc_ids}
        yield result.pairs, result.repeats, texts


def test_the_article_its_wire_copy_and_the_repost_pair_up(found):
    pairs, _, _ = found
    by_ids = {(p.a, p.b): p for p in pairs}
    assert (PAGE, WIRE) in by_ids
    assert by_ids[(PAGE, WIRE)].containment_b >= 0.85  # the edited wire copy is nearly all article
    repost = by_ids[(REPOST, PAGE)]
    assert repost.containment_a >= 0.8
    # Both pasted copies of the repost point at the same stretch of the page.
    assert len(repost.passages) == 2
    assert len({(p.b_start, p.b_end) for p in repost.passages}) == 1


def test_the_repost_repeats_itself(found):
    _, repeats, texts = found
    (repeat,) = [r for r in repeats if r.doc == REPOST]
    (passage,) = repeat.passages
    text = texts[REPOST]
    first = text[passage.first_start : passage.first_end]
    again = text[passage.repeat_start : passage.repeat_end]
    assert first == again
    assert first.startswith("The glass lens") and first.endswith("Someone has to make it")


def test_unrelated_texts_pair_with_nothing(found):
    pairs, _, _ = found
    for pair in pairs:
        assert pair.a not in UNRELATED and pair.b not in UNRELATED


def test_two_pages_sharing_only_site_chrome_do_not_pair(found):
    pairs, _, _ = found
    other_page = "harbor-gazette/2026-03-03-dredging-vote.txt"
    assert all(other_page not in (p.a, p.b) for p in pairs)
