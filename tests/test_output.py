"""Atomic outputs: whole or absent, with the permissions of an ordinary new file."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from reprints.output import atomic_open, replace_folder, write_jsonl


def test_written_files_get_the_umask_mode_not_mkstemps_0600(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        write_jsonl(tmp_path / "out.jsonl", [{"a": 1}])
    finally:
        os.umask(old)
    assert (tmp_path / "out.jsonl").stat().st_mode & 0o777 == 0o644


def test_a_failed_write_leaves_no_file_and_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "out.jsonl"
    target.write_text("old\n")
    with pytest.raises(RuntimeError), atomic_open(target) as stream:
        stream.write("half")
        raise RuntimeError("interrupted")
    assert target.read_text() == "old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.jsonl"]


def _folder(path: Path, text: str) -> Path:
    path.mkdir()
    (path / "part-0").write_text(text)
    return path


def test_replace_folder_puts_the_new_folder_in_place(tmp_path: Path) -> None:
    new = _folder(tmp_path / "new", "new")
    out = tmp_path / "out"
    replace_folder(new, out, tmp_path / "aside")
    assert (out / "part-0").read_text() == "new" and not new.exists()


def test_replace_folder_replaces_an_old_folder_whole(tmp_path: Path) -> None:
    out = _folder(tmp_path / "out", "old")
    new = _folder(tmp_path / "new", "new")
    aside = tmp_path / "aside"
    replace_folder(new, out, aside)
    assert sorted(p.name for p in out.iterdir()) == ["part-0"]
    assert (out / "part-0").read_text() == "new"
    # The old folder is kept for the caller to delete: swapped to the new one's name
    # (renameat2) or moved aside.
    left = new if new.exists() else aside
    assert (left / "part-0").read_text() == "old"


def test_replace_folder_without_an_atomic_swap(tmp_path: Path, monkeypatch) -> None:
    import reprints.output as output

    monkeypatch.setattr(output, "_exchange", lambda a, b: False)
    out = _folder(tmp_path / "out", "old")
    new = _folder(tmp_path / "new", "new")
    replace_folder(new, out, tmp_path / "aside")
    assert (out / "part-0").read_text() == "new"
    assert (tmp_path / "aside" / "part-0").read_text() == "old" and not new.exists()
