"""Find the parts of an encoder-decoder model by anatomy, not by one attribute name.

Works for BART (and mBART/PLBART-style models), T5 and other Hugging Face seq2seq models that expose
``get_encoder``/``get_decoder``/``get_input_embeddings``/``get_output_embeddings`` and keep their blocks in
one ``nn.ModuleList`` and their attention projections as ``nn.Linear`` children.
"""

from __future__ import annotations

from dataclasses import dataclass

from torch import nn

from customizer.errors import ModelLoadError

# (query, key, value, output) projection names, per naming family.
_PROJECTION_NAMES = (("q_proj", "k_proj", "v_proj", "out_proj"), ("q", "k", "v", "o"),
                     ("query", "key", "value", "dense"), ("q_proj", "k_proj", "v_proj", "o_proj"))
_BLOCK_LIST_NAMES = ("layers", "block", "layer", "h", "blocks")
_CROSS_MARKERS = ("encoder_attn", "encdecattention", "enc_dec", "crossattention", "cross_attn", "cross_attention")
_POSITION_NAMES = ("embed_positions", "position_embeddings", "wpe", "pos_embed")


def _unsupported(model: nn.Module, what: str) -> ModelLoadError:
    return ModelLoadError(f"cannot find the {what} of {type(model).__name__}; this architecture is not supported, "
                          "use a BART- or T5-style seq2seq checkpoint")


def token_embeddings(model: nn.Module) -> nn.Embedding:
    """The (shared) token embedding matrix."""
    getter = getattr(model, "get_input_embeddings", None)
    embeddings = getter() if getter else None
    if not isinstance(embeddings, nn.Embedding):
        raise _unsupported(model, "token embeddings")
    return embeddings


def position_embeddings(model: nn.Module) -> list[nn.Module]:
    """Learned absolute position embeddings (BART: encoder and decoder); empty for T5 (relative positions).

    Fixed sinusoidal tables (frozen weights or no parameters) are not returned.
    """
    found: list[nn.Module] = []
    for name, module in model.named_modules():
        if name.rsplit(".", 1)[-1] not in _POSITION_NAMES or not isinstance(module, nn.Embedding):
            continue
        if module.weight.requires_grad and all(module is not seen for seen in found):
            found.append(module)
    return found


def output_layer(model: nn.Module) -> nn.Module:
    """The projection to vocabulary logits (``lm_head``). BART's ``final_logits_bias`` is a buffer on the model."""
    getter = getattr(model, "get_output_embeddings", None)
    head = getter() if getter else None
    if not isinstance(head, nn.Module) or not any(True for _ in head.parameters()):
        raise _unsupported(model, "output layer")
    return head


def _blocks(model: nn.Module, side: str) -> nn.ModuleList:
    getter = getattr(model, f"get_{side}", None)
    stack = getter() if getter else None
    if not isinstance(stack, nn.Module):
        raise _unsupported(model, side)
    lists = {name: child for name, child in stack.named_children() if isinstance(child, nn.ModuleList)}
    for name in _BLOCK_LIST_NAMES:
        if name in lists and len(lists[name]):
            return lists[name]
    if len(lists) == 1:
        return next(iter(lists.values()))
    raise _unsupported(model, f"{side} blocks")


def decoder_blocks(model: nn.Module) -> nn.ModuleList:
    """The decoder's transformer blocks, bottom first."""
    return _blocks(model, "decoder")


def encoder_blocks(model: nn.Module) -> nn.ModuleList:
    """The encoder's transformer blocks, bottom first."""
    return _blocks(model, "encoder")


@dataclass(frozen=True)
class Projections:
    """The four linear projections of one attention module."""

    q: nn.Linear
    k: nn.Linear
    v: nn.Linear
    o: nn.Linear
    names: tuple[str, str, str, str]


def attention_projections(module: nn.Module) -> Projections | None:
    """The q/k/v/o ``nn.Linear`` children of an attention module, or None if it is not one."""
    for names in _PROJECTION_NAMES:
        children = [getattr(module, name, None) for name in names]
        if all(isinstance(child, nn.Linear) for child in children):
            return Projections(*children, names=names)
    return None


def attention_geometry(module: nn.Module) -> tuple[int, int]:
    """(key/value heads, head dim) of an attention module."""
    projections = attention_projections(module)
    if projections is None:
        raise _unsupported(module, "attention projections")
    heads = next((getattr(module, name) for name in ("num_heads", "n_heads", "num_attention_heads")
                  if isinstance(getattr(module, name, None), int)), None)
    head_dim = next((getattr(module, name) for name in ("head_dim", "key_value_proj_dim", "attention_head_size")
                     if isinstance(getattr(module, name, None), int)), None)
    if head_dim is None:
        if heads is None:
            raise _unsupported(module, "number of attention heads")
        head_dim = projections.q.out_features // heads
    return projections.k.out_features // head_dim, head_dim


def self_attention_modules(model: nn.Module) -> list[tuple[str, nn.Module, str]]:
    """Every attention module of every block: (qualified name, module, "encoder" | "decoder" | "cross").

    "decoder" is the decoder's (causal) self-attention, "cross" its attention over the encoder output.
    """
    names = {id(module): name for name, module in model.named_modules()}
    found: list[tuple[str, nn.Module, str]] = []
    for side, blocks in (("encoder", encoder_blocks(model)), ("decoder", decoder_blocks(model))):
        for block in blocks:
            in_block = [(names[id(m)], m) for m in block.modules() if attention_projections(m) is not None]
            for position, (name, module) in enumerate(in_block):
                kind = side
                if side == "decoder":
                    lowered = name.lower()
                    marked = any(marker in lowered for marker in _CROSS_MARKERS)
                    kind = "cross" if marked or (position > 0 and len(in_block) == 2) else "decoder"
                found.append((name, module, kind))
    if not found:
        raise _unsupported(model, "attention modules")
    return found
