"""The importable API works as its module docstring shows."""

from __future__ import annotations

import json
from pathlib import Path

import reprints.api as api

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def test_every_name_in_all_is_importable() -> None:
    for name in api.__all__:
        assert getattr(api, name) is not None, name


def test_find_then_dedup_on_the_examples(tmp_path: Path) -> None:
    with api.find(api.read_documents([EXAMPLES]), api.FindOptions(workers=1)) as result:
        contained = {p.a for p in result.pairs if p.containment_a >= 0.8}
        contained |= {p.b for p in result.pairs if p.containment_b >= 0.8}
    assert contained == {"blog/tidewater-notes-lens.txt", "wire/coastal-wire-0302-lens.txt"}

    options = api.DedupOptions(containment=0.8, workers=1)
    with api.dedup(api.read_documents([EXAMPLES]), options) as result:
        summary = api.write_dedup_outputs(result, tmp_path / "kept.jsonl")
    assert summary.removed == {"contained": 2}
    kept = [json.loads(line)["id"] for line in (tmp_path / "kept.jsonl").open()]
    assert "harbor-gazette/2026-03-02-lighthouse-lens.txt" in kept and len(kept) == 4
