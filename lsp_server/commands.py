"""``workspace/executeCommand``: ``testtailor.generateCandidates`` and ``testtailor.listAdapters``.

(``testtailor.customizeProject`` lives in :mod:`lsp_server.customize`.) Arguments are one JSON object.
"""

from __future__ import annotations

import asyncio
import dataclasses
from pathlib import Path
from typing import Any, NoReturn

from lsprotocol import types
from pygls.exceptions import JsonRpcException, JsonRpcInvalidParams

from customizer.defaults import MAX_CANDIDATES
from customizer.errors import NoTestsFoundError, TestTailorError
from lsp_server import convert
from lsp_server.actions import document_version, generate
from lsp_server.documents import repo_for_uri
from lsp_server.server import TestTailorServer

GENERATE_CANDIDATES = "testtailor.generateCandidates"
LIST_ADAPTERS = "testtailor.listAdapters"


class TestTailorRequestFailed(JsonRpcException):
    """A command failed for a reason the user can fix (the message says what to do)."""

    __test__ = False

    def __init__(self, message: str) -> None:
        super().__init__(message=message, code=-32803)  # LSP RequestFailed


def single_argument(args: tuple[Any, ...], command: str) -> dict[str, Any]:
    if len(args) != 1 or not isinstance(args[0], dict):
        raise JsonRpcInvalidParams(f"{command} takes one object argument")
    return args[0]


def raise_reported(ls: TestTailorServer, exc: Exception) -> NoReturn:
    """Show the error to the user and answer the request with it."""
    ls.report(exc)
    if isinstance(exc, TestTailorError):
        raise TestTailorRequestFailed(exc.message) from exc
    raise exc


def _jsonable(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {k: _jsonable(v) for k, v in dataclasses.asdict(value).items()}
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, float) and value != value:
        return None  # NaN is not JSON
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def active_key(repo: Path | None) -> str | None:
    """The adapter-store key of the workspace's repository (None when there is none or it has no commit)."""
    if repo is None:
        return None
    from customizer.adapters import repo_key

    try:
        return repo_key(repo)
    except TestTailorError:
        return None


def adapter_info(store: Any, meta: Any, active: str | None, strategy: str) -> dict[str, Any]:
    """One ``listAdapters`` element: the adapter's meta fields plus the camelCase fields editors show
    (``repo``, ``repoName``, ``bestValLoss``, ``baseValLoss``, ``sizeBytes``, ``path``, ``active``: the adapter
    that generation uses for the workspace's repository with the current strategy)."""
    folder = store.path(meta.repo_key, meta.strategy)
    data = _jsonable(meta)
    data.update({"repo": meta.worktree or meta.repo_name, "repoName": meta.repo_name,
                 "bestValLoss": data.get("best_val_loss"), "baseValLoss": data.get("base_val_loss"),
                 "sizeBytes": store.size(meta.repo_key, meta.strategy), "path": str(folder),
                 "active": active is not None and meta.repo_key == active and meta.strategy == strategy})
    return data


def register(server: TestTailorServer) -> None:
    @server.command(GENERATE_CANDIDATES)
    async def generate_candidates(ls: TestTailorServer, *args: Any) -> dict[str, Any]:
        arg = single_argument(args, GENERATE_CANDIDATES)
        try:
            uri, position = arg["uri"], arg["position"]
            line, character = int(position["line"]), int(position["character"])
            k = int(arg.get("candidates", ls.settings.candidates))
            retrieved_only = arg.get("retrievedOnly", False)
            if not isinstance(retrieved_only, bool):
                raise TypeError(f"retrievedOnly must be true or false, not {retrieved_only!r}")
        except (KeyError, TypeError, ValueError) as exc:
            raise JsonRpcInvalidParams(f"{GENERATE_CANDIDATES} needs {{uri, position: {{line, character}}, "
                                       f"candidates?, retrievedOnly?}}: {exc}") from exc
        k = max(1, min(k, MAX_CANDIDATES))
        from lsp_server.actions import list_actions

        listed = list_actions(ls, types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            range=types.Range(start=types.Position(line=line, character=character),
                              end=types.Position(line=line, character=character)),
            context=types.CodeActionContext(diagnostics=[])))
        if not listed:
            raise_reported(ls, TestTailorError("no method to test at that position; put the cursor inside a "
                                              "method of a non-test class"))
        data = listed[0].data
        try:
            result = await generate(ls, uri, data["name"], data["line"], k, retrieved_only=retrieved_only)
        except NoTestsFoundError as exc:
            if not retrieved_only:  # the `retrieve` strategy setting in a project without tests: say so
                raise_reported(ls, exc)
            # a client showing the nearest tests before the model's: there are none, the full list is all there is
            return {"method": data["name"], "model": "retrieval (the project has no tests yet; no model)",
                    "candidates": []}
        except Exception as exc:
            raise_reported(ls, exc)
        candidates = []
        support = convert.EditSupport.of(ls.client_capabilities)
        for placed in result.placed:
            test_uri = convert.test_uri(placed.edit)
            edit = convert.workspace_edit(ls.workspace, placed.edit, document_version(ls, test_uri), support)
            candidates.append({
                "rank": placed.rank, "text": placed.text, "score": placed.score, "parses": placed.parses,
                "defects": list(placed.defects),
                "validation": placed.validation.to_dict() if placed.validation is not None else None,
                "title": f"{'Create' if placed.edit.created else 'Add to'} {placed.edit.path.name}: "
                         f"{placed.edit.method_name}",
                "edit": convert.to_json(edit),  # null: run "command" (a new file the client cannot create)
                "command": None if edit else convert.to_json(convert.create_command(ls.workspace, placed.edit)),
                "testUri": test_uri,
                "testRange": convert.to_json(convert.test_range(ls.workspace, placed.edit)),
            })
        return {"method": result.method.name, "model": result.model, "candidates": candidates}

    @server.command(LIST_ADAPTERS)
    async def list_adapters(ls: TestTailorServer, *args: Any) -> list[Any]:
        repo, strategy = repo_for_uri(ls, None), ls.settings.strategy

        def work() -> list[Any]:
            from customizer.adapters import AdapterStore

            store = AdapterStore()
            return [adapter_info(store, meta, active_key(repo), strategy) for meta in store.list()]

        try:
            return await asyncio.to_thread(work)
        except Exception as exc:
            raise_reported(ls, exc)
