"""The on-disk index: SQLite (WAL) for documents and the manifest, segment files for anchors.

Layout of an index folder::

    index.sqlite     documents (number, id, text, metadata), the manifest (live
                     segments), tombstones, site line counts, options, version
    segments/seg-N/  immutable arrays (:mod:`reprints.index.segments`)
    writer.lock      held (``flock``) by the one process writing

**Atomic adds.** An add writes its segment folder under a temporary name, fsyncs it,
renames it into place, and then records it, with its documents and line counts, in
ONE SQLite transaction, which bumps the index's version. Before the commit nothing
refers to the new files; after it everything does. A SIGKILL at any moment leaves the
index as it was before the add or after it; folders that no manifest names are debris,
deleted by the next writer.

**Snapshots.** A reader reads the manifest and everything else it needs for one query
inside one SQLite read transaction (WAL: a consistent view while a writer commits) and
keeps the memory-mapped segments of that version cached until the version changes.
Compact deletes the folders it merged only after its commit; a reader that finds one
gone was reading an older version and simply takes the new one.

**Writers** take an exclusive ``flock`` on ``writer.lock`` without waiting: a second
writer is refused with :class:`IndexBusy`, never interleaved.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import sqlite3
import threading
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from reprints.arrays import distinct, range_rows
from reprints.boilerplate import BoilerplateMarker, BoilerplateSettings, LineCounts, count_lines
from reprints.documents import Document
from reprints.finding import FindOptions, fingerprint_documents
from reprints.index.segments import (
    SegmentData,
    SegmentPart,
    SegmentWriter,
    frequent_hashes,
    fsync_dir,
    merge_segments,
    posting_ranges,
    read_segment,
    segment_part,
    segment_tokens,
    spill_part,
    write_segment,
)
from reprints.runners.pool import WorkerPool, worker_count
from reprints.text import Tokenizer, Tokens

I64 = npt.NDArray[np.int64]
U64 = npt.NDArray[np.uint64]

FORMAT = 4  # 2: the frequent table; 3: token stems, sentence starts and sentence keys;
# 4: six sentence keys a sentence (pairs of its four smallest words), not three
_DB = "index.sqlite"
_SEGMENTS = "segments"
_LOCK = "writer.lock"
_TEMP_PREFIX = "tmp-"
# Documents per segment file within one add: bounds its memory (~1 GB of tokens); fewer
# segments mean fewer lookups per query and per add.
_SEGMENT_DOCS = 200_000
_TOKENIZE_BATCH = 256
_SNAPSHOT_RETRIES = 5
_IDS_PER_QUERY = 500  # under SQLite's limit of bound parameters per statement

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS documents (
    num INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, text TEXT NOT NULL, meta TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS segments (
    id INTEGER PRIMARY KEY, folder TEXT NOT NULL UNIQUE,
    documents INTEGER NOT NULL, postings INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS tombstones (num INTEGER PRIMARY KEY);
CREATE TABLE IF NOT EXISTS site_lines (key INTEGER PRIMARY KEY, count INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS site_docs (site TEXT PRIMARY KEY, count INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS frequent (hash INTEGER PRIMARY KEY);
"""


class IndexError_(Exception):
    """Base of the index's errors: a message for the user, no traceback."""


class NotAnIndex(IndexError_):
    """The folder holds no index."""


class IndexBusy(IndexError_):
    """Another process is writing to the index."""


class DuplicateId(IndexError_):
    """A document id is already in the index, or twice in one add."""


