"""The "Decoding" section of ``docs/evaluation.md``, rendered from ``docs/decoding.json``.

``scripts/decoding_stats.py`` writes that JSON (dev-eval measurements per decoding configuration, and the base
corpus' repetition and length statistics). It lives in ``docs/`` beside the report rather than in the evaluation
results folder, so regenerating the report on any machine keeps the section.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from customizer.evaluate.store import read_json_if_present

DECODING_JSON = "decoding.json"
_ORDER = ("legacy", "no-repair", "no-redeclare", "no-redeclare-stop", "default", "default+onnx",
          "no-redeclare-stop+onnx", "blocker-end-only+onnx", "no-syntax-guard+onnx", "no-shape+onnx", "no-retry",
          "no-retry+onnx", "beams-2")
_LABEL = {"legacy": "before (first decoding)", "no-repair": "after, without repair",
          "no-redeclare": "after, without the redeclared-local rank or blocker",
          "no-redeclare-stop": "after, redeclared locals ranked last but not blocked",
          "no-redeclare-stop+onnx": "after, redeclared locals ranked last but not blocked, ONNX Runtime",
          "default": "after (shipped)",
          "default+onnx": "after (shipped), ONNX Runtime", "beams-2": "after, 2 beams, top-1 only",
          "blocker-end-only+onnx": "after, the blocker forbidding only the end of a redeclared name, ONNX Runtime",
          "no-syntax-guard": "after, without the syntax guard or the declaration-shape blocker",
          "no-syntax-guard+onnx": "after, without the syntax guard or the declaration-shape blocker, ONNX Runtime",
          "no-shape+onnx": "after, without the declaration-shape blocker, ONNX Runtime",
          "no-retry": "after, without the wider second search",
          "no-retry+onnx": "after, without the wider second search, ONNX Runtime"}
# pieces added after rows were first stored, oldest first: a row whose recorded decoding lacks the setting was decoded
# before the piece existed
_PIECES = (("syntax_penalty", "the syntax guard"), ("retry_beams", "the wider second search"))


def _label(name: str, r: dict[str, Any]) -> str:
    """A row's label: its configuration, the sample size when not the default 2 pairs per package, and the first
    decoding piece it was decoded before (its recorded decoding does not know the setting)."""
    key, _, per_package = name.partition("@")
    label = _LABEL.get(key, key)
    if per_package:
        label += f", {per_package} pairs per package"
    decoding = r.get("decoding") or {}
    missing = next((piece for setting, piece in _PIECES if setting not in decoding), None)
    if key != "legacy" and missing:
        label += f" (measured before {missing})"
    return label


def _order(name: str) -> tuple[int, str]:
    key, _, per_package = name.partition("@")
    return (_ORDER.index(key) if key in _ORDER else len(_ORDER), per_package.zfill(4))


def _row(name: str, r: dict[str, Any]) -> str:
    return (f"| {_label(name, r)} | {r['pairs']} | {r['max_new_tokens']} | {r['parse_rate']:.1f} | "
            f"{r['hit_limit']:.1f} | {r['degenerate']:.1f} | {r['repaired']:.1f} | {r['distinct_top1']:.1f} | "
            f"{r['bleu']:.1f} | {r['wall_s_per_pair']:.1f} |")


def _comparison(configs: dict[str, Any]) -> list[str]:
    """Sentences that read the table: before → after, and what the repair alone contributes."""
    out = []
    before, after, unrepaired = configs.get("legacy"), configs.get("default"), configs.get("no-repair")
    if before and after:
        out.append(f"Before → after: top-1 parse rate {before['parse_rate']:.1f}% → {after['parse_rate']:.1f}%, "
                   f"cut at the length limit {before['hit_limit']:.1f}% → {after['hit_limit']:.1f}%, degenerate "
                   f"{before['degenerate']:.1f}% → {after['degenerate']:.1f}%, BLEU-4 {before['bleu']:.1f} → "
                   f"{after['bleu']:.1f}.")
    if after and unrepaired:
        out.append(f"Truncation repair alone: parse rate {unrepaired['parse_rate']:.1f}% without it, "
                   f"{after['parse_rate']:.1f}% with it ({after['repaired']:.1f}% of top-1 outputs repaired), "
                   f"BLEU-4 {unrepaired['bleu']:.1f} vs {after['bleu']:.1f}.")
    plain = configs.get("no-redeclare")
    if after and plain:
        out.append(f"Against neither ranking candidates that declare a local twice (javac rejects them) last nor "
                   f"keeping beams from it: top-1 "
                   f"BLEU-4 {plain['bleu']:.1f} → {after['bleu']:.1f}, parses {plain['parse_rate']:.1f}% → "
                   f"{after['parse_rate']:.1f}%, degenerate {plain['degenerate']:.1f}% → {after['degenerate']:.1f}%"
                   + (f", top-1 redeclaring {plain['redeclares']:.1f}% → {after['redeclares']:.1f}%"
                      if "redeclares" in plain and "redeclares" in after else "") + ".")
    unblocked = configs.get("no-redeclare-stop+onnx") or configs.get("no-redeclare-stop")
    blocked = configs.get("default+onnx") if "no-redeclare-stop+onnx" in configs else after
    if blocked and unblocked and "redeclares" in unblocked:
        out.append(f"Keeping beams from declaring a local twice while decoding (the blocker and stop), against "
                   f"only ranking such candidates last: top-1 redeclaring {unblocked['redeclares']:.1f}% → "
                   f"{blocked['redeclares']:.1f}%, degenerate {unblocked['degenerate']:.1f}% → "
                   f"{blocked['degenerate']:.1f}%, parses {unblocked['parse_rate']:.1f}% → "
                   f"{blocked['parse_rate']:.1f}%, BLEU-4 {unblocked['bleu']:.1f} → {blocked['bleu']:.1f}.")
    end_only, onnx = configs.get("blocker-end-only+onnx"), configs.get("default+onnx")
    if end_only and onnx:
        mine, theirs = onnx.get("top1_sha", {}), end_only.get("top1_sha", {})
        differ = sum(mine[key] != theirs[key] for key in set(mine) & set(theirs))
        out.append(f"Letting a redeclared name only grow, against forbidding only the token that would end it (the "
                   f"first blocker, which let the model write `Jar Jar jar = …`; both ONNX Runtime): the top-1 "
                   f"differs on {differ} of {len(set(mine) & set(theirs))} pairs, parses "
                   f"{end_only['parse_rate']:.1f}% → {onnx['parse_rate']:.1f}%, degenerate "
                   f"{end_only['degenerate']:.1f}% → {onnx['degenerate']:.1f}%, BLEU-4 {end_only['bleu']:.1f} → "
                   f"{onnx['bleu']:.1f}.")
    if after and onnx:
        out.append(_runtime_agreement(after, onnx))
    out += _guard_effects(configs)
    narrow = configs.get("beams-2")
    if after and narrow:
        verdict = "keeps 5" if narrow["bleu"] < after["bleu"] or narrow["parse_rate"] < after["parse_rate"] else \
            "could use 2"
        out.append(f"Fewer beams for the single candidate the model adds after the retrieved tests (the default "
                   f"list): 2 beams take {narrow['wall_s_per_pair']:.1f} s per pair instead of "
                   f"{after['wall_s_per_pair']:.1f}, at top-1 BLEU-4 {narrow['bleu']:.1f} vs {after['bleu']:.1f}, "
                   f"parses {narrow['parse_rate']:.1f}% vs {after['parse_rate']:.1f}%, degenerate "
                   f"{narrow['degenerate']:.1f}% vs {after['degenerate']:.1f}%: the product {verdict} beams.")
    return out


def _effect(what: str, without: dict[str, Any], with_: dict[str, Any]) -> str:
    """One decoding piece against the same decoding without it, on the same pairs."""
    mine, theirs = with_.get("top1_sha", {}), without.get("top1_sha", {})
    common = set(mine) & set(theirs)
    return (f"{what} ({with_['pairs']} pairs, ONNX Runtime): the top-1 differs on "
            f"{sum(mine[k] != theirs[k] for k in common)} of {len(common)} pairs, parses "
            f"{without['parse_rate']:.1f}% → {with_['parse_rate']:.1f}%, degenerate {without['degenerate']:.1f}% "
            f"→ {with_['degenerate']:.1f}%, repaired {without['repaired']:.1f}% → {with_['repaired']:.1f}%, "
            f"BLEU-4 {without['bleu']:.1f} → {with_['bleu']:.1f}, {without['wall_s_per_pair']:.1f} → "
            f"{with_['wall_s_per_pair']:.1f} s per pair.")


def _guard_effects(configs: dict[str, Any]) -> list[str]:
    """The syntax guard (and the declaration-shape blocker) against the decoding without them, sample by sample."""
    out = []
    for name in sorted((n for n in configs if n.partition("@")[0] in ("no-syntax-guard+onnx", "no-shape+onnx",
                                                                       "no-retry+onnx")), key=_order):
        key, _, per_package = name.partition("@")
        sample = f"@{per_package}" if per_package else ""
        guarded = configs.get("default+onnx" + sample)
        if key != "no-retry+onnx" and "retry_beams" not in (configs[name].get("decoding") or {}):
            guarded = configs.get("no-retry+onnx" + sample) or guarded  # measured before the second search: against
            # the same decoding without it, so the piece's own effect is read
        if not guarded:
            continue
        if key == "no-retry+onnx":
            what = (f"The wider second search ({guarded['decoding'].get('retry_beams')} beams for an input none of "
                    f"whose candidates parses; {guarded.get('searched_again', 0.0):.1f}% of the pairs were searched "
                    "again)")
        elif key == "no-shape+onnx":
            what = "The declaration-shape blocker, on top of the syntax guard"
        else:
            shape = " and the declaration-shape blocker" if guarded["decoding"].get("declaration_shape") else ""
            what = (f"The syntax guard{shape} (a beam loses {guarded['decoding']['syntax_penalty']:g} nats on the "
                    "line that brings a syntax error)")
        out.append(_effect(what, configs[name], guarded))
    return out


def _runtime_agreement(torch_row: dict[str, Any], onnx_row: dict[str, Any]) -> str:
    """The ONNX Runtime row against PyTorch's: same top-1 pair by pair, and the time per pair."""
    mine, theirs = onnx_row.get("top1_sha", {}), torch_row.get("top1_sha", {})
    common = sorted(set(mine) & set(theirs))
    same = sum(mine[key] == theirs[key] for key in common)
    agreement = (f"the top-1 equals PyTorch's on {same} of {len(common)} pairs" if common else
                 "top-1 agreement not measured (rerun both rows)")
    return (f"ONNX Runtime (`testtailor.runtime` `auto` in the editor on a CPU): {agreement}; "
            f"{onnx_row['wall_s_per_pair']:.1f} s per pair instead of {torch_row['wall_s_per_pair']:.1f} "
            f"({torch_row['wall_s_per_pair'] / max(onnx_row['wall_s_per_pair'], 1e-9):.2f}x), parses "
            f"{onnx_row['parse_rate']:.1f}% vs {torch_row['parse_rate']:.1f}%, BLEU-4 {onnx_row['bleu']:.1f} vs "
            f"{torch_row['bleu']:.1f}.")


