"""The local runner of dedup: sketching and verification in a process pool, records
and shingles spooled to disk.

Each process (a pool worker, or the caller with one worker) appends the records and
shingles of the documents it sketched to spool files of its own, named by its pid,
and reports where each document's data went; the caller keeps only fixed-size arrays
per document, so memory grows with the number of documents, not with their text.
Verification reads the shingles of each candidate pair back from those files, in the
pool. Everything after sketching is :func:`reprints.dedup.decide.decide`.
"""

from __future__ import annotations

import dataclasses
import os
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import numpy as np
import numpy.typing as npt

from reprints.boilerplate import BoilerplateDetector
from reprints.dedup.decide import Sketched, boilerplate_detector, decide
from reprints.dedup.kernels import pair_jaccards, sketch
from reprints.dedup.options import DedupOptions
from reprints.dedup.records import RecordSpool, record_line
from reprints.dedup.result import DedupResult, read_documents_at
from reprints.documents import Document, Pair, SelfRepeats
from reprints.finding import FindOptions
from reprints.minhash import MinHasher
from reprints.pipeline import ProgressHook, StageClock, batches, no_progress
from reprints.runners.local import find
from reprints.runners.pool import WorkerPool, worker_count
from reprints.scratch import scratch_folder
from reprints.text import Tokenizer

I64 = npt.NDArray[np.int64]
U64 = npt.NDArray[np.uint64]
F64 = npt.NDArray[np.float64]

_VERIFY_BATCH = 2048  # candidate pairs per verification task


@dataclass(frozen=True, slots=True)
class _Spooled:
    """What the caller keeps of a batch of documents: arrays, and spool locations."""

    pid: int  # the process whose spool files hold the batch
    signatures: npt.NDArray[np.uint32]
    exact: U64
    tokens: I64
    record_at: I64  # byte offset of each record in records-<pid>.jsonl
    record_len: I64
    shingle_at: I64  # element offset of each document's shingles in shingles-<pid>.u64
    shingle_len: I64
    keep_values: list[Any] | None


# A verification task: the shingle spool paths, and one row per pair:
# (file, at, count) of document a, then of document b.
_VerifyTask = tuple[list[str], I64]


class SpoolingSketcher:
    """The state of a dedup worker: the tokeniser, the MinHash functions, and this
    process's spool files (opened on first use, so that a copy made by ``fork``
    opens its own)."""

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

    def sketch(self, batch: list[Document]) -> _Spooled:
        """Sketch a batch and spool its records and shingles (flushed before the
        arrays are returned, so any process can read them once the caller has them)."""
        o = self.options
        sk = sketch([doc.text for doc in batch], self.tokenizer, self.hasher, o.ngram)
        lines = [record_line(doc, o.id_field, o.text_field) for doc in batch]
        records, shingle_file = self._open()
        record_len = np.fromiter(map(len, lines), dtype=np.int64, count=len(lines))
        record_at = self._record_size + np.cumsum(record_len) - record_len
        records.write(b"".join(lines))
        records.flush()
        self._record_size += int(record_len.sum())
        shingle_file.write(sk.shingles.values.tobytes())
        shingle_file.flush()
        shingle_at = self._shingle_count + sk.shingles.offsets[:-1]
        self._shingle_count += int(sk.shingles.values.shape[0])
        return _Spooled(
            pid=os.getpid(),
            signatures=sk.signatures,
            exact=sk.exact,
            tokens=sk.tokens,
            record_at=record_at.astype(np.int64),
            record_len=record_len,
            shingle_at=shingle_at.astype(np.int64),
            shingle_len=sk.shingles.counts(),
            keep_values=[doc.meta.get(o.keep) for doc in batch] if o.keeps_by_field else None,
        )

    def shingles_of(self, path: str, at: int, count: int) -> U64:
        # Read, not memory-mapped: mapped pages of the spool would count as resident
        # memory of every worker that touched them.
        fd = self._readers.get(path)
        if fd is None:
            fd = self._readers[path] = os.open(path, os.O_RDONLY)
        return np.frombuffer(os.pread(fd, count * 8, at * 8), dtype=np.uint64)

    def jaccards(self, task: _VerifyTask) -> F64:
        """Exact n-gram Jaccard of each pair of the task, from the shingle spool."""
        paths, rows = task
        pairs = (
            (self.shingles_of(paths[fa], aa, ca), self.shingles_of(paths[fb], ab, cb))
            for fa, aa, ca, fb, ab, cb in rows.tolist()
        )
        return pair_jaccards(pairs, rows.shape[0])

    def close(self) -> None:
        """Close this process's spool files and readers."""
        for stream in (self._records, self._shingles):
            if stream is not None:
                stream.close()
        self._records = self._shingles = None
        for fd in self._readers.values():
            os.close(fd)
        self._readers.clear()


