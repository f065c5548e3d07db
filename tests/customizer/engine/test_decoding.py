"""Decoding pieces: loop blocking that spares legitimate repetition, the length prior, repair, ranking."""

from __future__ import annotations

import json
import math
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
import torch
from transformers import AutoTokenizer

from customizer.decoding import (
    DEFAULT_PRIOR,
    PRIOR_META_KEY,
    DeclarationShapeBlocker,
    DecodingConfig,
    LengthPrior,
    LineLoopStopper,
    LoopBlocker,
    RedeclarationBlocker,
    RedeclarationStopper,
    SyntaxGuard,
    WindowLoopBlocker,
    breaks_syntax,
    corpus_loop_alterations,
    corpus_window_alterations,
    declaration_end_mask,
    declaration_shape,
    declaration_shape_alterations,
    identifier_continuation_mask,
    is_degenerate,
    newline_token_mask,
    prior_for_model_dir,
    prior_from_tests,
    rank,
    redeclaration_alterations,
    redeclares_so_far,
    repair_truncated,
    syntax_alterations,
)
from customizer.java.snippets import first_syntax_error, parses_as_method, redeclared_locals

LINE = [11, 12, 13, 14, 15, 16, 17, 18, 19, 20]  # a 10-token "statement line"


def test_loop_blocker_stops_a_line_sized_loop_but_not_a_few_repeated_lines() -> None:
    blocker = LoopBlocker(max_repeats=4, max_period=16)
    looping = [5] + LINE * 4  # the line four times: a fifth copy must not start
    legit = [1, 2, 3, 4, 5, 6, 7, 8] + LINE * 3 + [21, 22, 23]  # three identical lines, then something else
    ids = torch.tensor([looping, legit])
    scores = blocker(ids, torch.zeros(2, 30))
    assert scores[0, LINE[0]] == -float("inf")
    assert torch.isfinite(scores[0, [t for t in range(30) if t != LINE[0]]]).all()
    assert torch.isfinite(scores[1]).all()
    # the first version looked at units of at most 4 tokens and let the same loop run on
    assert torch.isfinite(LoopBlocker(max_repeats=4, max_period=4)(ids, torch.zeros(2, 30))[0]).all()


def test_loop_blocker_rejects_nonsense_settings() -> None:
    with pytest.raises(ValueError):
        LoopBlocker(max_repeats=0)


def test_corpus_loop_alterations_counts_sequences_the_blocker_would_change() -> None:
    sequences = [LINE * 5, LINE * 2, [1] * 9, [1, 2] * 3]
    assert corpus_loop_alterations(sequences, max_repeats=4, max_period=16) == (2, 4)  # LINE*5 and [1]*9
    assert corpus_loop_alterations(sequences, max_repeats=4, max_period=4) == (1, 4)  # the line loop is missed


def test_is_degenerate_flags_line_loops_but_not_argument_lists_developers_write() -> None:
    header = "@Test public void t() {\n"
    loop = header + '    assertEquals( "cn=system" ) );\n' * 12 + "}"
    varied = header + ('    assertEquals( "cn=system" ) );\n' * 4 + '    assertEquals( "cn=test" );\n') * 3 + "}"
    # 5 copies of a line: what 99.6% of developer tests stay within (a 6th marks 0.43% of them degenerate)
    args = header + "    BigInteger[] xs = {\n" + "        BigInteger.ONE,\n" * 5 + "    };\n}"
    assert is_degenerate(loop)
    assert not is_degenerate(loop, line_repeats=None)  # the first version's criterion misses it
    assert not is_degenerate(args)
    assert is_degenerate(varied) and not is_degenerate(varied, line_repeats=None)  # no run of 10, 12 in all
    assert is_degenerate(args.replace("        BigInteger.ONE,\n", "        BigInteger.ONE,\n" * 2, 1))  # a 6th copy


