"""The HTML report of a `find` run: report.html, self-contained (see :mod:`.build`)."""

from reprints.report.build import render_report, showcase, top_pairs, write_report

__all__ = ["render_report", "showcase", "top_pairs", "write_report"]
