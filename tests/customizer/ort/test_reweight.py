"""Adapted models' exports made from the base model's export as overlays of their changed weights, and when that is
refused.

A tiny random BART whose every parameter is distinct (random layer norms and biases, as a trained model has) is
exported once; each test adapts a copy, and the export must decode exactly as PyTorch does with the adapted
weights, without tracing again where the strategy only changes weights, and hold only the weights it changed.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file
from transformers import LogitsProcessorList

from customizer.generate import LoopBlocker
from customizer.model import load_base_model
from customizer.ort import OnnxRuntimeCache
from customizer.ort import export as ort_export
from customizer.ort import tracing as ort_tracing
from customizer.ort.reweight import OVERLAY_FILE, WEIGHTS_FILE, ReweightRefused, reweight
from customizer.strategies import get_strategy

FOCAL = "public int add(int a, int b) { return a + b; }"


def _distinct(tiny_dir: Path, out: Path) -> Path:
    """The tiny model of conftest in ``tiny_dir`` with random layer norms and biases (as a trained model has them),
    so that no two parameters are equal."""
    import shutil

    from transformers import AutoConfig, AutoModelForSeq2SeqLM

    shutil.copytree(tiny_dir, out)  # the tokenizer; the weights are replaced below
    torch.manual_seed(3)
    model = AutoModelForSeq2SeqLM.from_config(AutoConfig.from_pretrained(tiny_dir))
    with torch.no_grad():
        for name, parameter in model.named_parameters():
            if parameter.dim() == 1:
                parameter.copy_(torch.randn_like(parameter) * 0.1 + (1.0 if "norm" in name and "weight" in name
                                                                      else 0.0))
    model.save_pretrained(out, safe_serialization=True)
    return out


@pytest.fixture(scope="module")
def distinct_bart(tiny_bart_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _distinct(tiny_bart_dir, tmp_path_factory.mktemp("distinct") / "bart")


@pytest.fixture(scope="module")
def base_root(distinct_bart: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An export cache holding the base model's export (and its weight map)."""
    base = load_base_model(distinct_bart, "cpu")
    root = tmp_path_factory.mktemp("onnx")
    OnnxRuntimeCache("onnx", root=root).runner(base.model, base.model, base.fingerprint)
    return root


def _cache_with_base(base_root: Path, tmp_path: Path) -> Path:
    """A private copy of the cache with only the base export, for a test that adds or changes exports."""
    import shutil

    root = tmp_path / "onnx"
    shutil.copytree(base_root, root)
    return root


def _adapted(base_model: torch.nn.Module, strategy: str, seed: int = 1) -> torch.nn.Module:
    options = {"length": 4} if strategy == "prefix" else {}
    module = get_strategy(strategy, **options).apply(copy.deepcopy(base_model)).eval()
    torch.manual_seed(seed)
    with torch.no_grad():  # a trained-looking adapter (LoRA's B starts at zero, which would change nothing)
        for parameter in module.parameters():
            if parameter.requires_grad:
                parameter.add_(torch.randn_like(parameter) * 0.3)
    return module


def _generate(runner: object, ids: torch.Tensor) -> list[list[int]]:
    out = runner.generate(input_ids=ids, attention_mask=torch.ones_like(ids), num_beams=4,  # type: ignore[attr-defined]
                          num_return_sequences=4, max_new_tokens=16, do_sample=False, early_stopping=True,
                          return_dict_in_generate=True, logits_processor=LogitsProcessorList([LoopBlocker(3)]))
    return out.sequences.tolist()


def _no_tracing(monkeypatch: pytest.MonkeyPatch) -> None:
    def traced(*args: object, **kwargs: object) -> None:
        raise AssertionError("the adapted model was traced again instead of made from the base export")

    monkeypatch.setattr(ort_export, "export_graphs", traced)


def _reweight_from_base(root: Path, fingerprint: str, module: torch.nn.Module, tmp_path: Path) -> None:
    """:func:`reweight` the base export of ``root`` with ``module``'s weights into a scratch export folder."""
    base_dir = ort_export.export_dir(root, fingerprint, None, "fp32")
    out = root / "scratch-v0" / "fp32"
    out.mkdir(parents=True, exist_ok=True)
    reweight(ort_export.merged_for_export(module), base_dir, out, json.loads((base_dir / "export.json").read_text()))