def test_length_prior_fit_quantiles_and_budget() -> None:
    lengths = list(range(1, 101))  # 1..100 tokens
    prior = LengthPrior.fit(lengths, source="t")
    assert (prior.p50, prior.p90, prior.p99, prior.max, prior.n) == (50, 90, 99, 100, 100)
    assert prior.mu == pytest.approx(sum(math.log(x) for x in lengths) / 100)
    median = round(math.exp(prior.mu))
    assert prior.log_weight(median) == pytest.approx(0.0, abs=1e-3)
    assert prior.log_weight(5 * median) < prior.log_weight(2 * median) < 0
    assert prior.max_new_tokens() == math.ceil(99 * 1.15) + 4
    assert prior.max_new_tokens(limit=60) == 60
    with pytest.raises(ValueError):
        LengthPrior.fit([])


def test_length_prior_round_trips_and_tolerates_missing_metadata() -> None:
    prior = LengthPrior.fit([10, 20, 30, 40] * 10, source="x")
    assert LengthPrior.from_dict(json.loads(json.dumps(prior.to_dict()))) == prior
    assert LengthPrior.from_dict({}) is None and LengthPrior.from_dict(None) is None
    assert LengthPrior.from_dict({"mu": 1.0}) is None


def test_base_model_prior_comes_from_testtailor_json_else_the_default(tiny_bart_dir: Path, tmp_path: Path) -> None:
    assert prior_for_model_dir(tiny_bart_dir) == DEFAULT_PRIOR
    assert prior_for_model_dir(None) == DEFAULT_PRIOR
    model = tmp_path / "model"
    shutil.copytree(tiny_bart_dir, model)
    prior = LengthPrior.fit([30, 40, 50] * 10, source="corpus")
    (model / "testtailor.json").write_text(json.dumps({"name": "m", PRIOR_META_KEY: prior.to_dict()}))
    assert prior_for_model_dir(model) == prior


def test_prior_from_tests_needs_enough_tests(tiny_bart_dir: Path) -> None:
    tokenizer = AutoTokenizer.from_pretrained(tiny_bart_dir)
    tests = [f"@Test public void t{i}() {{ assertEquals({i}, calc.add({i}, 0)); }}" for i in range(25)]
    assert prior_from_tests(tokenizer, tests[:5]) is None
    prior = prior_from_tests(tokenizer, tests)
    assert prior is not None and prior.n == 25
    assert prior.max == max(len(tokenizer(t, add_special_tokens=False)["input_ids"]) for t in tests)


def test_repair_closes_an_output_that_stopped_early_only_when_it_then_parses() -> None:
    early = "@Test\npublic void t() throws Exception {\n    try {\n        fail();\n    } catch (E e) {\n    }"
    fixed = repair_truncated(early, cut_off=False)
    assert fixed is not None and parses_as_method(fixed) and fixed.startswith(early)
    assert repair_truncated("@Test public void t() {\n    try {\n        fail();\n    }\n", cut_off=False) is None
    braces_in_literals = '@Test public void t() {\n    assertEquals("{", s);\n    char c = \'{\';'
    fixed = repair_truncated(braces_in_literals, cut_off=False)
    assert fixed is not None and fixed.count("\n}") == 1 and parses_as_method(fixed)


def test_repair_cuts_an_output_at_the_length_limit_back_to_its_last_statement() -> None:
    cut = '@Test public void t() {\n    assertEquals(1, a.size());\n    for (int i = 0; i < 3; i++) {\n' \
          '        assertEquals( "cn=sys'
    fixed = repair_truncated(cut, cut_off=True)
    assert fixed is not None and parses_as_method(fixed) and "cn=sys" not in fixed
    assert "assertEquals(1, a.size());" in fixed
    # an output that stopped by itself mid-statement is cut back the same way; a broken statement is never closed
    assert repair_truncated(cut, cut_off=False) == fixed
    assert repair_truncated('@Test public void t() {\n    assertEquals( "a" ) );\n    x(', cut_off=True) is None


@dataclass
class _C:
    name: str
    score: float
    parses: bool
    degenerate: bool
    redeclares: bool = False


