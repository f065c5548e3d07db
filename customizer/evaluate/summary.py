"""The top of ``docs/evaluation.md``: pooled answers (does personalization beat the base model, does anything beat
the retrieval bar) and the shipped defaults with the numbers behind them, all computed from the stored cells."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict
from typing import Any

from customizer.decoding import DecodingConfig
from customizer.defaults import (
    DEFAULT_RETRIEVAL,
    DEFAULT_RETRIEVED_FIRST,
    DEFAULT_STRATEGY,
    LIKELIHOOD_ORDER_ADAPTER,
    LIKELIHOOD_ORDER_BASE,
    agreement_applies,
    likelihood_orders,
)
from customizer.evaluate.hybrid import is_hybrid
from customizer.evaluate.numbers import fmt_p
from customizer.evaluate.stats import Comparison, pair_scores, wilcoxon
from customizer.evaluate.systems import RETRIEVAL_SYSTEMS, order_systems

Rows = list[dict[str, Any]]
SPLITS = ("method", "class", "random")
ALPHA = 0.01


def _scores(repos: Mapping[str, Mapping[str, Rows]], system: str, metric: str = "bleu") -> dict[str, float]:
    """Per-pair scores of ``system`` across packages, keyed ``repo/id`` (top-1 for list metrics)."""
    return pair_scores(repos, system, lambda row: float(v[0] if isinstance(v := row[metric], list) else v))


def _top5(repos: Mapping[str, Mapping[str, Rows]], system: str) -> dict[str, float]:
    return pair_scores(repos, system, lambda row: float(row["abstracted"][-1]))


def _packages(repos: Mapping[str, Mapping[str, Rows]], a: str, b: str) -> int:
    return sum(1 for s in repos.values() if s.get(a) and s.get(b))


def _pct(scores: dict[str, float], keys: set[str]) -> float:
    return 100 * sum(scores[k] for k in keys) / len(keys) if keys else float("nan")


def _verdict(c: Comparison, above: str, below: str) -> str:
    if not c.significant(ALPHA):
        return "no significant difference"
    return above if c.delta > 0 else below


def compare(repos: Mapping[str, Mapping[str, Rows]], a: str, b: str) -> Comparison:
    """Paired Wilcoxon on per-pair BLEU of ``a`` vs ``b``, pooled over every package that has both."""
    return wilcoxon(a, _scores(repos, a), b, _scores(repos, b))


def _systems(repos: Mapping[str, Mapping[str, Rows]]) -> set[str]:
    return {s for systems in repos.values() for s in systems if s != "__runs__"}


def _share(repos: Mapping[str, Mapping[str, Rows]], system: str, key: str) -> str:
    """Percent of ``system``'s rows whose ``key`` is true, over the rows that record it ("–" when none do)."""
    values = [bool(r[key]) for s in repos.values() for r in s.get(system, []) if r.get(key) is not None]
    return f"{100 * sum(values) / len(values):.1f}" if values else "–"


_UNKNOWN = object()  # a setting the recorded decoding does not have


def _decoding_kind(recorded: Any, shipped: dict[str, Any]) -> str:
    """``shipped``; ``shipped before X, Y`` when the recorded decoding equals today's except settings it does not
    know (pieces added since, such as ``retry_beams``); ``earlier`` otherwise."""
    if not isinstance(recorded, dict):
        return "earlier"
    differ = [k for k in shipped if recorded.get(k, _UNKNOWN) != shipped[k]]
    if not differ:
        return "shipped"
    if all(k not in recorded for k in differ):
        return "shipped before " + ", ".join(f"`{k}`" for k in differ)
    return "earlier"


def decoding_of(repos: Mapping[str, Mapping[str, Rows]], system: str) -> str:
    """How ``system``'s cells were decoded, from their run records: ``shipped`` (the current default decoding),
    ``shipped before `setting` `` (today's decoding but for settings added since), ``earlier`` (cells stored before
    runs recorded their decoding, or with other settings), or several, with the runtimes that decoded them."""
    shipped = asdict(DecodingConfig())
    runs = [r for s in repos.values() for r in s.get("__runs__", []) if r.get("system") == system]
    kinds = sorted({_decoding_kind(r.get("decoding"), shipped) for r in runs})
    runtimes = sorted({str(r["runtime"]) for r in runs if r.get("runtime")})
    return "+".join(kinds) + (f" ({', '.join(runtimes)})" if runtimes else "") if kinds else "–"


