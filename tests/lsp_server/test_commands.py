"""``workspace/executeCommand``: generateCandidates, listAdapters, and an unknown command."""

from __future__ import annotations

from pathlib import Path

import pytest
from lsp_helpers import Starter, open_doc
from lsprotocol import types
from pygls.exceptions import JsonRpcException

CALC = "src/main/java/org/example/Calc.java"


async def execute(client: object, command: str, *arguments: object) -> object:
    return await client.workspace_execute_command_async(  # type: ignore[attr-defined]
        types.ExecuteCommandParams(command=command, arguments=list(arguments)))


@pytest.mark.asyncio
async def test_generate_candidates(start_client: Starter, java_repo: Path) -> None:
    client = await start_client()
    uri = open_doc(client, java_repo / CALC)
    result = await execute(client, "testtailor.generateCandidates",
                           {"uri": uri, "position": {"line": 6, "character": 10}, "candidates": 2})
    assert isinstance(result, dict), client.messages
    assert result["method"] == "add"
    assert 1 <= len(result["candidates"]) <= 2
    first = result["candidates"][0]
    assert {"rank", "text", "score", "parses", "title", "edit", "testUri", "testRange"} <= first.keys()
    assert first["testUri"] == (java_repo / "src/test/java/org/example/CalcTest.java").as_uri()
    assert first["edit"]["documentChanges"][0]["textDocument"]["uri"] == first["testUri"]
    assert first["testRange"]["start"]["line"] >= 11


@pytest.mark.asyncio
async def test_generate_candidates_outside_a_method_fails_cleanly(start_client: Starter, java_repo: Path) -> None:
    client = await start_client()
    uri = open_doc(client, java_repo / CALC)
    with pytest.raises(JsonRpcException, match="no method to test"):
        await execute(client, "testtailor.generateCandidates", {"uri": uri, "position": {"line": 0, "character": 0}})
    with pytest.raises(JsonRpcException, match="one object argument"):
        await execute(client, "testtailor.generateCandidates")
    assert any("no method to test" in m.message for m in client.messages)


@pytest.mark.asyncio
async def test_list_adapters_is_empty_before_customizing(start_client: Starter) -> None:
    client = await start_client()
    assert await execute(client, "testtailor.listAdapters") == []


@pytest.mark.asyncio
async def test_unknown_command_is_an_error_response(start_client: Starter) -> None:
    client = await start_client()
    with pytest.raises(JsonRpcException, match=r"testtailor\.nope"):
        await execute(client, "testtailor.nope")
    assert await execute(client, "testtailor.listAdapters") == []  # still serving
