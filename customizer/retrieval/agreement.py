"""Order a model's candidates by how much they agree with the project's nearest existing tests.

A model's beams differ in which lines they write; the project's nearest existing tests, adapted to the method (the
ones the candidate list leads with), show which of those lines this project writes for similar methods. Each clean
candidate (it parses, declares no local twice and does not repeat itself) is scored by the sum of its BLEU-4
against those tests; clean candidates come first by that score, ties in the beam order, the others after them in
the beam order. It is minimum-Bayes-risk re-ranking with the project's tests as the evidence, and costs a few
milliseconds (no model pass). ``customizer.defaults.AGREEMENT_ORDER`` switches it; docs/evaluation.md ("Shipped
defaults") measures it on the dev-eval packages.
"""

from __future__ import annotations

from collections.abc import Sequence

from customizer.evaluate.metrics import bleu
from customizer.java.snippets import parses_as_method, redeclared_locals


def is_clean(text: str) -> bool:
    """What the ranking can tell from a candidate's text alone: it parses as a Java method, declares no local twice
    and does not repeat itself (the generator also knows whether the decoder was cut off)."""
    from customizer.decoding import DEGENERATE_LINE_REPEATS, is_degenerate

    return (parses_as_method(text) and not redeclared_locals(text)
            and not is_degenerate(text, line_repeats=DEGENERATE_LINE_REPEATS))


def agreement(text: str, tests: Sequence[str]) -> float:
    """Sum of ``text``'s sentence BLEU-4 (code tokens) against each test."""
    return sum(bleu(text, test) for test in tests)


def agreement_order(candidates: Sequence[str], tests: Sequence[str], clean: Sequence[bool] | None = None
                    ) -> list[int]:
    """Indices of ``candidates`` (in beam order), best first: the clean ones by :func:`agreement` with ``tests``
    (ties keep the beam order), then the others in the beam order. ``clean`` gives each candidate's flag (default:
    :func:`is_clean` of its text). Without tests the beam order stands."""
    if not tests:
        return list(range(len(candidates)))
    flags = list(clean) if clean is not None else [is_clean(c) for c in candidates]
    if len(flags) != len(candidates):
        raise ValueError(f"{len(flags)} clean flags for {len(candidates)} candidates")
    scores = {i: agreement(c, tests) for i, c in enumerate(candidates) if flags[i]}
    first = sorted(scores, key=lambda i: (-scores[i], i))
    return first + [i for i in range(len(candidates)) if not flags[i]]


def by_agreement(candidates: Sequence[str], nearest: Sequence[str]) -> list[str]:
    """``candidates`` (texts, beam order) in :func:`agreement_order` against the first ``AGREEMENT_TESTS`` of the
    ``nearest`` tests, flags from the text: how the evaluation re-orders a model's stored candidates as the product
    orders them."""
    from customizer.defaults import AGREEMENT_TESTS  # read when called: the setting may change

    return [candidates[i] for i in agreement_order(candidates, nearest[:AGREEMENT_TESTS])]
