"""Merge the per-package JSONL into the final corpus: decontaminate, de-duplicate, split, shard, count.

Inputs: ``corpus/pairs/<pkg>.jsonl`` and ``corpus/methods/<pkg>.jsonl`` of built pretraining packages,
``corpus/dev-eval/*.jsonl`` (the dev-eval packages' pairs and methods, for decontamination).
Outputs (written to ``corpus/final.tmp/`` and swapped into ``corpus/final/``): ``pairs-NNN.jsonl``
(training pairs, ``shard_size`` a file), ``val-000.jsonl`` (about 2% of pairs, whole focal methods),
``methods-NNN.jsonl`` (de-duplicated plain methods) and ``stats.json``.

A pretraining pair is dropped when its focal method or its test has the same whitespace-normalized text
as any method of a dev-eval package (tests included) or any dev-eval pair's focal method or test.
"""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from customizer.corpus.dedup import code_tokens, dedup_pairs, normalize
from customizer.corpus.errors import CorpusError
from customizer.corpus.jsonl import read_jsonl, write_jsonl
from customizer.corpus.lists import PackageLists
from customizer.corpus.paths import CorpusLayout, atomic_write_json, corpus_layout, read_json, replace_dir

PAIRS_PER_SHARD = 10_000
METHODS_PER_SHARD = 100_000
VAL_PER_10K = 200  # 2%


def digest(text: str) -> bytes:
    return hashlib.sha1(normalize(text).encode("utf-8", errors="replace")).digest()


def dev_eval_hashes(layout: CorpusLayout, lists: PackageLists) -> set[bytes]:
    """Normalized-text hashes of every dev-eval method and every dev-eval pair's focal method and test."""
    folder = layout.root / "dev-eval"
    missing = [p for p in lists.dev_eval if not isinstance(read_json(folder / f"{p}.done.json"), dict)]
    if missing:
        raise CorpusError(
            f"dev-eval packages not mined yet ({', '.join(missing[:5])}…); run `testtailor corpus build --dev-eval`"
        )
    hashes: set[bytes] = set()
    for package in lists.dev_eval:
        for pair in read_jsonl(folder / f"{package}.jsonl"):
            hashes.add(digest(pair["focal"]["body"]))
            hashes.add(digest(pair["test"]["body"]))
        for method in read_jsonl(folder / f"{package}.methods.jsonl"):
            hashes.add(digest(method["text"]))
    return hashes


def built_packages(layout: CorpusLayout, lists: PackageLists) -> list[str]:
    """Pretraining packages whose done marker says ``built``, in list order."""
    out = []
    for package in lists.pretrain:
        marker = read_json(layout.done_file(package))
        if isinstance(marker, dict) and marker.get("status") == "built":
            out.append(package)
    return out


def is_validation(pair: dict[str, Any]) -> bool:
    """About 2% of focal methods go to validation, with all their pairs.

    A focal method is its whitespace-normalized text, so copies of one method in several packages (forks,
    vendored code) land on the same side of the split.
    """
    bucket = int.from_bytes(digest(pair["focal"]["body"])[:4], "big") % 10_000
    return bucket < VAL_PER_10K


