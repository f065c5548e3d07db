"""``docs/evaluation.md`` and its plots, generated from stored evaluation cells (nothing is typed in by hand)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from customizer.evaluate.decoding_report import render_decoding
from customizer.evaluate.kruskal_table import render_kruskal_table
from customizer.evaluate.metrics import style_similarity
from customizer.evaluate.numbers import fmt, fmt_p, mean
from customizer.evaluate.paper_comparison import render_paper_comparison
from customizer.evaluate.scoring import TOP_K, perplexity
from customizer.evaluate.stats import kruskal, wilcoxon
from customizer.evaluate.store import iter_cells
from customizer.evaluate.summary import render_defaults, render_summary
from customizer.evaluate.systems import RETRIEVAL_SYSTEMS, order_systems
from customizer.evaluate.validation_report import render_validation, update_json


def load(out: Path) -> dict[str, dict[str, dict[str, list[dict[str, Any]]]]]:
    """split → repo → system → rows (all folds together), plus run info under the key ``__runs__``."""
    data: dict = defaultdict(lambda: defaultdict(lambda: defaultdict(list)))
    for cell, rows, run in iter_cells(out):
        data[cell.split][cell.repo][cell.system].extend(rows)
        if run:
            data[cell.split][cell.repo]["__runs__"].append({**run, "system": cell.system, "fold": cell.fold})
    return data


def _summary(rows: list[dict[str, Any]]) -> dict[str, float | None]:
    style = style_similarity([r["top1"] for r in rows], [r["reference"] for r in rows]) if rows else []
    limit_rows = [r for r in rows if r.get("hit_limit") is not None]
    return {
        "n": len(rows), "bleu": mean([r["bleu"] for r in rows]), "ppl": perplexity(rows),
        "exact1": 100 * mean([r["exact"][0] for r in rows]), "abs1": 100 * mean([r["abstracted"][0] for r in rows]),
        "exact5": 100 * mean([r["exact"][-1] for r in rows]), "abs5": 100 * mean([r["abstracted"][-1] for r in rows]),
        "parses": 100 * mean([r["parses"] for r in rows]), "focal_name": 100 * mean([r["focal_name"] for r in rows]),
        "style": mean(style), "hit_limit": 100 * mean([r["hit_limit"] for r in limit_rows]) if limit_rows else None,
    }


def _plots(split: str, repos: dict, systems: list[str], docs: Path) -> list[str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    made = []
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.6), sharey=True)
    for ax, key, title in ((axes[0], "exact", "exact match"), (axes[1], "abstracted", "abstracted match")):
        for system in systems:
            rows = [r for repo in repos.values() for r in repo.get(system, [])]
            if rows:
                ax.plot(range(1, TOP_K + 1), [100 * mean([r[key][k] for r in rows]) for k in range(TOP_K)],
                        marker="o", label=system)
        ax.set_title(f"top-k {title} ({split} split)")
        ax.set_xlabel("k")
        ax.set_ylabel("% of test pairs")
    axes[1].legend(fontsize=8)
    fig.tight_layout()
    name = f"evaluation-topk-{split}.png"
    fig.savefig(docs / name, dpi=110)
    plt.close(fig)
    made.append(name)

    fig, ax = plt.subplots(figsize=(7, 3.6))
    series = []
    for system in systems:
        vals = []
        for repo in repos.values():
            rows = repo.get(system, [])
            vals += style_similarity([r["top1"] for r in rows], [r["reference"] for r in rows]) if rows else []
        series.append(vals or [float("nan")])
    ax.boxplot(series, tick_labels=systems, showfliers=False)
    ax.set_title(f"identifier style similarity to the developer's test ({split} split)")
    ax.set_ylabel("tf-idf cosine")
    fig.tight_layout()
    name = f"evaluation-style-{split}.png"
    fig.savefig(docs / name, dpi=110)
    plt.close(fig)
    made.append(name)

    runs = [r for repo in repos.values() for r in repo.get("__runs__", []) if r.get("history")]
    if runs:
        fig, ax = plt.subplots(figsize=(7, 3.6))
        colors: dict[str, Any] = {}
        for run in runs:
            hist = [h for h in run["history"] if h.get("val_loss") is not None]
            if not hist:
                continue
            line = ax.plot([h["pflops"] for h in hist], [h["val_loss"] for h in hist], alpha=0.6,
                           color=colors.get(run["system"]), label=None if run["system"] in colors else run["system"])
            colors.setdefault(run["system"], line[0].get_color())
        ax.set_xscale("symlog", linthresh=1e-4)
        ax.set_xlabel("compute (PF-seconds)")
        ax.set_ylabel("validation loss")
        ax.set_title(f"validation loss vs compute per strategy ({split} split)")
        ax.legend(fontsize=8)
        fig.tight_layout()
        name = f"evaluation-valloss-{split}.png"
        fig.savefig(docs / name, dpi=110)
        plt.close(fig)
        made.append(name)
    return made


def render_report(out: Path, docs: Path, command: str, validation_dirs: Sequence[Path] = (),
                  validation_command: str | None = None) -> str:
    """Markdown for docs/evaluation.md; plots are written into ``docs``.

    Validated cells in ``out`` and ``validation_dirs`` refresh ``docs/validation.json`` (the "Compiles and passes"
    section); without any, the section is rendered from the JSON already there, so it survives regeneration.
    """
    update_json(docs, [out, *validation_dirs], validation_command or command)
    data = load(out)
    lines = ["# Evaluation", "",
             f"Generated by `{command}` from the results stored in `{out}`; rerun it to refresh. The stored cells "
             "are archived in the repository (`docs/results/evaluation-results.tar.xz`, and the pairs they were scored "
             "on in `evaluation-pairs.tar.xz`): `bash scripts/evaluation_archive.sh unpack` restores them into a "
             "results folder, `pack` archives a new run.",
             ""]
    if not data:
        lines.append("No evaluation results yet.")
        return "\n".join(lines + render_validation(docs) + render_decoding(docs)) + "\n"
    lines += render_summary(data) + render_defaults(data) + render_paper_comparison(data)
    for split in sorted(data, key=lambda s: ("random", "method", "class").index(s) if s in
                        ("random", "method", "class") else 9):
        repos = data[split]
        systems = order_systems({s for r in repos.values() for s in r if s != "__runs__"})
        lines += [f"## `{split}` split", "",
                  "BLEU-4 of the top-1 candidate, per-token perplexity of the developer's test (models only), "
                  "top-1/top-5 exact and abstracted match (%), parse rate of the top-1 (%), focal method named "
                  "in the top-1 (%), identifier style similarity.", ""]
        header = ("| repository | system | pairs | BLEU | ppl | exact@1 | abs@1 | exact@5 | abs@5 | parses | focal "
                  "| style |")
        lines += [header, "|" + "---|" * (header.count("|") - 1)]
        per_system: dict[str, list[dict]] = defaultdict(list)
        for repo in sorted(repos):
            for system in systems:
                rows = repos[repo].get(system, [])
                if not rows:
                    continue
                s = _summary(rows)
                per_system[system].append(s)
                lines.append(f"| {repo} | {system} | {s['n']} | {fmt(s['bleu'])} | {fmt(s['ppl'], 2)} | "
                             f"{fmt(s['exact1'])} | {fmt(s['abs1'])} | {fmt(s['exact5'])} | {fmt(s['abs5'])} | "
                             f"{fmt(s['parses'])} | {fmt(s['focal_name'])} | {fmt(s['style'], 3)} |")
        for system in systems:
            ss = per_system[system]
            if ss:
                avg = {k: mean([s[k] for s in ss if s[k] is not None]) for k in ss[0] if k != "n"}
                lines.append(f"| **average ({len(ss)})** | {system} | {sum(s['n'] for s in ss)} | "
                             f"{fmt(avg['bleu'])} | {fmt(avg['ppl'], 2)} | {fmt(avg['exact1'])} | "
                             f"{fmt(avg['abs1'])} | {fmt(avg['exact5'])} | {fmt(avg['abs5'])} | "
                             f"{fmt(avg['parses'])} | {fmt(avg['focal_name'])} | {fmt(avg['style'], 3)} |")
        lines.append("")
        # the retrieval bar: paired Wilcoxon on BLEU per test pair
        if "retrieve" in systems and len(systems) > 1:
            lines += ["### Against the retrieval bar (paired Wilcoxon signed-rank on per-pair BLEU, p < 0.01)", "",
                      "| repository | system | pairs | BLEU system | BLEU retrieve | Δ | p | verdict |",
                      "|---|---|---|---|---|---|---|---|"]
            for repo in sorted(repos):
                ret = {r["id"]: r["bleu"] for r in repos[repo].get("retrieve", [])}
                for system in systems:
                    if system == "retrieve" or not repos[repo].get(system):
                        continue
                    c = wilcoxon(system, {r["id"]: r["bleu"] for r in repos[repo][system]}, "retrieve", ret)
                    verdict = ("beats retrieval" if c.significant() and c.delta > 0 else
                               "below retrieval" if c.significant() else "no significant difference")
                    lines.append(f"| {repo} | {system} | {c.n} | {fmt(c.mean_a)} | {fmt(c.mean_b)} | "
                                 f"{c.delta:+.1f} | {fmt_p(c.p_value)} | {verdict} |")
            lines.append("")
        # Table 4 analog: pooled between every two systems, then base vs each per package
        lines += render_kruskal_table(repos)
        if "base" in systems:
            lines += ["### Kruskal–Wallis on per-pair BLEU, per package (base vs each system)", "",
                      "| repository | comparison | p |", "|---|---|---|"]
            for repo in sorted(repos):
                base = [r["bleu"] for r in repos[repo].get("base", [])]
                for system in systems:
                    if system in ("base",) or not repos[repo].get(system) or not base:
                        continue
                    c = kruskal(system, [r["bleu"] for r in repos[repo][system]], "base", base)
                    lines.append(f"| {repo} | {system} vs base | {fmt_p(c.p_value)} |")
            lines.append("")
        runs = [r for repo in repos.values() for r in repo.get("__runs__", [])]
        if runs:
            lines += ["### Cost per system", "", "Wall time of a whole cell (customization and scoring) on the device "
                      "that ran it; cells that ran side by side on one GPU (`--jobs`) shared it.", "",
                      "| system | device | runs | mean wall s | mean PF-s |", "|---|---|---|---|---|"]
            by: dict[tuple[str, str], list[dict]] = defaultdict(list)
            for r in runs:
                device = "–" if r["system"] in RETRIEVAL_SYSTEMS else str(r.get("device") or "not recorded")
                by[(r["system"], device.split(":")[0])].append(r)
            for system in order_systems({k[0] for k in by}):
                for device in sorted(d for sy, d in by if sy == system):
                    rs = by[(system, device)]
                    lines.append(f"| {system} | {device} | {len(rs)} | {mean([r.get('wall_s', 0) for r in rs]):.1f} "
                                 f"| {mean([r.get('pflops', 0) or 0 for r in rs]):.4f} |")
            lines.append("")
        for name in _plots(split, repos, systems, docs):
            lines += [f"![{name}]({name})", ""]
    return "\n".join(lines + render_validation(docs) + render_decoding(docs)) + "\n"
