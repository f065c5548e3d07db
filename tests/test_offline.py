"""The code stays on the machine: mine → customize → generate with no network at all.

The whole pipeline runs as subprocesses inside a fresh network namespace (``unshare -n``: no interfaces, not even
a working loopback), exactly as a user runs the CLI. Any attempt to reach a model hub or anything else would fail.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest


def _unshare_works() -> bool:
    if shutil.which("unshare") is None:
        return False
    return subprocess.run(["unshare", "-n", "true"], capture_output=True).returncode == 0


pytestmark = pytest.mark.skipif(not _unshare_works(), reason="needs `unshare -n` (root or user namespaces)")


def _offline(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["unshare", "-n", sys.executable, "-m", "customizer", *args], env=env, text=True,
                          capture_output=True, timeout=600)


def test_mine_customize_generate_without_any_network(java_repo, tiny_bart_dir, tmp_path):
    env = {**os.environ, "TESTTAILOR_HOME": str(tmp_path / "home"), "TESTTAILOR_BASE_MODEL": str(tiny_bart_dir)}
    # Even without the offline switches the CLI sets, nothing may try the network:
    for var in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"):
        env.pop(var, None)
    probe = subprocess.run(["unshare", "-n", sys.executable, "-c",
                            "import socket; socket.create_connection(('1.1.1.1', 443), timeout=2)"],
                           capture_output=True, text=True)
    assert probe.returncode != 0  # the namespace really has no network

    mined = _offline(["mine", str(java_repo), "--json"], env)
    assert mined.returncode == 0, mined.stderr
    assert json.loads(mined.stdout)["summary"]["pairs"] == 24

    custom = _offline(["customize-project", str(java_repo), "--strategy", "l-ldb", "--device", "cpu",
                       "--max-minutes", "0.1", "--progress", "none", "--json"], env)
    assert custom.returncode == 0, custom.stderr

    gen = _offline(["generate", str(java_repo), "--file", "src/main/java/org/example/Calculator.java",
                    "--line", "7", "--candidates", "2", "--max-new-tokens", "16", "--retrieved-first", "0",
                    "--json"], env)
    assert gen.returncode == 0, gen.stderr
    result = json.loads(gen.stdout)
    assert result["adapter"] is not None and len(result["candidates"]) >= 1
