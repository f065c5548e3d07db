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
    assert {"rank", "text", "score", "parses", "defects", "title", "edit", "testUri", "testRange"} <= first.keys()
    assert all(isinstance(c["defects"], list) for c in result["candidates"])
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


@pytest.mark.asyncio
async def test_retrieved_only_lists_the_nearest_tests_in_the_full_lists_order(start_client: Starter, java_repo: Path,
                                                                        tmp_path: Path) -> None:
    """A client can show the project's nearest tests at once (nothing decoded) and the full list, the model's last,
    when it comes: the same tests in the same order first."""
    from conftest import FILES
    from gitrepos import make_git_repo

    client = await start_client(configuration={"testtailor": {"candidates": 3, "retrievedFirst": 2}})
    uri = open_doc(client, java_repo / CALC)
    where = {"uri": uri, "position": {"line": 6, "character": 10}}
    quick = await execute(client, "testtailor.generateCandidates", {**where, "candidates": 2, "retrievedOnly": True})
    full = await execute(client, "testtailor.generateCandidates", where)
    assert isinstance(quick, dict) and isinstance(full, dict), client.messages
    assert quick["model"].startswith("retrieval") and len(quick["candidates"]) == 2
    assert [c["text"] for c in quick["candidates"]] == [c["text"] for c in full["candidates"][:2]]
    assert len(full["candidates"]) == 3  # the model's candidate last
    with pytest.raises(JsonRpcException, match="retrievedOnly must be true or false"):
        await execute(client, "testtailor.generateCandidates", {**where, "retrievedOnly": "yes"})

    # a project without tests: nothing to show first, and no error for the user (the full list follows)
    bare = make_git_repo(tmp_path / "bare", {k: v for k, v in FILES.items() if not k.startswith("src/test/")})
    client = await start_client(root=bare)
    uri = open_doc(client, bare / CALC)
    none = await execute(client, "testtailor.generateCandidates",
                         {"uri": uri, "position": {"line": 6, "character": 10}, "retrievedOnly": True})
    assert none["method"] == "add" and none["candidates"] == [] and "no tests yet" in none["model"]
    assert not client.messages
