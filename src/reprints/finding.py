"""`find` as stage functions on a batch, whatever runs them.

Both runners of `find`, the local engine (:mod:`reprints.runners.local`: a process
pool, spool files) and the in-memory reference (:mod:`reprints.runners.reference`),
call exactly these functions, so that their results cannot drift apart:

- :func:`fingerprint_documents`: tokenise a batch of documents, mark its boilerplate,
  take its winnowed anchors;
- :func:`alignment_tasks` and :func:`align_tasks`: what the anchor index pairs, aligned;
- :func:`collect`: the aligned records in their output order;
- :meth:`FindSummary.of`: the run's figures, assembled in this one place.

Everything here takes its inputs as arguments and imports nothing from the runners,
the CLI, the report or the writers.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from reprints.align import (
    Admission,
    Alignment,
    AlignParams,
    SeedIndex,
    TokenPassage,
    align,
    align_self,
    pair_record,
    repeats_record,
    set_jaccard,
)
from reprints.arrays import distinct
from reprints.boilerplate import BoilerplateMarker, MarkCounts, covered
from reprints.candidates import AnchorIndex, AnchorLookup, Rows
from reprints.copies import ExactCopies, content_keys
from reprints.documents import Document, Pair, SelfRepeats
from reprints.fingerprint import (
    Anchors,
    fingerprint_joined,
    ngram_hashes,
    usable_ngrams,
    window_for,
)
from reprints.options import OptionsError, check
from reprints.screen import may_seed_batch
from reprints.seeds import (
    SentenceBatch,
    SentenceIndex,
    SentenceParams,
    has_sentences,
    sentence_keys_joined,
)
from reprints.text import Tokenizer, Tokens

_SENTENCES = SentenceParams()  # frozen: one shared default is safe


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
    # Refuse, before pairing, a --max-df that would make more candidate pairs than a
    # run can hold (~150 bytes and one alignment each); not a result-shaping setting.
    max_pairs: int = 50_000_000
    # Sentence seeds (bag-of-words sentence pairs) beside the n-gram chains, and sentence
    # keys in the candidate index: reworded copies are found too.
    sentences: bool = True
    # Bytes the anchor index may take while it is built (0: an eighth of the machine's
    # memory); over it, its rows are spilled to disk and paired a partition at a time.
    # Not a result-shaping setting: the results are the same under any budget.
    memory_budget: int = 0

    def __post_init__(self) -> None:
        check(
            [
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
                ("max_pairs", self.max_pairs, self.max_pairs >= 1, "at least 1"),
                (
                    "memory_budget",
                    self.memory_budget,
                    self.memory_budget >= 0,
                    "0 (an eighth of the memory) or more bytes",
                ),
            ]
        )

    def align_params(self) -> AlignParams:
        return AlignParams(
            ngram=self.ngram,
            min_tokens=self.min_tokens,
            seed_ngram=self.seed_ngram,
            max_gap=self.max_gap,
            min_similarity=self.min_similarity,
            sentences=_SENTENCES if self.sentences else None,
        )

    def budget(self) -> int:
        """:attr:`memory_budget` in bytes, the default resolved."""
        return self.memory_budget or default_memory_budget()

    def window(self) -> int:
        """The winnowing window of the anchors."""
        return window_for(self.min_tokens, self.ngram)

    def to_json(self) -> dict[str, Any]:
        """The settings that shape the results, as ``summary.json`` records them."""
        return {
            "ngram": self.ngram,
            "min_tokens": self.min_tokens,
            "max_df": self.max_df,
            "max_gap": self.max_gap,
            "min_similarity": self.min_similarity,
            "sentences": self.sentences,
        }


def default_memory_budget() -> int:
    """An eighth of the machine's physical memory (2 GiB where it cannot be read): the
    anchor index's share, beside what the rest of a run holds (the documents' ids and
    metadata, the boilerplate line counts, worker processes), so that a whole run
    stays well inside the machine (a million documents of 300 words: about 3 GB on a
    24 GB machine)."""
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") // 8
    except (ValueError, OSError, AttributeError):
        return 2 << 30


# --- fingerprint --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FingerprintedBatch:
    """A batch of documents tokenised (boilerplate flagged), their anchors, their
    sentence keys (none without sentence seeds), and what the marker marked in them
    (None without a marker)."""

    tokens: list[Tokens]
    anchors: Anchors
    marks: MarkCounts | None
    keys: U64  # each document's exact-copy key (:func:`reprints.copies.content_keys`)
    sentence_keys: Anchors  # :func:`reprints.seeds.sentence_keys_joined`


def fingerprint_documents(
    documents: Sequence[Document],
    options: FindOptions,
    tokenizer: Tokenizer,
    marker: BoilerplateMarker | None,
) -> FingerprintedBatch:
    """Tokens and anchors of a batch; with a ``marker``, boilerplate never anchors.

    The batch is worked on as one: its tokens joined into arrays, the marked lines
    found in the texts joined as the tokeniser joins them (newlines between), the
    anchors of every document taken in one pass (:func:`fingerprint_joined`)."""
    joined = tokenizer.tokenize_joined([d.text for d in documents])
    marks = boilerplate = None
    if marker is not None:
        # The marker joins the texts as the tokeniser does: spans in the same offsets.
        span_starts, span_ends, marks = marker.mark_joined(documents)
        boilerplate = covered(joined.starts, joined.ends, span_starts, span_ends)
    tokens = joined.split(boilerplate)
    offsets = joined.offsets
    anchors = fingerprint_joined(
        joined.hashes, boilerplate, offsets, options.ngram, options.window()
    )
    sentence_keys = Anchors.empty(len(tokens))
    if options.sentences:
        sentence_keys = sentence_keys_joined(
            joined.stems, joined.breaks, boilerplate, offsets, _SENTENCES, options.ngram
        )
    return FingerprintedBatch(tokens, anchors, marks, content_keys(tokens), sentence_keys)


def index_anchors(
    anchors: AnchorLookup,
    keys: U64,
    options: FindOptions,
    sentence_keys: Rows | None = None,
    rows: Rows | None = None,
) -> AnchorIndex:
    """The anchor index of a collection (every document's anchors and exact-copy key,
    in document order), exact copies grouped; with sentence seeds on, the pairs its
    ``sentence_keys`` make are candidates too. ``rows``: the anchors' rows, when kept
    apart from ``anchors`` (spilled to disk under the memory budget)."""
    return AnchorIndex.build(
        anchors,
        options.ngram,
        options.window(),
        options.max_df,
        copies=ExactCopies.of(keys),
        max_pairs=options.max_pairs,
        keys=sentence_keys if options.sentences else None,
        rows=rows,
    )


# --- align --------------------------------------------------------------------------

REPEATS = -1  # the second document of a task that looks for one document's own repeats

# A task: (a, b) aligns documents a < b; (d, REPEATS) finds document d's own repeats.
Task = tuple[int, int]


U64 = npt.NDArray[np.uint64]


class TokenLookup(Protocol):
    """Token arrays by document number: a list in memory, or a token store on disk."""

    def __getitem__(self, doc: int, /) -> Tokens: ...


def listed_tasks(pairs: Iterable[tuple[str, str]], doc_ids: Sequence[str]) -> list[Task]:
    """Pairs of ids given by the caller (``find --pairs``) as tasks: a < b, each once,
    sorted; a pair of one document with itself is no task."""
    number = {doc_id: k for k, doc_id in enumerate(doc_ids)}
    tasks = set()
    for a, b in pairs:
        missing = [x for x in (a, b) if x not in number]
        if missing:
            raise OptionsError(f"--pairs names a document that was not read: {missing[0]!r}")
        if a != b:
            tasks.add((min(number[a], number[b]), max(number[a], number[b])))
    return sorted(tasks)


def find_tasks(
    index: AnchorIndex,
    self_repeats: bool,
    doc_ids: Sequence[str],
    pairs: Iterable[tuple[str, str]] | None,
) -> list[Task]:
    """The tasks of a run: the ``pairs`` the caller listed, or else what the index asks."""
    if pairs is not None:
        return listed_tasks(pairs, doc_ids)
    return alignment_tasks(index, self_repeats)


def alignment_tasks(index: AnchorIndex, self_repeats: bool) -> list[Task]:
    """Every alignment the index asks for, in document order: candidate pairs (of every
    copy, when the index grouped exact copies, and the copies with each other), then
    (optionally) documents' own repeats."""
    found, copies = index.candidates(), index.copies
    pairs, self_docs = found.pairs, found.self_docs
    if copies is not None:
        pairs = np.concatenate((copies.expand_pairs(pairs), copies.group_pairs(index.max_df)))
        pairs = pairs[np.lexsort((pairs[:, 1], pairs[:, 0]))]
        self_docs = copies.expand_docs(self_docs)
    tasks = [(int(a), int(b)) for a, b in pairs]
    if self_repeats:
        tasks.extend((int(d), REPEATS) for d in self_docs)
    return tasks


