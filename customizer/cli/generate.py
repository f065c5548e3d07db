"""``testtailor generate REPO --file PATH --line N``: ranked candidate tests for the method at a position."""

from __future__ import annotations

import argparse
import json
from typing import Any

from customizer.defaults import DEFAULT_CANDIDATES, DEFAULT_DEVICE, MAX_CANDIDATES


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
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
    parser.add_argument("--max-new-tokens", type=_positive_int, default=256, metavar="T",
                        help="longest test, in tokens (default: 256)")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from customizer.generate import Generator

    generator = Generator(base_model=args.base_model, device=args.device, max_new_tokens=args.max_new_tokens)
    generation = generator.generate_for_position(
        args.repo, args.file, args.line - 1, None if args.column is None else args.column - 1,
        k=args.candidates, base_only=args.base_only, strategy=args.strategy)
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
                                       ("degenerate", candidate.degenerate)) if on]
        origin = "" if candidate.source == "model" else f"  ({candidate.source})"
        marks = f"  [{', '.join(flags)}]" if flags else ""
        print(f"\n#{candidate.rank}  score {candidate.score:.3f}{origin}{marks}")
        print(candidate.text)
    return 0
