"""`find`, under the name callers have always imported it by.

The local runner lives in :mod:`reprints.runners.local`, the options and stage
functions it composes in :mod:`reprints.finding`.
"""

from __future__ import annotations

from reprints.finding import FindOptions, FindSummary
from reprints.pipeline import ProgressHook
from reprints.runners.local import FindResult, find

__all__ = ["FindOptions", "FindResult", "FindSummary", "ProgressHook", "find"]
