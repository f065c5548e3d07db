"""Resumable base-model training in two phases, as AthenaTest did: denoising on plain Java methods, then
focal-method → test pairs. A plain loop you can read top to bottom.

State lives in ``<run>/``: ``last.pt`` (model, optimizer, step, phase, data position, tokens per phase, history;
written atomically every few minutes, at the phase switch and on SIGINT/SIGTERM), ``best/`` (a safetensors
checkpoint of the lowest pairs validation loss seen in the pairs phase) and ``history.jsonl`` (one line per
evaluation: phase, step, tokens, PF-s, wall time, train loss, pairs validation loss on real and on shuffled
sources — the gap says whether the model reads its input at all — and, while denoising, the denoising
validation loss).

The phase follows from the state: a run starts in ``denoise`` when ``RunConfig.denoise_tokens`` > 0 and
switches to ``pairs`` once that many tokens were trained on, with a fresh optimizer and its own warm-up and
cosine schedule (pretraining and fine-tuning are separate schedules in BART and AthenaTest). A ``last.pt``
written before phases existed has no phase fields and resumes as a pairs-only run.
"""

from __future__ import annotations

import json
import math
import signal
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from transformers import BartForConditionalGeneration, PreTrainedTokenizerFast

from customizer.basemodel.data import TokenizedPairs, collate, length_bucketed_batches
from customizer.basemodel.denoise_data import TokenizedMethods, denoise_batches, denoise_collate, expected_source_ratio
from customizer.basemodel.presets import PRESETS
from customizer.losses import summed_loss

_DENOISE_EPOCH_STREAM, _DENOISE_NOISE_STREAM = 1, 2  # RNG stream ids: seeds never collide with the pairs phase


class _Stop(Exception):
    """Budget spent or stop requested: leave the loop, then evaluate and checkpoint."""


class _EpochBatches(torch.utils.data.Dataset):
    """The rest of one epoch's batches, collated (and noised, while denoising) by DataLoader workers.

    Batch ``j`` is the run's step ``first_step + j``, and its noise is seeded by that step, so the same step
    gets the same noise whichever process or resumed session draws it.
    """

    def __init__(self, phase: str, data: TokenizedPairs | TokenizedMethods, batches: list[np.ndarray], start: int,
                 first_step: int, seed: int, tokenizer_ids: tuple[int, list[int], int, int]):
        self.phase, self.data, self.batches, self.start = phase, data, batches, start
        self.first_step, self.seed = first_step, seed
        self.mask_id, self.special_ids, self.pad_id, self.start_id = tokenizer_ids

    def __len__(self) -> int:
        return len(self.batches) - self.start

    def __getitem__(self, j: int) -> dict[str, torch.Tensor]:
        idx = self.batches[self.start + j]
        if self.phase == "pairs":
            return collate(self.data, idx, self.pad_id, self.start_id)
        noise = np.random.default_rng([self.seed, _DENOISE_NOISE_STREAM, self.first_step + j])
        return denoise_collate(self.data, idx, noise, self.mask_id, self.special_ids, self.pad_id, self.start_id)


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
    denoise_tokens: float = 0.0  # tokens of denoising pretraining before the pairs phase; 0: pairs only
    denoise_val_methods: int = 400
    loader_workers: int = 0  # processes that noise and collate batches ahead of the step (4 suit a GPU)
    init_from: str | None = None  # a new run starts from this checkpoint's weights (pairs phase), e.g. the shipped
    extra: dict = field(default_factory=dict)


def _lr_at(cfg: RunConfig, step: int, steps_total: int) -> float:
    """Linear warm-up, then cosine decay to ``min_lr_ratio``; ``step`` counts from the start of the phase."""
    if step < cfg.warmup_steps:
        return cfg.lr * (step + 1) / cfg.warmup_steps
    progress = min(1.0, (step - cfg.warmup_steps) / max(1, steps_total - cfg.warmup_steps))
    return cfg.lr * (cfg.min_lr_ratio + (1 - cfg.min_lr_ratio) * 0.5 * (1 + math.cos(math.pi * progress)))


def _loss_sum(model, batch: dict[str, torch.Tensor], bf16: bool) -> tuple[float, int]:
    """Summed token cross-entropy of one batch and its number of target tokens (eval, no grad), computed as
    customization computes it (:func:`customizer.losses.summed_loss`)."""
    loss, count = summed_loss(model, {k: v.to(model.device) for k, v in batch.items()}, bf16)
    return loss.item(), count


