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
    prep.add_argument("--methods", action="store_true",
                      help="tokenize the plain methods (methods-*.jsonl) for denoising instead of the pairs")
    prep.add_argument("--max-methods", type=int, default=200_000,
                      help="cap on methods kept (a seeded sample spread over all packages)")
    prep.add_argument("--max-method-tokens", type=int, default=512, help="longer methods are dropped, not cut")
    prep.add_argument("--val-methods", type=int, default=1000, help="methods held out for the denoising loss")
    prep.add_argument("--val-only", action="store_true", help="prepare val.npz only (e.g. to compare losses)")
    prep.add_argument("--retrieval-mix", default="0", metavar="K,K,...",
                      help="retrieval-augmented pairs: each input carries k of its package's nearest other tests, "
                      "k drawn uniformly from this list (e.g. 0,1,2,3; default 0: focal context only)")
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
    tr.add_argument("--warmup-steps", type=int, default=200, help="linear learning-rate warm-up before the cosine")
    tr.add_argument("--eval-every-s", type=float, default=300.0)
    tr.add_argument("--max-steps", type=int, default=None, help="stop at this step of the run (and checkpoint)")
    tr.add_argument("--loader-workers", type=int, default=None,
                    help="processes that noise and collate batches ahead (default: 4 on a GPU, 0 on CPU)")
    tr.add_argument("--denoise-tokens", type=float, default=0.0,
                    help="denoising pretraining on methods.npz for this many tokens before the pairs phase "
                    "(0: pairs only); the phase is recorded in the run, so repeat the same command to resume")
    tr.add_argument("--init-from", default=None, metavar="DIR",
                    help="start a new run from this checkpoint's weights (e.g. customizer/base_model, the shipped "
                    "one) in the pairs phase, with a fresh optimizer and schedule: longer training of a shipped "
                    "model; ignored when the run resumes")
    tr.set_defaults(func=_train)

    ex = bsub.add_parser("export", help="copy the best checkpoint into customizer/base_model (int8 row-wise weights)")
    ex.add_argument("--run", type=Path, default=basemodel_dir() / "runs" / "cpu-small")
    ex.add_argument("--name", default="testtailor-base-interim")
    ex.add_argument("--out", type=Path, default=None,
                    help="model directory to write (default: customizer/base_model, the packaged one)")
    ex.add_argument("--interim", action="store_true", help="mark the export as an interim (CPU) model")
    ex.add_argument("--weights", choices=("int8", "bf16"), default="int8",
                    help="storage of the weights: int8 per row (a quarter of fp32; default) or bf16")
    ex.set_defaults(func=_export)

    ev = bsub.add_parser("card", help="measure the packaged base model on dev-eval and write docs/model-card.md")
    ev.add_argument("--run", type=Path, default=basemodel_dir() / "runs" / "cpu-small")
    ev.add_argument("--model", type=Path, default=None, help="model directory (default: the packaged one)")
    ev.add_argument("--data", type=Path, default=basemodel_dir() / "data")
    ev.add_argument("--dev-eval", type=Path, default=dev_cache() / "corpus" / "dev-eval")
    ev.add_argument("--per-package", type=int, default=3)
    ev.add_argument("--docs", type=Path, default=Path("docs"))
    ev.add_argument("--hardware", default="2 shared CPU cores", help="what the run trained on, for the card")
    ev.add_argument("--reuse", action="store_true",
                    help="render from the run's dev-eval.json of an earlier `card` instead of measuring again")
    ev.set_defaults(func=_card)

    vl = bsub.add_parser("val-loss", help="per-token loss of models on prepared pairs (val.npz of `prepare`)",
                         description="Mean per-token loss of each --model on each prepared pairs file, e.g. the "
                         "same validation pairs prepared with --retrieval-mix 0 and with 2: does a model read "
                         "the retrieved tests (lower loss with them) or ignore them?")
    vl.add_argument("--model", type=Path, action="append", required=True, help="model or checkpoint directory "
                    "(repeatable)")
    vl.add_argument("--data", type=Path, action="append", required=True, help="a prepared .npz (repeatable)")
    vl.add_argument("--every", type=int, default=1, help="score every n-th pair only (a faster sample)")
    vl.add_argument("--device", default="cpu")
    vl.set_defaults(func=_val_loss)


def _update_stats(out: Path, new: dict) -> None:
    path = out / "stats.json"
    stats = json.loads(path.read_text()) if path.exists() else {}
    stats.update(new)
    path.write_text(json.dumps(stats, indent=1))


