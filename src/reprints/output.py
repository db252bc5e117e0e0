"""Writing results, every output of every command: atomically, each file written to a
temporary name beside its destination and renamed into place only when complete, so
a crash or an interrupted run never leaves a half-written output that looks whole."""

from __future__ import annotations

import contextlib
import errno
import gzip
import json
import os
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Protocol

from reprints.output_set import OutputSet
from reprints.pipeline import batches

if TYPE_CHECKING:  # reprints.dedup and the find runner import their writers from here
    from reprints.dedup.result import DedupResult, Removal
    from reprints.dedup.summary import DedupSummary
    from reprints.runners.local import FindResult


@contextlib.contextmanager
def atomic_open(path: str | Path, mode: str = "w") -> Iterator[IO[Any]]:
    """Open a temporary file beside ``path``; on success rename it to ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        encoding = None if "b" in mode else "utf-8"
        with os.fdopen(fd, mode, encoding=encoding) as stream:
            yield stream
        # mkstemp creates the file private (0600); give it the mode any new file gets.
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def replace_folder(new: Path, out: Path, aside: Path) -> None:
    """Put the finished folder ``new`` at ``out``. An existing ``out`` is swapped with
    ``new`` in one step where the system can (Linux ``renameat2`` with
    ``RENAME_EXCHANGE``: readers see the old folder or the new one, never neither) and
    left at ``new``'s old name for the caller to delete; elsewhere it is moved to
    ``aside`` first, and a crash between the two renames leaves it there."""
    if not out.exists():
        new.rename(out)
    elif not _exchange(new, out):
        out.rename(aside)
        new.rename(out)


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically (Linux 3.15+, glibc 2.28+); False where unsupported."""
    import ctypes
    import ctypes.util
    import sys

    if not sys.platform.startswith("linux"):
        return False
    libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    renameat2 = getattr(libc, "renameat2", None)
    if renameat2 is None:
        return False
    at_fdcwd, rename_exchange = -100, 2
    done = renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange)
    if done == 0:
        return True
    error = ctypes.get_errno()
    if error in (errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP):  # no such call, or not here
        return False
    raise OSError(error, os.strerror(error), str(b))


def _umask() -> int:
    """The process's umask (reading it means setting it: set it straight back)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def dumps(obj: Any) -> str:
    """Compact, key-ordered JSON: the same record always gives the same bytes."""
    return json.dumps(obj, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def write_jsonl(path: str | Path, records: Iterable[dict[str, Any]]) -> int:
    """Write one JSON object per line, atomically; returns the number of lines."""
    count = 0
    with atomic_open(path) as stream:
        for record in records:
            stream.write(dumps(record))
            stream.write("\n")
            count += 1
    return count


def write_json(path: str | Path, obj: Any) -> None:
    """Write one indented JSON document, atomically."""
    with atomic_open(path) as stream:
        json.dump(obj, stream, ensure_ascii=False, indent=2, sort_keys=True)
        stream.write("\n")


# --- find ---------------------------------------------------------------------------


def write_find_outputs(
    result: FindResult, out_dir: str | Path, extra_summary: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Write pairs.jsonl, self.jsonl and summary.json (each atomically); return the summary
    (the run's figures, updated with ``extra_summary``)."""
    out = Path(out_dir)
    write_jsonl(out / "pairs.jsonl", (p.to_json() for p in result.pairs))
    write_jsonl(out / "self.jsonl", (r.to_json() for r in result.repeats))
    summary = result.summary
    if extra_summary:
        summary.update(extra_summary)
    write_json(out / "summary.json", summary)
    return summary


# --- dedup -----------------------------------------------------------------------------

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
            rows = [json.loads(x) for x in batch]
            if schema is None:
                # from_pylist takes its columns from the FIRST row only: give every row
                # every field of the batch, so a field the first record lacks is kept.
                fields = list(dict.fromkeys(key for row in rows for key in row))
                rows = [{key: row.get(key) for key in fields} for row in rows]
            yield pa.Table.from_pylist(rows, schema=schema)

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


class DedupOutputs(Protocol):
    """What the dedup writers read of a run (:class:`DedupResult`, or a Spark run's)."""

    @property
    def removed(self) -> list[Removal]: ...
    @property
    def summary(self) -> DedupSummary: ...
    def kept_lines(self) -> Iterable[bytes]: ...


def write_dedup_outputs(
    result: DedupOutputs | DedupResult,
    out: str | Path,
    input_summary: Mapping[str, Any] | None = None,
) -> DedupSummary:
    """Write OUT (kept documents), OUT.removed.jsonl and OUT.summary.json, as one set
    (:class:`~reprints.output_set.OutputSet`: the three appear together or, if the run
    fails, the previous three stay); return the summary as written. ``input_summary``
    is the reader's log (its ``to_json()``)."""
    out = Path(out)
    fmt = output_format(out)
    started = time.perf_counter()
    with OutputSet(out.parent) as outputs:
        staged = outputs.folder / out.name
        written = write_documents(staged, result.kept_lines, fmt)
        write_jsonl(f"{staged}.removed.jsonl", (r.to_json() for r in result.removed))
        seconds = time.perf_counter() - started
        summary = result.summary.written(str(out), fmt, written, seconds, input_summary)
        write_json(f"{staged}.summary.json", summary.to_json())
    return summary
