"""Clients without ``documentChanges`` or without the ``create`` resource operation still get a working edit."""

from __future__ import annotations

from pathlib import Path

import pytest
from lsp_helpers import Starter, code_actions, execute, open_doc
from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pytest_lsp import client_capabilities

TEXTS = "src/main/java/org/example/text/Texts.java"
TEXTS_TEST = "src/test/java/org/example/text/TextsTest.java"
CALC = "src/main/java/org/example/Calc.java"
CALC_TEST = "src/test/java/org/example/CalcTest.java"
CREATE = "testtailor.createTestFile"

# an LSP 3.0-era client: code action resolve, but no workspaceEdit capabilities at all
PLAIN = types.ClientCapabilities(text_document=types.TextDocumentClientCapabilities(
    code_action=types.CodeActionClientCapabilities(
        resolve_support=types.ClientCodeActionResolveOptions(properties=["edit", "command"]), data_support=True)))


def apply_changes(text: str, edits: list[types.TextEdit]) -> str:
    """Apply insertions (what the server sends for an existing test file) the way a client does."""
    lines = text.splitlines(keepends=True)
    for edit in sorted(edits, key=lambda e: (e.range.start.line, e.range.start.character), reverse=True):
        assert edit.range.start == edit.range.end  # insertions only
        line, col = edit.range.start.line, edit.range.start.character
        lines[line] = lines[line][:col] + edit.new_text + lines[line][col:]
    return "".join(lines)


@pytest.mark.asyncio
async def test_changes_for_an_existing_test_file(start_client: Starter, java_repo: Path) -> None:
    client = await start_client(capabilities=PLAIN)
    uri = open_doc(client, java_repo / TEXTS)
    [action] = await code_actions(client, uri, 4, 10)
    resolved = await client.code_action_resolve_async(action)
    assert resolved.edit is not None, client.messages
    assert resolved.edit.document_changes is None and resolved.command is None
    test_uri = (java_repo / TEXTS_TEST).as_uri()
    assert list(resolved.edit.changes or {}) == [test_uri]
    before = (java_repo / TEXTS_TEST).read_text()
    after = apply_changes(before, resolved.edit.changes[test_uri])
    assert after.count("@Test") == before.count("@Test") + 1
    assert after.rstrip().endswith("}") and "void testIsBlank()" in after


@pytest.mark.asyncio
async def test_a_client_that_cannot_create_files_gets_the_create_command(start_client: Starter,
                                                                         java_repo: Path) -> None:
    emacs = client_capabilities("emacs")  # eglot: documentChanges, but no resource operations
    assert emacs.workspace.workspace_edit.document_changes and not emacs.workspace.workspace_edit.resource_operations
    (java_repo / CALC_TEST).unlink()
    client = await start_client(capabilities=emacs)
    uri = open_doc(client, java_repo / CALC)
    [action] = await code_actions(client, uri, 6, 10)
    resolved = await client.code_action_resolve_async(action)
    assert resolved.edit is None and resolved.disabled is None, client.messages
    assert resolved.command is not None and resolved.command.command == CREATE
    [argument] = resolved.command.arguments
    assert argument["uri"] == (java_repo / CALC_TEST).as_uri()
    assert not (java_repo / CALC_TEST).exists()  # nothing is written until the user picks the action

    assert await execute(client, CREATE, argument) == {"uri": argument["uri"]}
    created = (java_repo / CALC_TEST).read_text()
    assert created == argument["text"]
    assert created.startswith("package org.example;\n") and "class CalcTest" in created and "@Test" in created

    with pytest.raises(JsonRpcException, match=r"CalcTest\.java exists now"):  # never overwrites
        await execute(client, CREATE, argument)
    assert (java_repo / CALC_TEST).read_text() == created
    # the next resolve adds to the file that now exists, as an edit
    again = await client.code_action_resolve_async(action)
    assert again.command is None and again.edit is not None and again.edit.document_changes


@pytest.mark.asyncio
async def test_create_command_refuses_paths_outside_the_workspace(start_client: Starter, java_repo: Path,
                                                                  tmp_path: Path) -> None:
    client = await start_client(capabilities=PLAIN)
    outside = tmp_path / "elsewhere" / "EvilTest.java"
    with pytest.raises(JsonRpcException, match="outside the workspace"):
        await execute(client, CREATE, {"uri": outside.as_uri(), "text": "class EvilTest {}\n"})
    assert not outside.exists()
    with pytest.raises(JsonRpcException, match=r"must be a file:// URI of a \.java file"):
        await execute(client, CREATE, {"uri": (java_repo / "notes.txt").as_uri(), "text": "x"})


@pytest.mark.asyncio
async def test_neovim_capabilities_keep_document_changes(start_client: Starter, java_repo: Path) -> None:
    neovim = client_capabilities("neovim")  # advertises resource operations, not documentChanges: true
    (java_repo / CALC_TEST).unlink()
    client = await start_client(capabilities=neovim)
    uri = open_doc(client, java_repo / CALC)
    [action] = await code_actions(client, uri, 6, 10)
    resolved = await client.code_action_resolve_async(action)
    assert resolved.edit is not None and resolved.command is None, client.messages
    create, content = resolved.edit.document_changes or []
    assert isinstance(create, types.CreateFile) and isinstance(content, types.TextDocumentEdit)
