"""Adapters on disk: tensors as trained (float32) vs changes from the base model in int8, and what that costs.

Each strategy is customized on examples/shopkit for a short time (``--train-minutes``, real training), then its
tensors are stored both ways (safetensors bytes, as ``adapter.safetensors`` holds them) and the compact form is
read back the way the product reads it (:func:`customizer.adapter_tensors.expand` over the base model's weights).
Reported: sizes, the largest difference between a trained and a read-back weight, the validation loss (mean token
cross-entropy over the customization's own validation pairs) of the trained and the read-back model, and the top
beam (beam 5) of both on shopkit focal methods, token for token.

Usage: ``python bench/bench_adapter_size.py [--strategies l-ldb,l-eo,full] [--inputs 8] [--train-minutes 0.5]``
"""

from __future__ import annotations

import argparse
import copy
import dataclasses
import itertools
import tempfile
from pathlib import Path

import torch
from _common import cpu_description, shopkit_inputs, shopkit_repo, top_beams
from safetensors.torch import save
from torch import nn

from customizer.adapter_tensors import compact, expand
from customizer.customize import fit_pairs
from customizer.inputs import DEFAULT_MAX_SOURCE, encode_pair, encode_source
from customizer.mining.miner import mine_repository
from customizer.mining.pairs import Pair
from customizer.model import load_base_model
from customizer.strategies import get_strategy
from customizer.train import TrainConfig


def _val_loss(model: nn.Module, pairs: list[Pair], tokenizer: object, max_source: int, max_target: int) -> float:
    """Mean token cross-entropy of the validation targets (one pair at a time, ``transformers``' own loss)."""
    total, tokens = 0.0, 0
    with torch.no_grad():
        for pair in pairs:
            source, target = encode_pair(tokenizer, pair, "fm+fc+c+m+f", max_source, max_target)
            ids, labels = torch.tensor([source]), torch.tensor([target])
            loss = model(input_ids=ids, attention_mask=torch.ones_like(ids), labels=labels).loss
            total += loss.item() * len(target)
            tokens += len(target)
    return total / tokens


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--strategies", default="l-ldb,l-eo,full")
    parser.add_argument("--inputs", type=int, default=8)
    parser.add_argument("--max-new-tokens", type=int, default=96)
    parser.add_argument("--train-minutes", type=float, default=0.5)
    parser.add_argument("--base-model", default=None)
    args = parser.parse_args()
    torch.manual_seed(0)
    base = load_base_model(args.base_model, "cpu")
    weights = dict(base.model.named_parameters())
    print(f"# {base.description}; {cpu_description()}; torch threads {torch.get_num_threads()}")
    sources = [encode_source(base.tokenizer, focal, context, DEFAULT_MAX_SOURCE)
               for focal, context in itertools.islice(shopkit_inputs(), args.inputs)]
    with tempfile.TemporaryDirectory() as tmp:
        pairs = mine_repository(shopkit_repo(Path(tmp))).pairs
    print("| strategy | as trained (float32) | stored as int8 changes | ratio | largest weight error | "
          "val loss trained → read back | top-1 equal |")
    print("|---|---|---|---|---|---|---|")
    for name in args.strategies.split(","):
        strategy = get_strategy(name)
        config = dataclasses.replace(TrainConfig(), max_minutes=args.train_minutes)
        fit = fit_pairs(base, strategy, pairs, config=config)
        state = fit.result.state
        stored = compact(state, weights)
        back = expand(stored, weights)
        error = max((back[key] - tensor).abs().max().item() for key, tensor in state.items())
        losses, tops = [], []
        for tensors in (state, back):
            model = strategy.load_state_dict(copy.deepcopy(base.model), tensors).eval()
            losses.append(_val_loss(model, fit.val_pairs, base.tokenizer, fit.max_source, fit.max_target))
            tops.append(top_beams(model, sources, args.max_new_tokens))
        plain, small = len(save(state)) / 1e6, len(save(stored)) / 1e6
        agree = sum(a == b for a, b in zip(*tops, strict=True))
        print(f"| {name} | {plain:.1f} MB | {small:.1f} MB | {plain / small:.1f}x | {error:.1e} | "
              f"{losses[0]:.4f} → {losses[1]:.4f} | {agree}/{len(sources)} |", flush=True)


if __name__ == "__main__":
    main()
