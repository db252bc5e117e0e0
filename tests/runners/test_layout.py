"""The layout rule: a stage module never sees what runs it."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src" / "reprints"
STAGES = ["text", "boilerplate", "fingerprint", "candidates", "align", "seeds", "screen", "finding"]
# Runners and what only runners use (spools, pipeline plumbing), the CLI, the report, writers.
NOT_FOR_STAGES = tuple(
    f"reprints.{name}"
    for name in ("runners", "engine", "pipeline", "store", "cli", "api", "report", "output")
)


def _imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return names


@pytest.mark.parametrize("stage", STAGES)
def test_a_stage_imports_no_runner_cli_report_or_writer(stage: str) -> None:
    bad = {m for m in _imports(SRC / f"{stage}.py") if m.startswith(NOT_FOR_STAGES)}
    assert not bad, f"{stage}.py imports {sorted(bad)}"
