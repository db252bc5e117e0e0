"""Deduplication: one copy of each document, with a reason for every one removed.

The pipeline, in the order a document meets it:

1. *Sketch* (process pool, batches of documents): token hashes
   (:meth:`reprints.text.Tokenizer.hashes_batch`), n-gram shingles and MinHash signatures
   (:mod:`reprints.minhash`), and a 128-bit hash of the normalised token stream for
   exact dedup. Workers also spool each document's output record and its shingles
   to files of their own, so the parent keeps only fixed-size arrays per document:
   memory grows with the number of documents, not with their text.
2. *Exact*: documents with the same token-stream hash are copies (whitespace, case,
   quotes and dashes do not count); only one of each group goes on to LSH.
3. *Near-duplicates*: LSH bands over the signatures give candidate pairs, which are
   verified against the true n-gram Jaccard read back from the shingle spool (in the
   pool), so precision does not depend on luck in the bands. Verified pairs and exact
   groups are joined into clusters (connected components, i.e. union-find).
4. *Keep*: in each cluster one document is kept by the keep policy (``first``,
   ``longest``, or the smallest value of a metadata field, e.g. the earliest
   ``date``); every other member is removed, naming the kept one and its Jaccard.
5. *Containment* (optional): the `find` engine aligns the kept documents; a document
   covered at least ``C`` by passages shared with one kept document is removed too.
   Documents are decided longest first, so the container is always kept before what
   it contains is judged.
6. *Repeats and boilerplate* (optional): passages a kept document repeats of itself
   (found by the `find` engine; only whole lines repeating whole lines, see
   :func:`repeat_cuts`) and boilerplate lines (:mod:`reprints.boilerplate`) are cut
   from the written text.

Every document read ends as exactly one of kept, removed (with a reason) or skipped
(with a reason: a text without a single word cannot be compared).
"""

from __future__ import annotations

import dataclasses
import gzip
import json
import os
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Executor
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, TypeVar

import numpy as np
import numpy.typing as npt
import orjson
import xxhash
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from reprints.boilerplate import BoilerplateDetector, MarkedSpan, drop_spans
from reprints.documents import Document, Repeat
from reprints.engine import FindOptions, find
from reprints.minhash import (
    MinHasher,
    band_keys,
    batch_shingles,
    candidate_pairs,
    estimate_jaccard,
    optimal_params,
    sorted_jaccard,
)
from reprints.output import atomic_open, write_json, write_jsonl
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
from reprints.text import Tokenizer

I64 = npt.NDArray[np.int64]
U64 = npt.NDArray[np.uint64]
F64 = npt.NDArray[np.float64]
T = TypeVar("T")
R = TypeVar("R")

EXACT, NEAR, CONTAINED = "exact", "near-duplicate", "contained"
KEPT, REMOVED, SKIPPED = 0, 1, 2
NO_WORDS = "no words"
KEEP_POLICIES = ("first", "longest")  # anything else names a metadata field

# With verification on, a false candidate costs one exact Jaccard (a few µs) while a
# missed pair is lost for good, so the bands are chosen with false negatives weighted
# 49 to 1: at 0.8 and 128 permutations, 17 bands of 7 rows, which make a candidate of
# 98% of the pairs at the threshold (16 x 8, at 19 to 1: 95%).
VERIFY_WEIGHTS = (0.02, 0.98)
PLAIN_WEIGHTS = (0.5, 0.5)
_DIGITS = 4
_VERIFY_BATCH = 2048
_NO_SIGNATURES = np.zeros((0, 0), dtype=np.uint32)
_ORJSON_OPTIONS = orjson.OPT_SORT_KEYS | orjson.OPT_APPEND_NEWLINE


@dataclass(frozen=True, slots=True)
class DedupOptions:
    """Settings of `reprints dedup` (see the module docstring for the stages)."""

    threshold: float = 0.8
    num_perm: int = 128
    ngram: int = 5
    verify: bool = True
    containment: float | None = None
    drop_repeats: bool = False
    drop_boilerplate: bool = False
    max_df: int = 100
    min_tokens: int = 20  # shortest passage the find engine reports (containment, repeats)
    keep: str = "first"
    workers: int = 0  # 0 = all cores
    seed: int = 1
    batch_size: int = 256
    id_field: str = "id"
    text_field: str = "text"

    def bands_rows(self) -> tuple[int, int]:
        weights = VERIFY_WEIGHTS if self.verify else PLAIN_WEIGHTS
        return optimal_params(self.threshold, self.num_perm, *weights)

    def validate(self) -> None:
        if not 0.0 < self.threshold < 1.0:
            raise ValueError("--threshold must be between 0 and 1 (exclusive)")
        if self.containment is not None and not 0.0 < self.containment <= 1.0:
            raise ValueError("--containment must be in (0, 1]")
        if self.num_perm < 1 or self.ngram < 1 or self.batch_size < 1:
            raise ValueError("--num-perm, --ngram and the batch size must be positive")


