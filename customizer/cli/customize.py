"""``testtailor customize-project REPO``: mine the repository's tests, train an adapter, store it.

Progress: ``--progress bar`` (a tqdm bar on stderr, for people; plain lines, one per validation pass, when stderr
is not a terminal: a CI log or ``2>&1 | tee`` gets no carriage-return redraws), ``lines`` (those lines always),
``json`` (one JSON object per line on stdout: the Progress contract of docs/architecture.md, for the language
server) or ``none``. Ctrl-C (or SIGTERM)
finishes the current step, keeps the best adapter so far and exits with 130.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from typing import Any

from customizer.defaults import DEFAULT_DEVICE, DEFAULT_RETRIEVAL, DEFAULT_STRATEGY, MAX_RETRIEVAL
from customizer.errors import TestTailorError

Event = dict[str, Any]


def positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"{text} must be greater than 0")
    return value


def whole_number(text: str) -> int:
    """An integer argument; argparse reports anything else as ``'x' is not a whole number``."""
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None


def retrieval_count(text: str) -> int:
    """``--retrieval K``: 0 (off) to MAX_RETRIEVAL nearest project tests in each model input."""
    value = whole_number(text)
    if not 0 <= value <= MAX_RETRIEVAL:
        raise argparse.ArgumentTypeError(f"{text} must be from 0 (off) to {MAX_RETRIEVAL}")
    return value


RETRIEVAL_HELP = ("put the K nearest existing tests of the project into every model input, after the method and "
                  f"its context; 0 = off (default: {DEFAULT_RETRIEVAL})")


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "customize-project",
        help="personalize the model to a repository's tests and store the adapter",
        description="Mine the repository's (focal method, test) pairs, train the chosen strategy to the best "
        "validation loss (or the budget) on this machine, and store the adapter. Ctrl-C keeps the best "
        "adapter so far (exit 130).",
    )
    parser.add_argument("repo", metavar="REPO", help="path inside the git repository")
    parser.add_argument("--strategy", default=DEFAULT_STRATEGY,
                        help=f"full, l-eo, l-ldb, prefix or lora (default: {DEFAULT_STRATEGY})")
    parser.add_argument("--device", default=DEFAULT_DEVICE, help="auto, cpu, cuda or cuda:N (default: auto)")
    parser.add_argument("--base-model", metavar="PATH", help="a local Hugging Face seq2seq checkpoint directory "
                        "(default: the shipped base model)")
    parser.add_argument("--max-minutes", type=positive_float, metavar="M", help="stop training after M minutes")
    parser.add_argument("--max-pflops", type=positive_float, metavar="P",
                        help="stop training after P PF-seconds of compute")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    parser.add_argument("--retrieval", type=retrieval_count, default=DEFAULT_RETRIEVAL, metavar="K",
                        help=RETRIEVAL_HELP + "; the adapter records K and generation uses it")
    parser.add_argument("--progress", choices=("bar", "lines", "json", "none"), default="bar",
                        help="progress as a bar on stderr (plain lines when stderr is not a terminal), lines on "
                        "stderr (start and each validation pass), JSON lines on stdout, or none (default: bar)")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from customizer.customize import customize_project

    reporter, close = _reporter(args.progress)
    try:
        meta, result = customize_project(args.repo, strategy=args.strategy, device=args.device,
                                          base_model=args.base_model, max_minutes=args.max_minutes,
                                          max_pflops=args.max_pflops, seed=args.seed, on_event=reporter,
                                          retrieval=args.retrieval)
    except TestTailorError as exc:
        close()
        if args.progress == "json":
            print(json.dumps({"event": "error", "message": exc.message, "exit_code": exc.exit_code}), flush=True)
        raise
    close()
    summary = {"adapter": meta.to_dict(), "steps": result.steps, "epochs": result.epochs,
               "tokens": result.tokens, "tokens_per_s": result.tokens_per_s, "stop_reason": result.stop_reason,
               "encoder_cached": result.encoder_cached, "history": result.history}
    if args.json:
        print(json.dumps(summary, indent=2, default=float))
    else:
        share = 100 * meta.trainable_params / max(1, meta.total_params)
        print(f"{meta.repo_name}: {meta.strategy} adapter stored ({meta.dataset_size} pairs, "
              f"{meta.trainable_params:,} of {meta.total_params:,} parameters trained, {share:.1f}%)")
        print(f"  validation loss {meta.base_val_loss:.4f} (base model) → {meta.best_val_loss:.4f} "
              f"after {result.steps} steps, {result.epochs:.1f} epochs ({result.stop_reason})")
        print(f"  compute {meta.pflops:.4g} PF-s, {meta.wall_s:.0f} s on {meta.device}, "
              f"{result.tokens_per_s:,.0f} tokens/s" + (", encoder cached" if result.encoder_cached else ""))
    if result.interrupted:
        print("testtailor: interrupted; the best adapter so far was kept", file=sys.stderr)
        return 130
    return 0


def _reporter(mode: str) -> tuple[Callable[[Event], None], Callable[[], None]]:
    """(on_event, close) for a progress mode."""
    if mode == "json":
        def emit(event: Event) -> None:
            print(json.dumps(event, default=float), flush=True)

        return emit, lambda: None
    if mode == "none":
        return lambda event: None, lambda: None
    if mode == "lines" or not sys.stderr.isatty():
        return _line_reporter(), lambda: None
    from tqdm import tqdm

    bars: list[Any] = []  # created on the first event, so a bad argument prints no empty bar

    def update(event: Event) -> None:
        if not bars:
            bars.append(tqdm(total=100.0, file=sys.stderr, unit="%",
                             bar_format="{l_bar}{bar}| {elapsed}<{remaining} {postfix}"))
        bar = bars[0]
        if event["event"] == "start":
            bar.set_description(f"{event['strategy']} on {event['pairs']['train']} pairs")
        elif event["event"] == "progress":
            bar.update(max(0.0, event["percent"] - bar.n))
            bar.set_postfix_str(event["message"], refresh=True)
        elif event["event"] == "done":
            bar.update(100.0 - bar.n)

    return update, lambda: bars and bars[0].close()


def _line_reporter() -> Callable[[Event], None]:
    """Plain progress lines on stderr: the start, then each validation pass (what a log needs; the step lines in
    between would only repeat the throughput)."""
    started: list[float] = []

    def update(event: Event) -> None:
        if not started:
            started.append(time.monotonic())
        if event["event"] == "start":
            print(f"{event['strategy']} on {event['pairs']['train']} pairs", file=sys.stderr, flush=True)
        elif event["event"] == "progress" and "val loss" in str(event.get("message", "")):
            elapsed = int(time.monotonic() - started[0])
            print(f"  {event['percent']:3.0f}% {elapsed // 60:02d}:{elapsed % 60:02d}  {event['message']}",
                  file=sys.stderr, flush=True)

    return update