def _line_repeats(counts: dict[str, int], tests: int) -> str:
    """How often developers repeat a line n times: what the line-loop stop (6th copy) would cut."""
    return ("- Developer tests that repeat a line (4+ characters) n or more times: " + ", ".join(
        f"{n}: {c} ({100 * c / max(1, tests):.2f}%)" for n, c in sorted(counts.items(), key=lambda kv: int(kv[0])))
        + "; the line-loop stop ends a beam at the 6th copy.")


def render_decoding(docs: Path) -> list[str]:
    """Markdown lines of the section, or none when ``docs/decoding.json`` is absent."""
    data = read_json_if_present(docs / DECODING_JSON)
    if data is None:
        return []
    configs: dict[str, Any] = data.get("configs", {})
    lines = ["## Decoding", "",
             "Top-1 candidate of the shipped base model (no adapter) on a seeded sample of the dev-eval packages "
             "(`customizer.basemodel.card.sample_dev_eval`), beam 5, CPU, one thread. *Cut at limit*: the decoder "
             "reached `max_new_tokens` (counted before any repair); *degenerate*: cut at the limit or looping "
             "(one criterion for every row); *repaired*: open braces closed after the output stopped early or "
             "was cut back to its last complete statement, kept only because the result parses.", ""]
    if configs:
        lines += ["| decoding | pairs | max new tokens | parses % | cut at limit % | degenerate % | repaired % | "
                  "distinct top-1 % | BLEU-4 | s/pair |", "|---|---|---|---|---|---|---|---|---|---|"]
        names = sorted(configs, key=_order)
        lines += [_row(name, configs[name]) for name in names]
        lines += ["", *_comparison(configs)]
        lines += ["", "Commands (each writes its row into `docs/decoding.json`):", "", "```bash",
                  *[configs[name]["command"] for name in names],
                  "testtailor evaluate-report --out <results> --docs docs  # re-renders this section", "```",
                  ""]
    corpus = data.get("corpus")
    if corpus:
        prior = corpus["prior"]
        lines += [f"Base corpus ({corpus['tests']:,} developer tests of the base model's training data):", "",
                  f"- Length prior (log-normal): median {prior['p50']} tokens, 90th percentile {prior['p90']}, "
                  f"99th {prior['p99']}, longest {prior['max']}; `max_new_tokens` without an adapter = "
                  f"{corpus['max_new_tokens']} (99th percentile x 1.15 + 4). An adapter stores the prior of its "
                  "project's tests and uses it instead.",
                  "- Developer tests the loop blocker would have altered: " + ", ".join(
                      f"{b['max_repeats']} repeats of units up to {b['max_period']} tokens: {b['altered']}"
                      for b in corpus["blocking"].values()) + ".",
                  f"- Developer tests flagged degenerate: {corpus['degenerate_flagged']['default']} "
                  f"(first version's criterion: {corpus['degenerate_flagged']['legacy']}).",
                  *([_line_repeats(corpus["line_repeats"], corpus["tests"])] if "line_repeats" in corpus else []),
                  *(["- Developer tests in which a unit of 3..16 tokens occurs n times within 64 tokens (not "
                     "necessarily back to back): " + ", ".join(f"{n}: {c}" for n, c in corpus["window"].items())
                     + "; the window blocker forbids the 11th occurrence."] if "window" in corpus else []),
                  *([f"- Developer tests the redeclaration blocker or stop would have altered: "
                     f"{corpus['redeclaration_altered']} (javac rejects a test that declares a local twice, so each "
                     "would be a fault of the scope check)."] if "redeclaration_altered" in corpus else []),
                  "",
                  "```bash", f"python scripts/decoding_stats.py corpus --data {corpus['data']} --write-prior", "```",
                  ""]
    guards = data.get("guards")
    if guards:
        lines += [f"Developer tests of the {guards['packages']} dev-eval packages that parse ({guards['tests']:,}), "
                  f"judged line by line as the decoder judges a beam: the syntax guard would have penalized "
                  f"{guards['syntax_guard_altered']}, the redeclaration blocker or stop would have altered "
                  f"{guards['redeclaration_altered']}"
                  + (f", the declaration-shape blocker {guards['declaration_shape_altered']}"
                     if "declaration_shape_altered" in guards else "")
                  + " (each would be a fault of the judgement; "
                  f"`{guards['command']}`).", ""]
    personal = data.get("personalized")
    if personal:
        lines += [_personalized(personal), "", "```bash", personal["command"], "```", ""]
    notes = data.get("notes")
    if notes:
        lines += [notes, ""]
    return lines