def _decodes_as_pytorch(root: Path, base: object, module: torch.nn.Module) -> None:
    runner = OnnxRuntimeCache("onnx", root=root).runner(module, base.model, base.fingerprint)  # type: ignore[attr-defined]
    ids = torch.tensor([base.tokenizer(FOCAL)["input_ids"]])  # type: ignore[attr-defined]
    assert _generate(runner, ids) == _generate(module, ids)


def test_base_export_records_where_each_parameter_is(base_root: Path, distinct_bart: Path) -> None:
    base = load_base_model(distinct_bart, "cpu")
    folder = ort_export.export_dir(base_root, base.fingerprint, None, "fp32")
    mapping = json.loads((folder / WEIGHTS_FILE).read_text())
    held = {name for entries in mapping["graphs"].values() for found in entries.values() for name, _ in found}
    # every parameter is in the graphs (the folded matrices transposed), only the tied copies of the embedding
    # share an initializer
    assert held == set(mapping["params"]) and not mapping["unheld"]
    transposed = [t for entries in mapping["graphs"].values() for found in entries.values() for _, t in found]
    assert any(transposed) and not all(transposed)
    shared = [found for found in mapping["graphs"]["prefill.onnx"].values() if len(found) > 1]
    assert all(all("embed_tokens" in n or "shared" in n or "lm_head" in n for n, _ in found) for found in shared)