@dataclass(frozen=True, slots=True)
class Removal:
    """A removed document, the kept document that stands for it, why, and how close."""

    id: str
    kept: str
    reason: str
    score: float

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "kept": self.kept, "reason": self.reason, "score": self.score}


# --- worker processes ------------------------------------------------------------------
# Each process (a pool worker, or the parent with one worker) appends to spool files of
# its own, named by its pid, and reports where each document's data went.


@dataclass(frozen=True, slots=True)
class _Sketch:
    """What the parent keeps of a batch of documents: arrays, and spool locations."""

    pid: int
    signatures: npt.NDArray[np.uint32]
    exact: U64  # shape (k, 2): 128-bit hash of the token stream
    tokens: I64
    record_at: I64  # byte offset of each output record in records-<pid>.jsonl
    record_len: I64
    shingle_at: I64  # element offset of each document's shingles in shingles-<pid>.u64
    shingle_len: I64
    keep_values: list[Any] | None


class _Worker:
    def __init__(self, options: DedupOptions, folder: Path) -> None:
        self.options = options
        self.folder = folder
        self.tokenizer = Tokenizer()
        self.hasher = MinHasher(options.num_perm, options.seed)
        self._records: IO[bytes] | None = None
        self._shingles: IO[bytes] | None = None
        self._record_size = 0
        self._shingle_count = 0
        self._readers: dict[str, int] = {}  # spool path -> open file descriptor

    def _open(self) -> tuple[IO[bytes], IO[bytes]]:
        if self._records is None or self._shingles is None:
            pid = os.getpid()
            self._records = open(self.folder / f"records-{pid}.jsonl", "ab")  # noqa: SIM115
            self._shingles = open(self.folder / f"shingles-{pid}.u64", "ab")  # noqa: SIM115
        return self._records, self._shingles

    def sketch(self, batch: list[Document]) -> _Sketch:
        options = self.options
        flat, offsets = self.tokenizer.hashes_batch([doc.text for doc in batch])
        bounds = offsets.tolist()
        hashes = [flat[bounds[k] : bounds[k + 1]] for k in range(len(batch))]
        shingles = batch_shingles(hashes, options.ngram).sorted_unique()
        exact = np.array(
            [divmod(xxhash.xxh3_128_intdigest(h.tobytes()), 1 << 64) for h in hashes],
            dtype=np.uint64,
        ).reshape(-1, 2)
        lines = [record_line(doc, options.id_field, options.text_field) for doc in batch]
        records, shingle_file = self._open()
        record_len = np.fromiter(map(len, lines), dtype=np.int64, count=len(lines))
        record_at = self._record_size + np.cumsum(record_len) - record_len
        records.write(b"".join(lines))
        records.flush()
        self._record_size += int(record_len.sum())
        shingle_file.write(shingles.values.tobytes())
        shingle_file.flush()
        shingle_len = shingles.counts()
        shingle_at = self._shingle_count + shingles.offsets[:-1]
        self._shingle_count += int(shingles.values.shape[0])
        keep_values = None
        if options.keep not in KEEP_POLICIES:
            keep_values = [doc.meta.get(options.keep) for doc in batch]
        return _Sketch(
            pid=os.getpid(),
            signatures=self.hasher.signatures(shingles),
            exact=exact,
            tokens=np.fromiter((h.shape[0] for h in hashes), dtype=np.int64, count=len(hashes)),
            record_at=record_at.astype(np.int64),
            record_len=record_len,
            shingle_at=shingle_at.astype(np.int64),
            shingle_len=shingle_len,
            keep_values=keep_values,
        )

    def close(self) -> None:
        for stream in (self._records, self._shingles):
            if stream is not None:
                stream.close()
        self._records = self._shingles = None
        for fd in self._readers.values():
            os.close(fd)
        self._readers.clear()

    def shingles_of(self, path: str, at: int, count: int) -> U64:
        # Read, not memory-mapped: mapped pages of the spool would count as resident
        # memory of every worker that touched them.
        fd = self._readers.get(path)
        if fd is None:
            fd = self._readers[path] = os.open(path, os.O_RDONLY)
        return np.frombuffer(os.pread(fd, count * 8, at * 8), dtype=np.uint64)

    def jaccard(self, task: tuple[list[str], I64]) -> F64:
        """Exact n-gram Jaccard of each pair; a row is (file, at, count) for a then b."""
        paths, rows = task
        out = np.empty(rows.shape[0], dtype=np.float64)
        for i, (fa, aa, ca, fb, ab, cb) in enumerate(rows.tolist()):
            out[i] = sorted_jaccard(
                self.shingles_of(paths[fa], aa, ca), self.shingles_of(paths[fb], ab, cb)
            )
        return out


