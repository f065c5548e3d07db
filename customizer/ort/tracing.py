"""Tracing a seq2seq model into the two ONNX graphs of an export (see :mod:`customizer.ort.export`, which caches them).

:class:`PrefillGraph` (the encoder and the first decoder step) and :class:`StepGraph` (one decoder token with the
key/value cache) wrap the model's own ``forward``; :func:`trace_graphs` traces both with ``torch.onnx.export(dynamo=
True)``, in a child process where the model can be handed over (:func:`trace_in_child`,
:mod:`customizer.ort.trace_worker`). Parameters named as graph inputs (a prefix adapter's prefixes, an L-LDB block
fed as inputs) are not baked in as constants.
"""

from __future__ import annotations

import contextlib
import copy
import inspect
import io
import json
import logging
import shutil
import warnings
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import torch
from torch import nn

from customizer.errors import OnnxExportError

PREFILL_FILE = "prefill.onnx"
STEP_FILE = "step.onnx"
OPSET = 18

logger = logging.getLogger(__name__)

# Generation settings the ONNX beam search reproduces; any other non-default one makes the export unsupported.
_SUPPORTED_GENERATION = ("decoder_start_token_id", "eos_token_id", "pad_token_id", "forced_bos_token_id",
                         "forced_eos_token_id", "min_length", "min_new_tokens", "no_repeat_ngram_size",
                         "length_penalty")
_NEUTRAL = {"repetition_penalty": (None, 1.0), "encoder_repetition_penalty": (None, 1.0),
            "encoder_no_repeat_ngram_size": (None, 0), "bad_words_ids": (None,), "sequence_bias": (None,),
            "suppress_tokens": (None,), "begin_suppress_tokens": (None,), "guidance_scale": (None, 1.0),
            "exponential_decay_length_penalty": (None,), "remove_invalid_values": (None, False)}


def prefix_names(module: nn.Module) -> list[str]:
    """The prefix-tuning parameters of ``module`` (:mod:`customizer.strategies.prefix`), in parameter order: what
    its export takes as the inputs ``prefix.0``, ``prefix.1``, …; empty for a model without prefixes. A disabled
    prefix (a serving slot with no adapter in it) changes nothing and is not an input."""
    from customizer.strategies.prefix import AttentionPrefix

    enabled = {id(p) for m in module.modules() if isinstance(m, AttentionPrefix) and m.enabled for p in m.parameters()}
    return [name for name, param in module.named_parameters() if id(param) in enabled]


def step_input_names(module: nn.Module, names: Sequence[str]) -> list[str]:
    """Those of the parameters ``names`` that the step graph reads: all but the encoder's own (the step graph takes
    the cross-attention keys/values from the prefill, so the encoder never runs in it; shared embeddings stay)."""
    if not names:
        return []
    encoder = getattr(module, "get_encoder", None)
    if encoder is None:
        return list(names)
    enc = encoder()
    where = next((f"{name}." for name, m in module.named_modules() if m is enc), None)
    if where is None:
        return list(names)
    outside = {id(p) for n, p in module.named_parameters(remove_duplicate=False) if not n.startswith(where)}
    encoder_only = {id(p) for p in enc.parameters()} - outside
    params = dict(module.named_parameters())
    return [name for name in names if id(params[name]) not in encoder_only]


def generation_settings(model: nn.Module) -> dict[str, Any]:
    """The generation settings the ONNX beam search needs, or :class:`OnnxExportError` for unsupported ones."""
    config = getattr(model, "generation_config", None)
    if config is None or not getattr(model.config, "is_encoder_decoder", False):
        raise OnnxExportError("ONNX export needs an encoder-decoder model with a generation config")
    for key, neutral in _NEUTRAL.items():
        if getattr(config, key, None) not in neutral:
            raise OnnxExportError(f"the model's generation setting {key}={getattr(config, key)!r} is not "
                                  "supported by the ONNX beam search")
    settings = {key: getattr(config, key, None) for key in _SUPPORTED_GENERATION}
    if settings["decoder_start_token_id"] is None:
        settings["decoder_start_token_id"] = model.config.decoder_start_token_id
    eos = settings["eos_token_id"]
    settings["eos_token_id"] = [] if eos is None else [eos] if isinstance(eos, int) else list(eos)
    if settings["length_penalty"] is None:
        settings["length_penalty"] = 1.0
    if settings["decoder_start_token_id"] is None:
        raise OnnxExportError("the model has no decoder_start_token_id; it cannot be exported to ONNX")
    return settings


