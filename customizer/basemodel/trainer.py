"""Resumable base-model training: a plain loop you can read top to bottom.

State lives in ``<run>/``: ``last.pt`` (model, optimizer, step, data position, RNG, history; written atomically
every few minutes and on SIGINT/SIGTERM), ``best/`` (a safetensors checkpoint of the lowest validation loss) and
``history.jsonl`` (one line per evaluation: step, tokens, PF-s, wall time, train loss, validation loss on real and
on shuffled sources — the gap says whether the model reads its input at all).
"""

from __future__ import annotations

import json
import math
import signal
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch
from transformers import BartForConditionalGeneration, PreTrainedTokenizerFast

from customizer.basemodel.data import TokenizedPairs, collate, length_bucketed_batches
from customizer.basemodel.presets import PRESETS


@dataclass
class RunConfig:
    preset: str = "cpu-small"
    lr: float = 4e-4
    warmup_steps: int = 200
    min_lr_ratio: float = 0.1
    weight_decay: float = 0.01
    betas: tuple[float, float] = (0.9, 0.98)
    batch_tokens: int = 8192  # padded source + target tokens per step
    total_tokens: float = 60e6  # the cosine schedule's horizon (non-pad target+source tokens)
    eval_every_s: float = 300.0
    checkpoint_every_s: float = 300.0
    val_pairs: int = 400
    seed: int = 0
    bf16: bool = True
    extra: dict = field(default_factory=dict)


def _lr_at(cfg: RunConfig, step: int, steps_total: int) -> float:
    if step < cfg.warmup_steps:
        return cfg.lr * (step + 1) / cfg.warmup_steps
    progress = min(1.0, (step - cfg.warmup_steps) / max(1, steps_total - cfg.warmup_steps))
    return cfg.lr * (cfg.min_lr_ratio + (1 - cfg.min_lr_ratio) * 0.5 * (1 + math.cos(math.pi * progress)))


@torch.no_grad()
def validation_loss(model, val: TokenizedPairs, pad_id: int, start_id: int, shuffled: bool = False,
                    batch_tokens: int = 16384, bf16: bool = True) -> float:
    """Mean per-token loss; with ``shuffled`` each target is scored against another pair's source."""
    model.eval()
    rng = np.random.default_rng(1234)
    perm = rng.permutation(len(val)) if shuffled else np.arange(len(val))
    total, count = 0.0, 0
    for idx in length_bucketed_batches(val, batch_tokens, np.random.default_rng(0)):
        batch = collate(val, idx, pad_id, start_id, source_idx=perm[idx])
        with torch.autocast("cpu" if not torch.cuda.is_available() else "cuda", dtype=torch.bfloat16,
                            enabled=bf16):
            logits = model(**{k: v.to(model.device) for k, v in batch.items() if k != "labels"}).logits
        labels = batch["labels"].to(model.device)
        loss = torch.nn.functional.cross_entropy(logits.float().transpose(1, 2), labels, reduction="sum")
        total += loss.item()
        count += int((labels != -100).sum())
    model.train()
    return total / max(1, count)


