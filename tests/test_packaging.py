"""``pip install`` is self-contained: the wheel carries the shipped base model and the retrieval re-ranker."""

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_wheel_ships_the_base_model_the_reranker_and_the_likelihood_stage(tmp_path: Path) -> None:
    # no build isolation: nothing is downloaded, the environment's setuptools builds it
    subprocess.run([sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps", "--no-build-isolation", "-q",
                    "-w", str(tmp_path)], check=True, timeout=900, capture_output=True)
    (wheel,) = tmp_path.glob("testtailor-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    shipped = {str(p.relative_to(ROOT)) for p in (ROOT / "customizer" / "base_model").iterdir() if p.is_file()}
    assert shipped and shipped <= names
    assert "customizer/retrieval/reranker.json" in names and "customizer/retrieval/likelihood.json" in names
    assert {"customizer/py.typed", "lsp_server/__main__.py"} <= names
    metadata = next(n for n in names if n.endswith(".dist-info/METADATA"))
    assert "License-Expression: Apache-2.0" in zipfile.ZipFile(wheel).read(metadata).decode()