@dataclass(frozen=True, slots=True)
class IndexOptions:
    """What the index was built with; every add and query uses the same."""

    find: FindOptions = field(default_factory=lambda: FindOptions(workers=1))
    boilerplate: BoilerplateSettings | None = field(default_factory=BoilerplateSettings)

    def to_json(self) -> str:
        find = asdict(self.find)
        find.pop("workers")
        find.pop("self_repeats")
        marking = None if self.boilerplate is None else asdict(self.boilerplate)
        return json.dumps({"find": find, "boilerplate": marking}, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> IndexOptions:
        data = json.loads(text)
        marking = data["boilerplate"]
        return cls(
            FindOptions(**data["find"], workers=1),
            None if marking is None else BoilerplateSettings(**marking),
        )

    def marker(self, lines: LineCounts) -> BoilerplateMarker | None:
        """The boilerplate marker of these line counts (None: boilerplate off)."""
        if self.boilerplate is None:
            return None
        return BoilerplateMarker.from_counts(self.boilerplate, lines)


@dataclass(frozen=True)
class Snapshot:
    """One version of the index, immutable: its segments, tombstones and line counts."""

    version: int
    options: IndexOptions
    segments: tuple[SegmentData, ...]
    dead: I64  # numbers of removed documents still in some segment (sorted)
    lines: LineCounts
    # Every anchor hash that max_df or more documents of the index may hold (sorted):
    # a superset, kept by each add, made exact by compact. Only these can be capped.
    frequent: U64

    @property
    def documents(self) -> int:
        return sum(s.documents for s in self.segments) - int(self.dead.shape[0])

    def _postings(self, keys: bool) -> list[tuple[U64, I64, U64]]:
        """Each segment's anchor (or sentence key) postings: hashes, documents, fence."""
        return [
            (s.key_hash, s.key_doc, s.key_fence)
            if keys
            else (s.post_hash, s.post_doc, s.post_fence)
            for s in self.segments
        ]

    def document_frequency(self, hashes: U64, keys: bool = False) -> I64:
        """Live documents holding each hash as an anchor (find's df, over the index);
        with ``keys``, as a sentence key."""
        df = np.zeros(hashes.shape[0], dtype=np.int64)
        for post_hash, post_doc, fence in self._postings(keys):
            lo, hi = posting_ranges(post_hash, hashes, fence)
            df += hi - lo - self._dead_among(post_doc, lo, hi)
        return df

    def _dead_among(self, post_doc: I64, lo: I64, hi: I64) -> I64:
        """How many removed documents each posting list ``lo[k]:hi[k]`` holds."""
        if not self.dead.shape[0]:
            return np.zeros(lo.shape[0], dtype=np.int64)
        rows, owner = range_rows(lo, hi)
        dead = np.isin(post_doc[rows], self.dead)
        return np.bincount(owner[dead], minlength=lo.shape[0]).astype(np.int64)

    def capped(self, hashes: U64, query: U64, allowance: int = 0) -> npt.NDArray[np.bool_]:
        """Which of ``hashes`` find's cap drops, counting the index's live documents
        and the query (which holds the hashes in ``query``), ``allowance`` of them not
        counted (copies of one group of identical documents aligned with each other).
        Only frequent hashes can be capped: the documents holding those are counted."""
        out = np.zeros(hashes.shape[0], dtype=bool)
        maybe, df = self.frequent_counts(hashes, query)
        out[maybe] = df - allowance > self.options.find.max_df
        return out

    def frequent_counts(self, hashes: U64, query: U64) -> tuple[npt.NDArray[np.bool_], I64]:
        """Which of ``hashes`` are frequent enough to be capped, and find's document
        frequency of those: the index's live documents, plus the query when it holds
        them (in ``query``). The rest cannot be capped and are not counted."""
        maybe = np.zeros(hashes.shape[0], dtype=bool)
        if self.frequent.shape[0]:
            maybe = np.isin(hashes, self.frequent)
        if not maybe.any():
            return maybe, np.zeros(0, dtype=np.int64)
        frequent = hashes[maybe]
        df = self.document_frequency(frequent) + np.isin(frequent, query)
        return maybe, df.astype(np.int64)

    def holders(self, hashes: U64, keys: bool = False, min_shared: int = 1) -> I64:
        """Live documents holding at least ``min_shared`` of ``hashes`` (distinct) as
        anchors, or with ``keys`` as sentence keys (sorted, distinct)."""
        found: list[I64] = [np.zeros(0, np.int64)]
        hashes = distinct(hashes)
        for post_hash, post_doc, fence in self._postings(keys):
            lo, hi = posting_ranges(post_hash, hashes, fence)
            found.append(post_doc[range_rows(lo, hi)[0]])
        if min_shared <= 1:
            docs = distinct(np.concatenate(found))
        else:
            docs, counts = np.unique(np.concatenate(found), return_counts=True)
            docs = docs[counts >= min_shared]
        return docs[~np.isin(docs, self.dead)] if self.dead.shape[0] else docs

    def rare_holders(
        self, hashes: U64, max_df: int, min_shared: int, keys: bool = False, extra: int = 0
    ) -> I64:
        """``holders`` of those of ``hashes`` that at most ``max_df`` live documents
        hold, ``extra`` more counted (``document_frequency`` + extra <= max_df), with
        one lookup of the posting lists for both."""
        hashes = distinct(hashes)
        lists = [(d, *posting_ranges(h, hashes, f)) for h, d, f in self._postings(keys)]
        df = np.full(hashes.shape[0], extra, dtype=np.int64)
        for post_doc, lo, hi in lists:
            df += hi - lo - self._dead_among(post_doc, lo, hi)
        rare = df <= max_df
        found: list[I64] = [np.zeros(0, np.int64)]
        for post_doc, lo, hi in lists:
            found.append(post_doc[range_rows(lo[rare], hi[rare])[0]])
        docs, counts = np.unique(np.concatenate(found), return_counts=True)
        docs = docs[counts >= min_shared]
        return docs[~np.isin(docs, self.dead)] if self.dead.shape[0] else docs

    def most_shared(self, top: int) -> list[tuple[int, int]]:
        """The ``top`` documents with the most anchors shared with some other document
        (and not capped), as (number, shared anchors), most first: the documents of the
        collection with the most reuse, without aligning anything."""
        if not self.segments:
            return []
        hashes = np.concatenate([np.asarray(s.post_hash) for s in self.segments])
        docs = np.concatenate([np.asarray(s.post_doc) for s in self.segments])
        if self.dead.shape[0]:
            alive = ~np.isin(docs, self.dead)
            hashes, docs = hashes[alive], docs[alive]
        _, inverse, df = np.unique(hashes, return_inverse=True, return_counts=True)
        per_row = df[inverse.reshape(-1)]
        shared = (per_row > 1) & (per_row <= self.options.find.max_df)
        counts = np.bincount(docs[shared], minlength=int(docs.max(initial=-1)) + 1)
        order = np.lexsort((np.arange(counts.shape[0]), -counts))[:top]
        return [(int(d), int(counts[d])) for d in order.tolist() if counts[d] > 0]

    def tokens(self, num: int) -> Tokens:
        """The stored tokens of document ``num`` (as marked when it was added)."""
        for seg in self.segments:
            # Each segment's numbers ascend: skip those whose range cannot hold it.
            if not seg.documents or not int(seg.nums[0]) <= num <= int(seg.nums[-1]):
                continue
            slot = int(np.searchsorted(seg.nums, num))
            if int(seg.nums[slot]) == num:
                return segment_tokens(seg, slot)
        raise KeyError(num)


@dataclass(frozen=True, slots=True)
class StoredDocument:
    num: int
    id: str
    text: str
    meta: dict[str, Any]


@dataclass(frozen=True, slots=True)
class AddReport:
    added: int
    segments: int
    tokens: int
    postings: int


class Index:
    """An index folder, opened for queries and (one process at a time) for writing.

    Safe to share between threads: each thread gets its own SQLite connection, and
    snapshots are immutable.
    """

    def __init__(self, folder: str | Path, workers: int = 1) -> None:
        """Open the index in ``folder``; adds fingerprint in ``workers`` processes
        (0: every core)."""
        self.folder = Path(folder)
        self.workers = worker_count(workers)
        if not (self.folder / _DB).is_file():
            raise NotAnIndex(
                f"no index in {self.folder} (make one with `reprints index build ... "
                f"--index {self.folder}`)"
            )
        self._local = threading.local()
        self._snapshot: Snapshot | None = None
        self._snapshot_lock = threading.Lock()
        with self.read() as conn:
            stored = _meta(conn)
        if int(stored.get("format", 0)) != FORMAT:
            raise NotAnIndex(f"{self.folder}: index format {stored.get('format')}, not {FORMAT}")
        self.options = IndexOptions.from_json(stored["options"])
        with contextlib.suppress(IndexBusy), self._writing():
            self._clean_debris()

    # --- creating ---------------------------------------------------------------------

    @classmethod
    def create(
        cls, folder: str | Path, options: IndexOptions | None = None, workers: int = 1
    ) -> Index:
        """A new, empty index in ``folder`` (which may exist but must hold no index)."""
        path = Path(folder)
        if (path / _DB).exists():
            raise IndexError_(f"{path} already holds an index (use `reprints index add`)")
        (path / _SEGMENTS).mkdir(parents=True, exist_ok=True)
        options = options or IndexOptions()
        temp = path / f"{_TEMP_PREFIX}{uuid.uuid4().hex}.sqlite"
        conn = sqlite3.connect(temp, isolation_level=None)
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.executescript(_SCHEMA)
            rows = {"format": str(FORMAT), "options": options.to_json(), "version": "0"}
            rows["next_num"] = "0"
            conn.executemany("INSERT INTO meta VALUES (?, ?)", rows.items())
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            conn.close()
        os.replace(temp, path / _DB)  # the index exists all at once, or not at all
        fsync_dir(path)
        return cls(path, workers)

    # --- connections and snapshots ------------------------------------------------------

    def _connection(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.folder / _DB, isolation_level=None, timeout=30)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=FULL")
            self._local.conn = conn
        return conn

    @contextlib.contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        """A read transaction: every statement inside sees one committed version."""
        conn = self._connection()
        conn.execute("BEGIN")
        try:
            yield conn
        finally:
            conn.execute("COMMIT")

    def snapshot(self, conn: sqlite3.Connection) -> Snapshot:
        """The snapshot of the version ``conn``'s read transaction sees."""
        version = int(_meta(conn, "version"))
        with self._snapshot_lock:
            cached = self._snapshot
            if cached is not None and cached.version == version:
                return cached
            fresh = self._load_snapshot(conn, version)
            if cached is None or fresh.version > cached.version:
                self._snapshot = fresh
            return fresh

    def _load_snapshot(self, conn: sqlite3.Connection, version: int) -> Snapshot:
        segments = tuple(read_segment(self.folder / _SEGMENTS / f) for f in _segment_folders(conn))
        dead = np.fromiter(
            (r[0] for r in conn.execute("SELECT num FROM tombstones ORDER BY num")), np.int64
        )
        return Snapshot(version, self.options, segments, dead, _line_counts(conn), _frequent(conn))

    @contextlib.contextmanager
    def view(self) -> Iterator[tuple[sqlite3.Connection, Snapshot]]:
        """A read transaction and its snapshot, retried if compact removed its files."""
        for attempt in range(_SNAPSHOT_RETRIES):
            with self.read() as conn:
                try:
                    snap = self.snapshot(conn)
                except FileNotFoundError:
                    if attempt + 1 == _SNAPSHOT_RETRIES:
                        raise
                    continue
                yield conn, snap
                return

    def tokenizer(self) -> Tokenizer:
        """This thread's tokeniser (its word cache is not shared between threads)."""
        tokenizer: Tokenizer | None = getattr(self._local, "tokenizer", None)
        if tokenizer is None:
            tokenizer = self._local.tokenizer = Tokenizer()
        return tokenizer

    # --- reading documents --------------------------------------------------------------

    def document(self, doc_id: str) -> StoredDocument | None:
        with self.read() as conn:
            return _document(conn, "id = ?", doc_id)

    def boilerplate_spans(self, doc: Document) -> list[tuple[int, int]]:
        """The character spans of ``doc`` the index's boilerplate marker marks now."""
        with self.view() as (_, snap):
            marker = self.options.marker(snap.lines)
        return [] if marker is None else [(s.start, s.end) for s in marker.spans(doc)]

    def ids_of(self, conn: sqlite3.Connection, nums: Sequence[int]) -> dict[int, str]:
        """Ids of document numbers, read in the caller's transaction."""
        out: dict[int, str] = {}
        for lo in range(0, len(nums), _IDS_PER_QUERY):
            chunk = list(nums[lo : lo + _IDS_PER_QUERY])
            marks = ",".join("?" * len(chunk))
            out.update(conn.execute(f"SELECT num, id FROM documents WHERE num IN ({marks})", chunk))
        return out

    def documents_of(self, conn: sqlite3.Connection, nums: Sequence[int]) -> list[StoredDocument]:
        """The stored documents of these numbers, in their order, read in the caller's
        transaction."""
        found: dict[int, StoredDocument] = {}
        for lo in range(0, len(nums), _IDS_PER_QUERY):
            chunk = list(nums[lo : lo + _IDS_PER_QUERY])
            marks = ",".join("?" * len(chunk))
            rows = conn.execute(
                f"SELECT num, id, text, meta FROM documents WHERE num IN ({marks})", chunk
            )
            found.update((r[0], StoredDocument(r[0], r[1], r[2], json.loads(r[3]))) for r in rows)
        return [found[num] for num in nums]

    def stats(self) -> dict[str, Any]:
        with self.view() as (_conn, snap):
            total = sum(
                p.stat().st_size for p in (self.folder / _SEGMENTS).rglob("*") if p.is_file()
            )
            db = sum(p.stat().st_size for p in self.folder.glob(f"{_DB}*") if p.is_file())
            return {
                "documents": snap.documents,
                "version": snap.version,
                "segments": len(snap.segments),
                "postings": sum(s.postings for s in snap.segments),
                "tokens": sum(int(s.tok_offsets[-1]) for s in snap.segments if s.documents),
                "tombstones": int(snap.dead.shape[0]),
                "sites": len(snap.lines.site_docs),
                "bytes_segments": total,
                "bytes_sqlite": db,
                "options": json.loads(self.options.to_json()),
            }

    # --- writing ------------------------------------------------------------------------

    @contextlib.contextmanager
    def _writing(self) -> Iterator[None]:
        """Hold the writer lock, or raise IndexBusy at once."""
        with open(self.folder / _LOCK, "a+") as lock:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise IndexBusy(
                    f"another process is writing to the index in {self.folder}; "
                    "try again when it has finished"
                ) from None
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def _clean_debris(self) -> None:
        """Delete segment folders no manifest names (an add or compact interrupted)."""
        with self.read() as conn:
            live = {r[0] for r in conn.execute("SELECT folder FROM segments")}
        for path in (self.folder / _SEGMENTS).iterdir():
            if path.name not in live:
                shutil.rmtree(path, ignore_errors=True)
        for path in self.folder.glob(f"{_TEMP_PREFIX}*"):
            path.unlink(missing_ok=True)

    def add(self, documents: Iterable[Document]) -> AddReport:
        """Add documents, all visible at once when this returns (or none, on error)."""
        with self._writing():
            self._clean_debris()
            conn = self._connection()
            conn.execute("BEGIN IMMEDIATE")
            try:
                report = self._add(conn, documents)
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                self._clean_debris()
                raise
            _checkpoint(conn)
            return report

    def _add(self, conn: sqlite3.Connection, documents: Iterable[Document]) -> AddReport:
        num = int(_meta(conn, "next_num"))
        settings = self.options.boilerplate
        lines = _line_counts(conn) if settings is not None else LineCounts()
        batch: list[Document] = []
        added = segments = tokens = postings = 0
        written = [read_segment(self.folder / _SEGMENTS / f) for f in _segment_folders(conn)]

        def flush() -> None:
            nonlocal num, lines, segments, tokens, postings
            _refuse_stored_ids(conn, [d.id for d in batch])
            if settings is not None:
                delta = count_lines(batch, settings)
                _add_line_counts(conn, delta)
                lines = lines.merge(delta)
            folder = self._placed(lambda temp: self._write_added(conn, temp, num, batch, lines))
            data = read_segment(self.folder / _SEGMENTS / folder)
            _add_frequent(conn, frequent_hashes(data, written, self.options.find.max_df))
            written.append(data)
            conn.execute(
                "INSERT INTO segments (folder, documents, postings) VALUES (?, ?, ?)",
                (folder, data.documents, data.postings),
            )
            num += len(batch)
            segments += 1
            tokens += int(data.tok_offsets[-1])
            postings += data.postings
            batch.clear()

        seen: set[str] = set()
        for doc in documents:
            if doc.id in seen:
                raise DuplicateId(f"document id {doc.id!r} is twice in this add")
            seen.add(doc.id)
            batch.append(doc)
            added += 1
            if len(batch) >= _SEGMENT_DOCS:
                flush()
        if batch:
            flush()
        if added:
            _set_meta(conn, next_num=num, version=int(_meta(conn, "version")) + 1)
        return AddReport(added, segments, tokens, postings)

    def _write_added(
        self,
        conn: sqlite3.Connection,
        folder: Path,
        first: int,
        batch: list[Document],
        lines: LineCounts,
    ) -> None:
        """Tokenise, mark and fingerprint a batch of new documents numbered from
        ``first`` (in a pool, with find's stage function) into a segment written in
        ``folder`` as the parts come back; meanwhile this process inserts each chunk's
        documents into SQLite."""
        state = _FingerprintState(self.options.find, self.options.marker(lines))
        size = _TOKENIZE_BATCH
        chunks = [batch[lo : lo + size] for lo in range(0, len(batch), size)]
        writer = SegmentWriter(folder)
        with WorkerPool(min(self.workers, len(chunks)), state) as pool:
            # a worker spills its chunk's token columns to a file beside the segment
            spills = [None if pool.in_process else writer.spill_path(k) for k in range(len(chunks))]
            parts = pool.map(_fingerprint_chunk, zip(spills, chunks, strict=True))
            for k, (chunk, part) in enumerate(zip(chunks, parts, strict=True)):
                start = first + k * size
                conn.executemany(
                    "INSERT INTO documents VALUES (?, ?, ?, ?)",
                    ((start + j, d.id, d.text, _meta_json(d.meta)) for j, d in enumerate(chunk)),
                )
                writer.add(part)
        writer.finish(np.arange(first, first + len(batch)))

    def _placed(self, write: Callable[[Path], None]) -> str:
        """Write a segment (``write`` fills the folder it is given) under a temporary
        name, then rename it into place; returns its name."""
        root = self.folder / _SEGMENTS
        name = f"seg-{uuid.uuid4().hex}"
        temp = root / f"{_TEMP_PREFIX}{name}"
        write(temp)
        os.replace(temp, root / name)
        fsync_dir(root)
        return name

    def remove(self, ids: Iterable[str]) -> list[str]:
        """Remove documents by id (tombstones until compact); returns the ids not found."""
        with self._writing():
            conn = self._connection()
            conn.execute("BEGIN IMMEDIATE")
            try:
                missing = self._remove(conn, list(ids))
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            return missing

    def _remove(self, conn: sqlite3.Connection, ids: list[str]) -> list[str]:
        gone, missing = [], []
        for doc_id in ids:
            stored = _document(conn, "id = ?", doc_id)
            if stored is None:
                missing.append(doc_id)
            else:
                gone.append(stored)
        if not gone:
            return missing
        conn.executemany("DELETE FROM documents WHERE num = ?", ((d.num,) for d in gone))
        conn.executemany("INSERT INTO tombstones VALUES (?)", ((d.num,) for d in gone))
        if self.options.boilerplate is not None:
            removed = count_lines(
                [Document(d.id, d.text, d.meta) for d in gone], self.options.boilerplate
            )
            _add_line_counts(conn, removed, sign=-1)
        _set_meta(conn, version=int(_meta(conn, "version")) + 1)
        return missing

    def compact(self) -> int:
        """Merge every segment into one without the removed documents; returns the
        number of segments merged."""
        with self._writing():
            self._clean_debris()
            with self.view() as (_, snap):
                pass
            if len(snap.segments) <= 1 and not snap.dead.shape[0]:
                return len(snap.segments)
            merged = merge_segments(list(snap.segments), snap.dead)
            folder = self._placed(lambda temp: write_segment(merged, temp))
            conn = self._connection()
            conn.execute("BEGIN IMMEDIATE")
            try:
                if int(_meta(conn, "version")) != snap.version:
                    raise IndexBusy("the index changed while compacting")  # lock forbids it
                old = [r[0] for r in conn.execute("SELECT folder FROM segments")]
                conn.execute("DELETE FROM segments")
                conn.execute("DELETE FROM tombstones")
                conn.execute("DELETE FROM frequent")
                _add_frequent(conn, frequent_hashes(merged, [], self.options.find.max_df))
                conn.execute(
                    "INSERT INTO segments (folder, documents, postings) VALUES (?, ?, ?)",
                    (folder, merged.documents, merged.postings),
                )
                _set_meta(conn, version=snap.version + 1)
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                self._clean_debris()
                raise
            for name in old:
                shutil.rmtree(self.folder / _SEGMENTS / name, ignore_errors=True)
            _checkpoint(conn)
            return len(old)


@dataclass
class _FingerprintState:
    """What a worker needs to fingerprint new documents (its own copy, see WorkerPool)."""

    options: FindOptions
    marker: BoilerplateMarker | None
    tokenizer: Tokenizer = field(default_factory=Tokenizer)


def _fingerprint_chunk(
    state: _FingerprintState, task: tuple[Path | None, list[Document]]
) -> SegmentPart:
    """Tokens (boilerplate marked), anchors and sentence keys of a chunk of documents,
    the tokens spilled to the file named with the chunk if there is one."""
    spill, chunk = task
    batch = fingerprint_documents(chunk, state.options, state.tokenizer, state.marker)
    part = segment_part(batch.tokens, batch.anchors, batch.sentence_keys)
    return part if spill is None else spill_part(part, spill)


# --- SQLite helpers ---------------------------------------------------------------------


def _checkpoint(conn: sqlite3.Connection) -> None:
    """Copy the write-ahead log into the database and truncate it: a large add would
    otherwise leave its texts on disk twice until SQLite checkpoints on its own. It
    gives way to readers (a busy checkpoint is simply left for later)."""
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def _meta(conn: sqlite3.Connection, key: str | None = None) -> Any:
    if key is not None:
        row = conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0]
    return dict(conn.execute("SELECT key, value FROM meta"))


