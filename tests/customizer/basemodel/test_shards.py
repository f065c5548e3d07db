"""A run's best checkpoint survives the trip back from a GPU machine: bf16 shards + meta.tar → run/best."""

from __future__ import annotations

import json

import torch
from transformers import AutoModelForSeq2SeqLM, PreTrainedTokenizerFast

from customizer.basemodel.shards import main, pack, unpack


def _run_dir(tiny_bart_dir, tmp_path):
    run = tmp_path / "run"
    best = run / "best"
    model = AutoModelForSeq2SeqLM.from_pretrained(tiny_bart_dir)
    model.save_pretrained(best, safe_serialization=True)
    PreTrainedTokenizerFast.from_pretrained(tiny_bart_dir).save_pretrained(best)
    (best / "training_state.json").write_text(json.dumps({"step": 7, "val_loss": 1.5}))
    (run / "history.jsonl").write_text('{"step": 7}\n')
    (run / "config.json").write_text('{"preset": "tiny"}')
    return run, model


def test_pack_then_unpack_rebuilds_the_checkpoint_in_bf16_with_history(tiny_bart_dir, tmp_path):
    run, model = _run_dir(tiny_bart_dir, tmp_path)
    files = pack(run, tmp_path / "out", max_shard_mb=1)
    assert {f.name for f in files} >= {"meta.tar"} and all(f.stat().st_size <= 16e6 for f in files)
    back = tmp_path / "local-run"
    best = unpack(tmp_path / "out", back, tiny_bart_dir)
    rebuilt = AutoModelForSeq2SeqLM.from_pretrained(best)
    for name, tensor in model.state_dict().items():
        assert torch.equal(rebuilt.state_dict()[name].float(), tensor.bfloat16().float()), name
    assert (best / "tokenizer.json").is_file()
    assert json.loads((best / "training_state.json").read_text())["step"] == 7
    assert (back / "history.jsonl").read_text() == '{"step": 7}\n'
    assert json.loads((back / "config.json").read_text())["preset"] == "tiny"


def test_pack_refuses_a_run_without_a_best_checkpoint_and_the_cli_prints_files(tiny_bart_dir, tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    try:
        pack(tmp_path / "empty", tmp_path / "out")
    except FileNotFoundError as exc:
        assert "never reached a pairs evaluation" in str(exc)
    else:
        raise AssertionError("pack accepted a run without best/")
    run, _ = _run_dir(tiny_bart_dir, tmp_path)
    assert main(["pack", str(run), str(tmp_path / "cli-out")]) == 0
    assert "meta.tar" in capsys.readouterr().out