_worker: _Worker | None = None


def _init_worker(options: DedupOptions, folder: Path) -> None:
    global _worker
    _worker = _Worker(options, folder)


def _sketch_task(batch: list[Document]) -> _Sketch:
    assert _worker is not None, "worker used before its initializer ran"
    return _worker.sketch(batch)


def _jaccard_task(task: tuple[list[str], I64]) -> F64:
    assert _worker is not None, "worker used before its initializer ran"
    return _worker.jaccard(task)


class _Pool:
    """Ordered map over tasks in worker processes, with a bounded number in flight so
    that a streaming input is never read ahead of the workers; in-process with one
    worker."""

    def __init__(self, workers: int, options: DedupOptions, folder: Path) -> None:
        self.workers = workers
        self._executor: Executor | None = None
        if workers > 1:
            self._executor = process_pool(workers, _init_worker, options, folder)
        else:
            _init_worker(options, folder)

    def map(self, func: Callable[[T], R], tasks: Iterable[T]) -> Iterator[R]:
        if self._executor is None:
            return map(func, tasks)
        return ordered_map(self._executor, func, tasks, 2 * self.workers + 1)

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None
        elif _worker is not None:
            _worker.close()  # the in-process worker's spool files


# --- records ---------------------------------------------------------------------------


def record_line(doc: Document, id_field: str = "id", text_field: str = "text") -> bytes:
    """A document as the JSON line it is written as: its metadata, id and text fields."""
    record = dict(doc.meta)
    record[id_field] = doc.id
    record[text_field] = doc.text
    try:
        # orjson: 2 µs for a 4 KB record against 19 µs for json.dumps, on every document.
        return orjson.dumps(record, option=_ORJSON_OPTIONS, default=str)
    except (orjson.JSONEncodeError, TypeError):
        # Lone surrogates, keys that are not strings: the standard library copes.
        text = json.dumps(
            {str(k): v for k, v in record.items()},
            ensure_ascii=False,
            sort_keys=True,
            default=str,
            separators=(",", ":"),
        )
        return text.encode("utf-8", "surrogatepass") + b"\n"


def document_of(line: bytes, id_field: str = "id", text_field: str = "text") -> Document:
    """The document back from its record line."""
    record = json.loads(line)
    doc_id = record.pop(id_field)
    text = record.pop(text_field)
    return Document(str(doc_id), text, record)


# --- the result ------------------------------------------------------------------------


@dataclass
class DedupResult(OwnsScratch):
    """Decisions for every document read, in input order, and the spooled records.

    ``status[k]`` is KEPT, REMOVED or SKIPPED for the k-th document read; removals and
    skips carry their reasons. :meth:`kept_documents` / :meth:`kept_lines` read the
    kept records back from the spool until :meth:`close`.
    """

    ids: list[str]
    status: npt.NDArray[np.int8]
    removed: list[Removal]
    skipped: list[tuple[str, str]]
    summary: dict[str, Any]
    options: DedupOptions
    _paths: list[str] = field(repr=False, default_factory=list)
    _record_file: npt.NDArray[np.int32] = field(
        repr=False, default_factory=lambda: np.zeros(0, np.int32)
    )
    _record_at: I64 = field(repr=False, default_factory=lambda: np.zeros(0, np.int64))
    _record_len: I64 = field(repr=False, default_factory=lambda: np.zeros(0, np.int64))
    _edits: dict[int, list[MarkedSpan]] = field(repr=False, default_factory=dict)
    _workdir: tempfile.TemporaryDirectory[str] | None = field(default=None, repr=False)

    @property
    def kept_ids(self) -> list[str]:
        return [self.ids[k] for k in np.flatnonzero(self.status == KEPT).tolist()]

    def _records_at(self, indices: npt.NDArray[np.int64]) -> Iterator[tuple[int, bytes]]:
        """(index, spooled record line) of the given documents, read back from the spool
        (positioned reads: the records of a run may be larger than memory)."""
        streams = [open(path, "rb") for path in self._paths]  # noqa: SIM115
        try:
            for k in indices.tolist():
                stream = streams[int(self._record_file[k])]
                stream.seek(int(self._record_at[k]))
                yield k, stream.read(int(self._record_len[k]))
        finally:
            for stream in streams:
                stream.close()

    def documents_at(self, indices: npt.NDArray[np.int64]) -> Iterator[tuple[int, Document]]:
        """(index, document as read) of the given documents."""
        o = self.options
        for k, line in self._records_at(indices):
            yield k, document_of(line, o.id_field, o.text_field)

    def kept_lines(self) -> Iterator[bytes]:
        """The kept records as JSON lines (bytes, newline included), in input order,
        with repeated passages and boilerplate cut when asked."""
        o = self.options
        for k, line in self._records_at(np.flatnonzero(self.status == KEPT)):
            spans = self._edits.get(k)
            if spans:
                doc = document_of(line, o.id_field, o.text_field)
                line = record_line(
                    Document(doc.id, drop_spans(doc.text, spans), doc.meta),
                    o.id_field,
                    o.text_field,
                )
            yield line

    def kept_documents(self) -> Iterator[Document]:
        """The kept documents, in input order, as written."""
        o = self.options
        for line in self.kept_lines():
            yield document_of(line, o.id_field, o.text_field)