def model_ordered(repos: Mapping[str, Mapping[str, Rows]], system: str) -> tuple[int, int]:
    """(packages whose ``system`` cells had their retrieved tests ordered by the model's likelihood, packages with
    ``system`` cells): a hybrid cell made from a model cell stored before the likelihood stage leads with the
    ``retrieve`` cell's order (``retrieved_by`` None in its run)."""
    packages = [s for s in repos.values() if s.get(system)]
    ordered = sum(1 for s in packages if any(r.get("system") == system and r.get("retrieved_by")
                                            for r in s.get("__runs__", [])))
    return ordered, len(packages)


def render_summary(data: Mapping[str, Mapping[str, Mapping[str, Rows]]]) -> list[str]:
    lines = ["## Summary", "",
             "Pooled over every package where both systems have cells, on the same held-out test pairs (one fold "
             f"each): mean BLEU-4 of the top-1, paired Wilcoxon signed-rank on per-pair BLEU (significant at p < "
             f"{ALPHA}), and top-1 / top-5 abstracted match (%) on the same pairs. `hybrid-X` is the candidate list "
             "the product ships: the project's nearest existing tests (adapted; `DEFAULT_RETRIEVED_FIRST` of them, in "
             "the re-ranker's order, or re-ordered by X's likelihood of each where the defaults say so: see "
             "Shipped defaults) first, then X's candidates. *parses*: top-1 parses as a Java method (%); *cut*: "
             "the model's top-1 reached the decoder's length limit (%); *decoding*: `shipped` where the cells were "
             "decoded with today's default decoding (recorded in each cell's run), `shipped before` a setting where "
             "they were "
             "decoded with it but for that setting, added since, `earlier` where they were stored before (before "
             "cells recorded it, or with other settings), with the runtime that decoded them.", ""]
    for split in [s for s in SPLITS if s in data] + sorted(set(data) - set(SPLITS)):
        repos = data[split]
        systems = _systems(repos)
        others = [s for s in order_systems(systems) if s not in ("retrieve",)]
        if not others:
            continue
        lines += [f"### `{split}` split", "",
                  "| system | packages | pairs | BLEU | vs base: Δ BLEU | p | vs retrieve: Δ BLEU | p | abs@1 | "
                  "retrieve abs@1 | abs@5 | retrieve abs@5 | parses | cut | decoding |",
                  "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
        sentences = []
        for system in others:
            mine = _scores(repos, system)
            vs_base = compare(repos, system, "base") if system != "base" and "base" in systems else None
            vs_ret = compare(repos, system, "retrieve") if "retrieve" in systems else None
            shared = set(mine) & set(_scores(repos, "retrieve"))
            abs1, rabs1 = _scores(repos, system, "abstracted"), _scores(repos, "retrieve", "abstracted")
            abs5, rabs5 = _top5(repos, system), _top5(repos, "retrieve")
            n_pkg = sum(1 for s in repos.values() if s.get(system))
            lines.append(
                f"| {system} | {n_pkg} | {len(mine)} | {sum(mine.values()) / len(mine):.1f} | "
                + (f"{vs_base.delta:+.1f} | {fmt_p(vs_base.p_value)} | " if vs_base else "– | – | ")
                + (f"{vs_ret.delta:+.1f} | {fmt_p(vs_ret.p_value)} | " if vs_ret else "– | – | ")
                + f"{_pct(abs1, shared):.1f} | {_pct(rabs1, shared):.1f} | {_pct(abs5, shared):.1f} | "
                f"{_pct(rabs5, shared):.1f} | {_share(repos, system, 'parses')} | "
                f"{_share(repos, system, 'hit_limit')} | "
                f"{'–' if is_hybrid(system) or system in RETRIEVAL_SYSTEMS else decoding_of(repos, system)} |")
            if system in RETRIEVAL_SYSTEMS:  # the bar itself, in BM25's order: what the re-ranker adds
                if vs_ret is not None:
                    sentences.append(
                        f"- **{system} vs retrieve** (BM25's order vs re-ranked, the same neighbours): BLEU "
                        f"{vs_ret.mean_a:.1f} vs {vs_ret.mean_b:.1f} ({vs_ret.delta:+.1f}, "
                        f"p = {fmt_p(vs_ret.p_value)}), top-1 "
                        f"abstracted match {_pct(abs1, shared):.1f}% vs {_pct(rabs1, shared):.1f}%: "
                        f"{_verdict(vs_ret, 'the re-ranker is worse', 'the re-ranker is better')}.")
                continue
            if vs_base is not None and system.split("+")[0] != "base" and not is_hybrid(system):
                sentences.append(
                    f"- **{system} vs base**: BLEU {vs_base.mean_a:.1f} vs {vs_base.mean_b:.1f} ({vs_base.delta:+.1f}, "
                    f"p = {fmt_p(vs_base.p_value)}, {vs_base.n} pairs of {_packages(repos, system, 'base')} packages): "
                    f"{_verdict(vs_base, 'the customized model is better', 'the customized model is worse')}.")
            ordered, n_pkg = model_ordered(repos, system) if is_hybrid(system) else (0, 0)
            if vs_ret is not None and ordered:
                sentences.append(
                    f"- **{system} vs retrieve** (the shipped list, its retrieved tests ordered with "
                    f"`{system.removeprefix('hybrid-')}`'s likelihood on {ordered} of {n_pkg} packages): BLEU "
                    f"{vs_ret.mean_a:.1f} vs {vs_ret.mean_b:.1f} ({vs_ret.delta:+.1f}, "
                    f"p = {fmt_p(vs_ret.p_value)}), top-1 "
                    f"abstracted match {_pct(abs1, shared):.1f}% vs {_pct(rabs1, shared):.1f}%: "
                    f"{_verdict(vs_ret, 'above the retrieval bar', 'below the retrieval bar')}.")
            if system.split("+")[0] not in ("base", DEFAULT_STRATEGY) and not is_hybrid(system) \
                    and DEFAULT_STRATEGY in systems:
                vs_default = compare(repos, system, DEFAULT_STRATEGY)
                if vs_default.n:
                    sentences.append(
                        f"- **{system} vs {DEFAULT_STRATEGY}** (the default strategy): BLEU {vs_default.mean_a:.1f} "
                        f"vs {vs_default.mean_b:.1f} ({vs_default.delta:+.1f}, p = {fmt_p(vs_default.p_value)}, "
                        f"{vs_default.n} pairs of {_packages(repos, system, DEFAULT_STRATEGY)} packages): "
                        f"{_verdict(vs_default, f'better than {DEFAULT_STRATEGY}', f'worse than {DEFAULT_STRATEGY}')}.")
            if vs_ret is not None and not is_hybrid(system):
                sentences.append(
                    f"- **{system} vs retrieve**: BLEU {vs_ret.mean_a:.1f} vs {vs_ret.mean_b:.1f} "
                    f"({vs_ret.delta:+.1f}, p = {fmt_p(vs_ret.p_value)}): "
                    f"{_verdict(vs_ret, 'above the retrieval bar', 'below the retrieval bar')}.")
        lines += ["", *sentences, ""]
    return lines


def sweep_retrieved_first(repos: Mapping[str, Mapping[str, Rows]], strategy: str, k: int = 5
                          ) -> list[dict[str, float]]:
    """For n = 0..k retrieved tests leading ``strategy``'s candidates (the product's list): top-1 BLEU, top-1 and
    top-k abstracted match (%) and the best BLEU among the k, over the pairs where both cells kept candidates. As
    the product builds the list: the retrieved tests in the model's order where the defaults let it order them
    (and its cell stored that order), else the re-ranker's; the model's candidates ordered by agreement with the
    nearest tests where ``AGREEMENT_ORDER`` is on."""
    from customizer.decoding import lead_with
    from customizer.evaluate.abstraction import abstracted_match
    from customizer.evaluate.metrics import bleu
    from customizer.java.source_text import normalize_whitespace
    from customizer.retrieval.agreement import by_agreement

    by_model = likelihood_orders(adapter=strategy.split("+")[0] != "base")
    lists = []
    for systems in repos.values():
        retrieved = {r["id"]: r for r in systems.get("retrieve", []) if r.get("candidates")}
        for row in systems.get(strategy, []):
            if row.get("candidates") and row["id"] in retrieved:
                tests = retrieved[row["id"]]["candidates"]
                own = by_agreement(row["candidates"], tests) if agreement_applies(0, k) else row["candidates"]
                lists.append((row.get("retrieved") if by_model and row.get("retrieved") else tests, own,
                              row["reference"]))
    scores: dict[tuple[str, str], tuple[float, bool]] = {}

    def score(text: str, reference: str) -> tuple[float, bool]:
        if (text, reference) not in scores:
            scores[(text, reference)] = (bleu(text, reference), abstracted_match(text, reference))
        return scores[(text, reference)]

    out = []
    for n in range(k + 1):
        top1 = abs1 = absk = best = 0.0
        for retrieved_list, model_list, reference in lists:
            cands = lead_with(retrieved_list[:n], model_list, k, key=normalize_whitespace)  # as the product
            scored = [score(c, reference) for c in cands]
            top1 += scored[0][0] if scored else 0.0
            abs1 += bool(scored) and scored[0][1]
            absk += any(a for _, a in scored)
            best += max((b for b, _ in scored), default=0.0)
        m = max(1, len(lists))
        out.append({"n": n, "pairs": len(lists), "bleu1": top1 / m, "abs1": 100 * abs1 / m, "absk": 100 * absk / m,
                    "best_bleu": best / m})
    return out


def _rechosen_first(chosen: Iterable[tuple[str, str, str, Mapping[str, Any]]]
                    ) -> tuple[dict[str, float], dict[str, float], int, int]:
    """Score another choice of first candidate against the stored row it replaces. ``chosen``: (pair key, the text
    chosen first, the developer's test, the stored row whose top-1 it is compared with). Returns
    the per-pair BLEU of each (the chosen one rounded as :func:`score_pair` stores it) and how many of each are a
    top-1 abstracted (or exact) match."""
    from customizer.evaluate.abstraction import abstracted_match
    from customizer.evaluate.metrics import bleu, exact_match

    new: dict[str, float] = {}
    stored: dict[str, float] = {}
    abs_new = abs_stored = 0
    for key, text, reference, row in chosen:
        new[key] = round(bleu(text, reference), 3)
        stored[key] = float(row["bleu"])
        abs_new += exact_match(text, reference) or abstracted_match(text, reference)
        abs_stored += bool(row["abstracted"][0])
    return new, stored, abs_new, abs_stored


def model_ordered_lead(repos: Mapping[str, Mapping[str, Rows]], system: str
                       ) -> tuple[Comparison, float, float, int]:
    """The first retrieved test as ``system``'s model orders them (stored per row since the likelihood stage) vs as
    the re-ranker alone does (the ``retrieve`` cell's top-1), on the pairs both have: the paired BLEU comparison,
    the top-1 abstracted match (%) of each and how many packages those pairs come from. Measured whatever the
    product ships, so the default can follow it."""
    chosen = []
    for repo, systems in repos.items():
        bar = {r["id"]: r for r in systems.get("retrieve", [])}
        chosen += [(f"{repo}/{row['id']}", row["retrieved"][0], row["reference"], bar[row["id"]])
                   for row in systems.get(system, []) if row.get("retrieved") and row["id"] in bar]
    ordered, reranked, abs_ordered, abs_reranked = _rechosen_first(chosen)
    n = max(1, len(ordered))
    packages = len({key.split("/")[0] for key in ordered})
    return (wilcoxon(f"{system}-ordered", ordered, "re-ranker", reranked), 100 * abs_ordered / n,
            100 * abs_reranked / n, packages)


def agreement_effect(repos: Mapping[str, Mapping[str, Rows]], system: str) -> tuple[Comparison, float, float]:
    """``system``'s first candidate ordered by agreement with the project's nearest tests (the ``retrieve`` cell's,
    :func:`customizer.retrieval.agreement.by_agreement`) vs its beam order (as its cell stored it), on the pairs
    whose rows kept their candidates: the paired BLEU comparison and the top-1 abstracted match (%) of each."""
    from customizer.retrieval.agreement import by_agreement

    chosen = []
    for repo, systems in repos.items():
        bar = {r["id"]: r for r in systems.get("retrieve", []) if r.get("candidates")}
        chosen += [(f"{repo}/{row['id']}", by_agreement(row["candidates"], bar[row["id"]]["candidates"])[0],
                    row["reference"], row)
                   for row in systems.get(system, []) if row.get("candidates") and row["id"] in bar]
    agreed, beam, abs_agreed, abs_beam = _rechosen_first(chosen)
    n = max(1, len(agreed))
    return wilcoxon(f"{system}-agreement", agreed, f"{system}-beam", beam), 100 * abs_agreed / n, 100 * abs_beam / n


def _agreement_lines(data: Mapping[str, Mapping[str, Mapping[str, Rows]]], strategy: str) -> list[str]:
    """The bullet on ordering the model's candidates by agreement with the project's nearest tests: every split,
    the base model and the default strategy."""
    from customizer import defaults

    parts, follows, gains = [], True, []
    for split in [sp for sp in SPLITS if sp in data]:
        measured = []
        for system in ("base", strategy):
            c, abs_agreed, abs_beam = agreement_effect(data[split], system)
            if not c.n:
                continue
            gains.append(c.significant(ALPHA) and c.delta > 0)
            measured.append(f"`{system}` {c.mean_b:.1f} → {c.mean_a:.1f} ({c.delta:+.1f}, p = {fmt_p(c.p_value)}, "
                            f"{c.n} pairs; "
                            f"top-1 abstracted match {abs_beam:.1f}% → {abs_agreed:.1f}%)")
            if split == "method" and system == strategy:
                follows = (c.significant(ALPHA) and c.delta > 0) == defaults.AGREEMENT_ORDER
        if measured:
            parts.append(f"`{split}`: " + ", ".join(measured))
    if not parts:
        return []
    state = "on" if defaults.AGREEMENT_ORDER else "off"
    return [f"- **The model's candidates ordered by agreement with the project's nearest tests** (`AGREEMENT_ORDER`, "
            f"`customizer/retrieval/agreement.py`: the clean candidates, those that parse, declare no local twice "
            f"and do not repeat themselves, first by their summed BLEU against the re-ranker's "
            f"{defaults.AGREEMENT_TESTS} nearest tests, adapted; no model pass). BLEU of the model's first "
            "candidate, beam order → agreement order: " + "; ".join(parts) + f". {state.capitalize()}"
            + ("." if follows else " (the `method` measurement now disagrees: revisit `AGREEMENT_ORDER`).")
            + f" Chosen on these packages, so the gain is optimistic; significantly better in {sum(gains)} of "
            f"the {len(gains)} comparisons."]


def render_defaults(data: Mapping[str, Mapping[str, Mapping[str, Rows]]]) -> list[str]:
    """The defaults the product ships and the measured reason for each (the `method` split is the user's case:
    a test for a method that has none yet)."""
    repos = data.get("method")
    lines = ["## Shipped defaults", ""]
    if not repos or "retrieve" not in _systems(repos):
        return [*lines, "No `method`-split results with the retrieval baseline yet: the defaults are not backed "
                "by measurements.", ""]
    systems = _systems(repos)
    learned = [s for s in order_systems(systems) if s not in (*RETRIEVAL_SYSTEMS, "base") and "+" not in s
               and not is_hybrid(s)]
    lines.append("Chosen from the `method` split (`customizer/defaults.py`; the language server, the CLI and the "
                 "editor extension read them there).")
    lines.append("")
    s = DEFAULT_STRATEGY
    if s in systems:
        vb, vr = compare(repos, s, "base"), compare(repos, s, "retrieve")
        text = (f"- **Strategy `{s}`** (`DEFAULT_STRATEGY`): BLEU {vb.mean_a:.1f} vs the base model's {vb.mean_b:.1f} "
                f"on {vb.n} pairs of {_packages(repos, s, 'base')} packages ({vb.delta:+.1f}, p = {fmt_p(vb.p_value)})."
                if vb.n else f"- **Strategy `{s}`** (`DEFAULT_STRATEGY`): not compared with the base model yet (no "
                f"`base` cells on the packages `{s}` ran on).")
        others = {o: compare(repos, o, s) for o in learned if o != s}
        for other, c in others.items():
            if c.n:
                text += (f" `{other}` on the {c.n} pairs of the {_packages(repos, other, s)} packages it ran on: "
                         f"{c.mean_a:.1f} vs {c.mean_b:.1f} for `{s}` ({c.delta:+.1f}, p = {fmt_p(c.p_value)}, "
                         f"{_verdict(c, 'better', 'worse')}).")
        better = [o for o, c in others.items() if c.significant(ALPHA) and c.delta > 0]
        text += (f" `{s}` stays the default: no strategy is significantly better on the pairs both ran, and it is "
                 "measured on every package." if not better
                 else f" `{better[0]}` is significantly better than `{s}`: the default should move to it.")
        lines.append(text)
        above = [o for o in learned if (c := compare(repos, o, "retrieve")).significant(ALPHA) and c.delta > 0]
        headline = ("Nothing learned beats the retrieval bar." if not above
                    else f"`{', '.join(above)}` beat{'s' if len(above) == 1 else ''} the retrieval bar.")
        lines.append(f"- **{headline}** `{s}` scores BLEU {vr.mean_a:.1f} against "
                     f"{vr.mean_b:.1f} for the project's nearest existing test, adapted, on the same {vr.n} pairs "
                     f"({vr.delta:+.1f}, p = {fmt_p(vr.p_value)}).")
    orders = []
    for kind, system, shipped in (("the base model", "base", LIKELIHOOD_ORDER_BASE),
                                  (f"the `{s}` adapter", s, LIKELIHOOD_ORDER_ADAPTER)):
        c, abs_model, abs_bar, n_pkg = model_ordered_lead(repos, system)
        if not c.n:
            continue
        verdict = _verdict(c, "better", "worse")
        follows = shipped == (c.significant(ALPHA) and c.delta > 0)  # on exactly where it measured better
        orders.append(f"with {kind}: BLEU of the first {c.mean_a:.1f} vs {c.mean_b:.1f} with the re-ranker alone "
                      f"({c.delta:+.1f}, p = {fmt_p(c.p_value)}, {c.n} pairs of {n_pkg} packages, {verdict}), top-1 "
                      f"abstracted match {abs_model:.1f}% vs {abs_bar:.1f}%; "
                      f"{'on' if shipped else 'off'}"
                      + ("" if follows else " (the measurement now disagrees: revisit "
                         f"`LIKELIHOOD_ORDER_{'BASE' if system == 'base' else 'ADAPTER'}`)"))
    if orders:
        lines.append("- **The answering model orders the retrieved tests** (`LIKELIHOOD_ORDER_BASE`, "
                     "`LIKELIHOOD_ORDER_ADAPTER`; the re-ranker's first 5 re-ordered by re-ranker score + the "
                     "learned weight × the model's mean token log-probability of each, `customizer/retrieval/"
                     "likelihood.py`): " + "; ".join(orders) + ".")
    lines += _agreement_lines(data, s)
    hybrid = f"hybrid-{s}"
    if hybrid in systems and "retrieve" in systems:
        c = compare(repos, hybrid, "retrieve")
        ordered, n_pkg = model_ordered(repos, hybrid)
        shared = set(_scores(repos, hybrid)) & set(_scores(repos, "retrieve"))
        abs_list, abs_bar = _scores(repos, hybrid, "abstracted"), _scores(repos, "retrieve", "abstracted")
        how = (f"chosen by the re-ranker and then by the `{s}` adapter's likelihood of each; ordered so on "
               f"{ordered} of {n_pkg} packages" if LIKELIHOOD_ORDER_ADAPTER else
               "chosen by the re-ranker: the likelihood order is off")
        lines.append(f"- **The shipped list vs the bar**: its first candidate (the nearest existing test, adapted, "
                     f"{how}) scores BLEU {c.mean_a:.1f} vs {c.mean_b:.1f} for the retrieval "
                     f"bar on {c.n} pairs ({c.delta:+.1f}, p = {fmt_p(c.p_value)}), top-1 abstracted match "
                     f"{_pct(abs_list, shared):.1f}% vs {_pct(abs_bar, shared):.1f}%: "
                     f"{_verdict(c, 'the shipped default beats the bar', 'the shipped default is below the bar')}.")
    sweep = sweep_retrieved_first(repos, s)
    if sweep and sweep[0]["pairs"]:
        best = max(sweep, key=lambda r: (round(r["best_bleu"], 1), -r["n"]))
        shipped = next((r for r in sweep if r["n"] == DEFAULT_RETRIEVED_FIRST), None)
        lines.append(
            f"- **Candidates: up to {DEFAULT_RETRIEVED_FIRST} of the project's nearest existing tests, adapted, "
            f"first** (`DEFAULT_RETRIEVED_FIRST = {DEFAULT_RETRIEVED_FIRST}`), then the `{s}` adapter's; a list of "
            "two or more keeps its last place for the model, a single candidate is the nearest test, and a project "
            f"without tests gets the model's only. How many to put first, on the {sweep[0]['pairs']} pairs where both "
            "kept their candidates (5 in all; *best BLEU* is the best top-5 candidate's, what a user picking from "
            "the list gets):")
        lines += ["", "  | retrieved first | top-1 BLEU | abs@1 | abs@5 | best BLEU of 5 |", "  |---|---|---|---|---|"]
        lines += [f"  | {r['n']} | {r['bleu1']:.1f} | {r['abs1']:.1f} | {r['absk']:.1f} | {r['best_bleu']:.1f} |"
                  for r in sweep]
        lines.append("")
        if shipped is not None and shipped["n"] == best["n"]:
            lines.append(f"  {best['n']} gives the best BLEU of the five ({best['best_bleu']:.1f}); top-5 abstracted "
                         f"match is {shipped['absk']:.1f}% (at most {max(r['absk'] for r in sweep):.1f}%). The "
                         f"value was chosen on these pairs, so the gain over its neighbours is optimistic.")
        else:
            lines.append(f"  The sweep now prefers {best['n']} (best BLEU {best['best_bleu']:.1f}): update "
                         "`DEFAULT_RETRIEVED_FIRST`.")
        lines.append("")
    with_context = [x for x in order_systems(systems) if "+r" in x and not is_hybrid(x)]
    parts, helps = [], []
    for x in with_context:
        c = compare(repos, x, x.split("+")[0])
        parts.append(f"`{x}` vs `{x.split('+')[0]}`: {c.mean_a:.1f} vs {c.mean_b:.1f} ({c.delta:+.1f}, p = "
                     f"{fmt_p(c.p_value)}, {c.n} pairs, {_verdict(c, 'better', 'worse')})")
        if c.significant(ALPHA) and c.delta > 0:
            helps.append(x)
    evidence = "; ".join(parts) or "not measured with this base model yet"
    verdict = (f"`{helps[0]}` is significantly better: the default should move to it." if helps
               else "Off: no run shows it helps." if DEFAULT_RETRIEVAL == 0 else "")
    lines.append(f"- **Retrieved tests in the model input** (`DEFAULT_RETRIEVAL = {DEFAULT_RETRIEVAL}`): "
                 f"{evidence}. {verdict}".rstrip())
    lines.append("- **Decoding**: repetition control, the project's length prior and non-parsing candidates ranked "
                 "last, as measured in the Decoding section below.")
    return [*lines, ""]
