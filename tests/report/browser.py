"""Opening report.html in headless Chromium: for the browser test and report_bench.py.

Uses Debian's Chromium (never a browser downloaded by playwright) through the
playwright package (the ``test`` extra), with flags that keep it off the network
(no component updates, sync or background requests) and a fresh profile.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
)


def launch(playwright: Any, profile: Path, executable: Path = CHROMIUM) -> Any:
    """A persistent Chromium context on a fresh ``profile`` folder (1400×1000 pixels)."""
    return playwright.chromium.launch_persistent_context(
        str(profile),
        executable_path=str(executable),
        args=list(CHROMIUM_ARGS),
        headless=True,
        viewport={"width": 1400, "height": 1000},
    )


@contextlib.contextmanager
def chromium_page(profile: Path) -> Iterator[Any]:
    """A page of a fresh Chromium context, for a test: skips the test when Chromium
    or the playwright package is absent."""
    import pytest

    if not CHROMIUM.exists():
        pytest.skip("Chromium is not installed at /usr/bin/chromium")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        context = launch(playwright, profile)
        try:
            yield context.new_page()
        finally:
            context.close()


def run_colours(page: Any, view: str, group: str) -> list[str]:
    """The rendered background colour of every run of passage ``group`` inside the
    side-by-side view ``view`` (a CSS selector: ``#pair-0`` in the report,
    ``#pair-view`` on the service's page)."""
    colours: list[str] = page.evaluate(
        """([view, g]) => [...document.querySelectorAll(view + ' .side > .text > .run')]
              .filter(el => el.dataset.g === g)
              .map(el => getComputedStyle(el).backgroundColor)""",
        [view, group],
    )
    return colours
