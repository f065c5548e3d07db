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


@pytest.mark.asyncio
async def test_model_and_the_workspace_tests_index_are_ready_before_the_first_request(server_env, java_repo,
                                                                                       tmp_path) -> None:
    """After `initialized` the server loads the model and indexes the project's tests in the background."""
    import asyncio
    import re
    import sys

    from pytest_lsp import ClientServerConfig

    log = tmp_path / "server.log"
    config = ClientServerConfig(server_command=[sys.executable, "-m", "lsp_server", "-v", "--log-file", str(log)],
                                server_env=server_env)
    client = await config.start()
    try:
        await client.initialize_session(types.InitializeParams(
            capabilities=types.ClientCapabilities(), root_uri=java_repo.as_uri(),
            workspace_folders=[types.WorkspaceFolder(uri=java_repo.as_uri(), name=java_repo.name)]))
        pattern = re.compile(r"warm-up: (\d+) existing tests indexed in (.+)")
        for _ in range(240):  # no request was sent: only the warm-up writes this
            found = pattern.search(log.read_text() if log.exists() else "")
            if found:
                break
            await asyncio.sleep(0.25)
        assert found, log.read_text()
        assert int(found.group(1)) > 0 and found.group(2).strip() == str(java_repo)
    finally:
        await client.shutdown_session()
        await client.stop()


@pytest.mark.asyncio
async def test_the_server_leaves_on_exit_without_waiting_for_its_model_thread(server_env, java_repo,
                                                                           tmp_path) -> None:
    """`exit` while the model thread loads the model (start-up): the process ends at once with exit code 0; the
    load never finishes (the interpreter's normal exit would wait for it, and it takes seconds)."""
    import asyncio
    import sys

    from pytest_lsp import ClientServerConfig

    log = tmp_path / "server.log"
    config = ClientServerConfig(server_command=[sys.executable, "-m", "lsp_server", "-v", "--log-file", str(log)],
                                server_env=server_env)
    client = await config.start()
    await client.initialize_session(types.InitializeParams(
        capabilities=types.ClientCapabilities(), root_uri=java_repo.as_uri()))
    for _ in range(240):  # the model thread has begun loading the model (torch and the weights take seconds)
        if "loading the base model" in (log.read_text() if log.exists() else ""):
            break
        await asyncio.sleep(0.05)
    try:
        await asyncio.wait_for(client.shutdown_session(), timeout=60)  # shutdown, exit, wait for the process
        assert client._server is not None and client._server.returncode == 0
    finally:
        await client.stop()
    text = log.read_text()
    assert "loading the base model" in text and "base model loaded" not in text, text
