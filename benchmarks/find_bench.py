"""Speed, memory and accuracy of `reprints find` on a seeded synthetic collection.

    python benchmarks/find_bench.py --docs 20000 --words 500 [--workers 0] [--cache DIR]

The collection: news-like articles from a Zipfian vocabulary; a share of them are
sources copied into other documents, whole (with 0-5% of words edited) or in part (a
80-300 word stretch with 2% of its words edited, pasted into another article between
two paragraphs); every document carries its site's header and footer lines
(boilerplate shared by hundreds of documents) and a URL on its site. The benchmark
writes the collection as JSON Lines, runs the `reprints find` command in a child
process, and prints documents per second, MB per second (of the JSON Lines file; per
core: divided by the workers), the CPU seconds the child's processes used (MB per CPU
second is the per-core figure least disturbed by other load on the machine), the
child's peak RSS (its largest process), and the recall and precision of the planted
pairs (a source is copied once, never itself a copy: a true pair is a copy and its
source).

The collection is written in chunks of documents, each generated with numpy over the
whole chunk: every random choice about a document's text is a hash of (seed, document
number, position), so any document (a copied source too) can be generated on its own,
and the file is the same for a seed whatever the chunk size. Only the plan (which
document copies which, and how) and the true pairs (document numbers) are kept whole:
a million documents of 300 words take a couple of minutes and little memory. With
``--cache DIR`` the file (and its true pairs) is kept there under a name made of its
parameters, and reused by the next run with the same ones.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from reprints.runners.pool import worker_count
from reprints.synthetic import TextGenerator

I64 = npt.NDArray[np.int64]
U64 = npt.NDArray[np.uint64]

# Bumped whenever the generated text changes (part of the cache file's name).
VERSION = 2
SITES = 20
VOCABULARY = 50_000
PARAGRAPH = 60  # words per paragraph
PATTERNS = 4096  # sentence-break patterns of a paragraph, one picked per paragraph
CHUNK = 5_000  # documents generated at once

# What follows a word: a space, a sentence end, a paragraph end (escaped as JSON), the
# body's end (the footer's separator follows). Capitalised: after a sentence's end.
_SPACE, _STOP, _BREAK, _END = 0, 1, 2, 3
_SUFFIXES = (b" ", b". ", b".\\n\\n", b".")

# Streams of the counter-based generator: one per kind of random choice.
_WORD, _PATTERN, _ROLL, _CHANGED, _INSERTED = 1, 2, 3, 4, 5


def _mix(x: U64) -> U64:
    """splitmix64's finaliser, elementwise (uint64 arithmetic wraps around)."""
    x = x ^ (x >> np.uint64(30))
    x = x * np.uint64(0xBF58476D1CE4E5B9)
    x = x ^ (x >> np.uint64(27))
    x = x * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


def _uniform(seed: int, stream: int, doc: I64, pos: I64) -> npt.NDArray[np.float64]:
    """A uniform number in [0, 1) for each (document, position): a hash, not a state."""
    with np.errstate(over="ignore"):
        key = np.uint64((seed * 0x9E3779B97F4A7C15 + stream * 0xD1B54A32D192ED03) % 2**64)
        h = _mix(_mix(doc.astype(np.uint64) ^ key) + pos.astype(np.uint64))
    return (h >> np.uint64(11)).astype(np.float64) * 2.0**-53


