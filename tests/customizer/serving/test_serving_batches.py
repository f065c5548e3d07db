"""Mixed-adapter batches return, row by row, what each repository's adapter returns alone on a fresh model.

The reference for every row is the existing path: a freshly loaded base model with the strategy's
``load_state_dict`` applied, generating for that one source without padding. Generated token sequences must be
identical. Beam scores are compared with a tolerance of 1e-4: in a batch, shorter sources are padded and
masked, and rows are multiplied in larger matrices, which changes float summation order (not the math).
"""

from __future__ import annotations

from typing import Any

import pytest
import torch

from customizer.adapters import AdapterStore
from customizer.model import BaseModel, load_base_model
from customizer.serving import AdapterRef, AdapterServer, Request
from customizer.strategies import get_strategy
from tests.customizer.serving.conftest import ADAPTERS

SOURCES = ["public int add(int a, int b) { return a + b; }", "int x;",
           "public String getName() { return this.name; }", "for (int i = 0; i < n; i++) { sum += i; }"]
MODES = {"greedy": {"num_beams": 1, "num_return_sequences": 1}, "beam": {"num_beams": 3, "num_return_sequences": 2}}
MAX_NEW = 10


_REFERENCES: dict[tuple[Any, ...], tuple[list[list[int]], list[float] | None]] = {}


def reference(base: BaseModel, store: AdapterStore, ref: AdapterRef | None, source: list[int],
              mode: dict[str, Any]) -> tuple[list[list[int]], list[float] | None]:
    """Generate one row alone with a freshly loaded model (adapter applied the usual way); memoized."""
    key = (str(base.path), str(store.root), ref, tuple(source), tuple(sorted(mode.items())))
    if key not in _REFERENCES:
        _REFERENCES[key] = _generate_alone(base, store, ref, source, mode)
    return _REFERENCES[key]


def _generate_alone(base: BaseModel, store: AdapterStore, ref: AdapterRef | None, source: list[int],
                    mode: dict[str, Any]) -> tuple[list[list[int]], list[float] | None]:
    model = load_base_model(base.path, "cpu", cache=False).model
    if ref is not None:
        meta, state = store.load(ref.repo_key, ref.strategy, base=dict(model.named_parameters()))
        model = get_strategy(meta.strategy, **meta.strategy_options).load_state_dict(model, state)
    model.eval()
    ids = torch.tensor([source])
    with torch.no_grad():
        out = model.generate(input_ids=ids, attention_mask=torch.ones_like(ids), max_new_tokens=MAX_NEW,
                             return_dict_in_generate=True, output_scores=mode["num_beams"] > 1, **mode)
    scores = out.sequences_scores.tolist() if mode["num_beams"] > 1 else None
    pad = base.tokenizer.pad_token_id
    sequences = []
    for sequence in out.sequences.tolist():
        while len(sequence) > 1 and sequence[-1] == pad:
            sequence = sequence[:-1]
        sequences.append(sequence)
    return sequences, scores


def mixed_requests(base: BaseModel) -> list[Request]:
    """Every adapter once plus two base rows, interleaved so no strategy's rows are contiguous."""
    refs: list[AdapterRef | None] = [AdapterRef(repo, strategy) for repo, strategy, _ in ADAPTERS]
    refs = [*refs[::2], None, *refs[1::2], None]
    return [Request(base.tokenizer(SOURCES[i % len(SOURCES)])["input_ids"], ref) for i, ref in enumerate(refs)]


