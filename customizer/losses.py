"""Teacher-forced token cross-entropy: the one implementation behind every loss TestTailor reports.

Customization's training and validation loss (:mod:`customizer.train`), the base model's validation losses
(:mod:`customizer.basemodel.trainer`) and the evaluation's reference-test likelihood
(:mod:`customizer.evaluate.model_systems`) all score targets the same way; one function keeps the numbers they
print comparable (same decoder inputs, same float32 cross-entropy, same handling of padding) and a fix to any of
that reaches all of them.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import nn
from transformers.modeling_outputs import BaseModelOutput

from customizer.batching import IGNORE


def shift_right(module: nn.Module, labels: torch.Tensor) -> torch.Tensor:
    """Decoder inputs from labels as the model family builds them (BART and T5 start tokens differ); positions
    whose label is ignored become padding."""
    config = module.config
    shifted = labels.new_full(labels.shape, config.pad_token_id)
    shifted[:, 1:] = labels[:, :-1].clone()
    shifted[:, 0] = config.decoder_start_token_id
    return shifted.masked_fill(shifted == IGNORE, config.pad_token_id)


def token_losses(module: nn.Module, batch: dict[str, torch.Tensor], bf16: bool = False) -> torch.Tensor:
    """Per-token cross-entropy (nats, float32) of ``batch["labels"]`` under ``module``, shape (rows, target
    length); ignored label positions (-100) are 0.

    ``batch`` holds ``labels`` and ``attention_mask`` plus either ``input_ids`` or ``encoder_hidden`` (cached
    encoder outputs); ``decoder_input_ids`` (and ``decoder_attention_mask``) when the caller built them, else
    they are the labels shifted right (:func:`shift_right`). With ``bf16`` the forward pass runs under bfloat16
    autocast on the batch's device; the cross-entropy is always computed in float32. Gradients flow unless the
    caller disabled them.
    """
    labels = batch["labels"]
    kwargs: dict[str, Any] = {"attention_mask": batch["attention_mask"], "use_cache": False}
    if "decoder_input_ids" in batch:
        kwargs["decoder_input_ids"] = batch["decoder_input_ids"]
        if "decoder_attention_mask" in batch:
            kwargs["decoder_attention_mask"] = batch["decoder_attention_mask"]
    else:
        kwargs["decoder_input_ids"] = shift_right(module, labels)
    if "encoder_hidden" in batch:
        kwargs["encoder_outputs"] = BaseModelOutput(last_hidden_state=batch["encoder_hidden"])
    else:
        kwargs["input_ids"] = batch["input_ids"]
    with torch.autocast(labels.device.type, dtype=torch.bfloat16, enabled=bf16):
        logits = module(**kwargs).logits
    losses = F.cross_entropy(logits.float().reshape(-1, logits.shape[-1]), labels.reshape(-1),
                             ignore_index=IGNORE, reduction="none")
    return losses.view(labels.shape)


def summed_loss(module: nn.Module, batch: dict[str, torch.Tensor], bf16: bool = False) -> tuple[torch.Tensor, int]:
    """(summed token cross-entropy of the batch as a 0-d tensor, number of scored target tokens): a training
    step divides the first by the second; a validation pass adds both up over batches."""
    return token_losses(module, batch, bf16).sum(), int((batch["labels"] != IGNORE).sum())
