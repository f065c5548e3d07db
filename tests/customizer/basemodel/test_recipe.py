"""The base-model recipe end to end on a tiny corpus: prepare → train (resumable) → export → load."""

import json
from dataclasses import asdict

import numpy as np
from transformers import AutoModelForSeq2SeqLM, PreTrainedTokenizerFast

from customizer.basemodel.data import TokenizedPairs, collate, length_bucketed_batches, tokenize_pairs
from customizer.basemodel.export import export_checkpoint
from customizer.basemodel.trainer import RunConfig, train_base
from customizer.model import load_base_model


def _pairs(n: int) -> list[dict]:
    out = []
    for i in range(n):
        name = f"value{i % 7}"
        out.append({"repo": f"pkg{i % 3}",
                    "focal": {"body": f"public int {name}() {{ return {i}; }}"},
                    "context": {"class_name": "Foo", "constructors": [], "methods": [], "fields": []},
                    "test": {"body": f"@Test public void test{name}() {{ assertEquals({i}, foo.{name}()); }}"}})
    return out


def test_tokenize_drops_long_targets_and_collate_shifts_decoder_inputs(tiny_bart_dir):
    tok = PreTrainedTokenizerFast.from_pretrained(tiny_bart_dir)
    data, stats = tokenize_pairs(tok, _pairs(10), max_source=64, max_target=12)
    assert stats["dropped_long_target"] == 10 and len(data) == 0
    data, stats = tokenize_pairs(tok, _pairs(10), max_source=64, max_target=200)
    assert len(data) == 10 and stats["packages"] == 3
    assert data.target(0)[-1] == tok.eos_token_id
    batch = collate(data, np.array([0, 1]), tok.pad_token_id, start_id=2)
    assert (batch["decoder_input_ids"][:, 0] == 2).all()
    assert (batch["decoder_input_ids"][0, 1:5] == batch["labels"][0, :4]).all()


def test_batches_cover_every_pair_once_within_budget(tiny_bart_dir):
    tok = PreTrainedTokenizerFast.from_pretrained(tiny_bart_dir)
    data, _ = tokenize_pairs(tok, _pairs(50), max_source=64, max_target=200)
    batches = length_bucketed_batches(data, 400, np.random.default_rng(0))
    assert sorted(np.concatenate(batches).tolist()) == list(range(50))
    sl, tl = data.lengths()
    for b in batches:
        assert len(b) == 1 or len(b) * (sl[b].max() + tl[b].max()) <= 400


def test_train_resumes_and_exports_a_loadable_bf16_checkpoint(tiny_bart_dir, tmp_path):
    tok = PreTrainedTokenizerFast.from_pretrained(tiny_bart_dir)
    train, _ = tokenize_pairs(tok, _pairs(40), max_source=64, max_target=200)
    val = train.subset(range(8))
    path = tmp_path / "train.npz"
    train.save(path)
    assert len(TokenizedPairs.load(path)) == 40
    cfg = RunConfig(preset="tiny", batch_tokens=600, eval_every_s=0.0, checkpoint_every_s=0.0, warmup_steps=2,
                    bf16=False, total_tokens=1e5)
    run = tmp_path / "run"
    # step limits, not a time budget: a loaded machine must not change what the test sees
    first = train_base(run, train, val, tiny_bart_dir, cfg, max_minutes=10, log=lambda m: None, max_steps=6)
    second = train_base(run, train, val, tiny_bart_dir, cfg, max_minutes=10, log=lambda m: None, max_steps=12)
    assert second["steps"] > first["steps"]  # resumed, not restarted
    history = [json.loads(line) for line in (run / "history.jsonl").read_text().splitlines()]
    assert {"val_loss", "val_loss_shuffled", "shuffle_gap", "pflops"} <= set(history[-1])
    out = export_checkpoint(run / "best", tmp_path / "shipped", name="t")  # int8 weights, the shipped format
    assert load_base_model(out, device="cpu", cache=False).model.config.d_model == 32
    meta = json.loads((out / "testtailor.json").read_text())
    assert meta["name"] == "t" and meta["dtype"] == "int8-rowwise"
    # a new run can start from the exported (int8) weights and goes on from its loss, not from scratch
    again = tmp_path / "again"
    cont = train_base(again, train, val, tiny_bart_dir, RunConfig(**{**asdict(cfg), "init_from": str(out)}),
                      max_minutes=10, log=lambda m: None, max_steps=2)
    first_eval = json.loads((again / "history.jsonl").read_text().splitlines()[0])
    assert first_eval["phase"] == "pairs" and cont["phase"] == "pairs"
    assert first_eval["val_loss"] < history[0]["val_loss"] - 0.05  # the run from scratch started higher
    assert json.loads((again / "config.json").read_text())["init_from"] == str(out)
    out16 = export_checkpoint(run / "best", tmp_path / "shipped-bf16", name="t", weights="bf16")
    model = AutoModelForSeq2SeqLM.from_pretrained(out16, use_safetensors=True)
    assert next(model.parameters()).dtype.is_floating_point


