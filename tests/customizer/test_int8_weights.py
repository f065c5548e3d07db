"""The shipped weights' storage format: int8 per row, dequantized at load, tied weights kept tied."""

from __future__ import annotations

import json

import pytest
import torch
from safetensors.torch import save_file
from transformers import AutoModelForSeq2SeqLM

from customizer.basemodel.export import export_checkpoint
from customizer.errors import ModelLoadError
from customizer.int8_weights import (
    INT8_WEIGHTS_FILE,
    Int8WeightsError,
    int8_weight_files,
    load_int8,
    load_int8_model,
    quantize_rows,
    save_int8,
    save_int8_model,
)
from customizer.model import fingerprint_weights, load_base_model


def test_rowwise_quantization_error_is_at_most_half_a_step_and_zero_rows_stay_zero():
    torch.manual_seed(0)
    w = torch.randn(16, 64) * torch.logspace(-3, 1, 16).unsqueeze(1)  # rows of very different magnitudes
    w[3] = 0
    q, scale = quantize_rows(w)
    assert q.dtype == torch.int8 and scale.shape == (16, 1)
    err = (q.float() * scale - w).abs()
    assert (err <= scale / 2 + 1e-7).all()
    assert (q[3] == 0).all() and scale[3].item() == 1.0
    assert (q.abs().amax(dim=1)[torch.arange(16) != 3] == 127).all()  # each row uses the full range


@pytest.mark.parametrize("fixture", ["tiny_bart_dir", "tiny_t5_dir"])
def test_exported_int8_model_loads_tied_and_close_to_the_original(fixture, request, tmp_path):
    src = request.getfixturevalue(fixture)
    out = export_checkpoint(src, tmp_path / "shipped", name="t")
    assert (out / INT8_WEIGHTS_FILE).is_file() and not (out / "model.safetensors").exists()
    assert json.loads((out / "testtailor.json").read_text())["dtype"] == "int8-rowwise"
    base = load_base_model(out, device="cpu", cache=False)
    assert base.fingerprint == fingerprint_weights(out / INT8_WEIGHTS_FILE)
    original = AutoModelForSeq2SeqLM.from_pretrained(src).eval()
    model = base.model
    if model.config.tie_word_embeddings:
        assert model.get_output_embeddings().weight.data_ptr() == model.get_input_embeddings().weight.data_ptr()
    ids = torch.tensor([[5, 17, 42, 9, 2]])
    with torch.no_grad():
        a = original(input_ids=ids, decoder_input_ids=ids).logits
        b = model(input_ids=ids, decoder_input_ids=ids).logits
    assert torch.allclose(a, b, atol=0.05 * a.abs().max().item())
    assert a.argmax(-1).eq(b.argmax(-1)).float().mean() >= 0.8


def test_int8_file_roundtrip_keeps_names_and_small_tensors_in_bf16(tiny_bart_dir, tmp_path):
    model = AutoModelForSeq2SeqLM.from_pretrained(tiny_bart_dir)
    path = save_int8(model, tmp_path / INT8_WEIGHTS_FILE)
    state = load_int8(path)
    names = set(model.state_dict())
    assert set(state) <= names and "model.shared.weight" in state
    assert "lm_head.weight" not in state  # tied: stored once
    bias = model.state_dict()["model.encoder.layers.0.fc1.bias"]
    assert torch.allclose(state["model.encoder.layers.0.fc1.bias"], bias.bfloat16().float())


def test_an_int8_file_of_another_format_or_missing_weights_is_refused_with_a_clear_error(tiny_bart_dir, tmp_path):
    out = export_checkpoint(tiny_bart_dir, tmp_path / "shipped", name="t")
    state = load_int8(out / INT8_WEIGHTS_FILE)
    save_file({k: v.contiguous() for k, v in state.items()}, str(out / INT8_WEIGHTS_FILE))  # no format tag
    with pytest.raises(ModelLoadError, match="not a TestTailor int8 weights file"):
        load_base_model(out, device="cpu", cache=False)
    del state["model.encoder.layers.0.fc1.weight"]
    save_file({k: v.contiguous() for k, v in state.items()}, str(out / INT8_WEIGHTS_FILE),
              metadata={"format": "testtailor-int8-rowwise-v1"})
    with pytest.raises(ModelLoadError, match=r"lacks weights of this model: model\.encoder\.layers\.0\.fc1\.weight"):
        load_base_model(out, device="cpu", cache=False)


def test_int8_model_directory_round_trip_whole_and_sharded(tiny_bart_dir, tmp_path):
    model = AutoModelForSeq2SeqLM.from_pretrained(tiny_bart_dir).eval()
    model.generation_config.num_beams = 3
    whole = save_int8_model(model, tmp_path / "whole")
    shards = save_int8_model(model, tmp_path / "sharded", max_bytes=20_000)
    assert whole == [tmp_path / "whole" / INT8_WEIGHTS_FILE] and len(shards) > 1
    assert int8_weight_files(tmp_path / "sharded") == shards
    ids = torch.tensor([[5, 17, 42, 9, 2]])
    logits = []
    for folder in ("whole", "sharded"):
        loaded = load_int8_model(tmp_path / folder).eval()
        assert loaded.generation_config.num_beams == 3  # the generation config travels with the weights
        with torch.no_grad():
            logits.append(loaded(input_ids=ids, decoder_input_ids=ids).logits)
    assert torch.equal(logits[0], logits[1])  # sharding changes the files, not the weights
    with pytest.raises(Int8WeightsError, match="holds no"):
        load_int8_model(tmp_path / "nothing-here")
