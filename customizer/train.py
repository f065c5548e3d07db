"""The training loop: personalize a base model with one strategy, to the best validation loss.

Readable top to bottom (after nanoGPT): copy the base model and apply the strategy; measure the base model's
validation loss; then AdamW steps over length-bucketed batches, a validation pass at intervals, early stopping
after ``patience`` passes without improvement, and the best trainable state kept in memory. Compute is counted
in PF-seconds as in the paper (``customizer.flops``); the progress message prints tokens/s and MFU.

When the strategy leaves the whole encoder frozen (L-LDB), its outputs do not change during training: they are
computed once per pair (the "encoder cache") and every step runs only the decoder. The same holds for the bottom
decoder blocks below the trained ones: their outputs are computed once too (:mod:`customizer.decoder_prefix`)
and a step runs only the trained blocks and the output layer. Frozen parts run in eval mode (no dropout), cached
or not, so both paths compute the same function.

SIGINT/SIGTERM (in the main thread) finish the current step and return the best state so far with
``stop_reason == "interrupted"``; a second signal aborts at once with ``KeyboardInterrupt``.
"""

from __future__ import annotations

import copy
import math
import signal
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from torch import nn

from customizer.batching import collate_sequences, length_bucketed_batches
from customizer.decoder_prefix import DecoderPrefix
from customizer.errors import DatasetTooSmallError
from customizer.flops import (
    ModelShape,
    decoder_blocks_forward_flops,
    encoder_forward_flops,
    peak_flops,
    pflop_seconds,
    training_step_flops,
)
from customizer.losses import summed_loss
from customizer.model import BaseModel
from customizer.strategies.base import Strategy, StrategyInit

Example = tuple[list[int], list[int]]  # (source ids, target ids)
Event = dict[str, Any]


@dataclass
class TrainConfig:
    """Knobs of one customization run; every field has a working default."""

    strategy_options: dict[str, Any] = field(default_factory=dict)  # passed to get_strategy by the caller
    lr: float | None = None  # None: the strategy's default_lr
    weight_decay: float = 0.01  # on matrices only (not biases, norms)
    warmup_steps: int = 20  # linear warm-up, then constant (early stopping decides the end)
    batch_tokens: int = 8192  # padded source + target tokens per batch
    max_epochs: int = 30
    eval_every: int | float = 0.5  # int: steps; float: fraction of an epoch
    patience: int = 4  # validation passes without improvement before stopping
    min_delta: float = 1e-3  # improvement smaller than this does not reset patience
    max_minutes: float | None = None  # training time; the setup before the first step does not count
    max_pflops: float | None = None
    seed: int = 0
    device: str | None = None  # None: where the base model is
    bf16: bool | None = None  # autocast to bfloat16; None: where the device supports it natively
    grad_clip: float | None = 1.0
    num_threads: int | None = None  # CPU threads for torch; None: leave as configured
    cache_encoder: bool | None = None  # None: when the encoder is frozen and the cache fits cache_max_mb
    cache_decoder: bool | None = None  # frozen bottom decoder blocks too (with the encoder cache; within the size)
    cache_max_mb: float = 2048
    log_every_s: float = 5.0  # progress message interval

    def __post_init__(self) -> None:
        for name in ("batch_tokens", "max_epochs", "patience"):
            if getattr(self, name) < 1:
                raise ValueError(f"TrainConfig.{name} must be at least 1")
        if self.eval_every <= 0 or (isinstance(self.eval_every, float) and self.eval_every > 1):
            raise ValueError("TrainConfig.eval_every is a step count (int >= 1) or an epoch fraction in (0, 1]")
        for name in ("max_minutes", "max_pflops", "lr"):
            value = getattr(self, name)
            if value is not None and value <= 0:
                raise ValueError(f"TrainConfig.{name} must be positive")


