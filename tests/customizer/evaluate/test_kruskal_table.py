"""The pooled Kruskal–Wallis matrix (paper Table 4 layout)."""

import math

import pytest
from scipy import stats

from customizer.evaluate.kruskal_table import (
    model_systems,
    p_value_matrix,
    pair_bleu,
    pair_perplexity,
    render_kruskal_table,
)


def _rows(bleus: list[float], nll: float | None = 10.0) -> list[dict]:
    return [{"id": str(i), "bleu": b, "nll": nll, "ref_tokens": 5 if nll is not None else None}
            for i, b in enumerate(bleus)]


REPOS = {
    "a": {"base": _rows([1.0, 2.0, 3.0, 4.0]), "l-ldb": _rows([10.0, 12.0, 14.0, 16.0], nll=5.0),
          "retrieve": _rows([40.0] * 4, nll=None), "hybrid-l-ldb": _rows([40.0] * 4), "__runs__": []},
    "b": {"base": _rows([2.0, 2.5, 3.5]), "l-ldb": _rows([9.0, 11.0, 13.0], nll=5.0), "lora": _rows([5.0, 6.0, 7.0])},
}


def test_systems_are_the_models_without_retrieval_or_hybrids():
    assert model_systems(REPOS) == ["base", "l-ldb", "lora"]


def test_p_values_pool_packages_on_the_pairs_both_systems_scored():
    matrix = p_value_matrix(REPOS, ["base", "l-ldb", "lora"], pair_bleu)
    p, pairs = matrix[("base", "l-ldb")]
    assert pairs == 7 and matrix[("l-ldb", "base")] == (p, pairs)
    assert p == pytest.approx(stats.kruskal([1, 2, 3, 4, 2, 2.5, 3.5], [10, 12, 14, 16, 9, 11, 13]).pvalue)
    assert matrix[("base", "lora")][1] == 3  # lora ran on package b only
    assert matrix[("l-ldb", "lora")][0] == pytest.approx(stats.kruskal([9, 11, 13], [5, 6, 7]).pvalue)


def test_perplexity_is_per_pair_and_skips_rows_without_nll():
    assert pair_perplexity(_rows([1.0], nll=10.0)[0]) == pytest.approx(math.exp(2.0))
    assert pair_perplexity(_rows([1.0], nll=None)[0]) is None


def test_rendered_matrices_have_every_model_system_both_ways():
    text = "\n".join(render_kruskal_table(REPOS))
    assert "| BLEU | base | l-ldb | lora |" in text and "| perplexity | base | l-ldb | lora |" in text
    assert "| lora | " in text and "(3)" in text and "(7)" in text
    assert "retrieve" not in text.split("|---")[1] and "hybrid" not in text


def test_no_matrix_with_one_model_system():
    assert render_kruskal_table({"a": {"base": _rows([1.0, 2.0]), "retrieve": _rows([3.0, 4.0])}}) == []