def align_tasks(
    tasks: Iterable[Task],
    doc_ids: Sequence[str],
    tokens: TokenLookup,
    index: AnchorIndex,
    params: AlignParams,
    listed: bool = False,
) -> list[Pair | SelfRepeats | None]:
    """Align each task (None where nothing was found).

    What depends on one document alone (its sorted seed n-grams, its distinct n-grams,
    its stock text) is computed once per batch, so a long document aligned with many
    others costs each of them little. Copies share their alignments: a task whose
    documents have exact copies is aligned once per batch for the whole group and
    written with each copy's offsets. ``listed``: the pairs came from the caller, not
    from the index, so no shared anchor has to vouch for a passage (stock text still
    never makes one).

    The pairs of each run of tasks are screened for sentence seeds at once
    (:func:`reprints.screen.may_seed`): most candidate pairs share a stock phrase or a
    sentence key by chance, and a pair without seeds skips the sentence fragments
    (and, without an admitted anchor, finds nothing) for a share of one numpy join.
    """
    arrays = _DocumentArrays(tokens, params)
    stock: dict[tuple[int, bool], npt.NDArray[np.bool_] | None] = {}
    shared_pairs: dict[Task, tuple[Alignment, float]] = {}
    shared_repeats: dict[Task, list[TokenPassage]] = {}
    found: list[Pair | SelfRepeats | None] = []
    for (a, b), unseeded in arrays.screened(tasks):
        ta = arrays.tokens(a)
        key = _shared_key(index, a, b)
        if b == REPEATS:
            repeated = shared_repeats.get(key) if key else None
            if repeated is None:
                repeated = align_self(ta, index.admission(a, None, ta, stock), params)
                if key:
                    shared_repeats[key] = repeated
            found.append(repeats_record(doc_ids[a], ta, repeated))
            continue
        tb = arrays.tokens(b)
        aligned = shared_pairs.get(key) if key else None
        if aligned is None:
            admission = index.admission(a, b, ta, stock)
            if listed:
                admission = Admission(usable_ngrams(ta, params.ngram), admission.stock)
            # A pair without an admitted anchor makes no chain (:func:`align`): its
            # n-gram seeds are needed only if a fragment is found, and align takes
            # them itself then; without seed sentences either, it finds nothing.
            anchored = bool(admission.anchors.any())
            seeds = (arrays.seeds(a), arrays.seeds(b)) if anchored else None
            sentences = arrays.sentence_pair(a, b) if anchored or not unseeded else None
            alignment = align(ta, tb, admission, params, seeds, sentences, unseeded=unseeded)
            jaccard = arrays.jaccard(a, b) if alignment.passages else 0.0
            aligned = (alignment, jaccard)
            if key:
                shared_pairs[key] = aligned
        alignment, jaccard = aligned
        if alignment.passages:
            found.append(pair_record(doc_ids[a], doc_ids[b], ta, tb, alignment, jaccard))
        else:
            found.append(None)
    return found


