"""Listing the code action: cheap, only on methods of non-test Java classes."""

from __future__ import annotations

from pathlib import Path

import pytest
from lsp_helpers import Starter, code_actions, open_doc

CALC = "src/main/java/org/example/Calc.java"


@pytest.mark.asyncio
async def test_offered_on_a_method_with_base_model_title(start_client: Starter, java_repo: Path) -> None:
    client = await start_client()
    uri = open_doc(client, java_repo / CALC)
    actions = await code_actions(client, uri, 6, 10)  # inside add's body
    assert [a.title for a in actions] == ["Generate unit test for `add` (nearest project test, or base model)"]
    action = actions[0]
    assert action.kind == "refactor.generateTest" and action.edit is None
    assert action.data == {"uri": uri, "line": 5, "character": 15, "name": "add", "version": 1}
    assert [a.data["name"] for a in await code_actions(client, uri, 9, 4)] == ["accumulate"]


@pytest.mark.asyncio
async def test_nothing_outside_methods_or_in_tests(start_client: Starter, java_repo: Path) -> None:
    client = await start_client()
    uri = open_doc(client, java_repo / CALC)
    assert await code_actions(client, uri, 0, 3) == []  # package line
    assert await code_actions(client, uri, 3, 8) == []  # field
    test_uri = open_doc(client, java_repo / "src/test/java/org/example/CalcTest.java")
    assert await code_actions(client, test_uri, 9, 10) == []  # a test method


@pytest.mark.asyncio
async def test_offered_on_the_methods_javadoc(start_client: Starter, java_repo: Path) -> None:
    client = await start_client()
    text = ("package org.example;\n\npublic class Calc {\n    /**\n     * Adds two numbers.\n     */\n"
            "    public int add(int a, int b) {\n        return a + b;\n    }\n}\n")
    uri = open_doc(client, java_repo / CALC, text=text)
    assert [a.data["name"] for a in await code_actions(client, uri, 4, 10)] == ["add"]  # in the javadoc
    assert await code_actions(client, uri, 2, 10) == []  # the class line


@pytest.mark.asyncio
async def test_nothing_for_non_java_documents(start_client: Starter, java_repo: Path) -> None:
    client = await start_client()
    readme = java_repo / "README.md"
    readme.write_text("public int add(int a, int b) { return a + b; }\n")
    uri = open_doc(client, readme, language="markdown")
    assert await code_actions(client, uri, 0, 20) == []


@pytest.mark.asyncio
async def test_broken_java_keeps_the_server_alive(start_client: Starter, java_repo: Path) -> None:
    client = await start_client()
    broken = "package org.example;\npublic class Calc {\n    public int add(int a, int b) {\n        return a +\n"
    uri = open_doc(client, java_repo / CALC, text=broken)
    assert await code_actions(client, uri, 3, 10) == []  # the method has a syntax error: nothing offered
    assert await code_actions(client, uri, 400, 0) == []  # past the end
    good = open_doc(client, java_repo / "src/main/java/org/example/text/Texts.java")
    assert len(await code_actions(client, good, 4, 10)) == 1
    assert client.messages == []


@pytest.mark.asyncio
async def test_large_generated_file_answers_quickly(start_client: Starter, java_repo: Path) -> None:
    import time

    methods = "\n".join(f"    public int m{i}(int x) {{\n        int y = x * {i};\n        return y + 1;\n    }}\n"
                        for i in range(2000))
    text = f"package org.example;\n\npublic class Big {{\n{methods}}}\n"
    assert text.count("\n") > 10_000
    path = java_repo / "src/main/java/org/example/Big.java"
    path.write_text(text)
    client = await start_client()
    uri = open_doc(client, path)
    started = time.perf_counter()
    actions = await code_actions(client, uri, 5 * 1500 + 4, 10)
    elapsed = time.perf_counter() - started
    assert [a.data["name"] for a in actions] == ["m1500"]
    assert elapsed < 2.0, f"listing took {elapsed:.2f}s"
