"""``testtailor mine REPO [--out FILE] [--json]``: the (focal method, test) pairs a repository yields."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from customizer.mining.miner import MiningResult, mine_repository
from customizer.mining.pairs import write_pairs


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "mine",
        help="find the repository's (focal method, test) pairs",
        description="Map every test method of a git repository to the method it tests (Methods2Test "
        "heuristics) and report pairs per heuristic, skipped tests with reasons, and the test conventions.",
    )
    parser.add_argument("repo", metavar="REPO", help="path inside the git repository to mine")
    parser.add_argument("--out", metavar="FILE", help="write the pairs as JSON lines to FILE (atomically)")
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")
    parser.add_argument("--quiet", action="store_true", help="no progress on stderr")
    parser.set_defaults(func=run)


def _progress(stage: str, done: int, total: int) -> None:
    if done == total or done % 200 == 0:
        end = "\n" if done == total else "\r"
        print(f"  {stage}: {done}/{total} files", end=end, file=sys.stderr, flush=True)


def run(args: argparse.Namespace) -> int:
    show_progress = not args.quiet and not args.json and sys.stderr.isatty()
    result = mine_repository(args.repo, progress=_progress if show_progress else None)
    out = write_pairs(args.out, result.pairs) if args.out else None
    if args.json:
        data = result.to_dict()
        data["out"] = str(out) if out else None
        print(json.dumps(data, indent=2))
    else:
        print(format_summary(result, out=str(out) if out else None))
    return 0


def format_summary(result: MiningResult, out: str | None = None) -> str:
    s = result.summary
    c = result.conventions
    lines = [
        f"{result.repo_name} @ {result.commit[:12] or '(no commit)'}: {s.pairs} pairs from {s.test_methods} test "
        f"methods in {s.test_classes} test classes ({s.mapped_share:.0%} mapped), {s.seconds:.1f} s",
        f"  files: {s.java_files} Java of {s.files_scanned} tracked ({s.production_files} production, "
        f"{s.test_files} test)",
    ]
    notes = [f"{n} {what}" for n, what in ((s.undecodable_files, "undecodable (read with replacement)"),
                                            (s.symlinks, "symlinks skipped"),
                                            (s.huge_files, "over 2 MB skipped"),
                                            (s.files_with_errors, "with syntax errors"),
                                            (s.unparsable_test_files, "test files too broken to read tests from"))
             if n]
    if notes:
        lines.append("  files: " + ", ".join(notes))
    if s.by_heuristic:
        lines.append("  pairs by heuristic: " + ", ".join(f"{h} {n}" for h, n in s.by_heuristic.items()))
    if s.skipped:
        lines.append("  skipped test methods:")
        for reason, count in s.skipped.items():
            examples = ", ".join(s.skip_examples.get(reason, []))
            lines.append(f"    {reason}: {count}" + (f" (e.g. {examples})" if examples else ""))
    lines.append(
        f"  conventions: {c.framework or 'unknown'} framework, tests named {c.naming_pattern}, "
        f"assertions {c.assertion_library or 'unknown'}, test roots {', '.join(c.test_roots) or '-'}"
    )
    if out:
        lines.append(f"  wrote {s.pairs} pairs to {out}")
    return "\n".join(lines)
