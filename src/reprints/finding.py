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

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import Any, Protocol

import numpy as np

from reprints.align import Admission, AlignParams, pair_of, repeats_of
from reprints.boilerplate import BoilerplateMarker, MarkCounts, mark_tokens
from reprints.candidates import AnchorIndex, Candidates
from reprints.documents import Document, Pair, SelfRepeats
from reprints.fingerprint import Anchors, fingerprint_batch, usable_ngrams, window_for
from reprints.options import OptionsError, check
from reprints.seeds import SentenceParams, sentence_keys_batch
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
    # Sentence seeds (bag-of-words sentence pairs) beside the n-gram chains, and sentence
    # keys in the candidate index: reworded copies are found too.
    sentences: bool = True

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

    def anchor_index(self, anchors: Anchors, keys: Anchors | None) -> AnchorIndex:
        """The candidate index of a collection's anchors (and sentence keys, if any)."""
        keys = keys if self.sentences else None
        return AnchorIndex.build(anchors, self.ngram, self.window(), self.max_df, keys)


# --- fingerprint --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FingerprintedBatch:
    """A batch of documents tokenised (boilerplate flagged), their anchors, their
    sentence keys (none without sentence seeds), and what the marker marked in them
    (None without a marker)."""

    tokens: list[Tokens]
    anchors: Anchors
    keys: Anchors
    marks: MarkCounts | None


def fingerprint_documents(
    documents: Sequence[Document],
    options: FindOptions,
    tokenizer: Tokenizer,
    marker: BoilerplateMarker | None,
) -> FingerprintedBatch:
    """Tokens and anchors of a batch; with a ``marker``, boilerplate never anchors."""
    tokens = tokenizer.tokenize_batch([d.text for d in documents])
    marks = None
    if marker is not None:
        spans, marks = marker.mark_batch(documents)
        tokens = [mark_tokens(t, s) for t, s in zip(tokens, spans, strict=True)]
    anchors = fingerprint_batch(tokens, options.ngram, options.window())
    return FingerprintedBatch(tokens, anchors, key_batch(tokens, options), marks)


def key_batch(tokens: Sequence[Tokens], options: FindOptions) -> Anchors:
    """The sentence keys of a batch of documents (none without sentence seeds)."""
    if not options.sentences:
        none = (np.zeros(0, np.int64), np.zeros(0, np.uint64))
        return Anchors.stack([none] * len(tokens))
    return sentence_keys_batch(tokens, _SENTENCES, options.ngram)


# --- align --------------------------------------------------------------------------

REPEATS = -1  # the second document of a task that looks for one document's own repeats

# A task: (a, b) aligns documents a < b; (d, REPEATS) finds document d's own repeats.
Task = tuple[int, int]


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
    found: Candidates,
    self_repeats: bool,
    doc_ids: Sequence[str],
    pairs: Iterable[tuple[str, str]] | None,
) -> list[Task]:
    """The tasks of a run: the ``pairs`` the caller listed, or else what the index asks."""
    if pairs is not None:
        return listed_tasks(pairs, doc_ids)
    return alignment_tasks(found, self_repeats)


def alignment_tasks(found: Candidates, self_repeats: bool) -> list[Task]:
    """Every alignment the index asks for: candidate pairs, then (optionally) repeats."""
    tasks = [(int(a), int(b)) for a, b in found.pairs]
    if self_repeats:
        tasks.extend((int(d), REPEATS) for d in found.self_docs)
    return tasks


def align_tasks(
    tasks: Iterable[Task],
    doc_ids: Sequence[str],
    tokens: TokenLookup,
    index: AnchorIndex,
    params: AlignParams,
    listed: bool = False,
) -> list[Pair | SelfRepeats | None]:
    """Align each task (None where nothing was found). ``listed``: the pairs came from
    the caller, not from the index, so no shared anchor has to vouch for a passage
    (stock text still never makes one)."""
    found: list[Pair | SelfRepeats | None] = []
    for a, b in tasks:
        ta = tokens[a]
        if b == REPEATS:
            found.append(repeats_of(doc_ids[a], ta, index.admission(a, None, ta), params))
        else:
            admission = index.admission(a, b, ta)
            if listed:
                admission = Admission(usable_ngrams(ta, params.ngram), admission.stock)
            found.append(pair_of(doc_ids[a], doc_ids[b], ta, tokens[b], admission, params))
    return found


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
class FindSummary:
    """The figures of a `find` run, as ``summary.json`` holds them.

    Two summaries of disjoint parts of a run :meth:`merge`: counts and seconds add up
    (what a runner that works part by part reports). Boilerplate figures do not merge
    here: their counts do (:meth:`reprints.boilerplate.LineCounts.merge`,
    :meth:`reprints.boilerplate.MarkCounts.merge`), and the summary is made from those.
    """

    documents: int = 0
    tokens: int = 0
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
        found: Candidates,
        pairs: Sequence[Pair],
        repeats: Sequence[SelfRepeats],
        seconds: Mapping[str, float],
        boilerplate: Mapping[str, Any] | None,
    ) -> FindSummary:
        """The figures of a run, from what its stages returned."""
        return cls(
            documents=documents,
            tokens=tokens,
            anchors=found.anchors,
            anchors_capped=int(found.capped.shape[0]),
            candidate_pairs=int(found.pairs.shape[0]),
            self_candidates=int(found.self_docs.shape[0]),
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