def _sketch_task(state: SpoolingSketcher, batch: list[Document]) -> _Spooled:
    return state.sketch(batch)


def _verify_task(state: SpoolingSketcher, task: _VerifyTask) -> F64:
    return state.jaccards(task)


@dataclass(frozen=True, slots=True)
class _ShingleSpool:
    """Where every document's shingles lie: ``count[k]`` values from element ``at[k]``
    of file ``paths[file_no[k]]``."""

    paths: list[str]
    file_no: npt.NDArray[np.int32]
    at: I64
    count: I64

    def rows(self, pairs: I64) -> I64:
        """One verification row per pair: (file, at, count) of a, then of b."""
        a, b = pairs[:, 0], pairs[:, 1]
        f, at, count = self.file_no, self.at, self.count
        return np.stack((f[a], at[a], count[a], f[b], at[b], count[b]), axis=1).astype(np.int64)


def dedup(
    documents: Iterable[Document],
    options: DedupOptions | None = None,
    progress: ProgressHook | None = None,
) -> DedupResult:
    """Deduplicate ``documents`` (see :mod:`reprints.dedup`). Close the result when done:
    it reads the kept records from its spool files until then."""
    options = options or DedupOptions()
    report = progress or no_progress
    workdir = scratch_folder("dedup")
    folder = Path(workdir.name)
    state = SpoolingSketcher(options, folder)
    try:
        with WorkerPool(worker_count(options.workers), state) as pool:
            try:
                return _run(documents, options, pool, folder, workdir, report)
            finally:
                state.close()  # the caller's own spool files, when it sketched in-process
    except BaseException:
        workdir.cleanup()
        raise


def _run(
    documents: Iterable[Document],
    options: DedupOptions,
    pool: WorkerPool[SpoolingSketcher],
    folder: Path,
    workdir: tempfile.TemporaryDirectory[str],
    report: ProgressHook,
) -> DedupResult:
    clock = StageClock()
    ids: list[str] = []
    boilerplate = boilerplate_detector(options)
    spooled = _sketch_all(_read(documents, ids, boilerplate), options, pool, report)
    clock.lap("sketch")
    records, shingles = _locate(spooled, folder, workdir)
    sketched = Sketched(
        ids=ids,
        tokens=_joined(spooled, "tokens", np.int64),
        exact=_joined(spooled, "exact", np.uint64, (0, 2)),
        signatures=_stack_signatures(spooled, options.num_perm),
        keep_values=(
            [v for s in spooled for v in (s.keep_values or [])] if options.keeps_by_field else None
        ),
    )
    del spooled

    def verify(pairs: I64) -> F64:
        return _verify(pairs, shingles, pool, report)

    def documents_at(indices: I64) -> Iterator[tuple[int, Document]]:
        return read_documents_at(records, indices, options)

    decided = decide(
        sketched, options, verify, documents_at, _find_in_pool, boilerplate, clock, report
    )
    return DedupResult(
        ids=ids,
        status=decided.status,
        removed=decided.removed,
        skipped=decided.skipped,
        summary=decided.summary,
        options=options,
        records=records,
        edits=decided.edits,
    )


