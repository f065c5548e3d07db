"""Time `mine_repository` on the largest fetched development-evaluation package (median of 3 runs).

Prints a Markdown row for ``docs/benchmarks.md``; the target is < 30 s.
Usage: ``python bench/bench_mining.py [PACKAGE_OR_PATH] [--runs 3]``
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from _common import cpu_description, timed  # noqa: E402

from customizer.corpus.lists import PackageLists  # noqa: E402
from customizer.corpus.paths import debian_layout  # noqa: E402
from customizer.mining.gitfiles import list_java_files  # noqa: E402
from customizer.mining.miner import mine_repository  # noqa: E402

TARGET_S = 30.0


def largest_package() -> tuple[str, Path, int]:
    layout = debian_layout()
    best: tuple[str, Path, int] | None = None
    for package in PackageLists.load().dev_eval:
        repo = layout.repo(package)
        if (repo / ".git").exists():
            size = list_java_files(repo).java_bytes
            if best is None or size > best[2]:
                best = (package, repo, size)
    if best is None:
        raise SystemExit("no dev-eval package fetched; run `testtailor corpus fetch --list dev-eval` first")
    return best


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("target", nargs="?", help="a package name or repository path (default: largest)")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    if args.target and Path(args.target).exists():
        name, repo = Path(args.target).name, Path(args.target)
        size = list_java_files(repo).java_bytes
    elif args.target:
        name, repo = args.target, debian_layout().repo(args.target)
        size = list_java_files(repo).java_bytes
    else:
        name, repo, size = largest_package()
    times = []
    for _ in range(args.runs):
        seconds, result = timed(mine_repository, repo)
        times.append(seconds)
    median = statistics.median(times)
    s = result.summary
    status = "✅" if median < TARGET_S else "❌"
    print(f"| mining `{name}` ({size / 1e6:.1f} MB Java, {s.java_files:,} files, {s.test_methods:,} test methods "
          f"→ {s.pairs:,} pairs) | median of {args.runs}: {median:.1f} s | < {TARGET_S:.0f} s {status} | "
          f"{cpu_description()} (shared) |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
