"""`reprints index ...` and `reprints query`: exit codes, messages, JSON output."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from reprints.cli import main
from reprints.index import Index
from tests.conftest import NEWS_PAGE, REPOST


def test_build_query_remove_compact_stats(
    seeds_dir: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ix = str(tmp_path / "ix")
    assert main(["-q", "index", "build", str(seeds_dir / NEWS_PAGE), "--index", ix]) == 0
    assert main(["-q", "index", "add", str(seeds_dir / REPOST), "--index", ix]) == 0
    capsys.readouterr()
    monkeypatch.setattr("sys.stdin", io.StringIO((seeds_dir / REPOST).read_text("utf-8")))
    assert main(["query", "-", "--index", ix, "--json", "--top", "1"]) == 0
    answer = json.loads(capsys.readouterr().out)
    assert answer["query"] == "-" and [m["id"] for m in answer["matches"]] == [REPOST]
    assert answer["matches"][0]["kind"] == "exact"

    assert main(["-q", "index", "remove", REPOST, "--index", ix]) == 0
    assert main(["-q", "index", "remove", REPOST, "--index", ix]) == 1  # not there any more
    assert main(["-q", "index", "compact", "--index", ix]) == 0
    capsys.readouterr()
    assert main(["index", "stats", "--index", ix]) == 0
    stats = json.loads(capsys.readouterr().out)
    assert (stats["documents"], stats["segments"], stats["tombstones"]) == (1, 1, 0)

    monkeypatch.setattr("sys.stdin", io.StringIO("Nothing like any stored text at all, really."))
    assert main(["-q", "query", "-", "--index", ix]) == 1


def test_errors_are_one_line_and_exit_2(
    seeds_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ix = tmp_path / "ix"
    assert main(["query", str(seeds_dir / REPOST), "--index", str(ix)]) == 2
    assert "no index in" in capsys.readouterr().err
    assert main(["-q", "index", "build", str(seeds_dir), "--index", str(ix)]) == 0
    assert main(["index", "build", str(seeds_dir), "--index", str(ix)]) == 2
    assert "already holds an index" in capsys.readouterr().err
    assert main(["index", "add", str(seeds_dir), "--index", str(ix)]) == 2
    assert "already in the index" in capsys.readouterr().err
    with Index(ix)._writing():
        assert main(["index", "add", str(seeds_dir), "--index", str(ix)]) == 2
    assert "another process is writing" in capsys.readouterr().err
    assert (
        main(["index", "build", str(seeds_dir), "--index", str(tmp_path / "b"), "--ngram", "0"])
        == 2
    )
    assert main(["serve", "--index", str(ix), "--host", "0.0.0.0"]) == 2
    assert "without --token" in capsys.readouterr().err
