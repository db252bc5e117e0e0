"""Runners: code that moves data between the stages and never computes results itself.

The stage modules (:mod:`reprints.text`, :mod:`reprints.boilerplate`,
:mod:`reprints.fingerprint`, :mod:`reprints.candidates`, :mod:`reprints.align`,
:mod:`reprints.finding` (find's steps composed),
:mod:`reprints.group`, :mod:`reprints.minhash`, the dedup kernels) are pure functions
on a batch with every input explicit; they import nothing from here. A runner decides
where a stage runs (in-process, a process pool, later an index or Spark) and is held
equal to the in-memory reference runner.
"""