def _set_meta(conn: sqlite3.Connection, **values: object) -> None:
    conn.executemany(
        "INSERT OR REPLACE INTO meta VALUES (?, ?)", ((k, str(v)) for k, v in values.items())
    )


def _refuse_stored_ids(conn: sqlite3.Connection, ids: Sequence[str]) -> None:
    """Raise DuplicateId if one of ``ids`` is already in the index."""
    for lo in range(0, len(ids), _IDS_PER_QUERY):
        chunk = list(ids[lo : lo + _IDS_PER_QUERY])
        marks = ",".join("?" * len(chunk))
        row = conn.execute(f"SELECT id FROM documents WHERE id IN ({marks})", chunk).fetchone()
        if row is not None:
            raise DuplicateId(f"document id {row[0]!r} is already in the index")


def _segment_folders(conn: sqlite3.Connection) -> list[str]:
    return [r[0] for r in conn.execute("SELECT folder FROM segments ORDER BY id")]


def _frequent(conn: sqlite3.Connection) -> U64:
    stored = np.fromiter((r[0] for r in conn.execute("SELECT hash FROM frequent")), np.int64)
    return np.sort(stored.view(np.uint64))  # SQLite holds them as signed integers


def _add_frequent(conn: sqlite3.Connection, hashes: U64) -> None:
    conn.executemany(
        "INSERT OR IGNORE INTO frequent VALUES (?)", ((h,) for h in hashes.view(np.int64).tolist())
    )


