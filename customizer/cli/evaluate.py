"""``testtailor evaluate`` (run the experiment, resumable) and ``testtailor evaluate-report`` (docs from results)."""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from pathlib import Path

from customizer.cli.customize import retrieval_count
from customizer.defaults import RUNTIMES
from customizer.evaluate.systems import HYBRID_PREFIX, RETRIEVAL_SYSTEMS
from customizer.strategies import STRATEGY_NAMES

SYSTEMS = (*RETRIEVAL_SYSTEMS, "base", *STRATEGY_NAMES)
HYBRIDS = tuple(f"{HYBRID_PREFIX}{s}" for s in ("base", *STRATEGY_NAMES))  # retrieved test first, then the model's


def _csv(value: str) -> list[str]:
    return [v.strip() for v in value.split(",") if v.strip()]


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("evaluate", help="the paper's experiment: k-fold customization runs on repositories",
                       description="Mine each repository, split its pairs into k folds, customize the base model "
                       "per strategy and fold, and score every system on the held-out fold. Resumable: finished "
                       "cells are kept in --out and skipped.")
    p.add_argument("repos", nargs="+", type=Path, metavar="REPO")
    p.add_argument("--strategies", type=_csv, default=["retrieve", "base", "l-ldb"],
                   help=f"comma-separated systems among {','.join(SYSTEMS)} (default: retrieve,base,l-ldb), and "
                   "hybrid-<system>: the candidate list the product ships (the nearest existing test first, then "
                   "the system's), made from the stored retrieve and <system> cells")
    p.add_argument("--folds", type=int, default=4, help="number of folds (default 4, as the paper)")
    p.add_argument("--run-folds", type=lambda v: [int(x) for x in _csv(v)], default=None,
                   help="only these fold indices, e.g. 0 (default: all)")
    p.add_argument("--split", type=_csv, default=["method"],
                   help="random (the paper's), method, class; comma-separated for several (default: method)")
    p.add_argument("--max-test", type=int, default=None, help="at most this many test pairs per fold")
    p.add_argument("--candidates", type=int, default=5)
    p.add_argument("--device", default="auto")
    p.add_argument("--runtime", choices=RUNTIMES, default="torch",
                   help="what decodes the model systems' candidates: torch (default), onnx / onnx-int8 (ONNX "
                   "Runtime on the CPU, exported per model) or auto (as the editor: ONNX Runtime on a CPU); "
                   "recorded in each cell")
    p.add_argument("--base-model", default=None)
    p.add_argument("--max-minutes", type=float, default=None, help="budget per customization run")
    p.add_argument("--max-pflops", type=float, default=None,
                   help="compute budget per customization run in PF-s (the same on any device)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--retrieval", type=retrieval_count, default=0, metavar="K",
                   help="model systems get the K nearest training-fold tests in their input; stored as separate "
                   "systems (e.g. l-ldb+r2) beside the runs without (default: 0, off)")
    p.add_argument("--validate", action="store_true",
                   help="also compile and run each pair's top-5 candidates in the repository (placed into the "
                   "developer's test class; runs the project's code): compile and pass rates of top-1 and best-of-5")
    p.add_argument("--classpath", default=None,
                   help="extra classpath for --validate (entries separated by ':', 'dir/*' for a folder of jars)")
    p.add_argument("--test-timeout", type=float, default=None, help="seconds per validated test (default 20)")
    p.add_argument("--jobs", type=int, default=1,
                   help="cells computed at once in worker processes, split by split, system by system (a GPU has "
                   "room for several; on a CPU keep 1)")
    p.add_argument("--out", type=Path, default=Path("evaluation-results"))
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_run)

    r = sub.add_parser("evaluate-report", help="write docs/evaluation.md and plots from stored results")
    r.add_argument("--out", type=Path, default=Path("evaluation-results"), help="results directory")
    r.add_argument("--docs", type=Path, default=Path("docs"))
    r.add_argument("--validation", type=Path, action="append", default=[], metavar="DIR",
                   help="results folder of an `evaluate --validate` run (repeatable); its compile and pass rates "
                   "are saved in DOCS/validation.json, so later reports keep them (default: those in --out)")
    r.add_argument("--decoding-only", action="store_true",
                   help="re-render only the Decoding section of DOCS/evaluation.md from DOCS/decoding.json (no "
                   "results folder needed)")
    r.set_defaults(func=_report)

    c = sub.add_parser("evaluate-compare", help="compare two systems pair by pair across result folders",
                       description="Paired Wilcoxon on BLEU-4 over the test pairs both sides scored, with top-1 "
                       "abstracted match, parse rate and length-limit share: e.g. a candidate base model's "
                       "cells against the shipped one's.")
    c.add_argument("a", metavar="A", help="RESULTS_DIR:SYSTEM, e.g. results-v2:base")
    c.add_argument("b", metavar="B", help="RESULTS_DIR:SYSTEM, e.g. evaluation-results:base")
    c.add_argument("--split", default="method", choices=("random", "method", "class"))
    c.set_defaults(func=_compare)


