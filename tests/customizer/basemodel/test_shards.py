"""A run's best checkpoint survives the trip back from a GPU machine: int8 or bf16 shards + meta.tar → run/best."""

from __future__ import annotations

import json

import pytest
import torch
from transformers import AutoModelForSeq2SeqLM, PreTrainedTokenizerFast

from customizer.basemodel.shards import main, pack, unpack
from customizer.int8_weights import (
    INT8_WEIGHTS_FILE,
    is_int8_file,
    load_int8,
    load_into,
    save_int8,
    save_int8_shards,
)


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
    files = pack(run, tmp_path / "out", max_shard_mb=1, precision="bf16")
    assert {f.name for f in files} >= {"meta.tar"} and all(f.stat().st_size <= 16e6 for f in files)
    assert not any(is_int8_file(f) for f in files if f.suffix == ".safetensors")
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


def test_int8_pack_is_the_default_and_unpacks_to_the_dequantized_weights(tiny_bart_dir, tmp_path):
    run, model = _run_dir(tiny_bart_dir, tmp_path)
    files = pack(run, tmp_path / "out")
    shards = [f for f in files if f.suffix == ".safetensors"]
    assert shards and all(is_int8_file(f) for f in shards)
    bf16_bytes = sum(t.numel() * 2 for t in model.state_dict().values())
    assert sum(f.stat().st_size for f in shards) < 0.75 * bf16_bytes  # int8 matrices: about half of bf16
    best = unpack(tmp_path / "out", tmp_path / "local-run", tiny_bart_dir)
    rebuilt = AutoModelForSeq2SeqLM.from_pretrained(best)
    expected = load_int8(save_int8(model, tmp_path / INT8_WEIGHTS_FILE))
    for name, tensor in rebuilt.state_dict().items():
        source = "model.shared.weight" if name not in expected else name  # tied embeddings are stored once
        assert torch.equal(tensor, expected[source]), name
    assert rebuilt.get_output_embeddings().weight.data_ptr() == rebuilt.get_input_embeddings().weight.data_ptr()
    assert rebuilt.generation_config.decoder_start_token_id == model.generation_config.decoder_start_token_id
    assert (best / "tokenizer.json").is_file()


def test_int8_shards_split_by_size_keep_each_scale_with_its_matrix_and_load_back_together(tiny_bart_dir, tmp_path):
    model = AutoModelForSeq2SeqLM.from_pretrained(tiny_bart_dir)
    whole = load_int8(save_int8(model, tmp_path / INT8_WEIGHTS_FILE))
    (tmp_path / "split").mkdir()
    files = save_int8_shards(model, tmp_path / "split" / INT8_WEIGHTS_FILE, max_bytes=4096)
    assert len(files) > 3 and [f.name for f in files][:2] == ["model.int8-00001.safetensors",
                                                               "model.int8-00002.safetensors"]
    merged = {}
    for f in files:
        part = load_int8(f)  # refuses an int8 matrix whose scale is in another file
        assert not set(part) & set(merged)
        merged.update(part)
    assert merged.keys() == whole.keys() and all(torch.equal(merged[k], whole[k]) for k in whole)
    fresh = AutoModelForSeq2SeqLM.from_config(model.config)
    load_into(fresh, files)
    assert all(torch.equal(fresh.state_dict()[k], whole[k]) for k in whole)


def test_unpack_refuses_int8_and_bf16_shards_mixed(tiny_bart_dir, tmp_path):
    run, _ = _run_dir(tiny_bart_dir, tmp_path)
    pack(run, tmp_path / "out", precision="bf16")
    save_int8(AutoModelForSeq2SeqLM.from_pretrained(tiny_bart_dir), tmp_path / "out" / INT8_WEIGHTS_FILE)
    with pytest.raises(ValueError, match="mixes int8 and bf16"):
        unpack(tmp_path / "out", tmp_path / "local-run", tiny_bart_dir)
