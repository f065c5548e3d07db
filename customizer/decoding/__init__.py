"""Decoding pieces that make beam search return tests: loop blocking, a length prior, truncation repair, ranking.

Why each piece exists (measured by ``scripts/decoding_stats.py``; numbers in the "Decoding" section of
``docs/evaluation.md``):

* **Loops.** Weak models loop on a unit until the length limit (``"%s%s%s…"``, whole ``assertEquals(…);``
  lines). Code repeats legitimately, so plain n-gram blocking is wrong for it. :class:`LoopBlocker` forbids
  only the token that would repeat a unit of 1..``max_period`` tokens more than ``max_repeats`` times back to
  back: 8 repeats of units up to 32 tokens alter 57 of the base corpus' 53,677 developer tests (0.11%), the
  same 57 as the first version's units of up to 4 tokens, which missed line-sized loops. A loop varied just
  enough to escape the blocker is caught by the line stop below and by :func:`is_degenerate`, and ranked last.
* **Line loops.** A loop that varies inside its period (``// then`` / ``boolean x;`` / ``boolean x = x;`` …)
  escapes the token blocker but repeats whole lines. :class:`LineLoopStopper` ends a beam, with a penalty,
  when a line of 4+ characters is completed for the 6th time: 231 of the base corpus' 53,677 developer tests
  (0.43%; 5+ times: 0.76%) repeat a line that often, and such a candidate counts as degenerate.
* **Varied loops inside a line.** ``SecurityException, SecurityException, IllegalAccessException,
  SecurityException, …`` or ``"1.0", "1.0", "1.0.0", "1.0", …`` never repeat back to back long enough for the
  token blocker nor span lines. :class:`WindowLoopBlocker` forbids the token that would make a unit of 3..16
  tokens occur an 11th time within the last 64 tokens: 156 of the base corpus' 53,677 developer tests (0.29%;
  numeric tables such as matrices and zero-filled byte arrays) would have been altered.
* **Locals declared twice.** A loop that writes ``boolean isExempt = false;`` line after line cannot compile
  (javac: "variable isExempt is already defined"). Once a line reads ``Type name`` with ``name`` a local already
  in scope, nothing but a longer name can make it valid Java, so :class:`RedeclarationBlocker` lets the name only
  grow (``url`` → ``url2``; a name already followed by a space ends the beam). Its first version forbade only the
  ``=``, ``;`` or ``,`` that would end the name, and the model wrote ``Jar Jar jar = …`` instead: a line that does not
  parse, after which no scope check can judge the rest. :class:`RedeclarationStopper` ends a beam whose completed line
  declares a local twice in a form the blocker does not see (``for (int i …``). Both judge the output so far with
  :func:`redeclares_so_far` (its open braces closed, one tree-sitter parse), only where a line could be a
  declaration of a name seen before. No developer test can trip them (javac rejects such tests); the ranking below
  is the net for the rest.
* **Lines that break the syntax.** Once a line does not parse, no candidate made from that beam parses, and a
  weak model tends to loop on from there. :class:`SyntaxGuard` parses the method so far each time a beam completes
  a line that ends a statement or opens a block (its open blocks closed by :func:`.repair.closing`: a ``}`` each,
  ``finally {}`` after a ``try``) and, when the first syntax error starts in that statement (the signature
  included), lowers the beam's score by ``SYNTAX_PENALTY`` nats: the beam falls behind the others but is kept when
  nothing better is left. Inside a line, :class:`DeclarationShapeBlocker` forbids the token that would break a
  declaration head for certain: a third name after ``Type name`` (``final Expression Expression Expression``,
  ``public void test plus()``) and ``=`` right after ``final Type``. Asked of the 10,800 parsing developer tests
  of the dev-eval packages as the decoder asks, neither would have altered one (``scripts/decoding_stats.py
  guards``).
* **A second, wider search.** When none of an input's candidates parses (every beam looped or broke the syntax),
  the input is searched again with ``RETRY_BEAMS`` beams and both searches' beams are ranked together: on the 10 of
  200 dev-eval pairs where the base model's five beams all failed, 7 then got a parsing top-1 (parses 95% → 98%,
  BLEU-4 unchanged, the other 190 top-1 outputs identical). Only those inputs pay for it (a 10-beam search on top).
* **Length.** :class:`LengthPrior` is a log-normal fitted to the token lengths of the project's own tests
  (stored with the adapter) or of the base corpus (``testtailor.json`` of the base model). It sets
  ``max_new_tokens`` (99th percentile x 1.15 + 4, capped by the position table), pushes the end-of-sequence
  score up past its 90th percentile (``transformers``' ``ExponentialDecayLengthPenalty``) so loops stop
  near plausible lengths instead of running to the limit, and adds a length term to the ranking score.
* **Unfinished outputs.** A decoder that stops early or is cut at the limit leaves braces open.
  :func:`repair_truncated` closes them, cutting back to a complete statement where needed, and keeps the
  result only if it then parses as one method (A3Test's repair, made safe by the parse).
* **Ranking.** :func:`rank` puts candidates that parse and do not loop first, then orders by beam score plus
  the length term.


The pieces live in one module each: :mod:`.loops`, :mod:`.lines`, :mod:`.declarations`, :mod:`.length_prior`,
:mod:`.repair`, :mod:`.ranking`, :mod:`.tokens`; :mod:`.config` says which run.
"""

