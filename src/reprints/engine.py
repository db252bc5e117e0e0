"""The `find` pipeline on one machine: read → tokenise → fingerprint → candidates → align.

Each stage is a function of the stage modules; this module only moves data between
them, spools what it must keep to disk (:mod:`reprints.store`) and spreads the two
heavy stages, fingerprinting and alignment, over a process pool. Documents are
numbered in the order of their sorted ids, and every result is ordered by those
numbers, so the output does not depend on the input order or the worker count.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, TypeVar

import numpy as np
import numpy.typing as npt

from reprints.align import (
    Admission,
    AlignParams,
    TokenPassage,
    align,
    align_self,
    ngram_jaccard,
)
from reprints.boilerplate import mark_tokens
from reprints.candidates import find_candidates
from reprints.documents import Document, Pair, Passage, Repeat, SelfRepeats
from reprints.fingerprint import ngram_hashes, usable_ngrams, window_for, winnow
from reprints.options import OptionsError
from reprints.pipeline import (
    OwnsScratch,
    ProgressHook,
    StageClock,
    batches,
    no_progress,
    ordered_map,
    process_pool,
)
from reprints.scratch import scratch_folder
from reprints.store import TextSpool, TokenReader, TokenStore, TokenStoreFiles
from reprints.text import Tokenizer, Tokens

T = TypeVar("T")
R = TypeVar("R")

_FINGERPRINT_BATCH = 64
_ALIGN_BATCH = 128
_DIGITS = 4  # scores are rounded so that output bytes do not depend on float noise


@dataclass(frozen=True, slots=True)
class FindOptions:
    """Settings of `reprints find`.

    ``min_tokens`` (default 20, about one sentence): passages shorter than this are
    not reported, and any verbatim run this long is guaranteed to be found (winnowing
    window = min_tokens - ngram + 1). Shorter runs are usually found too, but a
    20-token floor keeps shared stock phrases and quotations out of the results.
    """

    ngram: int = 5
    seed_ngram: int = 3
    min_tokens: int = 20
    max_df: int = 100
    max_gap: int = 12
    min_similarity: float = 0.5
    self_repeats: bool = True
    workers: int = 0  # 0 = all cores

    def __post_init__(self) -> None:
        problems = [
            f"{name} must be {rule} (got {value})"
            for name, value, ok, rule in (
                ("ngram", self.ngram, self.ngram >= 1, "at least 1"),
                ("seed_ngram", self.seed_ngram, self.seed_ngram >= 1, "at least 1"),
                ("min_tokens", self.min_tokens, self.min_tokens >= 1, "at least 1"),
                ("max_df", self.max_df, self.max_df >= 1, "at least 1"),
                ("max_gap", self.max_gap, self.max_gap >= 0, "0 or more"),
                (
                    "min_similarity",
                    self.min_similarity,
                    0.0 <= self.min_similarity <= 1.0,
                    "between 0 and 1",
                ),
                ("workers", self.workers, self.workers >= 0, "0 (all cores) or more"),
            )
            if not ok
        ]
        if problems:
            raise OptionsError("; ".join(problems))

    def align_params(self) -> AlignParams:
        return AlignParams(
            ngram=self.ngram,
            min_tokens=self.min_tokens,
            seed_ngram=self.seed_ngram,
            max_gap=self.max_gap,
            min_similarity=self.min_similarity,
        )


class BoilerplateMarker(Protocol):
    """What the pipeline needs of a boilerplate detector (see reprints.boilerplate).

    ``observe`` sees every document first, in the main process; then a copy of the
    detector goes to each worker process (so it must pickle), where ``spans`` is called
    on that worker's documents and must only read what ``observe`` counted.
    """

    def observe(self, doc: Document) -> None: ...

    def spans(self, doc: Document) -> Sequence[Any]: ...

    def summary(self) -> dict[str, Any]: ...

    def take_counts(self) -> Any: ...  # what a worker's copy marked, handed back...

    def add_counts(self, counts: Any) -> None: ...  # ...and added up in the main process


@dataclass
class FindResult(OwnsScratch):
    """Everything `find` learnt; ``texts`` reads the spooled texts until :meth:`close`."""

    doc_ids: list[str]
    pairs: list[Pair]
    repeats: list[SelfRepeats]
    summary: dict[str, Any]
    texts: Mapping[str, str]
    meta: dict[str, dict[str, Any]]
    _workdir: tempfile.TemporaryDirectory[str] | None = field(default=None, repr=False)


@dataclass(frozen=True, slots=True)
class Fingerprint:
    """One document's tokens and its winnowed anchors (positions of n-grams, hashes)."""

    tokens: Tokens
    anchor_positions: npt.NDArray[np.int64]
    anchor_hashes: npt.NDArray[np.uint64]


