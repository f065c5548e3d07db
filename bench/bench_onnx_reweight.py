"""An adapted model's ONNX export: an overlay of its changed weights on the base model's export vs traced in full.

Each strategy is customized on examples/shopkit for a short time (``--train-minutes``, real training: the weights
move as a customization moves them), then exported twice into fresh caches that hold the base model's export:
once as the product does it now (an overlay: the parameters that differ from the base export's, checked on a probe
input; ``customizer/ort/reweight.py``) and once traced in full by ``torch.onnx`` (what every adapter cost before
session 16). Both exports decode the same shopkit focal methods as PyTorch (beam 5, the ``LoopBlocker``); agreement
is the top beam token for token. Also: each export's size on disk and the seconds to open its ONNX Runtime sessions
again from the cache (what a language server pays per adapter at start; an overlay's graphs are put together in
memory first).

Usage: ``python bench/bench_onnx_reweight.py [--strategies l-ldb,l-eo,full,lora] [--inputs 8] [--train-minutes 0.5]``
The base model's export is made once into ``--cache`` (default ``~/.cache/testtailor-bench/onnx-reweight``).
"""

from __future__ import annotations

import argparse
import copy
import dataclasses
import itertools
import shutil
import tempfile
from pathlib import Path

import torch
from _common import count_traces, cpu_description, shopkit_inputs, shopkit_repo, timed, top_beams

from customizer.customize import fit_pairs
from customizer.inputs import DEFAULT_MAX_SOURCE, encode_source
from customizer.mining.miner import mine_repository
from customizer.model import load_base_model
from customizer.ort import OnnxRuntimeCache, OnnxSeq2Seq
from customizer.ort import export as ort_export
from customizer.strategies import get_strategy
from customizer.train import TrainConfig

TRACED = count_traces()  # how many models torch.onnx traced


def _size_mb(folder: Path) -> float:
    return sum(p.stat().st_size for p in folder.iterdir()) / 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--strategies", default="l-ldb,l-eo,full,lora")
    parser.add_argument("--inputs", type=int, default=8)
    parser.add_argument("--max-new-tokens", type=int, default=96)
    parser.add_argument("--train-minutes", type=float, default=0.5)
    parser.add_argument("--base-model", default=None)
    parser.add_argument("--cache", type=Path, default=Path.home() / ".cache" / "testtailor-bench" / "onnx-reweight")
    args = parser.parse_args()
    torch.manual_seed(0)
    base = load_base_model(args.base_model, "cpu")
    print(f"# {base.description}; {cpu_description()}; torch threads {torch.get_num_threads()}")
    seconds, _ = timed(OnnxRuntimeCache("onnx", root=args.cache).runner, base.model, base.model, base.fingerprint)
    base_dir = ort_export.export_dir(args.cache, base.fingerprint, None, "fp32")
    print(f"# base model export: {seconds:.1f} s ({'traced' if TRACED[0] else 'cached'}), "
          f"{_size_mb(base_dir):.0f} MB")
    sources = [encode_source(base.tokenizer, focal, context, DEFAULT_MAX_SOURCE)
               for focal, context in itertools.islice(shopkit_inputs(), args.inputs)]
    with tempfile.TemporaryDirectory() as tmp:
        pairs = mine_repository(shopkit_repo(Path(tmp))).pairs
    print("| strategy | overlay export | traced export | speed-up | top-1 = PyTorch (overlay / traced) "
          "| MB (overlay / traced) | open s (overlay / traced) |")
    print("|---|---|---|---|---|---|---|")
    for name in args.strategies.split(","):
        strategy = get_strategy(name)
        config = dataclasses.replace(TrainConfig(), max_minutes=args.train_minutes)
        fit = fit_pairs(base, strategy, pairs, config=config)
        module = strategy.load_state_dict(copy.deepcopy(base.model), fit.result.state).eval()
        expected = top_beams(module, sources, args.max_new_tokens)
        row = []
        for mode in ("overlay", "traced"):
            with tempfile.TemporaryDirectory() as tmp:
                root = Path(tmp) / "onnx"
                root.mkdir()
                if mode == "overlay":
                    shutil.copytree(base_dir.parent, root / base_dir.parent.name)
                traced_before = TRACED[0]
                seconds, runner = timed(OnnxRuntimeCache("onnx", root=root).runner, module, base.model,
                                        base.fingerprint)
                got = top_beams(runner, sources, args.max_new_tokens)
                agree = sum(a == b for a, b in zip(got, expected, strict=True))
                opened = min(timed(OnnxSeq2Seq, runner.directory, shared=False)[0] for _ in range(3))
                row.append((seconds, agree, _size_mb(runner.directory), TRACED[0] > traced_before, opened))
        (fast, fast_agree, size, refused, fast_open), (slow, slow_agree, slow_size, _, slow_open) = row
        how = " (refused: traced)" if refused else ""
        print(f"| {name} | {fast:.1f} s{how} | {slow:.1f} s | {slow / fast:.0f}x | {fast_agree}/{len(sources)} / "
              f"{slow_agree}/{len(sources)} | {size:.1f} / {slow_size:.0f} | {fast_open:.2f} / {slow_open:.2f} |",
              flush=True)


if __name__ == "__main__":
    main()