# --- the pipeline ------------------------------------------------------------------------


def _keep_rank(options: DedupOptions, tokens: I64, values: list[Any] | None) -> I64:
    """Rank of every document under the keep policy: lower is kept first."""
    n = tokens.shape[0]
    if options.keep == "first":
        return np.arange(n, dtype=np.int64)
    if options.keep == "longest":
        order = np.lexsort((np.arange(n), -tokens))
    else:
        assert values is not None

        # Documents without the field come last; values of different types are
        # ordered by type name first, so that a stray number never breaks the sort.
        def key(k: int) -> tuple[int, str, Any, int]:
            v = values[k]
            if v is None:
                return (1, "", 0, k)
            if isinstance(v, bool | int | float):
                return (0, "number", float(v), k)
            return (0, type(v).__name__, v if isinstance(v, str) else str(v), k)

        order = np.array(sorted(range(n), key=key), dtype=np.int64)
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.arange(n, dtype=np.int64)
    return rank


def _components(n: int, edges: I64) -> I64:
    """Cluster label of every document from undirected edges (union-find)."""
    if edges.shape[0] == 0:
        return np.arange(n, dtype=np.int64)
    graph = coo_matrix(
        (np.ones(edges.shape[0], dtype=np.int8), (edges[:, 0], edges[:, 1])), shape=(n, n)
    )
    _, labels = connected_components(graph, directed=False)
    return labels.astype(np.int64)


class _Run:
    """State of one dedup run: per-document arrays in input order."""

    def __init__(self, options: DedupOptions, progress: ProgressHook) -> None:
        self.options = options
        self.report = progress
        self.clock = StageClock()
        self.workdir = scratch_folder("dedup")
        self.folder = Path(self.workdir.name)
        self.ids: list[str] = []
        self.sketches: list[_Sketch] = []
        self.paths: list[str] = []
        self.file_of_pid: dict[int, int] = {}

    def path_index(self, pid: int) -> int:
        index = self.file_of_pid.get(pid)
        if index is None:
            index = self.file_of_pid[pid] = len(self.paths)
            self.paths.append(str(self.folder / f"shingles-{pid}.u64"))
        return index

    def pair_rows(self, pairs: I64, file_no: npt.NDArray[np.int32], at: I64, count: I64) -> I64:
        a, b = pairs[:, 0], pairs[:, 1]
        return np.stack((file_no[a], at[a], count[a], file_no[b], at[b], count[b]), axis=1).astype(
            np.int64
        )


def dedup(
    documents: Iterable[Document],
    options: DedupOptions | None = None,
    progress: ProgressHook | None = None,
) -> DedupResult:
    """Deduplicate ``documents``; see the module docstring. Close the result when done."""
    options = options or DedupOptions()
    options.validate()
    report = progress or no_progress
    run = _Run(options, report)
    workers = options.workers if options.workers > 0 else (os.cpu_count() or 1)
    pool = _Pool(workers, options, run.folder)
    boilerplate = (
        BoilerplateDetector(min_docs=max(options.max_df + 1, 2), corpus_wide=True)
        if options.drop_boilerplate
        else None
    )
    try:
        result = _dedup(documents, run, pool, boilerplate)
    except BaseException:
        pool.close()
        run.workdir.cleanup()
        raise
    pool.close()
    return result


def _stack_signatures(sketches: list[_Sketch], num_perm: int) -> npt.NDArray[np.uint32]:
    """All signatures in one array, each batch's freed as soon as it is copied, so that
    the peak holds them once (plus one batch), not twice as ``np.concatenate`` would."""
    total = sum(s.signatures.shape[0] for s in sketches)
    out = np.empty((total, num_perm), dtype=np.uint32)
    at = 0
    for i, sketch in enumerate(sketches):
        size = sketch.signatures.shape[0]
        out[at : at + size] = sketch.signatures
        at += size
        sketches[i] = dataclasses.replace(sketch, signatures=_NO_SIGNATURES)
    return out


