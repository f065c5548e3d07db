"""``testtailor-lsp`` / ``python -m lsp_server``: start the language server (stdio by default)."""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import sys
from collections.abc import Sequence
from typing import NoReturn

from lsp_server import __version__


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="testtailor-lsp", description="TestTailor language server.")
    parser.add_argument("--version", action="version", version=f"testtailor-lsp {__version__}")
    parser.add_argument("--stdio", action="store_true", help="talk over stdin/stdout (the default)")
    parser.add_argument("--tcp", action="store_true", help="listen on a TCP port instead of stdio")
    parser.add_argument("--host", default="127.0.0.1", help="TCP host (default: 127.0.0.1)")
    parser.add_argument("--port", type=int, default=2087, help="TCP port (default: 2087)")
    parser.add_argument("--log-file", help="write the server log to this file")
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug messages")
    return parser


def main(argv: Sequence[str] | None = None) -> NoReturn:
    args = build_parser().parse_args(argv)
    # offline, and no library progress bars on stderr (editors show the server's stderr as its log)
    for key, value in (("HF_HUB_OFFLINE", "1"), ("TRANSFORMERS_OFFLINE", "1"), ("TOKENIZERS_PARALLELISM", "false"),
                       ("TRANSFORMERS_VERBOSITY", "error"), ("HF_HUB_DISABLE_PROGRESS_BARS", "1")):
        os.environ.setdefault(key, value)
    logging.basicConfig(filename=args.log_file, level=logging.DEBUG if args.verbose else logging.WARNING,
                        format="%(asctime)s %(name)s %(levelname)s %(message)s")
    from lsp_server.server import create_server

    server = create_server()
    if args.tcp:
        server.start_tcp(args.host, args.port)
    else:
        server.start_io()
    leave_now()


def leave_now() -> NoReturn:
    """End the process once the server has stopped, without waiting for the model thread.

    A generation or the start-up warm-up may still run there, and the interpreter's normal exit would join it:
    up to tens of seconds after the editor said ``exit`` (and an editor kills a server that lingers). Nothing is
    lost by not waiting: the model thread writes no files, a customization runs in its own process (stopping
    the server sent it SIGTERM, after which it keeps its best adapter), ONNX exports are built in a temporary
    folder and renamed into place (a half-built one is removed later), and validation's test JVMs are killed
    here, since nothing would enforce their time limit once this process is gone.
    """
    sandbox = sys.modules.get("customizer.validation.sandbox")  # not imported: nothing was validated
    killed = sandbox.kill_running() if sandbox is not None else 0
    if killed:
        logging.getLogger(__name__).info("killed %d running validation command(s) on exit", killed)
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # the client may have closed the pipe already
            stream.flush()
    os._exit(0)


if __name__ == "__main__":
    raise SystemExit(main())
