"""The ONNX Runtime path: export with a key/value cache, same candidates as PyTorch, cache reuse, fallback.

The tiny random BART of conftest is exported once per session (torch.onnx's dynamo exporter takes most of this
module's time); every other test reuses that export from disk.
"""

from __future__ import annotations

import copy
import json
import logging
from pathlib import Path

import pytest
import torch
from transformers import LogitsProcessorList
from transformers.generation.logits_process import SuppressTokensLogitsProcessor

from customizer.defaults import Settings, parse_settings
from customizer.errors import OnnxExportError
from customizer.generate import Generator, LoopBlocker
from customizer.model import load_base_model
from customizer.ort import OnnxRuntimeCache, OnnxSeq2Seq
from customizer.ort import export as ort_export
from customizer.ort.quantize import INT8_SCHEME

FOCALS = [
    "public int add(int a, int b) { return a + b; }",
    "public String getName() { return this.name; }",
    "for (int i = 0; i < n; i++) { sum += values[i]; }",
]


@pytest.fixture(scope="module")
def exported(tiny_bart_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, OnnxSeq2Seq]:
    """(cache root, fp32 runner) of the tiny BART, exported once."""
    base = load_base_model(tiny_bart_dir, "cpu")
    root = tmp_path_factory.mktemp("onnx-cache")
    runner = OnnxRuntimeCache("onnx", root=root).runner(base.model, base.model, base.fingerprint)
    return root, runner


def _kwargs(ids: torch.Tensor, beams: int, processors: list) -> dict:
    return {"input_ids": ids, "attention_mask": torch.ones_like(ids), "num_beams": beams,
            "num_return_sequences": beams, "max_new_tokens": 24, "do_sample": False, "early_stopping": True,
            "output_scores": True, "return_dict_in_generate": True,
            "logits_processor": LogitsProcessorList(processors)}


def test_export_writes_both_graphs_atomically(exported: tuple[Path, OnnxSeq2Seq], tiny_bart_dir: Path) -> None:
    root, runner = exported
    folder = runner.directory
    assert {p.name for p in folder.iterdir()} >= {"prefill.onnx", "step.onnx", "export.json"}
    assert not [p for p in folder.parent.iterdir() if ".tmp-" in p.name]  # the temporary folder was renamed
    fingerprint = load_base_model(tiny_bart_dir, "cpu").fingerprint
    assert folder == ort_export.export_dir(root, fingerprint, None, "fp32")
    meta = json.loads((folder / "export.json").read_text())
    assert meta["layers"] == 2 and meta["generation"]["forced_eos_token_id"] == 2


@pytest.mark.parametrize("focal", FOCALS)
def test_beam_search_equals_pytorch(exported: tuple[Path, OnnxSeq2Seq], tiny_bart_dir: Path, focal: str) -> None:
    base = load_base_model(tiny_bart_dir, "cpu")
    ids = torch.tensor([base.tokenizer(focal)["input_ids"]])
    kwargs = _kwargs(ids, 5, [LoopBlocker(3)])
    expected = base.model.generate(**kwargs)
    got = exported[1].generate(**kwargs)
    assert got.sequences.tolist() == expected.sequences.tolist()
    assert torch.allclose(got.sequences_scores, expected.sequences_scores, atol=1e-4)


def test_greedy_equals_pytorch_and_applies_the_callers_processors(exported: tuple[Path, OnnxSeq2Seq],
                                                                   tiny_bart_dir: Path) -> None:
    base = load_base_model(tiny_bart_dir, "cpu")
    eos = base.tokenizer.eos_token_id
    for focal in FOCALS:
        ids = torch.tensor([base.tokenizer(focal)["input_ids"]])
        # Without EOS the random model would stop at once; suppressing it makes 24 real greedy steps.
        kwargs = _kwargs(ids, 1, [SuppressTokensLogitsProcessor([eos]), LoopBlocker(3)])
        expected = base.model.generate(**kwargs).sequences
        got = exported[1].generate(**kwargs).sequences
        assert got.shape[1] == 25  # the decoder start token and 24 generated tokens
        assert got.tolist() == expected.tolist()