@pytest.mark.parametrize("mode_name", sorted(MODES))
def test_mixed_batch_equals_each_row_alone(served: tuple[BaseModel, AdapterStore], mode_name: str) -> None:
    base, store = served
    mode = MODES[mode_name]
    server = AdapterServer(store, load_base_model(base.path, "cpu", cache=False), max_adapters=None)
    requests = mixed_requests(base)
    outputs = server.generate(requests, max_new_tokens=MAX_NEW, **mode)
    assert len(outputs) == len(requests)
    base_sequences = None
    differing = 0
    for request, output in zip(requests, outputs, strict=True):
        expected, scores = reference(base, store, request.adapter, request.source_ids, mode)
        assert output.sequences == expected, f"row with {request.adapter} differs from its unbatched output"
        if scores is not None:
            assert output.scores == pytest.approx(scores, abs=1e-4)
        if request.adapter is None:
            base_sequences = expected
        elif expected != reference(base, store, None, request.source_ids, mode)[0]:
            differing += 1
    assert base_sequences is not None
    # The adapters really change the outputs (a tiny random model's greedy output sometimes survives one), so
    # equal outputs mean each row got its own adapter.
    assert differing >= len(ADAPTERS) // 2


def group_sizes(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The sizes of the batches ``AdapterServer`` generates from now on, in order (one per ``_generate_group``)."""
    sizes: list[int] = []
    original = AdapterServer._generate_group

    def counting(self: AdapterServer, rows: list[Request], *args: Any, **kwargs: Any) -> Any:
        sizes.append(len(rows))
        return original(self, rows, *args, **kwargs)

    monkeypatch.setattr(AdapterServer, "_generate_group", counting)
    return sizes


def test_one_generate_call_serves_all_prefix_and_all_lora_rows(served: tuple[BaseModel, AdapterStore],
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    base, store = served
    server = AdapterServer(store, load_base_model(base.path, "cpu", cache=False))
    calls = group_sizes(monkeypatch)
    lora = [AdapterRef(repo, "lora") for repo, strategy, _ in ADAPTERS if strategy == "lora"]
    prefix4 = [AdapterRef(repo, "prefix") for repo, strategy, options in ADAPTERS
               if strategy == "prefix" and options["length"] == 4]
    ids = base.tokenizer(SOURCES[0])["input_ids"]
    server.generate([Request(ids, ref) for ref in lora + prefix4 + lora], max_new_tokens=3)
    assert sorted(calls) == sorted([2 * len(lora), len(prefix4)])
    calls.clear()
    server.generate([Request(ids, ref) for ref in lora + prefix4], max_new_tokens=3, mixed=False)
    assert calls == [1] * (len(lora) + len(prefix4))


def test_batches_are_capped_and_results_stay_in_request_order(served: tuple[BaseModel, AdapterStore],
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    base, store = served
    requests = mixed_requests(base)
    whole = AdapterServer(store, load_base_model(base.path, "cpu", cache=False), max_adapters=None, max_batch=64)
    expected = whole.generate(requests, max_new_tokens=MAX_NEW)
    capped = AdapterServer(store, load_base_model(base.path, "cpu", cache=False), max_adapters=None, max_batch=2)
    sizes = group_sizes(monkeypatch)
    assert [o.sequences for o in capped.generate(requests, max_new_tokens=MAX_NEW)] == [o.sequences for o in expected]
    assert max(sizes) == 2 and sum(sizes) == len(requests)


def test_l_ldb_and_l_eo_rows_of_several_repositories_share_one_generate_call(
        served: tuple[BaseModel, AdapterStore], monkeypatch: pytest.MonkeyPatch) -> None:
    """Whole-weight adapters' rows of several repositories share one call (customizer.serving.row_params)."""
    base, store = served
    server = AdapterServer(store, load_base_model(base.path, "cpu", cache=False), max_adapters=None)
    calls = group_sizes(monkeypatch)
    ids = base.tokenizer(SOURCES[0])["input_ids"]
    swap = [AdapterRef(repo, s) for repo, s, _ in ADAPTERS if s in ("l-ldb", "l-eo")]
    server.generate([Request(ids, ref) for ref in swap + swap], max_new_tokens=3)
    assert calls == [2 * len(swap)]
    calls.clear()
    l_ldb = [AdapterRef(repo, "l-ldb") for repo, s, _ in ADAPTERS if s == "l-ldb"]
    server.generate([Request(ids, ref) for ref in l_ldb], max_new_tokens=3, mixed=False)
    assert calls == [1] * len(l_ldb)