@dataclass
class TrainResult:
    best_val_loss: float
    base_val_loss: float  # the untouched base model's
    state: dict[str, torch.Tensor]  # the strategy's trainable tensors at the best validation loss (CPU)
    steps: int
    epochs: float
    tokens: int  # non-padding source + target tokens trained on
    pflops: float
    wall_s: float  # the whole call, setup included
    tokens_per_s: float  # over the training loop (validation passes included, setup not)
    history: list[dict[str, float]]  # one row per validation pass: step, epoch, pflops, wall_s, train_loss, val_loss
    best_step: int  # 0: nothing beat the strategy's starting point
    stop_reason: str  # early_stop | max_epochs | max_minutes | max_pflops | interrupted
    encoder_cached: bool
    bf16: bool
    device: str
    trainable_params: int
    total_params: int
    setup_s: float = 0.0  # before the first step: copy, strategy init, encoder cache, first validation passes
    step_s: float = 0.0  # inside optimizer steps (forward, backward, update), validation and logging excluded
    encoder_cache_s: float = 0.0  # computing the frozen encoder's (and decoder blocks') outputs once (in setup_s)
    decoder_blocks_cached: int = 0  # frozen bottom decoder blocks computed once instead of at every step
    lr: float = 0.0  # the learning rate it trained with (the strategy's default unless the config set one)

    @property
    def interrupted(self) -> bool:
        return self.stop_reason == "interrupted"

    @property
    def improved(self) -> bool:
        return self.best_step > 0