def test_card_measures_a_model_on_dev_eval_pairs(tiny_bart_dir, tmp_path):
    from customizer.basemodel.card import evaluate_base, sample_dev_eval
    from customizer.mining.pairs import Pair, write_pairs

    dev = tmp_path / "dev-eval"
    dev.mkdir()
    for pkg in ("a", "b"):
        pairs = [Pair.from_dict({"id": f"{pkg}{i}", "repo": pkg, "commit": "c", "heuristic": "name",
                                 "focal": {"file": "F.java", "class": "F", "method": f"m{i}",
                                           "signature": f"int m{i}()", "body": f"int m{i}() {{ return {i}; }}",
                                           "byte_range": [0, 1], "line": 1},
                                 "context": {"class_name": "F", "constructors": [], "methods": [], "fields": []},
                                 "test": {"file": "T.java", "class": "T", "method": f"testM{i}",
                                          "body": f"@Test void testM{i}() {{ assertEquals({i}, f.m{i}()); }}"}})
                 for i in range(3)]
        write_pairs(dev / f"{pkg}.jsonl", pairs)
    sample = sample_dev_eval(dev, per_package=2)
    assert len(sample) == 4 and {p.repo for p in sample} == {"a", "b"}
    result = evaluate_base(tiny_bart_dir, sample)
    assert result["pairs"] == 4 and set(result["per_package"]) == {"a", "b"}
    assert result["perplexity"] > 1 and 0 <= result["parse_rate"] <= 100


def _card_inputs(tmp_path, interim: bool):
    model, run = tmp_path / "model", tmp_path / "run"
    model.mkdir(parents=True)
    run.mkdir()
    (model / "testtailor.json").write_text(json.dumps({"name": "m", "params": 42e6, "dtype": "int8-rowwise",
                                                       "interim": interim, "source_checkpoint": "/x/runs/r/best"}))
    (model / "config.json").write_text(json.dumps({"d_model": 448, "encoder_layers": 6, "decoder_layers": 6,
                                                   "encoder_attention_heads": 7, "encoder_ffn_dim": 1792,
                                                   "max_position_embeddings": 1024, "vocab_size": 16384}))
    (run / "config.json").write_text(json.dumps({"betas": [0.9, 0.98], "lr": 5e-4, "warmup_steps": 200,
                                                 "batch_tokens": 65536, "bf16": not interim,
                                                 "denoise_tokens": 4e7}))
    rows = [{"phase": "denoise", "step": 10, "tokens": 4e7, "phase_tokens": {"denoise": 4e7, "pairs": 0},
             "pflops": 10.0, "wall_s": 200.0, "val_loss": 5.3, "val_loss_shuffled": 6.2, "shuffle_gap": 0.9},
            {"phase": "pairs", "step": 20, "tokens": 1.3e8, "phase_tokens": {"denoise": 4e7, "pairs": 9e7},
             "pflops": 32.5, "wall_s": 624.0, "val_loss": 1.82, "val_loss_shuffled": 2.94, "shuffle_gap": 1.12,
             "lr": 2.5e-4}]
    (run / "history.jsonl").write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    evaluation = {"pairs": 4, "packages": 2, "bleu": 9.5, "parse_rate": 95.0, "degenerate_rate": 1.0,
                  "distinct_top1": 100.0, "focal_name_rate": 60.0, "perplexity": 5.0, "shuffle_gap_nats": 0.8,
                  "per_package": {"a": {"pairs": 2, "bleu": 9.0, "perplexity": 5.0}}}
    return model, run, evaluation


def test_card_says_interim_or_shipped_and_which_bars_are_missed(tmp_path):
    from customizer.basemodel.card import render_card

    model, run, evaluation = _card_inputs(tmp_path / "gpu", interim=False)
    text = render_card(model, run, evaluation, {}, "loss.png", ["cmd"], hardware="one NVIDIA H200 GPU")
    assert "**Status: shipped.** Trained for 10.4 minutes on one NVIDIA H200 GPU" in text
    assert "does not meet issue #5's quality bar" in text and "bf16 autocast" in text
    assert "BLEU-4 9.5 against the bar of 12" in text and "named in 60%" in text and "parse against" not in text
    model, run, evaluation = _card_inputs(tmp_path / "cpu", interim=True)
    text = render_card(model, run, evaluation, {}, "loss.png", ["cmd"])
    assert "**Status: INTERIM.**" in text and "fp32 (this CPU has no native bf16)" in text
