"""Settings from initializationOptions, workspace/configuration and didChangeConfiguration."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from lsp_helpers import Starter, code_actions, open_doc
from lsprotocol import types


async def wait_for(predicate: object, timeout: float = 10.0) -> None:
    async def poll() -> None:
        while not predicate():  # type: ignore[operator]
            await asyncio.sleep(0.05)

    await asyncio.wait_for(poll(), timeout)


@pytest.mark.asyncio
async def test_invalid_settings_warn_and_fall_back(start_client: Starter) -> None:
    client = await start_client(init_options={"testtailor": {"candidates": "many", "strategy": "l-ldb"}},
                                configuration={"testtailor": {"device": "quantum"}})
    await wait_for(lambda: len(client.messages) >= 2)
    warnings = [m for m in client.messages if m.type == types.MessageType.Warning]
    assert any("testtailor.candidates" in m.message and "using 5" in m.message for m in warnings)
    assert any("testtailor.device" in m.message and "'auto'" in m.message for m in warnings)


@pytest.mark.asyncio
async def test_did_change_configuration_updates_settings(start_client: Starter, java_repo: Path) -> None:
    client = await start_client()
    uri = open_doc(client, java_repo / "src/main/java/org/example/Calc.java")
    assert await code_actions(client, uri, 6, 10)
    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(
        settings={"testtailor": {"strategy": "bogus"}}))
    await wait_for(lambda: any("testtailor.strategy" in m.message for m in client.messages))
    # pushed without a section: the server pulls workspace/configuration again
    client.set_configuration({"testtailor": {"candidates": 0}})
    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings=None))
    await wait_for(lambda: any("testtailor.candidates" in m.message for m in client.messages))
    assert await code_actions(client, uri, 6, 10)  # alive