def train(base: BaseModel, strategy: Strategy, train_examples: Sequence[Example], val_examples: Sequence[Example],
          config: TrainConfig | None = None, on_event: Callable[[Event], None] | None = None,
          init_data: StrategyInit | None = None) -> TrainResult:
    """Train ``strategy`` on a private copy of ``base.model``; the base model itself is not changed."""
    config = config or TrainConfig()
    emit = on_event or (lambda event: None)
    if not train_examples or not val_examples:
        raise DatasetTooSmallError(f"training needs at least one training and one validation pair, got "
                                   f"{len(train_examples)} and {len(val_examples)}; add tests to the repository")
    started = time.perf_counter()
    if config.num_threads:
        torch.set_num_threads(config.num_threads)
    device = torch.device(config.device) if config.device else base.device
    bf16 = bf16_supported(device) if config.bf16 is None else config.bf16
    pad_id = base.tokenizer.pad_token_id
    torch.manual_seed(config.seed)
    rng = np.random.default_rng(config.seed)

    # the model: a private copy of the base with the strategy applied
    model = copy.deepcopy(base.model).to(device)
    module = strategy.apply(model, init_data)
    trainable = strategy.trainable_parameters(model)
    n_trainable, n_total = strategy.count(model)
    optimizer = torch.optim.AdamW(
        [{"params": [p for _, p in trainable if p.dim() >= 2], "weight_decay": config.weight_decay},
         {"params": [p for _, p in trainable if p.dim() < 2], "weight_decay": 0.0}],
        lr=config.lr or strategy.default_lr)
    shape = ModelShape.of(base.model)  # the untouched anatomy (LoRA wraps the projections it would look for)
    backward_fraction = strategy.backward_fraction(model)
    peak = peak_flops(device, bf16)

    # a frozen encoder computes the same outputs every epoch: compute them once; so do frozen bottom decoder blocks
    encoder_frozen = module is model and _encoder_is_frozen(model, device)
    prefix = DecoderPrefix.of(model, device) if encoder_frozen else None
    width = model.get_input_embeddings().embedding_dim
    examples = (*train_examples, *val_examples)
    cache_mb = 4 * width * sum(len(s) for s, _ in examples) / 2**20
    use_cache = encoder_frozen and (config.cache_encoder is not False) and (
        config.cache_encoder or cache_mb <= config.cache_max_mb)
    decoder_mb = 4 * width * sum(len(t) for _, t in examples) / 2**20
    use_prefix = prefix is not None and use_cache and config.cache_decoder is not False and (
        config.cache_decoder or cache_mb + decoder_mb <= config.cache_max_mb)
    encoder_cache: list[torch.Tensor] | None = None
    decoder_cache: list[torch.Tensor] | None = None
    flops = 0.0
    cache_started = time.perf_counter()
    if use_cache:
        encoder_cache = _encode_all(model, [s for s, _ in examples], config.batch_tokens, pad_id, device, bf16)
        flops += encoder_forward_flops(shape, [len(s) for s, _ in examples])
    if use_prefix:
        assert prefix is not None and encoder_cache is not None
        decoder_cache = _decode_prefix_all(prefix, examples, encoder_cache, config.batch_tokens, pad_id, device, bf16)
        flops += decoder_blocks_forward_flops(shape, [len(s) for s, _ in examples], [len(t) for _, t in examples],
                                              prefix.blocks)
    encoder_cache_s = time.perf_counter() - cache_started
    replay = prefix if use_prefix else None  # the frozen decoder blocks whose cached outputs each pass replays
    cached_blocks = replay.blocks if replay is not None else 0
    train_cache = encoder_cache[: len(train_examples)] if encoder_cache else None
    val_cache = encoder_cache[len(train_examples):] if encoder_cache else None
    train_prefix = decoder_cache[: len(train_examples)] if decoder_cache else None
    val_prefix = decoder_cache[len(train_examples):] if decoder_cache else None

    def validate(net: nn.Module, own: bool = True) -> float:
        """Validation loss of ``net``: the trained copy (its cached frozen blocks replayed) or the base model."""
        return _val_loss(net, val_examples, val_cache, config.batch_tokens, pad_id, device, bf16,
                         (replay, val_prefix) if own else None)

    base_val_loss = validate(base.model if base.device == device else copy.deepcopy(base.model).to(device),
                             own=False)
    best_val_loss, best_step = validate(module), 0
    best_state = strategy.state_dict(model)
    history = [{"step": 0, "epoch": 0.0, "pflops": pflop_seconds(flops),
                "wall_s": time.perf_counter() - started, "train_loss": math.nan, "val_loss": best_val_loss}]
    emit(_progress(0.0, 0, 0.0, best_val_loss, best_val_loss, flops, f"base model val loss {base_val_loss:.4f}, "
                   f"{strategy.name} start {best_val_loss:.4f}"
                   + (f", encoder cached ({cache_mb:.0f} MB)" if use_cache else "")
                   + (f", {cached_blocks} frozen decoder blocks cached ({decoder_mb:.0f} MB)" if use_prefix else "")))

    steps_per_epoch = len(_batches(train_examples, config.batch_tokens, np.random.default_rng(0)))
    eval_interval = (config.eval_every if isinstance(config.eval_every, int)
                     else max(1, round(config.eval_every * steps_per_epoch)))
    lr = config.lr or strategy.default_lr
    step, tokens, bad_evals, stop_reason = 0, 0, 0, ""
    loss_sum, loss_tokens = 0.0, 0  # training loss since the last validation pass
    log_tokens, log_flops = 0, 0.0
    step_s = 0.0  # inside optimizer steps only (no validation, no logging): what throughput benchmarks compare

    def evaluate() -> None:
        """A validation pass: history row, best state, patience."""
        nonlocal loss_sum, loss_tokens, best_val_loss, best_step, best_state, bad_evals
        val_loss = validate(module)
        _set_train_mode(model, encoder_frozen, prefix)
        epochs = _epochs(step, steps_per_epoch)
        history.append({"step": step, "epoch": epochs, "pflops": pflop_seconds(flops),
                        "wall_s": time.perf_counter() - started, "train_loss": loss_sum / max(1, loss_tokens),
                        "val_loss": val_loss})
        loss_sum, loss_tokens = 0.0, 0
        if val_loss < best_val_loss:
            bad_evals = 0 if val_loss < best_val_loss - config.min_delta else bad_evals + 1
            best_val_loss, best_step, best_state = val_loss, step, strategy.state_dict(model)
        else:
            bad_evals += 1
        emit(_progress(_percent(config, epochs, time.perf_counter() - train_started, flops), step, epochs, val_loss,
                       best_val_loss, flops,
                       f"step {step} | val loss {val_loss:.4f} | best {best_val_loss:.4f} (step {best_step})"))

    _set_train_mode(model, encoder_frozen, prefix)
    # the minutes budget and the progress percentage count training only: loading, the strategy's
    # initialisation, the encoder cache and the base model's validation pass came before (issue #4)
    train_started = log_time = time.perf_counter()
    setup_s = train_started - started
    with _StopSignals() as signals:
        for _epoch in range(config.max_epochs):
            for batch in _batches(train_examples, config.batch_tokens, rng):
                # one optimizer step
                step_started = time.perf_counter()
                for group in optimizer.param_groups:
                    group["lr"] = lr * min(1.0, (step + 1) / max(1, config.warmup_steps))
                cached = [train_cache[i] for i in batch] if train_cache else None
                inputs, n_target = _collate([train_examples[i] for i in batch], cached, pad_id, device,
                                            [train_prefix[i] for i in batch] if train_prefix else None)
                loss_total = _loss_sum(module, inputs, bf16, replay)
                (loss_total / n_target).backward()
                if config.grad_clip:
                    torch.nn.utils.clip_grad_norm_([p for _, p in trainable], config.grad_clip)
                optimizer.step()
                optimizer.zero_grad(set_to_none=True)
                step += 1
                loss_value = loss_total.item()  # waits for the step to finish (GPU), so step_s is its real time
                step_s += time.perf_counter() - step_started

                # bookkeeping: tokens, compute, throughput
                src_lens = [len(train_examples[i][0]) for i in batch]
                tgt_lens = [len(train_examples[i][1]) for i in batch]
                step_flops = training_step_flops(shape, src_lens, tgt_lens, backward_fraction, use_cache,
                                                 cached_blocks)
                flops += step_flops
                tokens += sum(src_lens) + sum(tgt_lens)
                log_tokens += sum(src_lens) + sum(tgt_lens)
                log_flops += step_flops
                loss_sum += loss_value
                loss_tokens += n_target
                now = time.perf_counter()
                if now - log_time >= config.log_every_s:
                    rate = log_tokens / (now - log_time)
                    mfu = log_flops / (now - log_time) / peak if peak else None
                    epochs = _epochs(step, steps_per_epoch)
                    emit(_progress(_percent(config, epochs, now - train_started, flops), step, epochs,
                                   history[-1]["val_loss"], best_val_loss, flops,
                                   f"step {step} | loss {loss_sum / max(1, loss_tokens):.4f} | {rate:,.0f} tok/s"
                                   + (f" | MFU {100 * mfu:.1f}%" if mfu is not None else ""),
                                   train_loss=loss_sum / max(1, loss_tokens), tokens_per_s=rate, mfu=mfu))
                    log_time, log_tokens, log_flops = now, 0, 0.0

                # stop requests and budgets, validation and early stopping
                if signals.received:
                    stop_reason = "interrupted"
                    break
                if config.max_minutes is not None and now - train_started >= 60 * config.max_minutes:
                    stop_reason = "max_minutes"
                elif config.max_pflops is not None and pflop_seconds(flops) >= config.max_pflops:
                    stop_reason = "max_pflops"
                if step % eval_interval == 0 or stop_reason:
                    evaluate()
                    if bad_evals >= config.patience and not stop_reason:
                        stop_reason = "early_stop"
                if stop_reason:
                    break
            if stop_reason:
                break
        else:
            stop_reason = "max_epochs"
            if history[-1]["step"] != step:
                evaluate()

    ended = time.perf_counter()
    return TrainResult(best_val_loss=best_val_loss, base_val_loss=base_val_loss, state=best_state, steps=step,
                       epochs=_epochs(step, steps_per_epoch), tokens=tokens, pflops=pflop_seconds(flops),
                       wall_s=ended - started, tokens_per_s=tokens / max(1e-9, ended - train_started),
                       history=history, best_step=best_step, stop_reason=stop_reason, encoder_cached=use_cache,
                       bf16=bf16, device=str(device), trainable_params=n_trainable, total_params=n_total,
                       setup_s=setup_s, step_s=step_s, encoder_cache_s=encoder_cache_s,
                       decoder_blocks_cached=cached_blocks, lr=lr)


