"""Walking input folders: links, FIFOs, loops and the run's own outputs."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from reprints.readers import ReadLog, ReadOptions, read_documents

TEXT = "The mill stood by the river for a hundred years, grinding wheat for the village."


def _read(paths: list[Path | str], **options: object) -> tuple[list, ReadLog]:
    log = ReadLog()
    docs = list(read_documents(paths, ReadOptions(**options), log))  # type: ignore[arg-type]
    return docs, log


def test_links_are_followed_only_inside_the_inputs(tmp_path: Path) -> None:
    crawl, other, outside = tmp_path / "crawl", tmp_path / "other", tmp_path / "outside"
    for folder in (crawl, other, outside):
        folder.mkdir()
    (crawl / "a.txt").write_text(TEXT + " a")
    (other / "b.txt").write_text(TEXT + " b")
    (outside / "secret.txt").write_text("root:x:0:0")
    (crawl / "to_b.txt").symlink_to(other / "b.txt")
    (crawl / "to_secret.txt").symlink_to(outside / "secret.txt")
    (crawl / "to_passwd.txt").symlink_to("/etc/passwd")
    (crawl / "to_a.txt").symlink_to(crawl / "a.txt")  # a file already read: read once
    docs, log = _read([crawl])
    assert [d.id for d in docs] == ["a.txt"]
    assert log.skipped == {"symlink outside the inputs": 3}
    docs, log = _read([crawl, other])
    assert [d.id for d in docs] == ["a.txt", "to_b.txt"]  # b.txt itself: reached twice
    assert log.ignored == {"file reached twice": 2}


def test_dangling_links_loops_and_special_files_are_reported(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text(TEXT)
    (tmp_path / "dangling.txt").symlink_to(tmp_path / "gone.txt")
    (tmp_path / "loop1").symlink_to(tmp_path / "loop2")
    (tmp_path / "loop2").symlink_to(tmp_path / "loop1")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "up").symlink_to(tmp_path)  # a folder that links back up
    os.mkfifo(tmp_path / "pipe.jsonl")
    docs, log = _read([tmp_path])
    assert [d.id for d in docs] == ["a.txt"]
    assert log.skipped == {"dangling symlink": 1, "symlink loop": 3, "not a regular file": 1}


def test_a_fifo_named_on_the_command_line_is_read(tmp_path: Path) -> None:
    pipe = tmp_path / "pipe"
    os.mkfifo(pipe)

    def write() -> None:
        with open(pipe, "w") as stream:
            stream.write(f'{{"id": "p", "text": "{TEXT}"}}\n')

    writer = threading.Thread(target=write)
    writer.start()
    docs, log = _read([pipe], format="jsonl")
    writer.join()
    assert [d.id for d in docs] == ["p"] and not log.skipped


def test_a_socket_named_on_the_command_line_is_said_to_be_one(tmp_path: Path) -> None:
    import socket

    path = tmp_path / "s"
    with socket.socket(socket.AF_UNIX) as server:
        server.bind(str(path))
        docs, log = _read([path])
    assert docs == [] and log.skipped == {"not a regular file": 1}


@pytest.mark.parametrize("inside", ["out", "deep/er/out"])
def test_the_runs_outputs_are_never_read_back(tmp_path: Path, inside: str) -> None:
    (tmp_path / "a.txt").write_text(TEXT)
    out = tmp_path / inside
    out.mkdir(parents=True)
    (out / "pairs.jsonl").write_text('{"id": "x", "text": "an output"}\n')
    docs, log = _read([tmp_path], exclude=(out,))
    assert [d.id for d in docs] == ["a.txt"] and log.ignored == {"output of this run": 1}