def test_rank_puts_parsing_clean_candidates_first_then_uses_the_length_term() -> None:
    prior = LengthPrior.fit([50] * 30 + [60] * 30)
    short = _C("short", -0.50, True, False)  # best beam score, implausibly short
    typical = _C("typical", -0.55, True, False)
    broken = _C("broken", -0.10, False, False)
    looping = _C("looping", -0.20, True, True)
    twice = _C("twice", -0.05, True, False, redeclares=True)  # best score, but javac would reject it
    items, lengths = [broken, looping, short, typical, twice], [50, 400, 5, 55, 50]
    assert [c.name for c in rank(items, lengths, None)] == ["short", "typical", "looping", "twice", "broken"]
    assert [c.name for c in rank(items, lengths, prior, 0.1)] == ["typical", "short", "looping", "twice", "broken"]
    assert [c.name for c in rank(items, lengths, prior, 0.0)][:2] == ["short", "typical"]


def test_redeclared_locals_follow_javas_scopes() -> None:
    looping = ("@Test\nvoid isExempt_works() {\n    // given\n    boolean isExempt;\n    // then\n"
               "    boolean isExempt;\n    boolean isExempt = calc.isExempt(\"fr\");\n    assertTrue(isExempt);\n}")
    assert redeclared_locals(looping) == ["isExempt", "isExempt"]
    legal = """void a(int x) {
        for (int i = 0; i < 3; i++) { int z = i; }
        for (int i = 0; i < 3; i++) { int z = i; }
        try (InputStream in = open()) { } catch (IOException e) { }
        try { } catch (IOException e) { }
        Runnable r = () -> { int q = 1; };
        list.forEach(v -> use(v));
        list.forEach(v -> use(v));
        new Thread() { public void run() { int x = 3; } };  // another method: may reuse the name
        { int w = 1; } { int w = 2; }
        switch (k) { case 1 -> { int b = 1; } default -> { int b = 2; } }
    }"""
    assert redeclared_locals(legal) == []
    illegal = """void a(int x) {
        int x = 2;
        for (int i = 0; i < 3; i++) { int i = 1; }
        Runnable r = () -> { int x = 1; };
        list.forEach(x -> use(x));
        try { } catch (IOException x) { }
        int y; { int y = 3; }
        try (InputStream in = a(); InputStream in = b()) { }
        switch (k) { case 1: int s = 1; break; default: int s = 2; }
    }"""
    assert redeclared_locals(illegal) == ["x", "i", "x", "x", "x", "y", "in", "s"]
    assert redeclared_locals("void a() { int x = 1; int x = 2;") == []  # not a complete method: not checked


def _stopper_scores(tokenizer, text: str, max_line_repeats: int = 6) -> torch.Tensor:
    ids = torch.tensor([[tokenizer.eos_token_id, *tokenizer(text, add_special_tokens=False)["input_ids"]]])
    return LineLoopStopper(tokenizer, max_line_repeats)(ids, torch.zeros(1, len(tokenizer)))[0]


def test_line_loop_stopper_ends_a_beam_at_the_sixth_copy_of_a_line(tiny_bart_dir) -> None:
    tokenizer = AutoTokenizer.from_pretrained(tiny_bart_dir)
    mask = newline_token_mask(tokenizer)
    assert mask.any() and not mask[tokenizer.eos_token_id]
    assert newline_token_mask(tokenizer) is mask  # built once per tokenizer, not per generate call
    head = "@Test void t() {\n"
    varied = "    // then\n    boolean isExempt;\n    boolean isExempt = isExempt;\n"  # escapes the token blocker
    stopped = _stopper_scores(tokenizer, head + varied * 6)
    assert stopped[tokenizer.eos_token_id] == pytest.approx(-5.0)
    assert torch.isinf(stopped).sum() == len(tokenizer) - 1  # every other token forbidden
    assert not torch.isinf(_stopper_scores(tokenizer, head + varied * 5)).any()  # 5 copies are allowed
    assert not torch.isinf(_stopper_scores(tokenizer, head + "    }\n" * 9)).any()  # short lines never count
    open_line = head + "    boolean isExempt;\n" * 6 + "    boolean"  # checked only when a line is completed
    assert not torch.isinf(_stopper_scores(tokenizer, open_line)).any()
    with pytest.raises(ValueError):
        LineLoopStopper(tokenizer, 1)


