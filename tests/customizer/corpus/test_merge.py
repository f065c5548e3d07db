from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from transformers import AutoTokenizer

from customizer.corpus.jsonl import write_jsonl
from customizer.corpus.lists import PackageLists
from customizer.corpus.merge import merge
from customizer.corpus.paths import atomic_write_json, corpus_layout
from customizer.corpus.tokenizer import SPECIAL_TOKENS, train_tokenizer


def _pair(pkg: str, n: int, focal: str | None = None, test: str | None = None) -> dict[str, Any]:
    return {
        "id": f"{pkg}{n}", "package": pkg,
        "focal": {"file": f"src/F{n}.java", "signature": f"public int f{n}()",
                  "body": focal or f"public int f{n}() {{\n  return {n};\n}}"},
        "context": {"class_name": "F", "constructors": [], "methods": [], "fields": []},
        "test": {"body": test or f"@Test\npublic void testF{n}() {{\n  assertEquals({n}, new F().f{n}());\n}}"},
    }


def _setup(lists: PackageLists) -> None:
    layout = corpus_layout()
    alpha = [_pair("alpha", n) for n in range(40)]
    beta = [_pair("beta", 0), _pair("beta", 100, focal="public int leaked() {\n  return 7;\n}")]
    write_jsonl(layout.pairs / "alpha.jsonl", alpha)
    write_jsonl(layout.pairs / "beta.jsonl", beta)
    methods = [{"text": f"int m{n}() {{\n return {n};\n}}", "package": "alpha"} for n in range(10)]
    write_jsonl(layout.methods / "alpha.jsonl", methods + methods[:3])
    write_jsonl(layout.methods / "beta.jsonl", [{"text": "public int leaked() {\n return 7;\n}"}])
    for pkg in ("alpha", "beta"):
        atomic_write_json(layout.done_file(pkg), {"package": pkg, "status": "built"})
    dev = layout.root / "dev-eval"
    write_jsonl(dev / "evalpkg.jsonl", [])
    write_jsonl(dev / "evalpkg.methods.jsonl", [{"text": "public  int leaked()  {  return 7; }"}])
    atomic_write_json(dev / "evalpkg.done.json", {"package": "evalpkg", "status": "built"})


def test_merge_decontaminates_dedups_splits_and_tokenizer_trains(cache: Path, lists: PackageLists) -> None:
    _setup(lists)
    stats = merge(lists, pairs_per_shard=15, methods_per_shard=4)
    pairs = stats["pairs"]
    assert pairs["mined"] == 42
    assert pairs["dropped_dev_eval_overlap"] == 1
    assert pairs["dropped_exact_duplicates"] == 1  # beta's copy of alpha f0
    assert pairs["kept"] == 40 == pairs["train"] + pairs["validation"]
    final = corpus_layout().final
    shards = sorted(p.name for p in final.glob("pairs-*.jsonl"))
    assert shards == [f"pairs-{i:03d}.jsonl" for i in range(pairs["train_shards"])]
    assert pairs["train_shards"] == -(-pairs["train"] // 15)
    methods = {k: stats["methods"][k] for k in ("extracted", "dropped_exact_duplicates", "dropped_dev_eval_overlap")}
    assert methods == {"extracted": 14, "dropped_exact_duplicates": 3, "dropped_dev_eval_overlap": 1}
    assert (stats["methods"]["kept"], stats["methods"]["shards"]) == (10, 3)
    assert json.loads((final / "stats.json").read_text())["pairs"]["kept"] == 40

    tok_stats = train_tokenizer(vocab_size=300, out=cache / "tok")
    tok = AutoTokenizer.from_pretrained(cache / "tok")
    assert tok.convert_ids_to_tokens(list(range(5))) == SPECIAL_TOKENS
    ids = tok("return 1;")["input_ids"]
    assert ids[0] == 0 and ids[-1] == 2
    assert tok.decode(ids, skip_special_tokens=True) == "return 1;"
    assert tok_stats["validation"]["pairs"] == pairs["validation"]


def test_report_renders_fetch_build_and_final_sections(cache: Path, lists: PackageLists, tmp_path: Path) -> None:
    from customizer.corpus.report import write_report

    _setup(lists)
    merge(lists)
    out = write_report(lists, tmp_path / "corpus.md")
    text = out.read_text()
    assert "| pretraining | 3 | 0 | 0 | 0 | 3 |" in text
    assert "| kept | 40 |" in text
    assert "| alpha | 40 | 40 |" in text
    assert "Not trained yet" in text
