"""``testtailor generate REPO --file PATH --line N``: ranked candidate tests for the method at a position."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from customizer.cli.customize import retrieval_count, whole_number
from customizer.defaults import (
    DEFAULT_CANDIDATES,
    DEFAULT_CLI_RUNTIME,
    DEFAULT_DEVICE,
    DEFAULT_RETRIEVAL,
    DEFAULT_RETRIEVED_FIRST,
    MAX_CANDIDATES,
    RUNTIMES,
)


def _positive_int(text: str) -> int:
    value = whole_number(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text} must be 1 or more")
    return value


def _candidates(text: str) -> int:
    value = _positive_int(text)
    if value > MAX_CANDIDATES:
        raise argparse.ArgumentTypeError(f"at most {MAX_CANDIDATES} candidates")
    return value


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "generate",
        help="generate tests for the method at a file position",
        description="Generate K ranked candidate JUnit tests for the method at --file/--line, with the "
        "repository's newest adapter (or the base model before the project is customized). Candidates that do "
        "not parse as a Java method, or that loop, are ranked last and marked.",
    )
    parser.add_argument("repo", metavar="REPO", help="path inside the git repository")
    parser.add_argument("--file", required=True, metavar="PATH", help="the Java file (absolute or repo-relative)")
    parser.add_argument("--line", required=True, type=_positive_int, metavar="N", help="1-based line")
    parser.add_argument("--column", type=_positive_int, metavar="C",
                        help="1-based column (default: first non-blank character of the line)")
    parser.add_argument("--candidates", type=_candidates, default=DEFAULT_CANDIDATES, metavar="K",
                        help=f"number of candidates, 1..{MAX_CANDIDATES} (default: {DEFAULT_CANDIDATES})")
    parser.add_argument("--base-only", action="store_true", help="ignore adapters; use the base model")
    parser.add_argument("--strategy", help="use this strategy's adapter (default: the newest adapter), or "
                        "'retrieve' for the project's nearest existing test renamed to this method (no model)")
    parser.add_argument("--base-model", metavar="PATH", help="a local seq2seq checkpoint directory")
    parser.add_argument("--device", default=DEFAULT_DEVICE, help="auto, cpu, cuda or cuda:N (default: auto)")
    parser.add_argument("--runtime", choices=RUNTIMES, default=DEFAULT_CLI_RUNTIME,
                        help="decode with PyTorch, or on the CPU with ONNX Runtime (onnx; onnx-int8: int8 weights, "
                        "faster, other candidates at times): exported once per model (about a minute) and cached; "
                        "falls back to PyTorch with a note when the model cannot be exported; auto: onnx on the CPU "
                        f"when onnxruntime is installed, quietly PyTorch otherwise (default: {DEFAULT_CLI_RUNTIME})")
    parser.add_argument("--max-new-tokens", type=_positive_int, default=None, metavar="T",
                        help="longest test, in tokens (default: from the lengths of the project's tests)")
    parser.add_argument("--retrieval", type=retrieval_count, default=None, metavar="K",
                        help="with the base model: put the K nearest existing tests of the project into the input "
                        f"(default: {DEFAULT_RETRIEVAL}); an adapter always uses the K it was customized with")
    parser.add_argument("--retrieved-first", type=whole_number, default=DEFAULT_RETRIEVED_FIRST, metavar="N",
                        help="up to N of the candidates are the project's nearest existing tests, adapted to the "
                        "method, before the model's; the last place stays the model's when --candidates is 2 or more "
                        f"(default: {DEFAULT_RETRIEVED_FIRST}; 0: the model's only; they scored higher than the model "
                        "in the evaluation)")
    parser.add_argument("--validate", action="store_true",
                        help="compile each candidate in a scratch copy of its test class and run it (project code "
                        "runs: in a subprocess, with a time limit, without network where possible); rank passing > "
                        "failing > not compiling > not parsing")
    parser.add_argument("--classpath", metavar="CP", help="with --validate: extra classpath entries (jars, class "
                        "folders, dir/*) for projects that are neither Maven nor Gradle, or not built")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from customizer.generate import Generator
    from customizer.placement import reindent

    generator = Generator(base_model=args.base_model, device=args.device, max_new_tokens=args.max_new_tokens,
                          runtime=args.runtime)
    generation = generator.generate_for_position(
        args.repo, args.file, args.line - 1, None if args.column is None else args.column - 1,
        k=args.candidates, base_only=args.base_only, strategy=args.strategy, retrieval=args.retrieval,
        validate=args.validate, classpath=args.classpath, retrieved_first=args.retrieved_first)
    if generator.runtime_note:  # the asked-for runtime was not possible: say so once, on stderr
        print(f"testtailor: note: {generator.runtime_note}", file=sys.stderr)
    if args.json:
        print(json.dumps(generation.to_dict(), indent=2))
        return 0
    method = generation.method
    assert method is not None
    print(f"{method.class_name}.{method.name} (line {method.start_line + 1}) — {generation.model_description}")
    for warning in generation.warnings:
        print(f"warning: {warning}")
    for candidate in generation.candidates:
        flags = [flag for flag, on in (("does not parse", not candidate.parses),
                                       ("declares a local twice", candidate.redeclares),
                                       ("degenerate", candidate.degenerate),
                                       ("braces closed by repair", candidate.repaired)) if on]
        origin = "" if candidate.source == "model" else f"  ({candidate.source})"
        if candidate.validation is not None and candidate.validation.outcome != "not_parsing":
            checked = candidate.validation
            flags.insert(0, checked.summary() + (f": {checked.message}" if checked.message else ""))
        marks = f"  [{', '.join(flags)}]" if flags else ""
        # a retrieved test's score is its BM25 score (the list is in the re-ranker's order, not this one's)
        label = "BM25" if candidate.source.startswith("retrieved") else "score"
        print(f"\n#{candidate.rank}  {label} {candidate.score:.3f}{origin}{marks}")
        print(reindent(candidate.text, ""))  # a retrieved test keeps its file's indentation after line 1
    return 0