def _read(
    documents: Iterable[Document], run: _Run, boilerplate: BoilerplateDetector | None
) -> Iterator[Document]:
    for doc in documents:
        run.ids.append(doc.id)
        if boilerplate is not None:
            boilerplate.observe(doc)
        yield doc


@dataclass
class _Collection:
    """The sketched collection: per-document arrays in input order, and where each
    document's record and shingles lie in the spool files."""

    tokens: I64
    exact: U64  # shape (n, 2): 128-bit hash of the normalised token stream
    signatures: npt.NDArray[np.uint32]
    file_no: npt.NDArray[np.int32]  # which worker's spool files hold the document
    record_at: I64
    record_len: I64
    shingle_at: I64
    shingle_len: I64
    keep_values: list[Any] | None


def _dedup(
    documents: Iterable[Document],
    run: _Run,
    pool: _Pool,
    boilerplate: BoilerplateDetector | None,
) -> DedupResult:
    options = run.options
    col = _sketch_all(documents, run, pool, boilerplate)
    n = len(run.ids)
    status = np.zeros(n, dtype=np.int8)
    no_words = np.flatnonzero(col.tokens == 0)
    status[no_words] = SKIPPED

    exact_of, exact_edges, representatives = _exact_groups(col.exact, col.tokens > 0)
    run.clock.lap("exact")
    pairs, scores = _near_candidates(col, representatives, run, pool)
    near_edges = pairs[scores >= options.threshold]

    labels = _components(n, np.concatenate((exact_edges, near_edges)).astype(np.int64))
    rank = _keep_rank(options, col.tokens, col.keep_values)
    kept_of = _kept_of_cluster(labels, rank)
    losers = np.flatnonzero((kept_of != np.arange(n)) & (status != SKIPPED))
    status[losers] = REMOVED
    reasons = _removal_reasons(losers, kept_of, exact_of, (pairs, scores), col, run, pool)
    col.signatures = _NO_SIGNATURES
    run.clock.lap("cluster")

    # Containment, repeats and boilerplate, on the kept documents.
    result = DedupResult(
        ids=run.ids,
        status=status,
        removed=[],
        skipped=[(run.ids[k], NO_WORDS) for k in no_words.tolist()],
        summary={},
        options=options,
        _paths=[
            str(run.folder / f"records-{pid}.jsonl")
            for pid, _ in sorted(run.file_of_pid.items(), key=lambda item: item[1])
        ],
        _record_file=col.file_no,
        _record_at=col.record_at,
        _record_len=col.record_len,
        _workdir=run.workdir,
    )
    extra: dict[str, Any] = {}
    if options.containment is not None or options.drop_repeats:
        extra["find"] = _with_find(result, run, col.tokens, rank, reasons)
        run.clock.lap("find")
    if boilerplate is not None:
        for k, doc in result.documents_at(np.flatnonzero(result.status == KEPT)):
            spans = boilerplate.spans(doc)
            if spans:
                result._edits.setdefault(k, []).extend(spans)
        run.clock.lap("boilerplate")
        extra["boilerplate"] = boilerplate.summary()
    result.removed = [
        Removal(run.ids[k], run.ids[kept_k], reason, score)
        for k, (kept_k, reason, score) in sorted(reasons.items())
    ]
    bands, rows = options.bands_rows()
    figures = {
        "tokens": int(col.tokens.sum()),
        "exact_groups": int(representatives.shape[0]),
        "lsh": {"bands": bands, "rows": rows, "candidate_pairs": int(pairs.shape[0])},
        "verified_pairs": int(near_edges.shape[0]),
        "clusters_with_removals": int(np.unique(labels[losers]).shape[0]),
    }
    result.summary = _summary(result, run, figures) | extra
    return result


def _sketch_all(
    documents: Iterable[Document],
    run: _Run,
    pool: _Pool,
    boilerplate: BoilerplateDetector | None,
) -> _Collection:
    """Sketch every document in the pool, in input order, and gather the arrays."""
    options = run.options
    work = batches(_read(documents, run, boilerplate), options.batch_size)
    for sketch in pool.map(_sketch_task, work):
        run.sketches.append(sketch)
        run.report("sketch", sketch.tokens.shape[0], None)
    run.clock.lap("sketch")
    sk, run.sketches = run.sketches, []

    def joined(name: str, dtype: type, shape: tuple[int, ...] = (0,)) -> Any:
        if not sk:
            return np.zeros(shape, dtype=dtype)
        return np.concatenate([getattr(s, name) for s in sk])

    values = None
    if options.keep not in KEEP_POLICIES:
        values = [v for s in sk for v in (s.keep_values or [])]
    return _Collection(
        tokens=joined("tokens", np.int64),
        exact=joined("exact", np.uint64, (0, 2)),
        file_no=(
            np.concatenate(
                [np.full(s.tokens.shape[0], run.path_index(s.pid), dtype=np.int32) for s in sk]
            )
            if sk
            else np.zeros(0, np.int32)
        ),
        record_at=joined("record_at", np.int64),
        record_len=joined("record_len", np.int64),
        shingle_at=joined("shingle_at", np.int64),
        shingle_len=joined("shingle_len", np.int64),
        keep_values=values,
        signatures=_stack_signatures(sk, options.num_perm),
    )


