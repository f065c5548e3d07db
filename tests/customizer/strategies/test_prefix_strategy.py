"""Prefix tuning reaches the encoder, respects masks, works with the kv cache and initialises from activations."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import torch

from customizer.model import BaseModel
from customizer.strategies import StrategyInit, get_strategy
from customizer.strategies.prefix import PREFIX_MODULE, PrefixStrategy

FAMILIES = ("bart", "t5")


def prefixed(base: BaseModel, **options: object) -> tuple[torch.nn.Module, PrefixStrategy]:
    """A prefix that visibly changes the model: large random prefixes, gates (if any) open."""
    strategy = get_strategy("prefix", **{"length": 4, "init_std": 1.0, "gate_init": 1.0, **options})
    assert isinstance(strategy, PrefixStrategy)
    module = strategy.apply(base.model).eval()
    return module, strategy


def encode(base: BaseModel, texts: list[str]) -> dict[str, torch.Tensor]:
    return dict(base.tokenizer(texts, padding=True, return_tensors="pt"))


@pytest.mark.parametrize("gated", [True, False])
@pytest.mark.parametrize("family", FAMILIES)
def test_prefix_reaches_the_encoder(family: str, gated: bool, fresh_base: Callable[[str], BaseModel]) -> None:
    base = fresh_base(family)
    inputs = encode(base, ["public int add(int a, int b) { return a + b; }"])
    with torch.no_grad():
        before = base.model.get_encoder()(**inputs).last_hidden_state
        module, _ = prefixed(base, gated=gated)
        after = module.get_encoder()(**inputs).last_hidden_state
    assert before.shape == after.shape
    assert not torch.allclose(before, after, atol=1e-3)


@pytest.mark.parametrize("gated", [True, False])
@pytest.mark.parametrize("family", FAMILIES)
def test_padding_is_masked_with_prefix(family: str, gated: bool, fresh_base: Callable[[str], BaseModel]) -> None:
    base = fresh_base(family)
    module, _ = prefixed(base, gated=gated)
    short, long = "int x;", "public String getName() { return this.name; }"
    batch = encode(base, [short, long])
    alone = encode(base, [short])
    decoder = torch.tensor([[2, 40, 41, 42], [2, 43, 44, 45]]) if family == "bart" else torch.tensor(
        [[1, 40, 41, 42], [1, 43, 44, 45]])
    with torch.no_grad():
        together = module(**batch, decoder_input_ids=decoder).logits[0]
        single = module(**alone, decoder_input_ids=decoder[:1]).logits[0]
    assert torch.allclose(together, single, atol=1e-4)


@pytest.mark.parametrize("family", FAMILIES)
@pytest.mark.parametrize(("cross_attention", "gated"), [(False, True), (True, True), (False, False), (True, False)])
def test_incremental_decoding_with_cache_matches_full_forward(
        family: str, cross_attention: bool, gated: bool, fresh_base: Callable[[str], BaseModel]) -> None:
    base = fresh_base(family)
    module, _ = prefixed(base, cross_attention=cross_attention, gated=gated)
    inputs = encode(base, ["public int add(int a, int b) { return a + b; }"])
    start = base.model.config.decoder_start_token_id
    decoder = torch.tensor([[start, 40, 41, 42, 43]])
    with torch.no_grad():
        full = module(**inputs, decoder_input_ids=decoder).logits
        first = module(**inputs, decoder_input_ids=decoder[:, :3], use_cache=True)
        step = module(encoder_outputs=(first.encoder_last_hidden_state,), attention_mask=inputs["attention_mask"],
                      decoder_input_ids=decoder[:, 3:4], cache=first.past_key_values, use_cache=True)
        step2 = module(encoder_outputs=(first.encoder_last_hidden_state,), attention_mask=inputs["attention_mask"],
                       decoder_input_ids=decoder[:, 4:5], cache=step.past_key_values, use_cache=True)
    assert torch.allclose(first.logits, full[:, :3], atol=1e-5)
    assert torch.allclose(step.logits[:, 0], full[:, 3], atol=1e-5)
    assert torch.allclose(step2.logits[:, 0], full[:, 4], atol=1e-5)
    assert step2.past_key_values.get_seq_length() == 5  # the cache never holds the prefix


@pytest.mark.parametrize("gated", [True, False])
@pytest.mark.parametrize("family", FAMILIES)
def test_generate_with_and_without_cache_agree(family: str, gated: bool,
                                               fresh_base: Callable[[str], BaseModel]) -> None:
    base = fresh_base(family)
    inputs = encode(base, ["public int add(int a, int b) { return a + b; }", "int x;"])
    settings = {"max_new_tokens": 8, "min_new_tokens": 8, "do_sample": False, "return_dict_in_generate": True}
    with torch.no_grad():
        plain = base.model.generate(**inputs, num_beams=1, output_logits=True, **settings)
        module, _ = prefixed(base, gated=gated)
        cached = module.generate(**inputs, num_beams=1, use_cache=True, output_logits=True, **settings)
        uncached = module.generate(**inputs, num_beams=1, use_cache=False, output_logits=True, **settings)
        beams_cached = module.generate(**inputs, num_beams=3, use_cache=True, output_scores=True, **settings)
        beams_uncached = module.generate(**inputs, num_beams=3, use_cache=False, output_scores=True, **settings)
    assert torch.equal(cached.sequences, uncached.sequences)
    assert torch.allclose(torch.stack(cached.logits), torch.stack(uncached.logits), atol=1e-4)
    assert not torch.allclose(torch.stack(cached.logits), torch.stack(plain.logits), atol=1e-3), \
        "the prefix should change the generation logits"
    assert torch.equal(beams_cached.sequences, beams_uncached.sequences)
    assert torch.allclose(beams_cached.sequences_scores, beams_uncached.sequences_scores, atol=1e-4)


@pytest.mark.parametrize("gated", [True, False])
@pytest.mark.parametrize("family", FAMILIES)
def test_eager_and_sdpa_attention_agree(family: str, gated: bool, fresh_base: Callable[[str], BaseModel]) -> None:
    sdpa_base, eager_base = fresh_base(family), fresh_base(family)
    eager_base.model.set_attn_implementation("eager")
    torch.manual_seed(3)
    sdpa_module, strategy = prefixed(sdpa_base, gated=gated)
    eager_module = get_strategy("prefix", **strategy.options).load_state_dict(
        eager_base.model, strategy.state_dict(sdpa_base.model)).eval()
    inputs = encode(sdpa_base, ["int x;", "public String getName() { return this.name; }"])
    decoder = torch.full((2, 4), 40)
    decoder[:, 0] = sdpa_base.model.config.decoder_start_token_id
    with torch.no_grad():
        assert torch.allclose(eager_module(**inputs, decoder_input_ids=decoder).logits,
                              sdpa_module(**inputs, decoder_input_ids=decoder).logits, atol=1e-5)


def test_prefix_initialised_from_frequent_token_activations(fresh_base: Callable[[str], BaseModel]) -> None:
    base = fresh_base("bart")
    tokens = base.tokenizer("assertEquals(3, calc.add(1, 2));", add_special_tokens=False)["input_ids"][:4]
    assert len(tokens) == 4
    strategy = get_strategy("prefix", length=4)
    with torch.no_grad():
        hidden = base.model.get_encoder()(input_ids=torch.tensor([tokens]), output_hidden_states=True).hidden_states
    strategy.apply(base.model, StrategyInit(tokenizer=base.tokenizer, frequent_token_ids=tokens))
    attention = base.model.model.encoder.layers[1].self_attn  # BART: self-attention reads the block input
    prefix = getattr(attention, PREFIX_MODULE)
    with torch.no_grad():
        keys = attention.k_proj(hidden[1][0]).view(4, 4, 8).transpose(0, 1)
        values = attention.v_proj(hidden[1][0]).view(4, 4, 8).transpose(0, 1)
    assert torch.allclose(prefix.key, keys, atol=1e-5)
    assert torch.allclose(prefix.value, values, atol=1e-5)


def test_init_cycles_few_tokens_and_falls_back_to_random(fresh_base: Callable[[str], BaseModel]) -> None:
    few, none = fresh_base("t5"), fresh_base("t5")
    strategy = get_strategy("prefix", length=6)
    strategy.apply(few.model, StrategyInit(tokenizer=few.tokenizer, frequent_token_ids=[40, 41]))
    get_strategy("prefix", length=6, init_std=0.02).apply(none.model, StrategyInit(none.tokenizer, []))
    decoder_prefix = getattr(few.model.decoder.block[0].layer[0].SelfAttention, PREFIX_MODULE)
    assert decoder_prefix.key.shape == (4, 6, 8)
    encoder_prefix = getattr(few.model.encoder.block[0].layer[0].SelfAttention, PREFIX_MODULE)
    assert torch.isfinite(encoder_prefix.key).all()
    random_prefix = getattr(none.model.encoder.block[0].layer[0].SelfAttention, PREFIX_MODULE)
    assert 0.005 < random_prefix.key.std().item() < 0.05


def test_cross_attention_prefixes_are_counted_separately(fresh_base: Callable[[str], BaseModel]) -> None:
    self_only, with_cross = fresh_base("bart"), fresh_base("bart")
    _, plain = prefixed(self_only)
    _, cross = prefixed(with_cross, cross_attention=True)
    per_module = 2 * 4 * 32 + 4  # keys and values (4 heads x 4 positions x 8), one gate per head
    assert plain.count_by_kind(self_only.model) == {"encoder": 2 * per_module, "decoder": 2 * per_module,
                                                    "cross": 0}
    assert cross.count_by_kind(with_cross.model) == {"encoder": 2 * per_module, "decoder": 2 * per_module,
                                                     "cross": 2 * per_module}
    assert cross.count(with_cross.model)[0] == plain.count(self_only.model)[0] + 2 * per_module


def test_extend_pads_masks_and_position_bias_for_prefix_positions() -> None:
    from customizer.strategies.prefix import AttentionPrefix

    prefix = AttentionPrefix(length=2, heads=1, head_dim=4, causal=True)
    query, key = torch.zeros(3, 1, 2, 4), torch.ones(3, 1, 5, 4)  # 2 new queries after 3 cached keys
    keys, values, mask, bias = prefix.extend(query, key, key, None, torch.ones(1, 1, 2, 5))
    assert keys.shape == values.shape == (3, 1, 7, 4)
    assert torch.equal(keys[:, :, :2], torch.zeros(3, 1, 2, 4))
    assert mask.tolist() == [[[[True, True, True, True, True, True, False],
                                [True, True, True, True, True, True, True]]]]
    assert bias[..., :2].abs().sum() == 0 and torch.equal(bias[..., 2:], torch.ones(1, 1, 2, 5))

    padding = torch.tensor([[[[0.0, -1e9]]]])
    _, _, float_mask, _ = AttentionPrefix(2, 1, 4, causal=False).extend(query[:1, :, :1], key[:1, :, :2],
                                                                         key[:1, :, :2], padding, None)
    assert float_mask.tolist() == [[[[0.0, 0.0, 0.0, -1e9]]]]
    _, _, bool_mask, _ = AttentionPrefix(2, 1, 4, causal=False).extend(query[:1, :, :1], key[:1, :, :2],
                                                                       key[:1, :, :2], padding == 0, None)
    assert bool_mask.tolist() == [[[[True, True, True, False]]]]
    *_, no_mask, _ = AttentionPrefix(2, 1, 4, causal=False).extend(query, key, key, None, None)
    assert no_mask is None


@pytest.mark.parametrize("family", FAMILIES)
def test_gated_prefix_starts_exactly_at_the_base_model(family: str, fresh_base: Callable[[str], BaseModel]) -> None:
    """Gates start closed: the activation-initialised prefix changes nothing until training opens them, so
    customization starts at the base model's validation loss (it started above it with the joint softmax)."""
    base = fresh_base(family)
    inputs = encode(base, ["public int add(int a, int b) { return a + b; }", "int x;"])
    decoder = torch.full((2, 5), 40)
    decoder[:, 0] = base.model.config.decoder_start_token_id
    tokens = base.tokenizer("assertEquals(3, calc.add(1, 2));", add_special_tokens=False)["input_ids"]
    with torch.no_grad():
        before = base.model(**inputs, decoder_input_ids=decoder).logits
        strategy = get_strategy("prefix", length=6)
        module = strategy.apply(base.model, StrategyInit(base.tokenizer, tokens)).eval()
        after = module(**inputs, decoder_input_ids=decoder).logits
    assert torch.allclose(before, after, atol=1e-5)
    gates = [p for n, p in strategy.trainable_parameters(base.model) if n.endswith(".gate")]
    assert gates and all(torch.equal(g, torch.zeros_like(g)) for g in gates)
    # and every prefix parameter gets a gradient signal at the first step: the gates directly, the rest via them
    labels = decoder[:, 1:].clone()
    module.train()
    loss = module(**inputs, decoder_input_ids=decoder[:, :-1], labels=labels).loss
    loss.backward()
    assert all(g.grad is not None and g.grad.abs().sum() > 0 for g in gates)