# --- batches -------------------------------------------------------------------------------------------------


def _collate(examples: Sequence[Example], encoder_states: Sequence[torch.Tensor] | None, pad_id: int,
             device: torch.device, decoder_states: Sequence[torch.Tensor] | None = None
             ) -> tuple[dict[str, torch.Tensor], int]:
    """Model inputs for a batch (padded; cached encoder states instead of ids when given; cached frozen decoder
    blocks' outputs under ``decoder_hidden`` when given), and the number of target tokens."""
    batch = collate_sequences([s for s, _ in examples], [t for _, t in examples], pad_id)
    inputs = {"attention_mask": batch["attention_mask"].to(device), "labels": batch["labels"].to(device)}
    if encoder_states is None:
        inputs["input_ids"] = batch["input_ids"].to(device)
    else:
        inputs["encoder_hidden"] = _padded(encoder_states, batch["input_ids"].shape[1]).to(device)
    if decoder_states is not None:
        inputs["decoder_hidden"] = _padded(decoder_states, batch["labels"].shape[1]).to(device)
    return inputs, sum(len(t) for _, t in examples)


def _padded(states: Sequence[torch.Tensor], width: int) -> torch.Tensor:
    """Per-example hidden states (length × d) as one zero-padded batch (rows × ``width`` × d)."""
    hidden = torch.zeros(len(states), width, states[0].shape[-1], dtype=states[0].dtype)
    for row, state in enumerate(states):
        hidden[row, : state.shape[0]] = state
    return hidden