def _exact_groups(exact: U64, has_words: npt.NDArray[np.bool_]) -> tuple[I64, I64, I64]:
    """Groups of documents with the same token stream: each document's group's first
    member, edges from every other member to it, and the first members."""
    n = exact.shape[0]
    valid = np.flatnonzero(has_words)
    order = valid[np.lexsort((valid, exact[valid, 1], exact[valid, 0]))]
    exact_of = np.arange(n, dtype=np.int64)
    if not order.size:
        return exact_of, np.zeros((0, 2), np.int64), order
    same = np.all(exact[order][1:] == exact[order][:-1], axis=1)
    group_start = np.concatenate(([True], ~same))
    group_first = order[np.maximum.accumulate(np.where(group_start, np.arange(order.size), 0))]
    exact_of[order] = group_first
    edges = np.stack((order[~group_start], group_first[~group_start]), axis=1)
    return exact_of, edges, order[group_start]


def _near_candidates(
    col: _Collection, representatives: I64, run: _Run, pool: _Pool
) -> tuple[I64, F64]:
    """LSH candidate pairs among one representative per exact group, and their n-gram
    Jaccard: verified on the shingle spool, or estimated from the signatures."""
    bands, rows = run.options.bands_rows()
    if representatives.size:
        keys = band_keys(col.signatures[representatives], bands, rows)
        pairs = representatives[candidate_pairs(keys)]
        del keys
    else:
        pairs = np.zeros((0, 2), np.int64)
    run.clock.lap("lsh")
    scores = _pair_scores(pairs, col, run, pool)
    run.clock.lap("verify")
    return pairs, scores


def _pair_scores(pairs: I64, col: _Collection, run: _Run, pool: _Pool) -> F64:
    if not pairs.shape[0]:
        return np.zeros(0, dtype=np.float64)
    if run.options.verify:
        return _jaccards(run, pool, pairs, col.file_no, col.shingle_at, col.shingle_len)
    return estimate_jaccard(col.signatures[pairs[:, 0]], col.signatures[pairs[:, 1]])


def _kept_of_cluster(labels: I64, rank: I64) -> I64:
    """For every document, the member its cluster keeps: the best under ``rank``."""
    n = labels.shape[0]
    by_cluster = np.lexsort((rank, labels))
    kept_of = np.empty(n, dtype=np.int64)
    if not n:
        return kept_of
    first = np.concatenate(([True], labels[by_cluster][1:] != labels[by_cluster][:-1]))
    kept_of[by_cluster] = by_cluster[np.maximum.accumulate(np.where(first, np.arange(n), 0))]
    return kept_of


def _removal_reasons(
    losers: I64,
    kept_of: I64,
    exact_of: I64,
    scored: tuple[I64, F64],
    col: _Collection,
    run: _Run,
    pool: _Pool,
) -> dict[int, tuple[int, str, float]]:
    """Why each removed document goes: (the kept one, reason, score)."""
    is_exact = exact_of[losers] == exact_of[kept_of[losers]]
    near = losers[~is_exact]
    # Exact copies share their shingles, so a removed document scores as its exact
    # group's representative does; most such pairs were verified already.
    near_pairs = np.stack((exact_of[near], exact_of[kept_of[near]]), axis=1)
    near_scores = _known_scores(near_pairs, *scored, kept_of.shape[0])
    unknown = np.flatnonzero(np.isnan(near_scores))
    if unknown.size:
        near_scores[unknown] = _pair_scores(near_pairs[unknown], col, run, pool)
    reasons: dict[int, tuple[int, str, float]] = {}
    for k in losers[is_exact].tolist():
        reasons[k] = (int(kept_of[k]), EXACT, 1.0)
    for k, score in zip(near.tolist(), near_scores.tolist(), strict=True):
        reasons[k] = (int(kept_of[k]), NEAR, round(float(score), _DIGITS))
    return reasons


