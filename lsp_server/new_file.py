"""``testtailor.createTestFile``: write a new test file for clients that cannot create files through an edit.

A client that does not advertise ``workspace.workspaceEdit.documentChanges`` with the ``create`` resource
operation cannot apply "create this file" (``changes`` only edits existing documents). For those clients the
resolved code action carries this command instead of an edit: the client runs it only when the user picks the
action, and the server then writes the file itself (never over an existing file, never outside the workspace)
and asks the client to show it at the new test (``window/showDocument``, where supported).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from lsprotocol import types
from pygls.exceptions import JsonRpcInvalidParams
from pygls.uris import to_fs_path

from customizer.errors import StorageError, TestTailorError, UnsafeTestPathError
from lsp_server import convert
from lsp_server.commands import raise_reported, single_argument
from lsp_server.convert import CREATE_TEST_FILE
from lsp_server.server import TestTailorServer

logger = logging.getLogger(__name__)


def workspace_roots(ls: TestTailorServer) -> list[Path]:
    roots = [to_fs_path(folder.uri) for folder in ls.workspace.folders.values()]
    roots.append(ls.workspace.root_path)
    return [Path(root).resolve() for root in roots if root]


def checked_path(ls: TestTailorServer, uri: str) -> Path:
    """The file to create: a ``.java`` path inside an open workspace folder that does not exist yet."""
    fs_path = to_fs_path(uri)
    if not fs_path or not fs_path.endswith(".java"):
        raise JsonRpcInvalidParams(f"{CREATE_TEST_FILE}: uri must be a file:// URI of a .java file")
    path = Path(fs_path).resolve()
    if not any(path.is_relative_to(root) for root in workspace_roots(ls)):
        raise UnsafeTestPathError(f"refusing to write {path}: it lies outside the workspace; open the project's "
                                  "folder and run the action again")
    if path.exists():
        raise StorageError(f"{path.name} exists now; run the code action again so that the test is added to it")
    return path


def write_new(path: Path, text: str) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("x", encoding="utf-8", newline="") as out:  # "x": never replace a file created meanwhile
            out.write(text)
    except FileExistsError as exc:
        raise StorageError(f"{path.name} exists now; run the code action again so that the test is added to it"
                           ) from exc
    except OSError as exc:
        raise StorageError(f"cannot create {path} ({exc.strerror}); check the folder's permissions") from exc


async def show(ls: TestTailorServer, uri: str, selection: Any) -> None:
    window = ls.client_capabilities.window
    if not (window and window.show_document and window.show_document.support):
        return
    try:
        where = convert.from_json(selection, types.Range) if selection else None
        await ls.window_show_document_async(types.ShowDocumentParams(uri=uri, take_focus=True, selection=where))
    except Exception as exc:  # showing it is a courtesy: the file is written
        logger.warning("window/showDocument %s failed: %s", uri, exc)


def register(server: TestTailorServer) -> None:
    @server.command(CREATE_TEST_FILE)
    async def create_test_file(ls: TestTailorServer, *args: Any) -> dict[str, Any]:
        arg = single_argument(args, CREATE_TEST_FILE)
        uri, text = arg.get("uri"), arg.get("text")
        if not isinstance(uri, str) or not isinstance(text, str):
            raise JsonRpcInvalidParams(f"{CREATE_TEST_FILE} needs {{uri, text, selection?}}")
        try:
            path = checked_path(ls, uri)
            write_new(path, text)
        except TestTailorError as exc:
            raise_reported(ls, exc)
        logger.info("created %s", path)
        await show(ls, uri, arg.get("selection"))
        return {"uri": uri}
