"""``docs/corpus.md``: what was fetched, mined, dropped and kept, from the cache's status files and stats."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from customizer.corpus.debian import load_statuses
from customizer.corpus.lists import PackageLists
from customizer.corpus.paths import atomic_write_text, cache_root, corpus_layout, debian_layout, read_json

TOP = 30


def _table(header: list[str], rows: list[list[Any]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return lines


def _fetch_section(lists: PackageLists) -> list[str]:
    statuses = load_statuses(debian_layout())
    out = ["## 1. Fetch (Debian source package → git repository)", ""]
    rows = []
    for name, packages in (("pretraining", lists.pretrain), ("dev-eval", lists.dev_eval)):
        counts = Counter(statuses[p].status if p in statuses else "not fetched" for p in packages)
        java = sum(statuses[p].java_files for p in packages if p in statuses)
        size = sum(statuses[p].bytes for p in packages if p in statuses)
        rows.append([name, len(packages), counts.get("ok", 0), counts.get("no_orig", 0), counts.get("error", 0),
                     counts.get("not fetched", 0), f"{java:,}", f"{size / 1e9:.2f}"])
    out += _table(["list", "packages", "ok", "no orig tarball", "error", "not fetched", ".java files", "GB"], rows)
    skipped = [statuses[p] for p in (*lists.pretrain, *lists.dev_eval) if p in statuses and statuses[p].status != "ok"]
    out += ["", f"Skipped or failed: {len(skipped)}."]
    if skipped:
        rows = [[s.package, s.status, s.reason.replace("|", "/")[:160]] for s in skipped]
        out += ["", *_table(["package", "status", "reason"], rows)]
    return [*out, ""]


def _build_section(lists: PackageLists) -> list[str]:
    layout = corpus_layout()
    markers = {p: read_json(layout.done_file(p)) for p in lists.pretrain}
    counts = Counter(m.get("status") if isinstance(m, dict) else "not built" for m in markers.values())
    built = [m for m in markers.values() if isinstance(m, dict) and m.get("status") == "built"]
    miners = Counter(m.get("miner", "?") for m in built)
    out = ["## 2. Mining (`testtailor corpus build`)", ""]
    out += _table(["status", "packages"], [[k, v] for k, v in sorted(counts.items(), key=lambda kv: str(kv[0]))])
    out += ["", f"Packages with at least one pair: {sum(1 for m in built if m.get('pairs'))}; "
            f"pairs mined: {sum(m.get('pairs', 0) for m in built):,}; "
            f"methods extracted: {sum(m.get('methods', 0) for m in built):,}; "
            f"miner versions: {', '.join(f'{k} ({v})' for k, v in miners.most_common())}."]
    problems = [m for m in markers.values() if isinstance(m, dict) and m.get("status") not in ("built",)]
    if problems:
        rows = [[m["package"], m["status"], str(m.get("reason", ""))[:160]] for m in problems]
        out += ["", *_table(["package", "status", "reason"], rows)]
    dev = []
    for p in lists.dev_eval:
        m = read_json(layout.root / "dev-eval" / f"{p}.done.json")
        dev.append([p, m.get("pairs", "–") if m else "–", m.get("methods", "–") if m else "–"])
    out += ["", "Dev-eval packages, mined only to decontaminate the corpus (never trained on):", ""]
    out += _table(["dev-eval package", "pairs", "methods"], dev)
    return [*out, ""]


def _final_section(stats: dict[str, Any] | None, tok: dict[str, Any] | None) -> list[str]:
    out = ["## 3. Final corpus (`testtailor corpus merge`)", ""]
    if not stats:
        return [*out, "Not merged yet: run `testtailor corpus merge`.", ""]
    p, m = stats["pairs"], stats["methods"]
    out += _table(["pairs", "count"], [
        ["mined (built packages)", f"{p['mined']:,}"],
        ["dropped: focal or test also in a dev-eval package", f"{p['dropped_dev_eval_overlap']:,}"],
        ["dropped: exact duplicates (normalized focal + test)", f"{p['dropped_exact_duplicates']:,}"],
        ["dropped: near duplicates (test 5-shingle Jaccard ≥ 0.9, same focal signature)",
         f"{p['dropped_near_duplicates']:,}"],
        ["kept", f"{p['kept']:,}"],
        [f"train ({p['train_shards']} shards)", f"{p['train']:,}"],
        [f"validation (2% of focal methods, {p['validation_focal_methods']:,} methods)", f"{p['validation']:,}"],
    ])
    out += [""]
    out += _table(["methods (non-test files, 3 lines .. 4 kB)", "count"], [
        ["extracted", f"{m['extracted']:,}"],
        ["dropped: also in a dev-eval package", f"{m['dropped_dev_eval_overlap']:,}"],
        ["dropped: exact duplicates", f"{m['dropped_exact_duplicates']:,}"],
        [f"kept ({m['shards']} shards)", f"{m['kept']:,}"],
    ])
    mined = stats["pairs_per_package"]["mined"]
    kept = stats["pairs_per_package"]["kept"]
    top = sorted(kept.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP]
    out += ["", f"Top {TOP} packages by kept pairs:", ""]
    out += _table(["package", "mined", "kept"], [[k, mined.get(k, 0), v] for k, v in top])
    out += ["", "Length percentiles (regex code tokens; methods: a 1-in-20 sample):", ""]
    rows = [[name, *(v.get(k, "") for k in ("mean", "p50", "p90", "p95", "p99", "max"))]
            for name, v in (("focal", stats["code_tokens"]["focal"]), ("test", stats["code_tokens"]["test"]),
                            ("method", m["code_tokens_sample_1_in_20"]))]
    out += _table(["text", "mean", "p50", "p90", "p95", "p99", "max"], rows)
    out += ["", "## 4. Tokenizer (`testtailor corpus tokenizer`)", ""]
    if not tok:
        return [*out, "Not trained yet: run `testtailor corpus tokenizer`.", ""]
    v = tok["validation"]
    out += [f"Byte-level BPE, vocabulary {tok['vocab_size']:,}, special tokens {' '.join(tok['special_tokens'])} "
            f"(ids 0–4); trained on {tok['training_bytes'] / 1e6:.0f} MB "
            f"({tok['training_texts']:,} texts: methods and pair sides).", "",
            f"On the {v['pairs']:,} validation pairs (BPE tokens, with `<s>`/`</s>`):", ""]
    rows = [[name, *(v[name].get(k, "") for k in ("mean", "p50", "p90", "p95", "p99", "max"))]
            for name in ("source_focal", "source_focal_context", "target")]
    out += _table(["", "mean", "p50", "p90", "p95", "p99", "max"], rows)
    out += ["", f"Bytes per token on validation text: {v['bytes_per_token']}."]
    return [*out, ""]


def render_report(lists: PackageLists) -> str:
    root = cache_root()
    stats = read_json(corpus_layout().final / "stats.json")
    tok = read_json(root / "tokenizer" / "stats.json")
    head = [
        "# Pretraining corpus",
        "",
        "Generated by `testtailor corpus report` from the data under `~/.cache/testtailor-dev/` "
        "(do not edit by hand). Pipeline: `scripts/debian_repo.sh` (= `testtailor corpus fetch`), "
        "`testtailor corpus build --dev-eval`, `testtailor corpus build`, `testtailor corpus merge`, "
        "`testtailor corpus tokenizer`, `testtailor corpus report`. Every step is resumable.",
        "",
        "Only packages of `corpus/pretrain-packages.txt` are trained on; the dev-eval packages are refused by the "
        "builder and used only to drop overlapping pairs and methods.",
        "",
    ]
    layout = [
        "## Where the data is",
        "",
        "- `debian/repos/<pkg>/`: one git repository per package (orig tarball(s), fixed author and date);"
        " `debian/status/<pkg>.json`: fetch status",
        "- `corpus/pairs/<pkg>.jsonl`, `corpus/methods/<pkg>.jsonl`, `corpus/done/<pkg>.json`: per package;"
        " `corpus/dev-eval/`: dev-eval pairs and methods (decontamination only); `corpus/build.log`",
        "- `corpus/final/`: `pairs-NNN.jsonl` (train), `val-000.jsonl`, `methods-NNN.jsonl`, `stats.json`",
        "- `tokenizer/`: `PreTrainedTokenizerFast` directory and `stats.json`",
        "",
    ]
    lines = head + _fetch_section(lists) + _build_section(lists) + _final_section(stats, tok) + layout
    return "\n".join(lines)


def write_report(lists: PackageLists, out: Path) -> Path:
    """Render the report and write it atomically to ``out``."""
    atomic_write_text(out, render_report(lists))
    return out