def _prepare_methods(args: argparse.Namespace, tok) -> int:
    import numpy as np

    from customizer.basemodel.denoise_data import select_methods, tokenize_methods
    from customizer.corpus.jsonl import read_jsonl_files

    files = sorted(args.corpus.glob("methods-*.jsonl"))
    if not files:
        raise SystemExit(f"no methods-*.jsonl shards in {args.corpus}; run `testtailor corpus merge`")
    records = select_methods(read_jsonl_files(files), args.max_methods + args.val_methods)
    held_out = set(np.random.default_rng(0).permutation(len(records))[:args.val_methods].tolist())
    args.out.mkdir(parents=True, exist_ok=True)
    stats = {}
    for name, part in (("methods-val", [r for i, r in enumerate(records) if i in held_out]),
                       ("methods", [r for i, r in enumerate(records) if i not in held_out])):
        data, st = tokenize_methods(tok, part, args.max_method_tokens)
        data.save(args.out / f"{name}.npz")
        stats[name] = {**st, "tokens_mean": float(data.lengths().mean()) if len(data) else 0.0,
                       "files": [f.name for f in files]}
        print(name, json.dumps(stats[name]))
    _update_stats(args.out, stats)
    return 0


def _prepare(args: argparse.Namespace) -> int:
    from transformers import PreTrainedTokenizerFast

    from customizer.basemodel.data import tokenize_pairs
    from customizer.basemodel.retrieval_data import attach_retrieved, parse_ks
    from customizer.corpus.jsonl import read_jsonl_files

    tok = PreTrainedTokenizerFast.from_pretrained(args.tokenizer)
    if args.methods:
        return _prepare_methods(args, tok)
    train_files = sorted(args.corpus.glob("pairs-*.jsonl"))
    val_files = sorted(args.corpus.glob("val-*.jsonl"))
    if not train_files or not val_files:
        raise SystemExit(f"no pairs-*.jsonl / val-*.jsonl shards in {args.corpus}; run `testtailor corpus merge`")
    args.out.mkdir(parents=True, exist_ok=True)
    stats = {}
    ks = parse_ks(args.retrieval_mix)
    for name, fs in (("val", val_files), ("train", train_files))[:1 if args.val_only else 2]:
        pairs = read_jsonl_files(fs)
        if max(ks) > 0:
            pairs = attach_retrieved(pairs, ks, seed=0 if name == "train" else 1)
        data, st = tokenize_pairs(tok, pairs, args.max_source, args.max_target)
        data.save(args.out / f"{name}.npz")
        sl, tl = data.lengths()
        stats[name] = {**st, "source_tokens_mean": float(sl.mean()), "target_tokens_mean": float(tl.mean()),
                       "files": [f.name for f in fs], "retrieval_mix": list(ks)}
        print(name, json.dumps(stats[name]))
    _update_stats(args.out, stats)
    return 0


def _train(args: argparse.Namespace) -> int:
    import torch

    from customizer.basemodel.data import TokenizedPairs
    from customizer.basemodel.denoise_data import TokenizedMethods
    from customizer.basemodel.trainer import RunConfig, train_base
    from customizer.train import bf16_supported

    cfg = RunConfig(preset=args.preset, batch_tokens=args.batch_tokens, lr=args.lr,
                    total_tokens=args.total_tokens, eval_every_s=args.eval_every_s, warmup_steps=args.warmup_steps,
                    bf16=bf16_supported(torch.device(args.device)), denoise_tokens=args.denoise_tokens,
                    loader_workers=args.loader_workers if args.loader_workers is not None
                    else (4 if torch.device(args.device).type == "cuda" else 0),
                    init_from=args.init_from)
    print(f"bf16 autocast: {'on' if cfg.bf16 else 'off (no native bf16 on this device)'}", flush=True)
    methods = methods_val = None
    if cfg.denoise_tokens > 0 and (args.data / "methods.npz").exists():
        methods = TokenizedMethods.load(args.data / "methods.npz")
        if (args.data / "methods-val.npz").exists():
            methods_val = TokenizedMethods.load(args.data / "methods-val.npz")
    summary = train_base(args.run, TokenizedPairs.load(args.data / "train.npz"),
                         TokenizedPairs.load(args.data / "val.npz"), args.tokenizer, cfg, args.minutes,
                         device=args.device, log=lambda m: print(m, flush=True), methods=methods,
                         methods_val=methods_val, max_steps=args.max_steps)
    print(json.dumps(summary))
    return 0


