"""Model inputs: the context is cut before the focal method; specials wrap every sequence."""

from __future__ import annotations

import pytest

from customizer.inputs import encode_pair, encode_source, encode_target, frequent_token_ids
from customizer.java.context import FocalContext
from customizer.mining.pairs import FocalMethod, Pair, TestMethod

FOCAL = "public int add(int a, int b) { return a + b; }"
CONTEXT = "class Calculator { public int getName() ; private static final Map<String, Integer> CACHE; }"


def _ids(tokenizer, text: str) -> list[int]:
    return tokenizer(text, add_special_tokens=False)["input_ids"]


def test_everything_fits(tiny_bart) -> None:
    tok = tiny_bart.tokenizer
    ids = encode_source(tok, FOCAL, CONTEXT, 512)
    assert ids[-1] == tok.eos_token_id
    assert ids[:-1] == _ids(tok, FOCAL) + _ids(tok, " " + CONTEXT)


def test_context_is_cut_before_the_focal_method(tiny_bart) -> None:
    tok = tiny_bart.tokenizer
    focal = _ids(tok, FOCAL)
    budget = len(focal) + 5 + 1  # 5 context tokens and EOS
    ids = encode_source(tok, FOCAL, CONTEXT, budget)
    assert len(ids) == budget
    assert ids[: len(focal)] == focal
    assert ids[len(focal):-1] == _ids(tok, " " + CONTEXT)[:5]


def test_focal_method_cut_only_when_it_alone_is_too_long(tiny_bart) -> None:
    tok = tiny_bart.tokenizer
    focal = _ids(tok, FOCAL)
    ids = encode_source(tok, FOCAL, CONTEXT, 8)
    assert ids == [*focal[:7], tok.eos_token_id]
    assert encode_source(tok, FOCAL, "", len(focal) + 1) == [*focal, tok.eos_token_id]


def test_budget_too_small_for_any_text(tiny_bart) -> None:
    with pytest.raises(ValueError, match="no room"):
        encode_source(tiny_bart.tokenizer, FOCAL, CONTEXT, 1)


def test_target_is_truncated_and_ends_with_eos(tiny_bart) -> None:
    tok = tiny_bart.tokenizer
    ids = encode_target(tok, "@Test public void testAdd() { assertEquals(3, calc.add(1, 2)); }", 6)
    assert len(ids) == 6 and ids[-1] == tok.eos_token_id


def _pair(body: str, test: str) -> Pair:
    return Pair(id="0" * 16, repo="r", commit="c", heuristic="name",
                focal=FocalMethod(file="A.java", class_="Calculator", method="add", signature="public int add()",
                                  body=body, byte_range=(0, 1), line=0),
                context=FocalContext(class_name="Calculator", methods=["public int getName()"]),
                test=TestMethod(file="ATest.java", class_="ATest", method="testAdd", body=test))


def test_encode_pair_context_levels(tiny_bart) -> None:
    tok = tiny_bart.tokenizer
    pair = _pair(FOCAL, "@Test public void testAdd() { }")
    rich, target = encode_pair(tok, pair)
    bare, _ = encode_pair(tok, pair, "fm")
    assert bare == [*_ids(tok, FOCAL), tok.eos_token_id]
    assert rich[: len(bare) - 1] == bare[:-1] and len(rich) > len(bare)
    assert target == [*_ids(tok, "@Test public void testAdd() { }"), tok.eos_token_id]


def test_frequent_token_ids_ranks_repository_tokens(tiny_bart) -> None:
    tok = tiny_bart.tokenizer
    pairs = [_pair("return a + b;", "assertEquals(3, calc.add(1, 2));")] * 3
    ids = frequent_token_ids(tok, pairs, 3)
    assert len(ids) == 3
    assert not set(ids) & set(tok.all_special_ids)
    counts = {i: (_ids(tok, "return a + b;") + _ids(tok, "assertEquals(3, calc.add(1, 2));")).count(i) for i in ids}
    assert counts[ids[0]] == max(counts.values())


def test_lengths_are_clamped_to_the_models_position_table(tiny_bart_dir, tiny_t5_dir):
    from transformers import AutoModelForSeq2SeqLM

    from customizer.inputs import clamp_length, position_limit

    bart = AutoModelForSeq2SeqLM.from_pretrained(tiny_bart_dir)
    t5 = AutoModelForSeq2SeqLM.from_pretrained(tiny_t5_dir)
    assert position_limit(bart) == 256
    assert position_limit(t5) is None  # relative positions
    assert clamp_length(512, position_limit(bart)) == 256
    assert clamp_length(512, position_limit(t5)) == 512
