"""The command line against hostile input: escapes on the terminal, --out checked before
the run, outputs inside an input folder never read back, the caps as flags."""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path

import pytest

from reprints.cli import main
from reprints.cli.inputs import byte_size
from reprints.cli.terminal import EscapingFilter, printable, printable_layout

WORDS = (
    "the mill stood by the river for a hundred years grinding wheat for the village "
    "and the farms around it every single day of the week until the water ran dry"
)
EVIL = "\x1b]0;pwned\x07\x1b[31mred[bold]"


def _two_copies(folder: Path, first_id: str = EVIL) -> Path:
    path = folder / "docs.jsonl"
    path.write_text(
        "".join(json.dumps({"id": i, "text": WORDS}) + "\n" for i in (first_id, "b\u202eb"))
    )
    return path


def test_printable_escapes_every_control_and_keeps_the_rest() -> None:
    assert printable(EVIL) == "\\x1b]0;pwned\\x07\\x1b[31mred[bold]"
    assert printable("a\u202eb\nc\x9b") == "a\\u202eb\\x0ac\\x9b"
    assert printable("café ünï 中文") == "café ünï 中文"
    layout = printable_layout("one\tline\nnext\x1b[0m")
    assert layout == "one\tline\nnext\ufffd[0m" and len(layout) == len("one\tline\nnext\x1b[0m")


def test_log_messages_are_escaped() -> None:
    record = logging.LogRecord("x", logging.WARNING, "f", 1, "skipped: %s", (EVIL,), None)
    EscapingFilter().filter(record)
    assert "\x1b" not in record.getMessage() and "\\x1b]0;pwned" in record.getMessage()


def test_find_table_shows_ids_escaped_and_never_as_markup(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _two_copies(tmp_path)
    assert main(["find", str(tmp_path / "docs.jsonl"), "-o", str(tmp_path / "out")]) == 0
    shown = capsys.readouterr().out
    assert "\x1b" not in shown and "\u202e" not in shown and "\x07" not in shown
    assert "\\x1b]0;pwned" in shown and "red[bold]" in shown and "b\\u202eb" in shown


def test_compare_shows_ids_and_text_escaped(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / f"a{EVIL}.txt").write_text(WORDS + " \x1b[2J")
    (tmp_path / "b.txt").write_text(WORDS)
    assert main(["compare", str(tmp_path / f"a{EVIL}.txt"), str(tmp_path / "b.txt")]) == 0
    shown = capsys.readouterr().out
    assert "\x1b" not in shown and "\\x1b]0;pwned" in shown


@pytest.mark.parametrize("command", ["find", "dedup"])
def test_out_is_checked_before_the_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str
) -> None:
    _two_copies(tmp_path, "a")
    wrong = tmp_path / ("a_file" if command == "find" else "a_folder.jsonl")
    if command == "find":
        wrong.write_text("")
    else:
        wrong.mkdir()
    inputs = [command, str(tmp_path / "docs.jsonl"), "-o"]
    assert main([*inputs, str(wrong)]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "--out" in error and "not a" in error
    # Nowhere to write: under a file, or in a place nobody may create files.
    (tmp_path / "plain").write_text("")
    for place in (tmp_path / "plain" / "x.jsonl", Path("/proc/reprints-out/x.jsonl")):
        assert main([*inputs, str(place)]) == 2
        assert "--out" in capsys.readouterr().err


def test_outputs_inside_an_input_folder_are_not_read_back(tmp_path: Path) -> None:
    _two_copies(tmp_path, "a")
    out = tmp_path / "out"
    for _ in range(2):
        assert main(["-q", "find", str(tmp_path), "-o", str(out), "--no-report"]) == 0
        summary = json.loads((out / "summary.json").read_text())
        assert summary["input"]["read"] == 2 and summary["pairs"] == 1
    shutil.rmtree(out)  # find's outputs are dedup's input otherwise
    kept = tmp_path / "kept.jsonl"
    for _ in range(2):
        assert main(["-q", "dedup", str(tmp_path), "-o", str(kept)]) == 0
        summary = json.loads(Path(f"{kept}.summary.json").read_text())
        assert summary["input"]["read"] == 2


@pytest.mark.parametrize(
    ("value", "size"), [("4096", 4096), ("256M", 256 << 20), ("64GiB", 64 << 30), ("2k", 2048)]
)
def test_sizes_take_binary_units(value: str, size: int) -> None:
    assert byte_size(value) == size


def test_caps_are_flags(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "docs.jsonl"
    path.write_text(json.dumps({"id": "a", "text": WORDS * 50}) + "\n")
    out = tmp_path / "out"
    assert main(["-q", "find", str(path), "-o", str(out), "--max-line-bytes", "1k"]) == 0
    summary = json.loads((out / "summary.json").read_text())
    assert summary["input"]["skipped"] == {"line over --max-line-bytes": 1}
    with pytest.raises(SystemExit):
        main(["find", str(path), "-o", str(out), "--max-doc-bytes", "lots"])
    assert "--max-doc-bytes: not a size in bytes" in capsys.readouterr().err
