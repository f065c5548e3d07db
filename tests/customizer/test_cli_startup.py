"""The command line starts fast: commands that need no model do not import torch, transformers, peft or
onnxruntime (seconds of start-up on a laptop), so ``--help``, ``mine`` and ``adapters list`` answer at once."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from gitrepos import shopkit_repo

# runs the command in a fresh interpreter, then reports which model libraries it imported
PROBE = """
import sys
from customizer.cli import main
try:
    code = main(sys.argv[1:])
except SystemExit as exc:  # --help
    code = exc.code
heavy = sorted(m for m in ("torch", "transformers", "peft", "onnxruntime") if m in sys.modules)
print(f"EXIT={code} HEAVY={','.join(heavy)}")
"""


def _heavy_imports(argv: list[str], home: Path) -> str:
    done = subprocess.run([sys.executable, "-c", PROBE, *argv], capture_output=True, text=True, timeout=300,
                          env={**os.environ, "TESTTAILOR_HOME": str(home)})
    assert "EXIT=0 " in done.stdout, (done.stdout[-500:], done.stderr[-2000:])
    return done.stdout.rsplit("HEAVY=", 1)[1].strip()


@pytest.mark.parametrize("argv", [["--help"], ["adapters", "list"], ["strategies", "--help"], ["evaluate", "--help"],
                                  ["customize-project", "--help"], ["generate", "--help"], ["corpus", "--help"]])
def test_commands_without_a_model_do_not_import_the_model_libraries(argv: list[str], tmp_path: Path) -> None:
    assert _heavy_imports(argv, tmp_path / "home") == ""


def test_mining_does_not_import_the_model_libraries(tmp_path: Path) -> None:
    repo = shopkit_repo(tmp_path / "shopkit")
    assert _heavy_imports(["mine", str(repo)], tmp_path / "home") == ""


def test_a_command_that_needs_the_model_still_gets_it(tmp_path: Path) -> None:
    # the lazy strategy package must not hide the model libraries from the commands that use them
    assert "torch" in _heavy_imports(["strategies", "--config", "bart-large"], tmp_path / "home")
