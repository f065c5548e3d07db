"""L-LDB adapters on ONNX Runtime: their last decoder block fed to the base model's graphs (one session pair for
all of them) vs an overlay export each (a session pair per adapter).

``--adapters`` synthetic L-LDB adapters of the shipped base model (``customizer/serving/synthetic.py``: serving cost
depends on shapes, not values) are given to one export cache that already holds the base model's export, as a
language server serving that many repositories would. Each way runs in a child process of its own (so memory that
one way freed cannot flatter the other): for each adapter, the seconds until its runner is ready and the resident
memory it added (VmRSS after ``malloc_trim``), and whether its top beam equals its PyTorch model's on shopkit focal
methods (beam 5, the ``LoopBlocker``). Then, in this process, the decoding time of one adapter both ways, interleaved
(``--max-new-tokens``, beam 5): what feeding the block costs per request. After the adapters, each child also gives
the base model a runner: its own export (overlay way) or the shared fed sessions with its own block fed (fed way, what
the Generator does once an L-LDB adapter runs fed).

``--runtime onnx-int8``: the same with int8 graphs (the fed way: the base graphs quantized but for the fed block;
the overlay way: each adapter's complete graphs quantized); the base model then keeps its own int8 export both ways,
as the Generator does, and top-1 agreement with PyTorch is no longer expected.

Usage: ``python bench/bench_onnx_fed.py [--adapters 4] [--inputs 3] [--max-new-tokens 64] [--runtime onnx-int8]``
"""

from __future__ import annotations

import argparse
import itertools
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch
from _common import count_traces, cpu_description, rss_mb, shopkit_inputs, timed, top_beams

from customizer.inputs import DEFAULT_MAX_SOURCE, encode_source
from customizer.model import BaseModel, load_base_model
from customizer.ort import OnnxRuntimeCache, OnnxSeq2Seq
from customizer.ort.fed import fed_arrays
from customizer.serving.synthetic import synthetic_state
from customizer.strategies import get_strategy

TRACED = count_traces()


def _adapted(base: BaseModel, seed: int) -> tuple[torch.nn.Module, list[str]]:
    strategy = get_strategy("l-ldb")
    module = strategy.load_state_dict(load_base_model(base.path, "cpu", cache=False).model,
                                      synthetic_state(base, "l-ldb", seed=seed)).eval()
    return module, [name for name, _ in strategy.trainable_parameters(module)]


def _sources(base: BaseModel, n: int) -> list[list[int]]:
    return [encode_source(base.tokenizer, focal, context, DEFAULT_MAX_SOURCE)
            for focal, context in itertools.islice(shopkit_inputs(), n)]


