"""A real editor as the client: headless Neovim resolves "Generate unit test" and writes the test file."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).parent / "nvim" / "generate_test.lua"
ROOT = Path(__file__).resolve().parents[2]
NVIM = shutil.which("nvim")

pytestmark = pytest.mark.skipif(NVIM is None, reason="Neovim (nvim) is not installed; `apt-get install neovim`")


def run_nvim(env: dict[str, str], tmp_path: Path, repo: Path, file: str, line: int, character: int) -> str:
    result = tmp_path / "nvim-result.txt"
    env = {**env, "TT_PYTHON": sys.executable, "TT_REPO": str(repo), "TT_FILE": str(repo / file),
           "TT_LINE": str(line), "TT_CHARACTER": str(character), "TT_RESULT": str(result),
           "PYTHONPATH": os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p),
           "XDG_STATE_HOME": str(tmp_path / "nvim-state"), "XDG_DATA_HOME": str(tmp_path / "nvim-data"),
           "XDG_CONFIG_HOME": str(tmp_path / "nvim-config")}
    done = subprocess.run([NVIM or "nvim", "--headless", "-u", "NONE", "-i", "NONE", "-n",
                           "-c", f"luafile {SCRIPT}"], env=env, cwd=repo, capture_output=True, text=True,
                          timeout=300, stdin=subprocess.DEVNULL)
    text = result.read_text() if result.exists() else ""
    assert done.returncode == 0 and text.startswith("ok "), (done.returncode, text, done.stdout[-2000:],
                                                            done.stderr[-2000:])
    return text.removeprefix("ok ")


def test_neovim_extends_an_existing_test_class(server_env: dict[str, str], java_repo: Path, tmp_path: Path) -> None:
    test_file = java_repo / "src/test/java/org/example/text/TextsTest.java"
    before = test_file.read_text()
    title = run_nvim(server_env, tmp_path, java_repo, "src/main/java/org/example/text/Texts.java", 4, 10)
    assert title == "Generate unit test for `shout` (nearest project test, or base model)"
    after = test_file.read_text()
    assert after != before
    assert after.count("@Test") == before.count("@Test") + 1
    assert "void testShout()" in after and "void testIsBlank()" in after  # the old tests are kept
    assert after.rstrip().endswith("}")


def test_neovim_creates_a_new_test_file(server_env: dict[str, str], java_repo: Path, tmp_path: Path) -> None:
    test_file = java_repo / "src/test/java/org/example/CalcTest.java"
    test_file.unlink()
    run_nvim(server_env, tmp_path, java_repo, "src/main/java/org/example/Calc.java", 6, 10)
    created = test_file.read_text()
    assert created.startswith("package org.example;\n")
    assert "class CalcTest" in created and "@Test" in created
