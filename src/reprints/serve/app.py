"""The HTTP service of ``reprints serve``: FastAPI over one :class:`~reprints.index.Index`.

JSON API (described at ``/openapi.json``, browsable at ``/docs``)::

    POST   /query            {"text": ..., "id"?: ..., "top"?: N}  → matches, best first
    GET    /documents/{id}   → {"id", "text", "meta"}
    POST   /documents        {"documents": [{"id", "text", "meta"?}, ...]}  (or one document)
    DELETE /documents/{id}
    GET    /health, /stats

Writing endpoints need ``Authorization: Bearer TOKEN`` with the server's ``--token``
(without one, writing is disabled). Request bodies over ``max_bytes`` get 413 before
they are read whole; every malformed request gets a 4xx whose message names what was
wrong. The web page (``/``, ``/browse``) is in :mod:`reprints.serve.page`.
"""

from __future__ import annotations

import hmac
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Header, HTTPException, Request
from fastapi.responses import HTMLResponse, JSONResponse
from pydantic import BaseModel, Field, StrictStr
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from reprints.documents import Document
from reprints.index import DuplicateId, Index, IndexBusy, query
from reprints.serve import page

DEFAULT_MAX_BYTES = 5_000_000  # the CLI default of --max-bytes


class QueryIn(BaseModel):
    text: StrictStr = Field(min_length=1, description="the text to look up")
    id: StrictStr = Field("query", description="a name for it in the answer")
    top: int = Field(10, ge=1, le=1000, description="matches returned at most")


class DocumentIn(BaseModel):
    id: StrictStr = Field(min_length=1)
    text: StrictStr = Field(min_length=1)
    meta: dict[str, Any] = Field(default_factory=dict)


class DocumentsIn(BaseModel):
    documents: list[DocumentIn] = Field(min_length=1)


class PairIn(BaseModel):
    text: StrictStr = Field(min_length=1)
    id: StrictStr = Field(min_length=1, description="the stored document to show beside it")


class BodyLimit:
    """ASGI middleware: 413 for a body over ``max_bytes``, by its Content-Length or,
    when chunked, as soon as the bytes received pass the cap."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._refuse(scope, receive, send)
            return
        seen = 0
        refused = False

        async def counted() -> Message:
            # Over the cap: answer 413 now and tell the app the client went away
            # (whatever it makes of that, its response is dropped below).
            nonlocal seen, refused
            if refused:
                return {"type": "http.disconnect"}
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.max_bytes:
                refused = True
                await self._refuse(scope, receive, send)
                return {"type": "http.disconnect"}
            return message

        async def unless_refused(message: Message) -> None:
            if not refused:
                await send(message)

        await self.app(scope, counted, unless_refused)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = JSONResponse(
            {"detail": f"request body over the server's limit of {self.max_bytes:,} bytes"},
            status_code=413,
        )
        await response(scope, receive, send)


def create_app(
    index: Index, token: str | None = None, max_bytes: int = DEFAULT_MAX_BYTES
) -> FastAPI:
    """The service for ``index``; ``token`` enables the writing endpoints."""
    app = FastAPI(
        title="reprints",
        description="Query an index of texts for copies, near-duplicates and shared passages.",
    )
    app.add_middleware(BodyLimit, max_bytes=max_bytes)

    def writer(authorization: Annotated[str | None, Header()] = None) -> None:
        if token is None:
            raise HTTPException(403, "writing is disabled: the server was started without --token")
        if authorization is None or not authorization.startswith("Bearer "):
            raise HTTPException(
                401,
                "missing bearer token (Authorization: Bearer TOKEN)",
                headers={"WWW-Authenticate": "Bearer"},
            )
        if not hmac.compare_digest(authorization[len("Bearer ") :].encode(), token.encode()):
            raise HTTPException(403, "wrong bearer token")

    @app.exception_handler(IndexBusy)
    async def busy(_: Request, err: IndexBusy) -> JSONResponse:
        return JSONResponse({"detail": str(err)}, status_code=409)

    @app.exception_handler(DuplicateId)
    async def duplicate(_: Request, err: DuplicateId) -> JSONResponse:
        return JSONResponse({"detail": str(err)}, status_code=409)

    @app.get("/health")
    def health() -> dict[str, Any]:
        with index.view() as (_, snap):
            return {"status": "ok", "documents": snap.documents, "version": snap.version}

    @app.get("/stats")
    def stats() -> dict[str, Any]:
        return index.stats()

    @app.post("/query")
    def post_query(body: QueryIn) -> dict[str, Any]:
        return query(index, Document(body.id, body.text), top=body.top).to_json()

    @app.get("/documents/{doc_id:path}")
    def get_document(doc_id: str) -> dict[str, Any]:
        doc = index.document(doc_id)
        if doc is None:
            raise HTTPException(404, f"no document with id {doc_id!r}")
        return {"id": doc.id, "text": doc.text, "meta": doc.meta}

    @app.post("/documents", status_code=201, dependencies=[Depends(writer)])
    def post_documents(body: DocumentsIn | DocumentIn) -> dict[str, Any]:
        items = body.documents if isinstance(body, DocumentsIn) else [body]
        report = index.add(Document(d.id, d.text, d.meta) for d in items)
        return {"added": report.added, "ids": [d.id for d in items]}

    @app.delete("/documents/{doc_id:path}", dependencies=[Depends(writer)])
    def delete_document(doc_id: str) -> dict[str, Any]:
        if index.remove([doc_id]):
            raise HTTPException(404, f"no document with id {doc_id!r}")
        return {"removed": doc_id}

    # --- the web page ---------------------------------------------------------------

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def home() -> str:
        with index.view() as (_, snap):
            return page.home_page(snap.documents)

    @app.post("/ui/matches", response_class=HTMLResponse, include_in_schema=False)
    def ui_matches(body: QueryIn) -> str:
        return page.matches_fragment(query(index, Document(body.id, body.text), top=body.top))

    @app.post("/ui/pair", response_class=HTMLResponse, include_in_schema=False)
    def ui_pair(body: PairIn) -> str:
        doc = index.document(body.id)
        found = query(index, Document("query", body.text), top=None)
        match = next((m for m in found.matches if m.id == body.id), None)
        if doc is None or match is None:
            raise HTTPException(404, f"no match with id {body.id!r}")
        muted = (
            index.boilerplate_spans(Document("query", body.text)),
            index.boilerplate_spans(Document(doc.id, doc.text, doc.meta)),
        )
        return page.pair_fragment(body.text, doc, match, index.tokenizer(), muted)

    @app.get("/browse", response_class=HTMLResponse, include_in_schema=False)
    def browse() -> str:
        with index.view() as (conn, snap):
            top = snap.most_shared(50)
            ids = index.ids_of(conn, [num for num, _ in top])
        return page.browse_page([(ids[num], shared) for num, shared in top if num in ids])

    @app.get("/ui/document/{doc_id:path}", response_class=HTMLResponse, include_in_schema=False)
    def ui_document(doc_id: str) -> str:
        doc = index.document(doc_id)
        if doc is None:
            raise HTTPException(404, f"no document with id {doc_id!r}")
        return page.document_page(doc, query(index, Document(doc.id, doc.text, doc.meta), top=50))

    return app
