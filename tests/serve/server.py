"""A real uvicorn server on a free loopback port, in a thread, for one test module."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from reprints.index import Index
from reprints.readers import read_documents
from tests.conftest import SEEDS

TOKEN = "s3cret-token"
HTML_ID = "<b>bold</b>&id"
HTML_TEXT = (
    "<script>window.pwned = true</script> Fortune tellers read the tea leaves in the "
    "old market square every single morning while the merchants count their coins."
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def seeds_index(folder: Path) -> Index:
    if not SEEDS.is_dir():
        pytest.skip("../shared/seeds is not present")
    index = Index.create(folder)
    index.add(read_documents([SEEDS]))
    from reprints.documents import Document

    index.add([Document(HTML_ID, HTML_TEXT)])
    return index


@contextmanager
def running(index: Index, max_bytes: int = 200_000, token: str | None = TOKEN) -> Iterator[str]:
    """Serve ``index`` until the block ends; yields the base URL."""
    uvicorn = pytest.importorskip("uvicorn")
    from reprints.serve.app import create_app

    port = free_port()
    config = uvicorn.Config(
        create_app(index, token=token, max_bytes=max_bytes),
        host="127.0.0.1",
        port=port,
        log_level="warning",
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=20)
