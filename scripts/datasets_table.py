"""Mine every development-evaluation package that has been fetched and write ``docs/datasets.md``.

A table like the paper's Table 2: package, Java KB, Java files, test classes, test methods, mined pairs,
pairs per heuristic, mapped share. Packages without a repository under
``~/.cache/testtailor-dev/debian/repos/<pkg>`` are listed as "not fetched". Results are cached as JSON under
``~/.cache/testtailor-dev/datasets/<pkg>.json`` keyed by the repository's HEAD commit and the miner's source
fingerprint (``--force`` re-mines).

Usage: ``python scripts/datasets_table.py [--out docs/datasets.md] [--force]``
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from customizer.corpus.lists import PackageLists  # noqa: E402
from customizer.corpus.paths import cache_root, debian_layout  # noqa: E402
from customizer.errors import TestTailorError  # noqa: E402
from customizer.mining.gitfiles import head_commit, open_repository  # noqa: E402
from customizer.mining.miner import mine_repository  # noqa: E402
from customizer.mining.pairs import write_pairs  # noqa: E402
from customizer.mining.version import miner_fingerprint  # noqa: E402


def mine_cached(package: str, repo: Path, force: bool) -> dict[str, Any]:
    cache_dir = cache_root() / "datasets"
    cache_dir.mkdir(parents=True, exist_ok=True)
    cache = cache_dir / f"{package}.json"
    commit = head_commit(open_repository(repo))
    miner = miner_fingerprint()
    if cache.exists() and not force:
        data = json.loads(cache.read_text())
        if data.get("commit") == commit and data.get("miner") == miner:
            return data
    try:
        result = mine_repository(repo)
        data = result.to_dict()
        write_pairs(cache_dir / f"{package}.jsonl", result.pairs)
    except TestTailorError as exc:
        data = {"commit": commit, "error": exc.message}
    data.update(package=package, miner=miner)
    cache.write_text(json.dumps(data, indent=2))
    return data


def table(rows: list[dict[str, Any]], missing: list[str]) -> str:
    head = ("| Package | Java KB | Java files | Test classes | Test methods | Pairs | name | name_prefix | "
            "unique_call | Mapped |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
    lines = []
    totals = [0] * 8
    for data in rows:
        if "error" in data:
            lines.append(f"| {data['package']} | | | | | 0 | | | | {data['error']} |")
            continue
        s = data["summary"]
        h = s["by_heuristic"]
        values = [s["java_bytes"] // 1024, s["java_files"], s["test_classes"], s["test_methods"], s["pairs"],
                  h.get("name", 0), h.get("name_prefix", 0), h.get("unique_call", 0)]
        totals = [a + b for a, b in zip(totals, values, strict=True)]
        lines.append(f"| {data['package']} | " + " | ".join(f"{v:,}" for v in values)
                     + f" | {s['mapped_share']:.0%} |")
    mapped = totals[4] / totals[3] if totals[3] else 0.0
    lines.append("| **total** | " + " | ".join(f"{v:,}" for v in totals) + f" | {mapped:.0%} |")
    lines.extend(f"| {p} | not fetched | | | | | | | | |" for p in missing)
    return head + "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default=str(ROOT / "docs" / "datasets.md"))
    parser.add_argument("--force", action="store_true", help="re-mine even when the cache is current")
    args = parser.parse_args(argv)
    layout = debian_layout()
    rows: list[dict[str, Any]] = []
    missing: list[str] = []
    for package in PackageLists.load().dev_eval:
        repo = layout.repo(package)
        if not (repo / ".git").exists():
            missing.append(package)
            continue
        data = mine_cached(package, repo, args.force)
        rows.append(data)
        s = data.get("summary", {})
        print(f"{package}: {s.get('pairs', 0)} pairs, {s.get('seconds', 0):.1f} s {data.get('error', '')}",
              file=sys.stderr)
    text = (
        "# Development-evaluation datasets\n\n"
        "Pairs mined by `testtailor mine` (Methods2Test heuristics, `customizer/mining/`) from the Debian "
        "source packages in `corpus/dev-eval-packages.txt` (the paper's Table 2 counterpart). "
        "Regenerate with `python scripts/datasets_table.py`. *Mapped* = pairs / test methods. These are today's "
        "miner's pairs; the evaluation scores the pairs archived with its cells "
        "(`docs/results/evaluation-pairs.tar.xz`: 10,800 pairs, mined before the miner chose overloads by exact "
        "argument types, constructors by test names, and focal classes by the start of a test class's name, e.g. "
        "`TestDateTime_Basics` → `DateTime`). A miner change is measured with `python scripts/mining_yield.py "
        "--dev-eval --save before.json` on the old code, then `--compare before.json` on the new (10,800 pairs at "
        "commit 0ed9a48, 13,667 at 577347a).\n\n"
        + table(rows, missing)
    )
    Path(args.out).write_text(text, encoding="utf-8")
    print(f"wrote {args.out}: {len(rows)} packages mined, {len(missing)} not fetched", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
