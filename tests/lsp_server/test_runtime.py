"""``testtailor.runtime`` onnx (and ``auto``, the default) in the server: the export runs in the background with
progress, resolves keep working meanwhile, and a runtime that cannot be used is shown once as a warning when it
was asked for, and only logged under ``auto`` (tiny BART)."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import pytest
from lsp_helpers import OPS_MAIN, Starter, code_actions, execute, open_doc, wait_for
from lsprotocol import types
from pytest_lsp import LanguageClient

TEXTS = "src/main/java/org/example/text/Texts.java"
EXPORT_TIMEOUT = 300.0  # the tiny model exports in seconds; the shared CI machine may be slow


def onnx_progress(client: LanguageClient) -> list[object]:
    tokens = [t for t in client.progress_reports if str(t).startswith("testtailor-onnx-")]
    return [report for token in tokens for report in client.progress_reports[token]]


def runtime_warnings(client: LanguageClient) -> list[str]:
    return [m.message for m in client.messages if m.type == types.MessageType.Warning and "runtime onnx" in m.message]


async def resolved_text(client: LanguageClient, uri: str) -> str:
    [action] = await code_actions(client, uri, 4, 10)
    resolved = await client.code_action_resolve_async(action)
    assert resolved.edit is not None, client.messages
    [change] = resolved.edit.document_changes or []
    assert isinstance(change, types.TextDocumentEdit)
    return change.edits[-1].new_text


@pytest.fixture
def own_onnx_cache(server_env: dict[str, str], tmp_path: Path) -> Path:
    """An empty export cache for this test alone (the suite shares one, so the export would be found ready)."""
    cache = tmp_path / "onnx-cache"
    server_env["TESTTAILOR_ONNX_CACHE"] = str(cache)
    return cache


@pytest.mark.asyncio
@pytest.mark.parametrize("runtime", ["onnx", None])  # None: the default setting, auto
async def test_onnx_export_runs_in_the_background_with_progress(start_client: Starter, java_repo: Path,
                                                                own_onnx_cache: Path, runtime: str | None) -> None:
    settings = {"candidates": 2, "retrievedFirst": 0} | ({"runtime": runtime} if runtime else {})
    client = await start_client(configuration={"testtailor": settings})
    await wait_for(lambda: onnx_progress(client), timeout=120, what="the export's progress to begin")
    begin = onnx_progress(client)[0]
    assert isinstance(begin, types.WorkDoneProgressBegin) and begin.title == "Preparing ONNX model"
    uri = open_doc(client, java_repo / TEXTS)
    first = await resolved_text(client, uri)  # answered whether or not the export is done (PyTorch until then)
    await wait_for(lambda: isinstance(onnx_progress(client)[-1], types.WorkDoneProgressEnd),
                   timeout=EXPORT_TIMEOUT, what="the export to end")
    end = onnx_progress(client)[-1]
    assert end.message == "the base model runs on onnx", client.messages
    assert list(own_onnx_cache.glob("*/fp32/step.onnx"))
    assert await resolved_text(client, uri) == first  # ONNX Runtime now: the same candidates as PyTorch
    assert not runtime_warnings(client)


@pytest.fixture
def penalty_env(server_env: dict[str, str], penalty_model: Path) -> dict[str, str]:
    """The server on a model the ONNX beam search cannot reproduce (so: not exportable)."""
    server_env["TESTTAILOR_BASE_MODEL"] = str(penalty_model)
    return server_env


@pytest.mark.asyncio
async def test_runtime_fallback_is_shown_once_as_a_warning(penalty_env: dict[str, str], start_client: Starter,
                                                           java_repo: Path, own_onnx_cache: Path) -> None:
    client = await start_client(configuration={"testtailor": {"candidates": 1, "retrievedFirst": 0}})
    uri = open_doc(client, java_repo / TEXTS)
    await resolved_text(client, uri)
    # auto (the default) tried ONNX Runtime, could not export this model and generates with PyTorch: nothing the
    # user asked for failed, so nothing is shown
    def attempt_over() -> bool:
        reports = onnx_progress(client)
        return not reports or isinstance(reports[-1], types.WorkDoneProgressEnd)

    await wait_for(attempt_over, timeout=120, what="the export attempt to end")
    await resolved_text(client, uri)
    assert not runtime_warnings(client)
    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(
        settings={"testtailor": {"runtime": "onnx", "candidates": 1, "retrievedFirst": 0}}))
    note = ("TestTailor: runtime onnx: the model's generation setting repetition_penalty=1.3 is not supported by "
            "the ONNX beam search; generating with PyTorch instead")
    await wait_for(lambda: runtime_warnings(client), timeout=120, what="the fallback warning")
    for _ in range(2):
        await resolved_text(client, uri)
    assert runtime_warnings(client) == [note]  # once, one line


def export_story(client: LanguageClient, cache: Path) -> str:
    """What a failed wait saw: the export progress, the server's log lines about it, the cache's folders."""
    progress = [getattr(r, "message", None) or type(r).__name__ for r in onnx_progress(client)]
    logs = [m.message for m in getattr(client, "log_messages", [])][-8:]
    shown = [m.message for m in getattr(client, "messages", [])][-8:]
    return f"progress {progress}; shown {shown}; log {logs}; cache {sorted(p.name for p in cache.glob('*'))}"


def adapter_exported(client: LanguageClient) -> bool:
    return any(isinstance(r, types.WorkDoneProgressEnd) and r.message == "the l-ldb adapter runs on onnx"
               for r in onnx_progress(client))


@pytest.mark.asyncio
async def test_an_adapter_is_exported_before_it_is_asked_for(start_client: Starter, ops_repo: Path,
                                                             own_onnx_cache: Path, server_env: dict[str, str],
                                                             tmp_path: Path) -> None:
    """No generation asks for it: the end of a customization starts the adapter's export (auto runtime), and so
    does the warm-up of a server whose workspace has an adapter, so the first generation with it already runs on
    ONNX Runtime."""
    client = await start_client(root=ops_repo)
    uri = open_doc(client, ops_repo / OPS_MAIN)
    await resolved_text(client, uri)  # after the warm-up (same model thread), which found no adapter then
    result = await asyncio.wait_for(execute(client, "testtailor.customizeProject", {"uri": uri, "maxMinutes": 0.1}),
                                    240)
    assert isinstance(result, dict), client.messages
    await wait_for(lambda: adapter_exported(client), timeout=EXPORT_TIMEOUT,
                   what=lambda: f"the adapter's export to end: {export_story(client, own_onnx_cache)}")
    assert len(list(own_onnx_cache.glob("*/fp32/step.onnx"))) == 2  # the base model's and the adapter's

    # a second server with the base model's export but not the adapter's
    second_cache = tmp_path / "second-cache"
    shutil.copytree(own_onnx_cache, second_cache)
    [adapter_export] = [p for p in second_cache.iterdir() if p.is_dir() and "-base-" not in p.name]
    shutil.rmtree(adapter_export)
    server_env["TESTTAILOR_ONNX_CACHE"] = str(second_cache)
    second = await start_client(root=ops_repo)
    await wait_for(lambda: adapter_exported(second), timeout=EXPORT_TIMEOUT, what="the warm-up's adapter export")
