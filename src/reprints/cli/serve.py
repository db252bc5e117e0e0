"""`reprints serve`: the index over HTTP (FastAPI on uvicorn), with a web page at /."""

from __future__ import annotations

import argparse
import ipaddress
import socket

from reprints.index import Index
from reprints.readers import InputError

DEFAULT_MAX_BYTES = 5_000_000


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "serve",
        help="serve an index over HTTP: JSON API and a web page with a side-by-side view",
        description="Serve an index: POST /query, GET/POST/DELETE /documents, /health, "
        "/stats, OpenAPI at /docs, and a web page at /. Needs the serve extra: "
        "pip install 'reprints[serve]'.",
    )
    parser.add_argument("--index", required=True, metavar="DIR", help="the index folder")
    parser.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default: loopback)"
    )
    parser.add_argument("--port", type=int, default=8000, help="port (default: 8000)")
    parser.add_argument(
        "--token",
        default=None,
        help="bearer token required by the writing endpoints (without one they are disabled; "
        "required to listen on a non-loopback address)",
    )
    parser.add_argument(
        "--max-bytes",
        type=int,
        default=DEFAULT_MAX_BYTES,
        help=f"largest request body accepted (default: {DEFAULT_MAX_BYTES:,})",
    )
    parser.set_defaults(func=run)


def is_loopback(host: str) -> bool:
    """Whether ``host`` names only loopback addresses."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        try:
            infos = socket.getaddrinfo(host, None)
        except OSError:
            return False
        return all(ipaddress.ip_address(info[4][0]).is_loopback for info in infos)


def run(args: argparse.Namespace) -> int:
    if not is_loopback(args.host) and not args.token:
        raise InputError(
            f"refusing to listen on {args.host}, not a loopback address, without --token"
        )
    if args.max_bytes < 1:
        raise InputError(f"--max-bytes must be at least 1 (got {args.max_bytes})")
    try:
        import uvicorn

        from reprints.serve.app import create_app
    except ImportError as err:
        raise InputError(
            f"reprints serve needs the serve extra ({err.name} is missing): "
            "pip install 'reprints[serve]'"
        ) from None
    app = create_app(Index(args.index), token=args.token, max_bytes=args.max_bytes)
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning" if args.quiet else "info")
    return 0
