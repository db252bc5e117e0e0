"""The web page in real headless Chromium (Debian's, never downloaded): paste the
repost, click the match, see the shared paragraphs in matching colours on both
sides; ids and texts holding HTML shown as text."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from tests.conftest import NEWS_PAGE, REPOST, SEEDS
from tests.report.browser import chromium_page, run_colours
from tests.report.test_browser import RUNS_JS
from tests.report.test_report import PARAGRAPHS
from tests.serve.server import HTML_ID, HTML_TEXT, running, seeds_index

pytestmark = pytest.mark.browser

VIEW_RUNS_JS = RUNS_JS.replace("#pair-0", "#pair-view")


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    index = seeds_index(tmp_path_factory.mktemp("browser") / "ix")
    with running(index) as url:
        yield url


@pytest.fixture
def page(tmp_path: Path) -> Iterator[Any]:
    with chromium_page(tmp_path / "profile") as page:
        yield page


def _look_up(page: Any, base: str, text: str) -> None:
    page.goto(base + "/", wait_until="load")
    page.fill("#text", text)
    page.click("#go")
    page.wait_for_selector("#match-table, #matches p")


def test_paste_the_repost_and_see_the_news_page(base: str, page: Any, tmp_path: Path) -> None:
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    _look_up(page, base, (SEEDS / REPOST).read_text(encoding="utf-8"))
    rows = page.locator("#match-table tbody tr")
    assert [rows.nth(k).get_attribute("data-doc") for k in range(rows.count())] == [
        REPOST,
        NEWS_PAGE,
    ]
    assert "contained" in rows.nth(1).inner_text()
    page.locator(f'tr[data-doc="{NEWS_PAGE}"]').click()
    page.wait_for_selector("#pair-view")

    runs = page.evaluate(VIEW_RUNS_JS)
    # The news page (side b) holds the four paragraphs once, the repost (a) twice:
    # the same colour on both sides.
    whole = [r for r in runs["b"] if all(p in r["text"] for p in PARAGRAPHS)]
    assert len(whole) == 1
    group = whole[0]["group"]
    copies = [r for r in runs["a"] if r["group"] == group]
    assert len(copies) == 2 and all(all(p in r["text"] for p in PARAGRAPHS) for r in copies)
    colours = run_colours(page, "#pair-view", group)
    assert len(colours) == 3 and len(set(colours)) == 1
    assert colours[0] not in ("rgba(0, 0, 0, 0)", "transparent")
    # The news page's boilerplate lines (its "Latest news" teaser list) are greyed,
    # and no shared passage runs into them.
    grey = page.locator('#pair-view .side[data-side="b"] .bp')
    assert grey.count() > 0 and grey.locator(".run").count() == 0
    assert (
        page.evaluate("""() => getComputedStyle(document.querySelector('#pair-view .bp')).color""")
        == "rgb(154, 160, 170)"
    )
    # Nothing fetched from anywhere but the server.
    assert all(url.startswith(base) for url in requests)

    shot = tmp_path / "serve-pair.png"
    page.locator("#pair-view").screenshot(path=str(shot))
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    keep = os.environ.get("REPRINTS_SCREENSHOTS")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        shutil.copy(shot, Path(keep) / "serve-pair.png")


def test_html_in_ids_and_texts_is_shown_as_text(base: str, page: Any) -> None:
    _look_up(page, base, HTML_TEXT)
    row = page.locator("#match-table tbody tr").first
    assert row.get_attribute("data-doc") == HTML_ID
    assert row.locator("td").first.inner_text() == HTML_ID
    assert page.locator("#match-table b").count() == 0
    row.click()
    page.wait_for_selector("#pair-view")
    assert "<script>window.pwned = true</script>" in page.locator("#pair-view").inner_text()
    assert page.locator("#pair-view script").count() == 0
    assert page.evaluate("() => window.pwned === undefined")
    page.goto(base + "/ui/document/" + quote(HTML_ID, safe=""), wait_until="load")
    shown = page.locator("main").inner_text()
    assert HTML_ID in page.title() and HTML_TEXT in shown
    assert page.locator("main b").count() == 0 and page.locator("main script").count() == 0
    assert page.evaluate("() => window.pwned === undefined")
