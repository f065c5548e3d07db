"""Resolving the action generates with the (tiny) base model in a worker thread and returns a WorkspaceEdit."""

from __future__ import annotations

from pathlib import Path

import pytest
from lsp_helpers import Starter, code_actions, open_doc
from lsprotocol import types

TEXTS = "src/main/java/org/example/text/Texts.java"
CALC = "src/main/java/org/example/Calc.java"


@pytest.mark.asyncio
async def test_resolve_extends_the_existing_test_class(start_client: Starter, java_repo: Path) -> None:
    client = await start_client(configuration={"testtailor": {"candidates": 2}})
    uri = open_doc(client, java_repo / TEXTS)
    [action] = await code_actions(client, uri, 4, 10)
    resolved = await client.code_action_resolve_async(action)
    assert resolved.edit is not None, client.messages
    [change] = resolved.edit.document_changes or []
    assert isinstance(change, types.TextDocumentEdit)
    assert change.text_document.uri == (java_repo / "src/test/java/org/example/text/TextsTest.java").as_uri()
    method_edit = change.edits[-1]
    assert method_edit.range.start.line == 17  # before TextsTest's closing brace
    assert "@Test" in method_edit.new_text and "void " in method_edit.new_text


@pytest.mark.asyncio
async def test_resolve_creates_a_test_file_when_there_is_none(start_client: Starter, java_repo: Path) -> None:
    (java_repo / "src/test/java/org/example/CalcTest.java").unlink()
    client = await start_client()
    uri = open_doc(client, java_repo / CALC)
    [action] = await code_actions(client, uri, 6, 10)
    resolved = await client.code_action_resolve_async(action)
    assert resolved.edit is not None, client.messages
    create, content = resolved.edit.document_changes or []
    test_uri = (java_repo / "src/test/java/org/example/CalcTest.java").as_uri()
    assert isinstance(create, types.CreateFile) and create.uri == test_uri
    assert isinstance(content, types.TextDocumentEdit)
    assert content.edits[0].new_text.startswith("package org.example;\n")


@pytest.mark.asyncio
async def test_resolve_for_a_method_that_is_gone(start_client: Starter, java_repo: Path) -> None:
    client = await start_client()
    uri = open_doc(client, java_repo / CALC)
    [action] = await code_actions(client, uri, 6, 10)
    renamed = (java_repo / CALC).read_text().replace("add(", "plus(")
    client.text_document_did_change(types.DidChangeTextDocumentParams(
        text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=2),
        content_changes=[types.TextDocumentContentChangeWholeDocument(text=renamed)]))
    resolved = await client.code_action_resolve_async(action)
    assert resolved.edit is None
    assert resolved.disabled is not None and "`add` is no longer" in resolved.disabled.reason
    assert any("`add` is no longer" in m.message for m in client.messages)
    # the server is still alive and answers
    assert [a.data["name"] for a in await code_actions(client, uri, 6, 10)] == ["plus"]


@pytest.mark.asyncio
async def test_retrieve_strategy_places_the_nearest_existing_test_renamed(start_client: Starter, ops_repo: Path
                                                                          ) -> None:
    from lsp_helpers import OPS_MAIN, OPS_TEST

    # remove add's own test so that a sibling's test is retrieved and renamed to `add`
    test_file = ops_repo / OPS_TEST
    text = test_file.read_text()
    start = text.index("    @Test\n    void testAdd()")
    test_file.write_text(text[:start] + text[text.index("    @Test", start + 5):])
    settings = {"strategy": "retrieve", "candidates": 1}
    client = await start_client(init_options=settings, configuration={"testtailor": settings}, root=ops_repo)
    uri = open_doc(client, ops_repo / OPS_MAIN)
    [action] = await code_actions(client, uri, 3, 30)
    assert "nearest existing test" in action.title
    resolved = await client.code_action_resolve_async(action)
    assert resolved.edit is not None, client.messages
    [change] = resolved.edit.document_changes or []
    new_text = change.edits[-1].new_text
    assert "void testAdd()" in new_text and "Ops.add(" in new_text


def test_a_resolve_makes_one_candidate_when_the_nearest_test_leads_the_list() -> None:
    from customizer.defaults import Settings
    from lsp_server.actions import resolve_candidates

    assert resolve_candidates(Settings(candidates=5, retrieved_first=4)) == 1
    assert resolve_candidates(Settings(candidates=5, retrieved_first=0)) == 5  # the model's best: all beams
    assert resolve_candidates(Settings(candidates=5, retrieved_first=4, validate=True)) == 5  # all are run


@pytest.mark.asyncio
async def test_resolve_applies_the_first_candidate_of_the_full_list(start_client: Starter, java_repo: Path
                                                                    ) -> None:
    """The resolve's one candidate is the pick list's first (the nearest test), so the edit is the same."""
    client = await start_client(configuration={"testtailor": {"candidates": 5, "retrievedFirst": 4}})
    uri = open_doc(client, java_repo / CALC)
    full = await client.workspace_execute_command_async(types.ExecuteCommandParams(
        command="testtailor.generateCandidates", arguments=[{"uri": uri, "position": {"line": 6, "character": 10}}]))
    assert len(full["candidates"]) == 5, client.messages
    [action] = await code_actions(client, uri, 6, 10)
    resolved = await client.code_action_resolve_async(action)
    assert resolved.edit is not None, client.messages
    [change] = resolved.edit.document_changes or []
    first = full["candidates"][0]["edit"]["documentChanges"][0]["edits"]
    assert [e.new_text for e in change.edits] == [e["newText"] for e in first]