# Tasks screened for sentence seeds at once (a few documents' arrays), and the fewest
# pairs among them worth a screen: alone, a pair's screen costs about its fragments.
_SCREEN_BATCH = 256
_SCREEN_FROM = 3


class _DocumentArrays:
    """Each document's tokens and the arrays its alignments reuse, kept for one batch
    of tasks (a batch is small: the memory is a few documents' arrays)."""

    def __init__(self, tokens: TokenLookup, params: AlignParams) -> None:
        self._lookup = tokens
        self._params = params
        self._tokens: dict[int, Tokens] = {}
        self._seeds: dict[int, SeedIndex] = {}
        self._grams: dict[int, U64] = {}
        self._sentences: dict[int, SentenceIndex] = {}
        # Documents the screen indexed: their batch and place in it.
        self._batched: dict[int, tuple[SentenceBatch, int]] = {}

    def tokens(self, doc: int) -> Tokens:
        if doc not in self._tokens:
            self._tokens[doc] = self._lookup[doc]
        return self._tokens[doc]

    def seeds(self, doc: int) -> SeedIndex:
        if doc not in self._seeds:
            self._seeds[doc] = SeedIndex.of(self.tokens(doc), self._params.seed_ngram)
        return self._seeds[doc]

    def sentence_pair(self, a: int, b: int) -> tuple[SentenceIndex, SentenceIndex] | None:
        """Both documents' :class:`SentenceIndex`, when sentence seeds can use them
        (taken from the screen's :class:`~reprints.seeds.SentenceBatch` when it holds
        them: the same arrays)."""
        settings = self._params.sentences
        if settings is None or not (self._has_sentences(a) and self._has_sentences(b)):
            return None
        for doc in (a, b):
            if doc not in self._sentences:
                held = self._batched.get(doc)
                self._sentences[doc] = (
                    held[0].index(held[1])
                    if held is not None
                    else SentenceIndex.of(self.tokens(doc), settings)
                )
        return self._sentences[a], self._sentences[b]

    def _has_sentences(self, doc: int) -> bool:
        return has_sentences(self.tokens(doc))

    def screened(self, tasks: Iterable[Task]) -> Iterator[tuple[Task, bool]]:
        """Each task, and whether it is a pair without seed sentence pairs
        (:func:`reprints.screen.may_seed_batch`, on runs of :data:`_SCREEN_BATCH` tasks)."""
        it = iter(tasks)
        while run := list(itertools.islice(it, _SCREEN_BATCH)):
            clear = self._unseeded(run)
            yield from ((task, task in clear) for task in run)

    def _unseeded(self, tasks: Sequence[Task]) -> set[Task]:
        """The pair tasks the screen clears; none among fewer than :data:`_SCREEN_FROM`
        pairs, where it would cost about what it saves. The run's documents are indexed
        at once (:class:`~reprints.seeds.SentenceBatch`), and their
        :class:`SentenceIndex` later taken from that batch."""
        settings = self._params.sentences
        if settings is None:
            return set()
        pairs = [
            task
            for task in tasks
            if task[1] != REPEATS and self._has_sentences(task[0]) and self._has_sentences(task[1])
        ]
        if len(pairs) < _SCREEN_FROM:
            return set()
        docs = sorted({doc for pair in pairs for doc in pair})
        batch = SentenceBatch.of([self.tokens(doc) for doc in docs], settings)
        self._batched.update((doc, (batch, k)) for k, doc in enumerate(docs))
        place = {doc: k for k, doc in enumerate(docs)}
        a = np.fromiter((place[x] for x, _ in pairs), np.int64, len(pairs))
        b = np.fromiter((place[y] for _, y in pairs), np.int64, len(pairs))
        flags = may_seed_batch(batch, a, b, settings)
        return {task for task, seeded in zip(pairs, flags.tolist(), strict=True) if not seeded}

    def jaccard(self, a: int, b: int) -> float:
        """:func:`reprints.align.ngram_jaccard` of two documents."""
        for doc in (a, b):
            if doc not in self._grams:
                self._grams[doc] = distinct(
                    ngram_hashes(self.tokens(doc).hashes, self._params.ngram)
                )
        return set_jaccard(self._grams[a], self._grams[b])