@dataclass(frozen=True)
class Plan:
    """Which documents copy which, and how; the true pairs as codes ``a * docs + b``."""

    docs: int
    words: int
    seed: int
    target: I64  # copying documents, sorted
    source: I64  # the document each copies (never itself a copy)
    whole: npt.NDArray[np.bool_]  # whole copy (else a stretch pasted into the target)
    rate: npt.NDArray[np.float64]  # share of the copied words edited
    start: I64  # the copied stretch of the source: [start, start + size)
    size: I64
    at: I64  # partial copies: pasted before the target's paragraph ``at``

    @classmethod
    def of(cls, docs: int, words: int, seed: int) -> Plan:
        rng = np.random.default_rng([seed, VERSION])
        target = rng.choice(docs, size=docs // 10, replace=False).astype(np.int64)
        source = rng.integers(docs, size=target.shape[0]).astype(np.int64)
        whole = rng.random(target.shape[0]) < 0.5
        rate = np.where(whole, rng.uniform(0.0, 0.05, target.shape[0]), 0.02)
        size = np.minimum(rng.integers(80, 300, size=target.shape[0]), words)
        start = (rng.random(target.shape[0]) * np.maximum(1, words - size)).astype(np.int64)
        size = np.where(whole, words, size)
        start = np.where(whole, 0, start)
        paragraphs = -(-words // PARAGRAPH)
        at = rng.integers(0, paragraphs + 1, size=target.shape[0])
        # Sources stay original and are copied once (a copy of a copy, or two stretches
        # of one source that need not overlap, would make the truth less simple).
        keep = ~np.isin(source, target)
        keep[np.flatnonzero(keep)] &= _first_of_each(source[keep])
        order = np.argsort(target[keep], kind="stable")
        pick = [a[keep][order] for a in (target, source, whole, rate, start, size, at)]
        return cls(docs, words, seed, *pick)

    def truth(self) -> I64:
        """Sorted codes ``a * docs + b`` (a < b) of the true pairs: each copy with its
        source."""
        a, b = np.minimum(self.source, self.target), np.maximum(self.source, self.target)
        return np.sort(a * self.docs + b)


def _first_of_each(values: I64) -> npt.NDArray[np.bool_]:
    """Whether each value is the first of its kind in ``values``."""
    first = np.zeros(values.shape[0], dtype=bool)
    first[np.unique(values, return_index=True)[1]] = True
    return first


class Collection:
    """The documents of a plan, generated chunk by chunk as JSON Lines bytes."""

    def __init__(self, docs: int, words: int, seed: int) -> None:
        self.plan = Plan.of(docs, words, seed)
        gen = TextGenerator(seed, vocabulary=VOCABULARY)
        self._cdf = gen._cdf
        # Every word in its 8 forms (capitalised or not, x 4 suffixes): code w*8+c*4+s.
        forms = []
        for word in gen.words:
            for cased in (word, word.capitalize()):
                forms.extend(cased.encode() + suffix for suffix in _SUFFIXES)
        self._forms = np.array(forms, dtype=object)
        self._headers = [
            _json_inner(gen.sentence(12) + "\n" + gen.sentence(8)) for _ in range(SITES)
        ]
        self._footers = [
            _json_inner(gen.sentence(15) + "\n" + gen.sentence(10)) for _ in range(SITES)
        ]
        # Sentence-break patterns of a paragraph: sentences of 8 to 24 words.
        patterns = np.full((PATTERNS, PARAGRAPH), _SPACE, dtype=np.int8)
        for row in patterns:
            ends = np.cumsum(gen.rng.integers(8, 25, size=PARAGRAPH // 8 + 1)) - 1
            row[ends[ends < PARAGRAPH]] = _STOP
        patterns[:, -1] = _BREAK
        self._patterns = patterns

    def _zipf(self, uniform: npt.NDArray[np.float64]) -> I64:
        picks = np.searchsorted(self._cdf, uniform, side="right")
        return np.minimum(picks, VOCABULARY - 1).astype(np.int64)

    def bodies(self, docs: I64) -> tuple[I64, npt.NDArray[np.int8]]:
        """Word ids and suffixes of the original bodies of ``docs``: shape (n, words)."""
        n, w, seed = docs.shape[0], self.plan.words, self.plan.seed
        doc = np.repeat(docs, w)
        pos = np.tile(np.arange(w, dtype=np.int64), n)
        ids = self._zipf(_uniform(seed, _WORD, doc, pos)).reshape(n, w)
        paragraphs = -(-w // PARAGRAPH)
        pdoc = np.repeat(docs, paragraphs)
        ppos = np.tile(np.arange(paragraphs, dtype=np.int64), n)
        pick = (_uniform(seed, _PATTERN, pdoc, ppos) * PATTERNS).astype(np.int64)
        suffix = self._patterns[pick].reshape(n, paragraphs * PARAGRAPH)[:, :w].copy()
        suffix[:, -1] = _BREAK
        return ids, suffix

    def _edited(
        self, copies: I64, ids: I64, suffix: npt.NDArray[np.int8], rate: npt.NDArray[np.float64]
    ) -> tuple[I64, npt.NDArray[np.int8], I64]:
        """The flat copied words of each copy (``copies[k]`` holds ``ids[k]``, a ragged
        concatenation given as flat arrays with ``copies`` per word) with about
        ``rate`` of them dropped, changed or followed by an inserted word; and the
        number of words each copy ends with, in order."""
        seed = self.plan.seed
        first = np.flatnonzero(np.append(True, copies[1:] != copies[:-1]))
        j = np.arange(copies.shape[0], dtype=np.int64) - np.repeat(
            first, np.diff(np.append(first, copies.shape[0]))
        )
        roll = _uniform(seed, _ROLL, copies, j)
        changed = (roll >= rate / 3) & (roll < 2 * rate / 3)
        ids = np.where(changed, self._zipf(_uniform(seed, _CHANGED, copies, j)), ids)
        # Each word is kept (once), dropped (zero times) or followed by a new word (twice).
        times = np.where(roll < rate / 3, 0, np.where((roll >= 2 * rate / 3) & (roll < rate), 2, 1))
        out_ids = np.repeat(ids, times)
        out_suffix = np.repeat(suffix, times)
        out_copy = np.repeat(copies, times)
        # The second of a pair is the inserted word: a new word with a space after,
        # the copied word before it keeping its own suffix after the inserted one.
        second = np.zeros(out_ids.shape[0], dtype=bool)
        ends = np.cumsum(times)
        second[ends[times == 2] - 1] = True
        inserted = self._zipf(_uniform(seed, _INSERTED, copies, j)[times == 2])
        out_ids[second] = inserted
        before = np.flatnonzero(second) - 1
        out_suffix[second] = out_suffix[before]
        out_suffix[before] = _SPACE
        distinct = np.unique(copies)
        lengths = np.bincount(np.searchsorted(distinct, out_copy), minlength=distinct.shape[0])
        return out_ids, out_suffix, lengths.astype(np.int64)

    def chunk(self, lo: int, hi: int) -> bytes:
        """JSON Lines of documents ``lo`` to ``hi - 1``."""
        plan, w = self.plan, self.plan.words
        docs = np.arange(lo, hi, dtype=np.int64)
        n = hi - lo
        ids, suffix = self.bodies(docs)
        t_lo, t_hi = np.searchsorted(plan.target, [lo, hi])
        sel = slice(int(t_lo), int(t_hi))
        targets = plan.target[sel]
        # The copied stretches of the sources, flattened in target order.
        src_ids, src_suffix = self.bodies(plan.source[sel])
        cols = np.arange(w)
        start, size = plan.start[sel], plan.size[sel]
        stretch = (cols >= start[:, None]) & (cols < (start + size)[:, None])
        copy_of = np.repeat(targets, size)
        rate = np.repeat(plan.rate[sel], size)
        c_ids, c_suffix, c_len = self._edited(copy_of, src_ids[stretch], src_suffix[stretch], rate)
        if c_ids.shape[0]:
            c_suffix[np.cumsum(c_len) - 1] = _BREAK  # a pasted stretch is its own paragraph
        # Each document: host words [0, cut), its copy, host words [cut, host).
        host = np.full(n, w, dtype=np.int64)
        cut = np.full(n, w, dtype=np.int64)
        copy = np.zeros(n, dtype=np.int64)
        local = targets - lo
        whole = plan.whole[sel]
        host[local[whole]] = 0
        cut[local] = np.where(whole, 0, np.minimum(plan.at[sel] * PARAGRAPH, w))
        copy[local] = c_len
        lengths = host + copy
        offsets = np.append(0, np.cumsum(lengths))
        total = int(offsets[-1])
        out_ids = np.empty(total, dtype=np.int64)
        out_suffix = np.empty(total, dtype=np.int8)
        kept = cols[None, :] < host[:, None]
        row_start = offsets[:-1]
        where = (
            row_start[:, None]
            + cols[None, :]
            + np.where(cols[None, :] >= cut[:, None], copy[:, None], 0)
        )
        out_ids[where[kept]] = ids[kept]
        out_suffix[where[kept]] = suffix[kept]
        if c_ids.shape[0]:
            rank = np.arange(c_ids.shape[0]) - np.repeat(np.cumsum(c_len) - c_len, c_len)
            at = np.repeat(row_start[local] + cut[local], c_len) + rank
            out_ids[at] = c_ids
            out_suffix[at] = c_suffix
        out_suffix[offsets[1:] - 1] = _END
        capital = np.zeros(total, dtype=np.int64)
        capital[1:] = out_suffix[:-1] != _SPACE
        capital[offsets[:-1]] = 1
        codes = out_ids * 8 + capital * 4 + out_suffix
        pieces = np.empty(total + 2 * n, dtype=object)
        doc_of = np.repeat(np.arange(n), lengths)
        pieces[np.arange(total) + 2 * doc_of + 1] = self._forms[codes]
        pieces[offsets[:-1] + 2 * np.arange(n)] = _objects(
            b'{"id": "d%07d", "text": "%s\\n\\n' % (k, self._headers[k % SITES])
            for k in range(lo, hi)
        )
        pieces[offsets[1:] + 2 * np.arange(n) + 1] = _objects(
            b'\\n\\n%s", "url": "https://site%d.example/story/%d"}\n'
            % (self._footers[k % SITES], k % SITES, k)
            for k in range(lo, hi)
        )
        return b"".join(pieces.tolist())

    def chunks(self, chunk: int = CHUNK) -> Iterator[bytes]:
        for lo in range(0, self.plan.docs, chunk):
            yield self.chunk(lo, min(lo + chunk, self.plan.docs))


def _objects(items: Iterable[bytes]) -> npt.NDArray[np.object_]:
    values = list(items)
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out


def _json_inner(text: str) -> bytes:
    return json.dumps(text)[1:-1].encode()


def write_collection(path: Path, docs: int, words: int, seed: int, chunk: int = CHUNK) -> I64:
    """Write the collection to ``path`` (JSON Lines, atomically); its true pairs' codes."""
    collection = Collection(docs, words, seed)
    partial = path.with_name(path.name + ".partial")
    with open(partial, "wb") as stream:
        for data in collection.chunks(chunk):
            stream.write(data)
    os.replace(partial, path)
    return collection.plan.truth()


def cached_collection(folder: Path, docs: int, words: int, seed: int) -> tuple[Path, I64, bool]:
    """The collection's file in ``folder`` (written unless already there), its true
    pairs, and whether it was reused."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"find-bench-{docs}x{words}-seed{seed}-v{VERSION}.jsonl"
    if path.exists():
        return path, Plan.of(docs, words, seed).truth(), True
    return path, write_collection(path, docs, words, seed), False


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--docs", type=int, default=20_000)
    parser.add_argument("--words", type=int, default=500)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workers", type=int, default=0)
    parser.add_argument(
        "--cache", type=Path, default=None, help="keep (and reuse) the collection file here"
    )
    parser.add_argument(
        "--find-args", default="", help="more options for `reprints find` (one string)"
    )
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="find-bench-") as tmp:
        started = time.perf_counter()
        folder = args.cache if args.cache is not None else Path(tmp)
        corpus, truth, reused = cached_collection(folder, args.docs, args.words, args.seed)
        print(
            f"{'reused' if reused else 'built'} {args.docs:,} documents,"
            f" {truth.shape[0]:,} true pairs in {time.perf_counter() - started:.1f}s"
        )
        size_mb = corpus.stat().st_size / 1e6
        out = Path(tmp) / "out"
        command = [sys.executable, "-m", "reprints", "-q", "find", str(corpus), "-o", str(out)]
        command += ["--workers", str(args.workers), *args.find_args.split()]
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        subprocess.run(command, check=True)
        seconds = time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        peak_mb = after.ru_maxrss / 1024
        # The child's processes (workers included) ran for this many CPU seconds.
        cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
        found_codes = []
        # The pairs file's digest: two runs (e.g. under different --memory-budget)
        # found the same pairs and passages when their digests are equal.
        hashed = hashlib.sha256()
        with open(out / "pairs.jsonl", "rb") as stream:
            for line in stream:
                hashed.update(line)
                pair = json.loads(line)
                found_codes.append(int(pair["a"][1:]) * args.docs + int(pair["b"][1:]))
        digest = hashed.hexdigest()[:16]
        summary = json.loads((out / "summary.json").read_text())
    found = np.unique(np.array(found_codes, dtype=np.int64))
    hits = int(np.isin(found, truth).sum())
    recall = hits / truth.shape[0] if truth.shape[0] else 1.0
    precision = hits / found.shape[0] if found.shape[0] else 1.0
    print(f"corpus            {args.docs:,} documents, {size_mb:.0f} MB")
    cores = worker_count(args.workers)
    print(
        f"find              {seconds:.1f} s, {args.docs / seconds:,.0f} docs/s,"
        f" {size_mb / seconds:.1f} MB/s, {size_mb / seconds / cores:.1f} MB/s per core"
        f" ({cores} worker{'s' if cores > 1 else ''})"
    )
    print(f"CPU time          {cpu:.1f} s, {size_mb / cpu:.1f} MB per CPU second")
    print(f"peak RSS (child)  {peak_mb:,.0f} MB")
    print(f"stages (s)        {summary['seconds']}")
    print(
        f"pairs             found {found.shape[0]:,}, true {truth.shape[0]:,}"
        f" (pairs.jsonl sha256 {digest})"
    )
    print(f"recall            {recall:.4f}")
    print(f"precision         {precision:.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
