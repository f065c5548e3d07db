"""A real server subprocess (``python -m lsp_server``) driven by a pytest-lsp client, and small git repositories
(built with ``gitrepos``)."""

from __future__ import annotations

import os
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from gitrepos import make_git_repo
from lsp_helpers import Starter, ops_files
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient

CALC = """package org.example;

public class Calc {
    private int total;

    public int add(int a, int b) {
        return a + b;
    }

    public int accumulate(int x) {
        total += x;
        return total;
    }
}
"""
CALC_TEST = """package org.example;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

class CalcTest {
    @Test
    void testAdd() {
        assertEquals(3, new Calc().add(1, 2));
    }
}
"""
TEXTS = """package org.example.text;

public class Texts {
    public static String shout(String s) {
        return s.toUpperCase() + "!";
    }

    public static boolean isBlank(String s) {
        return s == null || s.trim().isEmpty();
    }
}
"""
TEXTS_TEST = """package org.example.text;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TextsTest {
    @Test
    void testShout() {
        assertEquals("HI!", Texts.shout("hi"));
    }

    @Test
    void testIsBlank() {
        assertTrue(Texts.isBlank("  "));
    }
}
"""
FILES = {
    "src/main/java/org/example/Calc.java": CALC,
    "src/test/java/org/example/CalcTest.java": CALC_TEST,
    "src/main/java/org/example/text/Texts.java": TEXTS,
    "src/test/java/org/example/text/TextsTest.java": TEXTS_TEST,
}


@pytest.fixture
def java_repo(tmp_path: Path) -> Path:
    return make_git_repo(tmp_path / "calc", FILES)


@pytest.fixture
def ops_repo(tmp_path: Path) -> Path:
    return make_git_repo(tmp_path / "ops", ops_files())


@pytest.fixture(scope="session")
def shared_onnx_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One ONNX export cache for the session's servers: the default runtime (auto) exports the tiny model in the
    background, once here rather than once per test."""
    return tmp_path_factory.mktemp("onnx-cache")


@pytest.fixture
def server_env(tiny_bart_dir: Path, tmp_path: Path, shared_onnx_cache: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update({"TESTTAILOR_BASE_MODEL": str(tiny_bart_dir), "TESTTAILOR_HOME": str(tmp_path / "home"),
                "TESTTAILOR_ONNX_CACHE": str(shared_onnx_cache),
                "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false",
                "OMP_NUM_THREADS": "1", "TESTTAILOR_MAX_NEW_TOKENS": "24"})
    return env


CAPABILITIES = types.ClientCapabilities(
    window=types.WindowClientCapabilities(work_done_progress=True),
    workspace=types.WorkspaceClientCapabilities(
        configuration=True,
        workspace_edit=types.WorkspaceEditClientCapabilities(
            document_changes=True, resource_operations=[types.ResourceOperationKind.Create])),
    text_document=types.TextDocumentClientCapabilities(code_action=types.CodeActionClientCapabilities(
        resolve_support=types.ClientCodeActionResolveOptions(properties=["edit"]), data_support=True)),
)



@pytest_asyncio.fixture
async def start_client(server_env: dict[str, str], java_repo: Path) -> AsyncIterator[Starter]:
    """``await start_client(init_options=..., configuration=...)``: a started and initialized client."""
    clients: list[LanguageClient] = []

    async def start(init_options: Any = None, configuration: dict[str, Any] | None = None,
                    root: Path | None = None, capabilities: types.ClientCapabilities | None = None
                    ) -> LanguageClient:
        config = ClientServerConfig(server_command=[sys.executable, "-m", "lsp_server"], server_env=server_env)
        client = await config.start()
        assert isinstance(client, LanguageClient)
        client.statuses = []  # type: ignore[attr-defined]

        @client.feature("testtailor/status")
        def status(params: Any) -> None:
            # pygls hands unknown notifications over as namedtuples; the tests read them as dicts
            client.statuses.append(params._asdict() if hasattr(params, "_asdict") else params)  # type: ignore

        if configuration is not None:
            client.set_configuration(configuration)
        clients.append(client)
        root = root or java_repo
        client.init_result = await client.initialize_session(types.InitializeParams(  # type: ignore[attr-defined]
            capabilities=capabilities or CAPABILITIES, root_uri=root.as_uri(), initialization_options=init_options,
            workspace_folders=[types.WorkspaceFolder(uri=root.as_uri(), name=root.name)]))
        return client

    yield start
    for client in clients:
        await client.shutdown_session()
        await client.stop()


