"""``testtailor base-model``: the shipped base model's recipe (prepare data, train resumably, export)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from customizer.basemodel.paths import basemodel_dir, dev_cache


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("base-model", help="build the shipped base model (developers; needs the Debian corpus)",
                       description="Prepare tokenized data from the corpus, train the base model (resumable), "
                       "and export the best checkpoint into the package.")
    bsub = p.add_subparsers(dest="base_cmd", metavar="STEP", required=True)

    prep = bsub.add_parser("prepare", help="tokenize the corpus shards into train/val arrays")
    prep.add_argument("--corpus", type=Path, default=dev_cache() / "corpus" / "final")
    prep.add_argument("--tokenizer", type=Path, default=dev_cache() / "tokenizer")
    prep.add_argument("--out", type=Path, default=basemodel_dir() / "data")
    prep.add_argument("--max-source", type=int, default=512)
    prep.add_argument("--max-target", type=int, default=384)
    prep.set_defaults(func=_prepare)

    tr = bsub.add_parser("train", help="train or resume for a time budget")
    tr.add_argument("--data", type=Path, default=basemodel_dir() / "data")
    tr.add_argument("--tokenizer", type=Path, default=dev_cache() / "tokenizer")
    tr.add_argument("--run", type=Path, default=basemodel_dir() / "runs" / "cpu-small")
    tr.add_argument("--preset", default="cpu-small")
    tr.add_argument("--minutes", type=float, default=30.0)
    tr.add_argument("--device", default="cpu")
    tr.add_argument("--batch-tokens", type=int, default=8192)
    tr.add_argument("--lr", type=float, default=4e-4)
    tr.add_argument("--total-tokens", type=float, default=60e6)
    tr.add_argument("--eval-every-s", type=float, default=300.0)
    tr.set_defaults(func=_train)

    ex = bsub.add_parser("export", help="copy the best checkpoint into customizer/base_model as bf16")
    ex.add_argument("--run", type=Path, default=basemodel_dir() / "runs" / "cpu-small")
    ex.add_argument("--name", default="testtailor-base-interim")
    ex.add_argument("--interim", action="store_true", help="mark the export as an interim (CPU) model")
    ex.set_defaults(func=_export)

    ev = bsub.add_parser("card", help="measure the packaged base model on dev-eval and write docs/model-card.md")
    ev.add_argument("--run", type=Path, default=basemodel_dir() / "runs" / "cpu-small")
    ev.add_argument("--model", type=Path, default=None, help="model directory (default: the packaged one)")
    ev.add_argument("--data", type=Path, default=basemodel_dir() / "data")
    ev.add_argument("--dev-eval", type=Path, default=dev_cache() / "corpus" / "dev-eval")
    ev.add_argument("--per-package", type=int, default=3)
    ev.add_argument("--docs", type=Path, default=Path("docs"))
    ev.set_defaults(func=_card)


def _prepare(args: argparse.Namespace) -> int:
    from transformers import PreTrainedTokenizerFast

    from customizer.basemodel.data import iter_pair_dicts, tokenize_pairs

    tok = PreTrainedTokenizerFast.from_pretrained(args.tokenizer)
    train_files = sorted(args.corpus.glob("pairs-*.jsonl"))
    val_files = sorted(args.corpus.glob("val-*.jsonl"))
    if not train_files or not val_files:
        raise SystemExit(f"no pairs-*.jsonl / val-*.jsonl shards in {args.corpus}; run `testtailor corpus merge`")
    args.out.mkdir(parents=True, exist_ok=True)
    stats = {}
    for name, fs in (("val", val_files), ("train", train_files)):
        data, st = tokenize_pairs(tok, iter_pair_dicts(fs), args.max_source, args.max_target)
        data.save(args.out / f"{name}.npz")
        sl, tl = data.lengths()
        stats[name] = {**st, "source_tokens_mean": float(sl.mean()), "target_tokens_mean": float(tl.mean()),
                       "files": [f.name for f in fs]}
        print(name, json.dumps(stats[name]))
    (args.out / "stats.json").write_text(json.dumps(stats, indent=1))
    return 0


def _train(args: argparse.Namespace) -> int:
    import torch

    from customizer.basemodel.data import TokenizedPairs
    from customizer.basemodel.trainer import RunConfig, train_base
    from customizer.train import bf16_supported

    cfg = RunConfig(preset=args.preset, batch_tokens=args.batch_tokens, lr=args.lr,
                    total_tokens=args.total_tokens, eval_every_s=args.eval_every_s,
                    bf16=bf16_supported(torch.device(args.device)))
    print(f"bf16 autocast: {'on' if cfg.bf16 else 'off (no native bf16 on this device)'}", flush=True)
    summary = train_base(args.run, TokenizedPairs.load(args.data / "train.npz"),
                         TokenizedPairs.load(args.data / "val.npz"), args.tokenizer, cfg, args.minutes,
                         device=args.device, log=lambda m: print(m, flush=True))
    print(json.dumps(summary))
    return 0


def _export(args: argparse.Namespace) -> int:
    from customizer.basemodel.export import export_checkpoint

    out = export_checkpoint(args.run / "best", name=args.name, extra_meta={"interim": bool(args.interim)})
    print(f"exported {args.run / 'best'} -> {out}")
    return 0


def _card(args: argparse.Namespace) -> int:
    from customizer.basemodel.card import evaluate_base, loss_plot, render_card, sample_dev_eval
    from customizer.basemodel.export import PACKAGE_MODEL_DIR

    model = args.model or PACKAGE_MODEL_DIR
    pairs = sample_dev_eval(args.dev_eval, args.per_package)
    evaluation = evaluate_base(model, pairs)
    (args.run / "dev-eval.json").write_text(json.dumps(evaluation, indent=1))
    history = [json.loads(x) for x in (args.run / "history.jsonl").read_text().splitlines() if x.strip()]
    args.docs.mkdir(parents=True, exist_ok=True)
    loss_plot(history, args.docs / "model-card-loss.png")
    stats_file = args.data / "stats.json"
    stats = json.loads(stats_file.read_text()) if stats_file.exists() else {}
    commands = [
        "testtailor corpus fetch --list all && testtailor corpus build && testtailor corpus merge",
        "testtailor corpus tokenizer",
        "testtailor base-model prepare --tokenizer TOKENIZER_DIR",
        "testtailor base-model train --tokenizer TOKENIZER_DIR --run RUN_DIR --minutes 80   # resumable; repeat",
        "testtailor base-model export --run RUN_DIR --interim",
        f"testtailor base-model card --run RUN_DIR --per-package {args.per_package}",
    ]
    text = render_card(model, args.run, evaluation, stats, "model-card-loss.png", commands)
    (args.docs / "model-card.md").write_text(text, encoding="utf-8")
    print(json.dumps({k: v for k, v in evaluation.items() if k not in ("per_package", "examples")}, indent=1))
    return 0
