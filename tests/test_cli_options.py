"""Every numeric option of `find` and `compare` at an impossible value: exit code 2 and
one line on standard error naming the flag, no traceback, nothing written."""

from __future__ import annotations

from pathlib import Path

import pytest

from reprints.cli import main

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
PAIR = [
    str(EXAMPLES / "harbor-gazette" / "2026-03-02-lighthouse-lens.txt"),
    str(EXAMPLES / "wire" / "coastal-wire-0302-lens.txt"),
]

# (flag, impossible value, what the message says it must be)
SHARED = [
    ("--ngram", "0", "at least 1"),
    ("--min-tokens", "0", "at least 1"),
    ("--max-gap", "-1", "0 or more"),
    ("--min-similarity", "1.5", "between 0 and 1"),
    ("--min-similarity", "-0.1", "between 0 and 1"),
    ("--min-similarity", "nan", "between 0 and 1"),
    ("--boilerplate-min-docs", "1", "at least 2"),
    ("--max-chars", "0", "at least 1"),
]
FIND_ONLY = [
    ("--max-df", "0", "at least 1"),
    ("--max-pairs", "0", "at least 1"),
    ("--top", "-1", "0 (none) or more"),
    ("--report-top", "-1", "0 or more"),
    ("--workers", "-1", "0 (all cores) or more"),
]


def _one_error_line(capsys: pytest.CaptureFixture[str], flag: str, value: str, must: str) -> None:
    err = capsys.readouterr().err
    assert err.splitlines() == [f"reprints: error: {flag} must be {must} (got {value})"], err
    assert "Traceback" not in err


@pytest.mark.parametrize(("flag", "value", "must"), SHARED + FIND_ONLY)
def test_find_rejects_an_impossible_setting(
    flag: str, value: str, must: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    assert main(["-q", "find", str(EXAMPLES), "-o", str(out), flag, value]) == 2
    _one_error_line(capsys, flag, value, must)
    assert not out.exists()


@pytest.mark.parametrize(("flag", "value", "must"), SHARED)
def test_compare_rejects_an_impossible_setting(
    flag: str, value: str, must: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["compare", *PAIR, flag, value]) == 2
    _one_error_line(capsys, flag, value, must)


def test_every_numeric_option_is_covered() -> None:
    """A numeric option added to `find` or `compare` must be added to the lists above."""
    from reprints.cli import build_parser

    parser = build_parser()
    commands = parser._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    for name, tested in (("find", SHARED + FIND_ONLY), ("compare", SHARED)):
        numeric = {
            action.option_strings[-1]
            for action in commands[name]._actions
            if action.type in (int, float) and action.option_strings
        }
        assert numeric == {flag for flag, _, _ in tested}, name


def test_api_callers_read_the_same_words() -> None:
    from reprints.api import FindOptions
    from reprints.options import OptionsError

    with pytest.raises(OptionsError, match=r"^--max-gap must be 0 or more \(got -1\)$"):
        FindOptions(max_gap=-1)


@pytest.mark.parametrize("value", ["1.5G", "lots", "0", "2X"])
def test_find_refuses_a_memory_budget_that_is_no_size(
    value: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    with pytest.raises(SystemExit) as exit_:
        main(["-q", "find", str(EXAMPLES), "-o", str(out), "--memory-budget", value])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert f"--memory-budget: not a size in bytes (e.g. 4096, 256M, 64G): {value}" in err
    assert "Traceback" not in err and not out.exists()


def test_find_help_says_what_the_memory_budget_bounds(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["find", "--help"])
    help_text = " ".join(capsys.readouterr().out.split())
    assert "the rows it holds and the part it pairs" in help_text
    assert "not the texts" in help_text and "an eighth of this machine's memory" in help_text
