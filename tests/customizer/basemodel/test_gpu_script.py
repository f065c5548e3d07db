"""scripts/gpu_base_model.sh end to end on the CPU (tiny preset): what the device machine runs, returns and how
the files come back into a run directory."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from transformers import PreTrainedTokenizerFast

from customizer.basemodel.data import tokenize_pairs
from customizer.basemodel.shards import unpack
from customizer.model import load_base_model

ROOT = Path(__file__).resolve().parents[3]


def _pairs(n: int) -> list[dict]:
    return [{"repo": f"pkg{i % 3}", "focal": {"body": f"public int v{i % 5}() {{ return {i}; }}"},
             "context": {"class_name": "Foo", "constructors": [], "methods": [], "fields": []},
             "test": {"body": f"@Test public void testV{i % 5}() {{ assertEquals({i}, foo.v{i % 5}()); }}"}}
            for i in range(n)]


def test_gpu_script_trains_and_returns_shards_that_unpack_into_a_loadable_run(tiny_bart_dir, tmp_path):
    carried = tmp_path / "carried"
    (carried / "data").mkdir(parents=True)
    tok = PreTrainedTokenizerFast.from_pretrained(tiny_bart_dir)
    tok.save_pretrained(carried / "tokenizer")
    data, _ = tokenize_pairs(tok, _pairs(30), max_source=64, max_target=200)
    data.save(carried / "data" / "train.npz")
    data.subset(range(6)).save(carried / "data" / "val.npz")
    out = tmp_path / "out"
    out.mkdir()
    env = {**os.environ, "GPU_DIR": str(carried), "OUT": str(out), "PY": sys.executable, "RUN": str(tmp_path / "run"),
           "MINUTES": "0.03", "PRESET": "tiny", "DEVICE": "cpu", "BATCH_TOKENS": "600", "DENOISE_TOKENS": "0",
           "EVAL_EVERY_S": "0", "TOTAL_TOKENS": "1e5"}
    done = subprocess.run(["bash", "scripts/gpu_base_model.sh"], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    names = sorted(p.name for p in out.iterdir())
    assert "meta.tar" in names and "train.log" in names and any(n.endswith(".safetensors") for n in names)
    assert '"phase": "pairs"' in (out / "train.log").read_text()
    local = tmp_path / "local-run"
    best = unpack(out, local, carried / "tokenizer")
    assert (local / "history.jsonl").is_file()
    assert load_base_model(best, device="cpu", cache=False).model.config.d_model == 32


def test_gpu_evaluate_script_computes_cells_from_carried_pairs_and_returns_them(java_repo, tiny_bart_dir, tmp_path):
    import tarfile

    from customizer.evaluate.store import iter_cells
    from customizer.mining.miner import mine_repository
    from customizer.mining.pairs import write_pairs

    staged = tmp_path / "staged" / "calc"
    staged.mkdir(parents=True)
    write_pairs(staged / "pairs.jsonl", mine_repository(java_repo).pairs)
    carried = tmp_path / "carried"
    carried.mkdir()
    with tarfile.open(carried / "results.tgz", "w:gz") as tar:
        tar.add(staged.parent, arcname=".")
    out = tmp_path / "out"
    out.mkdir()
    env = {**os.environ, "GPU_DIR": str(carried), "OUT": str(out), "PY": sys.executable, "WORK": str(tmp_path / "w"),
           "DEVICE": "cpu", "STRATEGIES": "retrieve,base", "MAX_TEST": "2", "JOBS": "2", "BUDGET_S": "300",
           "BASE_MODEL": str(tiny_bart_dir), "TESTTAILOR_THREADS": "1"}
    done = subprocess.run(["bash", "scripts/gpu_evaluate.sh"], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    back = tmp_path / "back"
    back.mkdir()
    with tarfile.open(out / "results.tgz") as tar:
        tar.extractall(back, filter="data")
    assert not (back / "calc" / "pairs.jsonl").exists()  # the pairs stay here; only results come back
    assert sorted(c.system for c, _, _ in iter_cells(back)) == ["base", "retrieve"]
    assert "2 cells to compute with 2 workers" in (out / "evaluate.log").read_text()


def test_train_then_evaluate_script_returns_weights_logs_and_the_new_models_cells(java_repo, tiny_bart_dir,
                                                                                   tmp_path):
    """scripts/gpu_base_model_eval.sh: one call trains further from a model, evaluates the export and returns
    within the device tool's 8 files."""
    import tarfile

    from transformers import BartForConditionalGeneration

    from customizer.basemodel.presets import PRESETS
    from customizer.evaluate.store import iter_cells
    from customizer.mining.miner import mine_repository
    from customizer.mining.pairs import write_pairs

    carried = tmp_path / "carried"
    (carried / "data").mkdir(parents=True)
    tok = PreTrainedTokenizerFast.from_pretrained(tiny_bart_dir)
    data, _ = tokenize_pairs(tok, _pairs(30), max_source=64, max_target=200)
    data.save(carried / "data" / "train.npz")
    data.subset(range(6)).save(carried / "data" / "val.npz")
    start = tmp_path / "start"  # the model trained further: a tiny-preset one, as the shipped one is gpu-42m's
    BartForConditionalGeneration(PRESETS["tiny"].config(len(tok))).save_pretrained(start)
    tok.save_pretrained(start)
    staged = tmp_path / "staged" / "calc"
    staged.mkdir(parents=True)
    write_pairs(staged / "pairs.jsonl", mine_repository(java_repo).pairs)
    with tarfile.open(carried / "results.tgz", "w:gz") as tar:
        tar.add(staged.parent, arcname=".")
    out = tmp_path / "out"
    out.mkdir()
    env = {**os.environ, "GPU_DIR": str(carried), "OUT": str(out), "PY": sys.executable, "RUN": str(tmp_path / "run"),
           "MODEL": str(tmp_path / "model"), "EVAL_OUT": str(tmp_path / "eval-out"), "WORK": str(tmp_path / "w"),
           "INIT_FROM": str(start), "TOKENIZER": str(tiny_bart_dir), "MINUTES": "0.03", "PRESET": "tiny",
           "DEVICE": "cpu", "BATCH_TOKENS": "600", "DENOISE_TOKENS": "0", "EVAL_EVERY_S": "0",
           "TOTAL_TOKENS": "1e5", "WARMUP_STEPS": "2", "STRATEGIES": "base", "RETRIEVAL": "1", "MAX_TEST": "2",
           "JOBS": "1", "BUDGET_S": "300", "TESTTAILOR_THREADS": "1"}
    done = subprocess.run(["bash", "scripts/gpu_base_model_eval.sh"], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=900)
    assert done.returncode == 0, done.stdout + done.stderr
    names = sorted(p.name for p in out.iterdir())
    assert len(names) <= 8 and "meta.tar" in names and "logs-results.tar" in names
    back = tmp_path / "back"
    with tarfile.open(out / "logs-results.tar") as tar:
        tar.extractall(back, filter="data")
    assert "initialized from" in (back / "train.log").read_text()
    with tarfile.open(back / "results.tgz") as tar:
        tar.extractall(back / "results", filter="data")
    assert [c.system for c, _, _ in iter_cells(back / "results")] == ["base+r1"]
    model = load_base_model(tmp_path / "model", device="cpu", cache=False)
    assert "testtailor-base-candidate" in model.description
    best = unpack(out, tmp_path / "local-run", tiny_bart_dir)
    assert load_base_model(best, device="cpu", cache=False).model.config.d_model == 32
