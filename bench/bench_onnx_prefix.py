"""Prefix adapters on ONNX Runtime: one shared export whose prefixes are graph inputs, vs one traced export each.

Two prefix adapters are customized on examples/shopkit (real training, ``--train-minutes`` each, seeds 0 and 1) and
given to one fresh export cache, as a language server serving two repositories would. The first traces the graphs
(prefixes as inputs, ``customizer/ort/export.py``); the second finds that export and only feeds its own prefixes.
Reported: the seconds to get each adapter's runner, the cache's size on disk after both, the process's resident
memory added by each runner (VmRSS, after ``malloc_trim``), and whether each runner's top beam equals its own
PyTorch model's on shopkit focal methods (beam 5, the ``LoopBlocker``). Before this change each prefix adapter was
traced with its prefixes as constants: a trace, an export folder and a session pair of its own per adapter.

Usage: ``python bench/bench_onnx_prefix.py [--inputs 4] [--train-minutes 0.5]``
"""

from __future__ import annotations

import argparse
import copy
import dataclasses
import itertools
import tempfile
from pathlib import Path

import torch
from _common import count_traces, cpu_description, rss_mb, shopkit_inputs, shopkit_repo, timed, top_beams

from customizer.customize import fit_pairs
from customizer.inputs import DEFAULT_MAX_SOURCE, encode_source
from customizer.mining.miner import mine_repository
from customizer.model import load_base_model
from customizer.ort import OnnxRuntimeCache
from customizer.strategies import get_strategy
from customizer.train import TrainConfig

TRACED = count_traces()  # how many models torch.onnx traced


def _size_mb(root: Path) -> float:
    return sum(p.stat().st_size for p in root.rglob("*") if p.is_file()) / 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--inputs", type=int, default=4)
    parser.add_argument("--max-new-tokens", type=int, default=96)
    parser.add_argument("--train-minutes", type=float, default=0.5)
    parser.add_argument("--base-model", default=None)
    args = parser.parse_args()
    base = load_base_model(args.base_model, "cpu")
    print(f"# {base.description}; {cpu_description()}; torch threads {torch.get_num_threads()}")
    sources = [encode_source(base.tokenizer, focal, context, DEFAULT_MAX_SOURCE)
               for focal, context in itertools.islice(shopkit_inputs(), args.inputs)]
    with tempfile.TemporaryDirectory() as tmp:
        pairs = mine_repository(shopkit_repo(Path(tmp))).pairs
    strategy = get_strategy("prefix")
    modules = []
    for seed in (0, 1):
        config = dataclasses.replace(TrainConfig(), max_minutes=args.train_minutes, seed=seed)
        fit = fit_pairs(base, strategy, pairs, config=config, seed=seed)
        modules.append(strategy.load_state_dict(copy.deepcopy(base.model), fit.result.state).eval())
    print("| adapter | runner ready | traced | cache on disk after | RSS added by the runner | top-1 = PyTorch |")
    print("|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        cache = OnnxRuntimeCache("onnx", root=Path(tmp))
        runners = []
        for i, module in enumerate(modules, start=1):
            traced, before = TRACED[0], rss_mb()
            seconds, runner = timed(cache.runner, module, base.model, base.fingerprint, owner=f"repo{i}/prefix")
            added = rss_mb() - before
            runners.append(runner)  # kept alive, as a server keeps the runners of the adapters it serves
            agree = sum(a == b for a, b in zip(top_beams(runner, sources, args.max_new_tokens),
                                               top_beams(module, sources, args.max_new_tokens), strict=True))
            print(f"| {i} | {seconds:.1f} s | {'yes' if TRACED[0] > traced else 'no'} | {_size_mb(Path(tmp)):.0f} MB "
                  f"| {added:.0f} MB | {agree}/{len(sources)} |", flush=True)
        shared = runners[0]._prefill is runners[1]._prefill
        print(f"# one export folder: {runners[0].directory == runners[1].directory}; sessions shared: {shared}")


if __name__ == "__main__":
    main()
