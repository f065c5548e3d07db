"""The adapter cache: LRU limits by count and bytes, pinning, switching restores the base, reload, refusals."""

from __future__ import annotations

import pytest
import torch

from customizer.adapters import AdapterStore
from customizer.errors import AdapterError, AdapterMismatchError, ServingSettingsError
from customizer.model import BaseModel, load_base_model
from customizer.serving import AdapterRef, AdapterServer, BoundedLRU, Request
from customizer.serving.synthetic import save_synthetic_adapter, synthetic_state
from tests.customizer.serving.conftest import ADAPTERS
from tests.customizer.serving.test_serving_batches import MODES, SOURCES, reference

REPOS = sorted({repo for repo, _, _ in ADAPTERS})


def test_lru_evicts_least_recent_by_count_and_bytes_but_never_pinned() -> None:
    evicted: list[str] = []
    lru: BoundedLRU[str, int] = BoundedLRU(max_entries=2, max_bytes=100, on_evict=lambda k, _v: evicted.append(k))
    lru.put("a", 1, 10)
    lru.put("b", 2, 10)
    assert lru.get("a") == 1  # "b" is now the least recently used
    lru.put("c", 3, 10)
    assert evicted == ["b"] and list(lru) == ["a", "c"]
    lru.put("d", 4, 95)  # over the byte limit: evict until it fits, the new entry last
    assert evicted == ["b", "a", "c"] and list(lru) == ["d"]
    lru.pin("d")
    lru.put("e", 5, 95)
    assert list(lru) == ["d", "e"]  # over the limit while "d" is in use and "e" was just asked for
    lru.unpin("d")
    assert list(lru) == ["e"] and lru.nbytes == 95 and lru.evictions == 4


@pytest.mark.parametrize("limits", [{"max_entries": 0}, {"max_bytes": -1}, {"max_entries": True}])
def test_bad_limits_are_refused(limits: dict[str, int]) -> None:
    with pytest.raises(ServingSettingsError):
        BoundedLRU(**limits)


def test_lora_eviction_removes_the_adapter_from_the_model_and_reload_still_matches(
        served: tuple[BaseModel, AdapterStore]) -> None:
    base, store = served
    server = AdapterServer(store, load_base_model(base.path, "cpu", cache=False), max_adapters=2)
    loras = [AdapterRef(repo, "lora") for repo in REPOS]
    ids = base.tokenizer(SOURCES[0])["input_ids"]
    for ref in loras:
        server.adapter(ref)
    assert server.cached() == loras[1:]
    assert len(server._peft.peft_config) == 2  # the evicted one is gone from the PeftModel too
    # Evict every LoRA adapter: the model without any must behave as the base model again.
    server.adapter(AdapterRef(REPOS[0], "l-ldb"))
    server.adapter(AdapterRef(REPOS[1], "l-eo"))
    assert not server._peft.peft_config
    mode = MODES["greedy"]
    base_row = server.generate([Request(ids)], max_new_tokens=10, **mode)[0]
    assert base_row.sequences == reference(base, store, None, ids, mode)[0]
    row = server.generate([Request(ids, loras[0])], max_new_tokens=10, **mode)[0]
    assert row.sequences == reference(base, store, loras[0], ids, mode)[0]


def test_byte_limit_counts_a_full_adapter_as_a_whole_model(served: tuple[BaseModel, AdapterStore]) -> None:
    base, store = served
    model_bytes = sum(p.numel() * p.element_size() for p in base.model.parameters())
    server = AdapterServer(store, load_base_model(base.path, "cpu", cache=False), max_adapters=None,
                           max_bytes=model_bytes + 1)
    full = server.adapter(AdapterRef(REPOS[0], "full"))
    assert full.nbytes == model_bytes and full.module is not None and full.module is not server.model
    server.adapter(AdapterRef(REPOS[0], "prefix"))
    assert server.cached() == [AdapterRef(REPOS[0], "prefix")]


def test_switching_per_request_matches_each_adapter_and_restores_the_base(
        served: tuple[BaseModel, AdapterStore]) -> None:
    base, store = served
    server = AdapterServer(store, load_base_model(base.path, "cpu", cache=False))
    before = {id(p): p.detach().clone() for p in server.model.parameters()}
    ids = base.tokenizer(SOURCES[2])["input_ids"]
    tensor = torch.tensor([ids])
    mode = MODES["beam"]
    # Alternate repositories and strategies so every switch replaces a different adapter.
    refs = [AdapterRef(repo, strategy) for strategy in ("l-eo", "l-ldb", "lora", "prefix", "full")
            for repo in REPOS[:2]]
    for ref in [*refs, *refs[::-1]]:
        with server.adapted(ref) as module:
            out = module.generate(input_ids=tensor, attention_mask=torch.ones_like(tensor), max_new_tokens=10,
                                  **mode)
        expected = reference(base, store, ref, ids, mode)[0]
        assert [s[:len(e)] for s, e in zip(out.tolist(), expected, strict=True)] == expected, ref
    with server.adapted(None) as module:
        out = module.generate(input_ids=tensor, attention_mask=torch.ones_like(tensor), max_new_tokens=10, **mode)
    expected = reference(base, store, None, ids, mode)[0]
    assert [s[:len(e)] for s, e in zip(out.tolist(), expected, strict=True)] == expected
    for name, parameter in server._params.items():  # the base's own tensors, named as before any wrapping
        assert torch.equal(parameter, before[id(parameter)]), f"{name} was not restored"


def test_an_adapter_changed_on_disk_is_reloaded(served: tuple[BaseModel, AdapterStore], tmp_path) -> None:
    base, _ = served
    store = AdapterStore(tmp_path / "adapters")
    ref = AdapterRef("d4" * 20, "l-ldb")
    save_synthetic_adapter(store, base, ref.repo_key, "l-ldb", seed=1, scale=0.5)
    server = AdapterServer(store, load_base_model(base.path, "cpu", cache=False))
    first = server.adapter(ref)
    assert server.adapter(ref) is first
    assert server.adapter(AdapterRef(ref.repo_key, "L_LDB")) is first  # strategy names as the CLI accepts them
    save_synthetic_adapter(store, base, ref.repo_key, "l-ldb", seed=2, scale=0.5)
    second = server.adapter(ref)
    assert second is not first
    name = next(iter(second.tensors))
    assert not torch.equal(first.tensors[name], second.tensors[name])


def test_adapters_that_do_not_fit_are_refused(served: tuple[BaseModel, AdapterStore], tmp_path) -> None:
    base, _ = served
    store = AdapterStore(tmp_path / "adapters")
    meta = save_synthetic_adapter(store, base, "e5" * 20, "l-ldb")
    state = synthetic_state(base, "l-ldb")
    name = next(iter(state))
    state[name] = state[name][:1]
    store.save(meta, state)
    server = AdapterServer(store, load_base_model(base.path, "cpu", cache=False))
    with pytest.raises(AdapterError, match="does not fit"):
        server.adapter(AdapterRef(meta.repo_key, "l-ldb"))
    meta.base_fingerprint = "0" * 64
    store.save(meta, synthetic_state(base, "l-ldb"))
    with pytest.raises(AdapterMismatchError):
        server.adapter(AdapterRef(meta.repo_key, "l-ldb"))
    with pytest.raises(AdapterError, match="customize-project"):
        server.adapter(AdapterRef(meta.repo_key, "lora"))
    with pytest.raises(ServingSettingsError):
        server.generate([Request([0, 5, 2])], num_beams=1, num_return_sequences=2)