@pytest.mark.parametrize("strategy", ["l-ldb", "l-eo", "full", "lora"])
def test_weight_only_adapters_are_made_from_the_base_export(strategy: str, base_root: Path, distinct_bart: Path,
                                                            tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = _cache_with_base(base_root, tmp_path)
    base = load_base_model(distinct_bart, "cpu")
    module = _adapted(base.model, strategy)
    _no_tracing(monkeypatch)
    runner = OnnxRuntimeCache("onnx", root=root).runner(module, base.model, base.fingerprint)
    assert runner.directory.parent.name.split("-")[1] == ort_export.state_fingerprint(module)[:16]
    # an overlay: the parameters the strategy trained, no graphs of its own
    assert sorted(p.name for p in runner.directory.iterdir()) == ["export.json", OVERLAY_FILE]
    overlay = set(load_file(runner.directory / OVERLAY_FILE))
    every = json.loads((ort_export.export_dir(root, base.fingerprint, None, "fp32") / WEIGHTS_FILE).read_text())
    trained = {n for n, p in module.named_parameters() if p.requires_grad}
    if strategy == "l-ldb":
        assert overlay == trained and all(".decoder.layers.1." in n for n in overlay)
    elif strategy == "lora":  # merged: the matrices LoRA adapts changed, not its factors
        assert overlay == {n.split(".lora_")[0].replace(".base_layer", "") + ".weight" for n in trained}
    elif strategy == "l-eo":  # the tied embedding and output layer (under one of their names) and the positions
        assert any("embed_positions" in n for n in overlay) and len(overlay) < len(every["params"]) / 4
    else:
        assert len(overlay) >= len(trained) - 2  # full: every parameter, the tied copies once
    ids = torch.tensor([base.tokenizer(FOCAL)["input_ids"]])
    expected = _generate(module, ids)
    assert expected != _generate(base.model, ids)  # the adapter matters
    assert _generate(runner, ids) == expected


def test_prefix_changes_the_graphs_and_is_traced(base_root: Path, distinct_bart: Path, tmp_path: Path) -> None:
    root = _cache_with_base(base_root, tmp_path)
    base = load_base_model(distinct_bart, "cpu")
    module = _adapted(base.model, "prefix")
    with pytest.raises(ReweightRefused, match="parameters differ from the base model's"):
        _reweight_from_base(root, base.fingerprint, module, tmp_path)
    _decodes_as_pytorch(root, base, module)


def test_equal_parameters_that_part_ways_are_refused(tiny_bart_dir: Path, tmp_path: Path) -> None:
    """conftest's tiny BART has every layer norm at ones: one trained block makes its norms differ from the rest,
    which the base graphs may hold in one initializer, so the model is traced again (and still decodes right)."""
    base = load_base_model(tiny_bart_dir, "cpu")
    root = tmp_path / "onnx"
    OnnxRuntimeCache("onnx", root=root).runner(base.model, base.model, base.fingerprint)
    module = _adapted(base.model, "l-ldb")
    with pytest.raises(ReweightRefused, match="equal parameters that now differ"):
        _reweight_from_base(root, base.fingerprint, module, tmp_path)
    _decodes_as_pytorch(root, base, module)


def _edit_map(root: Path, fingerprint: str, edit: object) -> None:
    path = ort_export.export_dir(root, fingerprint, None, "fp32") / WEIGHTS_FILE
    mapping = json.loads(path.read_text())
    edit(mapping)  # type: ignore[operator]
    path.write_text(json.dumps(mapping))


def test_a_changed_parameter_no_initializer_holds_is_refused(base_root: Path, distinct_bart: Path,
                                                             tmp_path: Path) -> None:
    """As if the exporter had folded the last block's feed-forward weight into something else."""
    root = _cache_with_base(base_root, tmp_path)
    base = load_base_model(distinct_bart, "cpu")
    target = "model.decoder.layers.1.fc2.weight"

    def unhold(mapping: dict) -> None:
        for entries in mapping["graphs"].values():
            for name in [n for n, found in entries.items() if any(p == target for p, _ in found)]:
                del entries[name]
        mapping["unheld"][target] = "0" * 64

    _edit_map(root, base.fingerprint, unhold)
    module = _adapted(base.model, "l-ldb")
    with pytest.raises(ReweightRefused, match=f"{target} changed but no initializer"):
        _reweight_from_base(root, base.fingerprint, module, tmp_path)


def test_a_wrong_map_is_caught_by_the_probe_and_the_model_traced(base_root: Path, distinct_bart: Path,
                                                                  tmp_path: Path) -> None:
    """Two same-shaped matrices swapped in the map: the rewritten graphs compute something else, the probe sees
    it, and the export is traced instead, so what decodes is still the adapted model."""
    root = _cache_with_base(base_root, tmp_path)
    base = load_base_model(distinct_bart, "cpu")
    first, second = "model.decoder.layers.1.self_attn.q_proj.weight", "model.decoder.layers.1.self_attn.k_proj.weight"

    def swap(mapping: dict) -> None:
        for entries in mapping["graphs"].values():
            for found in entries.values():
                for pair in found:
                    pair[0] = {first: second, second: first}.get(pair[0], pair[0])

    _edit_map(root, base.fingerprint, swap)
    module = _adapted(base.model, "l-ldb")
    with pytest.raises(ReweightRefused, match="differs from the adapted model"):
        _reweight_from_base(root, base.fingerprint, module, tmp_path)
    _decodes_as_pytorch(root, base, module)


def test_the_generator_exports_the_base_once_then_rewrites_each_adapter(
        distinct_bart: Path, java_repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The product's path: an adapter's first ONNX use exports the base model (from a private copy) and makes the
    adapter's export from it; the candidates are PyTorch's."""
    from customizer.adapters import AdapterStore
    from customizer.customize import customize_project
    from customizer.generate import Generator
    from customizer.train import TrainConfig

    store = AdapterStore(tmp_path / "store")
    customize_project(java_repo, "l-ldb", "cpu", distinct_bart, store=store,
                      config=TrainConfig(num_threads=1, max_epochs=2, lr=3e-2))
    monkeypatch.setenv("TESTTAILOR_ONNX_CACHE", str(tmp_path / "onnx"))
    traced: list[object] = []
    export_graphs = ort_export.export_graphs

    def counted(module: torch.nn.Module, out: Path) -> dict:
        traced.append(out)
        return export_graphs(module, out)

    monkeypatch.setattr(ort_export, "export_graphs", counted)
    expected = Generator(store=store, base_model=distinct_bart, device="cpu", max_new_tokens=20)
    generator = Generator(store=store, base_model=distinct_bart, device="cpu", max_new_tokens=20, runtime="onnx")
    ref, _ = generator.model_for(java_repo)
    future = generator.prepare_runtime(ref)
    assert future is not None and future.result(timeout=300) is None
    assert len(traced) == 1 and "-base-" in str(traced[0])  # the base model, traced once; the adapter fed to it
    assert len(list((tmp_path / "onnx").glob("*/fp32/weights.json"))) == 1
    [adapter_export] = (tmp_path / "onnx").glob(f"*/fp32/{OVERLAY_FILE}")
    assert json.loads((adapter_export.parent / "export.json").read_text())["fed_inputs"]  # l-ldb: its block fed
    focal, line = "src/main/java/org/example/Calculator.java", 6
    got = generator.generate_for_position(java_repo, focal, line, k=3).candidates
    assert [c.text for c in got] == [c.text for c in expected.generate_for_position(java_repo, focal, line, k=3)
                                     .candidates]
    assert generator.runtime_note is None
    # the base model now runs on the sessions the adapter's runner opened, its own block fed
    adapter_runner = generator.runners.exports[generator.runners.export_key(ref)]
    base_runner = generator.runner(generator.base.model)
    assert base_runner.directory == adapter_runner.directory and base_runner._step is adapter_runner._step
    base_got = generator.generate_for_position(java_repo, focal, line, k=3, base_only=True).candidates
    assert [c.text for c in base_got] == [c.text for c in expected.generate_for_position(
        java_repo, focal, line, k=3, base_only=True).candidates]
    assert len(traced) == 1


def test_a_t5_adapter_is_made_from_the_base_export(tiny_t5_dir: Path, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """Strategies find their modules by anatomy: the same holds for T5 (relative attention bias, no positions)."""
    model_dir = _distinct(tiny_t5_dir, tmp_path / "t5")
    base = load_base_model(model_dir, "cpu")
    root = tmp_path / "onnx"
    OnnxRuntimeCache("onnx", root=root).runner(base.model, base.model, base.fingerprint)
    module = _adapted(base.model, "full")
    _no_tracing(monkeypatch)
    _decodes_as_pytorch(root, base, module)


def test_an_int8_adapter_export_quantizes_the_rewritten_graphs(base_root: Path, distinct_bart: Path, tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    root = _cache_with_base(base_root, tmp_path)
    base = load_base_model(distinct_bart, "cpu")
    module = _adapted(base.model, "l-ldb")
    _no_tracing(monkeypatch)
    runner = OnnxRuntimeCache("onnx-int8", root=root).runner(module, base.model, base.fingerprint)
    assert runner.directory.name == "int8" and (runner.directory.parent / "fp32" / OVERLAY_FILE).is_file()
    assert (runner.directory / "prefill.onnx").is_file()  # quantized from the complete graphs, made for it
    assert not (runner.directory / "fp32-graphs").exists()
    ids = torch.tensor([base.tokenizer(FOCAL)["input_ids"]])
    assert len(_generate(runner, ids)) == 4


def test_an_int8_prefix_export_keeps_its_prefix_inputs(base_root: Path, distinct_bart: Path, tmp_path: Path) -> None:
    """int8 graphs of a prefix export (prefixes are graph inputs, not weights): the quantizer leaves those inputs
    alone, the graphs run when made (prefixes zero) and decode with the adapter's prefixes."""
    import onnx

    root = _cache_with_base(base_root, tmp_path)
    base = load_base_model(distinct_bart, "cpu")
    module = _adapted(base.model, "prefix")
    runner = OnnxRuntimeCache("onnx-int8", root=root).runner(module, base.model, base.fingerprint)
    assert runner.directory.name == "int8"
    step = onnx.load(str(runner.directory / "step.onnx")).graph
    assert any(node.op_type == "MatMulNBits" for node in step.node)
    assert any(spec.name.startswith("prefix.") for spec in step.input)
    ids = torch.tensor([base.tokenizer(FOCAL)["input_ids"]])
    assert len(_generate(runner, ids)) == 4


def test_an_overlay_whose_base_export_was_made_again_is_made_again(base_root: Path, distinct_bart: Path,
                                                                    tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """An overlay names its base export and the digest of its weight map: a base export made again (another
    exporter may name and transpose initializers differently) makes the overlay stale, and it is made again from
    the new base, without tracing; a base export that is gone takes its overlays with it when the cache is pruned."""
    root = _cache_with_base(base_root, tmp_path)
    base = load_base_model(distinct_bart, "cpu")
    module = _adapted(base.model, "l-ldb")
    _no_tracing(monkeypatch)
    first = OnnxRuntimeCache("onnx", root=root).runner(module, base.model, base.fingerprint)
    made = (first.directory / OVERLAY_FILE).stat().st_mtime_ns
    weights = ort_export.export_dir(root, base.fingerprint, None, "fp32") / WEIGHTS_FILE
    weights.write_text(json.dumps(json.loads(weights.read_text()), indent=1))  # same map, another digest
    again = OnnxRuntimeCache("onnx", root=root).runner(module, base.model, base.fingerprint)
    assert again.directory == first.directory and (again.directory / OVERLAY_FILE).stat().st_mtime_ns != made
    ids = torch.tensor([base.tokenizer(FOCAL)["input_ids"]])
    assert _generate(again, ids) == _generate(module, ids)

    from customizer.ort import disk_budget

    disk_budget.remove(weights.parent.parent)
    disk_budget.prune(root, keep=root / "unrelated")
    assert not first.directory.parent.exists()


def test_an_overlay_decodes_as_its_complete_graphs(base_root: Path, distinct_bart: Path, tmp_path: Path) -> None:
    """The overlay's graphs written out in full (what int8 quantization reads) compute what the overlay does."""
    from customizer.ort.reweight import materialize
    from customizer.ort.runtime import OnnxSeq2Seq

    root = _cache_with_base(base_root, tmp_path)
    base = load_base_model(distinct_bart, "cpu")
    module = _adapted(base.model, "l-eo")
    runner = OnnxRuntimeCache("onnx", root=root).runner(module, base.model, base.fingerprint)
    complete = root / "complete-v0" / "fp32"
    complete.mkdir(parents=True)
    meta = json.loads((runner.directory / "export.json").read_text())
    materialize(runner.directory, meta, complete)
    (complete / "export.json").write_text(json.dumps({k: v for k, v in meta.items() if k != "overlay"}))
    ids = torch.tensor([base.tokenizer(FOCAL)["input_ids"]])
    assert _generate(OnnxSeq2Seq(complete), ids) == _generate(runner, ids) == _generate(module, ids)


def test_a_prefix_model_is_refused_before_it_is_copied(base_root: Path, distinct_bart: Path, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    base = load_base_model(distinct_bart, "cpu")
    module = _adapted(base.model, "prefix")
    base_dir = ort_export.export_dir(base_root, base.fingerprint, None, "fp32")

    def copied(*args: object, **kwargs: object) -> None:
        raise AssertionError("the model was copied although its parameters cannot fit the base export")

    monkeypatch.setattr(ort_export, "merged_for_export", copied)
    assert ort_export._reweighted(module, tmp_path / "target", base_dir, None) is None
    assert not (tmp_path / "target").exists()


def test_any_parameters_can_be_graph_inputs(base_root: Path, distinct_bart: Path, tmp_path: Path) -> None:
    """``trace_graphs(inputs=...)``: the last decoder block as inputs (the question of bench_onnx_block_inputs.py);
    fed its own values, the step graph computes what the base export's computes; the encoder's are not step inputs."""
    import numpy as np
    import onnxruntime as ort

    from customizer.strategies import anatomy

    base = load_base_model(distinct_bart, "cpu")
    model = ort_export.merged_for_export(base.model)
    name_of = {id(p): n for n, p in model.named_parameters()}
    block = [name_of[id(p)] for p in anatomy.decoder_blocks(model)[-1].parameters()]
    encoder = [name_of[id(p)] for p in anatomy.encoder_blocks(model)[0].parameters()][:2]
    names = [*encoder, *block]
    assert ort_tracing.step_input_names(model, names) == block
    ort_export.trace_graphs(model, tmp_path, ort_export.generation_settings(model), inputs=names)
    params = dict(model.named_parameters())
    weights = {f"prefix.{i}": params[n].detach().numpy() for i, n in enumerate(names)}
    step = ort.InferenceSession(str(tmp_path / ort_export.STEP_FILE), providers=["CPUExecutionProvider"])
    given = [i.name for i in step.get_inputs() if i.name.startswith("prefix.")]
    assert given == [f"prefix.{names.index(n)}" for n in block]
    reference = ort.InferenceSession(str(ort_export.export_dir(base_root, base.fingerprint, None, "fp32")
                                         / ort_export.STEP_FILE), providers=["CPUExecutionProvider"])
    rng = np.random.default_rng(0)
    feed: dict[str, np.ndarray] = {"decoder_input_ids": np.full((2, 1), 7, np.int64),
                                   "encoder_attention_mask": np.ones((2, 5), np.int64)}
    for graph_input in reference.get_inputs()[2:]:
        shape = [2 if d == "batch" else 3 if d == "past" else 5 if isinstance(d, str) else d for d in graph_input.shape]
        feed[graph_input.name] = rng.standard_normal(shape).astype(np.float32)
    want = reference.run(None, feed)[0]
    got = step.run(None, {**feed, **{n: weights[n] for n in given}})[0]
    np.testing.assert_allclose(got, want, atol=1e-4)


def test_l_ldb_adapters_share_one_session_pair_with_their_blocks_fed(base_root: Path, distinct_bart: Path,
                                                                     tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    from customizer.ort.fed import FED_INPUTS, FedRefused

    root = _cache_with_base(base_root, tmp_path)
    base = load_base_model(distinct_bart, "cpu")
    _no_tracing(monkeypatch)
    cache = OnnxRuntimeCache("onnx", root=root)
    strategy = get_strategy("l-ldb")
    modules = [_adapted(base.model, "l-ldb", seed=seed) for seed in (1, 2)]
    fed = [name for name, _ in strategy.trainable_parameters(modules[0])]
    own = cache.runner(copy.deepcopy(modules[0]), base.model, base.fingerprint, owner="repo0/l-ldb")  # as before
    assert FED_INPUTS not in own.meta and own.directory.is_dir()
    runners = [cache.runner(module, base.model, base.fingerprint, owner=f"repo{i}/l-ldb", fed=fed)
               for i, module in enumerate(modules)]
    assert runners[0].directory == runners[1].directory  # one export, owned by no adapter
    assert runners[0]._prefill is runners[1]._prefill and runners[0]._step is runners[1]._step
    meta = json.loads((runners[0].directory / "export.json").read_text())
    assert meta[FED_INPUTS] == fed and "owner" not in meta
    assert not own.directory.exists()  # the adapter's export of its own is not needed any more
    assert sorted(p.name for p in runners[0].directory.iterdir()) == ["export.json", OVERLAY_FILE]
    assert load_file(runners[0].directory / OVERLAY_FILE) == {}  # the weights come with each call
    assert any(i.name.startswith("fed.") for i in runners[0]._step.get_inputs())
    # sessions opened from graphs edited in memory do not keep a copy of them (onnxruntime's wrapper would)
    assert runners[0]._prefill._model_bytes is None and own._step._model_bytes is None
    ids = torch.tensor([base.tokenizer(FOCAL)["input_ids"]])
    outputs = [_generate(runner, ids) for runner in runners]
    assert outputs == [_generate(module, ids) for module in modules] and outputs[0] != outputs[1]
    # a parameter the graphs cannot take as an input: the adapter gets an export of its own
    with pytest.raises(FedRefused, match="no initializer"):
        ort_export.ensure_fed_export(modules[0], root, base.fingerprint, [*fed, "model.no.such.weight"])
    alone = cache.runner(_adapted(base.model, "l-ldb", seed=3), base.model, base.fingerprint, fed=["nope.weight"])
    assert FED_INPUTS not in alone.meta and alone.directory != runners[0].directory


def test_l_ldb_adapters_share_one_int8_session_pair_with_their_blocks_fed(base_root: Path, distinct_bart: Path,
                                                                          tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """With onnx-int8, L-LDB adapters run on one int8 export too: the base graphs quantized but for the fed block's
    products, whose weights stay float32 under their names and become inputs when opened; the adapter's own int8
    export is not made, and each adapter decodes with its own block."""
    import onnx

    from customizer.ort.fed import FED_INPUTS

    root = _cache_with_base(base_root, tmp_path)
    base = load_base_model(distinct_bart, "cpu")
    _no_tracing(monkeypatch)
    cache = OnnxRuntimeCache("onnx-int8", root=root)
    fed = [name for name, _ in get_strategy("l-ldb").trainable_parameters(base.model)]
    modules = [_adapted(base.model, "l-ldb", seed=seed) for seed in (1, 2)]
    runners = [cache.runner(module, base.model, base.fingerprint, owner=f"repo{i}/l-ldb", fed=fed)
               for i, module in enumerate(modules)]
    assert runners[0].directory == runners[1].directory and runners[0].directory.name == "int8"
    assert runners[0]._step is runners[1]._step
    assert runners[0].meta[FED_INPUTS] == fed and "overlay" not in runners[0].meta
    step = onnx.load(str(runners[0].directory / "step.onnx")).graph
    assert any(node.op_type == "MatMulNBits" for node in step.node)
    constants = {init.name for init in step.initializer}
    float_products = [n for n in step.node if n.op_type == "MatMul" and set(n.input) & constants]
    assert len(float_products) == 8  # the last decoder block's: q, k, v, out, cross q, cross out, two feed-forward
    assert any(i.name.startswith("fed.") for i in runners[0]._step.get_inputs())
    ids = torch.tensor([base.tokenizer(FOCAL)["input_ids"]])
    outputs = [_generate(runner, ids) for runner in runners]
    assert outputs[0] != outputs[1]
    assert len(list(root.glob("*/int8"))) == 1  # neither adapter got an int8 export of its own
