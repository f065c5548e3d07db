"""Generator on the adapter server with the ONNX runtime: per-adapter exports, background export, fallback."""

from __future__ import annotations

from pathlib import Path

import pytest

from customizer.adapters import AdapterStore
from customizer.customize import customize_project
from customizer.generate import Generator
from customizer.ort import OnnxSeq2Seq
from customizer.train import TrainConfig

CALC = "src/main/java/org/example/Calculator.java"
ADD_LINE = 6
FOCAL = "public int twice(int x) {\n    return 2 * x;\n}"


@pytest.fixture(scope="module")
def adapted(java_repo: Path, tiny_bart_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> AdapterStore:
    store = AdapterStore(tmp_path_factory.mktemp("store"))
    customize_project(java_repo, "l-ldb", "cpu", tiny_bart_dir, store=store,
                      config=TrainConfig(num_threads=1, max_epochs=2, lr=3e-2))
    return store


def _texts(generator: Generator, repo: Path, base_only: bool = False) -> list[str]:
    generation = generator.generate_for_position(repo, CALC, ADD_LINE, k=3, base_only=base_only)
    return [c.text for c in generation.candidates]


def test_background_export_decodes_with_pytorch_until_ready(adapted: AdapterStore, java_repo: Path,
                                                            tiny_bart_dir: Path, tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """The first generation does not wait for the export; the next ones use it, with the same candidates, and
    the adapter gets its own export (the served module is the same object for base and adapter)."""
    monkeypatch.setenv("TESTTAILOR_ONNX_CACHE", str(tmp_path / "onnx"))
    torch_gen = Generator(store=adapted, base_model=tiny_bart_dir, device="cpu", max_new_tokens=20)
    expected_base, expected_adapted = _texts(torch_gen, java_repo, True), _texts(torch_gen, java_repo)
    generator = Generator(store=adapted, base_model=tiny_bart_dir, device="cpu", max_new_tokens=20,
                          runtime="onnx", background_exports=True)
    with generator._export_lock:  # hold any export back: generation must not wait for it
        assert _texts(generator, java_repo, True) == expected_base
        [(what, future)] = generator.exports_in_progress()
        assert what == "base model" and not future.done() and generator.runtime_note is None
    assert future.result(timeout=300) is None
    assert isinstance(generator.runner(generator.base.model), OnnxSeq2Seq)
    assert _texts(generator, java_repo, True) == expected_base  # now on ONNX Runtime
    ref, _ = generator.model_for(java_repo)
    assert _texts(generator, java_repo) == expected_adapted  # PyTorch while the adapter's export starts
    future = generator.prepare_runtime(ref)
    assert future is not None and future.result(timeout=300) is None
    with generator.server.adapted(ref) as module:
        runner = generator.runner(module, ref)
    assert isinstance(runner, OnnxSeq2Seq) and runner is not generator.runner(generator.base.model)
    assert _texts(generator, java_repo) == expected_adapted  # the adapter's own export
    assert len(list((tmp_path / "onnx").glob("*/fp32/step.onnx"))) == 2


def test_background_export_failure_is_one_note(penalty_model: Path, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TESTTAILOR_ONNX_CACHE", str(tmp_path / "onnx"))
    generator = Generator(base_model=penalty_model, device="cpu", max_new_tokens=8, runtime="onnx",
                          background_exports=True)
    future = generator.prepare_runtime()
    assert future is not None and generator.prepare_runtime() is future  # one export per model
    note = future.result(timeout=120)
    assert note == ("runtime onnx: the model's generation setting repetition_penalty=1.3 is not supported by the "
                    "ONNX beam search; generating with PyTorch instead")
    generator.generate_for_source(FOCAL, k=1)
    assert generator.runtime_note == note and not generator.exports_in_progress()
    generator.runtime = "torch"
    assert generator.prepare_runtime() is None
    generator.generate_for_source(FOCAL, k=1)
    assert generator.runtime_note is None
