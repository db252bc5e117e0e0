"""The ``reprints`` command: one subcommand per job, each in its own module here."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from reprints import __version__
from reprints.cli import compare, convert, dedup, find, index, query, serve
from reprints.cli.common import setup_logging
from reprints.cli.terminal import printable
from reprints.index import IndexError_
from reprints.options import OptionsError
from reprints.readers import InputError
from reprints.scratch import exit_on_sigterm, sweep_stale

# Each command module has ``register(subparsers)``, which adds its parser and sets
# ``func`` (args -> exit code) as the parser default.
COMMANDS = (find, compare, dedup, convert, index, query, serve)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="reprints",
        description="Find where text was copied: shared passages with offsets, "
        "near-duplicates, partial copies and internal repeats.",
    )
    parser.add_argument("--version", action="version", version=f"reprints {__version__}")
    parser.add_argument("-q", "--quiet", action="store_true", help="only print errors")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for command in COMMANDS:
        command.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    setup_logging(args.quiet)
    exit_on_sigterm()  # a terminated run still removes its scratch folder
    sweep_stale()  # ... and a killed one's is removed now
    try:
        code: int = args.func(args)
    except (InputError, OptionsError, IndexError_) as err:
        print(f"reprints: error: {printable(str(err))}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("reprints: interrupted", file=sys.stderr)
        return 130
    return code


if __name__ == "__main__":
    sys.exit(main())
