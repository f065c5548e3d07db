"""One table over strategies x {tiny BART, tiny T5}: what trains, that training works, save/load round trips."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file, save_file

from customizer.errors import AdapterError
from customizer.model import BaseModel, count_parameters
from customizer.strategies import get_strategy

OPTIONS = {"full": {}, "l-eo": {}, "l-ldb": {}, "prefix": {"length": 4}, "lora": {"r": 4, "dropout": 0.0}}
LR = {"full": 3e-3, "l-eo": 1e-2, "l-ldb": 1e-2, "prefix": 1e-1, "lora": 2e-2}


def expected_trainable(strategy: str, family: str, names: list[str]) -> set[str]:
    """The parameter names each strategy must train, written out independently of the implementation."""
    if strategy == "full":
        return set(names)
    if strategy == "l-eo":
        if family == "bart":  # lm_head and the encoder/decoder token embeddings are tied to model.shared
            return {"model.shared.weight", "model.encoder.embed_positions.weight",
                    "model.decoder.embed_positions.weight"}
        return {"shared.weight"}  # T5: relative positions, lm_head tied to shared
    if strategy == "l-ldb":
        last = "model.decoder.layers.1." if family == "bart" else "decoder.block.1."
        return {n for n in names if n.startswith(last)}
    if strategy == "prefix":
        return {n for n in names if n.endswith(("testtailor_prefix.key", "testtailor_prefix.value",
                                                "testtailor_prefix.gate"))}
    return {n for n in names if ".lora_A." in n or ".lora_B." in n}


CASES = [(strategy, family) for strategy in OPTIONS for family in ("bart", "t5")]


@pytest.mark.parametrize(("strategy_name", "family"), CASES)
def test_apply_trains_exactly_the_intended_parameters(strategy_name: str, family: str,
                                                     fresh_base: Callable[[str], BaseModel]) -> None:
    model = fresh_base(family).model
    strategy = get_strategy(strategy_name, **OPTIONS[strategy_name])
    strategy.apply(model)
    names = [n for n, _ in model.named_parameters()]
    requires_grad = {n for n, p in model.named_parameters() if p.requires_grad}
    expected = expected_trainable(strategy_name, family, names)
    assert expected, "the strategy must train something"
    assert requires_grad == expected
    assert {n for n, _ in strategy.trainable_parameters(model)} == expected
    trainable, total = strategy.count(model)
    assert total == count_parameters(model)
    assert trainable == sum(p.numel() for n, p in model.named_parameters() if n in expected)
    if strategy_name == "prefix":  # 2 encoder + 2 decoder self-attention modules, keys and values, 4 x 8 each,
        assert trainable == 4 * 2 * 4 * 4 * 8 + 4 * 4  # and a gate per head (4)


@pytest.mark.parametrize(("strategy_name", "family"), CASES)
def test_train_save_load_reproduces_logits_and_generation(
        strategy_name: str, family: str, fresh_base: Callable[[str], BaseModel], batch: dict[str, torch.Tensor],
        tmp_path: Path) -> None:
    torch.manual_seed(0)
    model = fresh_base(family).model
    strategy = get_strategy(strategy_name, **OPTIONS[strategy_name])
    module = strategy.apply(model)
    module.eval()  # dropout off: the loss of these random tiny models then falls deterministically
    optimizer = torch.optim.Adam([p for _, p in strategy.trainable_parameters(model)], lr=LR[strategy_name])
    losses = []
    for _ in range(6):
        loss = module(**batch).loss
        losses.append(loss.item())
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    assert losses[-1] < losses[0] - 1e-3, losses

    state = strategy.state_dict(model)
    assert set(state) == {n for n, _ in strategy.trainable_parameters(model)}
    assert all(t.device.type == "cpu" and t.is_contiguous() for t in state.values())
    save_file(state, tmp_path / "adapter.safetensors")

    fresh = fresh_base(family).model
    reloaded_strategy = get_strategy(strategy_name, **strategy.options)
    reloaded = reloaded_strategy.load_state_dict(fresh, load_file(tmp_path / "adapter.safetensors"))
    reloaded.eval()
    with torch.no_grad():
        expected_logits = module(**batch).logits
        assert torch.allclose(reloaded(**batch).logits, expected_logits, atol=1e-5)
        base_logits = fresh_base(family).model(**batch).logits
        assert not torch.allclose(base_logits, expected_logits, atol=1e-4), "training changed nothing"
    generate = {"input_ids": batch["input_ids"], "attention_mask": batch["attention_mask"], "num_beams": 3,
                "max_new_tokens": 8, "do_sample": False}
    assert torch.equal(reloaded.generate(**generate), module.generate(**generate))


@pytest.mark.parametrize("strategy_name", list(OPTIONS))
def test_mismatched_state_is_refused(strategy_name: str, fresh_base: Callable[[str], BaseModel]) -> None:
    trained = fresh_base("bart").model
    strategy = get_strategy(strategy_name, **OPTIONS[strategy_name])
    strategy.apply(trained)
    state = strategy.state_dict(trained)
    name = next(iter(state))

    wrong_shape = dict(state)
    wrong_shape[name] = torch.zeros(3, 5)
    with pytest.raises(AdapterError, match="shape"):
        get_strategy(strategy_name, **strategy.options).load_state_dict(fresh_base("bart").model, wrong_shape)

    missing = {k: v for k, v in state.items() if k != name}
    with pytest.raises(AdapterError, match="missing"):
        get_strategy(strategy_name, **strategy.options).load_state_dict(fresh_base("bart").model, missing)

    with pytest.raises(AdapterError, match="unexpected"):
        get_strategy(strategy_name, **strategy.options).load_state_dict(
            fresh_base("bart").model, {**state, "model.encoder.bogus": torch.zeros(1)})

    with pytest.raises(AdapterError, match="missing"):  # a T5 adapter on a BART base model
        t5 = fresh_base("t5").model
        other = get_strategy(strategy_name, **strategy.options)
        other.apply(t5)
        get_strategy(strategy_name, **strategy.options).load_state_dict(fresh_base("bart").model,
                                                                         other.state_dict(t5))


@pytest.mark.parametrize("strategy_name", list(OPTIONS))
def test_applying_twice_is_refused(strategy_name: str, fresh_base: Callable[[str], BaseModel]) -> None:
    model = fresh_base("t5").model
    get_strategy(strategy_name, **OPTIONS[strategy_name]).apply(model)
    with pytest.raises(AdapterError, match="fresh base model"):
        get_strategy("full").apply(model)


@pytest.mark.parametrize("strategy_name", list(OPTIONS))
def test_backward_fraction(strategy_name: str, fresh_base: Callable[[str], BaseModel]) -> None:
    model = fresh_base("bart").model
    strategy = get_strategy(strategy_name, **OPTIONS[strategy_name])
    strategy.apply(model)
    fraction = strategy.backward_fraction(model)
    if strategy_name == "l-ldb":
        assert 0.0 < fraction < 1.0
    else:
        assert fraction == 1.0
