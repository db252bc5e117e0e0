"""The HTTP API on a real server: answers, every 4xx, and a bounded load test."""

from __future__ import annotations

import statistics
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import NEWS_PAGE, REPOST, SEEDS
from tests.serve.server import HTML_ID, TOKEN, running, seeds_index

httpx = pytest.importorskip("httpx")
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    index = seeds_index(tmp_path_factory.mktemp("serve") / "ix")
    with running(index) as url:
        yield url


@pytest.fixture(scope="module")
def client(base: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=base, timeout=30) as c:
        yield c


def repost_text() -> str:
    return (SEEDS / REPOST).read_text(encoding="utf-8")


def test_health_stats_openapi(client: httpx.Client) -> None:
    assert client.get("/health").json()["status"] == "ok"
    assert client.get("/stats").json()["documents"] == 3
    paths = client.get("/openapi.json").json()["paths"]
    assert {"/query", "/documents", "/documents/{doc_id}", "/health", "/stats"} <= set(paths)


def test_query_finds_the_news_page(client: httpx.Client) -> None:
    answer = client.post("/query", json={"text": repost_text(), "id": "pasted"}).json()
    kinds = {m["id"]: m["kind"] for m in answer["matches"]}
    assert kinds == {REPOST: "exact", NEWS_PAGE: "contained"}
    page = next(m for m in answer["matches"] if m["id"] == NEWS_PAGE)
    assert len(page["passages"]) == 4


def test_get_document(client: httpx.Client) -> None:
    doc = client.get(f"/documents/{NEWS_PAGE}").json()
    assert doc["id"] == NEWS_PAGE and doc["text"] == (SEEDS / NEWS_PAGE).read_text("utf-8")
    assert (
        client.get("/documents/" + httpx.URL(f"/{HTML_ID}").raw_path.decode()[1:]).json()["id"]
        == HTML_ID
    )


def test_add_query_delete(client: httpx.Client) -> None:
    text = repost_text().replace("Suleimani", "Soleimani")
    created = client.post("/documents", json={"id": "api-doc", "text": text}, headers=AUTH)
    assert created.status_code == 201 and created.json()["added"] == 1
    batch = {"documents": [{"id": "api-b1", "text": "x " * 5}, {"id": "api-b2", "text": "y z"}]}
    assert client.post("/documents", json=batch, headers=AUTH).json()["added"] == 2
    ids = {m["id"] for m in client.post("/query", json={"text": text}).json()["matches"]}
    assert "api-doc" in ids
    assert (
        client.post("/documents", json={"id": "api-doc", "text": "again"}, headers=AUTH).status_code
        == 409
    )
    for doc_id in ("api-doc", "api-b1", "api-b2"):
        assert client.delete(f"/documents/{doc_id}", headers=AUTH).status_code == 200
    ids = {m["id"] for m in client.post("/query", json={"text": text}).json()["matches"]}
    assert "api-doc" not in ids


@pytest.mark.parametrize(
    ("method", "path", "kwargs", "status", "message"),
    [
        (
            "post",
            "/query",
            {"content": b"not json", "headers": {"Content-Type": "application/json"}},
            422,
            "JSON",
        ),
        ("post", "/query", {"json": {"id": "x"}}, 422, "text"),
        ("post", "/query", {"json": {"text": 42}}, 422, "string"),
        ("post", "/query", {"json": {"text": "a", "top": "many"}}, 422, "integer"),
        ("post", "/query", {"json": {"text": "a", "top": 0}}, 422, "top"),
        ("post", "/query", {"json": {"text": ""}}, 422, "text"),
        ("post", "/query", {"json": ["text"]}, 422, ""),
        ("post", "/query", {"json": {"text": "a" * 300_000}}, 413, "limit"),
        ("get", "/documents/no-such-id", {}, 404, "no-such-id"),
        ("delete", "/documents/no-such-id", {"headers": AUTH}, 404, "no-such-id"),
        ("post", "/documents", {"json": {"id": "a", "text": "b"}}, 401, "missing bearer"),
        ("delete", f"/documents/{NEWS_PAGE}", {}, 401, "missing bearer"),
        (
            "post",
            "/documents",
            {"json": {"id": "a", "text": "b"}, "headers": {"Authorization": "Bearer nope"}},
            403,
            "wrong",
        ),
        (
            "delete",
            f"/documents/{NEWS_PAGE}",
            {"headers": {"Authorization": "Basic abc"}},
            401,
            "bearer",
        ),
        ("post", "/documents", {"json": {"documents": []}, "headers": AUTH}, 422, "documents"),
        ("post", "/documents", {"json": {"id": "a", "text": 3}, "headers": AUTH}, 422, "text"),
        ("post", "/ui/pair", {"json": {"text": "hello", "id": "no-such-id"}}, 404, "no-such-id"),
    ],
)
def test_malformed_requests_get_a_4xx_with_a_message(
    client: httpx.Client, method: str, path: str, kwargs: dict, status: int, message: str
) -> None:
    response = getattr(client, method)(path, **kwargs)
    assert response.status_code == status, response.text
    assert message in response.text
    assert client.get(f"/documents/{NEWS_PAGE}").status_code == 200  # nothing was removed


def test_chunked_body_over_the_limit(client: httpx.Client) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"text": "'
        for _ in range(30):
            yield b"a" * 10_000
        yield b'"}'

    response = client.post("/query", content=chunks(), headers={"Content-Type": "application/json"})
    assert response.status_code == 413


def test_writing_disabled_without_token(tmp_path: Path) -> None:
    with running(seeds_index(tmp_path / "ix"), token=None) as url:
        response = httpx.post(url + "/documents", json={"id": "a", "text": "b"}, headers=AUTH)
    assert response.status_code == 403 and "--token" in response.text


def load(base: str, seconds: float, clients: int = 8) -> tuple[list[float], dict[int, int]]:
    """``clients`` threads posting queries for ``seconds``: latencies and status counts."""
    texts = [
        repost_text(),
        "A text that matches nothing in this index at all, surely.",
        (SEEDS / NEWS_PAGE).read_text("utf-8"),
    ]
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def run(k: int) -> None:
        with httpx.Client(base_url=base, timeout=30) as c:
            i = k
            while time.monotonic() < stop:
                started = time.perf_counter()
                r = c.post("/query", json={"text": texts[i % len(texts)]})
                elapsed = time.perf_counter() - started
                with lock:
                    latencies.append(elapsed)
                    statuses[r.status_code] = statuses.get(r.status_code, 0) + 1
                i += 1

    threads = [threading.Thread(target=run, args=(k,)) for k in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return latencies, statuses


def test_bounded_load(base: str) -> None:
    """The issue's load test: 8 clients on loopback for 20 s, no 5xx."""
    latencies, statuses = load(base, seconds=20.0)
    assert latencies and not [s for s in statuses if s >= 500], statuses
    assert set(statuses) == {200}
    cuts = statistics.quantiles(latencies, n=100)
    p50, p99 = cuts[49] * 1e3, cuts[98] * 1e3
    print(f"8 clients, 20 s: {len(latencies)} queries, p50 {p50:.1f} ms, p99 {p99:.1f} ms")