def _export(args: argparse.Namespace) -> int:
    from customizer.basemodel.export import PACKAGE_MODEL_DIR, export_checkpoint

    out = export_checkpoint(args.run / "best", out=args.out or PACKAGE_MODEL_DIR, name=args.name,
                            extra_meta={"interim": bool(args.interim)}, weights=args.weights)
    print(f"exported {args.run / 'best'} -> {out}")
    return 0


def _val_loss(args: argparse.Namespace) -> int:
    import torch

    from customizer.basemodel.data import TokenizedPairs
    from customizer.basemodel.trainer import validation_loss
    from customizer.model import load_base_model
    from customizer.train import bf16_supported

    for model_dir in args.model:
        base = load_base_model(model_dir, device=args.device, cache=False)
        bf16 = bf16_supported(torch.device(args.device))
        for data_file in args.data:
            data = TokenizedPairs.load(data_file)
            data = data.subset(range(0, len(data), max(1, args.every)))
            loss = validation_loss(base.model, data, base.tokenizer.pad_token_id,
                                   base.model.config.decoder_start_token_id, bf16=bf16)
            print(json.dumps({"model": base.description, "data": str(data_file), "pairs": len(data),
                              "loss": round(loss, 4)}), flush=True)
    return 0


def _card(args: argparse.Namespace) -> int:
    from customizer.basemodel.card import evaluate_base, loss_plot, render_card, sample_dev_eval
    from customizer.basemodel.export import PACKAGE_MODEL_DIR

    model = args.model or PACKAGE_MODEL_DIR
    if args.reuse:
        evaluation = json.loads((args.run / "dev-eval.json").read_text())
    else:
        evaluation = evaluate_base(model, sample_dev_eval(args.dev_eval, args.per_package))
        (args.run / "dev-eval.json").write_text(json.dumps(evaluation, indent=1))
    history = [json.loads(x) for x in (args.run / "history.jsonl").read_text().splitlines() if x.strip()]
    args.docs.mkdir(parents=True, exist_ok=True)
    loss_plot(history, args.docs / "model-card-loss.png")
    stats_file = args.data / "stats.json"
    stats = json.loads(stats_file.read_text()) if stats_file.exists() else {}
    run_cfg = json.loads((args.run / "config.json").read_text())
    denoised = run_cfg.get("denoise_tokens", 0) > 0
    # the recipe's default: ~1.4 epochs of 200k methods (~28M tokens each), ~20% of a 6-minute H100 budget
    denoise = run_cfg["denoise_tokens"] if denoised else 40e6
    interim = json.loads((model / "testtailor.json").read_text()).get("interim", True)
    commands = [
        "testtailor corpus fetch --list all && testtailor corpus build && testtailor corpus merge",
        "testtailor corpus tokenizer",
        "testtailor base-model prepare --tokenizer TOKENIZER_DIR",
        "testtailor base-model prepare --tokenizer TOKENIZER_DIR --methods --max-methods "
        + ("200000" if interim else "280000"),
    ]
    if interim:
        commands += [
            "# phase 1 denoises methods for --denoise-tokens, phase 2 trains on pairs; resumable across the switch"
            + ("" if denoised else " (this model: --denoise-tokens 0, pairs only)"),
            f"testtailor base-model train --tokenizer TOKENIZER_DIR --run RUN_DIR --denoise-tokens {denoise / 1e6:g}e6 "
            "--minutes 80   # repeat",
            "testtailor base-model export --run RUN_DIR --interim"]
    else:
        commands += [
            "# on the GPU machine (device tool, carry .gpu: data npz files, tokenizer, tree-sitter/GitPython wheels);",
            "# this model: MINUTES=8.0, then MINUTES=2.4 resuming the same run on the same warm machine",
            "bash scripts/gpu_base_model.sh",
            "python -m customizer.basemodel.shards unpack FILES_AT RUN_DIR --tokenizer TOKENIZER_DIR",
            "testtailor base-model export --run RUN_DIR --name NAME   # int8 row-wise weights",
            "python scripts/decoding_stats.py corpus --data DATA_DIR/train.npz --write-prior"]
    commands.append(f"testtailor base-model card --run RUN_DIR --data DATA_DIR --per-package {args.per_package}"
                    + ("" if interim else f" --hardware '{args.hardware}'"))
    text = render_card(model, args.run, evaluation, stats, "model-card-loss.png", commands, hardware=args.hardware)
    (args.docs / "model-card.md").write_text(text, encoding="utf-8")
    print(json.dumps({k: v for k, v in evaluation.items() if k not in ("per_package", "examples")}, indent=1))
    return 0
