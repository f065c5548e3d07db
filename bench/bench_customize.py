"""Customize the bundled example project (examples/shopkit) with every strategy from the base model, on CPU.

For each strategy: validation loss of the base model → best after customization, trainable parameters, steps,
PF-seconds and wall time, as Markdown rows for ``docs/benchmarks.md``. The example is copied into a temporary git
repository and adapters go to a temporary store, so nothing of the user's is touched.
Usage: ``python bench/bench_customize.py [--strategies full,l-eo,l-ldb,prefix,lora] [--max-minutes 3]
[--max-pflops P] [--lr 1e-4,3e-4,1e-3]`` (several learning rates: one run per strategy and rate, e.g. to check a
strategy's default on a project that is not a dev-eval package)
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from _common import shopkit_repo  # noqa: E402

from customizer.adapters import AdapterStore  # noqa: E402
from customizer.customize import customize_project  # noqa: E402
from customizer.train import TrainConfig  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--strategies", default="full,l-eo,l-ldb,prefix,lora")
    parser.add_argument("--max-minutes", type=float, default=3.0)
    parser.add_argument("--max-pflops", type=float, default=None, help="compute budget per run (PF-s)")
    parser.add_argument("--lr", default="", help="learning rates, comma-separated (default: each strategy's)")
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()
    rates = [float(r) for r in args.lr.split(",") if r] or [None]
    print("| strategy | lr | trainable / total params | val loss base → best | steps | PF-s | wall s | stop |")
    print("|---|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        repo = shopkit_repo(Path(tmp))
        store = AdapterStore(Path(tmp) / "store")
        for strategy in args.strategies.split(","):
            for lr in rates:
                meta, result = customize_project(repo, strategy=strategy, device=args.device,
                                                 max_minutes=args.max_minutes, max_pflops=args.max_pflops,
                                                 store=store, config=TrainConfig(lr=lr))
                print(f"| {meta.strategy} | {'default' if lr is None else f'{lr:g}'} | "
                      f"{meta.trainable_params / 1e6:.2f}M / {meta.total_params / 1e6:.2f}M | "
                      f"{result.base_val_loss:.3f} → {result.best_val_loss:.3f} | {result.steps} | "
                      f"{result.pflops:.4f} | {result.wall_s:.0f} | {result.stop_reason} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