def test_redeclares_so_far_judges_an_unfinished_method_with_its_braces_closed() -> None:
    head = "@Test\n    void t() {\n        boolean isExempt = false;\n"
    assert not redeclares_so_far(head)
    assert redeclares_so_far(head + "        // then\n        boolean isExempt = true;\n")
    assert not redeclares_so_far(head + "        isExempt = true;\n")  # an assignment, not a declaration
    assert not redeclares_so_far(head + "        if (a) {\n            int n = 1;\n        }\n        int n = 2;\n")
    assert redeclares_so_far(head + "        for (int i = 0; i < 2; i++) {\n            boolean isExempt = true;\n")
    # an anonymous class body starts over; an open call or a statement cut mid-way is not judged yet
    assert not redeclares_so_far(head + "        Runnable r = new Runnable() {\n            public void run() {\n"
                                 "                boolean isExempt = true;\n")
    assert not redeclares_so_far(head + "        run(() -> {\n            boolean isExempt = true;\n")
    assert not redeclares_so_far(head + "        boolean isExempt =\n")
    # the corpus statistic: tests either processor would have altered (javac rejects every one of them)
    twice = "void t() {\n  int a = 1;\n  int a = 2;\n}"
    legal = "void t() {\n  int a = 1;\n  a = 2;\n  for (int i = 0; i < a; i++) { int b = i; }\n  int b = 3;\n}"
    assert redeclaration_alterations([twice, legal, "void t() {\n  int a = 1;\n  for (int a : xs) {}\n}"]) == (2, 3)


def test_redeclares_so_far_sees_into_an_open_try_or_do_block() -> None:
    head = "@Test\n    void t() {\n        boolean isExempt = false;\n"
    assert redeclares_so_far(head + "        try {\n            boolean isExempt = true;\n")
    assert redeclares_so_far(head + "        try (InputStream in = open(); Reader r = wrap(in)) {\n"
                             "            boolean isExempt = true;\n")
    assert redeclares_so_far(head + "        do {\n            boolean isExempt = true;\n")
    assert not redeclares_so_far(head + "        try {\n            boolean other = true;\n")


def test_first_syntax_error_is_where_the_error_starts() -> None:
    text = "void t() {\n  int a = 1;\n  assertEquals(a b);\n}"
    assert first_syntax_error(text) is not None and text.index("a b") <= first_syntax_error(text) < len(text)
    assert first_syntax_error("void t() {\n  int a = 1;\n}") is None
    assert first_syntax_error("void t() {\n  int a = 1;\n") is not None  # a brace missing at the end


def test_breaks_syntax_charges_the_line_that_brings_an_error_once() -> None:
    head = "@Test\n    void t() {\n        int a = 1;\n"
    bad = head + "        assertEquals(a b);\n"
    assert not breaks_syntax(head) and breaks_syntax(bad)
    assert breaks_syntax(bad + "    ")  # the newline token may carry the next line's indent
    assert not breaks_syntax(bad + "        int c = 2;\n")  # charged once, on the line that brought it
    assert breaks_syntax("@Test\n    void t() {\n        int = 1;\n")  # the first statement of the body
    # a statement over several lines: judged where it ends, the error charged to it
    assert not breaks_syntax(head + '        String s = "a" +\n')
    assert breaks_syntax(head + '        String s = "a" +\n            * "b";\n')
    assert not breaks_syntax(head + '        String s = "a" +\n            "b";\n')
    # open blocks whose closing a `}` alone would get wrong, and text that is not code, are not errors
    for fine in ("        try {\n            foo();\n", "        do {\n            foo();\n",
                 "        Runnable r = new Runnable() {\n            public void run() {\n                foo();\n",
                 "        Runnable r = () -> {\n            foo();\n", "        /* commented out:\n        foo();\n",
                 "        assertEquals(1,\n            a);\n", "        if (a > 0) {\n            a++;\n        }\n"):
        assert not breaks_syntax(head + fine), fine
    tests = [head + "        a++;\n    }", head + "        try {\n            a++;\n        } finally {}\n    }",
             head + "        a+;\n    }"]
    assert syntax_alterations(tests) == (1, 3)


