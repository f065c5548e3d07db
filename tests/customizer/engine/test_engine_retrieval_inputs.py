"""Retrieval-augmented inputs: retrieved tests come after the focal method and its context, are cut first,
share their room fairly, and never cut the focal method or its context; k = 0 leaves inputs unchanged."""

from __future__ import annotations

from customizer.inputs import (
    MIN_RETRIEVED_TOKENS,
    RETRIEVED_SEPARATOR,
    RETRIEVED_TOKENS_PER_TEST,
    encode_source,
    fair_shares,
    source_budget,
)

FOCAL = "public int add(int a, int b) { return a + b; }"
CONTEXT = "class Calculator { public int getName() ; private static final Map<String, Integer> CACHE; }"
NEAR = "public int subtract(int a, int b)\n@Test public void testSubtract() { assertEquals(0, calc.subtract(1, 1)); }"
FAR = ("public String getName()\n@Test void shouldReturnEmptyList() { assertTrue(list.isEmpty()); "
       "assertEquals(3, calc.add(1, 2)); for (int i = 0; i < n; i++) { sum += values[i]; } }")


def _ids(tokenizer, text: str) -> list[int]:
    return tokenizer(text, add_special_tokens=False)["input_ids"]


def _split_at_separators(ids: list[int], separator: list[int]) -> list[list[int]]:
    """The pieces of ``ids`` between occurrences of ``separator`` (the first piece: before any)."""
    pieces, current, i = [], [], 0
    while i < len(ids):
        if ids[i:i + len(separator)] == separator:
            pieces.append(current)
            current, i = [], i + len(separator)
        else:
            current.append(ids[i])
            i += 1
    return [*pieces, current]


def test_without_retrieved_tests_inputs_are_unchanged(tiny_bart) -> None:
    tok = tiny_bart.tokenizer
    assert encode_source(tok, FOCAL, CONTEXT, 512, ()) == encode_source(tok, FOCAL, CONTEXT, 512)
    assert encode_source(tok, FOCAL, CONTEXT, 512, [""]) == encode_source(tok, FOCAL, CONTEXT, 512)


def test_retrieved_tests_follow_the_focal_method_and_context_behind_separators(tiny_bart) -> None:
    tok = tiny_bart.tokenizer
    plain = encode_source(tok, FOCAL, CONTEXT, 512)[:-1]
    ids = encode_source(tok, FOCAL, CONTEXT, 512, [NEAR, FAR])
    assert ids[:len(plain)] == plain and ids[-1] == tok.eos_token_id
    separator = _ids(tok, RETRIEVED_SEPARATOR)
    pieces = _split_at_separators(ids[len(plain):-1], separator)
    assert pieces == [[], _ids(tok, NEAR), _ids(tok, FAR)]


def test_retrieved_tests_are_cut_first_and_share_the_room(tiny_bart) -> None:
    tok = tiny_bart.tokenizer
    plain = encode_source(tok, FOCAL, CONTEXT, 512)[:-1]
    separator = _ids(tok, RETRIEVED_SEPARATOR)
    room = 2 * (len(separator) + MIN_RETRIEVED_TOKENS) + 3
    ids = encode_source(tok, FOCAL, CONTEXT, len(plain) + room + 1, [FAR, FAR])
    assert len(ids) == len(plain) + room + 1
    assert ids[:len(plain)] == plain  # focal method and context whole
    pieces = _split_at_separators(ids[len(plain):-1], separator)
    far = _ids(tok, FAR)
    assert len(pieces) == 3 and all(piece == far[:len(piece)] for piece in pieces[1:])
    assert abs(len(pieces[1]) - len(pieces[2])) <= 1 and len(pieces[1]) < len(far)


def test_a_short_retrieved_test_stays_whole_and_the_long_one_takes_the_rest(tiny_bart) -> None:
    tok = tiny_bart.tokenizer
    plain = encode_source(tok, FOCAL, CONTEXT, 512)[:-1]
    long_test = " ".join([FAR] * 4)
    separator, near, far = _ids(tok, RETRIEVED_SEPARATOR), _ids(tok, NEAR), _ids(tok, long_test)
    assert len(near) < len(far) // 2
    room = 2 * len(separator) + len(near) + len(far) // 2
    pieces = _split_at_separators(encode_source(tok, FOCAL, CONTEXT, len(plain) + room + 1, [NEAR, long_test])
                                  [len(plain):-1], separator)
    assert pieces[1] == near and pieces[2] == far[:len(far) // 2]


def test_too_little_room_drops_the_lowest_ranked_test_first(tiny_bart) -> None:
    tok = tiny_bart.tokenizer
    plain = encode_source(tok, FOCAL, CONTEXT, 512)[:-1]
    separator = _ids(tok, RETRIEVED_SEPARATOR)
    room = len(separator) + MIN_RETRIEVED_TOKENS + 4  # one test fits, two would each get too few tokens
    pieces = _split_at_separators(encode_source(tok, FOCAL, CONTEXT, len(plain) + room + 1, [NEAR, FAR])
                                  [len(plain):-1], separator)
    assert len(pieces) == 2 and pieces[1] == _ids(tok, NEAR)[:len(pieces[1])] and len(pieces[1]) == room - len(
        separator)
    # no room at all: nothing retrieved, and a lone separator never appears
    assert encode_source(tok, FOCAL, CONTEXT, len(plain) + 1, [NEAR]) == encode_source(tok, FOCAL, CONTEXT,
                                                                                         len(plain) + 1)


def test_retrieval_never_cuts_the_focal_method(tiny_bart) -> None:
    tok = tiny_bart.tokenizer
    focal = _ids(tok, FOCAL)
    budget = len(focal) + 3 + 1
    ids = encode_source(tok, FOCAL, CONTEXT, budget, [NEAR, FAR])
    assert ids == encode_source(tok, FOCAL, CONTEXT, budget) and ids[:len(focal)] == focal


def test_fair_shares() -> None:
    assert fair_shares([10, 100, 100], 90) == [10, 40, 40]
    assert fair_shares([10, 100, 100], 91) == [10, 41, 40]
    assert fair_shares([5, 5], 100) == [5, 5]
    assert fair_shares([50, 50, 50], 0) == [0, 0, 0]
    assert fair_shares([], 10) == []


def test_source_budget_adds_room_per_retrieved_test_within_the_position_table() -> None:
    assert source_budget(512, 0, 1024) == 512
    assert source_budget(512, 2, 1024) == 512 + 2 * RETRIEVED_TOKENS_PER_TEST
    assert source_budget(512, 8, 1024) == 1024 and source_budget(512, 3, None) == 512 + 3 * RETRIEVED_TOKENS_PER_TEST