def _personalized(r: dict[str, Any]) -> str:
    """The second search on adapters trained here: parse rate and BLEU with and without it, on the same pairs."""
    packages = r["packages"]
    names = ", ".join(p["package"] for p in packages)
    losses = "; ".join(f"{p['package']} {p['base_val_loss']:.2f} → {p['best_val_loss']:.2f}" for p in packages)
    return (f"On personalized models: `{r['strategy']}` trained on this CPU ({r['max_pflops']:g} PF-s per package) "
            f"on the `method`-split training fold of {names} "
            f"(validation loss {losses}), top-1 of their {r['pairs']} test pairs decoded as the product decodes: the "
            f"second search ran for {r['searched_again']:.1f}% of the pairs; parses {r['parse_rate_without']:.1f}% "
            f"→ {r['parse_rate']:.1f}%, BLEU-4 {r['bleu_without']:.1f} → {r['bleu']:.1f}.")


def refresh_decoding_section(report: str, docs: Path) -> str:
    """``report`` (the text of ``docs/evaluation.md``) with its "Decoding" section rendered anew from
    ``docs/decoding.json``, the rest untouched: for when the results folder the report was made from is not at
    hand. A report without the section gets it at the end."""
    lines = report.rstrip("\n").split("\n")
    start = next((i for i, line in enumerate(lines) if line == "## Decoding"), len(lines))
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines))
    section = render_decoding(docs)
    if start == len(lines) and section:
        section = ["", *section]
    return "\n".join(lines[:start] + section + lines[end:]).rstrip("\n") + "\n"
