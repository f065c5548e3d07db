"""Training throughput: customizer/train.py's loop vs a plain Hugging Face ``Seq2SeqTrainer`` (issue #4).

Same model (the shipped base model unless ``--base-model``), same data (examples/shopkit's training pairs, encoded
as ``customize-project`` encodes them), the same batches (our length-bucketed batches, handed to the Trainer one
batch per item), the same strategy (its trainable parameters frozen/unfrozen the same way), same optimizer
settings, in the same process, alternating the two so both see the same machine load.

Tokens/s = non-padding source + target tokens trained on / seconds. Ours: the optimizer steps (collation
included) plus the one-off frozen-encoder cache when the strategy uses it; validation passes excluded. The
Trainer: its own ``train_runtime``. Printed as Markdown rows for ``docs/benchmarks.md``.
Usage: ``python bench/bench_trainer.py [--strategies l-ldb,full] [--epochs 1] [--repeats 1]``
"""

from __future__ import annotations

import argparse
import copy
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import torch  # noqa: E402
from _common import shopkit_repo  # noqa: E402
from transformers import Seq2SeqTrainer, Seq2SeqTrainingArguments  # noqa: E402

from customizer.batching import collate_sequences  # noqa: E402
from customizer.inputs import (  # noqa: E402
    encode_pair,
    length_budget,
)
from customizer.java.context import ContextLevel  # noqa: E402
from customizer.mining.folds import train_val_split  # noqa: E402
from customizer.mining.miner import mine_repository  # noqa: E402
from customizer.model import BaseModel, load_base_model  # noqa: E402
from customizer.strategies import get_strategy  # noqa: E402
from customizer.train import TrainConfig, _batches, train  # noqa: E402

Example = tuple[list[int], list[int]]


def shopkit_examples(base: BaseModel, tmp: Path) -> tuple[list[Example], list[Example]]:
    """shopkit's training and validation examples, split and encoded as ``customize-project`` does."""
    pairs = mine_repository(shopkit_repo(tmp)).pairs
    train_pairs, val_pairs = train_val_split(pairs, val_fraction=0.1, seed=0, group="method")
    max_source, max_target = length_budget(base.model)

    def encode(ps: list) -> list[Example]:
        return [encode_pair(base.tokenizer, p, ContextLevel.FULL, max_source, max_target) for p in ps]

    return encode(train_pairs), encode(val_pairs)


def ours(base: BaseModel, strategy: str, train_examples: list[Example], val_examples: list[Example],
         config: TrainConfig) -> tuple[int, float, int]:
    """(tokens, seconds, steps) of customizer.train on ``epochs`` epochs."""
    result = train(base, get_strategy(strategy), train_examples, val_examples, config)
    return result.tokens, result.step_s + result.encoder_cache_s, result.steps


class _Batches(torch.utils.data.Dataset):
    """One item = one of our length-bucketed batches (a list of example indices), ``epochs`` times over."""

    def __init__(self, examples: list[Example], batch_tokens: int, epochs: int, seed: int) -> None:
        rng = np.random.default_rng(seed)
        self.batches = [b for _ in range(epochs) for b in _batches(examples, batch_tokens, rng)]

    def __len__(self) -> int:
        return len(self.batches)

    def __getitem__(self, i: int) -> list[int]:
        return self.batches[i]


def hugging_face(base: BaseModel, strategy: str, train_examples: list[Example], config: TrainConfig, epochs: int,
                 out: Path) -> tuple[int, float, int]:
    """(tokens, seconds, steps) of a plain Seq2SeqTrainer on the same batches with the same trainable parameters."""
    model = copy.deepcopy(base.model)
    get_strategy(strategy).apply(model)
    pad_id = base.tokenizer.pad_token_id
    dataset = _Batches(train_examples, config.batch_tokens, epochs, config.seed)

    def collate(items: list[list[int]]) -> dict[str, torch.Tensor]:
        chosen = [train_examples[i] for i in items[0]]
        return collate_sequences([s for s, _ in chosen], [t for _, t in chosen], pad_id)

    args = Seq2SeqTrainingArguments(
        output_dir=str(out), per_device_train_batch_size=1, num_train_epochs=1, learning_rate=config.lr or 1e-4,
        weight_decay=config.weight_decay, max_grad_norm=config.grad_clip or 0.0, warmup_steps=config.warmup_steps,
        lr_scheduler_type="constant_with_warmup", eval_strategy="no", save_strategy="no", logging_strategy="no",
        report_to=[], disable_tqdm=True, use_cpu=config.device == "cpu", bf16=bool(config.bf16),
        dataloader_num_workers=0, seed=config.seed, remove_unused_columns=False)
    trainer = Seq2SeqTrainer(model=model, args=args, train_dataset=dataset, data_collator=collate)
    metrics = trainer.train().metrics
    tokens = sum(len(train_examples[i][0]) + len(train_examples[i][1]) for b in dataset.batches for i in b)
    return tokens, float(metrics["train_runtime"]), len(dataset)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--strategies", default="l-ldb,full")
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=1, help="alternate ours / Trainer this many times")
    parser.add_argument("--base-model", default=None)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--batch-tokens", type=int, default=TrainConfig().batch_tokens)
    args = parser.parse_args()
    base = load_base_model(args.base_model, args.device)
    with tempfile.TemporaryDirectory() as tmp:
        train_examples, val_examples = shopkit_examples(base, Path(tmp))
        print(f"{base.description}, {len(train_examples)} training pairs, {args.epochs} epoch(s), batch "
              f"{args.batch_tokens} padded tokens, torch threads {torch.get_num_threads()}, device {args.device}, "
              f"load average at start {os.getloadavg()[0]:.1f}", flush=True)
        print("| strategy | run | ours tok/s | Trainer tok/s | speed-up | steps (ours / Trainer) |")
        print("|---|---|---|---|---|---|")
        for strategy in args.strategies.split(","):
            lr = get_strategy(strategy).default_lr
            # no validation inside the timed epochs: eval_every beyond the run, early stopping out of reach
            config = TrainConfig(lr=lr, batch_tokens=args.batch_tokens, max_epochs=args.epochs, eval_every=10**9,
                                 patience=10**9, device=args.device, bf16=False, log_every_s=1e9)
            for run in range(args.repeats):
                started = time.perf_counter()
                tok_a, sec_a, steps_a = ours(base, strategy, train_examples, val_examples, config)
                tok_b, sec_b, steps_b = hugging_face(base, strategy, train_examples, config, args.epochs,
                                                     Path(tmp) / f"hf-{strategy}-{run}")
                print(f"| {strategy} | {run + 1} | {tok_a / sec_a:,.0f} | {tok_b / sec_b:,.0f} | "
                      f"{(tok_a / sec_a) / (tok_b / sec_b):.2f}× | {steps_a} / {steps_b} |"
                      f" <!-- {time.perf_counter() - started:.0f} s, load {os.getloadavg()[0]:.1f} -->", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