def _meta_json(meta: dict[str, Any]) -> str:
    return json.dumps(meta, sort_keys=True, default=str) if meta else "{}"


def _document(conn: sqlite3.Connection, where: str, value: object) -> StoredDocument | None:
    row = conn.execute(
        f"SELECT num, id, text, meta FROM documents WHERE {where}", (value,)
    ).fetchone()
    return None if row is None else StoredDocument(row[0], row[1], row[2], json.loads(row[3]))


def _line_counts(conn: sqlite3.Connection) -> LineCounts:
    rows = conn.execute("SELECT key, count FROM site_lines ORDER BY key").fetchall()
    keys = np.array([r[0] for r in rows], dtype=np.int64).view(np.uint64)
    counts = np.array([r[1] for r in rows], dtype=np.int64)
    order = np.argsort(keys, kind="stable")  # SQLite sorted them as signed integers
    sites = dict(conn.execute("SELECT site, count FROM site_docs"))
    return LineCounts(keys[order], counts[order], sites)


def _add_line_counts(conn: sqlite3.Connection, delta: LineCounts, sign: int = 1) -> None:
    """Add (or subtract) a batch's line counts to the stored ones; zeros dropped."""
    conn.executemany(
        "INSERT INTO site_lines VALUES (?, ?) "
        "ON CONFLICT(key) DO UPDATE SET count = count + excluded.count",
        zip(delta.keys.view(np.int64).tolist(), (sign * delta.counts).tolist(), strict=True),
    )
    conn.executemany(
        "INSERT INTO site_docs VALUES (?, ?) "
        "ON CONFLICT(site) DO UPDATE SET count = count + excluded.count",
        ((site, sign * n) for site, n in delta.site_docs.items()),
    )
    conn.execute("DELETE FROM site_lines WHERE count <= 0")
    conn.execute("DELETE FROM site_docs WHERE count <= 0")
