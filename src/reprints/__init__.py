"""reprints: find where text was copied.

The pipeline, one module per stage::

    readers → text (normalise, tokenise with offsets) → fingerprint (n-gram hashes,
    winnowing) → candidates (anchor index) → align (passages) → group → output

The public entry points live in :mod:`reprints.api`.
"""

from reprints.documents import Document

__version__ = "0.1.0"

__all__ = ["Document", "__version__"]
