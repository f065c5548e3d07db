"""Denoising pretraining then pairs: methods data, the phase switch, resuming across it, old checkpoints."""

import json

import numpy as np
import pytest
import torch
from transformers import PreTrainedTokenizerFast

from customizer.basemodel.data import tokenize_pairs
from customizer.basemodel.denoise_data import (
    TokenizedMethods,
    denoise_batches,
    denoise_collate,
    select_methods,
    tokenize_methods,
)
from customizer.basemodel.trainer import RunConfig, train_base
from customizer.inputs import encode_target


def _methods(n: int) -> list[dict]:
    return [{"package": f"pkg{i // 10}", "file": f"F{i}.java", "method": f"get{i}",
             "text": f"public int get{i}(int a) {{\n  int b = a + {i};\n  return b * {i % 5};\n}}"} for i in range(n)]


def _pairs(n: int) -> list[dict]:
    return [{"repo": f"pkg{i % 3}", "focal": {"body": f"public int value{i % 7}() {{ return {i}; }}"},
             "context": {"class_name": "Foo", "constructors": [], "methods": [], "fields": []},
             "test": {"body": f"@Test public void testValue{i % 7}() {{ assertEquals({i}, foo.value{i % 7}()); }}"}}
            for i in range(n)]


@pytest.fixture(scope="module")
def data(tiny_bart_dir):
    tok = PreTrainedTokenizerFast.from_pretrained(tiny_bart_dir)
    train, _ = tokenize_pairs(tok, _pairs(24), max_source=64, max_target=200)
    methods, _ = tokenize_methods(tok, _methods(30))
    return train, train.subset(range(6)), methods, methods.subset(range(6))


def _cfg(**kw) -> RunConfig:
    base = {"preset": "tiny", "batch_tokens": 400, "eval_every_s": 1e9, "checkpoint_every_s": 1e9,
            "warmup_steps": 2, "bf16": False, "total_tokens": 1e4, "denoise_tokens": 1500.0}
    return RunConfig(**{**base, **kw})


def _run(run, data, tiny_bart_dir, cfg, max_steps):
    train, val, methods, methods_val = data
    return train_base(run, train, val, tiny_bart_dir, cfg, max_minutes=10, log=lambda m: None,
                      methods=methods, methods_val=methods_val, max_steps=max_steps)


def test_methods_are_sampled_across_packages_tokenized_and_saved(tiny_bart_dir, tmp_path):
    records = _methods(100)
    chosen = select_methods(iter(records), 20, seed=0)
    assert len(chosen) == 20 and chosen == select_methods(iter(records), 20, seed=0)
    assert len({r["package"] for r in chosen}) >= 5  # not just the first package of the shard
    assert chosen != select_methods(iter(records), 20, seed=1)
    tok = PreTrainedTokenizerFast.from_pretrained(tiny_bart_dir)
    data, stats = tokenize_methods(tok, [*chosen, {"text": "int x() {" + " x++;" * 300 + "}"},
                                         {"text": "String s() { return \"<mask>\"; }"}], max_tokens=200)
    assert stats == {"methods": 20, "dropped_long": 1, "dropped_special": 1, "packages": len(
        {r["package"] for r in chosen})}
    assert data.method(0).tolist() == encode_target(tok, chosen[0]["text"], max_tokens=1 << 30)
    data.save(tmp_path / "methods.npz")
    again = TokenizedMethods.load(tmp_path / "methods.npz")
    assert len(again) == 20 and np.array_equal(again.method(3), data.method(3))


def test_denoise_batch_is_noised_source_and_clean_target(tiny_bart_dir, data):
    tok = PreTrainedTokenizerFast.from_pretrained(tiny_bart_dir)
    methods = data[2]
    [idx, *_] = denoise_batches(methods, 400, np.random.default_rng(0))
    batch = denoise_collate(methods, idx, np.random.default_rng(0), tok.mask_token_id, tok.all_special_ids,
                            tok.pad_token_id, tok.eos_token_id)
    for row, i in enumerate(idx):
        clean = methods.method(i)
        labels = batch["labels"][row]
        assert labels[: len(clean)].tolist() == clean.tolist() and (labels[len(clean):] == -100).all()
        src = batch["input_ids"][row][batch["attention_mask"][row].bool()].tolist()
        assert tok.mask_token_id in src and len(src) < len(clean)
        assert batch["decoder_input_ids"][row, 0] == tok.eos_token_id


