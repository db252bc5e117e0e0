"""The Spark engine: `find` and `dedup` on an Apache Spark cluster (or ``local[*]``).

A runner like the local pool: it only moves data between the stage functions, which
run unchanged inside Spark's Python workers. pyspark is an optional dependency
(``pip install 'reprints[spark]'``); nothing here is imported by the rest of the
package, and :func:`reprints.spark.session.require_pyspark` says how to install it
when it is missing.
"""