def fingerprint(tokens: Tokens, ngram: int, window: int) -> Fingerprint:
    """Winnowed anchors of a document, never taken from n-grams touching boilerplate."""
    grams = ngram_hashes(tokens.hashes, ngram)
    usable = usable_ngrams(tokens, ngram)
    masked = np.where(usable, grams, np.iinfo(np.uint64).max).astype(np.uint64)
    positions = winnow(masked, window)
    positions = positions[usable[positions]] if positions.size else positions
    return Fingerprint(tokens, positions, grams[positions])


# --- worker processes -------------------------------------------------------------
# A pool's workers get their read-only context once, from the initializer, instead
# of with every task: the tokenizer's word cache, the token store's memory maps.


# Anchors of all documents: offsets (n_docs + 1), n-gram positions, n-gram hashes.
_Anchors = tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.uint64]]


@dataclass
class _WorkerContext:
    options: FindOptions
    tokenizer: Tokenizer = field(default_factory=Tokenizer)
    reader: TokenReader | None = None
    anchors: _Anchors | None = None
    capped: npt.NDArray[np.uint64] | None = None
    doc_ids: Sequence[str] = ()
    # Read-only once every document was observed; each worker marks its own batches.
    boilerplate: BoilerplateMarker | None = None


_context: _WorkerContext | None = None


def _init_worker(context: _WorkerContext) -> None:
    global _context
    _context = context
    if context.reader is None and context.anchors is not None:
        raise RuntimeError("worker context without a token store")


def _ctx() -> _WorkerContext:
    assert _context is not None, "worker used before its initializer ran"
    return _context


def _fingerprint_batch(batch: list[Document]) -> tuple[list[Fingerprint], Any]:
    """Fingerprints of a batch, and what the boilerplate detector marked in it."""
    ctx = _ctx()
    window = window_for(ctx.options.min_tokens, ctx.options.ngram)
    fingerprints = []
    for doc, tokens in zip(
        batch, ctx.tokenizer.tokenize_batch([d.text for d in batch]), strict=True
    ):
        if ctx.boilerplate is not None:
            tokens = mark_tokens(tokens, ctx.boilerplate.spans(doc))
        fingerprints.append(fingerprint(tokens, ctx.options.ngram, window))
    marked = ctx.boilerplate.take_counts() if ctx.boilerplate is not None else None
    return fingerprints, marked


def _admission(doc: int, other: int | None, tokens: Tokens) -> Admission:
    """What the index allows of ``doc`` when aligned with ``other`` (``None``: with
    itself, for repeats): its anchors shared with the other and not capped, and its
    stock text.

    Stock text is every window around an n-gram whose hash was capped. Winnowing picks
    anchors by context, so at the edges of a common phrase an n-gram of it can be an
    anchor in only a few documents and escape the cap; every such n-gram lies within
    one window of a capped one, which is why the whole neighbourhood is stock.
    """
    ctx = _ctx()
    assert ctx.anchors is not None and ctx.capped is not None
    offsets, positions, hashes = ctx.anchors
    n = ctx.options.ngram
    length = len(tokens)
    pos = positions[offsets[doc] : offsets[doc + 1]]
    own = hashes[offsets[doc] : offsets[doc + 1]]
    if other is None:
        values, counts = np.unique(own, return_counts=True)
        shared = np.isin(own, values[counts > 1])
    else:
        shared = np.isin(own, hashes[offsets[other] : offsets[other + 1]])
    anchors = np.zeros(max(length - n + 1, 0), dtype=bool)
    anchors[pos[shared & ~np.isin(own, ctx.capped)]] = True
    stock = None
    if ctx.capped.shape[0]:
        common = np.flatnonzero(np.isin(ngram_hashes(tokens.hashes, n), ctx.capped))
        if common.shape[0]:
            window = window_for(ctx.options.min_tokens, n)
            marks = np.zeros(length + 1, dtype=np.int32)
            np.add.at(marks, np.maximum(common - window + 1, 0), 1)
            np.add.at(marks, np.minimum(common + window + n - 1, length), -1)
            stock = np.cumsum(marks[:length]) > 0
    return Admission(anchors, stock)


