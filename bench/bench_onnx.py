"""ONNX Runtime (fp32, int8) vs ``transformers`` ``generate`` fp32 on the CPU: speed ratio and top-1 agreement.

Decoding is what ``Generator.candidates`` runs: beam 5, 5 returned sequences, the ``LoopBlocker``, on the
shipped base model, with sources built like generation builds them (focal method + class context, richest
level) from the dev-eval pairs (``~/.cache/testtailor-dev/corpus/dev-eval``; round-robin over the packages),
or from the focal methods of ``examples/shopkit`` when those are absent. Batch 1 and batch 8 (padded, with an
attention mask). Agreement: the top beam of ONNX equals the top beam of PyTorch token for token.
The export is cached (``TESTTAILOR_ONNX_CACHE`` or the user cache); its one-time cost is printed separately.

Usage: ``python bench/bench_onnx.py [--inputs 16] [--max-new-tokens 128] [--base-model DIR]``
Set ``TESTTAILOR_THREADS`` (and ``OMP_NUM_THREADS``) to pin both runtimes to the same number of threads.
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402
from _common import cpu_description, shopkit_inputs  # noqa: E402
from transformers import LogitsProcessorList  # noqa: E402

from customizer.generate import LoopBlocker  # noqa: E402
from customizer.inputs import DEFAULT_MAX_SOURCE, clamp_length, encode_source, position_limit  # noqa: E402
from customizer.java.context import ContextLevel, render_input  # noqa: E402
from customizer.model import load_base_model  # noqa: E402
from customizer.ort import OnnxRuntimeCache  # noqa: E402

DEV_EVAL = Path.home() / ".cache" / "testtailor-dev" / "corpus" / "dev-eval"
TARGET_SPEEDUP = 2.0
TARGET_AGREEMENT = 0.95


def dev_eval_sources(tokenizer: Any, n: int, max_source: int) -> tuple[list[list[int]], str]:
    """Sources of ``n`` dev-eval pairs, taken round-robin over the packages (sorted), first pairs first."""
    files = sorted(p for p in DEV_EVAL.glob("*.jsonl") if not p.name.endswith(".methods.jsonl"))
    rows: list[list[dict[str, Any]]] = []
    for file in files:
        with file.open(encoding="utf-8") as handle:
            rows.append([json.loads(line) for _, line in zip(range(n), handle, strict=False)])
    picked: list[dict[str, Any]] = []
    for i in range(n):
        picked.extend(r[i] for r in rows if i < len(r))
    sources = []
    for pair in picked[:n]:
        focal, context = render_input(pair["focal"]["body"], pair["context"], ContextLevel.FULL)
        sources.append(encode_source(tokenizer, focal, context, max_source))
    return sources, f"{len(sources)} dev-eval pairs from {len(files)} packages"


def shopkit_sources(tokenizer: Any, n: int, max_source: int) -> tuple[list[list[int]], str]:
    sources = [encode_source(tokenizer, focal, context, max_source)
               for focal, context in itertools.islice(shopkit_inputs(bodies_only=False), n)]
    return sources, f"{len(sources)} focal methods of examples/shopkit"


def batches(sources: list[list[int]], size: int, pad: int) -> list[tuple[torch.Tensor, torch.Tensor]]:
    out = []
    for start in range(0, len(sources), size):
        chunk = sources[start:start + size]
        width = max(len(s) for s in chunk)
        ids = torch.full((len(chunk), width), pad, dtype=torch.long)
        mask = torch.zeros((len(chunk), width), dtype=torch.long)
        for row, source in enumerate(chunk):
            ids[row, :len(source)] = torch.tensor(source)
            mask[row, :len(source)] = 1
        out.append((ids, mask))
    return out


def run(model: Any, work: list[tuple[torch.Tensor, torch.Tensor]], beams: int, max_new: int,
        ) -> tuple[float, list[list[int]]]:
    """Seconds for all batches, and the top beam of every input."""
    tops: list[list[int]] = []
    start = time.perf_counter()
    with torch.no_grad():
        for ids, mask in work:
            out = model.generate(input_ids=ids, attention_mask=mask, num_beams=beams, num_return_sequences=beams,
                                 max_new_tokens=max_new, do_sample=False, early_stopping=True, output_scores=True,
                                 return_dict_in_generate=True, logits_processor=LogitsProcessorList([LoopBlocker()]))
            sequences = out.sequences.tolist()
            tops.extend(_strip(sequences[row * beams]) for row in range(ids.shape[0]))
    return time.perf_counter() - start, tops


def _strip(sequence: list[int], pad: int = 1) -> list[int]:
    while sequence and sequence[-1] == pad:
        sequence = sequence[:-1]
    return sequence


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--inputs", type=int, default=16)
    parser.add_argument("--max-new-tokens", type=int, default=128)
    parser.add_argument("--beams", type=int, default=5)
    parser.add_argument("--base-model", default=None)
    args = parser.parse_args()

    base = load_base_model(args.base_model, "cpu")
    tokenizer = base.tokenizer
    max_source = clamp_length(DEFAULT_MAX_SOURCE, position_limit(base.model))
    if any(DEV_EVAL.glob("*.jsonl")):
        sources, origin = dev_eval_sources(tokenizer, args.inputs, max_source)
    else:
        sources, origin = shopkit_sources(tokenizer, args.inputs, max_source)
    print(f"# {base.description}; {origin}; beam {args.beams}; max_new_tokens {args.max_new_tokens}; "
          f"torch threads {torch.get_num_threads()}; {cpu_description()}")
    runners: dict[str, Any] = {"torch fp32": base.model}
    for runtime, label in (("onnx", "onnx fp32"), ("onnx-int8", "onnx int8")):
        start = time.perf_counter()
        runners[label] = OnnxRuntimeCache(runtime).runner(base.model, base.model, base.fingerprint)
        print(f"# {label}: export/load {time.perf_counter() - start:.1f} s (cached after the first run)")
    print("\n| batch | runtime | s / input | speed-up vs torch | top-1 agreement |\n|---|---|---|---|---|")
    results: dict[tuple[int, str], tuple[float, float]] = {}
    for size in (1, 8):
        work = batches(sources, size, tokenizer.pad_token_id)
        run(base.model, work[:1], args.beams, 8)  # warm-up (first-call allocations) for both runtimes
        baseline_s, reference = run(base.model, work, args.beams, args.max_new_tokens)
        for label, model in runners.items():
            if label != "torch fp32":
                run(model, work[:1], args.beams, 8)
            seconds, tops = (baseline_s, reference) if label == "torch fp32" else run(
                model, work, args.beams, args.max_new_tokens)
            agree = sum(a == b for a, b in zip(tops, reference, strict=True)) / len(reference)
            results[(size, label)] = (baseline_s / seconds, agree)
            print(f"| {size} | {label} | {seconds / len(sources):.3f} | {baseline_s / seconds:.2f}x | "
                  f"{agree:.0%} ({sum(a == b for a, b in zip(tops, reference, strict=True))}/{len(reference)}) |",
                  flush=True)
    speedup, agreement = results[(1, "onnx fp32")]
    verdict = "meets" if speedup >= TARGET_SPEEDUP and agreement >= TARGET_AGREEMENT else "misses"
    print(f"\nonnx fp32 at batch 1: {speedup:.2f}x, {agreement:.0%} top-1 agreement — {verdict} the target "
          f"(>= {TARGET_SPEEDUP:.0f}x with >= {TARGET_AGREEMENT:.0%})")


if __name__ == "__main__":
    main()