def test_batch_with_padding_equals_pytorch(exported: tuple[Path, OnnxSeq2Seq], tiny_bart_dir: Path) -> None:
    base = load_base_model(tiny_bart_dir, "cpu")
    batch = base.tokenizer(FOCALS, padding=True, return_tensors="pt")
    kwargs = _kwargs(batch["input_ids"], 4, [LoopBlocker(3)])
    kwargs["attention_mask"] = batch["attention_mask"]
    assert int(batch["attention_mask"].min()) == 0  # the rows really are padded
    expected = base.model.generate(**kwargs)
    got = exported[1].generate(**kwargs)
    assert got.sequences.tolist() == expected.sequences.tolist()


def test_export_is_reused_from_disk(exported: tuple[Path, OnnxSeq2Seq], tiny_bart_dir: Path,
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    root, first = exported
    base = load_base_model(tiny_bart_dir, "cpu")
    stamp = (first.directory / "prefill.onnx").stat().st_mtime_ns

    def no_export(*args: object, **kwargs: object) -> None:
        raise AssertionError("the cached export should have been reused")

    monkeypatch.setattr(ort_export, "export_graphs", no_export)
    again = OnnxRuntimeCache("onnx", root=root).runner(base.model, base.model, base.fingerprint)
    assert again.directory == first.directory
    assert (again.directory / "prefill.onnx").stat().st_mtime_ns == stamp
    # another adapter's weights get their own folder
    assert ort_export.export_dir(root, base.fingerprint, "ab" * 32, "fp32") != first.directory


def test_exports_of_older_export_versions_are_removed(tmp_path: Path) -> None:
    current = ort_export.export_dir(tmp_path, "a" * 64, None, "fp32").parent
    older = tmp_path / current.name.replace(f"-v{ort_export.EXPORT_VERSION}", "-v0")
    other_weights = tmp_path / ("b" * 16 + "-base-v0")
    for folder in (current / "fp32", older / "fp32", other_weights / "fp32"):
        folder.mkdir(parents=True)
    assert ort_export.remove_outdated(current) == [older]
    assert current.is_dir() and other_weights.is_dir() and not older.exists()


def test_int8_export_is_quantized_and_decodes(exported: tuple[Path, OnnxSeq2Seq], tiny_bart_dir: Path) -> None:
    import onnx

    root, _ = exported
    base = load_base_model(tiny_bart_dir, "cpu")
    runner = OnnxRuntimeCache("onnx-int8", root=root).runner(base.model, base.model, base.fingerprint)
    assert runner.directory.name == "int8"
    step = onnx.load(str(runner.directory / "step.onnx")).graph
    quantized = [node for node in step.node if node.op_type == "MatMulNBits"]
    # every weight matrix, the output layer (a transposed embedding in the float32 graph) included
    assert any(".transposed" in node.input[1] for node in quantized)
    constants = {init.name for init in step.initializer}
    assert not [node.name for node in step.node if node.op_type == "MatMul" and set(node.input) & constants]
    # per decoder layer (2): self-attention q, k, v, out; cross-attention q, out (its keys and values come from the
    # prefill graph); the two feed-forward layers; then the output layer
    assert len(quantized) == 2 * 8 + 1
    assert {init.data_type for init in step.initializer if init.name.endswith("_Q8")} == {onnx.TensorProto.UINT8}
    ids = torch.tensor([base.tokenizer(FOCALS[0])["input_ids"]])
    out = runner.generate(**_kwargs(ids, 5, [LoopBlocker(3)]))
    assert out.sequences.shape[0] == 5 and out.sequences[:, 0].eq(2).all()


def test_int8_graphs_quantized_another_way_are_made_again(exported: tuple[Path, OnnxSeq2Seq], tiny_bart_dir: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """An int8 export of an earlier version (dynamic quantization, no scheme in its meta) is quantized again from
    the float32 export, which stays: nothing is traced."""
    import json

    root, _ = exported
    base = load_base_model(tiny_bart_dir, "cpu")
    first = OnnxRuntimeCache("onnx-int8", root=root).runner(base.model, base.model, base.fingerprint).directory
    meta_file = first / "export.json"
    meta = json.loads(meta_file.read_text())
    assert meta["int8_scheme"] == INT8_SCHEME
    meta_file.write_text(json.dumps({key: value for key, value in meta.items() if key != "int8_scheme"}))

    def no_export(*args: object, **kwargs: object) -> None:
        raise AssertionError("the float32 export should have been reused")

    monkeypatch.setattr(ort_export, "export_graphs", no_export)
    again = OnnxRuntimeCache("onnx-int8", root=root).runner(base.model, base.model, base.fingerprint)
    assert again.directory == first and again.meta["int8_scheme"] == INT8_SCHEME


def test_int8_graphs_that_do_not_run_are_refused_when_made(tiny_bart_dir: Path, tmp_path: Path,
                                                           exported: tuple[Path, OnnxSeq2Seq],
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """An ONNX Runtime (or CPU) without the 8-bit kernels fails when the int8 export is made, with a reason, so the
    caller falls back before a user's generation; here the quantizer writes graphs nothing can run."""
    import shutil

    root = tmp_path / "cache"
    shutil.copytree(exported[0], root)
    for old in root.glob("*/int8"):
        shutil.rmtree(old)
    base = load_base_model(tiny_bart_dir, "cpu")

    def broken(source: Path, target: Path, external: bool, keep: object = ()) -> None:
        target.write_bytes(b"not a graph")

    monkeypatch.setattr(ort_export, "quantize_graph", broken)
    with pytest.raises(OnnxExportError, match="int8 graphs do not run here"):
        OnnxRuntimeCache("onnx-int8", root=root).runner(base.model, base.model, base.fingerprint)
    assert not list(root.glob("*/int8"))


def test_generator_onnx_candidates_equal_torch(exported: tuple[Path, OnnxSeq2Seq], tiny_bart_dir: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TESTTAILOR_ONNX_CACHE", str(exported[0]))
    torch_gen = Generator(base_model=tiny_bart_dir, device="cpu", max_new_tokens=20)
    onnx_gen = Generator(base_model=tiny_bart_dir, device="cpu", max_new_tokens=20, runtime="onnx")
    for focal in FOCALS[:2]:
        expected = torch_gen.generate_for_source(focal, k=3).candidates
        got = onnx_gen.generate_for_source(focal, k=3).candidates
        assert [c.text for c in got] == [c.text for c in expected]
    assert onnx_gen.runtime_note is None
    assert isinstance(onnx_gen.runner(onnx_gen.base.model), OnnxSeq2Seq)


def test_a_cached_base_export_opens_without_loading_a_model_copy(exported: tuple[Path, OnnxSeq2Seq],
                                                                  tiny_bart_dir: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """The base model's export is found by the weights file's fingerprint: the server opens it without loading a
    private copy of the model (seconds, and 260 MB a server would keep for nothing), then gives freed memory back."""
    import customizer.generate as generate_module
    import customizer.runners as runners_module

    monkeypatch.setenv("TESTTAILOR_ONNX_CACHE", str(exported[0]))
    generator = Generator(base_model=tiny_bart_dir, device="cpu", max_new_tokens=20, runtime="onnx")
    generator.server  # noqa: B018 -- the served model, loaded before the copy is forbidden
    released: list[bool] = []

    def no_copy(*args: object, **kwargs: object) -> None:
        raise AssertionError("a model copy was loaded to open a cached export")

    monkeypatch.setattr(runners_module, "load_base_model", no_copy)
    for module in (generate_module, runners_module):  # after an export is built; after each beam search
        monkeypatch.setattr(module, "release_freed_memory", lambda collect=False: released.append(collect))
    future = generator.prepare_runtime()
    assert future is not None and future.result(timeout=120) is None
    assert released == [True]  # after building the runner
    assert isinstance(generator.runner(generator.base.model), OnnxSeq2Seq)
    generator.generate_for_source(FOCALS[0], k=2)
    assert released[0] and len(released) > 1 and not any(released[1:])  # after each beam search, no collection


def test_unsupported_model_falls_back_to_pytorch_with_one_message(penalty_model: Path, tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    model_dir = penalty_model
    monkeypatch.setenv("TESTTAILOR_ONNX_CACHE", str(tmp_path / "cache"))
    onnx_gen = Generator(base_model=model_dir, device="cpu", max_new_tokens=12, runtime="onnx")
    got = onnx_gen.generate_for_source(FOCALS[0], k=2).candidates
    assert onnx_gen.runtime_note == ("runtime onnx: the model's generation setting repetition_penalty=1.3 is not "
                                     "supported by the ONNX beam search; generating with PyTorch instead")
    assert "\n" not in onnx_gen.runtime_note
    expected = Generator(base_model=model_dir, device="cpu", max_new_tokens=12).generate_for_source(
        FOCALS[0], k=2).candidates
    assert [c.text for c in got] == [c.text for c in expected]
    assert not (tmp_path / "cache").exists() or not any((tmp_path / "cache").rglob("*.onnx"))


def test_cli_generate_runtime_onnx_prints_the_fallback_note(java_repo: Path, penalty_model: Path, tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    from customizer.cli import main

    monkeypatch.setenv("TESTTAILOR_HOME", str(tmp_path / "home"))
    command = ["generate", str(java_repo), "--file", "src/main/java/org/example/Calculator.java", "--line", "7",
               "--base-model", str(penalty_model), "--device", "cpu", "--base-only", "--max-new-tokens", "8",
               "--candidates", "1", "--retrieved-first", "0", "--json"]
    assert main([*command, "--runtime", "onnx"]) == 0
    captured = capsys.readouterr()
    note = ("testtailor: note: runtime onnx: the model's generation setting repetition_penalty=1.3 is not "
            "supported by the ONNX beam search; generating with PyTorch instead")
    assert [line for line in captured.err.splitlines() if "runtime onnx" in line] == [note]  # once, one line
    assert json.loads(captured.out)["candidates"]
    with pytest.raises(SystemExit):
        main([*command, "--runtime", "tensorrt"])
    assert "invalid choice: 'tensorrt'" in capsys.readouterr().err


def test_missing_onnxruntime_falls_back(tiny_bart_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import customizer.ort.runtime as runtime

    monkeypatch.setattr(runtime, "onnx_available", lambda: "onnxruntime not installed (pip install onnxruntime)")
    generator = Generator(base_model=tiny_bart_dir, device="cpu", max_new_tokens=8, runtime="onnx")
    module = generator.base.model
    assert generator.runner(module) is module
    assert generator.runtime_note == ("runtime onnx: the ONNX runtime needs onnxruntime not installed (pip install "
                                      "onnxruntime); generating with PyTorch instead")


def test_auto_runtime_is_onnx_on_the_cpu_and_falls_back_quietly(tiny_bart_dir: Path, tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    import customizer.ort.runtime as runtime

    monkeypatch.setenv("TESTTAILOR_ONNX_CACHE", str(tmp_path / "onnx"))
    generator = Generator(base_model=tiny_bart_dir, device="cpu", max_new_tokens=8, runtime="auto")
    module = generator.base.model
    assert generator.active_runtime() == "onnx"
    assert isinstance(generator.runner(module), OnnxSeq2Seq)  # the CLI's Generator waits for the export once
    assert generator.runtime_note is None
    monkeypatch.setattr(runtime, "onnx_available", lambda: "onnxruntime not installed (pip install onnxruntime)")
    assert generator.active_runtime() == "torch"
    assert generator.runner(module) is module and generator.runtime_note is None  # nothing asked for failed


def test_auto_runtime_hides_a_failed_export(penalty_model: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """A model the ONNX search cannot reproduce: ``onnx`` says why, ``auto`` only logs it."""
    monkeypatch.setenv("TESTTAILOR_ONNX_CACHE", str(tmp_path / "onnx"))
    with caplog.at_level(logging.INFO, logger="customizer.runners"):
        for runtime, shown in (("auto", False), ("onnx", True)):
            generator = Generator(base_model=penalty_model, device="cpu", max_new_tokens=8, runtime=runtime)
            module = generator.base.model
            assert generator.runner(module) is module
            assert (generator.runtime_note is not None) is shown
    assert sum("repetition_penalty=1.3" in record.message for record in caplog.records) == 2  # logged both times


def test_runtime_setting_is_validated() -> None:
    assert Settings().runtime == "auto"
    assert parse_settings({"runtime": " ONNX "}) == (Settings(runtime="onnx"), [])
    settings, [warning] = parse_settings({"testtailor": {"runtime": "tensorrt"}})
    assert settings.runtime == "auto"
    assert warning.startswith("testtailor.runtime = 'tensorrt' is invalid: must be one of auto, torch, onnx, onnx-int8")


def _trained_looking(base_model: torch.nn.Module, strategy: str, seed: int, **options: object) -> torch.nn.Module:
    from customizer.strategies import get_strategy

    module = get_strategy(strategy, **options).apply(copy.deepcopy(base_model)).eval()
    torch.manual_seed(seed)
    with torch.no_grad():  # a trained-looking adapter: LoRA's B starts at zero, which would change nothing
        for parameter in module.parameters():
            if parameter.requires_grad:
                parameter.add_(torch.randn_like(parameter) * 0.5)
    return module


@pytest.mark.parametrize("strategy", ["lora", "prefix"])
def test_adapted_model_exports_with_its_adapter_and_equals_pytorch(tiny_bart_dir: Path, tmp_path: Path,
                                                                   strategy: str) -> None:
    """LoRA is merged into the weights, prefixes are inputs of the graphs; outputs match PyTorch."""
    base = load_base_model(tiny_bart_dir, "cpu")
    options = {"length": 4} if strategy == "prefix" else {}
    module = _trained_looking(base.model, strategy, 1, **options)
    runner = OnnxRuntimeCache("onnx", root=tmp_path).runner(module, base.model, base.fingerprint)
    key = ort_export.prefix_fingerprint(module) if strategy == "prefix" else ort_export.state_fingerprint(module)
    assert key is not None and runner.directory.parent.name.split("-")[1] == key[:16]
    ids = torch.tensor([base.tokenizer(FOCALS[0])["input_ids"]])
    kwargs = _kwargs(ids, 5, [LoopBlocker(3)])
    expected = module.generate(**kwargs)
    assert expected.sequences.tolist() != base.model.generate(**kwargs).sequences.tolist()  # the adapter matters
    assert runner.generate(**kwargs).sequences.tolist() == expected.sequences.tolist()


def test_prefix_adapters_of_one_shape_share_one_export_and_its_sessions(tiny_bart_dir: Path, tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """The second prefix adapter is not traced again: its prefixes are fed to the first one's graphs, whose
    sessions both runners share; each decodes as its own PyTorch model. Another prefix length is another export,
    and prefixes of the wrong shape are refused with a message."""
    base = load_base_model(tiny_bart_dir, "cpu")
    first, second = (_trained_looking(base.model, "prefix", seed, length=4) for seed in (1, 2))
    assert ort_export.prefix_fingerprint(first) == ort_export.prefix_fingerprint(second)
    assert ort_export.state_fingerprint(first) != ort_export.state_fingerprint(second)
    traced = []
    real = ort_export.export_graphs
    monkeypatch.setattr(ort_export, "export_graphs", lambda module, out: traced.append(out) or real(module, out))
    cache = OnnxRuntimeCache("onnx", root=tmp_path)
    runners = [cache.runner(module, base.model, base.fingerprint, owner=f"repo{i}/prefix")
               for i, module in enumerate((first, second))]
    assert len(traced) == 1 and runners[0].directory == runners[1].directory
    meta = json.loads((runners[0].directory / "export.json").read_text())
    assert meta["prefix_inputs"] == ort_export.prefix_names(first) and "owner" not in meta  # no adapter owns it
    assert runners[0]._prefill is runners[1]._prefill and runners[0]._step is runners[1]._step
    step_inputs = {spec.name for spec in runners[0]._step.get_inputs() if spec.name.startswith("prefix.")}
    assert step_inputs == {f"prefix.{meta['prefix_inputs'].index(name)}"
                           for name in meta["prefix_inputs"] if ".decoder." in name}  # the decoder's prefixes only
    ids = torch.tensor([base.tokenizer(FOCALS[1])["input_ids"]])
    kwargs = _kwargs(ids, 4, [LoopBlocker(3)])
    for module, runner in zip((first, second), runners, strict=True):  # each runner decodes as its own model
        want, got = module.generate(**kwargs), runner.generate(**kwargs)
        assert got.sequences.tolist() == want.sequences.tolist()
        assert torch.allclose(got.sequences_scores, want.sequences_scores, atol=1e-4)
    scores = [module.generate(**kwargs).sequences_scores for module in (first, second)]
    assert not torch.allclose(scores[0], scores[1], atol=1e-3)  # and the two adapters differ

    longer = _trained_looking(base.model, "prefix", 3, length=6)
    assert cache.runner(longer, base.model, base.fingerprint).directory != runners[0].directory
    assert len(traced) == 2
    wrong = ort_export.prefix_arrays(longer)
    with pytest.raises(OnnxExportError, match=r"prefix\.0 has shape \[4, 6, 8\], but the export .* takes \[4, 4, 8\]"):
        OnnxSeq2Seq(runners[0].directory, prefixes=wrong)
    with pytest.raises(OnnxExportError, match="takes prefix-tuning prefixes as inputs, and none were given"):
        OnnxSeq2Seq(runners[0].directory)


def test_a_failed_export_is_remembered_until_the_libraries_change(penalty_model: Path, tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    from customizer.errors import OnnxExportError

    base = load_base_model(penalty_model, "cpu")
    tries = []
    real_export = ort_export.export_graphs
    monkeypatch.setattr(ort_export, "export_graphs", lambda *a, **k: tries.append(1) or real_export(*a, **k))
    export = lambda: ort_export.ensure_export(base.model, tmp_path, base.fingerprint, None)  # noqa: E731
    with pytest.raises(OnnxExportError, match="repetition_penalty"):
        export()
    [marker] = tmp_path.rglob(f"*{ort_export.FAILED_SUFFIX}")
    # the next server start does not spend the export again, and says how to force a retry
    with pytest.raises(OnnxExportError, match=r"remembered from an earlier try; delete .* to try again"):
        export()
    assert len(tries) == 1
    # another torch / onnxruntime may export it: the marker is dropped and the export tried again
    versions = ort_export._library_versions()
    monkeypatch.setattr(ort_export, "_library_versions", lambda: {**versions, "torch": "99.0"})
    with pytest.raises(OnnxExportError, match="repetition_penalty"):
        export()
    assert len(tries) == 2 and json.loads(marker.read_text())["versions"]["torch"] == "99.0"
    # a failure of the machine (out of memory, disk) is not the model's: not remembered
    marker.unlink()

    def out_of_memory(*_a, **_k):
        raise OnnxExportError("torch.onnx could not export BartForConditionalGeneration: MemoryError") \
            from MemoryError()

    monkeypatch.setattr(ort_export, "export_graphs", out_of_memory)
    with pytest.raises(OnnxExportError, match="MemoryError"):
        export()
    assert not marker.exists()


def test_a_trace_that_fails_once_is_tried_again_before_it_is_remembered(tiny_bart_dir: Path, tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """Tracing shares process-wide state with PyTorch work in other threads: a failure may be transient, so it is
    tried once more, and only a second failure is remembered."""
    from customizer.errors import OnnxExportError

    base = load_base_model(tiny_bart_dir, "cpu")
    real_export = ort_export.export_graphs
    failures = [1]  # the first trace fails

    def flaky(*args: object, **kwargs: object) -> dict:
        if failures:
            failures.pop()
            raise ort_export.TraceFailed("torch.onnx could not export BartForConditionalGeneration: Failed to "
                                         "decompose the FX graph")
        return real_export(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(ort_export, "export_graphs", flaky)
    folder = ort_export.ensure_export(base.model, tmp_path / "once", base.fingerprint, None)
    assert (folder / "step.onnx").is_file() and not list((tmp_path / "once").rglob(f"*{ort_export.FAILED_SUFFIX}"))

    def always(*args: object, **kwargs: object) -> dict:
        raise ort_export.TraceFailed("torch.onnx could not export BartForConditionalGeneration: still broken")

    monkeypatch.setattr(ort_export, "export_graphs", always)
    with pytest.raises(OnnxExportError, match="still broken"):
        ort_export.ensure_export(base.model, tmp_path / "twice", base.fingerprint, None)
    assert len(list((tmp_path / "twice").rglob(f"*{ort_export.FAILED_SUFFIX}"))) == 1


def test_the_trace_runs_in_a_child_process_unless_the_model_cannot_be_handed_over(
        tiny_bart_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Tracing shares process-wide state with PyTorch work in other threads (a server loads adapters meanwhile): it
    runs in a child; a model that cannot be pickled is traced in this process."""
    base = load_base_model(tiny_bart_dir, "cpu")
    here: list[object] = []
    real_trace = ort_export.trace_graphs
    monkeypatch.setattr(ort_export, "trace_graphs", lambda *a, **k: here.append(1) or real_trace(*a, **k))
    folder = ort_export.ensure_export(base.model, tmp_path / "child", base.fingerprint, None)
    assert here == [] and (folder / "step.onnx").is_file() and not (folder / ".trace").exists()
    module = copy.deepcopy(base.model)
    module.not_picklable = lambda: None  # type: ignore[attr-defined]
    folder = ort_export.ensure_export(module, tmp_path / "here", base.fingerprint, None)
    assert here == [1] and (folder / "step.onnx").is_file()
    ids = torch.tensor([base.tokenizer(FOCALS[0])["input_ids"]])
    assert OnnxSeq2Seq(folder).generate(**_kwargs(ids, 2, [])).sequences.tolist() == \
        base.model.generate(**_kwargs(ids, 2, [])).sequences.tolist()


EXPORT_IN_A_FRESH_PROCESS = """
import sys
from pathlib import Path
from customizer.model import load_base_model
from customizer.ort import OnnxRuntimeCache
base = load_base_model(sys.argv[1], "cpu")
OnnxRuntimeCache("onnx", root=Path(sys.argv[2])).runner(base.model, base.model, base.fingerprint)
print("exported")
"""


def test_export_prints_nothing_for_users_to_ignore(tiny_bart_dir: Path, tmp_path: Path) -> None:
    # the exporter logs notes meant for torch developers ("torchvision is not installed. Skipping
    # torchvision::nms", once per process): the editor's log and the command line stay clean
    import os
    import subprocess
    import sys

    quiet = {"TRANSFORMERS_VERBOSITY": "error", "HF_HUB_DISABLE_PROGRESS_BARS": "1"}  # as the CLI and server set
    done = subprocess.run([sys.executable, "-c", EXPORT_IN_A_FRESH_PROCESS, str(tiny_bart_dir), str(tmp_path)],
                          capture_output=True, text=True, timeout=600, env={**os.environ, **quiet})
    assert done.returncode == 0 and done.stdout.strip() == "exported", done.stderr[-2000:]
    assert done.stderr == ""


def test_a_t5_prefix_adapter_runs_on_prefix_inputs_as_in_pytorch(tiny_t5_dir: Path, tmp_path: Path) -> None:
    """T5's relative position bias is padded for the prefix positions; the prefix inputs carry it as BART's do."""
    base = load_base_model(tiny_t5_dir, "cpu")
    module = _trained_looking(base.model, "prefix", 1, length=4)
    runner = OnnxRuntimeCache("onnx", root=tmp_path).runner(module, base.model, base.fingerprint)
    assert runner.meta["prefix_inputs"] == ort_export.prefix_names(module)
    ids = torch.tensor([base.tokenizer(FOCALS[0])["input_ids"]])
    kwargs = _kwargs(ids, 4, [LoopBlocker(3)])
    want, got = module.generate(**kwargs), runner.generate(**kwargs)
    assert got.sequences.tolist() == want.sequences.tolist()
    assert torch.allclose(got.sequences_scores, want.sequences_scores, atol=1e-4)


def test_disabled_prefix_slots_are_not_inputs(tiny_bart_dir: Path) -> None:
    """A model with the serving's empty prefix slots exports as the base model: no prefix inputs, no shared key."""
    from customizer.strategies.prefix import install_prefix_slots

    model = copy.deepcopy(load_base_model(tiny_bart_dir, "cpu").model)
    install_prefix_slots(model)
    assert ort_export.prefix_names(model) == [] and ort_export.prefix_fingerprint(model) is None
    names = ort_export.prefix_names(_trained_looking(load_base_model(tiny_bart_dir, "cpu").model, "prefix", 1,
                                                     length=4))
    assert names and all(".testtailor_prefix." in name for name in names)