def _shared_key(index: AnchorIndex, a: int, b: int) -> Task | None:
    """The task that stands for (a, b) among exact copies, when either has a copy."""
    copies = index.copies
    if copies is None:
        return None
    if copies.size(a) == 1 and (b == REPEATS or copies.size(b) == 1):
        return None
    return int(copies.first[a]), b if b == REPEATS else int(copies.first[b])


def collect(found: Iterable[Pair | SelfRepeats | None]) -> tuple[list[Pair], list[SelfRepeats]]:
    """Aligned records in output order: pairs in task order, repeats by document id."""
    pairs: list[Pair] = []
    repeats: list[SelfRepeats] = []
    for record in found:
        if isinstance(record, Pair):
            pairs.append(record)
        elif isinstance(record, SelfRepeats):
            repeats.append(record)
    repeats.sort(key=lambda r: r.doc)
    return pairs, repeats


# --- the run's figures --------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CandidateCounts:
    """What the summary counts of a pairing: a runner that keeps its candidates
    distributed (Spark) counts them there and passes these instead of
    an :class:`~reprints.candidates.AnchorIndex`."""

    anchors: int
    anchors_capped: int
    candidate_pairs: int
    self_candidates: int
    exact_copies: int = 0

    @classmethod
    def of(cls, index: AnchorIndex) -> CandidateCounts:
        """The counts of an anchor index: with exact copies grouped, the pairs and
        repeats its representatives stand for (what :func:`alignment_tasks` makes)."""
        found, copies = index.candidates(), index.copies
        if copies is None:
            return cls(
                found.anchors,
                int(found.capped.shape[0]),
                int(found.pairs.shape[0]),
                int(found.self_docs.shape[0]),
            )
        sizes = copies.sizes()
        pairs = int((sizes[found.pairs[:, 0]] * sizes[found.pairs[:, 1]]).sum())
        return cls(
            found.anchors,
            int(found.capped.shape[0]),
            pairs + int(copies.group_pairs(index.max_df).shape[0]),
            int(sizes[found.self_docs].sum()),
            copies.copies(),
        )


