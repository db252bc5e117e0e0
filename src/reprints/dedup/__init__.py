"""Deduplication: one copy of each document, with a reason for every one removed.

The pipeline, in the order a document meets it:

1. *Sketch* (process pool, batches of documents): token hashes
   (:meth:`reprints.text.Tokenizer.hashes_batch`), n-gram shingles and MinHash signatures
   (:mod:`reprints.minhash`), and a 128-bit hash of the normalised token stream for
   exact dedup. Workers also spool each document's output record and its shingles
   to files of their own, so the parent keeps only fixed-size arrays per document:
   memory grows with the number of documents, not with their text.
2. *Exact*: documents with the same token-stream hash are copies (whitespace, case,
   quotes and dashes do not count); only one of each group goes on to LSH.
3. *Near-duplicates*: LSH bands over the signatures give candidate pairs, which are
   verified against the true n-gram Jaccard read back from the shingle spool (in the
   pool), so precision does not depend on luck in the bands. Verified pairs and exact
   groups are joined into clusters (connected components, i.e. union-find).
4. *Keep*: in each cluster one document is kept by the keep policy (``first``,
   ``longest``, or the smallest value of a metadata field, e.g. the earliest
   ``date``); every other member is removed, naming the kept one and its Jaccard.
5. *Containment* (optional): the `find` engine aligns the kept documents; a document
   covered at least ``C`` by passages shared with one kept document is removed too.
   Documents are decided longest first, so the container is always kept before what
   it contains is judged.
6. *Repeats and boilerplate* (optional): passages a kept document repeats of itself
   (found by the `find` engine; only whole lines repeating whole lines, see
   :func:`repeat_cuts`) and boilerplate lines (:mod:`reprints.boilerplate`) are cut
   from the written text.

Every document read ends as exactly one of kept, removed (with a reason) or skipped
(with a reason: a text without a single word cannot be compared).

The package, by concept:

- :mod:`~reprints.dedup.options`: :class:`DedupOptions`, checked when built, and the
  LSH band policy;
- :mod:`~reprints.dedup.kernels`: the stages as functions on arrays (sketch, exact
  groups, LSH candidates, verification, keep rank, kept member of each cluster,
  removal reasons, containment removal, repeat cuts), knowing nothing of who runs them;
- :mod:`~reprints.dedup.decide`: those stages composed after sketching, the same code
  for every runner, and the run summary assembled;
- :mod:`~reprints.dedup.local`: the local runner (sketching and verification in a
  :class:`~reprints.runners.pool.WorkerPool`, records and shingles spooled to disk);
  :func:`reprints.runners.reference_dedup.dedup_batch` is the in-memory reference;
- :mod:`~reprints.dedup.records`, :mod:`~reprints.dedup.result`,
  :mod:`~reprints.dedup.summary`: record lines, the result and the summary.

The writers are in :mod:`reprints.output`.
"""

from reprints.dedup.kernels import (
    CONTAINED,
    EXACT,
    KEPT,
    NEAR,
    NO_WORDS,
    REMOVED,
    SKIPPED,
    repeat_cuts,
)
from reprints.dedup.local import dedup
from reprints.dedup.options import KEEP_POLICIES, PLAIN_WEIGHTS, VERIFY_WEIGHTS, DedupOptions
from reprints.dedup.records import document_of, record_line
from reprints.dedup.result import DedupResult, Removal
from reprints.dedup.summary import DedupSummary
from reprints.output import OUTPUT_SUFFIXES, output_format, write_documents
from reprints.output import write_dedup_outputs as write_outputs

__all__ = [
    "CONTAINED",
    "EXACT",
    "KEEP_POLICIES",
    "KEPT",
    "NEAR",
    "NO_WORDS",
    "OUTPUT_SUFFIXES",
    "PLAIN_WEIGHTS",
    "REMOVED",
    "SKIPPED",
    "VERIFY_WEIGHTS",
    "DedupOptions",
    "DedupResult",
    "DedupSummary",
    "Removal",
    "dedup",
    "document_of",
    "output_format",
    "record_line",
    "repeat_cuts",
    "write_documents",
    "write_outputs",
]