def _read(
    documents: Iterable[Document], ids: list[str], boilerplate: BoilerplateDetector | None
) -> Iterator[Document]:
    """The documents, their ids noted and their lines counted as they go by."""
    for doc in documents:
        ids.append(doc.id)
        if boilerplate is not None:
            boilerplate.observe(doc)
        yield doc


def _sketch_all(
    documents: Iterable[Document],
    options: DedupOptions,
    pool: WorkerPool[SpoolingSketcher],
    report: ProgressHook,
) -> list[_Spooled]:
    """Sketch every document in the pool, batches in input order."""
    out = []
    for spooled in pool.map(_sketch_task, batches(documents, options.batch_size)):
        out.append(spooled)
        report("sketch", spooled.tokens.shape[0], None)
    return out


def _joined(spooled: list[_Spooled], name: str, dtype: type, shape: tuple[int, ...] = (0,)) -> Any:
    if not spooled:
        return np.zeros(shape, dtype=dtype)
    return np.concatenate([getattr(s, name) for s in spooled])


def _locate(
    spooled: list[_Spooled], folder: Path, workdir: tempfile.TemporaryDirectory[str]
) -> tuple[RecordSpool, _ShingleSpool]:
    """Where every document's record and shingles lie: each process's spool files,
    numbered in the order its first batch came back."""
    number: dict[int, int] = {}
    for s in spooled:
        number.setdefault(s.pid, len(number))
    pids = list(number)  # by number
    file_no = np.concatenate(
        [np.full(s.tokens.shape[0], number[s.pid], np.int32) for s in spooled]
        or [np.zeros(0, np.int32)]
    )
    records = RecordSpool(
        paths=[str(folder / f"records-{pid}.jsonl") for pid in pids],
        file_no=file_no,
        at=_joined(spooled, "record_at", np.int64),
        length=_joined(spooled, "record_len", np.int64),
        workdir=workdir,
    )
    shingles = _ShingleSpool(
        paths=[str(folder / f"shingles-{pid}.u64") for pid in pids],
        file_no=file_no,
        at=_joined(spooled, "shingle_at", np.int64),
        count=_joined(spooled, "shingle_len", np.int64),
    )
    return records, shingles


def _stack_signatures(spooled: list[_Spooled], num_perm: int) -> npt.NDArray[np.uint32]:
    """All signatures in one array, each batch's freed as soon as it is copied, so that
    the peak holds them once (plus one batch), not twice as ``np.concatenate`` would."""
    total = sum(s.signatures.shape[0] for s in spooled)
    out = np.empty((total, num_perm), dtype=np.uint32)
    at = 0
    for i, s in enumerate(spooled):
        size = s.signatures.shape[0]
        out[at : at + size] = s.signatures
        at += size
        spooled[i] = dataclasses.replace(s, signatures=np.empty((0, num_perm), np.uint32))
    return out


def _verify(
    pairs: I64, shingles: _ShingleSpool, pool: WorkerPool[SpoolingSketcher], report: ProgressHook
) -> F64:
    """Exact n-gram Jaccard of each pair, computed in the pool from the shingle spool."""
    rows = shingles.rows(pairs)
    tasks = (
        (shingles.paths, rows[lo : lo + _VERIFY_BATCH])
        for lo in range(0, rows.shape[0], _VERIFY_BATCH)
    )
    out: list[F64] = []
    for scores in pool.map(_verify_task, tasks):
        out.append(scores)
        report("verify", scores.shape[0], int(rows.shape[0]))
    return np.concatenate(out) if out else np.zeros(0, dtype=np.float64)


def _find_in_pool(
    documents: Iterator[Document], options: FindOptions, progress: ProgressHook
) -> tuple[list[Pair], list[SelfRepeats], dict[str, Any]]:
    """`find` on the kept documents with the local runner (its pool and spools)."""
    with find(documents, options, progress=progress) as found:
        return found.pairs, found.repeats, dict(found.summary)
