"""Writing results atomically: every file is written to a temporary name beside its
destination and renamed into place only when complete, so a crash or an interrupted
run never leaves a half-written output that looks whole."""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:
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
