"""Paper Table 1 on a bart-large-sized model, counts on T5, anatomy, tied weights, the registry and the CLI."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
import torch
from safetensors.torch import load_file, save_file

from customizer.cli import main
from customizer.cli.strategies import bart_large_config, strategy_table
from customizer.errors import UnknownStrategyError
from customizer.model import BaseModel, count_parameters
from customizer.strategies import STRATEGY_NAMES, StrategyOptionError, anatomy, get_strategy


@pytest.fixture(scope="module")
def bart_large_rows() -> dict[str, dict]:
    rows = strategy_table(bart_large_config(), prefix_length=200)
    return {row["strategy"] + ("+cross" if row["options"].get("cross_attention") and row["strategy"] == "prefix"
                               else ""): row for row in rows}


@pytest.mark.parametrize(("strategy", "total", "trainable"), [
    ("full", 406e6, 406e6), ("l-eo", 406e6, 53e6), ("l-ldb", 406e6, 17e6), ("prefix", 416e6, 10e6)])
def test_table_1_reproduced_for_bart_large(bart_large_rows: dict[str, dict], strategy: str, total: float,
                                           trainable: float) -> None:
    row = bart_large_rows[strategy]
    assert row["total"] == pytest.approx(total, rel=0.05)
    assert row["trainable"] == pytest.approx(trainable, rel=0.05)


def test_bart_large_prefix_is_1024_x_200_x_24_x_2(bart_large_rows: dict[str, dict]) -> None:
    # the paper's count (keys and values), plus one gate per attention head (16 heads x 24 modules)
    assert bart_large_rows["prefix"]["trainable"] == 1024 * 200 * 24 * 2 + 16 * 24
    assert bart_large_rows["prefix+cross"]["trainable"] == 1024 * 200 * 36 * 2 + 16 * 36
    assert 0.1 < bart_large_rows["l-ldb"]["backward_fraction"] < 0.25


def test_cli_prints_table_and_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["strategies", "--config", "bart-large", "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert [row["strategy"] for row in payload["strategies"]] == ["full", "l-eo", "l-ldb", "prefix", "prefix", "lora"]
    assert main(["strategies", "--config", "bart-large", "--prefix-length", "100"]) == 0
    out = capsys.readouterr().out
    assert "l-ldb" in out and "prefix P=100" in out and "406.3M" in out


def test_cli_explains_missing_base_model_and_bad_config(monkeypatch: pytest.MonkeyPatch, tmp_path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr("customizer.model.shipped_base_model_dir", lambda: None)  # imported when used
    assert main(["strategies"]) == 23
    assert "--config bart-large" in capsys.readouterr().err
    assert main(["strategies", "--config", str(tmp_path / "nope")]) == 23


def test_cli_reads_a_checkpoint_config(tiny_t5_dir, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["strategies", "--config", str(tiny_t5_dir), "--json", "--prefix-length", "4"]) == 0
    prefix, prefix_cross = (row for row in json.loads(capsys.readouterr().out)["strategies"]
                            if row["strategy"] == "prefix")
    # 4 self-attention modules, keys + values, P=4, 32 wide, and a gate per head (4)
    assert prefix["trainable"] == 4 * 2 * 4 * 4 * 8 + 4 * 4
    assert prefix_cross["trainable"] == 6 * 2 * 4 * 4 * 8 + 6 * 4


def test_t5_counts(fresh_base: Callable[[str], BaseModel]) -> None:
    counts = {}
    for name in STRATEGY_NAMES:
        model = fresh_base("t5").model
        strategy = get_strategy(name, length=4) if name == "prefix" else get_strategy(name)
        strategy.apply(model)
        counts[name] = strategy.count(model)
    base_total = count_parameters(fresh_base("t5").model)
    assert counts["full"] == (base_total, base_total)
    assert counts["l-eo"] == (400 * 32, base_total)  # shared embeddings = tied lm_head, no position table
    last_block = sum(p.numel() for p in fresh_base("t5").model.decoder.block[1].parameters())
    assert counts["l-ldb"] == (last_block, base_total)
    prefix = 4 * 2 * 4 * 32 + 4 * 4  # keys and values of 4 modules, a gate per head
    assert counts["prefix"] == (prefix, base_total + prefix)
    assert counts["lora"][1] == base_total + counts["lora"][0]


@pytest.mark.parametrize("family", ["bart", "t5"])
def test_anatomy_finds_parts(family: str, fresh_base: Callable[[str], BaseModel]) -> None:
    model = fresh_base(family).model
    assert anatomy.token_embeddings(model).weight.shape == (400, 32)
    assert anatomy.output_layer(model).weight.shape == (400, 32)
    assert len(anatomy.encoder_blocks(model)) == len(anatomy.decoder_blocks(model)) == 2
    kinds = [kind for _, _, kind in anatomy.self_attention_modules(model)]
    assert kinds == ["encoder", "encoder", "decoder", "cross", "decoder", "cross"]
    assert len(anatomy.position_embeddings(model)) == (2 if family == "bart" else 0)
    _, module, _ = anatomy.self_attention_modules(model)[0]
    assert anatomy.attention_geometry(module) == (4, 8)


@pytest.mark.parametrize("family", ["bart", "t5"])
def test_l_eo_saves_tied_tensor_once_and_load_keeps_the_tie(family: str, fresh_base: Callable[[str], BaseModel],
                                                            tmp_path) -> None:
    model = fresh_base(family).model
    strategy = get_strategy("l-eo")
    strategy.apply(model)
    with torch.no_grad():
        anatomy.token_embeddings(model).weight.add_(0.5)
    assert anatomy.output_layer(model).weight is anatomy.token_embeddings(model).weight
    state = strategy.state_dict(model)
    assert sum(1 for tensor in state.values() if tensor.shape == (400, 32)) == 1
    save_file(state, tmp_path / "a.safetensors")
    fresh = fresh_base(family).model
    get_strategy("l-eo").load_state_dict(fresh, load_file(tmp_path / "a.safetensors"))
    head, embeddings = anatomy.output_layer(fresh).weight, anatomy.token_embeddings(fresh).weight
    assert head is embeddings
    assert torch.equal(head, anatomy.token_embeddings(model).weight)
    if family == "bart":
        assert not fresh.final_logits_bias.requires_grad


def test_registry_names_options_and_errors() -> None:
    assert [get_strategy(name).name for name in STRATEGY_NAMES] == list(STRATEGY_NAMES)
    assert get_strategy("Custom").name == "full" and get_strategy("L_LDB").name == "l-ldb"
    with pytest.raises(UnknownStrategyError, match="full, l-eo, l-ldb, prefix, lora"):
        get_strategy("adapter")
    with pytest.raises(StrategyOptionError, match="valid options: cross_attention, gate_init, gated, init_std, length"):
        get_strategy("prefix", size=3)
    with pytest.raises(StrategyOptionError, match="length"):
        get_strategy("prefix", length=0)
    with pytest.raises(StrategyOptionError, match="projections"):
        get_strategy("lora", projections=["x"])
    with pytest.raises(StrategyOptionError, match="blocks"):
        get_strategy("l-ldb", blocks=0)
    lora = get_strategy("lora", r=4, projections=("q", "v"))
    assert get_strategy("lora", **lora.options).config == lora.config
    for name in STRATEGY_NAMES:
        strategy = get_strategy(name)
        assert strategy.default_lr > 0 and strategy.description
