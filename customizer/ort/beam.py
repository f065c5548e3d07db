"""Beam search (and greedy search) over a key/value-cached decoder, step for step as ``transformers`` does it.

Why a copy: the candidates of the ONNX path must be the candidates of the PyTorch path. This is the vectorized
beam search of ``transformers`` 5 (``GenerationMixin._beam_search``): top ``2 * beams`` continuations per
step, finished hypotheses kept in a second beam array, length-normalized scores, ``early_stopping`` and the
"can a running beam still win" heuristic, the same logits processors applied to the log-probabilities, and the
same default processors built from the model's generation settings (forced BOS/EOS, minimum length, no-repeat
n-grams). The tensors are torch tensors on the CPU (zero-copy views of ONNX Runtime's numpy outputs), so ties
break the same way as in ``torch.topk``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import torch
from torch.nn import functional
from transformers import LogitsProcessorList
from transformers.generation.logits_process import (
    ForcedBOSTokenLogitsProcessor,
    ForcedEOSTokenLogitsProcessor,
    MinLengthLogitsProcessor,
    MinNewTokensLengthLogitsProcessor,
    NoRepeatNGramLogitsProcessor,
)


class CachedDecoder(Protocol):
    """What the search needs from a runtime: a prefill call and a one-token step call."""

    def prefill(self, input_ids: np.ndarray, attention_mask: np.ndarray, start: int,
                ) -> tuple[np.ndarray, list[np.ndarray], list[np.ndarray]]:
        """(logits [N, V], self-attention keys/values, cross-attention keys/values)."""
        ...

    def step(self, tokens: np.ndarray, attention_mask: np.ndarray, own: list[np.ndarray],
             cross: list[np.ndarray]) -> tuple[np.ndarray, list[np.ndarray]]:
        """(logits [N, V], self-attention keys/values one position longer)."""
        ...


@dataclass
class SearchOutput:
    """The part of ``transformers``' ``GenerateBeamEncoderDecoderOutput`` that TestTailor reads."""

    sequences: torch.Tensor  # [batch * num_return_sequences, length], decoder start token first
    sequences_scores: torch.Tensor | None  # length-normalized log-probabilities (beam search only)


def default_processors(settings: dict[str, Any], max_length: int) -> LogitsProcessorList:
    """The processors ``transformers`` adds from the generation settings, in its order (before custom ones)."""
    eos = settings.get("eos_token_id") or []
    eos_tensor = torch.tensor(eos, dtype=torch.long) if eos else None
    processors = LogitsProcessorList()
    if (settings.get("no_repeat_ngram_size") or 0) > 0:
        processors.append(NoRepeatNGramLogitsProcessor(settings["no_repeat_ngram_size"]))
    if eos_tensor is not None and (settings.get("min_length") or 0) > 0:
        processors.append(MinLengthLogitsProcessor(settings["min_length"], eos_tensor))
    if eos_tensor is not None and (settings.get("min_new_tokens") or 0) > 0:
        processors.append(MinNewTokensLengthLogitsProcessor(1, settings["min_new_tokens"], eos_tensor))
    if settings.get("forced_bos_token_id") is not None:
        processors.append(ForcedBOSTokenLogitsProcessor(settings["forced_bos_token_id"]))
    if settings.get("forced_eos_token_id") is not None:
        processors.append(ForcedEOSTokenLogitsProcessor(max_length, settings["forced_eos_token_id"]))
    return processors


def _gather(tensor: torch.Tensor, indices: torch.Tensor) -> torch.Tensor:
    while indices.dim() < tensor.dim():
        indices = indices.unsqueeze(-1)
    return torch.take_along_dim(tensor, indices, dim=1)


def _flat(tensor: torch.Tensor) -> torch.Tensor:
    return tensor.reshape(tensor.shape[0] * tensor.shape[1], *tensor.shape[2:])


