"""Two ways to make the ``onnx-int8`` graphs, against the float32 graphs they are made from, in one run.

- ``dynamic``: ONNX Runtime's ``quantize_dynamic`` (int8 weights; activations quantized per tensor at run time,
  ``DynamicQuantizeLinear`` + ``MatMulInteger``): what ``onnx-int8`` was until session 22.
- ``matmulnbits``: :mod:`customizer.ort.quantize`, what it is now (8-bit weight-only ``MatMulNBits``, blocks of
  32, accuracy level 4, the output layer included).

All three decode the same dev-eval sources (as ``bench/bench_onnx.py`` picks them) with beam 5, 5 returned
sequences and the ``LoopBlocker``, interleaved input by input so that a load on the machine falls on all three
alike; agreement: the top beam equals the float32 graphs' token for token. The float32 export of the shipped
model is made (or taken from the cache) first; both int8 variants are written to a temporary folder.

Usage: ``python bench/bench_onnx_int8.py [--inputs 16] [--max-new-tokens 128] [--batch 1 8]``
Set ``TESTTAILOR_THREADS`` (and ``OMP_NUM_THREADS``) to pin ONNX Runtime's threads.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

import torch
from _common import cpu_description
from bench_onnx import DEV_EVAL, batches, dev_eval_sources, run, shopkit_sources

from customizer.inputs import DEFAULT_MAX_SOURCE, clamp_length, position_limit
from customizer.model import load_base_model
from customizer.ort import OnnxRuntimeCache, OnnxSeq2Seq
from customizer.ort.quantize import INT8_SCHEME, quantize_graph
from customizer.ort.tracing import PREFILL_FILE, STEP_FILE


def dynamic(source: Path, target: Path) -> None:
    from onnxruntime.quantization import QuantType, quantize_dynamic

    quantize_dynamic(str(source), str(target), weight_type=QuantType.QInt8)


def matmulnbits(source: Path, target: Path) -> None:
    quantize_graph(source, target, external=False)


def variant(fp32: Path, out: Path, make: Any) -> tuple[Path, float, float]:
    """``fp32``'s export quantized by ``make`` into ``out``: (folder, seconds, MB of graphs)."""
    out.mkdir(parents=True)
    start = time.perf_counter()
    for name in (PREFILL_FILE, STEP_FILE):
        make(fp32 / name, out / name)
    seconds = time.perf_counter() - start
    for extra in fp32.iterdir():
        if extra.suffix != ".onnx":
            shutil.copy2(extra, out / extra.name)
    return out, seconds, sum(f.stat().st_size for f in out.glob("*.onnx")) / 2**20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--inputs", type=int, default=16)
    parser.add_argument("--max-new-tokens", type=int, default=128)
    parser.add_argument("--beams", type=int, default=5)
    parser.add_argument("--batch", type=int, nargs="+", default=[1, 8])
    parser.add_argument("--base-model", default=None)
    args = parser.parse_args()

    base = load_base_model(args.base_model, "cpu")
    tokenizer = base.tokenizer
    max_source = clamp_length(DEFAULT_MAX_SOURCE, position_limit(base.model))
    pick = dev_eval_sources if any(DEV_EVAL.glob("*.jsonl")) else shopkit_sources
    sources, origin = pick(tokenizer, args.inputs, max_source)
    fp32 = OnnxRuntimeCache("onnx").runner(base.model, base.model, base.fingerprint).directory
    print(f"# {base.description}; {origin}; beam {args.beams}; max_new_tokens {args.max_new_tokens}; "
          f"threads {torch.get_num_threads()}; {cpu_description()}; matmulnbits = {INT8_SCHEME}")
    graphs_mb = sum(f.stat().st_size for f in fp32.glob("*.onnx")) / 2**20
    with tempfile.TemporaryDirectory(prefix="bench-int8-") as tmp:
        folders = {"fp32": fp32}
        for label, make in (("dynamic", dynamic), ("matmulnbits", matmulnbits)):
            folders[label], seconds, mb = variant(fp32, Path(tmp) / label, make)
            print(f"# {label}: quantized in {seconds:.1f} s, graphs {mb:.0f} MB (float32: {graphs_mb:.0f} MB)")
        runners = {label: OnnxSeq2Seq(folder, shared=False) for label, folder in folders.items()}
        print("\n| batch | graphs | s / input | speed-up vs float32 | top-1 = float32 |\n|---|---|---|---|---|")
        for size in args.batch:
            work = batches(sources, size, tokenizer.pad_token_id)
            for runner in runners.values():
                run(runner, work[:1], args.beams, 8)  # first-call allocations
            seconds = dict.fromkeys(runners, 0.0)
            tops: dict[str, list[list[int]]] = {label: [] for label in runners}
            for item in work:
                for label, runner in runners.items():
                    spent, top = run(runner, [item], args.beams, args.max_new_tokens)
                    seconds[label] += spent
                    tops[label] += top
            for label in runners:
                same = sum(a == b for a, b in zip(tops[label], tops["fp32"], strict=True))
                print(f"| {size} | {label} | {seconds[label] / len(sources):.3f} | "
                      f"{seconds['fp32'] / seconds[label]:.2f}x | {same}/{len(sources)} |", flush=True)


if __name__ == "__main__":
    main()