def merged_for_export(module: nn.Module) -> nn.Module:
    """A float32 CPU copy of ``module`` in eval mode, LoRA updates merged into their base weights, with eager
    attention.

    Eager, not sdpa: the exporter decomposes sdpa into a transpose of the cached keys plus a scaled matmul at
    every step, which ONNX Runtime does not fuse; eager's ``q @ k.T * scale`` becomes one fused MatMul. Measured
    on the shipped base model, one decoder step: 19 ms vs 85 ms (5 rows), 108 vs 514 ms (40 rows).
    """
    model = copy.deepcopy(module).to(device="cpu", dtype=torch.float32).eval()
    if getattr(model.config, "_attn_implementation", None) == "sdpa":
        with contextlib.suppress(ValueError, ImportError, AttributeError):  # keep sdpa where eager is refused
            model.set_attn_implementation("eager")
    try:
        from peft.tuners.lora import LoraLayer
    except ImportError:  # peft is a dependency; without it there is nothing to merge
        return model
    for layer in model.modules():
        if isinstance(layer, LoraLayer) and not layer.merged:
            layer.merge()
    return model


def _cache_argument(model: nn.Module) -> str:
    """``transformers`` renamed ``past_key_values`` to ``cache`` in 5.x; use whichever ``forward`` takes."""
    parameters = inspect.signature(model.forward).parameters
    return "cache" if "cache" in parameters else "past_key_values"


def _output_cache(output: Any) -> Any:
    cache = getattr(output, "cache", None)
    return cache if cache is not None else output.past_key_values


def _layers(cache: Any) -> list[Any]:
    return list(cache.layers)


def _call(model: nn.Module, names: Sequence[str], prefixes: Sequence[torch.Tensor] | None, **kwargs: Any) -> Any:
    """``model(**kwargs)``, with the parameters ``names`` replaced by ``prefixes`` when given (graph inputs)."""
    if not prefixes:
        return model(**kwargs)
    return torch.func.functional_call(model, dict(zip(names, prefixes, strict=True)), (), kwargs)


class PrefillGraph(nn.Module):
    """Encoder + first decoder step; returns logits, self-attention and cross-attention keys/values.
    ``prefix_names``: parameters taken from the ``prefixes`` argument instead (see :func:`prefix_names`)."""

    def __init__(self, model: nn.Module, prefix_names: Sequence[str] = ()) -> None:
        super().__init__()
        self.model = model
        self.cache_arg = _cache_argument(model)
        self.prefix_names = list(prefix_names)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor, decoder_input_ids: torch.Tensor,
                prefixes: list[torch.Tensor] | None = None) -> tuple[torch.Tensor, ...]:
        from transformers.cache_utils import DynamicCache, EncoderDecoderCache

        cache = EncoderDecoderCache(DynamicCache(), DynamicCache())
        out = _call(self.model, self.prefix_names, prefixes, input_ids=input_ids, attention_mask=attention_mask,
                    decoder_input_ids=decoder_input_ids, use_cache=True, **{self.cache_arg: cache})
        cache = _output_cache(out)
        own = [t for layer in _layers(cache.self_attention_cache) for t in (layer.keys, layer.values)]
        cross = [t for layer in _layers(cache.cross_attention_cache) for t in (layer.keys, layer.values)]
        return (out.logits[:, -1, :], *own, *cross)