def _hits_stop(sequences: torch.Tensor, length: int, max_length: int, eos: torch.Tensor) -> torch.Tensor:
    """MaxLengthCriteria | EosTokenCriteria on [batch, k, >= length] sequences of which ``length`` are filled."""
    if length >= max_length:
        return torch.ones(sequences.shape[:2], dtype=torch.bool)
    if eos.numel() == 0:
        return torch.zeros(sequences.shape[:2], dtype=torch.bool)
    return torch.isin(sequences[:, :, length - 1], eos)


def beam_search(decoder: CachedDecoder, input_ids: np.ndarray, attention_mask: np.ndarray, *, num_beams: int,
                num_return_sequences: int, max_new_tokens: int, settings: dict[str, Any],
                logits_processor: LogitsProcessorList | None = None, early_stopping: bool | str = True,
                length_penalty: float | None = None) -> SearchOutput:
    """``transformers``' beam search from the encoder inputs ([batch, source] int64 arrays)."""
    batch = input_ids.shape[0]
    start = int(settings["decoder_start_token_id"])
    eos_ids: list[int] = list(settings.get("eos_token_id") or [])
    eos = torch.tensor(eos_ids, dtype=torch.long)
    pad = settings.get("pad_token_id")
    fill = (pad or eos_ids[0]) if eos_ids else -1
    penalty = float(settings.get("length_penalty", 1.0) if length_penalty is None else length_penalty)
    max_length = 1 + max_new_tokens
    processors = default_processors(settings, max_length)
    processors.extend(logits_processor or [])
    beams_to_keep = max(2, 1 + len(eos_ids)) * num_beams
    top_mask = torch.cat([torch.ones(num_beams, dtype=torch.bool), torch.zeros(beams_to_keep - num_beams,
                                                                              dtype=torch.bool)])
    running = torch.full((batch, num_beams, max_length), fill, dtype=torch.int64)
    running[:, :, 0] = start
    sequences = running.clone()
    running_scores = torch.zeros((batch, num_beams))
    running_scores[:, 1:] = -1e9
    scores = torch.full((batch, num_beams), -1e9)
    finished = torch.zeros((batch, num_beams), dtype=torch.bool)
    can_improve = torch.ones((batch, 1), dtype=torch.bool)
    running_indices = torch.full((batch, num_beams, max_length - 1), -1, dtype=torch.int32)
    indices = running_indices.clone()
    offsets = torch.arange(batch).view(-1, 1) * num_beams

    logits_np, own, cross = decoder.prefill(input_ids, attention_mask, start)
    # Every beam of a source starts from the same state: expand the prefill outputs to batch * num_beams rows.
    expand = np.repeat(np.arange(batch), num_beams)
    logits_np = logits_np[expand]
    own = [t[expand] for t in own]
    cross = [t[expand] for t in cross]
    mask = attention_mask[expand]
    length = 1
    while True:
        flat_running = _flat(running[:, :, :length])
        log_probs = functional.log_softmax(torch.from_numpy(logits_np).float(), dim=-1)
        log_probs = processors(flat_running, log_probs)
        log_probs = log_probs.view(batch, num_beams, -1) + running_scores[:, :, None]
        log_probs = log_probs.reshape(batch, -1)
        vocab = log_probs.shape[-1] // num_beams

        # top-k continuations over all beams of a source
        topk_scores, topk_ids = torch.topk(log_probs, k=beams_to_keep)
        topk_beams = topk_ids // vocab
        topk_indices = _gather(running_indices, topk_beams)
        topk_sequences = _gather(running, topk_beams)
        topk_sequences[:, :, length] = topk_ids % vocab
        topk_indices[:, :, length - 1] = (topk_beams + offsets).to(torch.int32)

        hits = _hits_stop(topk_sequences, length + 1, max_length, eos)

        # the best unfinished continuations keep running
        open_scores = topk_scores + hits.to(torch.float32) * -1.0e9
        keep = torch.topk(open_scores, k=num_beams)[1]
        running = _gather(topk_sequences, keep)
        running_scores = _gather(open_scores, keep)
        running_indices = _gather(topk_indices, keep)

        # finished continuations among the top num_beams enter the finished set if they score high enough
        just_finished = hits & top_mask[None, :]
        final_scores = topk_scores / ((length + 1 - 1) ** penalty)
        full = torch.all(finished, dim=-1, keepdim=True) & (early_stopping is True)
        final_scores = final_scores + full.to(torch.float32) * -1.0e9
        final_scores = final_scores + (~can_improve).to(torch.float32) * -1.0e9
        final_scores = final_scores + (~just_finished) * -1.0e9
        merged_scores = torch.cat((scores, final_scores), dim=1)
        best = torch.topk(merged_scores, k=num_beams)[1]
        sequences = _gather(torch.cat((sequences, topk_sequences), dim=1), best)
        scores = _gather(merged_scores, best)
        indices = _gather(torch.cat((indices, topk_indices), dim=1), best)
        finished = _gather(torch.cat((finished, just_finished), dim=1), best)

        reorder = _flat(running_indices[..., length - 1]).long().numpy()
        length += 1
        hypothetical = (max_length - 1) if (early_stopping == "never" and penalty > 0.0) else (length - 1)
        best_running = running_scores[:, :1] / (hypothetical ** penalty)
        worst_finished = torch.where(finished, torch.min(scores, dim=1, keepdim=True)[0], -1.0e9)
        can_improve = can_improve & torch.any(best_running > worst_finished, dim=-1, keepdim=True)
        open_beam = not (bool(torch.all(finished)) and early_stopping is True)
        if not (bool(torch.any(can_improve)) and open_beam and not bool(torch.all(hits))):
            break
        own = [t[reorder] for t in own]
        tokens = _flat(running[:, :, length - 1]).numpy()
        logits_np, own = decoder.step(tokens, mask, own, cross)

    sequences = _flat(sequences[:, :num_return_sequences, :])
    scores = _flat(scores[:, :num_return_sequences])
    indices = _flat(indices[:, :num_return_sequences, :])
    generated = int(((indices + 1).bool()).sum(dim=1).max())
    return SearchOutput(sequences=sequences[:, :1 + generated], sequences_scores=scores)


