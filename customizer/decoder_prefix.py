"""Frozen bottom decoder blocks, computed once per pair: the decoder counterpart of the encoder cache.

When a strategy trains only the top of the decoder (L-LDB) and the encoder is frozen, the hidden states that
leave the last frozen decoder block depend only on the pair (teacher forcing: the decoder's input is the
reference test shifted right), not on anything that trains. :class:`DecoderPrefix` computes them once per
training and validation pair; each step then replays them (the frozen blocks return the stored states instead of
computing) and runs only the trained blocks and the output layer. For the shipped model (6 decoder blocks, a
16k-token output layer) a step of L-LDB then takes 1.58x less time on the CPU (docs/benchmarks.md).

The replay patches the frozen blocks' ``forward`` for the duration of one pass, so the decoder's own code still
builds the masks and runs the trained blocks: nothing of the model family is re-implemented. A family whose
blocks hand more than their hidden states to the next block (T5 passes its position biases up) is not
replayed: :meth:`DecoderPrefix.of` returns None and training runs the whole decoder as before.

The frozen blocks (and the decoder's own embedding dropout) run in eval mode, replayed or not, so both paths
compute the same function; the trained blocks keep their dropout.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import torch
from torch import nn

from customizer.strategies import anatomy


class DecoderPrefix:
    """The ``blocks`` bottom decoder blocks of ``model``, frozen: computed once, replayed at every step."""

    def __init__(self, model: nn.Module, blocks: int, wrap: Callable[[torch.Tensor], Any]) -> None:
        self.model = model
        self.blocks = blocks
        self._wrap = wrap  # hidden states → what a block returns (a tensor, or a tuple with Nones after it)

    @classmethod
    def of(cls, model: nn.Module, device: torch.device) -> DecoderPrefix | None:
        """The frozen bottom of ``model``'s decoder, found by running it once: the leading blocks whose output
        needs no gradient (the encoder must be frozen too). None when no block is frozen, when a block hands
        more than its hidden states up, or when training drops blocks at random (nothing to replay safely)."""
        if getattr(model.config, "decoder_layerdrop", 0.0) or getattr(model.config, "layerdrop", 0.0):
            return None  # blocks skipped at random in training: no fixed bottom to replay
        blocks = anatomy.decoder_blocks(model)
        seen: list[tuple[bool, Any]] = []
        hooks = [block.register_forward_hook(lambda _m, _a, out: seen.append((_hidden(out).requires_grad, out)))
                 for block in blocks]
        probe = torch.tensor([[model.config.eos_token_id or 0, model.config.eos_token_id or 0]], device=device)
        try:
            with torch.enable_grad():
                out = model(input_ids=probe, attention_mask=torch.ones_like(probe), decoder_input_ids=probe,
                            use_cache=False)
        finally:
            for hook in hooks:
                hook.remove()
        if out.encoder_last_hidden_state is not None and out.encoder_last_hidden_state.requires_grad:
            return None
        frozen = 0
        for needs_grad, _ in seen[:len(blocks)]:
            if needs_grad:
                break
            frozen += 1
        if frozen == 0:
            return None
        sample = seen[frozen - 1][1]
        if isinstance(sample, torch.Tensor):
            return cls(model, frozen, lambda hidden: hidden)
        if isinstance(sample, tuple) and all(extra is None for extra in sample[1:]):
            extras = len(sample) - 1
            return cls(model, frozen, lambda hidden: (hidden, *([None] * extras)))
        return None

    def set_modes(self) -> None:
        """Eval mode for the decoder's embedding dropout and its frozen blocks; train mode for the rest of it."""
        decoder = self.model.get_decoder()
        decoder.eval()
        for block in list(anatomy.decoder_blocks(self.model))[self.blocks:]:
            block.train()

    @torch.no_grad()
    def compute(self, forward: Callable[[], object]) -> torch.Tensor:
        """The last frozen block's output (padded, as the batch is) while ``forward()`` runs the model on one
        batch as training does, in eval mode; the pass stops there (the blocks above and the output layer do not
        run)."""
        def stop(_module: nn.Module, _args: object, out: Any) -> None:
            raise _Reached(_hidden(out))

        hook = anatomy.decoder_blocks(self.model)[self.blocks - 1].register_forward_hook(stop)
        was_training = self.model.training
        self.model.eval()
        try:
            forward()
        except _Reached as reached:
            return reached.hidden
        finally:
            hook.remove()
            self.model.train(was_training)
        raise RuntimeError("the decoder did not run its frozen blocks")  # pragma: no cover - a model we cannot read

    @contextmanager
    def replaying(self, hidden: torch.Tensor) -> Iterator[None]:
        """Within ``with``: the frozen blocks return ``hidden`` (rows × target width × d_model) instead of
        computing; the last of them hands it to the first trained block."""
        blocks = list(anatomy.decoder_blocks(self.model))[: self.blocks]
        wrapped = self._wrap(hidden)
        for block in blocks:
            block.forward = lambda *_args, **_kwargs: wrapped  # type: ignore[method-assign]
        try:
            yield
        finally:
            for block in blocks:
                del block.forward  # the class's forward again


class _Reached(Exception):  # a signal, not an error: the last frozen block has run
    def __init__(self, hidden: torch.Tensor) -> None:
        super().__init__("last frozen decoder block reached")
        self.hidden = hidden


def _hidden(out: Any) -> torch.Tensor:
    return out if isinstance(out, torch.Tensor) else out[0]
