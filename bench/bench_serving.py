"""Serving many repositories from one base model: mixed-adapter batching, adapter switch time, adapter sizes.

Issue #9. With the shipped base model on CPU and synthetic adapters (the right tensor names and shapes for each
strategy with its default options, values = the base's + small seeded noise; see customizer/serving/synthetic.py),
stored in a temporary adapter store:

1. throughput, R repositories x N requests (focal methods of examples/shopkit with their class context, as the
   generator builds them): one generate call per request, repository after repository (the baseline, what
   ``Generator`` does today), vs ``AdapterServer.generate`` with mixed-adapter batches; also reported: one call
   per repository (its N requests batched). Ratios are measured in the same run. Outputs of the mixed batch are
   compared with the per-request outputs.
2. switch time: entering + leaving ``AdapterServer.adapted(ref)`` for a cached adapter, cycling over R cached
   adapters (median); and the first load of an adapter from disk (cache miss).
3. size on disk: adapter.safetensors per strategy vs the base model's weights file.

Usage: ``TESTTAILOR_THREADS=1 python bench/bench_serving.py [--strategies prefix,lora,l-ldb,l-eo,full]
[--throughput-strategies prefix,lora,l-ldb,l-eo] [--repos 8] [--requests 4] [--beams 5] [--max-new-tokens 32]
[--max-batch 8] [--device auto|cpu|cuda] [--dtype float32|bfloat16|float16]``

On a GPU (``--device cuda``; e.g. through ``scripts/gpu_serving.sh`` on a machine lent by the device tool) the
timings wait for the GPU to finish (``torch.cuda.synchronize``) and the header names the card.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TESTTAILOR_THREADS", "1")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402
from _common import cpu_description, shopkit_inputs, synchronized, timed  # noqa: E402

from customizer.adapters import ADAPTER_FILE, AdapterStore  # noqa: E402
from customizer.inputs import encode_source  # noqa: E402
from customizer.model import PACKAGED_BASE_MODEL_DIR, load_base_model  # noqa: E402
from customizer.serving import AdapterRef, AdapterServer, Request  # noqa: E402
from customizer.serving.synthetic import save_synthetic_adapter  # noqa: E402


def shopkit_sources(tokenizer: object, count: int, max_source: int = 512) -> list[list[int]]:
    """Token ids of the first ``count`` methods with a body in examples/shopkit's main sources."""
    sources: list[list[int]] = []
    for focal, context in shopkit_inputs():
        sources.append(encode_source(tokenizer, focal, context, max_source))
        if len(sources) == count:
            return sources
    raise SystemExit(f"examples/shopkit has fewer than {count} methods")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--strategies", default="prefix,lora,l-ldb,l-eo,full")
    parser.add_argument("--repos", type=int, default=8)
    parser.add_argument("--requests", type=int, default=4)
    parser.add_argument("--beams", type=int, default=5)
    parser.add_argument("--max-new-tokens", type=int, default=32)
    parser.add_argument("--switches", type=int, default=200)
    parser.add_argument("--max-batch", type=int, default=8, help="requests per generate call (AdapterServer)")
    parser.add_argument("--device", default="cpu", help="auto, cpu, cuda or cuda:N (default cpu)")
    parser.add_argument("--dtype", default=None, help="weights' dtype, e.g. bfloat16 on a GPU (default: as stored)")
    parser.add_argument("--throughput-strategies", default="prefix,lora,l-ldb,l-eo",
                        help="strategies whose throughput is measured (full batches per adapter: one model each)")
    args = parser.parse_args()
    strategies = [s.strip() for s in args.strategies.split(",") if s.strip()]
    throughput = {s.strip() for s in args.throughput_strategies.split(",") if s.strip()}
    base = load_base_model(PACKAGED_BASE_MODEL_DIR, args.device, args.dtype, cache=False)
    device, dtype = str(base.device), next(base.model.parameters()).dtype
    hardware = torch.cuda.get_device_name(base.device) if base.device.type == "cuda" else cpu_description()
    print(f"{base.description}, {hardware}, {dtype}, torch threads {torch.get_num_threads()}, beams {args.beams}, "
          f"max new tokens {args.max_new_tokens}, {args.repos} repos x {args.requests} requests, "
          f"max batch {args.max_batch}", flush=True)
    sources = shopkit_sources(base.tokenizer, args.repos * args.requests)
    print(f"source lengths: mean {statistics.mean(map(len, sources)):.0f}, max {max(map(len, sources))} tokens")
    gen = {"num_beams": args.beams, "num_return_sequences": args.beams, "max_new_tokens": args.max_new_tokens,
           **({"early_stopping": True} if args.beams > 1 else {})}
    # the shipped weights file, whatever its storage (bf16 model.safetensors, or int8 model.int8.safetensors)
    weights = sorted(PACKAGED_BASE_MODEL_DIR.glob("model*.safetensors"))
    base_bytes = sum(f.stat().st_size for f in weights)
    base_format = ", ".join(f.name for f in weights)
    fp32_bytes = sum(p.numel() * 4 for p in base.model.parameters())
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        store = AdapterStore(Path(tmp) / "adapters")
        for strategy in strategies:
            refs = [AdapterRef(f"{index:02d}" * 20, strategy) for index in range(args.repos)]
            for seed, ref in enumerate(refs):
                save_synthetic_adapter(store, base, ref.repo_key, strategy, seed=seed, scale=0.01)
            size = (store.path(refs[0].repo_key, strategy) / ADAPTER_FILE).stat().st_size
            server = AdapterServer(store, load_base_model(PACKAGED_BASE_MODEL_DIR, device, dtype, cache=False),
                                   max_adapters=args.repos, max_batch=args.max_batch)
            loads = [timed(synchronized(server.adapter, base.device), ref)[0] for ref in refs]
            switch_times = []
            for i in range(args.switches):
                start = time.perf_counter()
                with server.adapted(refs[i % len(refs)]):
                    pass
                if base.device.type == "cuda":
                    torch.cuda.synchronize(base.device)
                switch_times.append(time.perf_counter() - start)
            row = {"strategy": strategy, "size": size, "switch_ms": 1000 * statistics.median(switch_times),
                   "load_ms": 1000 * statistics.median(loads)}
            if strategy in throughput:
                requests = [Request(sources[r * args.requests + i], ref)
                            for r, ref in enumerate(refs) for i in range(args.requests)]
                generate = synchronized(server.generate, base.device)
                generate(requests[:2], **gen)  # warm-up
                row["one_by_one"], singles = timed(lambda g=generate, q=requests: [g([x], **gen)[0] for x in q])
                row["per_repo"], _ = timed(generate, requests, mixed=False, **gen)
                row["mixed"], batched = timed(generate, requests, **gen)
                row["same"] = sum(a.sequences[0] == b.sequences[0] for a, b in zip(singles, batched, strict=True))
                row["n"] = len(requests)
                print(f"{strategy}: one-by-one {row['one_by_one']:.1f} s, per-repo batches {row['per_repo']:.1f} s, "
                      f"mixed {row['mixed']:.1f} s; top-1 same {row['same']}/{len(requests)}", flush=True)
            print(f"{strategy}: switch {row['switch_ms']:.3f} ms; load {row['load_ms']:.0f} ms; "
                  f"size {size / 1e6:.2f} MB", flush=True)
            rows.append(row)
            del server
    print()
    print("| strategy | requests/s one at a time | per-repo batches | mixed batch | mixed vs one at a time | "
          "mixed vs per-repo | top-1 equal | switch (cached) | first load | adapter on disk | vs base on disk / fp32 |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        if "n" in r:
            n = r["n"]
            speed = (f"{n / r['one_by_one']:.2f} | {n / r['per_repo']:.2f} | {n / r['mixed']:.2f} | "
                     f"{r['one_by_one'] / r['mixed']:.2f}x | {r['per_repo'] / r['mixed']:.2f}x | {r['same']}/{n}")
        else:
            speed = "– | – | – | – | – | –"
        print(f"| {r['strategy']} | {speed} | {r['switch_ms']:.3f} ms | {r['load_ms']:.0f} ms | "
              f"{r['size'] / 1e6:.2f} MB | {100 * r['size'] / base_bytes:.1f}% / {100 * r['size'] / fp32_bytes:.1f}% |")
    print(f"\nbase model weights: {base_bytes / 1e6:.1f} MB on disk ({base_format}), {fp32_bytes / 1e6:.1f} MB in fp32")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