def _compare(args: argparse.Namespace) -> int:
    from customizer.evaluate.compare import Side, compare

    try:
        _, lines = compare(Side.parse(args.a), Side.parse(args.b), args.split)
    except ValueError as exc:
        raise SystemExit(f"testtailor evaluate-compare: {exc}") from None
    print("\n".join(lines))
    return 0


def _run(args: argparse.Namespace) -> int:
    from customizer.errors import UnknownStrategyError
    from customizer.evaluate.runner import EvalConfig, evaluate_repositories

    unknown = [s for s in args.strategies if s not in SYSTEMS and s not in HYBRIDS]
    if unknown:
        raise UnknownStrategyError(f"unknown system {', '.join(unknown)}; choose among {', '.join(SYSTEMS)}")
    bad = [s for s in args.split if s not in ("random", "method", "class")]
    if bad:
        raise UnknownStrategyError(f"unknown split {', '.join(bad)}; choose among random, method, class")
    cfg = EvalConfig(out=args.out, systems=args.strategies, folds=args.folds, run_folds=args.run_folds,
                     splits=args.split, seed=args.seed, max_test=args.max_test, candidates=args.candidates,
                     device=args.device, runtime=args.runtime, base_model=args.base_model, max_minutes=args.max_minutes,
                     max_pflops=args.max_pflops,
                     retrieval=args.retrieval, validate=args.validate, classpath=args.classpath,
                     test_timeout=args.test_timeout, jobs=max(1, args.jobs))
    log = (lambda m: print(m, file=sys.stderr, flush=True)) if args.json else (lambda m: print(m, flush=True))
    n = evaluate_repositories(args.repos, cfg, log=log)
    if args.json:
        print(json.dumps({"cells_computed": n, "out": str(args.out)}))
    else:
        print(f"{n} cells computed; results in {args.out}. Report: testtailor evaluate-report --out {args.out}")
    return 0


def _report(args: argparse.Namespace) -> int:
    from customizer.evaluate.report import render_report

    args.docs.mkdir(parents=True, exist_ok=True)
    if args.decoding_only:
        from customizer.evaluate.decoding_report import refresh_decoding_section

        report = args.docs / "evaluation.md"
        old = report.read_text(encoding="utf-8") if report.exists() else "# Evaluation\n"
        report.write_text(refresh_decoding_section(old, args.docs), encoding="utf-8")
        print(f"wrote the Decoding section of {report}")
        return 0
    command = "testtailor evaluate-report " + " ".join(
        shlex.quote(a) for a in ("--out", str(args.out), "--docs", str(args.docs)))
    validation = "testtailor evaluate-report " + " ".join(shlex.quote(a) for a in (
        "--out", str(args.out), "--docs", str(args.docs), *[x for d in args.validation for x in ("--validation",
                                                                                                  str(d))]))
    text = render_report(args.out, args.docs, command, validation_dirs=args.validation,
                         validation_command=validation)
    (args.docs / "evaluation.md").write_text(text, encoding="utf-8")
    print(f"wrote {args.docs / 'evaluation.md'}")
    return 0