def _summary(result: DedupResult, run: _Run, figures: dict[str, Any]) -> dict[str, Any]:
    options = run.options
    return {
        "documents": len(run.ids),
        "kept": int((result.status == KEPT).sum()),
        "removed": dict(sorted(Counter(r.reason for r in result.removed).items())),
        "removed_total": len(result.removed),
        "skipped": dict(sorted(Counter(reason for _, reason in result.skipped).items())),
        "skipped_total": len(result.skipped),
        **figures,
        "edited_documents": len(result._edits),
        "seconds": run.clock.seconds,
        "options": {
            "threshold": options.threshold,
            "num_perm": options.num_perm,
            "ngram": options.ngram,
            "verify": options.verify,
            "containment": options.containment,
            "drop_repeats": options.drop_repeats,
            "drop_boilerplate": options.drop_boilerplate,
            "max_df": options.max_df,
            "keep": options.keep,
            "seed": options.seed,
        },
    }


def _known_scores(queries: I64, pairs: I64, scores: F64, n: int) -> F64:
    """The score of each queried pair among the scored ``pairs`` (either order), NaN
    where it was not scored."""
    out = np.full(queries.shape[0], np.nan)
    if pairs.shape[0] == 0 or queries.shape[0] == 0:
        return out
    codes = pairs.min(axis=1) * n + pairs.max(axis=1)
    order = np.argsort(codes)
    codes = codes[order]
    wanted = queries.min(axis=1) * n + queries.max(axis=1)
    at = np.minimum(np.searchsorted(codes, wanted), codes.shape[0] - 1)
    hit = codes[at] == wanted
    out[hit] = scores[order[at[hit]]]
    return out


def _jaccards(
    run: _Run, pool: _Pool, pairs: I64, file_no: npt.NDArray[np.int32], at: I64, count: I64
) -> F64:
    """Exact n-gram Jaccard of each pair, computed in the pool from the shingle spool."""
    rows = run.pair_rows(pairs, file_no, at, count)
    tasks = (
        (run.paths, rows[lo : lo + _VERIFY_BATCH]) for lo in range(0, rows.shape[0], _VERIFY_BATCH)
    )
    out: list[F64] = []
    for scores in pool.map(_jaccard_task, tasks):
        out.append(scores)
        run.report("verify", scores.shape[0], int(rows.shape[0]))
    return np.concatenate(out) if out else np.zeros(0, dtype=np.float64)


def _with_find(
    result: DedupResult,
    run: _Run,
    tokens: I64,
    rank: I64,
    reasons: dict[int, tuple[int, str, float]],
) -> dict[str, Any]:
    """Containment dedup and repeat cutting through the `find` engine, on kept documents."""
    options = run.options
    kept = np.flatnonzero(result.status == KEPT)
    index_of = {run.ids[k]: k for k in kept.tolist()}
    find_options = FindOptions(
        ngram=options.ngram,
        min_tokens=options.min_tokens,
        max_df=options.max_df,
        self_repeats=options.drop_repeats,
        workers=options.workers,
    )

    def progress(stage: str, advance: int, total: int | None) -> None:
        run.report(f"find: {stage}", advance, total)

    documents = (doc for _, doc in result.documents_at(kept))
    with find(documents, find_options, progress=progress) as found:
        if options.drop_repeats:
            for repeats in found.repeats:
                spans = repeat_cuts(found.texts[repeats.doc], repeats.passages)
                if spans:
                    result._edits.setdefault(index_of[repeats.doc], []).extend(spans)
        if options.containment is not None:
            containers: dict[int, list[tuple[int, float]]] = {}
            for pair in found.pairs:
                a, b = index_of[pair.a], index_of[pair.b]
                if pair.containment_a >= options.containment:
                    containers.setdefault(a, []).append((b, pair.containment_a))
                if pair.containment_b >= options.containment:
                    containers.setdefault(b, []).append((a, pair.containment_b))
            _remove_contained(result, containers, tokens, rank, reasons)
        return dict(found.summary)


def _line_edges(text: str, start: int, end: int) -> tuple[int, int] | None:
    """The span widened to the edges of its lines, or None when it does not cover
    them: only punctuation and spaces may lie between the span and its line edges
    (passages begin and end on tokens, so a paragraph's closing ``.)`` or opening
    quote is not part of them)."""
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", end)
    line_end = len(text) if line_end < 0 else line_end
    if any(c.isalnum() for c in text[line_start:start]) or any(
        c.isalnum() for c in text[end:line_end]
    ):
        return None
    return line_start, line_end