from __future__ import annotations

from customizer.decoding.config import RETRY_BEAMS, DecodingConfig
from customizer.decoding.declarations import (
    DeclarationShapeBlocker,
    RedeclarationBlocker,
    declaration_end_mask,
    declaration_shape,
    declaration_shape_alterations,
    redeclaration_alterations,
)
from customizer.decoding.length_prior import (
    DEFAULT_PRIOR,
    EOS_PUSH,
    LENGTH_MARGIN,
    MIN_PRIOR_TESTS,
    PRIOR_META_KEY,
    LengthPrior,
    prior_for_model_dir,
    prior_from_tests,
)
from customizer.decoding.lines import (
    LINE_LOOP_PENALTY,
    MAX_LINE_REPEATS,
    REDECLARED_PENALTY,
    SYNTAX_PENALTY,
    LineLoopStopper,
    RedeclarationStopper,
    SyntaxGuard,
    breaks_syntax,
    redeclares_so_far,
    syntax_alterations,
)
from customizer.decoding.loops import (
    DEGENERATE_LINE_REPEATS,
    DEGENERATE_REPEATS,
    MAX_PERIOD,
    MAX_REPEATS,
    WINDOW,
    WINDOW_REPEATS,
    WINDOW_UNITS,
    LoopBlocker,
    WindowLoopBlocker,
    corpus_loop_alterations,
    corpus_window_alterations,
    is_degenerate,
)
from customizer.decoding.ranking import LENGTH_WEIGHT, Rankable, lead_with, rank, retrieved_tests_first
from customizer.decoding.repair import repair_truncated
from customizer.decoding.tokens import identifier_continuation_mask, newline_token_mask, token_texts

__all__ = [
    "DEFAULT_PRIOR", "DEGENERATE_LINE_REPEATS", "DEGENERATE_REPEATS", "EOS_PUSH", "LENGTH_MARGIN",
    "LENGTH_WEIGHT", "LINE_LOOP_PENALTY", "MAX_LINE_REPEATS", "MAX_PERIOD", "MAX_REPEATS", "MIN_PRIOR_TESTS",
    "PRIOR_META_KEY", "REDECLARED_PENALTY", "RETRY_BEAMS", "SYNTAX_PENALTY", "WINDOW", "WINDOW_REPEATS",
    "WINDOW_UNITS", "DeclarationShapeBlocker", "DecodingConfig", "LengthPrior", "LineLoopStopper", "LoopBlocker",
    "Rankable", "RedeclarationBlocker", "RedeclarationStopper", "SyntaxGuard", "WindowLoopBlocker",
    "breaks_syntax", "corpus_loop_alterations", "corpus_window_alterations", "declaration_end_mask",
    "declaration_shape", "declaration_shape_alterations", "identifier_continuation_mask", "is_degenerate",
    "lead_with", "newline_token_mask", "prior_for_model_dir", "prior_from_tests", "rank",
    "redeclaration_alterations", "redeclares_so_far", "repair_truncated", "retrieved_tests_first",
    "syntax_alterations", "token_texts",
]