@torch.no_grad()
def validation_loss(model, val: TokenizedPairs, pad_id: int, start_id: int, shuffled: bool = False,
                    batch_tokens: int = 16384, bf16: bool = True) -> float:
    """Mean per-token loss; with ``shuffled`` each target is scored against another pair's source."""
    model.eval()
    rng = np.random.default_rng(1234)
    perm = rng.permutation(len(val)) if shuffled else np.arange(len(val))
    total, count = 0.0, 0
    for idx in length_bucketed_batches(val, batch_tokens, np.random.default_rng(0)):
        loss, n = _loss_sum(model, collate(val, idx, pad_id, start_id, source_idx=perm[idx]), bf16)
        total, count = total + loss, count + n
    model.train()
    return total / max(1, count)


@torch.no_grad()
def denoise_validation_loss(model, val: TokenizedMethods, tokenizer, batch_tokens: int = 16384,
                            bf16: bool = True) -> float:
    """Mean per-token loss of reconstructing held-out methods from fixed (seeded) noise."""
    model.eval()
    noise = np.random.default_rng(1234)
    total, count = 0.0, 0
    for idx in denoise_batches(val, batch_tokens, np.random.default_rng(0)):
        batch = denoise_collate(val, idx, noise, tokenizer.mask_token_id, tokenizer.all_special_ids,
                                tokenizer.pad_token_id, tokenizer.eos_token_id)
        loss, n = _loss_sum(model, batch, bf16)
        total, count = total + loss, count + n
    model.train()
    return total / max(1, count)


def upgrade_state(state: dict[str, Any]) -> dict[str, Any]:
    """Fill the phase fields into a state saved before phases existed: it was a pairs-only run."""
    state.setdefault("phase", "pairs")
    state.setdefault("phase_start_step", 0)
    state.setdefault("phase_tokens", {"denoise": 0, "pairs": state["tokens"]})
    return state


def _steps_for(tokens: float, lengths_total: float, batches_per_epoch: int) -> int:
    """Optimizer steps that ``tokens`` take, from the tokens and batches of one epoch."""
    return max(1, int(tokens / max(1.0, lengths_total) * batches_per_epoch))


def _init_weights(model: BartForConditionalGeneration, source: str, tokenizer: PreTrainedTokenizerFast,
                  log) -> None:
    """Copy a checkpoint's weights (any format ``load_base_model`` reads, the shipped int8 one included) into a
    new run's model; its architecture and vocabulary must be the run's."""
    from customizer.model import load_base_model

    loaded = load_base_model(source, device="cpu", cache=False)
    if loaded.tokenizer.get_vocab() != tokenizer.get_vocab():
        raise ValueError(f"{source} has another vocabulary than the run's tokenizer; pass its own tokenizer")
    try:
        model.load_state_dict(loaded.model.state_dict())
    except RuntimeError as exc:
        raise ValueError(f"{source} is not a checkpoint of this preset's architecture: {exc}") from None
    log(f"initialized from {loaded.description}")