def pair_of(
    a: str, b: str, ta: Tokens, tb: Tokens, admission: Admission, params: AlignParams
) -> Pair | None:
    """The passages documents ``a`` and ``b`` share, as a record with character offsets."""
    alignment = align(ta, tb, admission, params)
    if not alignment.passages:
        return None
    return Pair(
        a=a,
        b=b,
        containment_a=round(alignment.containment_a(), _DIGITS),
        containment_b=round(alignment.containment_b(), _DIGITS),
        jaccard=round(ngram_jaccard(ta, tb, params.ngram), _DIGITS),
        passages=tuple(_to_passage(p, ta, tb) for p in alignment.passages),
    )


def repeats_of(
    doc: str, tokens: Tokens, admission: Admission, params: AlignParams
) -> SelfRepeats | None:
    """The passages of a document that repeat an earlier passage of its own."""
    found = align_self(tokens, admission, params)
    if not found:
        return None
    repeats = []
    for p in found:
        span = _to_passage(p, tokens, tokens)
        repeats.append(Repeat(span.a_start, span.a_end, span.b_start, span.b_end, p.a1 - p.a0))
    return SelfRepeats(doc, tuple(repeats))


def _to_passage(p: TokenPassage, ta: Tokens, tb: Tokens) -> Passage:
    a_start, a_end = ta.char_span(p.a0, p.a1)
    b_start, b_end = tb.char_span(p.b0, p.b1)
    return Passage(a_start, a_end, b_start, b_end, p.a1 - p.a0, round(p.similarity, _DIGITS))


def _align_batch(tasks: list[tuple[int, int]]) -> list[Pair | SelfRepeats | None]:
    """Align a batch of tasks: (a, b) pairs, or (doc, -1) for a document's repeats."""
    ctx = _ctx()
    assert ctx.reader is not None
    params = ctx.options.align_params()
    found: list[Pair | SelfRepeats | None] = []
    for a, b in tasks:
        ta = ctx.reader.tokens(a)
        if b < 0:
            found.append(repeats_of(ctx.doc_ids[a], ta, _admission(a, None, ta), params))
        else:
            tb = ctx.reader.tokens(b)
            admission = _admission(a, b, ta)
            found.append(pair_of(ctx.doc_ids[a], ctx.doc_ids[b], ta, tb, admission, params))
    return found


# --- the pipeline -------------------------------------------------------------------


def _run(
    func: Callable[[list[T]], R],
    batches: Iterable[list[T]],
    context: _WorkerContext,
    workers: int,
) -> Iterator[R]:
    """Map ``func`` over batches, in order, in a process pool or (1 worker) in-process."""
    global _context
    if workers <= 1:
        _init_worker(context)
        try:
            yield from map(func, batches)
        finally:
            _context = None  # don't keep this run's arrays alive after it
        return
    with process_pool(workers, _init_worker, context) as pool:
        yield from ordered_map(pool, func, batches, 2 * workers + 1)


