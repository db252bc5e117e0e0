"""``reprints serve``: the index over HTTP, with a web page (needs the ``serve`` extra)."""