def repeat_cuts(text: str, repeats: Iterable[Repeat]) -> list[MarkedSpan]:
    """The repeats of a document worth cutting: whole lines that repeat whole lines.

    A document pasted twice repeats whole paragraphs, and the second copy goes. A
    passage that only partly repeats a line (a teaser or summary that quotes an
    article's first sentence, a pull quote) is kept: cutting it would leave broken
    paragraphs, and which copy is the "real" one is no longer clear.
    """
    cuts = []
    for r in repeats:
        first = _line_edges(text, r.first_start, r.first_end)
        again = _line_edges(text, r.repeat_start, r.repeat_end)
        if first is not None and again is not None and first[1] <= again[0]:
            cuts.append(MarkedSpan(again[0], again[1], "repeat"))
    return cuts


def _remove_contained(
    result: DedupResult,
    containers: dict[int, list[tuple[int, float]]],
    tokens: I64,
    rank: I64,
    reasons: dict[int, tuple[int, str, float]],
) -> None:
    """Remove each document contained in a kept one, deciding the longest first.

    A container is at least about as long as what it contains, so deciding documents
    by decreasing length means a document's container has been decided (and kept)
    before the document itself; between two documents that contain each other the
    keep policy decides.
    """
    involved = sorted(
        set(containers) | {c for found in containers.values() for c, _ in found},
        key=lambda k: (-int(tokens[k]), int(rank[k])),
    )
    decided: set[int] = set()
    for k in involved:
        options = [
            (score, -int(rank[c]), c)
            for c, score in containers.get(k, [])
            if c in decided and result.status[c] == KEPT
        ]
        decided.add(k)
        if options:
            score, _, container = max(options)
            result.status[k] = REMOVED
            reasons[k] = (container, CONTAINED, round(score, _DIGITS))


# --- writing -----------------------------------------------------------------------------

OUTPUT_SUFFIXES = (".jsonl", ".jsonl.gz", ".parquet")
_PARQUET_BATCH = 10_000


def output_format(path: str | Path) -> str:
    """``jsonl``, ``jsonl.gz`` or ``parquet``, from the output file's name."""
    name = str(path).lower()
    for suffix in (".jsonl.gz", ".jsonl", ".parquet"):
        if name.endswith(suffix):
            return suffix[1:]
    raise ValueError(f"output must end in {', '.join(OUTPUT_SUFFIXES)}: {path}")


def write_documents(
    path: str | Path, lines: Callable[[], Iterable[bytes]], fmt: str | None = None
) -> int:
    """Write records given as JSON lines to ``path`` (JSON Lines, gzip'd JSON Lines or
    Parquet by its name), atomically; returns the number written.

    ``lines`` returns a fresh iterator of the lines each time it is called (Parquet
    reads them twice, so that memory holds one batch, never the collection).
    """
    fmt = fmt or output_format(path)
    if fmt == "parquet":
        return _write_parquet(path, lines)
    count = 0
    with atomic_open(path, "wb") as raw:
        stream: IO[bytes] | gzip.GzipFile = raw
        if fmt == "jsonl.gz":
            stream = gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=6, mtime=0)
        for line in lines():
            stream.write(line)
            count += 1
        if stream is not raw:
            stream.close()
    return count


def _write_parquet(path: str | Path, lines: Callable[[], Iterable[bytes]]) -> int:
    """Parquet from JSON lines, in row groups of bounded size: a first pass unifies the
    schemas of all batches (a field missing from a batch is null there), a second
    converts and writes them."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    def tables(schema: pa.Schema | None) -> Iterator[pa.Table]:
        for batch in batches(lines(), _PARQUET_BATCH):
            yield pa.Table.from_pylist([json.loads(x) for x in batch], schema=schema)

    schemas = [table.schema for table in tables(None)]
    if not schemas:
        schema = pa.schema([])
    else:
        schema = pa.unify_schemas(schemas, promote_options="permissive")
    count = 0
    with atomic_open(path, "wb") as stream, pq.ParquetWriter(stream, schema) as writer:
        for table in tables(schema):
            writer.write_table(table)
            count += table.num_rows
    return count


def write_outputs(
    result: DedupResult, out: str | Path, extra_summary: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Write OUT (kept documents), OUT.removed.jsonl and OUT.summary.json; return the summary."""
    out = Path(out)
    fmt = output_format(out)
    started = time.perf_counter()
    written = write_documents(out, result.kept_lines, fmt)
    write_jsonl(f"{out}.removed.jsonl", (r.to_json() for r in result.removed))
    summary = dict(result.summary)
    summary["seconds"] = {**summary["seconds"], "write": round(time.perf_counter() - started, 3)}
    summary["output"] = {"path": str(out), "format": fmt, "documents": written}
    summary["skipped_documents"] = [{"id": i, "reason": why} for i, why in result.skipped]
    if extra_summary:
        summary.update(extra_summary)
    write_json(f"{out}.summary.json", summary)
    return summary
