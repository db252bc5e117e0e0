"""One way to check settings, shared by every command's options object.

Each options dataclass lists its rules once (:func:`check`); a broken rule raises
:class:`OptionsError` naming the command-line flag of the field (``--min-tokens``),
so the CLI prints that one line and exits 2, and an API caller reads the same words.
:func:`from_args` builds an options object from parsed arguments by field name, so
no command maps its arguments to its options by hand.
"""

from __future__ import annotations

import argparse
import dataclasses
from collections.abc import Iterable
from typing import Any, TypeVar

Opts = TypeVar("Opts")


class OptionsError(ValueError):
    """Settings that cannot work (a negative gap, an n-gram of no tokens, ...)."""


def flag(name: str) -> str:
    """The command-line flag of an options field: ``min_tokens`` → ``--min-tokens``."""
    return "--" + name.replace("_", "-")


# A rule: (field name, its value, whether it holds, what it must be).
Rule = tuple[str, Any, bool, str]


def check(rules: Iterable[Rule]) -> None:
    """Raise one :class:`OptionsError` listing every rule that does not hold."""
    problems = [
        f"{flag(name)} must be {must} (got {value})" for name, value, ok, must in rules if not ok
    ]
    if problems:
        raise OptionsError("; ".join(problems))


def from_args(cls: type[Opts], args: argparse.Namespace, **overrides: Any) -> Opts:
    """An options dataclass from parsed arguments: every field that ``args`` has by the
    same name, then ``overrides`` (for flags that do not map one to one)."""
    assert dataclasses.is_dataclass(cls)
    values = {
        f.name: getattr(args, f.name)
        for f in dataclasses.fields(cls)
        if f.init and hasattr(args, f.name)
    }
    values.update(overrides)
    return cls(**values)
