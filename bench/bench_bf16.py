"""Does bfloat16 autocast speed up training on this CPU? One training step (forward, backward, AdamW) of the
shipped base model on a random batch, float32 vs ``torch.autocast(bfloat16)``, interleaved, median of N.

The training loop autocasts where ``customizer.train.bf16_supported`` says the device multiplies bfloat16
natively; on a CPU that is AMX (Sapphire Rapids and later). This benchmark is the evidence for leaving
AVX512-BF16 alone out: there the casts around every matmul cost more than the bf16 dot products save.

Usage: ``python bench/bench_bf16.py [--threads 1] [--steps 5] [--batch 8] [--source 200] [--target 100]``
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402
from _common import cpu_description  # noqa: E402

from customizer.model import PACKAGED_BASE_MODEL_DIR, load_base_model  # noqa: E402
from customizer.train import bf16_supported  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--source", type=int, default=200, help="source tokens per row")
    parser.add_argument("--target", type=int, default=100, help="target tokens per row")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    model = load_base_model(PACKAGED_BASE_MODEL_DIR, "cpu", cache=False).model.train()
    vocab = model.config.vocab_size
    source = torch.randint(5, vocab, (args.batch, args.source))
    target = torch.randint(5, vocab, (args.batch, args.target))
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-6)

    def step(bf16: bool) -> float:
        start = time.perf_counter()
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            loss = model(input_ids=source, labels=target).loss
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        return time.perf_counter() - start

    caps = torch.cpu.get_capabilities() if hasattr(torch.cpu, "get_capabilities") else {}
    print(f"{cpu_description()}; avx512_bf16 {caps.get('avx512_bf16')}, amx_bf16 {caps.get('amx_bf16')}; "
          f"bf16_supported: {bf16_supported(torch.device('cpu'))}; torch {torch.__version__}, {args.threads} "
          f"thread(s); batch {args.batch} x ({args.source} + {args.target}) tokens; load average "
          f"{os.getloadavg()[0]:.1f}", flush=True)
    step(False), step(True)  # warm-up
    times: dict[bool, list[float]] = {False: [], True: []}
    for _ in range(args.steps):
        for bf16 in (False, True):
            times[bf16].append(step(bf16))
    fp32, bf16 = statistics.median(times[False]), statistics.median(times[True])
    print("| step | float32 | bf16 autocast | bf16 speed-up |")
    print("|---|---|---|---|")
    print(f"| forward + backward + AdamW | {fp32:.2f} s | {bf16:.2f} s | {fp32 / bf16:.2f}× |")
    print(f"load average after: {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
