"""Prefix tuning on the example project: validation loss at step 0 for several initialisations, then short training
runs, against the base model (issue #4: the joint-softmax prefix started, and stayed, above the base model).

Same split and encoding as ``customize-project`` (shopkit, 10% validation grouped by focal method, richest context).
Usage: ``python bench/bench_prefix.py init`` (step-0 losses) or
``python bench/bench_prefix.py train --lr 2e-2 --minutes 3 [--joint] [--random-init]``.
"""

from __future__ import annotations

import argparse
import copy
import json
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import torch
from _common import shopkit_repo

from customizer.customize import PREFIX_INIT_TOKENS, VAL_FRACTION
from customizer.inputs import (
    encode_pair,
    frequent_token_ids,
    length_budget,
)
from customizer.java.context import ContextLevel
from customizer.mining.folds import train_val_split
from customizer.mining.miner import mine_repository
from customizer.model import load_base_model
from customizer.strategies import StrategyInit, get_strategy
from customizer.train import TrainConfig, _val_loss, train


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", choices=["init", "train"])
    parser.add_argument("--lr", type=float, default=None, help="default: the strategy's")
    parser.add_argument("--minutes", type=float, default=1.5, help="training budget")
    parser.add_argument("--joint", action="store_true", help="the joint softmax (no gates), as before the fix")
    parser.add_argument("--random-init", action="store_true", help="no activation init")
    args = parser.parse_args()
    base = load_base_model(None, "cpu")
    tokenizer = base.tokenizer
    with tempfile.TemporaryDirectory() as tmp:
        pairs = mine_repository(shopkit_repo(Path(tmp))).pairs
    train_pairs, val_pairs = train_val_split(pairs, val_fraction=VAL_FRACTION, seed=0, group="method")
    max_source, max_target = length_budget(base.model)
    train_examples = [encode_pair(tokenizer, p, ContextLevel.FULL, max_source, max_target) for p in train_pairs]
    val_examples = [encode_pair(tokenizer, p, ContextLevel.FULL, max_source, max_target) for p in val_pairs]
    init = StrategyInit(tokenizer, frequent_token_ids(tokenizer, train_pairs, PREFIX_INIT_TOKENS))

    def val_loss(module: torch.nn.Module) -> float:
        return _val_loss(module, val_examples, None, 8192, tokenizer.pad_token_id, torch.device("cpu"), False)

    print(f"base model val loss {val_loss(base.model):.4f}", flush=True)
    if args.mode == "init":
        for options, with_init in [({"gated": False}, True), ({"gated": False}, False),
                                   ({"gated": False, "length": 20}, True), ({}, True)]:
            strategy = get_strategy("prefix", **options)
            module = strategy.apply(copy.deepcopy(base.model), init if with_init else None)
            print(f"step 0, {strategy.options}, {'activation' if with_init else 'random'} init: "
                  f"{val_loss(module):.4f}", flush=True)
        return 0
    strategy = get_strategy("prefix", **({"gated": False} if args.joint else {}))
    result = train(base, strategy, train_examples, val_examples, TrainConfig(lr=args.lr, max_minutes=args.minutes),
                   None, None if args.random_init else init)
    print(json.dumps({"options": strategy.options, "lr": args.lr or strategy.default_lr,
                      "base": round(result.base_val_loss, 4), "best": round(result.best_val_loss, 4),
                      "steps": result.steps, "history": [(h["step"], round(h["val_loss"], 4)) for h in result.history],
                      "setup_s": round(result.setup_s), "wall_s": round(result.wall_s)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