def _batches(examples: Sequence[Example], batch_tokens: int, rng: np.random.Generator) -> list[list[int]]:
    """Length-bucketed index batches (:func:`customizer.batching.length_bucketed_batches`), in random order."""
    return [b.tolist() for b in length_bucketed_batches([len(s) for s, _ in examples], [len(t) for _, t in examples],
                                                        batch_tokens, rng)]


# --- forward passes ------------------------------------------------------------------------------------------


def _loss_sum(module: nn.Module, inputs: dict[str, torch.Tensor], bf16: bool = False,
              prefix: DecoderPrefix | None = None) -> torch.Tensor:
    """Summed token cross-entropy of a batch (teacher forcing; :func:`customizer.losses.summed_loss`); with
    ``inputs["decoder_hidden"]`` the frozen decoder blocks of ``prefix`` replay it instead of computing."""
    if "decoder_hidden" not in inputs:
        return summed_loss(module, inputs, bf16)[0]
    assert prefix is not None
    rest = {k: v for k, v in inputs.items() if k != "decoder_hidden"}
    with prefix.replaying(inputs["decoder_hidden"]):
        return summed_loss(module, rest, bf16)[0]


@torch.no_grad()
def _val_loss(module: nn.Module, examples: Sequence[Example], encoder_states: Sequence[torch.Tensor] | None,
              batch_tokens: int, pad_id: int, device: torch.device, bf16: bool,
              replay: tuple[DecoderPrefix | None, Sequence[torch.Tensor] | None] | None = None) -> float:
    """Mean token cross-entropy over the validation examples (eval mode); ``replay``: the frozen decoder blocks
    and their cached outputs per example."""
    module.eval()
    prefix, prefix_states = replay if replay is not None else (None, None)
    total, count = 0.0, 0
    for batch in _in_length_order(examples, batch_tokens):
        states = [encoder_states[i] for i in batch] if encoder_states is not None else None
        inputs, n_target = _collate([examples[i] for i in batch], states, pad_id, device,
                                    [prefix_states[i] for i in batch] if prefix_states is not None else None)
        total += _loss_sum(module, inputs, bf16, prefix).item()
        count += n_target
    return total / count


def _decode_prefix_all(prefix: DecoderPrefix, examples: Sequence[Example], encoder_states: Sequence[torch.Tensor],
                       batch_tokens: int, pad_id: int, device: torch.device, bf16: bool) -> list[torch.Tensor]:
    """The frozen decoder blocks' output for every example (eval mode), unpadded, float32, on ``device``."""
    out: list[torch.Tensor | None] = [None] * len(examples)
    for batch in _in_length_order(examples, batch_tokens):
        inputs, _ = _collate([examples[i] for i in batch], [encoder_states[i] for i in batch], pad_id, device)
        hidden = prefix.compute(lambda inputs=inputs: _loss_sum(prefix.model, inputs, bf16))
        for row, i in enumerate(batch):
            out[i] = hidden[row, : len(examples[i][1])].float().clone()
    return [h for h in out if h is not None]


def _in_length_order(examples: Sequence[Example], batch_tokens: int) -> list[list[int]]:
    return _batches(examples, batch_tokens, np.random.default_rng(0))


