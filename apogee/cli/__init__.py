"""The `apogee` command: thin subcommands over the public API.

Each subcommand lives in its own module exposing `register(subparsers)`; this module only
assembles them, so subcommands never import each other.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

# Modules under apogee.cli that add subcommands; each defines `register(subparsers)`.
SUBCOMMAND_MODULES: tuple[str, ...] = ("studies", "bench")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="apogee", description="Black-box and bilevel optimization."
    )
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module_name in SUBCOMMAND_MODULES:
        importlib.import_module(f"apogee.cli.{module_name}").register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `apogee` console script; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.version:
        from apogee._version import __version__

        print(__version__)
        return 0
    if args.command is None:
        parser.print_help()
        return 2
    code: int = args.handler(args)
    return code


if __name__ == "__main__":
    sys.exit(main())
