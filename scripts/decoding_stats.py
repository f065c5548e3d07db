"""Measure decoding on the dev-eval packages, before (the first decoding) and after (``customizer.decoding``).

Two subcommands, each writing into one JSON file (default ``docs/decoding.json``), which
``testtailor evaluate-report`` renders as the "Decoding" section of ``docs/evaluation.md``:

* ``corpus``: on the base model's training corpus (``train.npz`` of ``testtailor base-model prepare``), fits the
  length prior (``--write-prior`` also stores it in the base model's ``testtailor.json``) and counts how many
  developer tests each loop-blocking setting would have altered and how many the degeneracy check flags —
  what "does not forbid legitimate repetition" means in numbers.
* ``measure``: with the shipped base model on a seeded sample of dev-eval pairs (2 per package x 20 packages,
  ``customizer.basemodel.card.sample_dev_eval``), the top-1 candidate's parse rate, share cut at the length
  limit, share degenerate, share repaired, distinct top-1 share and BLEU-4, for one decoding configuration
  (``--config legacy|no-repair|default``), with PyTorch or ONNX Runtime (``--runtime onnx``: the row also
  says on how many pairs its top-1 equals PyTorch's).

Usage::

    python scripts/decoding_stats.py corpus --data ~/.cache/testtailor-dev/basemodel/data/train.npz
    python scripts/decoding_stats.py measure --config legacy
    python scripts/decoding_stats.py measure --config default
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import os
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from customizer.decoding import (  # noqa: E402
    MAX_PERIOD,
    MAX_REPEATS,
    PRIOR_META_KEY,
    DecodingConfig,
    LengthPrior,
    corpus_loop_alterations,
    corpus_window_alterations,
    declaration_shape_alterations,
    is_degenerate,
    redeclaration_alterations,
    syntax_alterations,
)
from customizer.defaults import AUTO_RUNTIME, RUNTIMES  # noqa: E402

DEV_EVAL = Path.home() / ".cache/testtailor-dev/corpus/dev-eval"
CONFIGS = {
    "legacy": DecodingConfig.legacy(),
    "no-repair": dataclasses.replace(DecodingConfig(), repair=False),
    "no-redeclare": dataclasses.replace(DecodingConfig(), redeclared_last=False, stop_redeclared=False),
    "no-redeclare-stop": dataclasses.replace(DecodingConfig(), stop_redeclared=False),  # ranked last, not stopped
    "default": DecodingConfig(),
    # session 7's blocker: forbids only the token that would end a redeclared name (the model wrote `Jar Jar jar`)
    "blocker-end-only": dataclasses.replace(DecodingConfig(), redeclared_grow_only=False),
    # fewer beams for the one candidate the model adds after the retrieved tests (measure with -k 1)
    "beams-2": dataclasses.replace(DecodingConfig(), beams=2),
    # without the line-end syntax guard and the declaration-shape blocker (session 8's default)
    "no-syntax-guard": dataclasses.replace(DecodingConfig(), syntax_penalty=None, declaration_shape=False),
    # the syntax guard (lines ending in `;` or `}` only) without the declaration-shape blocker
    "no-shape": dataclasses.replace(DecodingConfig(), declaration_shape=False),
    # without the wider second search for inputs none of whose candidates parses (session 9's default)
    "no-retry": dataclasses.replace(DecodingConfig(), retry_beams=None),
}


def _update(out: Path, key: str, value: Any) -> None:
    data = json.loads(out.read_text()) if out.exists() else {}
    data[key] = value
    out.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")


def _max_line_count(text: str) -> int:
    counts = Counter(" ".join(line.split()) for line in text.splitlines())
    return max((c for line, c in counts.items() if len(line) >= 4), default=0)


def corpus(args: argparse.Namespace) -> dict[str, Any]:
    import numpy as np
    from transformers import AutoTokenizer

    data = np.load(args.data)
    tgt, off = data["tgt"], data["tgt_off"]
    sequences = [tgt[off[i]:off[i + 1]].tolist() for i in range(len(off) - 1)]
    tokenizer = AutoTokenizer.from_pretrained(args.model, local_files_only=True)
    special = set(tokenizer.all_special_ids)
    content = [[t for t in s if t not in special] for s in sequences]
    prior = LengthPrior.fit([len(s) for s in content], source=f"base corpus ({Path(args.data).name})")
    texts = tokenizer.batch_decode(content, skip_special_tokens=True, clean_up_tokenization_spaces=False)
    blocking = {}
    for repeats, period in ((MAX_REPEATS, 4), (MAX_REPEATS, MAX_PERIOD), (6, MAX_PERIOD), (4, MAX_PERIOD)):
        altered, seen = corpus_loop_alterations(content, repeats, period)
        blocking[f"{repeats}x{period}"] = {"max_repeats": repeats, "max_period": period, "altered": altered,
                                           "tests": seen}
    result = {
        "data": str(args.data), "tests": len(content), "prior": prior.to_dict(), "blocking": blocking,
        "degenerate_flagged": {"legacy": sum(is_degenerate(t, line_repeats=None) for t in texts),
                               "default": sum(is_degenerate(t) for t in texts)},
        "max_new_tokens": prior.max_new_tokens(),
        # how often developers repeat a line (4+ characters) n times in one test: what LineLoopStopper may cut
        "line_repeats": {str(n): sum(_max_line_count(t) >= n for t in texts) for n in range(3, 11)},
        # a unit of 3..16 tokens occurring n times within 64 tokens, not necessarily back to back
        "window": {str(n): corpus_window_alterations(content, n)[0] for n in (8, 10)},
        # tests the redeclaration blocker/stopper would alter (each is a fault of the scope check: javac rejects
        # a test that declares a local twice)
        "redeclaration_altered": redeclaration_alterations(texts)[0],
    }
    if args.write_prior:
        meta_file = Path(args.model) / "testtailor.json"
        meta = json.loads(meta_file.read_text())
        meta[PRIOR_META_KEY] = prior.to_dict()
        meta_file.write_text(json.dumps(meta, indent=1) + "\n")
    return result


def guards(args: argparse.Namespace) -> dict[str, Any]:
    """The line-end judgements (syntax guard, redeclaration blocker and stop) asked of every developer test of the
    dev-eval packages that parses: each test they would have altered is a fault of the judgement."""
    from customizer.java.snippets import parses_as_method
    from customizer.mining.pairs import read_pairs

    files = sorted(p for p in Path(args.dev_eval).glob("*.jsonl") if not p.name.endswith(".methods.jsonl"))
    if not files:
        raise SystemExit(f"no dev-eval pairs in {args.dev_eval}; run `testtailor corpus build --dev-eval`")
    tests = [pair.test.body for f in files for pair in read_pairs(f) if parses_as_method(pair.test.body)]
    return {"tests": len(tests), "packages": len(files), "syntax_guard_altered": syntax_alterations(tests)[0],
            "redeclaration_altered": redeclaration_alterations(tests)[0],
            "declaration_shape_altered": declaration_shape_alterations(tests)[0],
            "command": "python scripts/decoding_stats.py guards"}


def _searched_again(cands: list[Any], config: DecodingConfig) -> bool:
    """Whether the generator searched an input a second time, read back from its candidates by the generator's own
    rule: the decoding has a second search and no candidate of the first search parses."""
    return bool(config.retry_beams) and not any(c.parses for c in cands if not c.retried)


def measure(args: argparse.Namespace) -> dict[str, Any]:
    import torch

    from customizer.basemodel.card import sample_dev_eval
    from customizer.evaluate.metrics import bleu
    from customizer.generate import Generator
    from customizer.inputs import DEFAULT_MAX_SOURCE, DEFAULT_MAX_TARGET, clamp_length, encode_pair, position_limit
    from customizer.java.snippets import redeclared_locals

    torch.set_num_threads(int(os.environ.get("TESTTAILOR_THREADS", "1")))
    pairs = sample_dev_eval(Path(args.dev_eval), args.per_package)
    config = CONFIGS[args.config]
    gen = Generator(base_model=args.model, device="cpu", decoding=config, runtime=args.runtime)
    base = gen.base
    limit = position_limit(base.model)
    src_max, tgt_max = clamp_length(DEFAULT_MAX_SOURCE, limit), clamp_length(DEFAULT_MAX_TARGET, limit)
    rows = []
    t0 = time.time()
    for pair in pairs:
        source, _ = encode_pair(base.tokenizer, pair, "fm+fc+c+m+f", src_max, tgt_max)
        if not rows:  # an ONNX runtime exports (or loads its export) at the first call: not part of the timing
            gen.runner(base.model)
            if gen.runtime_note:
                raise SystemExit(gen.runtime_note)
            t0 = time.time()
        cands = gen.candidates(base.model, source, args.k)
        top = cands[0]
        rows.append({"id": pair.id, "package": pair.repo, "parses": top.parses, "hit_limit": top.hit_limit,
                     # one criterion for every configuration, so before and after compare
                     "degenerate": top.hit_limit or is_degenerate(top.text), "repaired": top.repaired,
                     "redeclares": bool(redeclared_locals(top.text)),
                     "any_parses": any(c.parses for c in cands), "retried": top.retried,
                     "searched_again": _searched_again(cands, config), "bleu": bleu(top.text, pair.test.body),
                     "top1": top.text, "top1_sha": hashlib.sha256(top.text.encode()).hexdigest()[:16]})
    wall = time.time() - t0
    n = len(rows)
    if args.rows:
        args.rows.write_text("".join(json.dumps(r) + "\n" for r in rows))

    def share(key: str) -> float:
        return round(100 * sum(bool(r[key]) for r in rows) / n, 1)

    return {
        "config": args.config, "runtime": args.runtime, "decoding": dataclasses.asdict(config),
        "model": base.description,
        "max_new_tokens": gen.max_new_tokens_for(), "pairs": n, "packages": len({r["package"] for r in rows}),
        "candidates": args.k, "parse_rate": share("parses"), "hit_limit": share("hit_limit"),
        "degenerate": share("degenerate"), "repaired": share("repaired"), "any_candidate_parses": share("any_parses"),
        "redeclares": share("redeclares"), "retried": share("retried"), "searched_again": share("searched_again"),
        "distinct_top1": round(100 * len({r["top1"] for r in rows}) / n, 1),
        "bleu": round(sum(r["bleu"] for r in rows) / n, 2), "wall_s_per_pair": round(wall / n, 2),
        "command": f"python scripts/decoding_stats.py measure --config {args.config}"
                   + (f" -k {args.k}" if args.k != 5 else "") + (f" --runtime {args.runtime}" if
                                                                   args.runtime != "torch" else "")
                   + (f" --per-package {args.per_package}" if args.per_package != 2 else ""),
        "examples": [r["top1"][:300] for r in rows[:2]],
        "top1_sha": {r["id"]: r["top1_sha"] for r in rows},  # which runtimes give the same top-1, pair by pair
    }


def personalized(args: argparse.Namespace) -> dict[str, Any]:
    """The second search on personalized models: per package, ``args.strategy`` is trained on the evaluation's
    `method`-split training fold (fold 0, as ``testtailor evaluate`` splits it, under a fixed compute budget so the
    run is repeatable) and its test sample is decoded as the product decodes; inputs searched again are decoded once
    more without the second search, which is what they got before it (the others are decoded the same either way)."""
    import copy

    import torch

    from customizer.customize import fit_pairs
    from customizer.decoding import prior_from_tests
    from customizer.evaluate.metrics import bleu
    from customizer.evaluate.model_systems import batched_candidates
    from customizer.evaluate.runner import EvalConfig, fold_parts, mined_pairs
    from customizer.generate import Generator
    from customizer.inputs import encode_pair, length_budget
    from customizer.java.context import ContextLevel
    from customizer.mining.folds import split_folds
    from customizer.model import load_base_model
    from customizer.strategies import get_strategy
    from customizer.train import TrainConfig

    torch.set_num_threads(int(os.environ.get("TESTTAILOR_THREADS", "1")))
    cfg = EvalConfig(out=args.results, max_test=args.per_package)
    with_retry = Generator(base_model=args.model, device="cpu", decoding=CONFIGS["default"])
    without = Generator(base_model=args.model, device="cpu", decoding=CONFIGS["no-retry"])
    base = load_base_model(args.model, "cpu")
    strategy = get_strategy(args.strategy)
    max_source, max_target = length_budget(base.model)
    rows, packages = [], []
    for package in args.packages.split(","):
        name, pairs = mined_pairs(args.repos / package, args.results, print)
        train, test = fold_parts(split_folds(pairs, k=cfg.folds, seed=cfg.seed, group="method"), 0, cfg)
        config = dataclasses.replace(TrainConfig(), max_pflops=args.max_pflops, max_minutes=None, seed=cfg.seed)
        fit = fit_pairs(base, strategy, train, seed=cfg.seed, config=config)
        module = strategy.load_state_dict(copy.deepcopy(base.model), fit.result.state).eval()
        prior = prior_from_tests(base.tokenizer, [p.test.body for p in train])
        sources = [encode_pair(base.tokenizer, p, ContextLevel.FULL, max_source, max_target)[0] for p in test]
        after = batched_candidates(with_retry, module, sources, 5, prior, 8)
        again = [i for i, cands in enumerate(after) if _searched_again(cands, with_retry.decoding)]
        before = dict(zip(again, batched_candidates(without, module, [sources[i] for i in again], 5, prior, 8),
                          strict=True))
        for i, pair in enumerate(test):
            first = before.get(i, after[i])
            rows.append({"package": name, "id": pair.id, "searched_again": i in before,
                         "parses": after[i][0].parses, "parses_before": first[0].parses,
                         "bleu": bleu(after[i][0].text, pair.test.body), "bleu_before": bleu(first[0].text,
                                                                                             pair.test.body)})
        packages.append({"package": name, "train_pairs": len(fit.train_pairs), "pflops": round(fit.result.pflops, 4),
                         "steps": fit.result.history[-1]["step"] if fit.result.history else 0,
                         "base_val_loss": fit.result.base_val_loss, "best_val_loss": fit.result.best_val_loss})
        print(f"{name}: {len(test)} pairs, {len(again)} searched again", flush=True)
    n = len(rows)

    def pct(key: str) -> float:
        return round(100 * sum(bool(r[key]) for r in rows) / n, 1)

    return {"strategy": args.strategy, "pairs": n, "packages": packages, "max_pflops": args.max_pflops,
            "searched_again": pct("searched_again"), "parse_rate": pct("parses"),
            "parse_rate_without": pct("parses_before"), "bleu": round(sum(r["bleu"] for r in rows) / n, 2),
            "bleu_without": round(sum(r["bleu_before"] for r in rows) / n, 2), "model": base.description,
            "command": f"python scripts/decoding_stats.py personalized --strategy {args.strategy} --packages "
                       f"{args.packages} --max-pflops {args.max_pflops:g}"
                       + (f" --per-package {args.per_package}" if args.per_package != 20 else ""),
            "rows": rows}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "decoding.json")
    parser.add_argument("--model", default=str(ROOT / "customizer" / "base_model"))
    sub = parser.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("corpus", help="length prior and repetition statistics of the base corpus")
    c.add_argument("--data", type=Path, required=True, help="train.npz of `testtailor base-model prepare`")
    c.add_argument("--write-prior", action="store_true", help="store the prior in the model's testtailor.json")
    m = sub.add_parser("measure", help="top-1 statistics on the dev-eval sample for one decoding configuration")
    m.add_argument("--config", choices=sorted(CONFIGS), default="default")
    m.add_argument("--dev-eval", default=str(DEV_EVAL))
    m.add_argument("--per-package", type=int, default=2, help="pairs per package (not 2: the row is stored as "
                   "KEY@N)")
    m.add_argument("-k", type=int, default=5, help="candidates per pair (beam width is at least 5)")
    m.add_argument("--rows", type=Path, help="also write one JSON line per pair (top-1 text and flags) here")
    m.add_argument("--runtime", choices=[r for r in RUNTIMES if r != AUTO_RUNTIME], default="torch",
                   help="decode with PyTorch or ONNX Runtime (the row is stored as CONFIG+RUNTIME; the export is made "
                   "before timing starts)")
    pz = sub.add_parser("personalized", help="the second search on adapters trained on dev-eval packages (CPU)")
    pz.add_argument("--strategy", default="l-ldb")
    pz.add_argument("--packages", required=True, help="comma-separated dev-eval packages")
    pz.add_argument("--max-pflops", type=float, default=0.01, help="compute budget per customization (PF-s)")
    pz.add_argument("--per-package", type=int, default=20, help="test pairs per package (evaluate's --max-test)")
    pz.add_argument("--repos", type=Path, default=Path.home() / ".cache/testtailor-dev/debian/repos")
    pz.add_argument("--results", type=Path, default=Path.home() / ".cache/testtailor-dev/eval/results",
                    help="where evaluate caches the mined pairs (read, or written once)")
    g = sub.add_parser("guards", help="developer tests of the dev-eval packages the line-end judgements would alter")
    g.add_argument("--dev-eval", default=str(DEV_EVAL))
    args = parser.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    if args.cmd == "corpus":
        result = corpus(args)
        _update(args.out, "corpus", result)
    elif args.cmd == "guards":
        result = guards(args)
        _update(args.out, "guards", result)
    elif args.cmd == "personalized":
        result = personalized(args)
        _update(args.out, "personalized", result)
    else:
        result = measure(args)
        data = json.loads(args.out.read_text()) if args.out.exists() else {}
        key = args.config if args.runtime == "torch" else f"{args.config}+{args.runtime}"
        key += f"@{args.per_package}" if args.per_package != 2 else ""
        _update(args.out, "configs", {**data.get("configs", {}), key: result})
    print(json.dumps({k: v for k, v in result.items() if k not in ("examples", "rows")}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
