"""Which files the inputs name: folders walked in sorted order, every odd path reported.

A folder is walked without following a symlink blindly: a link is followed only when
it resolves inside one of the inputs given (a link in a crawl folder pointing at
``/etc/passwd`` is not read, nor copied into a dedup output); a dangling link, a link
loop, a FIFO, a socket or a device inside a folder is reported, counted and skipped.
What the command line names itself is read as given: a symlink is followed, and a
FIFO or character device is read as a stream (``reprints find <(zcat a.jsonl.gz)
--format jsonl`` works), since the user chose it. A file reached twice (a link to a
file already read, the same file given twice) is read once. Paths in
``ReadOptions.exclude`` (the run's own outputs) are never read.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from reprints.readers.base import ReadLog, Source

_NOT_REGULAR = "not a regular file"


def _kind(mode: int) -> str:
    """What a non-regular file is, for messages."""
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    return "not a file or folder"


@dataclass
class _Walk:
    """What one walk over the inputs knows: where links may lead, what was read."""

    roots: list[Path]  # every input, resolved: links may point inside these
    exclude: list[Path]  # resolved: never read
    log: ReadLog
    read: set[tuple[int, int]] = field(default_factory=set)  # (device, inode) of files read

    def inside(self, path: Path, bounds: list[Path]) -> bool:
        return any(path == bound or bound in path.parents for bound in bounds)

    def first_time(self, info: os.stat_result) -> bool:
        key = (info.st_dev, info.st_ino)
        if key in self.read:
            self.log.ignore("file reached twice")
            return False
        self.read.add(key)
        return True


def sources(
    inputs: Iterable[str | Path], exclude: Iterable[Path], log: ReadLog
) -> Iterator[Source]:
    """Every file to read, in order: the inputs as given, folders walked in sorted order,
    ids relative to the folder given."""
    inputs = list(inputs)
    roots = [Path(p).resolve() for p in inputs if str(p) != "-" and os.path.exists(p)]
    walk = _Walk(roots, [Path(p).resolve() for p in exclude], log)
    for given in inputs:
        if str(given) == "-":
            yield Source(path=Path("-"), name="stdin", direct=True)
            continue
        yield from _given(Path(given), walk)


def _given(path: Path, walk: _Walk) -> Iterator[Source]:
    try:
        info = path.stat()  # follows a symlink the user named
    except OSError as err:
        reason = "symlink loop" if err.errno == errno.ELOOP else "no such file or folder"
        walk.log.skip(str(path), None, reason, "" if err.errno == errno.ENOENT else str(err))
        return
    if walk.inside(path.resolve(), walk.exclude):
        walk.log.ignore("output of this run")
    elif stat.S_ISDIR(info.st_mode):
        yield from _folder(path, path, walk, {path.resolve()})
    elif stat.S_ISREG(info.st_mode):
        if walk.first_time(info):
            yield Source(path=path, name=path.name, direct=True)
    elif stat.S_ISFIFO(info.st_mode) or stat.S_ISCHR(info.st_mode):
        yield Source(path=path, name=path.name, direct=True)  # a stream the user chose
    else:
        walk.log.skip(str(path), None, _NOT_REGULAR, _kind(info.st_mode))


def _folder(top: Path, folder: Path, walk: _Walk, open_folders: set[Path]) -> Iterator[Source]:
    """The files under ``folder`` (of the input ``top``), depth first in name order (the
    order of sorted paths). ``open_folders`` are the resolved folders being walked, so
    that a link back up the tree is a loop, not an endless walk."""
    try:
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except OSError as err:
        walk.log.skip(str(folder), None, "unreadable folder", err.strerror or str(err))
        return
    for entry in entries:
        path = Path(entry.path)
        name = path.relative_to(top).as_posix()
        info = _entry_stat(entry, name, walk)
        if info is None:
            continue
        resolved = path.resolve()
        if walk.inside(resolved, walk.exclude):
            walk.log.ignore("output of this run")
        elif stat.S_ISDIR(info.st_mode):
            if resolved in open_folders:
                walk.log.skip(name, None, "symlink loop", "links back to a folder being read")
            else:
                yield from _folder(top, path, walk, open_folders | {resolved})
        elif stat.S_ISREG(info.st_mode):
            if walk.first_time(info):
                yield Source(path=path, name=name)
        else:
            walk.log.skip(name, None, _NOT_REGULAR, _kind(info.st_mode))


def _entry_stat(entry: os.DirEntry[str], name: str, walk: _Walk) -> os.stat_result | None:
    """What a folder entry is, its link followed when allowed; None (reported) when it is
    a link that must not or cannot be followed."""
    try:
        if not entry.is_symlink():
            return entry.stat(follow_symlinks=False)
        target = Path(entry.path).resolve(strict=True)
    except OSError as err:
        if err.errno == errno.ELOOP:
            walk.log.skip(name, None, "symlink loop")
        elif err.errno == errno.ENOENT:
            walk.log.skip(name, None, "dangling symlink", os.readlink(entry.path))
        else:
            walk.log.skip(name, None, "unreadable file", err.strerror or str(err))
        return None
    except RuntimeError:  # Python < 3.13 raises it for a symlink loop in resolve()
        walk.log.skip(name, None, "symlink loop")
        return None
    if not walk.inside(target, walk.roots):
        walk.log.skip(name, None, "symlink outside the inputs", f"to {target}")
        return None
    return target.stat()
