"""Input caps on the command line, and the check of ``--out`` before a run.

The caps bound what one input can cost (see ``ReadOptions``); sizes are given in
bytes or with a binary unit (``64G``, ``256M``, ``4MiB``). ``--out`` is checked
before anything is read, so that a typo (an existing file where a folder is meant, a
folder nobody may write) is one line and exit code 2, not a traceback after an hour.
"""

from __future__ import annotations

import argparse
import re
import tempfile
from pathlib import Path

from reprints.options import OptionsError
from reprints.output_set import recover
from reprints.readers import ReadOptions

_UNITS = {"": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40}
_SIZE = re.compile(r"\s*(\d+)\s*([kmgt]?)(?:i?b)?\s*", re.IGNORECASE)

# (flag, ReadOptions field, what happens over it)
_CAPS = (
    (
        "--max-file-bytes",
        "max_file_bytes",
        "decompressed bytes read from one file; the rest is not read, with a warning",
    ),
    (
        "--max-line-bytes",
        "max_line_bytes",
        "longest JSON line; a longer one is skipped (never held in memory)",
    ),
    (
        "--max-doc-bytes",
        "max_doc_bytes",
        "bytes of one document (text file, WARC record); the rest is cut, with a warning",
    ),
    (
        "--max-html-bytes",
        "max_html_bytes",
        "bytes of an HTML page parsed; a longer page is cut before parsing, with a warning",
    ),
)


def byte_size(value: str) -> int:
    """An argparse type: a positive number of bytes, with an optional binary unit."""
    found = _SIZE.fullmatch(value)
    if found is None or int(found.group(1)) < 1:
        raise argparse.ArgumentTypeError(f"not a size in bytes (e.g. 4096, 256M, 64G): {value}")
    return int(found.group(1)) * _UNITS[found.group(2).lower()]


byte_size.__name__ = "size"  # argparse names the type in "invalid size value"


def add_cap_options(group: argparse._ArgumentGroup) -> None:
    """The ``--max-*-bytes`` flags, one per cap of :class:`ReadOptions`."""
    defaults = ReadOptions()
    for flag, name, what in _CAPS:
        default = getattr(defaults, name)
        group.add_argument(
            flag,
            type=byte_size,
            default=default,
            metavar="SIZE",
            help=f"{what} (default: {_human(default)})",
        )


def _human(size: int) -> str:
    for unit in ("T", "G", "M", "K"):
        if size % _UNITS[unit.lower()] == 0:
            return f"{size // _UNITS[unit.lower()]}{unit}"
    return str(size)


def check_out(out: Path, folder: bool) -> None:
    """Raise :class:`OptionsError` (one line, exit 2) when the run could not write ``out``:
    a folder (``folder=True``) where a file stands or the other way round, or a place
    that cannot be written. Creates nothing that stays; completes or removes what a
    killed earlier run left of its output set there (:func:`reprints.output_set.recover`)."""
    kind = "folder" if folder else "file"
    if out.exists() and out.is_dir() != folder:
        other = "file" if folder else "folder"
        raise OptionsError(f"--out {out}: is a {other}, not a {kind}")
    place = out if folder and out.is_dir() else out.parent
    while not place.exists() and place != place.parent:
        place = place.parent
    if not place.is_dir():
        raise OptionsError(f"--out {out}: {place} is not a folder")
    try:
        # A real write, not os.access: it also answers for root and read-only mounts.
        with tempfile.TemporaryFile(dir=place):
            pass
    except OSError as err:
        raise OptionsError(f"--out {out}: cannot write in {place}: {err.strerror}") from err
    recover(out if folder else out.parent)


def dedup_outputs(out: Path) -> tuple[Path, ...]:
    """The files ``reprints dedup -o OUT`` writes (see ``reprints.dedup.write_outputs``):
    never read back as input."""
    return (out, Path(f"{out}.removed.jsonl"), Path(f"{out}.summary.json"))
