"""One teacher-forced loss for customization, base-model training and evaluation: the three agree, and each
gives what it gave before the merge (the pre-merge formulas are restated here as the reference)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from customizer.basemodel.data import _pack
from customizer.basemodel.trainer import validation_loss
from customizer.evaluate.model_systems import reference_nll
from customizer.losses import shift_right, summed_loss, token_losses
from customizer.model import load_base_model
from customizer.train import _val_loss

from .conftest import synthetic_examples


@pytest.fixture(scope="module", params=["bart", "t5"])
def model_and_data(request, tiny_bart_dir, tiny_t5_dir):
    base = load_base_model(tiny_bart_dir if request.param == "bart" else tiny_t5_dir, "cpu", cache=False)
    base.model.eval()
    examples = synthetic_examples(base.tokenizer, 12, seed=3)
    # uneven lengths, so batches carry padding on both sides
    examples = [(s[: len(s) - i % 5], t[: len(t) - i % 3]) for i, (s, t) in enumerate(examples)]
    return base, examples


def _old_reference_nll(module, examples):
    """reference_nll before the merge: the model shifts the labels itself, cross-entropy summed per test."""
    out = []
    for source, target in examples:
        ids, labels = torch.tensor([source]), torch.tensor([target])
        logits = module(input_ids=ids, attention_mask=torch.ones_like(ids), labels=labels).logits
        out.append((float(torch.nn.functional.cross_entropy(logits[0].float(), labels[0], reduction="sum")),
                    len(target)))
    return out


@torch.no_grad()
def test_the_three_callers_agree_and_match_the_old_formulas(model_and_data) -> None:
    base, examples = model_and_data
    model, pad_id = base.model, base.tokenizer.pad_token_id
    start_id = model.config.decoder_start_token_id

    customization = _val_loss(model, examples, None, 512, pad_id, torch.device("cpu"), False)
    pairs = _pack([s for s, _ in examples], [t for _, t in examples], [0] * len(examples))
    base_training = validation_loss(model, pairs, pad_id, start_id, batch_tokens=512, bf16=False)
    model.eval()  # validation_loss leaves the model in training mode
    nlls = reference_nll(model, examples, torch.device("cpu"))
    evaluation = sum(n for n, _ in nlls) / sum(c for _, c in nlls)

    # same function, batched differently: equal up to float summation order. The base-model recipe is BART-only:
    # its decoder mask (inputs != pad) would hide T5's start token, which is the pad token
    if model.config.model_type == "bart":
        assert customization == pytest.approx(base_training, rel=1e-5)
    assert customization == pytest.approx(evaluation, rel=1e-5)
    # evaluation scores one test at a time: per test it matches the pre-merge formula
    old = _old_reference_nll(model, examples)
    assert [c for _, c in nlls] == [c for _, c in old]
    assert np.allclose([n for n, _ in nlls], [n for n, _ in old], rtol=1e-6, atol=0)
    # and the mean loss is Hugging Face's own mean loss for the same batch
    source, target = examples[0]
    hf = model(input_ids=torch.tensor([source]), labels=torch.tensor([target])).loss.item()
    assert nlls[0][0] / nlls[0][1] == pytest.approx(hf, rel=1e-5)


def test_padding_and_ignored_labels_add_nothing(model_and_data) -> None:
    base, examples = model_and_data
    model = base.model.eval()
    (s1, t1), (s2, t2) = examples[0], examples[5]
    width_s, width_t = max(len(s1), len(s2)), max(len(t1), len(t2))
    pad = base.tokenizer.pad_token_id
    batch = {"input_ids": torch.tensor([s + [pad] * (width_s - len(s)) for s in (s1, s2)]),
             "attention_mask": torch.tensor([[1] * len(s) + [0] * (width_s - len(s)) for s in (s1, s2)]),
             "labels": torch.tensor([t + [-100] * (width_t - len(t)) for t in (t1, t2)])}
    with torch.no_grad():
        per_token = token_losses(model, batch)
        total, count = summed_loss(model, batch)
        alone = [summed_loss(model, {"input_ids": torch.tensor([s]), "attention_mask": torch.ones(1, len(s), dtype=int),
                                     "labels": torch.tensor([t])})[0] for s, t in ((s1, t1), (s2, t2))]
    assert count == len(t1) + len(t2)
    assert torch.all(per_token[batch["labels"] == -100] == 0)
    assert per_token.sum(1).tolist() == pytest.approx([float(a) for a in alone], rel=1e-5)
    assert float(total) == pytest.approx(float(per_token.sum()), rel=1e-6)


def test_shift_right_uses_the_model_start_token(model_and_data) -> None:
    base, _ = model_and_data
    labels = torch.tensor([[5, 6, 7, -100]])
    shifted = shift_right(base.model, labels)
    config = base.model.config
    assert shifted.tolist() == [[config.decoder_start_token_id, 5, 6, 7]]
    assert shift_right(base.model, torch.tensor([[5, -100, -100]])).tolist() == [
        [config.decoder_start_token_id, 5, config.pad_token_id]]


def test_gradients_flow_for_training(model_and_data) -> None:
    base, examples = model_and_data
    source, target = examples[1]
    head = base.model.get_output_embeddings().weight
    head.grad = None
    loss, count = summed_loss(base.model, {"input_ids": torch.tensor([source]),
                                           "attention_mask": torch.ones(1, len(source), dtype=torch.long),
                                           "labels": torch.tensor([target])})
    (loss / count).backward()
    assert head.grad is not None and head.grad.abs().sum() > 0
    head.grad = None