def find(
    documents: Iterable[Document],
    options: FindOptions | None = None,
    boilerplate: BoilerplateMarker | None = None,
    progress: ProgressHook | None = None,
) -> FindResult:
    """Find every passage shared by two documents, and every document's own repeats."""
    options = options or FindOptions()
    report = progress or no_progress
    workers = options.workers if options.workers > 0 else (os.cpu_count() or 1)
    clock = StageClock()
    workdir = scratch_folder("find")
    folder = Path(workdir.name)
    try:
        texts, meta = _spool(documents, folder, boilerplate, report)
        doc_ids = sorted(meta)
        clock.lap("read")

        context = _WorkerContext(options, boilerplate=boilerplate, doc_ids=doc_ids)
        files, anchors = _fingerprint_all(texts, meta, folder, context, workers, report)
        clock.lap("fingerprint")

        offsets, _, hashes = anchors
        owners = np.repeat(np.arange(len(doc_ids), dtype=np.int64), np.diff(offsets))
        candidates = find_candidates(hashes, owners, options.max_df)
        clock.lap("candidates")

        tasks = [(int(a), int(b)) for a, b in candidates.pairs]
        if options.self_repeats:
            tasks.extend((int(d), -1) for d in candidates.self_docs)
        context = _WorkerContext(
            options, anchors=anchors, capped=candidates.capped, doc_ids=doc_ids
        )
        pairs, repeats = _align_all(tasks, files, context, workers, report)
        clock.lap("align")
    except BaseException:
        workdir.cleanup()
        raise

    summary = {
        "documents": len(doc_ids),
        "tokens": int(files.offsets[-1]),
        "anchors": candidates.anchors,
        "anchors_capped": int(candidates.capped.shape[0]),
        "candidate_pairs": int(candidates.pairs.shape[0]),
        "self_candidates": int(candidates.self_docs.shape[0]),
        "pairs": len(pairs),
        "passages": sum(len(p.passages) for p in pairs),
        "documents_with_repeats": len(repeats),
        "repeated_passages": sum(len(r.passages) for r in repeats),
        "seconds": clock.seconds,
        "options": {
            "ngram": options.ngram,
            "min_tokens": options.min_tokens,
            "max_df": options.max_df,
            "max_gap": options.max_gap,
            "min_similarity": options.min_similarity,
        },
    }
    if boilerplate is not None:
        summary["boilerplate"] = boilerplate.summary()
    return FindResult(doc_ids, pairs, repeats, summary, texts, meta, workdir)


def _spool(
    documents: Iterable[Document],
    folder: Path,
    boilerplate: BoilerplateMarker | None,
    report: ProgressHook,
) -> tuple[TextSpool, dict[str, dict[str, Any]]]:
    """Read: texts to a spool file, metadata kept, the boilerplate detector counting lines."""
    texts = TextSpool(folder / "texts.bin")
    meta: dict[str, dict[str, Any]] = {}
    for doc in documents:
        if doc.id in meta:
            raise ValueError(f"duplicate document id {doc.id!r}")
        texts.add(doc.id, doc.text)
        meta[doc.id] = doc.meta
        if boilerplate is not None:
            boilerplate.observe(doc)
        report("read", 1, None)
    texts.seal()
    return texts, meta


def _fingerprint_all(
    texts: TextSpool,
    meta: dict[str, dict[str, Any]],
    folder: Path,
    context: _WorkerContext,
    workers: int,
    report: ProgressHook,
) -> tuple[TokenStoreFiles, _Anchors]:
    """Tokenise and fingerprint in id order: the token store on disk, and the anchors
    of every document (``offsets[d]:offsets[d+1]`` slices document d's positions and
    hashes)."""
    doc_ids = context.doc_ids
    documents = (Document(doc_id, texts[doc_id], meta[doc_id]) for doc_id in doc_ids)
    store = TokenStore(folder)
    positions: list[npt.NDArray[np.int64]] = []
    hashes: list[npt.NDArray[np.uint64]] = []
    work = batches(documents, _FINGERPRINT_BATCH)
    for fingerprints, marked in _run(_fingerprint_batch, work, context, workers):
        for fp in fingerprints:
            store.append(fp.tokens)
            positions.append(fp.anchor_positions)
            hashes.append(fp.anchor_hashes)
        if context.boilerplate is not None:
            context.boilerplate.add_counts(marked)
        report("fingerprint", len(fingerprints), len(doc_ids))
    counts = np.fromiter((p.shape[0] for p in positions), dtype=np.int64, count=len(positions))
    offsets = np.concatenate(([0], np.cumsum(counts))).astype(np.int64)
    return store.seal(), (
        offsets,
        np.concatenate(positions) if positions else np.zeros(0, np.int64),
        np.concatenate(hashes) if hashes else np.zeros(0, np.uint64),
    )


def _align_all(
    tasks: list[tuple[int, int]],
    files: TokenStoreFiles,
    context: _WorkerContext,
    workers: int,
    report: ProgressHook,
) -> tuple[list[Pair], list[SelfRepeats]]:
    context.reader = TokenReader(files)
    pairs: list[Pair] = []
    repeats: list[SelfRepeats] = []
    for batch in _run(_align_batch, batches(tasks, _ALIGN_BATCH), context, workers):
        pairs.extend(r for r in batch if isinstance(r, Pair))
        repeats.extend(r for r in batch if isinstance(r, SelfRepeats))
        report("align", len(batch), len(tasks))
    repeats.sort(key=lambda r: r.doc)
    return pairs, repeats
