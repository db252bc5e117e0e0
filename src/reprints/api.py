"""The importable API: what the CLI calls and what users call.

Find shared passages (``reprints find``)::

    from reprints.api import FindOptions, find, read_documents
    with find(read_documents(["corpus/"]), FindOptions(min_tokens=20)) as result:
        for pair in result.pairs:
            print(pair.a, pair.b, pair.containment_a, pair.containment_b)

Deduplicate (``reprints dedup``)::

    from reprints.api import DedupOptions, dedup, read_documents, write_dedup_outputs
    with dedup(read_documents(["corpus/"]), DedupOptions(containment=0.8)) as result:
        write_dedup_outputs(result, "deduplicated.jsonl")

Two documents (``reprints compare``): :func:`compare`; one document's own repeats:
:func:`internal_repeats`; site and line boilerplate: :class:`BoilerplateDetector`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from reprints.align import Admission, pair_of, repeats_of
from reprints.boilerplate import BoilerplateDetector, BoilerplateMarker, mark_tokens
from reprints.dedup import DedupOptions, DedupResult, dedup
from reprints.dedup import write_outputs as write_dedup_outputs
from reprints.documents import Document, Pair, SelfRepeats
from reprints.finding import Findings, FindOptions
from reprints.fingerprint import usable_ngrams
from reprints.output import write_find_outputs
from reprints.pipeline import ProgressHook
from reprints.readers import ReadLog, ReadOptions, read_documents
from reprints.runners.local import FindResult, find
from reprints.runners.reference import find_batch
from reprints.text import Tokenizer

__all__ = [
    "BoilerplateDetector",
    "BoilerplateMarker",
    "DedupOptions",
    "DedupResult",
    "Document",
    "FindOptions",
    "FindResult",
    "Findings",
    "Pair",
    "ProgressHook",
    "ReadLog",
    "ReadOptions",
    "SelfRepeats",
    "compare",
    "dedup",
    "find",
    "find_batch",
    "internal_repeats",
    "read_documents",
    "write_dedup_outputs",
    "write_find_outputs",
    "write_groups_and_report",
]


def compare(
    a: Document,
    b: Document,
    options: FindOptions | None = None,
    boilerplate: BoilerplateDetector | BoilerplateMarker | None = None,
) -> Pair | None:
    """The passages two documents share, or None: `find` on a collection of two.

    With ``boilerplate`` (a detector that has observed both documents, and any others
    it should count lines over, or a marker made from such counts), the text it marks
    is kept out of pairing.
    """
    params = (options or FindOptions()).align_params()
    tokenizer = Tokenizer()
    ta, tb = tokenizer.tokenize(a.text), tokenizer.tokenize(b.text)
    if boilerplate is not None:
        marker = (
            boilerplate.marker() if isinstance(boilerplate, BoilerplateDetector) else boilerplate
        )
        ta = mark_tokens(ta, marker.spans(a))
        tb = mark_tokens(tb, marker.spans(b))
    admission = Admission(usable_ngrams(ta, params.ngram))
    return pair_of(a.id, b.id, ta, tb, admission, params)


def internal_repeats(doc: Document, options: FindOptions | None = None) -> SelfRepeats | None:
    """The passages of one document that repeat an earlier passage of its own."""
    params = (options or FindOptions()).align_params()
    tokens = Tokenizer().tokenize(doc.text)
    return repeats_of(doc.id, tokens, Admission.everything(tokens, params.ngram), params)


def write_groups_and_report(
    result: FindResult,
    out_dir: str | Path,
    summary: dict[str, Any] | None = None,
    report: bool = True,
    top_n: int = 20,
) -> dict[str, Any]:
    """Write clusters.jsonl and documents.jsonl and, unless ``report`` is False,
    report.html (each atomically; call inside the ``with find(...)`` block, while
    ``result.texts`` is readable). Returns the grouping figures, with the seconds
    spent added to ``summary["seconds"]`` as ``group`` and ``report``, to merge into
    summary.json."""
    import time

    from reprints.group import build_groups, save_groups

    out = Path(out_dir)
    started = time.perf_counter()
    groups = build_groups(result.pairs, result.doc_ids, result.meta, result.texts)
    save_groups(out, groups)
    figures: dict[str, Any] = dict(groups.summary)
    seconds = dict((summary or result.summary).get("seconds") or {})
    seconds["group"] = round(time.perf_counter() - started, 3)
    if report:
        from reprints.report import write_report  # matplotlib: imported only when needed

        started = time.perf_counter()
        page_summary = {**result.summary, **(summary or {}), **figures, "seconds": seconds}
        write_report(
            out,
            result.pairs,
            result.repeats,
            result.doc_ids,
            result.meta,
            result.texts,
            page_summary,
            top_n=top_n,
            groups=groups,
        )
        seconds["report"] = round(time.perf_counter() - started, 3)
    figures["seconds"] = seconds
    return figures
