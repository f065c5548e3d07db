"""What the benchmark scripts share: a committed copy of the example project, its focal methods as model inputs,
timing and percentiles, and the machine line printed beside the numbers.

Imported as ``from _common import …`` (a script's own folder is on ``sys.path``); it puts the repository root on
``sys.path`` so the scripts can import ``customizer`` without installing it.
"""

from __future__ import annotations

import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
SHOPKIT = ROOT / "examples" / "shopkit"
GIT_IDENTITY = {"GIT_AUTHOR_NAME": "bench", "GIT_AUTHOR_EMAIL": "bench@example.invalid",
                "GIT_COMMITTER_NAME": "bench", "GIT_COMMITTER_EMAIL": "bench@example.invalid"}

T = TypeVar("T")


def shopkit_repo(parent: Path) -> Path:
    """``parent/shopkit``: a copy of examples/shopkit committed in a git repository of its own."""
    repo = parent / "shopkit"
    shutil.copytree(SHOPKIT, repo)
    env = {**os.environ, **GIT_IDENTITY}
    for cmd in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "shopkit"]):
        subprocess.run(["git", *cmd], cwd=repo, env=env, check=True, capture_output=True)
    return repo


def shopkit_inputs(bodies_only: bool = True) -> Iterator[tuple[str, str]]:
    """(focal text, context text) at the richest context level for the methods of examples/shopkit's main sources,
    file by file in path order; ``bodies_only`` skips constructors and methods without a body."""
    from customizer.java.context import ContextLevel, focal_context, render_input
    from customizer.java.methods import list_methods
    from customizer.java.parser import read_java_file

    for path in sorted((SHOPKIT / "src" / "main").rglob("*.java")):
        parsed = read_java_file(path)
        for method in list_methods(parsed):
            if bodies_only and (not method.has_body or method.is_constructor):
                continue
            yield render_input(method.text, focal_context(parsed, method), ContextLevel.FULL)


def timed(function: Callable[..., T], *args: Any, **kwargs: Any) -> tuple[float, T]:
    """(seconds, result) of one call."""
    start = time.perf_counter()
    result = function(*args, **kwargs)
    return time.perf_counter() - start, result


def synchronized(function: Callable[..., T], device: Any) -> Callable[..., T]:
    """``function`` that returns only once a CUDA ``device`` has finished its queued work (as is on a CPU), so that
    :func:`timed` measures the GPU's work and not its launch."""
    if getattr(device, "type", str(device)) != "cuda":
        return function

    def call(*args: Any, **kwargs: Any) -> T:
        import torch

        result = function(*args, **kwargs)
        torch.cuda.synchronize(device)
        return result

    return call


def median_seconds(function: Callable[[], object], runs: int) -> float:
    """The median wall time of ``runs`` calls."""
    return statistics.median(timed(function)[0] for _ in range(runs))


def percentile(values: list[float], q: float) -> float:
    """The ``q``-th percentile (0-100) of ``values``, nearest rank: one of the values, no interpolation."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))]


def cpu_description() -> str:
    """The processor and its core count, as the benchmark rows print it."""
    return f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores"


def top_beams(runner: Any, sources: list[list[int]], max_new: int) -> list[list[int]]:
    """The top beam (beam 5, the product's ``LoopBlocker``) of each source, decoded one at a time by ``runner`` (a
    PyTorch model or an ONNX runner): what agreement between two ways of running a model is measured on."""
    import torch
    from transformers import LogitsProcessorList

    from customizer.generate import LoopBlocker

    tops = []
    for source in sources:
        ids = torch.tensor([source])
        out = runner.generate(input_ids=ids, attention_mask=torch.ones_like(ids), num_beams=5,
                              num_return_sequences=1, max_new_tokens=max_new, do_sample=False, early_stopping=True,
                              return_dict_in_generate=True, logits_processor=LogitsProcessorList([LoopBlocker(3)]))
        tops.append(out.sequences[0].tolist())
    return tops


def count_traces() -> list[int]:
    """From now on count the models ``torch.onnx`` traces (``customizer.ort.export.export_graphs`` wrapped):
    returns a one-element list holding the count."""
    from customizer.ort import export as ort_export

    traced = [0]
    real = ort_export.export_graphs

    def counted(*args: Any, **kwargs: Any) -> Any:
        traced[0] += 1
        return real(*args, **kwargs)

    ort_export.export_graphs = counted  # type: ignore[assignment]
    return traced


def rss_mb() -> float:
    """This process's resident memory (VmRSS, MB) after returning freed memory to the system (``malloc_trim``)."""
    from customizer.memory import release_freed_memory

    release_freed_memory(collect=True)
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")