def greedy_search(decoder: CachedDecoder, input_ids: np.ndarray, attention_mask: np.ndarray, *,
                  max_new_tokens: int, settings: dict[str, Any],
                  logits_processor: LogitsProcessorList | None = None) -> SearchOutput:
    """``transformers``' greedy decoding (``num_beams=1``): processors on raw logits, finished rows padded."""
    batch = input_ids.shape[0]
    start = int(settings["decoder_start_token_id"])
    eos = torch.tensor(list(settings.get("eos_token_id") or []), dtype=torch.long)
    pad = settings.get("pad_token_id")
    max_length = 1 + max_new_tokens
    processors = default_processors(settings, max_length)
    processors.extend(logits_processor or [])
    sequences = torch.full((batch, 1), start, dtype=torch.long)
    unfinished = torch.ones(batch, dtype=torch.long)
    logits_np, own, cross = decoder.prefill(input_ids, attention_mask, start)
    while True:
        scores = processors(sequences, torch.from_numpy(logits_np).float())
        tokens = torch.argmax(scores, dim=-1)
        if pad is not None:
            tokens = tokens * unfinished + pad * (1 - unfinished)
        sequences = torch.cat([sequences, tokens[:, None]], dim=-1)
        done = _hits_stop(sequences[:, None, :], sequences.shape[1], max_length, eos)[:, 0]
        unfinished = unfinished & ~done
        if int(unfinished.max()) == 0:
            break
        logits_np, own = decoder.step(tokens.numpy()[:, None], attention_mask, own, cross)
    return SearchOutput(sequences=sequences, sequences_scores=None)
