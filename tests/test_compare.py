"""`reprints compare A B`: the terminal view of one pair, and its exit codes."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from reprints.api import compare, internal_repeats
from reprints.cli import main
from reprints.documents import Document
from reprints.synthetic import TextGenerator
from tests.conftest import NEWS_PAGE, REPOST


def test_seeds_share_passages_exit_0_and_show_offsets(
    seeds_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["compare", str(seeds_dir / REPOST), str(seeds_dir / NEWS_PAGE)])
    out = capsys.readouterr().out
    assert code == 0
    assert re.search(r"\d+\.\d% inside B", out)
    # Each passage is shown from A and from B with its character offsets.
    assert len(re.findall(r"A \[\d+:\d+\]", out)) == len(re.findall(r"B \[\d+:\d+\]", out)) >= 2


def test_unrelated_texts_exit_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    gen = TextGenerator(3)
    (tmp_path / "a.txt").write_text(gen.article(200), encoding="utf-8")
    (tmp_path / "b.txt").write_text(gen.article(200), encoding="utf-8")
    assert main(["compare", str(tmp_path / "a.txt"), str(tmp_path / "b.txt")]) == 1
    assert "share no passage" in capsys.readouterr().out


def test_a_missing_input_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "a.txt").write_text("some text", encoding="utf-8")
    with pytest.raises(SystemExit) as stop:
        main(["compare", str(tmp_path / "a.txt"), str(tmp_path / "nothing.txt")])
    assert stop.value.code == 2
    assert "no such file or folder" in capsys.readouterr().err


def test_an_input_without_a_document_exits_2(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("some text", encoding="utf-8")
    (tmp_path / "empty.txt").write_text("   \n", encoding="utf-8")
    assert main(["compare", str(tmp_path / "a.txt"), str(tmp_path / "empty.txt")]) == 2


def test_api_compare_offsets_slice_both_texts() -> None:
    gen = TextGenerator(5)
    shared = gen.article(120)
    a = Document("a", gen.article(80) + "\n\n" + shared)
    b = Document("b", shared + "\n\n" + gen.article(60))
    pair = compare(a, b)
    assert pair is not None and len(pair.passages) == 1
    (p,) = pair.passages
    assert a.text[p.a_start : p.a_end] == b.text[p.b_start : p.b_end]
    assert pair.containment_b > 0.6


def test_api_internal_repeats_finds_a_pasted_twice_paragraph() -> None:
    gen = TextGenerator(9)
    paragraph = gen.paragraph(60)
    doc = Document("d", "\n\n".join([gen.paragraph(40), paragraph, gen.paragraph(30), paragraph]))
    found = internal_repeats(doc)
    assert found is not None
    (r,) = found.passages
    assert doc.text[r.first_start : r.first_end] == doc.text[r.repeat_start : r.repeat_end]
    assert r.first_end <= r.repeat_start
