"""The server starts as a subprocess and advertises what editors need."""

from __future__ import annotations

import pytest
from lsp_helpers import Starter
from lsprotocol import types


@pytest.mark.asyncio
async def test_capabilities(start_client: Starter) -> None:
    client = await start_client()
    info: types.InitializeResult = client.init_result  # type: ignore[attr-defined]
    assert info.server_info is not None and info.server_info.name == "testtailor"
    caps = info.capabilities
    provider = caps.code_action_provider
    assert isinstance(provider, types.CodeActionOptions)
    assert provider.resolve_provider is True
    assert list(provider.code_action_kinds or []) == ["refactor.generateTest"]
    assert caps.execute_command_provider is not None
    assert set(caps.execute_command_provider.commands) == {
        "testtailor.generateCandidates", "testtailor.customizeProject", "testtailor.listAdapters",
        "testtailor.createTestFile"}