def train_base(run_dir: Path, train: TokenizedPairs, val: TokenizedPairs, tokenizer_dir: Path,
               cfg: RunConfig, max_minutes: float, device: str = "cpu", log=print) -> dict:
    """Train (or resume) for at most ``max_minutes``; returns a summary. Safe to kill at any moment."""
    run_dir.mkdir(parents=True, exist_ok=True)
    tokenizer = PreTrainedTokenizerFast.from_pretrained(tokenizer_dir)
    pad_id, start_id = tokenizer.pad_token_id, tokenizer.eos_token_id
    torch.manual_seed(cfg.seed)
    model = BartForConditionalGeneration(PRESETS[cfg.preset].config(len(tokenizer))).to(device)
    n_params = sum(p.numel() for p in model.parameters())
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, betas=cfg.betas, weight_decay=cfg.weight_decay)
    state = {"step": 0, "epoch": 0, "batch_in_epoch": 0, "tokens": 0, "flops": 0.0, "wall_s": 0.0,
             "best_val": float("inf"), "history": []}
    last = run_dir / "last.pt"
    if last.exists():
        ck = torch.load(last, map_location=device, weights_only=False)
        model.load_state_dict(ck["model"])
        opt.load_state_dict(ck["optimizer"])
        state = ck["state"]
        log(f"resumed at step {state['step']} ({state['tokens'] / 1e6:.1f}M tokens, {state['wall_s'] / 60:.1f} min)")
    (run_dir / "config.json").write_text(json.dumps({**asdict(cfg), "params": n_params}, indent=1))

    src_len, tgt_len = train.lengths()
    tokens_per_epoch = int(src_len.sum() + tgt_len.sum())
    steps_total = max(1, int(cfg.total_tokens / max(1, tokens_per_epoch) * len(
        length_bucketed_batches(train, cfg.batch_tokens, np.random.default_rng(0)))))
    val_small = val.subset(range(min(cfg.val_pairs, len(val))))

    stop = {"flag": False}

    def _stop(signum, frame):  # finish the step, then checkpoint and exit
        stop["flag"] = True

    old = {s: signal.signal(s, _stop) for s in (signal.SIGINT, signal.SIGTERM)}

    def checkpoint() -> None:
        tmp = last.with_suffix(".tmp")
        torch.save({"model": model.state_dict(), "optimizer": opt.state_dict(), "state": state}, tmp)
        tmp.replace(last)

    def evaluate() -> None:
        real = validation_loss(model, val_small, pad_id, start_id, bf16=cfg.bf16)
        shuf = validation_loss(model, val_small, pad_id, start_id, shuffled=True, bf16=cfg.bf16)
        row = {"step": state["step"], "tokens": state["tokens"], "pflops": state["flops"] / 1e15,
               "wall_s": round(state["wall_s"], 1), "train_loss": state.get("train_loss"),
               "val_loss": round(real, 4), "val_loss_shuffled": round(shuf, 4),
               "shuffle_gap": round(shuf - real, 4), "lr": state.get("lr")}
        state["history"].append(row)
        with open(run_dir / "history.jsonl", "a") as fh:
            fh.write(json.dumps(row) + "\n")
        log(json.dumps(row))
        if real < state["best_val"]:
            state["best_val"] = real
            best_tmp = run_dir / "best.tmp"
            model.save_pretrained(best_tmp, safe_serialization=True)
            tokenizer.save_pretrained(best_tmp)
            (best_tmp / "training_state.json").write_text(json.dumps(row))
            best = run_dir / "best"
            if best.exists():
                best.replace(run_dir / "best.old")
            best_tmp.replace(best)
            old_dir = run_dir / "best.old"
            if old_dir.exists():
                for f in old_dir.iterdir():
                    f.unlink()
                old_dir.rmdir()

    model.train()
    t_start = time.time()
    t_last_eval = t_last_ckpt = t_start
    wall0 = state["wall_s"]
    running, n_running, tok_window, t_window = 0.0, 0, 0, time.time()
    try:
        while True:
            rng = np.random.default_rng(cfg.seed + state["epoch"])
            batches = length_bucketed_batches(train, cfg.batch_tokens, rng)
            while state["batch_in_epoch"] < len(batches):
                idx = batches[state["batch_in_epoch"]]
                batch = {k: v.to(device) for k, v in collate(train, idx, pad_id, start_id).items()}
                lr = _lr_at(cfg, state["step"], steps_total)
                for g in opt.param_groups:
                    g["lr"] = lr
                with torch.autocast("cuda" if device.startswith("cuda") else "cpu", dtype=torch.bfloat16,
                                    enabled=cfg.bf16):
                    loss = model(**batch).loss
                loss.backward()
                torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
                opt.step()
                opt.zero_grad(set_to_none=True)
                ntok = int(batch["attention_mask"].sum() + batch["decoder_attention_mask"].sum())
                state["step"] += 1
                state["batch_in_epoch"] += 1
                state["tokens"] += ntok
                state["flops"] += 6.0 * n_params * ntok  # Kaplan: 2N forward + 4N backward per token
                state["wall_s"] = wall0 + time.time() - t_start
                state["lr"] = lr
                running += loss.item()
                n_running += 1
                tok_window += ntok
                now = time.time()
                if now - t_window > 60:
                    state["train_loss"] = round(running / n_running, 4)
                    log(f"step {state['step']} loss {running / n_running:.3f} lr {lr:.2e} "
                        f"{tok_window / (now - t_window):.0f} tok/s epoch {state['epoch']}")
                    running, n_running, tok_window, t_window = 0.0, 0, 0, now
                if now - t_last_eval > cfg.eval_every_s:
                    evaluate()
                    t_last_eval = time.time()
                if now - t_last_ckpt > cfg.checkpoint_every_s:
                    checkpoint()
                    t_last_ckpt = time.time()
                if stop["flag"] or (now - t_start) / 60 > max_minutes:
                    raise StopIteration
            state["epoch"] += 1
            state["batch_in_epoch"] = 0
    except StopIteration:
        pass
    finally:
        for s, h in old.items():
            signal.signal(s, h)
    evaluate()
    checkpoint()
    return {"steps": state["step"], "tokens": state["tokens"], "pflops": state["flops"] / 1e15,
            "wall_s": state["wall_s"], "best_val": state["best_val"], "params": n_params}
