"""Ordering a model's candidates by agreement with the project's nearest tests."""

import pytest

from customizer.evaluate.metrics import bleu
from customizer.retrieval.agreement import agreement, agreement_order, by_agreement, is_clean

NEAREST = [
    "@Test\nvoid addsTwo() {\n    assertEquals(4, calc.add(2, 2));\n}",
    "@Test\nvoid addsNegative() {\n    assertEquals(-1, calc.add(1, -2));\n}",
]
LIKE_THEM = "@Test\nvoid adds() {\n    assertEquals(3, calc.add(1, 2));\n}"
UNLIKE = "@Test\nvoid adds() {\n    Calc c = new Calc();\n    int r = c.add(1, 2);\n    assertTrue(r > 0);\n}"
BROKEN = "@Test\nvoid adds() {\n    assertEquals(3, calc.add(1, 2)"
REDECLARES = "@Test\nvoid adds() {\n    int a = 1;\n    int a = 2;\n    assertEquals(4, calc.add(2, 2));\n}"


def test_agreement_sums_bleu_against_each_test():
    assert agreement(LIKE_THEM, NEAREST) == pytest.approx(sum(bleu(LIKE_THEM, t) for t in NEAREST))
    assert agreement(LIKE_THEM, NEAREST) > agreement(UNLIKE, NEAREST)


def test_clean_candidates_lead_by_agreement_and_defects_stay_last_in_beam_order():
    beams = [UNLIKE, BROKEN, LIKE_THEM, REDECLARES]
    assert [is_clean(c) for c in beams] == [True, False, True, False]
    assert agreement_order(beams, NEAREST) == [2, 0, 1, 3]
    assert by_agreement(beams, NEAREST) == [LIKE_THEM, UNLIKE, BROKEN, REDECLARES]


def test_ties_keep_the_beam_order_and_no_tests_keep_it_all():
    assert agreement_order([LIKE_THEM, LIKE_THEM], NEAREST) == [0, 1]
    assert agreement_order([UNLIKE, BROKEN, LIKE_THEM], []) == [0, 1, 2]


def test_flags_given_by_the_generator_override_the_text():
    # the generator also knows a beam was cut off at the length limit: such a candidate stays behind
    assert agreement_order([UNLIKE, LIKE_THEM], NEAREST, clean=[True, False]) == [0, 1]
    with pytest.raises(ValueError, match="2 clean flags for 3 candidates"):
        agreement_order([UNLIKE, LIKE_THEM, BROKEN], NEAREST, clean=[True, True])
