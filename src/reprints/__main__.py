"""``python -m reprints``: the same as the ``reprints`` command."""

import sys

from reprints.cli import main

sys.exit(main())
