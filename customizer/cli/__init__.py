"""``testtailor`` command line: one module per subcommand, each with ``register(subparsers)``.

Every subcommand has ``--help``, prints human output by default and JSON with ``--json``.
User errors (:class:`customizer.errors.TestTailorError`) become one line on stderr and a distinct exit code.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

from customizer import __version__
from customizer.errors import TestTailorError

# Subcommand modules, in the order they appear in --help. A module that is not there yet is skipped.
COMMANDS = ("mine", "customize", "generate", "strategies", "adapters", "evaluate", "corpus", "base_model")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="testtailor",
        description="Personalized JUnit test generation: mine your project's tests, customize a small "
        "model to them on your machine, generate tests for the method under the cursor.",
    )
    parser.add_argument("--version", action="version", version=f"testtailor {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        try:
            module = importlib.import_module(f"customizer.cli.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"customizer.cli.{name}":
                continue
            raise
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    # Library chatter (weight-loading bars, sequence-length warnings about inputs we truncate) is not for users.
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except TestTailorError as exc:
        print(f"testtailor: error: {exc.message}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("testtailor: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
