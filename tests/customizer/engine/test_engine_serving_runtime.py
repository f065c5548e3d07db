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
    with generator.runners._export_lock:  # hold any export back: generation must not wait for it
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


def test_an_adapter_leaves_no_export_behind(java_repo: Path, tiny_bart_dir: Path, tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture) -> None:
    """Each export is the base model's size: customizing again replaces the adapter's export instead of adding one,
    and `testtailor adapters remove` removes it with the adapter; the base model's export stays."""
    from customizer.adapters import export_owner, repo_key
    from customizer.cli import main
    from customizer.ort.disk_budget import owner_of

    monkeypatch.setenv("TESTTAILOR_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("TESTTAILOR_ONNX_CACHE", str(tmp_path / "onnx"))
    exports = lambda: sorted(p for p in (tmp_path / "onnx").iterdir() if p.is_dir())  # noqa: E731
    owner = export_owner(repo_key(java_repo), "l-ldb")
    owned = []
    for lr in (3e-2, 1e-2):  # two customizations, two different adapters
        customize_project(java_repo, "l-ldb", "cpu", tiny_bart_dir,
                          config=TrainConfig(num_threads=1, max_epochs=1, lr=lr))
        generator = Generator(base_model=tiny_bart_dir, device="cpu", max_new_tokens=20, runtime="onnx")
        _texts(generator, java_repo)
        assert generator.runtime_note is None
        [adapter_export] = [p for p in exports() if owner_of(p) == owner]
        owned.append(adapter_export)
        assert len(exports()) == 2  # the base model's and this adapter's
    assert owned[0] != owned[1] and not owned[0].exists()
    assert main(["adapters", "remove", str(java_repo)]) == 0
    assert f"removed its ONNX export {owned[1]}" in capsys.readouterr().out
    [base_export] = exports()
    assert owner_of(base_export) is None and not owned[1].exists()


def test_exports_are_removed_only_for_their_own_adapter(tmp_path: Path) -> None:
    from customizer.ort.disk_budget import remove_owned

    def export(name: str, owner: str | None) -> Path:
        folder = tmp_path / name / "fp32"
        folder.mkdir(parents=True)
        (folder / "export.json").write_text("{}" if owner is None else f'{{"owner": "{owner}"}}')
        return folder.parent

    mine, kept, other, base = export("a", "k/l-ldb"), export("b", "k/l-ldb"), export("c", "k/full"), export("d", None)
    assert remove_owned(tmp_path, "k/l-ldb", keep=kept) == [mine]
    assert kept.is_dir() and other.is_dir() and base.is_dir()
    assert remove_owned(tmp_path, "k/l-ldb") == [kept]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c", "d"]  # nothing left half-removed


def test_prefix_adapters_decode_on_one_shared_export_that_outlives_each_adapter(
        java_repo: Path, tiny_bart_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A stored prefix adapter decodes on ONNX Runtime as with PyTorch; customizing again gives another adapter that
    runs on the same export without tracing it again; the export belongs to no adapter, so removing the adapter
    leaves it for the other prefix adapters (the disk budget removes it once unused)."""
    from customizer.cli import main
    from customizer.ort import export as ort_export
    from customizer.ort.disk_budget import owner_of

    monkeypatch.setenv("TESTTAILOR_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("TESTTAILOR_ONNX_CACHE", str(tmp_path / "onnx"))
    traced = []
    real = ort_export.export_graphs
    monkeypatch.setattr(ort_export, "export_graphs", lambda module, out: traced.append(out) or real(module, out))
    folders = []
    for lr in (3e-2, 1e-2):  # two customizations, two different prefix adapters
        customize_project(java_repo, "prefix", "cpu", tiny_bart_dir,
                          config=TrainConfig(num_threads=1, max_epochs=1, lr=lr, strategy_options={"length": 4}))
        expected = _texts(Generator(base_model=tiny_bart_dir, device="cpu", max_new_tokens=20), java_repo)
        generator = Generator(base_model=tiny_bart_dir, device="cpu", max_new_tokens=20, runtime="onnx")
        assert _texts(generator, java_repo) == expected and generator.runtime_note is None
        ref, _ = generator.model_for(java_repo)
        with generator.server.adapted(ref) as module:
            runner = generator.runner(module, ref)
        assert isinstance(runner, OnnxSeq2Seq) and runner.meta["prefix_inputs"]
        folders.append(runner.directory.parent)
    assert folders[0] == folders[1] and len(traced) == 2  # the base model's export and the one prefix export
    assert owner_of(folders[0]) is None
    assert main(["adapters", "remove", str(java_repo)]) == 0
    assert folders[0].exists()