def train_base(run_dir: Path, train: TokenizedPairs, val: TokenizedPairs, tokenizer_dir: Path,
               cfg: RunConfig, max_minutes: float, device: str = "cpu", log=print,
               methods: TokenizedMethods | None = None, methods_val: TokenizedMethods | None = None,
               max_steps: int | None = None) -> dict:
    """Train (or resume) for at most ``max_minutes`` (and until the run's step ``max_steps``, if given);
    returns a summary. Safe to kill at any moment.

    ``methods`` (and ``methods_val`` for the denoising validation loss) are needed while the run is in its
    denoising phase; the pairs validation loss is reported in both phases.
    """
    run_dir.mkdir(parents=True, exist_ok=True)
    tokenizer = PreTrainedTokenizerFast.from_pretrained(tokenizer_dir)
    pad_id, start_id = tokenizer.pad_token_id, tokenizer.eos_token_id
    torch.manual_seed(cfg.seed)
    model = BartForConditionalGeneration(PRESETS[cfg.preset].config(len(tokenizer))).to(device)
    n_params = sum(p.numel() for p in model.parameters())

    def new_optimizer() -> torch.optim.AdamW:
        # fused: one kernel per step on a GPU instead of a dozen per parameter group (same update, same state)
        return torch.optim.AdamW(model.parameters(), lr=cfg.lr, betas=cfg.betas, weight_decay=cfg.weight_decay,
                                 fused=torch.device(device).type == "cuda")

    opt = new_optimizer()
    state = {"step": 0, "epoch": 0, "batch_in_epoch": 0, "tokens": 0, "flops": 0.0, "wall_s": 0.0,
             "best_val": float("inf"), "history": [], "phase": "denoise" if cfg.denoise_tokens > 0 else "pairs",
             "phase_start_step": 0, "phase_tokens": {"denoise": 0, "pairs": 0}}
    last = run_dir / "last.pt"
    if last.exists():
        ck = torch.load(last, map_location=device, weights_only=False)
        model.load_state_dict(ck["model"])
        opt.load_state_dict(ck["optimizer"])
        state = upgrade_state(ck["state"])
        if "torch_rng" in ck:  # dropout continues where it stopped (absent in checkpoints of older runs)
            torch.set_rng_state(ck["torch_rng"].cpu())  # map_location moved it; RNG states live on the CPU
            if ck.get("cuda_rng") and torch.device(device).type == "cuda":
                torch.cuda.set_rng_state_all([r.cpu() for r in ck["cuda_rng"]])
        log(f"resumed at step {state['step']} in phase {state['phase']} ({state['tokens'] / 1e6:.1f}M tokens, "
            f"{state['wall_s'] / 60:.1f} min)")
    elif cfg.init_from:
        _init_weights(model, cfg.init_from, tokenizer, log)
        state["phase"] = "pairs"  # a trained model: continue on pairs with a fresh optimizer and schedule
    (run_dir / "config.json").write_text(json.dumps({**asdict(cfg), "params": n_params}, indent=1))
    denoising = state["phase"] == "denoise" and state["phase_tokens"]["denoise"] < cfg.denoise_tokens
    if denoising and (methods is None or len(methods) == 0):
        raise ValueError("the run is in its denoising phase but no methods were given; "
                         "run `testtailor base-model prepare --methods` first")
    if denoising and tokenizer.mask_token_id is None:
        raise ValueError(f"the tokenizer in {tokenizer_dir} has no mask token; denoising needs one")

    src_len, tgt_len = train.lengths()
    pair_steps = _steps_for(cfg.total_tokens, float(src_len.sum() + tgt_len.sum()),
                            len(length_bucketed_batches(train, cfg.batch_tokens, np.random.default_rng(0))))
    denoise_steps = 1
    if methods is not None and len(methods):
        denoise_steps = _steps_for(cfg.denoise_tokens, float(methods.lengths().sum() * (1 + expected_source_ratio())),
                                   len(denoise_batches(methods, cfg.batch_tokens, np.random.default_rng(0))))
    val_small = val.subset(range(min(cfg.val_pairs, len(val))))
    methods_val_small = (methods_val.subset(range(min(cfg.denoise_val_methods, len(methods_val))))
                         if methods_val is not None and len(methods_val) else None)
    autocast_device = torch.device(device).type
    tokenizer_ids = (tokenizer.mask_token_id, list(tokenizer.all_special_ids), pad_id, start_id)

    stop = {"flag": False}

    def _stop(signum, frame):  # finish the step, then checkpoint and exit
        stop["flag"] = True

    old = {s: signal.signal(s, _stop) for s in (signal.SIGINT, signal.SIGTERM)}

    def checkpoint() -> None:
        tmp = last.with_suffix(".tmp")
        rng = {"torch_rng": torch.get_rng_state(),
               "cuda_rng": torch.cuda.get_rng_state_all() if torch.device(device).type == "cuda" else None}
        torch.save({"model": model.state_dict(), "optimizer": opt.state_dict(), "state": state, **rng}, tmp)
        tmp.replace(last)

    def evaluate() -> None:
        real = validation_loss(model, val_small, pad_id, start_id, bf16=cfg.bf16)
        shuf = validation_loss(model, val_small, pad_id, start_id, shuffled=True, bf16=cfg.bf16)
        row = {"phase": state["phase"], "step": state["step"], "tokens": state["tokens"],
               "phase_tokens": dict(state["phase_tokens"]), "pflops": state["flops"] / 1e15,
               "wall_s": round(state["wall_s"], 1), "train_loss": state.get("train_loss"),
               "val_loss": round(real, 4), "val_loss_shuffled": round(shuf, 4),
               "shuffle_gap": round(shuf - real, 4), "lr": state.get("lr")}
        if state["phase"] == "denoise" and methods_val_small is not None:
            row["val_loss_denoise"] = round(denoise_validation_loss(model, methods_val_small, tokenizer,
                                                                    bf16=cfg.bf16), 4)
        state["history"].append(row)
        with open(run_dir / "history.jsonl", "a") as fh:
            fh.write(json.dumps(row) + "\n")
        log(json.dumps(row))
        if state["phase"] == "pairs" and real < state["best_val"]:  # a denoiser is no test writer: never "best"
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

    def switch_to_pairs() -> None:
        """End of denoising: report it, then start the pairs phase with a fresh optimizer and schedule."""
        nonlocal opt
        evaluate()
        state.update(phase="pairs", phase_start_step=state["step"], epoch=0, batch_in_epoch=0, train_loss=None)
        opt = new_optimizer()
        checkpoint()
        log(f"phase switch at step {state['step']}: denoise -> pairs "
            f"({state['phase_tokens']['denoise'] / 1e6:.1f}M denoising tokens)")

    model.train()
    t_start = time.time()
    t_last_eval = t_last_ckpt = t_start
    wall0 = state["wall_s"]
    running, n_running, tok_window, t_window = 0.0, 0, 0, time.time()

    def out_of_budget() -> bool:
        return (stop["flag"] or (time.time() - t_start) / 60 > max_minutes
                or (max_steps is not None and state["step"] >= max_steps))

    try:
        while not out_of_budget():
            phase = state["phase"]
            if phase == "denoise" and state["phase_tokens"]["denoise"] >= cfg.denoise_tokens:
                switch_to_pairs()
                running, n_running, tok_window, t_window = 0.0, 0, 0, time.time()
                continue
            if phase == "denoise":
                rng = np.random.default_rng([cfg.seed, _DENOISE_EPOCH_STREAM, state["epoch"]])
                batches = denoise_batches(methods, cfg.batch_tokens, rng)
                steps_total = denoise_steps
            else:
                rng = np.random.default_rng(cfg.seed + state["epoch"])  # as before phases: old runs resume
                batches = length_bucketed_batches(train, cfg.batch_tokens, rng)
                steps_total = pair_steps
            on_gpu = autocast_device == "cuda"
            epoch_rest = _EpochBatches(phase, methods if phase == "denoise" else train, batches,
                                       state["batch_in_epoch"], state["step"], cfg.seed, tokenizer_ids)
            # workers collate ahead; pinned, non-blocking copies and no per-step .item() let a GPU run ahead
            # (its own generator: drawing worker seeds from the global one would shift dropout after a resume)
            loader = torch.utils.data.DataLoader(epoch_rest, batch_size=None, num_workers=cfg.loader_workers,
                                                 pin_memory=on_gpu, generator=torch.Generator().manual_seed(0))
            for cpu_batch in loader:
                batch = {k: v.to(device, non_blocking=on_gpu) for k, v in cpu_batch.items()}
                lr = _lr_at(cfg, state["step"] - state["phase_start_step"], steps_total)
                for g in opt.param_groups:
                    g["lr"] = lr
                with torch.autocast(autocast_device, dtype=torch.bfloat16, enabled=cfg.bf16):
                    loss = model(**batch).loss
                loss.backward()
                torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
                opt.step()
                opt.zero_grad(set_to_none=True)
                ntok = int(cpu_batch["attention_mask"].sum() + cpu_batch["decoder_attention_mask"].sum())
                state["step"] += 1
                state["batch_in_epoch"] += 1
                state["tokens"] += ntok
                state["phase_tokens"][phase] += ntok
                state["flops"] += 6.0 * n_params * ntok  # Kaplan: 2N forward + 4N backward per token
                state["wall_s"] = wall0 + time.time() - t_start
                state["lr"] = lr
                running = running + loss.detach().float()
                n_running += 1
                tok_window += ntok
                now = time.time()
                if now - t_window > 60:
                    state["train_loss"] = round(float(running) / n_running, 4)
                    log(f"[{phase}] step {state['step']} loss {state['train_loss']:.3f} lr {lr:.2e} "
                        f"{tok_window / (now - t_window):.0f} tok/s epoch {state['epoch']}")
                    running, n_running, tok_window, t_window = 0.0, 0, 0, now
                if out_of_budget():
                    raise _Stop
                if phase == "denoise" and state["phase_tokens"]["denoise"] >= cfg.denoise_tokens:
                    break  # the switch (with its evaluation and checkpoint) happens at the top of the loop
                if now - t_last_eval > cfg.eval_every_s:
                    evaluate()
                    t_last_eval = time.time()
                if now - t_last_ckpt > cfg.checkpoint_every_s:
                    checkpoint()
                    t_last_ckpt = time.time()
            else:
                state["epoch"] += 1
                state["batch_in_epoch"] = 0
    except _Stop:
        pass
    finally:
        for s, h in old.items():
            signal.signal(s, h)
    evaluate()
    checkpoint()
    return {"steps": state["step"], "tokens": state["tokens"], "pflops": state["flops"] / 1e15,
            "wall_s": state["wall_s"], "best_val": state["best_val"], "params": n_params, "phase": state["phase"],
            "phase_tokens": dict(state["phase_tokens"])}
