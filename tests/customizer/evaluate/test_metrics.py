import pytest

from customizer.evaluate.metrics import (
    bleu,
    code_tokens,
    exact_match,
    parses_as_method,
    style_similarity,
    top_k_hits,
)


def test_code_tokens_split_identifiers_numbers_and_single_characters():
    assert code_tokens('assertEquals(1.5f, obj.get_x$());// ü') == [
        "assertEquals", "(", "1.5f", ",", "obj", ".", "get_x$", "(", ")", ")", ";", "/", "/", "ü"]


def test_bleu_is_100_for_identical_code_and_ignores_whitespace():
    code = "@Test void t() { assertEquals(2, calc.add(1, 1)); }"
    assert bleu(code, code) == pytest.approx(100.0)
    assert bleu(code.replace(" ", "  ").replace("(", " ( "), code) == pytest.approx(100.0)


def test_bleu_orders_closer_hypotheses_higher():
    ref = "@Test void addsTwoNumbers() { assertEquals(2, calc.add(1, 1)); }"
    near = "@Test void addsNumbers() { assertEquals(2, calc.add(1, 1)); }"
    far = "@Test void x() { fail(); }"
    assert bleu(ref, ref) > bleu(near, ref) > bleu(far, ref)


def test_exact_match_is_whitespace_insensitive_only():
    assert exact_match("a+b;", "a + b ;")
    assert not exact_match("a+b;", "a-b;")


def test_parses_as_method():
    assert parses_as_method("@Test public void t() { assertTrue(x); }")
    assert parses_as_method("Foo(int a) { this.a = a; }")
    assert not parses_as_method("@Test public void t() { assertTrue(x); ")  # cut off
    assert not parses_as_method('void t() { String s = "a; }')
    assert not parses_as_method("void a() {} void b() {}")  # two methods
    assert not parses_as_method("int x = 1;")  # a field


def test_top_k_hits():
    ref = "void t() { a(1); }"
    cands = ["void t() { b(1); }", "void t() { a( 1 ); }", "void u() { c(2); }"]
    assert not top_k_hits(cands, ref, 1)
    assert top_k_hits(cands, ref, 2)
    assert top_k_hits(["void u() { c(1); }"], ref, 1, abstracted=True)


def test_style_similarity_rewards_shared_identifiers():
    refs = ["void t() { cartFixture.addItem(sku); }", "void u() { money.plus(eur); }"]
    gens = ["void t() { cartFixture.addItem(other); }", "void u() { foo.bar(baz); }"]
    sims = style_similarity(gens, refs)
    assert sims[0] > sims[1]
    assert all(0.0 <= s <= 1.0 + 1e-9 for s in sims)