@torch.no_grad()
def _encode_all(model: nn.Module, sources: Sequence[list[int]], batch_tokens: int, pad_id: int,
                device: torch.device, bf16: bool) -> list[torch.Tensor]:
    """The frozen encoder's output for every source (eval mode), unpadded, float32, on ``device``."""
    encoder = model.get_encoder()
    encoder.eval()
    states: list[torch.Tensor | None] = [None] * len(sources)
    examples = [(s, []) for s in sources]
    for batch in _in_length_order(examples, batch_tokens):
        width = max(len(sources[i]) for i in batch)
        ids = torch.full((len(batch), width), pad_id, dtype=torch.long)
        mask = torch.zeros(len(batch), width, dtype=torch.long)
        for row, i in enumerate(batch):
            ids[row, : len(sources[i])] = torch.tensor(sources[i])
            mask[row, : len(sources[i])] = 1
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=bf16):
            hidden = encoder(input_ids=ids.to(device), attention_mask=mask.to(device)).last_hidden_state
        for row, i in enumerate(batch):
            states[i] = hidden[row, : len(sources[i])].float().clone()
    return [s for s in states if s is not None]


def _encoder_is_frozen(model: nn.Module, device: torch.device) -> bool:
    """True when no trainable parameter influences the encoder's output (checked by running it once)."""
    probe = torch.tensor([[model.config.eos_token_id or 0]], device=device)
    with torch.enable_grad():
        hidden = model.get_encoder()(input_ids=probe, attention_mask=torch.ones_like(probe)).last_hidden_state
    return not hidden.requires_grad


def _set_train_mode(model: nn.Module, encoder_frozen: bool, prefix: DecoderPrefix | None = None) -> None:
    model.train()
    if encoder_frozen:
        model.get_encoder().eval()
    if prefix is not None:
        prefix.set_modes()


# --- small helpers -------------------------------------------------------------------------------------------


def bf16_supported(device: torch.device) -> bool:
    """Does bfloat16 autocast make training faster here? Recent NVIDIA GPUs, and CPUs with AMX (Sapphire Rapids
    and later). Not AVX512-BF16 alone: measured slower there than float32 (``bench/bench_bf16.py``, the casts
    around every matmul cost more than the bf16 dot products save)."""
    if device.type == "cuda":
        return torch.cuda.is_bf16_supported()
    if device.type == "cpu":
        capabilities = getattr(torch.cpu, "get_capabilities", None)  # torch >= 2.6
        if capabilities is not None:
            return bool(capabilities().get("amx_bf16"))
        amx = getattr(torch.cpu, "_is_amx_tile_supported", None)
        return bool(amx()) if amx is not None else False
    return False


def _epochs(step: int, steps_per_epoch: int) -> float:
    return round(step / max(1, steps_per_epoch), 3)


def _percent(config: TrainConfig, epoch: int, elapsed_s: float, flops: float) -> float:
    """How far along the nearest budget is (epochs, minutes, PF-s); early stopping may end the run sooner."""
    shares = [epoch / config.max_epochs]
    if config.max_minutes:
        shares.append(elapsed_s / (60 * config.max_minutes))
    if config.max_pflops:
        shares.append(pflop_seconds(flops) / config.max_pflops)
    return round(min(99.0, 100 * max(shares)), 1)


def _progress(percent: float, step: int, epoch: float, val_loss: float, best_val_loss: float, flops: float,
              message: str, **extra: Any) -> Event:
    return {"event": "progress", "percent": percent, "step": step, "epoch": epoch, "val_loss": val_loss,
            "best_val_loss": best_val_loss, "pflops": pflop_seconds(flops), "message": message, **extra}


class _StopSignals:
    """Within ``with``: the first SIGINT/SIGTERM sets ``received``; a second one raises KeyboardInterrupt.

    Outside the main thread (signals cannot be caught there) it does nothing.
    """

    def __init__(self) -> None:
        self.received: str | None = None
        self._previous: dict[int, Any] = {}

    def _handle(self, signum: int, _frame: object) -> None:
        if self.received:
            raise KeyboardInterrupt
        self.received = signal.Signals(signum).name

    def __enter__(self) -> _StopSignals:
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGINT, signal.SIGTERM):
                self._previous[sig] = signal.signal(sig, self._handle)
        return self

    def __exit__(self, *_exc: object) -> None:
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)
