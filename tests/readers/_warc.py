"""Writing small WARC files with warcio, for the reader tests."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter


@dataclass(frozen=True)
class Response:
    """An HTTP response to archive: url, body, Content-Type, status, record id."""

    url: str
    body: bytes
    content_type: str = "text/html; charset=utf-8"
    status: str = "200 OK"
    record_id: str | None = None
    headers: list[tuple[str, str]] = field(default_factory=list)


def warc_bytes(responses: list[Response], gzip: bool = True, extras: bool = True) -> bytes:
    """A WARC file: a warcinfo record, then per response a request and the response."""
    return warc_and_ends(responses, gzip, extras)[0]


def warc_and_ends(
    responses: list[Response], gzip: bool = True, extras: bool = True
) -> tuple[bytes, list[int]]:
    """:func:`warc_bytes`, and the offset in it where each response record ends."""
    ends = []
    out = io.BytesIO()
    writer = WARCWriter(out, gzip=gzip)
    if extras:
        writer.write_record(writer.create_warcinfo_record("test.warc", {"software": "tests"}))
    for r in responses:
        if extras:
            request = StatusAndHeaders(
                "GET / HTTP/1.1", [("Host", "example")], is_http_request=True
            )
            writer.write_record(writer.create_warc_record(r.url, "request", http_headers=request))
        http = StatusAndHeaders(
            r.status, [("Content-Type", r.content_type), *r.headers], protocol="HTTP/1.1"
        )
        warc_headers = {"WARC-Record-ID": r.record_id} if r.record_id else None
        record = writer.create_warc_record(
            r.url,
            "response",
            payload=io.BytesIO(r.body),
            http_headers=http,
            warc_headers_dict=warc_headers,
        )
        writer.write_record(record)
        ends.append(out.tell())
    return out.getvalue(), ends


def write_warc(path: Path, responses: list[Response], gzip: bool | None = None) -> Path:
    path.write_bytes(warc_bytes(responses, gzip=path.suffix == ".gz" if gzip is None else gzip))
    return path