def test_breaks_syntax_judges_a_line_that_opens_a_block_too() -> None:
    assert breaks_syntax("@Test\npublic void test plus() {\n")  # the signature, before any statement
    assert breaks_syntax("@Test\npublic void t()\n    throws Exception, {\n")
    assert not breaks_syntax("@Test\npublic void testPlus() {\n")
    assert not breaks_syntax("@Test\npublic void t()\n    throws Exception\n{\n")
    head = "@Test\n    void t() {\n        int a = 1;\n"
    assert breaks_syntax(head + "        if (a b) {\n")
    for fine in ("        Runnable r = new Runnable() {\n", "        int[] xs = {\n", "        try {\n",
                 "        do {\n", "        switch (a) {\n", "        Runnable r = () -> {\n",
                 "        if (a > 0) {\n            a++;\n        } else {\n"):
        assert not breaks_syntax(head + fine), fine


def test_declaration_shape_says_what_may_not_follow_a_declaration_head() -> None:
    head = "@Test\n    public void t() {\n"
    cases = {"        final Expression Expression ": "name", "        final Expression Expression": "space-name",
             "        Map<String, Integer> counts ": "name", "        List<String>[] xs": "space-name",
             "        int x ": "name", "        final checksumFetcher ": "end", "        final List<String> ": "end",
             "        final checksumFetcher": "end",  # ` =` may come as one token
             "        final MavenSession session4Session ": "name",
             # not declaration heads, or heads that may still go on
             "        return x ": None, "        x instanceof ": None, "        final Expression ": "end",
             "        final ": None, "        String toString(": None, "        new Foo ": None,
             "        throw e ": None, "        assert ok ": None, "        url = ": None}
    for line, kind in cases.items():
        assert declaration_shape(head, line) == kind, line
    assert declaration_shape("", "public void test ") == "name"  # the signature of the output's first line
    assert declaration_shape("", "@Test\n") is None
    # a comment, a text block or an open call is not judged
    assert declaration_shape(head + "        /* the\n", "        result is ") is None
    assert declaration_shape(head + '        String s = """\n', "            some text ") is None
    assert declaration_shape(head + "        run(\n", "            String a ") is None
    tests = ["void t() {\n  final Expression Expression e = null;\n}", "void t() {\n  final X = 1;\n}",
             "void t() {\n  int a = 1, b;\n  final Map<String, Integer> m = null;\n  return;\n}"]
    assert declaration_shape_alterations(tests) == (2, 3)


def test_declaration_shape_blocker_forbids_the_token_that_breaks_the_head(tiny_bart_dir: Path) -> None:
    tokenizer = AutoTokenizer.from_pretrained(tiny_bart_dir)
    blocker = DeclarationShapeBlocker(tokenizer)
    assert DeclarationShapeBlocker(tokenizer).forbidden["name"] is blocker.forbidden["name"]  # built once per tokenizer

    def blocked(text: str) -> torch.Tensor:
        ids = torch.tensor([[tokenizer.eos_token_id, *tokenizer(text, add_special_tokens=False)["input_ids"]]])
        return torch.isinf(blocker(ids, torch.zeros(1, len(tokenizer)))[0])

    texts = [tokenizer.decode([i]) for i in range(len(tokenizer))]
    head = "@Test void t() {\n"
    third = blocked(head + "    final Expression expr ")
    assert third.any() and all(re.match(r"\s*[A-Za-z_$]", texts[i]) for i in third.nonzero().flatten().tolist())
    assert not third[tokenizer(" =", add_special_tokens=False)["input_ids"][-1]]
    spaced = blocked(head + "    final Expression expr")
    assert spaced.any() and all(re.match(r"\s+[A-Za-z_$]", texts[i]) for i in spaced.nonzero().flatten().tolist())
    assert torch.equal(blocked(head + "    final Expression "), declaration_end_mask(tokenizer))
    assert not blocked(head + "    Expression expr = ").any()
    assert not blocked(head + "    return expr ").any()


