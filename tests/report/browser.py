"""Opening report.html in headless Chromium: for the browser test and report_bench.py.

Uses Debian's Chromium (never a browser downloaded by playwright) through the
playwright package (the ``test`` extra), with flags that keep it off the network
(no component updates, sync or background requests) and a fresh profile.
"""

from __future__ import annotations

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