class StepGraph(nn.Module):
    """One decoder token with the self-attention cache and the precomputed cross-attention keys/values."""

    def __init__(self, model: nn.Module, layers: int, prefix_names: Sequence[str] = ()) -> None:
        super().__init__()
        self.model = model
        self.layers = layers
        self.cache_arg = _cache_argument(model)
        self.prefix_names = list(prefix_names)

    def forward(self, decoder_input_ids: torch.Tensor, encoder_attention_mask: torch.Tensor,
                past: tuple[torch.Tensor, ...], prefixes: list[torch.Tensor] | None = None) -> tuple[torch.Tensor, ...]:
        from transformers.cache_utils import EncoderDecoderCache

        n = self.layers
        cache = EncoderDecoderCache([(past[2 * i], past[2 * i + 1], past[2 * n + 2 * i], past[2 * n + 2 * i + 1])
                                     for i in range(n)])
        # The encoder output is not read (cross-attention keys/values come from the cache); a placeholder of the
        # right batch and source length lets the model build the cross-attention mask.
        placeholder = torch.zeros(decoder_input_ids.shape[0], encoder_attention_mask.shape[1], 1)
        out = _call(self.model, self.prefix_names, prefixes, encoder_outputs=(placeholder,),
                    attention_mask=encoder_attention_mask, decoder_input_ids=decoder_input_ids, use_cache=True,
                    **{self.cache_arg: cache})
        cache = _output_cache(out)
        own = [t for layer in _layers(cache.self_attention_cache) for t in (layer.keys, layer.values)]
        return (out.logits[:, -1, :], *own)


def cache_names(layers: int) -> tuple[list[str], list[str], list[str]]:
    """The graphs' key/value input and output names for ``layers`` decoder layers: (past, present, cross)."""
    past = [f"past.{i}.{kv}" for i in range(layers) for kv in ("key", "value")]
    present = [f"present.{i}.{kv}" for i in range(layers) for kv in ("key", "value")]
    cross = [f"cross.{i}.{kv}" for i in range(layers) for kv in ("key", "value")]
    return past, present, cross


