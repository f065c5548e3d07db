"""Time candidate validation on a copy of examples/shopkit: compiling the project once (cold cache), then each of
five hand-written candidates for ``TaxCalculator.isExempt`` (one per outcome) with the cache warm.

Prints JSON and a Markdown row for ``docs/benchmarks.md``. Uses Debian's JUnit jars (an empty home: no ~/.m2).
Usage: ``python bench/bench_validation.py [--test-timeout 10]``
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from _common import shopkit_repo  # noqa: E402

from customizer.java.methods import list_methods  # noqa: E402
from customizer.java.parser import read_java_file  # noqa: E402
from customizer.mining.miner import mine_repository  # noqa: E402
from customizer.placement import place_test  # noqa: E402
from customizer.validation import Validator  # noqa: E402
from customizer.validation.compiled_project import compile_project  # noqa: E402

FOCAL = "src/main/java/io/shopkit/tax/TaxCalculator.java"
CANDIDATES = {
    "passing": '@Test\nvoid isExempt_ok() {\n    calculator.exempt("DE", "books");\n'
               '    assertTrue(calculator.isExempt("de", " Books "));\n}',
    "failing": '@Test\nvoid isExempt_wrong() {\n    calculator.exempt("DE", "books");\n'
               '    assertFalse(calculator.isExempt("DE", "Books"));\n}',
    "not_compiling": '@Test\nvoid isExempt_typo() {\n    assertTrue(calculator.isExemptt("DE", "books"));\n}',
    "not_parsing": 'void isExempt_broken() {\n    boolean b = calculator.isExempt("DE", ;\n}',
    "timeout": '@Test\nvoid isExempt_loops() {\n    while (true) {\n        calculator.isExempt("DE", "x");\n    }\n}',
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--test-timeout", type=float, default=10.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        repo = shopkit_repo(Path(tmp))
        home = Path(tmp) / "home"
        home.mkdir()
        conventions = mine_repository(repo).conventions
        method = next(m for m in list_methods(read_java_file(repo / FOCAL)) if m.name == "isExempt")
        validator = Validator(repo, cache_dir=Path(tmp) / "cache", main_roots=conventions.main_roots,
                              test_roots=conventions.test_roots, test_timeout=args.test_timeout, home=home)
        edits = {name: place_test(repo, conventions, repo / FOCAL, method, text) for name, text in CANDIDATES.items()}
        cp = validator.project_classpath(next(iter(edits.values())).path)
        start = time.monotonic()
        compiled = compile_project(cp, validator.jdk, validator.cache_dir)
        cold = time.monotonic() - start
        rows = {}
        for name, edit in edits.items():
            start = time.monotonic()
            result = validator.validate_edit(edit)
            rows[name] = {"outcome": result.outcome.value, "seconds": round(time.monotonic() - start, 2)}
        warm_total = sum(r["seconds"] for r in rows.values())
        load = os.getloadavg()[0]
        print(json.dumps({"project_compile_cold_s": round(cold, 2), "main_ok": compiled.main is not None,
                          "candidates": rows, "five_candidates_warm_s": round(warm_total, 2),
                          "loadavg_1min": round(load, 1)}, indent=2))
        per = ", ".join(f"{name} {r['seconds']:.1f} s" for name, r in rows.items())
        print(f"| validating 5 shopkit candidates (test timeout {args.test_timeout:g} s) | project compile (cold) "
              f"{cold:.1f} s; {per}; total warm {warm_total:.1f} s (load avg {load:.1f}) | — | "
              f"`python bench/bench_validation.py --test-timeout {args.test_timeout:g}` |")


if __name__ == "__main__":
    main()