def test_syntax_guard_lowers_a_beam_on_the_line_that_breaks_the_syntax(tiny_bart_dir: Path) -> None:
    tokenizer = AutoTokenizer.from_pretrained(tiny_bart_dir)

    def scores(text: str) -> torch.Tensor:
        ids = torch.tensor([[tokenizer.eos_token_id, *tokenizer(text, add_special_tokens=False)["input_ids"]]])
        return SyntaxGuard(tokenizer, 20.0)(ids, torch.zeros(1, len(tokenizer)))[0]

    head = "@Test void t() {\n    int a = 1;\n"
    lowered = scores(head + "    assertEquals(a b);\n")
    assert torch.equal(lowered, torch.full_like(lowered, -20.0))  # every continuation: the beam falls behind
    assert not scores(head + "    assertEquals(1, a);\n").any()
    assert not scores(head + "    assertEquals(a b);").any()  # judged only when a line is completed


def _redeclared_scores(tokenizer, text: str) -> torch.Tensor:
    ids = torch.tensor([[tokenizer.eos_token_id, *tokenizer(text, add_special_tokens=False)["input_ids"]]])
    return RedeclarationStopper(tokenizer)(ids, torch.zeros(1, len(tokenizer)))[0]


def test_redeclaration_stopper_ends_a_beam_at_the_line_that_declares_a_local_twice(tiny_bart_dir) -> None:
    tokenizer = AutoTokenizer.from_pretrained(tiny_bart_dir)
    head = "@Test void t() {\n    // when\n    boolean isExempt = false;\n    // then\n"
    stopped = _redeclared_scores(tokenizer, head + "    boolean isExempt = false;\n")
    assert stopped[tokenizer.eos_token_id] == pytest.approx(-1.0e4)
    assert torch.isinf(stopped).sum() == len(tokenizer) - 1  # only the (hopeless) end is left to this beam
    assert not torch.isinf(_redeclared_scores(tokenizer, head)).any()
    assert not torch.isinf(_redeclared_scores(tokenizer, head + "    assertFalse(isExempt);\n")).any()
    # checked only when a line is completed
    assert not torch.isinf(_redeclared_scores(tokenizer, head + "    boolean isExempt = false;")).any()


def _blocker_scores(tokenizer, text: str, grow_only: bool = True) -> torch.Tensor:
    ids = torch.tensor([[tokenizer.eos_token_id, *tokenizer(text, add_special_tokens=False)["input_ids"]]])
    return RedeclarationBlocker(tokenizer, grow_only=grow_only)(ids, torch.zeros(1, len(tokenizer)))[0]


def _blocked(tokenizer, text: str, grow_only: bool = True) -> torch.Tensor:
    return torch.isinf(_blocker_scores(tokenizer, text, grow_only))


def test_redeclaration_blocker_lets_the_name_of_a_second_declaration_only_grow(tiny_bart_dir: Path) -> None:
    tokenizer = AutoTokenizer.from_pretrained(tiny_bart_dir)
    ends = declaration_end_mask(tokenizer)
    assert declaration_end_mask(tokenizer) is ends
    pieces = [tokenizer.decode([i]) for i in ends.nonzero().flatten().tolist()]
    assert pieces and all(p.strip()[0] in "=;," and not p.strip().startswith("==") for p in pieces)
    growing = identifier_continuation_mask(tokenizer)
    assert identifier_continuation_mask(tokenizer) is growing
    grow = [tokenizer.decode([i]) for i in growing.nonzero().flatten().tolist()]
    assert grow and all(p and not p[0].isspace() and (p.replace("_", "a").replace("$", "a")).isalnum() for p in grow)
    head = '@Test void t() {\n    final URL url = new URL("x");\n'
    # `final URL url`: only `url2`, `urlCopy`… may follow (not `=`, not ` URL`, which made `Jar Jar jar`)
    assert torch.equal(_blocked(tokenizer, head + "    final URL url"), ~growing)
    nested = head + "    for (int i = 0; i < 2; i++) {\n        URL url"
    assert torch.equal(_blocked(tokenizer, nested), ~growing)
    # past the name: nothing makes the line valid Java, the beam ends (end-of-sequence only, at the penalty)
    ended = _blocker_scores(tokenizer, head + "    URL url ")
    assert ended[tokenizer.eos_token_id] == pytest.approx(-1.0e4) and torch.isinf(ended).sum() == len(tokenizer) - 1
    # session 7's version forbade only the tokens that end the name
    assert torch.equal(_blocked(tokenizer, head + "    final URL url", grow_only=False), ends)
    for fine in ("    URL other", "    return url", "    url", "    assertEquals(url, url", "    URL url2"):
        assert not _blocked(tokenizer, head + fine).any(), fine
    # an anonymous class body starts over: its method may declare the name again
    inner = head + "    Runnable r = new Runnable() {\n        public void run() {\n            URL url"
    assert not _blocked(tokenizer, inner).any()