def probe_inputs(vocab: int, start: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Two fixed sources of 11 tokens (the second padded after 8) and their decoder start tokens: what an export
    traces and what :mod:`customizer.ort.reweight` checks an overlay export on."""
    ids = torch.randint(4, max(5, vocab - 1), (2, 11), generator=torch.Generator().manual_seed(0))
    mask = torch.ones_like(ids)
    mask[1, 8:] = 0
    return ids, mask, torch.full((2, 1), start, dtype=torch.long)


class TraceFailed(OnnxExportError):
    """``torch.onnx`` could not trace the model (tried again once before it is remembered, see below)."""


def trace_in_child(model: nn.Module, out_dir: Path, settings: dict[str, Any]) -> tuple[int, bool] | None:
    """:func:`trace_graphs` in a child process; None when ``model`` cannot be pickled for it."""
    import pickle
    import subprocess
    import sys

    work = out_dir / ".trace"
    work.mkdir()
    try:
        try:
            torch.save(model, work / "model.pt")
        except (pickle.PicklingError, AttributeError, TypeError, RuntimeError) as exc:
            logger.info("tracing in this process: the model cannot be handed to a child (%s)", exc)
            return None
        (work / "settings.json").write_text(json.dumps(settings), encoding="utf-8")
        done = subprocess.run([sys.executable, "-m", "customizer.ort.trace_worker", str(work), str(out_dir),
                               str(torch.get_num_threads())], capture_output=True, text=True, check=False)
        try:
            result = json.loads((work / "result.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            result = {}
        if done.returncode == 0 and "layers" in result:
            return int(result["layers"]), bool(result["external"])
        reason = result.get("error") or (done.stderr.strip().splitlines() or [f"exit code {done.returncode}"])[-1]
        if done.returncode < 0:  # killed (out of memory, a signal): the machine's failure, not the model's
            raise TraceFailed(f"tracing the model was stopped ({reason[:200]})") from MemoryError()
        raise TraceFailed(str(reason)[:300])
    finally:
        shutil.rmtree(work, ignore_errors=True)


@torch.no_grad()
def trace_graphs(model: nn.Module, out_dir: Path, settings: dict[str, Any],
                 inputs: Sequence[str] | None = None) -> tuple[int, bool]:
    """Trace ``model`` (from :func:`merged_for_export`) into ``prefill.onnx`` and ``step.onnx`` in ``out_dir``;
    returns (decoder layers, whether the weights are in external files).

    ``inputs``: parameters that become graph inputs (``prefix.{i}``, in this order; the step graph takes those it
    reads, :func:`step_input_names`) instead of constants; default :func:`prefix_names` (the prefix-tuning
    parameters, empty for other models)."""
    vocab = int(model.config.vocab_size)
    start = int(settings["decoder_start_token_id"])
    ids, mask, decoder_ids = probe_inputs(vocab, start)
    batch, source, length = torch.export.Dim("batch"), torch.export.Dim("source"), torch.export.Dim("past")
    names = list(prefix_names(model) if inputs is None else inputs)  # e.g. prefixes: inputs, not constants
    step_names = step_input_names(model, names)
    params = dict(model.named_parameters())
    prefill = PrefillGraph(model, names)
    first = prefill(ids, mask, decoder_ids)
    layers = (len(first) - 1) // 4
    if layers < 1 or len(first) != 1 + 4 * layers:
        raise OnnxExportError(f"unexpected decoder cache layout from {type(model).__name__}")
    past_names, present_names, cross_names = cache_names(layers)
    own, cross = list(first[1:1 + 2 * layers]), list(first[1 + 2 * layers:])
    # A past of 3 positions so that the exporter keeps its length symbolic (lengths 0 and 1 get specialized).
    past = tuple([torch.cat([t, t, t], dim=2) for t in own] + cross)
    step = StepGraph(model, layers, step_names)
    step(torch.full((2, 1), start), mask, past)
    prefill_args: tuple[Any, ...] = (ids, mask, decoder_ids)
    step_args: tuple[Any, ...] = (torch.full((2, 1), start), mask, past)
    prefill_inputs = ["input_ids", "attention_mask", "decoder_input_ids"]
    step_inputs = ["decoder_input_ids", "encoder_attention_mask", *past_names, *cross_names]
    prefill_shapes: tuple[Any, ...] = ({0: batch, 1: source}, {0: batch, 1: source}, {0: batch})
    caches = tuple([{0: batch, 2: length}] * (2 * layers) + [{0: batch, 2: source}] * (2 * layers))
    step_shapes: tuple[Any, ...] = ({0: batch}, {0: batch, 1: source}, caches)
    if names:  # lists, not tuples: the exporter turns the dynamic shapes' tuples into lists and compares
        prefill_args += ([params[name].detach() for name in names],)
        step_args += ([params[name].detach() for name in step_names],)
        prefill_inputs += [f"prefix.{i}" for i in range(len(names))]
        step_inputs += [f"prefix.{names.index(name)}" for name in step_names]
        prefill_shapes += ([None] * len(names),)
        step_shapes += ([None] * len(step_names),)
    external = sum(p.numel() for p in model.parameters()) * 4 > 1_500_000_000
    common: dict[str, Any] = {"dynamo": True, "opset_version": OPSET, "external_data": external, "verbose": False}
    sink = io.StringIO()
    try:
        # the exporter's own loggers write past redirect_stderr (e.g. "torchvision is not installed. Skipping
        # torchvision::nms" once per operator): notes for torch developers, not for users
        with warnings.catch_warnings(), contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink), \
                quiet_logs("torch.onnx", "torch.export", "torch._export"):
            warnings.simplefilter("ignore")
            torch.onnx.export(prefill, prefill_args, str(out_dir / PREFILL_FILE), input_names=prefill_inputs,
                              output_names=["logits", *present_names, *cross_names], dynamic_shapes=prefill_shapes,
                              **common)
            torch.onnx.export(step, step_args, str(out_dir / STEP_FILE), input_names=step_inputs,
                              output_names=["logits", *present_names], dynamic_shapes=step_shapes, **common)
    except Exception as exc:  # torch.export raises many types; any failure means "not exportable"
        first_line = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]
        raise TraceFailed(f"torch.onnx could not export {type(model).__name__}: {first_line}") from exc
    return layers, external


@contextlib.contextmanager
def quiet_logs(*names: str) -> Iterator[None]:
    """Only errors from the loggers ``names`` ("" = the root logger) while the block runs."""
    loggers = [logging.getLogger(name or None) for name in names]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)