def percentiles(values: Sequence[int], points: Sequence[int] = (50, 90, 95, 99)) -> dict[str, float]:
    if not values:
        return {}
    ordered = sorted(values)
    out: dict[str, float] = {"mean": round(sum(ordered) / len(ordered), 1), "max": ordered[-1]}
    for p in points:
        out[f"p{p}"] = ordered[min(len(ordered) - 1, (len(ordered) * p) // 100)]
    return out


def _chunks(records: Iterable[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    chunk: list[dict[str, Any]] = []
    for record in records:
        chunk.append(record)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _write_shards(folder: Path, prefix: str, records: Iterable[dict[str, Any]], size: int) -> tuple[int, int]:
    lines = shards = 0
    for shards, chunk in enumerate(_chunks(records, size), 1):
        lines += write_jsonl(folder / f"{prefix}-{shards - 1:03d}.jsonl", chunk)
    return lines, shards


def merge(
    lists: PackageLists,
    layout: CorpusLayout | None = None,
    *,
    pairs_per_shard: int = PAIRS_PER_SHARD,
    methods_per_shard: int = METHODS_PER_SHARD,
) -> dict[str, Any]:
    """Build ``corpus/final/`` from the per-package files; return the statistics written to ``stats.json``."""
    layout = layout or corpus_layout()
    packages = built_packages(layout, lists)
    if not packages:
        raise CorpusError("no built pretraining package; run `testtailor corpus build` first")
    contaminated = dev_eval_hashes(layout, lists)

    raw: list[dict[str, Any]] = []
    pairs_per_package: dict[str, int] = {}
    for package in packages:
        lists.check_pretrain(package)
        rows = list(read_jsonl(layout.pairs / f"{package}.jsonl"))
        pairs_per_package[package] = len(rows)
        raw.extend(rows)
    clean = [p for p in raw if digest(p["focal"]["body"]) not in contaminated
             and digest(p["test"]["body"]) not in contaminated]
    result = dedup_pairs(clean)
    train = [p for p in result.kept if not is_validation(p)]
    val = [p for p in result.kept if is_validation(p)]
    kept_per_package: dict[str, int] = {}
    for p in result.kept:
        kept_per_package[p["package"]] = kept_per_package.get(p["package"], 0) + 1

    tmp = layout.root / "final.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    n_train, train_shards = _write_shards(tmp, "pairs", train, pairs_per_shard)
    n_val = write_jsonl(tmp / "val-000.jsonl", val)
    method_stats = _merge_methods(layout, packages, contaminated, tmp, methods_per_shard)

    stats: dict[str, Any] = {
        "packages": {"pretrain_listed": len(lists.pretrain), "built": len(packages),
                     "with_pairs": sum(1 for n in pairs_per_package.values() if n)},
        "pairs": {
            "mined": len(raw), "dropped_dev_eval_overlap": len(raw) - len(clean),
            "dropped_exact_duplicates": result.exact, "dropped_near_duplicates": result.near,
            "kept": len(result.kept), "train": n_train, "validation": n_val, "train_shards": train_shards,
            "validation_focal_methods": len({digest(p["focal"]["body"]) for p in val}),
        },
        "pairs_per_package": {"mined": pairs_per_package, "kept": kept_per_package},
        "methods": method_stats,
        "code_tokens": {
            "focal": percentiles([len(code_tokens(p["focal"]["body"])) for p in result.kept]),
            "test": percentiles([len(code_tokens(p["test"]["body"])) for p in result.kept]),
        },
        "near_duplicate_rule": "Jaccard >= 0.9 over code-token 5-shingles of the test body, same focal signature",
    }
    atomic_write_json(tmp / "stats.json", stats)
    replace_dir(tmp, layout.final)
    return stats


def _merge_methods(
    layout: CorpusLayout, packages: Sequence[str], contaminated: set[bytes], out: Path, per_shard: int
) -> dict[str, Any]:
    seen: set[bytes] = set()
    counts = {"extracted": 0, "dropped_exact_duplicates": 0, "dropped_dev_eval_overlap": 0}
    lengths: list[int] = []

    def kept() -> Iterator[dict[str, Any]]:
        for package in packages:
            for method in read_jsonl(layout.methods / f"{package}.jsonl"):
                counts["extracted"] += 1
                key = digest(method["text"])
                if key in contaminated:
                    counts["dropped_dev_eval_overlap"] += 1
                    continue
                if key in seen:
                    counts["dropped_exact_duplicates"] += 1
                    continue
                seen.add(key)
                if len(seen) % 20 == 0:
                    lengths.append(len(code_tokens(method["text"])))
                yield method

    written, shards = _write_shards(out, "methods", kept(), per_shard)
    return {**counts, "kept": written, "shards": shards, "code_tokens_sample_1_in_20": percentiles(lengths)}
