"""Hostile inputs too large for the test suite: decompression bombs, giant lines and pages.

    python benchmarks/hostile.py [--case NAME ...] [--limit-gb 8] [--gib 10]

Each case is built in a temporary folder beside a small folder of good documents, then
`reprints find CASE good/ -o out --workers 1` runs in a child process under an
address-space limit (`resource.setrlimit(RLIMIT_AS)`, the issue's `ulimit -v 8000000`).
The table gives per case the wall time, the child's peak RSS, the exit code and what
the reader reported (documents read; skipped and warned, by reason). Every case must
end with exit code 0, the good documents read, under 2 GB RSS and 60 s.

The bombs are built from pieces (a compressed member repeated: gzip, bzip2 and zstd
all read concatenated members as one stream), so 10 GiB of zeros costs seconds to
make. Everything is deleted afterwards.
"""

from __future__ import annotations

import argparse
import bz2
import gzip
import io
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import zstandard

GIB = 1 << 30
PIECE = 256 << 20  # bytes per compressed member the bombs repeat
GOOD = "The mill stood by the river for a hundred years, grinding wheat for the village."


def _repeat(path: Path, member: bytes, total: int, tail: bytes = b"") -> None:
    """``member`` (one compressed piece of PIECE bytes) repeated to ``total`` bytes."""
    with open(path, "wb") as out:
        for _ in range(max(1, total // PIECE)):
            out.write(member)
        out.write(tail)


def _gzip(data: bytes) -> bytes:
    return gzip.compress(data, 1)


def _zstd(data: bytes) -> bytes:
    return zstandard.ZstdCompressor(level=1).compress(data)


def zeros_gz(folder: Path, size: int) -> list[Path]:
    path = folder / "zero.txt.gz"
    _repeat(path, _gzip(bytes(PIECE)), size)
    return [path]


def zeros_bz2(folder: Path, size: int) -> list[Path]:
    path = folder / "zero.txt.bz2"
    _repeat(path, bz2.compress(bytes(PIECE), 9), size)
    return [path]


def words_gz(folder: Path, size: int) -> list[Path]:
    path = folder / "words.txt.gz"
    _repeat(path, _gzip(b"a " * (PIECE // 2)), size)
    return [path]


def line_jsonl_gz(folder: Path, size: int) -> list[Path]:
    """One JSON line of ``size`` bytes, then a good line that must still be read."""
    path = folder / "line.jsonl.gz"
    head = _gzip(b'{"id": "huge", "text": "')
    tail = _gzip(b'"}\n' + json.dumps({"id": "after", "text": GOOD}).encode() + b"\n")
    with open(path, "wb") as out:
        out.write(head)
    with open(path, "ab") as out:
        member = _gzip(b"a" * PIECE)
        for _ in range(max(1, size // PIECE)):
            out.write(member)
        out.write(tail)
    return [path]


def zeros_zst(folder: Path, size: int) -> list[Path]:
    """Was quadratic: 100 MB of zeros took 71 s. Read through as one long JSON line."""
    path = folder / "zero.jsonl.zst"
    head = _zstd(b'{"id": "z", "text": "')
    with open(path, "wb") as out:
        out.write(head)
        member = _zstd(b"0" * PIECE)
        for _ in range(max(1, size // PIECE)):
            out.write(member)
        out.write(_zstd(b'"}\n'))
    return [path]


def words_zst(folder: Path, size: int) -> list[Path]:
    path = folder / "words.txt.zst"
    _repeat(path, _zstd(b"a " * (PIECE // 2)), size)
    return [path]


def page(body: str) -> str:
    return f"<html><head><title>t</title></head><body>{body}</body></html>"


def html_100mb(folder: Path, size: int) -> list[Path]:
    para = f"<div class='c'><p>{GOOD} <a href='/x'>link</a></p></div>\n"
    path = folder / "big.html"
    path.write_text(page("<article>" + para * (100_000_000 // len(para)) + "</article>"))
    return [path]


def html_deep(folder: Path, size: int) -> list[Path]:
    path = folder / "deep.html"
    depth = 100_000
    path.write_text(page("<div>" * depth + f"<p>{GOOD}</p>" + "</div>" * depth))
    return [path]


def html_attribute(folder: Path, size: int) -> list[Path]:
    path = folder / "attribute.html"
    path.write_text(
        page(f'<div data-x="{"a" * 11_000_000}">x</div><article><p>{GOOD}</p></article>')
    )
    return [path]


def random_jsonl(folder: Path, size: int) -> list[Path]:
    path = folder / "random.jsonl"
    path.write_bytes(random.Random(0).randbytes(64 << 10))
    return [path]


def warc_gzip_body(folder: Path, size: int) -> list[Path]:
    """A WARC response whose HTTP body is a gzip bomb (Content-Encoding: gzip): one gzip
    member (HTTP bodies are one), a page whose text is followed by ``size`` spaces."""
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    packer = zlib.compressobj(1, zlib.DEFLATED, 31)  # 31: a gzip header
    parts = [packer.compress(page(f"<article><p>{GOOD}</p></article>").encode())]
    spaces = b" " * PIECE
    parts += [packer.compress(spaces) for _ in range(max(1, size // PIECE))]
    parts.append(packer.flush())
    path = folder / "bomb.warc.gz"
    with open(path, "wb") as out:
        writer = WARCWriter(out, gzip=True)
        http = StatusAndHeaders(
            "200 OK",
            [("Content-Type", "text/html; charset=utf-8"), ("Content-Encoding", "gzip")],
            protocol="HTTP/1.1",
        )
        payload = io.BytesIO(b"".join(parts))
        record = writer.create_warc_record(
            "https://bomb.example/", "response", payload=payload, http_headers=http
        )
        writer.write_record(record)
    return [path]


def _words(seed: int, count: int) -> str:
    rng = random.Random(seed)
    return " ".join(f"w{rng.randrange(50_000)}" for _ in range(count))


def copies_20000(folder: Path, size: int) -> list[Path]:
    """20,000 identical documents of 300 words: every anchor is over --max-df."""
    path = folder / "copies.jsonl"
    text = _words(1, 300)
    with open(path, "w") as out:
        for i in range(20_000):
            out.write(json.dumps({"id": f"copy{i:05d}", "text": text}) + "\n")
    return [path]


def long_quoted(folder: Path, size: int) -> list[Path]:
    """One document of 5,000,000 characters and 1,000 documents that each quote 150
    words of it: alignment must not be quadratic in the long side."""
    long_text = _words(2, 5_000_000 // 7)
    words = long_text.split()
    (folder / "long.txt").write_text(long_text)
    path = folder / "quotes.jsonl"
    rng = random.Random(3)
    with open(path, "w") as out:
        for i in range(1000):
            at = rng.randrange(len(words) - 150)
            quote = " ".join(words[at : at + 150])
            text = f"{_words(10 + i, 60)} {quote} {_words(5000 + i, 60)}"
            out.write(json.dumps({"id": f"quote{i:04d}", "text": text}) + "\n")
    return [folder / "long.txt", path]


CASES: dict[str, Callable[[Path, int], list[Path]]] = {
    "zeros.txt.gz": zeros_gz,
    "zeros.txt.bz2": zeros_bz2,
    "words.txt.gz": words_gz,
    "one-line.jsonl.gz": line_jsonl_gz,
    "zeros-line.jsonl.zst": zeros_zst,
    "words.txt.zst": words_zst,
    "page-100MB.html": html_100mb,
    "nested-100k.html": html_deep,
    "attribute-11MB.html": html_attribute,
    "random-64KiB.jsonl": random_jsonl,
    "gzip-body.warc.gz": warc_gzip_body,
    "copies-20000.jsonl": copies_20000,
    "long-5M+1000-quotes": long_quoted,
}


@dataclass
class Outcome:
    seconds: float
    rss_mb: float
    code: int
    summary: dict[str, object]
    input_bytes: int


def run(case: str, size: int, limit_gb: float) -> Outcome:
    with tempfile.TemporaryDirectory(prefix="reprints-hostile-") as folder:
        root = Path(folder)
        good = root / "good"
        good.mkdir()
        for i in range(3):
            (good / f"good{i}.txt").write_text(f"{GOOD} Copy {i}. " * 5)
        paths = CASES[case](root, size)
        out = root / "out"
        command = [sys.executable, "-m", "reprints", "-q", "find", *map(str, paths), str(good)]
        command += ["-o", str(out), "--workers", "1", "--no-report"]
        limit = int(limit_gb * GIB)

        def cap() -> None:
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

        start = time.perf_counter()
        child = subprocess.run(command, preexec_fn=cap, stderr=subprocess.PIPE, check=False)
        seconds = time.perf_counter() - start
        # Each case runs in its own interpreter (see main): its one child is the run.
        rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        stderr = child.stderr
        summary_path = out / "summary.json"
        summary = json.loads(summary_path.read_text()) if summary_path.exists() else {}
        if child.returncode and stderr:
            summary = {"error": stderr.decode(errors="replace").strip().splitlines()[-1]}
        return Outcome(
            seconds, rss, child.returncode, summary, sum(p.stat().st_size for p in paths)
        )


def _what(summary: dict[str, object]) -> str:
    if "error" in summary:
        return f"ERROR {summary['error']}"
    read = summary.get("input", {})
    assert isinstance(read, dict)
    parts = [f"read {read.get('read')}"]
    parts += [f"skipped {k}: {v}" for k, v in read.get("skipped", {}).items()]
    parts += [f"warned {k}: {v}" for k, v in read.get("warnings", {}).items()]
    if summary.get("pairs") or summary.get("exact_copies"):
        parts.append(f"pairs {summary.get('pairs')}, exact copies {summary.get('exact_copies')}")
    return "; ".join(parts)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--case", action="append", choices=sorted(CASES), help="run only these")
    parser.add_argument("--gib", type=float, default=10, help="decompressed size of the bombs")
    parser.add_argument("--limit-gb", type=float, default=8, help="address-space limit")
    parser.add_argument("--one", help=argparse.SUPPRESS)  # run one case in this process
    args = parser.parse_args()
    size = int(args.gib * GIB)
    if args.one:
        outcome = run(args.one, size, args.limit_gb)
        print(json.dumps(outcome.__dict__))
        return 0
    print(f"{'case':<22} {'input':>10} {'seconds':>8} {'peak RSS':>9} {'exit':>4}  outcome")
    failed = 0
    for case in args.case or list(CASES):
        # A fresh interpreter per case, so that the children's peak RSS is this case's.
        line = (
            subprocess.run(
                [
                    sys.executable,
                    __file__,
                    "--one",
                    case,
                    "--gib",
                    str(args.gib),
                    "--limit-gb",
                    str(args.limit_gb),
                ],
                capture_output=True,
                text=True,
                check=True,
            )
            .stdout.strip()
            .splitlines()[-1]
        )
        o = Outcome(**json.loads(line))
        ok = o.code == 0 and o.seconds < 60 and o.rss_mb < 2048
        failed += not ok
        print(
            f"{case:<22} {o.input_bytes / 1e6:>8.1f}MB {o.seconds:>8.1f} {o.rss_mb:>7.0f}MB "
            f"{o.code:>4}  {'' if ok else 'FAIL '}{_what(o.summary)}",
            flush=True,
        )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
