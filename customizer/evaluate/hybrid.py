"""The shipped candidate list as an evaluation system: the project's nearest existing test first, then a model's.

``hybrid-<strategy>`` (e.g. ``hybrid-l-ldb``) is computed from two finished cells of the same fold, ``retrieve``
and ``<strategy>`` (with the same retrieval context suffix), exactly as :meth:`customizer.generate.Generator.
generate_for_position` builds the list users get (``DEFAULT_RETRIEVED_FIRST`` retrieved tests lead, duplicates
dropped, :func:`customizer.decoding.lead_with`). Where the product lets the answering model order the retrieved
tests (:func:`customizer.defaults.likelihood_orders`), the ones that lead are those the model cell stored with its
rows, ordered by the re-ranker and then that model's likelihood (:mod:`customizer.retrieval.likelihood`); else, and
for a model cell stored before the likelihood stage, the ``retrieve`` cell's order (re-ranker only) leads (the run
records which: ``retrieved_by``). Where the product orders the model's candidates by their agreement with the
project's nearest tests (``customizer.defaults.AGREEMENT_ORDER``), so does the cell, with the ``retrieve`` cell's
tests and flags read from each candidate's text (:func:`customizer.retrieval.agreement.by_agreement`; the run
records ``agreement``). No model runs: the cell costs what its two parts cost.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from customizer.decoding import lead_with, retrieved_tests_first
from customizer.defaults import agreement_applies, likelihood_orders
from customizer.evaluate.scoring import TOP_K, score_pair
from customizer.evaluate.store import Cell, is_done, read_cell
from customizer.evaluate.systems import HYBRID_PREFIX
from customizer.java.source_text import normalize_whitespace
from customizer.mining.pairs import Pair
from customizer.retrieval.agreement import by_agreement

PREFIX = HYBRID_PREFIX


def is_hybrid(system: str) -> bool:
    return system.startswith(PREFIX)


def parts(cell: Cell) -> tuple[Cell, Cell]:
    """The ``retrieve`` and model cells a hybrid cell is made of."""
    model = cell.system.removeprefix(PREFIX)
    return Cell(cell.repo, cell.split, cell.fold, "retrieve"), Cell(cell.repo, cell.split, cell.fold, model)


def hybrid_cell(out: Path, cell: Cell, test: list[Pair], first: int | None = None
                ) -> tuple[list[dict[str, Any]], dict[str, Any]] | None:
    """Rows and run record of a hybrid cell, or None while one of its parts is not stored yet."""
    retrieved_cell, model_cell = parts(cell)
    if not (is_done(out, retrieved_cell) and is_done(out, model_cell)):
        return None
    retrieved_rows, _ = read_cell(out, retrieved_cell)
    model_rows, model_run = read_cell(out, model_cell)
    first = retrieved_tests_first(TOP_K, first)  # as the product builds a list of TOP_K (None: the default)
    nearest = {r["id"]: r.get("candidates") or [r["top1"]] for r in retrieved_rows}  # in the re-ranker's order
    agree = agreement_applies(first, TOP_K)
    model = {r["id"]: r for r in model_rows}
    # a model cell stored since the likelihood stage carries the retrieved tests as its model orders them; the
    # product leads with that order where the defaults say so for this kind of model
    by_model = (likelihood_orders(model_cell.system.split("+")[0] != "base") and bool(model_rows)
                and all("retrieved" in r for r in model_rows))
    retrieved = {r["id"]: r["retrieved"] for r in model_rows} if by_model else nearest
    rows = []
    for pair in test:
        if pair.id not in retrieved or pair.id not in model:
            return None  # parts computed on other test pairs (another --max-test): not comparable
        m = model[pair.id]
        own = m.get("candidates") or [m["top1"]]
        if agree:
            own = by_agreement(own, nearest[pair.id])
        cands = lead_with(retrieved[pair.id][:first], own, TOP_K, key=normalize_whitespace)
        nll = None if m.get("nll") is None else (m["nll"], m["ref_tokens"])
        led = first > 0 and bool(retrieved[pair.id])
        rows.append(score_pair(pair, cands, nll=nll, hit_limit=False if led else m.get("hit_limit")))
    run = {"system": cell.system, "retrieved_first": first, "agreement": agree,
           "wall_s": (model_run or {}).get("wall_s", 0.0),
           "retrieved_by": (model_run or {}).get("retrieved_by") if by_model else None,
           "pflops": (model_run or {}).get("pflops", 0.0), "device": (model_run or {}).get("device")}
    return rows, run
