"""How many test methods the miner maps to a focal method, and why it skips the rest, over many repositories.

Usage: ``python scripts/mining_yield.py REPO... [--save FILE.json] [--compare FILE.json]``. With ``--compare`` the
table shows the change against a saved run (e.g. before a change to ``customizer/mining/``), per repository and in
total. ``--dev-eval`` takes the 20 dev-eval packages under ``~/.cache/testtailor-dev/debian/repos``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from customizer.mining import mine_repository  # noqa: E402
from customizer.mining.heuristics import SKIP_REASONS  # noqa: E402

CACHE = Path(os.environ.get("TESTTAILOR_DEV_CACHE", Path.home() / ".cache" / "testtailor-dev"))


def counts(repo: Path) -> dict[str, int]:
    """Test methods, pairs, and skipped test methods by reason, for one repository."""
    summary = mine_repository(repo).summary
    return {"test_methods": summary.test_methods, "pairs": summary.pairs,
            **{reason: summary.skipped.get(reason, 0) for reason in SKIP_REASONS}}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("repos", nargs="*", type=Path)
    parser.add_argument("--dev-eval", action="store_true", help="the dev-eval packages' repositories")
    parser.add_argument("--save", type=Path, help="write the counts as JSON")
    parser.add_argument("--compare", type=Path, help="a saved run to show the change against")
    args = parser.parse_args()
    repos = list(args.repos)
    if args.dev_eval:
        names = (ROOT / "corpus" / "dev-eval-packages.txt").read_text().split()
        repos += [CACHE / "debian" / "repos" / name for name in names]
    if not repos:
        parser.error("give repositories or --dev-eval")
    before = json.loads(args.compare.read_text()) if args.compare else {}
    now = {repo.name: counts(repo) for repo in repos}
    columns = ["test_methods", "pairs", *SKIP_REASONS]
    total = {c: sum(r[c] for r in now.values()) for c in columns}
    rows = [*now.items(), ("**total**", total)]
    if before:
        total_before = {c: sum(before[name][c] for name in now if name in before) for c in columns}
        before = {**before, "**total**": total_before}
    print("| repository | " + " | ".join(columns) + " |")
    print("|---|" + "---|" * len(columns))
    for name, row in rows:
        cells = []
        for c in columns:
            delta = row[c] - before[name][c] if name in before else 0
            cells.append(f"{row[c]}" + (f" ({delta:+d})" if delta else ""))
        print(f"| {name} | " + " | ".join(cells) + " |")
    share = total["pairs"] / max(1, total["test_methods"])
    print(f"\n{total['pairs']} pairs from {total['test_methods']} test methods ({100 * share:.1f}% mapped)")
    if args.save:
        args.save.write_text(json.dumps(now, indent=1, sort_keys=True) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