def _processors_passed(monkeypatch, model_dir: Path, decoding: DecodingConfig) -> list[type]:
    """The kinds of logits processors, in order, that a Generator with ``decoding`` hands to ``generate``."""
    from customizer.generate import Generator

    gen = Generator(base_model=str(model_dir), device="cpu", decoding=decoding, runtime="torch")
    seen: list = []
    original = gen.base.model.generate

    def spy(**kwargs):
        seen.extend(kwargs["logits_processor"])
        return original(**kwargs)

    with monkeypatch.context() as patch:
        patch.setattr(gen.base.model, "generate", spy)
        gen.candidates(gen.base.model, [0, 100, 101, 2], 2)
    return [type(p) for p in seen]


def test_the_generator_applies_the_redeclaration_stopper_last(monkeypatch, tiny_bart_dir: Path) -> None:
    kinds = _processors_passed(monkeypatch, tiny_bart_dir, DecodingConfig())
    assert kinds[-4:] == [SyntaxGuard, DeclarationShapeBlocker, RedeclarationBlocker, RedeclarationStopper]
    legacy = _processors_passed(monkeypatch, tiny_bart_dir, DecodingConfig.legacy())
    assert not {RedeclarationStopper, SyntaxGuard, DeclarationShapeBlocker} & set(legacy)


def test_window_blocker_stops_a_varied_loop_and_agrees_with_its_corpus_count() -> None:
    # "SecurityException, " eleven times with other exceptions in between: never 8 times back to back
    unit = [5, 6, 7]
    copies = [token for i in range(10) for token in (*unit, 20 + i)]
    seq = [1, *copies, *unit[:2]]
    scores = WindowLoopBlocker(10)(torch.tensor([seq]), torch.zeros(1, 64))[0]
    assert torch.isinf(scores[7]) and torch.isinf(scores).sum() == 1  # only the 11th copy is forbidden
    assert not torch.isinf(WindowLoopBlocker(11)(torch.tensor([seq]), torch.zeros(1, 64))).any()
    far = [1, *copies, *range(30, 60), *unit[:2]]
    assert not torch.isinf(WindowLoopBlocker(10, window=40)(torch.tensor([far]), torch.zeros(1, 64))).any()
    # the corpus statistic counts exactly the sequences the processor would have altered while decoding them
    gen = torch.Generator().manual_seed(0)
    blocker = WindowLoopBlocker(3, units=(2, 5), window=12)
    for _ in range(60):
        s = torch.randint(0, 3, (40,), generator=gen).tolist()
        forbidden = any(torch.isinf(blocker(torch.tensor([s[:i]]), torch.zeros(1, 3))[0, s[i]])
                        for i in range(2, len(s)))
        assert corpus_window_alterations([s], 3, (2, 5), 12) == (int(forbidden), 1)
    with pytest.raises(ValueError):
        WindowLoopBlocker(1)


def test_candidate_defects_say_what_is_visibly_wrong() -> None:
    from customizer.generate import Candidate

    clean = Candidate(rank=1, text="void t() {}", score=-0.1, parses=True, degenerate=False)
    assert clean.defects == ()
    broken = Candidate(rank=2, text="...", score=-0.2, parses=True, degenerate=True, redeclares=True)
    assert broken.defects == ("declares a local twice", "repeats itself")