def child(args: argparse.Namespace) -> None:
    """One way (``--way fed|overlay``) for every adapter: JSON lines on stdout."""
    torch.set_num_threads(1)
    base = load_base_model(args.base_model, "cpu")
    sources = _sources(base, args.inputs)
    cache = OnnxRuntimeCache(args.runtime, root=Path(args.root))
    runners = []
    for i in range(args.adapters):
        module, fed = _adapted(base, seed=i)
        traced, before = TRACED[0], rss_mb()
        seconds, runner = timed(cache.runner, module, base.model, base.fingerprint, owner=f"repo{i}/l-ldb",
                                fed=fed if args.way == "fed" else None)
        added = rss_mb() - before
        runners.append(runner)  # kept alive, as a server keeps the runners of the adapters it serves
        agree = sum(a == b for a, b in zip(top_beams(runner, sources, args.max_new_tokens),
                                           top_beams(module, sources, args.max_new_tokens), strict=True))
        del module
        print(json.dumps({"adapter": i + 1, "seconds": seconds, "rss_mb": added, "traced": TRACED[0] > traced,
                          "agree": agree, "of": len(sources), "fed": "fed_inputs" in runner.meta}), flush=True)
    # the base model beside them: its own export's sessions, or (as the Generator does once an L-LDB adapter runs
    # fed) the shared sessions with its own block fed
    before = rss_mb()
    if args.way == "fed" and args.runtime == "onnx":  # int8: the Generator keeps the base model on its own export
        names = list(runners[0].meta["fed_inputs"])
        seconds, runner = timed(OnnxSeq2Seq, runners[0].directory, fed=fed_arrays(base.model, names))
    else:
        seconds, runner = timed(cache.runner, base.model, base.model, base.fingerprint)
    added = rss_mb() - before
    agree = sum(a == b for a, b in zip(top_beams(runner, sources, args.max_new_tokens),
                                       top_beams(base.model, sources, args.max_new_tokens), strict=True))
    print(json.dumps({"adapter": "base model", "seconds": seconds, "rss_mb": added, "traced": False, "agree": agree,
                      "of": len(sources), "fed": "fed_inputs" in runner.meta}), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--adapters", type=int, default=4)
    parser.add_argument("--inputs", type=int, default=3)
    parser.add_argument("--max-new-tokens", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=3, help="interleaved decoding timings per way")
    parser.add_argument("--base-model", default=None)
    parser.add_argument("--runtime", choices=("onnx", "onnx-int8"), default="onnx")
    parser.add_argument("--way", choices=("fed", "overlay"), help=argparse.SUPPRESS)
    parser.add_argument("--root", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.way:
        child(args)
        return
    torch.set_num_threads(1)
    base = load_base_model(args.base_model, "cpu")
    print(f"# {base.description}; {cpu_description()}; one thread; {args.adapters} synthetic l-ldb adapters; "
          f"runtime {args.runtime}")
    with tempfile.TemporaryDirectory() as tmp:
        cache = OnnxRuntimeCache(args.runtime, root=Path(tmp))
        seconds, _ = timed(cache.runner, base.model, base.model, base.fingerprint)
        print(f"# base model exported into a fresh cache in {seconds:.0f} s")
        print("| way | adapter | runner ready | traced | RSS added by the runner | top-1 = PyTorch |")
        print("|---|---|---|---|---|---|")
        totals = {}
        for way in ("overlay", "fed"):
            done = subprocess.run([sys.executable, __file__, "--way", way, "--root", tmp, *sys.argv[1:]],
                                  capture_output=True, text=True, check=True)
            rows = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
            for row in rows:
                fed_way = way == "fed" and (args.runtime == "onnx" or row["adapter"] != "base model")
                assert row["fed"] == fed_way, f"{way}: {row['adapter']} ran the other way"
                print(f"| {way} | {row['adapter']} | {row['seconds']:.1f} s | {'yes' if row['traced'] else 'no'} | "
                      f"{row['rss_mb']:.0f} MB | {row['agree']}/{row['of']} |", flush=True)
            totals[way] = sum(row["rss_mb"] for row in rows if row["adapter"] != "base model")
        print(f"# RSS added by {args.adapters} adapters: overlay {totals['overlay']:.0f} MB, "
              f"fed {totals['fed']:.0f} MB")
        module, fed = _adapted(base, seed=0)
        sources = _sources(base, args.inputs)
        runners = {"overlay": cache.runner(module, base.model, base.fingerprint),
                   "fed": OnnxRuntimeCache(args.runtime, root=Path(tmp)).runner(module, base.model,
                                                                                base.fingerprint, fed=fed)}
        times: dict[str, list[float]] = {way: [] for way in runners}
        for _ in range(args.repeats):
            for way, runner in runners.items():
                began = time.perf_counter()
                top_beams(runner, sources, args.max_new_tokens)
                times[way].append((time.perf_counter() - began) / len(sources))
    overlay, fed_s = statistics.median(times["overlay"]), statistics.median(times["fed"])
    print(f"# decoding, s per request (median of {args.repeats}, {len(sources)} requests, beam 5, "
          f"{args.max_new_tokens} new tokens): overlay {overlay:.2f}, fed {fed_s:.2f} ({fed_s / overlay:.3f}x)")


if __name__ == "__main__":
    main()
