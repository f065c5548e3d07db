"""What a decoding step costs when the last decoder block's weights are graph inputs instead of constants.

The question behind it (issue #9): an L-LDB adapter changes only the last decoder block. If that block's weights
were inputs of the graphs, as prefix-tuning prefixes are since session 20, the base model and every L-LDB adapter
could run on one session pair (today each adapter opens its own, ~375 MB for the shipped model). Inputs cannot be
pre-packed by ONNX Runtime's matrix kernels, so each step repacks that block's matrices: this measures that cost.

The base model's step graph is traced again with the last decoder block's parameters as inputs
(``trace_graphs(..., inputs=...)``, the mechanism of the prefix inputs) and timed against the cached export's
step graph (constants), on the same random cache, interleaved, one thread. Needs the base model's ONNX export in
the cache (any ``testtailor generate --runtime onnx`` makes it).

Usage: ``python bench/bench_onnx_block_inputs.py [--rows 5] [--past 60] [--source 300] [--repeats 5]``
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from _common import cpu_description

from customizer.model import load_base_model
from customizer.ort import export as ort_export
from customizer.ort import tracing as ort_tracing
from customizer.strategies import anatomy


def _session(path: Path) -> object:
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    options.log_severity_level = 3
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=5, help="rows of the step (beam 5, one request)")
    parser.add_argument("--past", type=int, default=60, help="tokens decoded so far")
    parser.add_argument("--source", type=int, default=300, help="source tokens")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--steps", type=int, default=20, help="steps per timing")
    parser.add_argument("--base-model", default=None)
    args = parser.parse_args()
    torch.set_num_threads(1)
    base = load_base_model(args.base_model, "cpu", cache=False)
    cached = ort_export.cached_export(ort_export.default_cache_root(), base.fingerprint, None, "fp32")
    if cached is None:
        raise SystemExit("the base model's ONNX export is not in the cache: run testtailor generate --runtime onnx")
    print(f"# {base.description}; {cpu_description()}; one thread")
    model = ort_export.merged_for_export(base.model)
    name_of = {id(p): n for n, p in model.named_parameters()}
    names = [name_of[id(p)] for p in anatomy.decoder_blocks(model)[-1].parameters()]
    params = dict(model.named_parameters())
    print(f"# last decoder block: {len(names)} tensors, {sum(params[n].numel() for n in names):,} parameters")
    settings = ort_export.generation_settings(model)
    with tempfile.TemporaryDirectory() as tmp:
        began = time.perf_counter()
        layers, _ = ort_export.trace_graphs(model, Path(tmp), settings, inputs=names)
        print(f"# traced in {time.perf_counter() - began:.0f} s")
        path = Path(tmp) / ort_export.STEP_FILE
        past_names, _, cross_names = ort_tracing.cache_names(layers)
        weights = {f"prefix.{i}": params[name].detach().numpy() for i, name in enumerate(names)}
        constants, inputs = _session(cached / ort_export.STEP_FILE), _session(path)
        rng = np.random.default_rng(0)
        shape = constants.get_inputs()[2].shape  # type: ignore[attr-defined]  # past.0.key: batch, heads, past, dim
        heads, head_dim = int(shape[1]), int(shape[3])
        feed = {"decoder_input_ids": np.full((args.rows, 1), 7, np.int64),
                "encoder_attention_mask": np.ones((args.rows, args.source), np.int64)}
        feed.update({n: rng.standard_normal((args.rows, heads, args.past, head_dim)).astype(np.float32)
                     for n in past_names})
        feed.update({n: rng.standard_normal((args.rows, heads, args.source, head_dim)).astype(np.float32)
                     for n in cross_names})
        fed = {**feed, **weights}
        diff = np.abs(constants.run(None, feed)[0] - inputs.run(None, fed)[0]).max()  # type: ignore[attr-defined]
        times: dict[str, list[float]] = {"constants": [], "inputs": []}
        for _ in range(args.repeats):
            for what, session, data in (("constants", constants, feed), ("inputs", inputs, fed)):
                began = time.perf_counter()
                for _ in range(args.steps):
                    session.run(None, data)  # type: ignore[attr-defined]
                times[what].append((time.perf_counter() - began) / args.steps * 1000)
    const, given = statistics.median(times["constants"]), statistics.median(times["inputs"])
    print("| step graph | ms per step (median) | vs constants |")
    print("|---|---|---|")
    print(f"| weights as constants (today's export) | {const:.1f} | 1.00x |")
    print(f"| last decoder block as inputs | {given:.1f} | {given / const:.3f}x |")
    print(f"# rows {args.rows}, past {args.past}, source {args.source}; {args.repeats} x {args.steps} steps "
          f"interleaved; largest logit difference {diff:.1e}")


if __name__ == "__main__":
    main()
