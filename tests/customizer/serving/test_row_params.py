"""Per-row parameter values (customizer.serving.row_params) on a small module tree, against each row alone."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from customizer.serving.row_params import RowWeights, row_routable


class Tiny(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.embed = nn.Embedding(10, 4)
        self.norm = nn.LayerNorm(4)
        self.proj = nn.Linear(4, 3)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        return self.proj(self.norm(self.embed(ids)))


def _alone(model: Tiny, override: dict[str, torch.Tensor], ids: torch.Tensor) -> torch.Tensor:
    params = dict(model.named_parameters())
    saved = {name: params[name].data for name in override}
    for name, tensor in override.items():
        params[name].data = tensor
    try:
        return model(ids)
    finally:
        for name, data in saved.items():
            params[name].data = data


def test_each_request_rows_use_its_groups_values_and_the_model_is_restored() -> None:
    torch.manual_seed(0)
    model = Tiny().eval()
    params = dict(model.named_parameters())
    groups = [{"proj.weight": torch.randn(3, 4), "proj.bias": torch.randn(3)},
              {"embed.weight": torch.randn(10, 4), "norm.weight": torch.randn(4)},
              {}]
    request_groups = [1, 0, 2, 0]
    ids = torch.randint(0, 10, (4, 5))
    before = {name: p.detach().clone() for name, p in params.items()}
    expected = torch.cat([_alone(model, groups[g], ids[i:i + 1]) for i, g in enumerate(request_groups)])
    weights = RowWeights(model, [{id(params[n]): t for n, t in g.items()} for g in groups], request_groups)
    with torch.no_grad(), weights.active():
        got = model(ids)
        # two rows per request (as generate's beams): rows 2i and 2i+1 belong to request i
        doubled = model(ids.repeat_interleave(2, dim=0))
    torch.testing.assert_close(got, expected)
    torch.testing.assert_close(doubled, expected.repeat_interleave(2, dim=0))
    assert "forward" not in vars(model.proj)
    for name, p in model.named_parameters():
        assert torch.equal(p, before[name]), name
    with pytest.raises(ValueError, match="cannot hold 4 requests"), torch.no_grad(), weights.active():
        model(ids[:3])


def test_positions_given_as_ids_give_each_row_its_groups_table() -> None:
    """BART's learned positions return one row when given position ids; each request gets its group's table."""
    from transformers.models.bart.modeling_bart import BartLearnedPositionalEmbedding

    layer = BartLearnedPositionalEmbedding(8, 3)
    tables = [torch.randn_like(layer.weight), torch.randn_like(layer.weight)]
    ids = torch.zeros(3, 4, dtype=torch.long)
    weights = RowWeights(layer, [{id(layer.weight): t} for t in tables], [1, 0, 1])
    with torch.no_grad(), weights.active():
        by_ids = layer(ids, 0, position_ids=torch.arange(2, 6))
        by_length = layer(ids, 2)
    for row, group in enumerate([1, 0, 1]):
        torch.testing.assert_close(by_ids[row], tables[group][2 + layer.offset:6 + layer.offset])
    torch.testing.assert_close(by_length, by_ids)


def test_modules_with_children_do_not_route() -> None:
    from transformers.models.bart.modeling_bart import BartLearnedPositionalEmbedding

    assert row_routable(nn.Linear(2, 2)) and row_routable(nn.LayerNorm(2)) and row_routable(nn.Embedding(3, 2))
    assert row_routable(BartLearnedPositionalEmbedding(8, 2))
    assert not row_routable(Tiny())
    attention = nn.MultiheadAttention(4, 2)  # holds in_proj_weight itself and has a child (out_proj)
    assert not row_routable(attention)
    weights = RowWeights(attention, [{id(attention.in_proj_weight): torch.zeros_like(attention.in_proj_weight)},
                                     {}], [0, 1])
    with pytest.raises(ValueError, match="cannot compute rows"), weights.active():
        pass
