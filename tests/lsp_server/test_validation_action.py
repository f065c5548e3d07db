"""With ``testtailor.validate`` on, the code action offers the best validated candidate and its title says what
was verified; ``testtailor.generateCandidates`` reports each candidate's outcome (JUnit 5 project compiled and run
with Debian's jars; skipped without a JDK)."""

from __future__ import annotations

from pathlib import Path

import pytest
from lsp_helpers import Starter, code_actions, execute, open_doc

from customizer.validation.classpath import DEFAULT_JUNIT_JAR_DIR
from customizer.validation.javac import find_jdk

TEXTS = "src/main/java/org/example/text/Texts.java"
SETTINGS = {"testtailor": {"candidates": 2, "validate": True, "strategy": "retrieve"}}


@pytest.fixture
def java_env(server_env: dict[str, str], tmp_path: Path) -> dict[str, str]:
    if find_jdk() is None or not (DEFAULT_JUNIT_JAR_DIR / "junit-platform-console-standalone.jar").is_file():
        pytest.skip("needs a JDK and the JUnit 5 jars (apt-get install default-jdk-headless junit5)")
    (tmp_path / "user-home").mkdir()
    server_env.update({"HOME": str(tmp_path / "user-home"), "TESTTAILOR_CACHE": str(tmp_path / "cache")})
    return server_env


@pytest.mark.asyncio
async def test_the_resolved_action_says_what_was_verified(start_client: Starter, java_repo: Path,
                                                         java_env: dict[str, str]) -> None:
    client = await start_client(init_options=SETTINGS, configuration=SETTINGS)
    uri = open_doc(client, java_repo / TEXTS)
    [action] = await code_actions(client, uri, 8, 10)
    assert action.title == ("Generate unit test for `isBlank` (from the project's nearest existing test; "
                            "compiles and runs it first)")
    resolved = await client.code_action_resolve_async(action)
    assert resolved.edit is not None, client.messages
    # the nearest test (testShout) renamed to isBlank compares "HI!" with a boolean: it compiles and fails
    assert resolved.title == "Generate unit test for `isBlank` (compiles, fails)"
    assert any("the test for `isBlank` compiles, fails" in m.message for m in client.messages)
    text = (java_repo / "src/test/java/org/example/text/TextsTest.java").read_text()
    assert "isBlank_" not in text and "testIsBlank2" not in text  # nothing written until the user applies it

    # the command behind the VS Code candidate picker reports each candidate's validation
    result = await execute(client, "testtailor.generateCandidates",
                           {"uri": uri, "position": {"line": 8, "character": 10}})
    checked = [c["validation"] for c in result["candidates"]]
    assert checked[0]["outcome"] == "failing" and "expected: <HI!> but was: <false>" in (
        checked[0]["message"])
    assert checked[0]["test_class"] == "org.example.text.TextsTest"
