"""``--engine spark`` is checked before anything is read: without pyspark it names the
install command, and a malformed ``--conf`` is a usage error (no Spark is started)."""

from __future__ import annotations

from pathlib import Path

import pytest

from reprints.cli import main
from reprints.spark import session

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


@pytest.mark.parametrize("command", ["find", "dedup"])
def test_without_pyspark_the_engine_says_how_to_install_it(
    command: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr(session.importlib.util, "find_spec", lambda name: None)
    out = tmp_path / ("out" if command == "find" else "kept.jsonl")
    assert main([command, str(EXAMPLES), "-o", str(out), "--engine", "spark"]) == 2
    assert "pip install 'reprints[spark]'" in capsys.readouterr().err
    assert not out.exists()


def test_a_conf_without_a_value_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("pyspark")
    args = ["find", str(EXAMPLES), "-o", str(tmp_path / "out"), "--engine", "spark"]
    assert main([*args, "--conf", "spark.executor.memory"]) == 2
    assert "--conf must be key=value" in capsys.readouterr().err