def test_adapter_saved_without_gates_loads_with_the_joint_softmax(fresh_base: Callable[[str], BaseModel]) -> None:
    """Prefix adapters stored before gating existed keep meaning what they were trained to mean."""
    trained_on, loaded_into = fresh_base("bart"), fresh_base("bart")
    module, strategy = prefixed(trained_on, gated=False)
    state = strategy.state_dict(trained_on.model)
    assert not any(name.endswith(".gate") for name in state)
    old_options = {k: v for k, v in strategy.options.items() if k not in ("gated", "gate_init")}
    loader = get_strategy("prefix", **old_options)
    again = loader.load_state_dict(loaded_into.model, state).eval()
    assert loader.options["gated"] is False
    inputs = encode(trained_on, ["public int add(int a, int b) { return a + b; }"])
    decoder = torch.tensor([[trained_on.model.config.decoder_start_token_id, 40, 41]])
    with torch.no_grad():
        assert torch.allclose(module(**inputs, decoder_input_ids=decoder).logits,
                              again(**inputs, decoder_input_ids=decoder).logits, atol=1e-5)


@pytest.mark.parametrize("gated", [True, False])
def test_row_prefixes_equal_the_trained_module(gated: bool, fresh_base: Callable[[str], BaseModel]) -> None:
    """Serving's per-row prefixes (gates included) compute what the adapter's own module computes."""
    from customizer.strategies.prefix import clear_row_prefixes, install_prefix_slots, set_row_prefixes

    torch.manual_seed(5)
    first, second, served = fresh_base("bart"), fresh_base("bart"), fresh_base("bart")
    module_a, strategy_a = prefixed(first, gated=gated)
    module_b, strategy_b = prefixed(second, gated=gated, gate_init=-0.5)
    slots = install_prefix_slots(served.model)
    inputs = encode(served, ["public int add(int a, int b) { return a + b; }", "public int add(int a, int b) {}"])
    decoder = torch.tensor([[2, 40, 41], [2, 42, 43]])
    with torch.no_grad():
        set_row_prefixes(slots, [strategy_a.state_dict(first.model), strategy_b.state_dict(second.model)])
        mixed = served.model.eval()(**inputs, decoder_input_ids=decoder).logits
        clear_row_prefixes(slots)
        alone_a = module_a(**{k: v[:1] for k, v in inputs.items()}, decoder_input_ids=decoder[:1]).logits
        alone_b = module_b(**{k: v[1:] for k, v in inputs.items()}, decoder_input_ids=decoder[1:]).logits
    width_a = int(inputs["attention_mask"][0].sum())
    assert width_a == inputs["input_ids"].shape[1]  # the first row is the longer one: no padding to compare
    assert torch.allclose(mixed[0], alone_a[0], atol=1e-4)
    assert torch.allclose(mixed[1], alone_b[0], atol=1e-4)
