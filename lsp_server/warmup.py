"""Warm-up after ``initialized``: load the base model and index the workspace's existing tests in the background.

Why: the first request otherwise pays for both (about 10-20 s with the 42M model on a loaded CPU: loading the
weights, then mining the project's tests for retrieval), and the first thing a user does is ask for a test. The
work runs in the model thread, where every request that needs the model or the index runs anyway, so a request
that arrives during the warm-up waits for what it would have had to do itself. Listing code actions (tree-sitter
only, on the event loop) does not wait. Failures are only logged: the request that needs the model reports them.
"""

from __future__ import annotations

import logging
from pathlib import Path

from pygls.uris import to_fs_path

from customizer.errors import TestTailorError
from lsp_server.runtime import prepare_adapter
from lsp_server.server import TestTailorServer

logger = logging.getLogger(__name__)


def workspace_roots(ls: TestTailorServer) -> list[Path]:
    """The workspace folders (or the root of a single-folder client) as paths."""
    uris = [folder.uri for folder in ls.workspace.folders.values()]
    if not uris and ls.workspace.root_uri:
        uris = [ls.workspace.root_uri]
    return [Path(path) for uri in uris if (path := to_fs_path(uri))]


async def warm_up(ls: TestTailorServer) -> None:
    roots = workspace_roots(ls)

    def work() -> None:  # model thread
        generator = ls.generator()
        for root in roots:
            try:
                logger.info("warm-up: %d existing tests indexed in %s", generator.prepare_index(root), root)
            except TestTailorError as exc:  # not a git repository, no Java files: nothing to index
                logger.info("warm-up: %s not indexed: %s", root, exc.message)

    try:
        await ls.in_model_thread(work)
    except Exception as exc:  # a bad base model or device: the first request reports it the usual way
        logger.warning("warm-up failed: %s", exc)
        return
    for root in roots:  # a workspace already customized: its adapter's ONNX export, ready before it is asked for
        await prepare_adapter(ls, root, ls.settings.strategy)
