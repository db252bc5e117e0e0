"""Grouping and report.html at scale: a synthetic result of a 100,000-document run.

    python benchmarks/report_bench.py [--docs 100000] [--top 20] [--browser]

The result is built directly (no `find` run): documents copy one of a pool of
seeded articles; copies of one article form a group of 2 to 100 documents (sizes
drawn from a Zipf law; `find` caps n-grams found in more than 100 documents, so
larger groups give no pairs), and every two members of a group are a pair sharing
the whole article or, for a third of the members, a part of it. About 70% of the
documents are in a group. Prints the pairs and passages, the seconds for the
passage and document clusters and for the page, the page's size, and with
``--browser`` the time headless Chromium takes to load and lay it out.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from pathlib import Path

import numpy as np

from reprints.documents import Pair, Passage
from reprints.group import build_groups, save_groups
from reprints.report import write_report
from reprints.synthetic import TextGenerator

POOL = 500


class PoolTexts(Mapping[str, str]):
    """Texts by id, each one of a small pool of articles (no memory per document)."""

    def __init__(self, pool: list[str], source: dict[str, int]) -> None:
        self.pool, self.source = pool, source

    def __getitem__(self, doc: str) -> str:
        return self.pool[self.source[doc]]

    def __iter__(self) -> Iterator[str]:
        return iter(self.source)

    def __len__(self) -> int:
        return len(self.source)


def build(docs: int, seed: int) -> tuple[list[str], list[Pair], PoolTexts]:
    rng = np.random.default_rng(seed)
    gen = TextGenerator(seed)
    pool = [gen.article(400) for _ in range(POOL)]
    doc_ids = [f"doc{i:07d}" for i in range(docs)]
    source = {d: int(rng.integers(POOL)) for d in doc_ids}
    pairs: list[Pair] = []
    at, grouped = 0, int(docs * 0.7)
    while at < grouped:
        size = int(min(max(rng.zipf(1.8), 2), 100, grouped - at))
        if size < 2:
            break
        members = doc_ids[at : at + size]
        base = source[members[0]]
        text_len = len(pool[base])
        part = rng.random(size) < 1 / 3
        cut = rng.integers(text_len // 4, text_len // 2, size=size)
        for m in members:
            source[m] = base
        for i in range(size):
            for j in range(i + 1, size):
                end = int(min(cut[i], cut[j])) if part[i] or part[j] else text_len
                share = end / text_len
                passage = Passage(0, end, 0, end, end // 6, 1.0)
                pairs.append(Pair(members[i], members[j], share, share, share, (passage,)))
        at += size
    return doc_ids, pairs, PoolTexts(pool, source)


def load_time(path: Path) -> dict[str, float]:
    """Seconds from navigation start to DOMContentLoaded and to the load event, in
    headless Chromium (Debian's /usr/bin/chromium), and the wall time of goto."""
    from playwright.sync_api import sync_playwright

    # The few lines that open Chromium live with the browser test, the other user.
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from tests.report.browser import launch

    with sync_playwright() as p, tempfile.TemporaryDirectory() as profile:
        context = launch(p, Path(profile))
        page = context.new_page()
        started = time.perf_counter()
        page.goto(path.as_uri(), wait_until="load")
        wall = time.perf_counter() - started
        timing = page.evaluate(
            "() => { const t = performance.getEntriesByType('navigation')[0];"
            " return [t.domContentLoadedEventEnd / 1000, t.loadEventEnd / 1000]; }"
        )
        context.close()
    return {"dom_content_loaded": timing[0], "load": timing[1], "goto_wall": wall}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--docs", type=int, default=100_000)
    parser.add_argument("--top", type=int, default=20)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, default=None, help="keep the outputs here")
    parser.add_argument("--browser", action="store_true", help="time the page in Chromium")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    doc_ids, pairs, texts = build(args.docs, args.seed)
    built = time.perf_counter() - started
    print(f"built {len(doc_ids):,} documents, {len(pairs):,} pairs in {built:.1f} s")
    with tempfile.TemporaryDirectory() as tmp:
        out = args.out or Path(tmp)
        started = time.perf_counter()
        groups = build_groups(pairs, doc_ids, {}, texts)
        grouping = time.perf_counter() - started
        save_groups(out, groups)
        started = time.perf_counter()
        path = write_report(
            out,
            pairs,
            [],
            doc_ids,
            {},
            texts,
            {"documents": len(doc_ids)},
            top_n=args.top,
            groups=groups,
        )
        report = time.perf_counter() - started
        s = groups.summary
        print(
            f"passage clusters {s['passage_clusters']:,} "
            f"(largest {s['largest_passage_cluster']:,}), "
            f"document clusters {s['document_clusters']:,} "
            f"({s['documents_in_clusters']:,} documents)"
        )
        size = path.stat().st_size / 1e6
        print(f"grouping {grouping:.1f} s, report {report:.1f} s, report.html {size:.2f} MB")
        if args.browser:
            timing = load_time(path)
            print("chromium: " + ", ".join(f"{k} {v:.2f} s" for k, v in timing.items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
