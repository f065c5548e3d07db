"""Helpers for the language server tests (fixtures are in conftest.py)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

from lsprotocol import types
from pytest_lsp import LanguageClient

Starter = Callable[..., Coroutine[Any, Any, LanguageClient]]

OPS = {"add": "a + b", "sub": "a - b", "mul": "a * b", "max": "Math.max(a, b)", "min": "Math.min(a, b)",
       "neg": "-a", "twice": "2 * a", "square": "a * a", "half": "a / 2", "inc": "a + 1", "dec": "a - 1",
       "abs": "Math.abs(a)"}
OPS_MAIN = "src/main/java/org/ops/Ops.java"
OPS_TEST = "src/test/java/org/ops/OpsTest.java"


def ops_files() -> dict[str, str]:
    """A repository with 12 (method, test) pairs: enough for ``customize-project`` (it needs 8)."""
    methods = "".join(f"    public static int {name}(int a, int b) {{\n        return {body};\n    }}\n\n"
                      for name, body in OPS.items())
    tests = "".join(f"    @Test\n    void test{name.capitalize()}() {{\n"
                    f"        assertEquals({i}, Ops.{name}({i}, 1));\n    }}\n\n" for i, name in enumerate(OPS))
    return {OPS_MAIN: f"package org.ops;\n\npublic class Ops {{\n{methods}}}\n",
            OPS_TEST: "package org.ops;\n\nimport org.junit.jupiter.api.Test;\n\n"
                      "import static org.junit.jupiter.api.Assertions.assertEquals;\n\n"
                      f"class OpsTest {{\n{tests}}}\n"}


def open_doc(client: LanguageClient, path: Path, text: str | None = None, language: str = "java") -> str:
    uri = path.as_uri()
    client.text_document_did_open(types.DidOpenTextDocumentParams(text_document=types.TextDocumentItem(
        uri=uri, language_id=language, version=1, text=path.read_text() if text is None else text)))
    return uri


async def code_actions(client: LanguageClient, uri: str, line: int, character: int) -> list[types.CodeAction]:
    pos = types.Position(line=line, character=character)
    result = await client.text_document_code_action_async(types.CodeActionParams(
        text_document=types.TextDocumentIdentifier(uri=uri), range=types.Range(start=pos, end=pos),
        context=types.CodeActionContext(diagnostics=[])))
    return [a for a in result or [] if isinstance(a, types.CodeAction)]


async def wait_for(predicate: Callable[[], object], timeout: float = 10.0,
                   what: str | Callable[[], str] = "condition") -> None:
    """Poll ``predicate`` until it is true; fail after ``timeout`` seconds (``what``: what was awaited, or a function
    that says so with what it saw, called on failure)."""
    async def poll() -> None:
        while not predicate():
            await asyncio.sleep(0.05)

    try:
        await asyncio.wait_for(poll(), timeout)
    except TimeoutError:
        said = what() if callable(what) else what
        raise AssertionError(f"timed out after {timeout:.0f}s waiting for {said}") from None


async def execute(client: LanguageClient, command: str, *arguments: object) -> Any:
    return await client.workspace_execute_command_async(
        types.ExecuteCommandParams(command=command, arguments=list(arguments)))
