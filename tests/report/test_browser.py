"""The seeds' report.html opened in real headless Chromium (Debian's, never downloaded).

Skips cleanly when Chromium or the playwright package is absent. The screenshot is
saved beside the report (pytest's tmp_path; run with ``--basetemp`` to keep it).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tests.report.browser import chromium_page, run_colours
from tests.report.test_report import PARAGRAPHS

pytestmark = pytest.mark.browser

# Per side of the first pair: every highlighted run's text (its pieces joined,
# nested runs included) and colour group, as the browser renders them.
RUNS_JS = """
() => {
  const out = {};
  for (const side of document.querySelectorAll('#pair-0 .side')) {
    const runs = {};
    for (const el of side.querySelectorAll('.run')) {
      const id = el.dataset.run;
      runs[id] = runs[id] || {group: el.dataset.g, text: ''};
      runs[id].text += el.textContent;
    }
    out[side.dataset.side] = Object.values(runs);
  }
  return out;
}
"""


@pytest.fixture
def browser_page(tmp_path: Path):
    with chromium_page(tmp_path / "profile") as page:
        yield page


def test_seeds_report_in_chromium(seeds_dir: Path, tmp_path: Path, browser_page) -> None:
    from reprints.cli import main

    out = tmp_path / "out"
    assert main(["-q", "find", str(seeds_dir), "-o", str(out), "--workers", "1"]) == 0
    page = browser_page
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.goto((out / "report.html").as_uri(), wait_until="load")
    # Self-contained: the page fetched nothing but itself.
    assert requests == [(out / "report.html").as_uri()]

    runs = page.evaluate(RUNS_JS)
    whole = [r for r in runs["a"] if all(p in r["text"] for p in PARAGRAPHS)]
    assert len(whole) == 1  # the page holds the four paragraphs once...
    group = whole[0]["group"]
    copies = [r for r in runs["b"] if r["group"] == group]
    assert len(copies) == 2  # ...and the repost twice, in the same colour
    assert all(all(p in r["text"] for p in PARAGRAPHS) for r in copies)
    # Same colour on both sides, as rendered.
    background = run_colours(page, "#pair-0", group)
    assert len(background) == 3 and len(set(background)) == 1
    assert background[0] not in ("rgba(0, 0, 0, 0)", "transparent")

    shot = out / "report.png"
    page.locator("#pair-0").screenshot(path=str(shot))
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    page.screenshot(path=str(out / "report-top.png"))

    # Clicking the page's run outlines the repost's two copies.
    page.locator(f'#pair-0 .side[data-side="a"] .run[data-g="{group}"]').first.click()
    active = page.locator(f'#pair-0 .side[data-side="b"] .run.active[data-g="{group}"]')
    assert active.count() == 2

    keep = os.environ.get("REPRINTS_SCREENSHOTS")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        shutil.copy(shot, Path(keep) / "report-pair.png")
        shutil.copy(out / "report-top.png", Path(keep) / "report-top.png")