def test_denoise_then_pairs_end_to_end(tiny_bart_dir, data, tmp_path):
    run = tmp_path / "run"
    summary = _run(run, data, tiny_bart_dir, _cfg(eval_every_s=0.0), max_steps=12)
    assert summary["phase"] == "pairs" and summary["steps"] == 12
    assert summary["phase_tokens"]["denoise"] >= 1500 and summary["phase_tokens"]["pairs"] > 0
    history = [json.loads(line) for line in (run / "history.jsonl").read_text().splitlines()]
    phases = [h["phase"] for h in history]
    assert phases[0] == "denoise" and phases[-1] == "pairs" and phases == sorted(phases)  # one switch
    assert all("val_loss" in h and "val_loss_shuffled" in h for h in history)  # pairs always reported
    assert all("val_loss_denoise" in h for h in history if h["phase"] == "denoise")
    assert not any("val_loss_denoise" in h for h in history if h["phase"] == "pairs")
    # the best checkpoint is a test writer: chosen in the pairs phase only
    assert json.loads((run / "best" / "training_state.json").read_text())["phase"] == "pairs"
    state = torch.load(run / "last.pt", weights_only=False)["state"]
    assert state["phase"] == "pairs" and state["phase_start_step"] > 0
    # the model card says how much denoising the model had
    from customizer.basemodel.card import loss_plot, render_card
    from customizer.basemodel.export import export_checkpoint

    shipped = export_checkpoint(run / "best", tmp_path / "shipped", name="t")
    evaluation = {"pairs": 2, "packages": 1, "bleu": 1.0, "parse_rate": 50.0, "degenerate_rate": 0.0,
                  "distinct_top1": 100.0, "focal_name_rate": 0.0, "perplexity": 9.0, "shuffle_gap_nats": 0.1,
                  "per_package": {"a": {"pairs": 2, "bleu": 1.0, "perplexity": 9.0}}}
    card = render_card(shipped, run, evaluation, {}, "loss.png", ["testtailor base-model train --denoise-tokens 1500"])
    loss_plot(history, tmp_path / "loss.png")
    assert (tmp_path / "loss.png").stat().st_size > 1000
    assert "Denoising pretraining first" in card and f"{state['phase_tokens']['denoise']:,} of 1,500 tokens" in card


def test_resume_across_the_switch_gives_the_same_model(tiny_bart_dir, data, tmp_path):
    straight, pieces = tmp_path / "straight", tmp_path / "pieces"
    _run(straight, data, tiny_bart_dir, _cfg(), max_steps=12)
    seen = []
    for stop in (2, 5, 9, 12):  # stops before, around and after the switch, each a fresh process state
        # batches noised by two worker processes here, in the training process above: the same noise
        seen.append(_run(pieces, data, tiny_bart_dir, _cfg(loader_workers=2), max_steps=stop)["phase"])
    assert "denoise" in seen and seen[-1] == "pairs"
    a = torch.load(straight / "last.pt", weights_only=False)
    b = torch.load(pieces / "last.pt", weights_only=False)
    assert a["state"]["phase_tokens"] == b["state"]["phase_tokens"]
    assert a["state"]["phase_start_step"] == b["state"]["phase_start_step"]
    for name, tensor in a["model"].items():
        assert torch.allclose(tensor, b["model"][name], atol=1e-6), name


def test_a_checkpoint_from_before_phases_resumes_as_pairs(tiny_bart_dir, data, tmp_path):
    run = tmp_path / "old"
    _run(run, data, tiny_bart_dir, _cfg(denoise_tokens=0.0), max_steps=3)
    ck = torch.load(run / "last.pt", weights_only=False)
    # exactly what the trainer wrote before phases existed: no phase fields, no RNG state
    ck["state"] = {k: ck["state"][k] for k in ("step", "epoch", "batch_in_epoch", "tokens", "flops", "wall_s",
                                               "best_val", "history", "train_loss", "lr") if k in ck["state"]}
    torch.save({k: ck[k] for k in ("model", "optimizer", "state")}, run / "last.pt")
    train, val, _, _ = data
    # a denoising config and no methods: an old run is a pairs run, so it needs none
    summary = train_base(run, train, val, tiny_bart_dir, _cfg(), max_minutes=10, log=lambda m: None, max_steps=5)
    assert summary["steps"] == 5 and summary["phase"] == "pairs"
    assert summary["phase_tokens"]["denoise"] == 0 and summary["phase_tokens"]["pairs"] == summary["tokens"]


def test_a_denoising_run_without_methods_says_what_to_do(tiny_bart_dir, data, tmp_path):
    train, val, _, _ = data
    with pytest.raises(ValueError, match="prepare --methods"):
        train_base(tmp_path / "r", train, val, tiny_bart_dir, _cfg(), max_minutes=1, log=lambda m: None)


def test_cli_prepares_methods_and_trains_through_the_switch(tiny_bart_dir, tmp_path, capsys):
    from customizer.cli import main

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "methods-000.jsonl").write_text("".join(json.dumps(r) + "\n" for r in _methods(40)))
    for name, pairs in (("pairs-000", _pairs(20)), ("val-000", _pairs(6))):
        (corpus / f"{name}.jsonl").write_text("".join(json.dumps(p) + "\n" for p in pairs))
    out = tmp_path / "data"
    common = ["base-model", "prepare", "--corpus", str(corpus), "--tokenizer", str(tiny_bart_dir), "--out", str(out)]
    assert main([*common, "--max-source", "64", "--max-target", "200"]) == 0
    assert main([*common, "--methods", "--max-methods", "30", "--val-methods", "5"]) == 0
    stats = json.loads((out / "stats.json").read_text())
    assert stats["methods"]["methods"] == 30 and stats["methods-val"]["methods"] == 5 and stats["train"]["pairs"] == 20
    assert len(TokenizedMethods.load(out / "methods.npz")) == 30
    capsys.readouterr()
    run = tmp_path / "run"
    assert main(["base-model", "train", "--data", str(out), "--tokenizer", str(tiny_bart_dir), "--run", str(run),
                 "--preset", "tiny", "--batch-tokens", "400", "--denoise-tokens", "1200", "--total-tokens", "1e4",
                 "--max-steps", "10", "--eval-every-s", "1e9"]) == 0
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert summary["steps"] == 10 and summary["phase"] == "pairs" and summary["phase_tokens"]["denoise"] >= 1200
    assert json.loads((run / "config.json").read_text())["denoise_tokens"] == 1200