@dataclass(frozen=True, slots=True)
class FindSummary:
    """The figures of a `find` run, as ``summary.json`` holds them.

    Two summaries of disjoint parts of a run :meth:`merge`: counts and seconds add up
    (what a runner that works part by part reports). Boilerplate figures do not merge
    here: their counts do (:meth:`reprints.boilerplate.LineCounts.merge`,
    :meth:`reprints.boilerplate.MarkCounts.merge`), and the summary is made from those.
    """

    documents: int = 0
    tokens: int = 0
    exact_copies: int = 0  # documents identical to one with a smaller id
    anchors: int = 0
    anchors_capped: int = 0
    candidate_pairs: int = 0
    self_candidates: int = 0
    pairs: int = 0
    passages: int = 0
    documents_with_repeats: int = 0
    repeated_passages: int = 0
    seconds: Mapping[str, float] = field(default_factory=dict)
    options: Mapping[str, Any] = field(default_factory=dict)
    boilerplate: Mapping[str, Any] | None = None

    @classmethod
    def of(
        cls,
        options: FindOptions,
        *,
        documents: int,
        tokens: int,
        found: AnchorIndex | CandidateCounts,
        pairs: Sequence[Pair],
        repeats: Sequence[SelfRepeats],
        seconds: Mapping[str, float],
        boilerplate: Mapping[str, Any] | None,
    ) -> FindSummary:
        """The figures of a run, from what its stages returned."""
        counts = found if isinstance(found, CandidateCounts) else CandidateCounts.of(found)
        return cls(
            documents=documents,
            tokens=tokens,
            exact_copies=counts.exact_copies,
            anchors=counts.anchors,
            anchors_capped=counts.anchors_capped,
            candidate_pairs=counts.candidate_pairs,
            self_candidates=counts.self_candidates,
            pairs=len(pairs),
            passages=sum(len(p.passages) for p in pairs),
            documents_with_repeats=len(repeats),
            repeated_passages=sum(len(r.passages) for r in repeats),
            seconds=dict(seconds),
            options=options.to_json(),
            boilerplate=boilerplate,
        )

    def merge(self, other: FindSummary) -> FindSummary:
        if self.options and other.options and self.options != other.options:
            raise ValueError("summaries of runs with different options do not merge")
        if self.boilerplate is not None and other.boilerplate is not None:
            raise ValueError("boilerplate figures merge through their counts, not here")
        seconds = dict(self.seconds)
        for stage, spent in other.seconds.items():
            seconds[stage] = round(seconds.get(stage, 0.0) + spent, 3)
        counts = {name: getattr(self, name) + getattr(other, name) for name in _COUNTS}
        return FindSummary(
            **counts,
            seconds=seconds,
            options=self.options or other.options,
            boilerplate=self.boilerplate if self.boilerplate is not None else other.boilerplate,
        )

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {name: getattr(self, name) for name in _COUNTS}
        out["seconds"] = dict(self.seconds)
        out["options"] = dict(self.options)
        if self.boilerplate is not None:
            out["boilerplate"] = dict(self.boilerplate)
        return out


# The fields that count things, which merging adds up.
_COUNTS = tuple(f.name for f in fields(FindSummary) if f.type == "int")


@dataclass(frozen=True, slots=True)
class Findings:
    """What `find` learnt of a collection: document ids (sorted), pairs, repeats, figures."""

    doc_ids: list[str]
    pairs: list[Pair]
    repeats: list[SelfRepeats]
    stats: FindSummary

    @property
    def summary(self) -> dict[str, Any]:
        """:attr:`stats` as ``summary.json`` holds them."""
        return self.stats.to_json()
