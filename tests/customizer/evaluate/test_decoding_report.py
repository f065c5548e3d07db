"""The "Decoding" section of docs/evaluation.md, rendered from docs/decoding.json."""

from __future__ import annotations

import json

from customizer.evaluate.decoding_report import refresh_decoding_section, render_decoding


def _config(parse: float, limit: float, command: str, syntax_penalty: float | None = 20.0) -> dict:
    return {"pairs": 40, "max_new_tokens": 418, "parse_rate": parse, "hit_limit": limit, "degenerate": 25.0,
            "repaired": 35.0, "distinct_top1": 100.0, "bleu": 8.9, "wall_s_per_pair": 9.0, "command": command,
            "decoding": {"syntax_penalty": syntax_penalty, "retry_beams": 10}}


def test_section_reads_before_and_after_and_the_corpus_statistics(tmp_path):
    assert render_decoding(tmp_path) == []  # no decoding.json: no section
    data = {"configs": {"default": _config(90.0, 0.0, "cmd default"), "legacy": _config(45.0, 55.0, "cmd legacy")},
            "corpus": {"tests": 1000, "data": "train.npz", "max_new_tokens": 418,
                       "prior": {"p50": 100, "p90": 245, "p99": 360, "max": 382},
                       "blocking": {"8x32": {"max_repeats": 8, "max_period": 32, "altered": 3}},
                       "degenerate_flagged": {"default": 6, "legacy": 2}, "line_repeats": {"10": 1, "6": 4}},
            "notes": "Decisions."}
    (tmp_path / "decoding.json").write_text(json.dumps(data))
    text = "\n".join(render_decoding(tmp_path))
    assert text.index("before (first decoding)") < text.index("after (shipped)")
    assert "top-1 parse rate 45.0% → 90.0%, cut at the length limit 55.0% → 0.0%" in text
    assert "n or more times: 6: 4 (0.40%), 10: 1 (0.10%)" in text
    assert "cmd legacy" in text and "Decisions." in text


def test_fewer_beams_row_says_what_it_costs_and_which_width_ships(tmp_path):
    narrow = {**_config(82.5, 0.0, "cmd beams-2 -k 1"), "bleu": 7.6, "wall_s_per_pair": 4.5}
    data = {"configs": {"default": _config(90.0, 0.0, "cmd default"), "beams-2": narrow}}
    (tmp_path / "decoding.json").write_text(json.dumps(data))
    text = "\n".join(render_decoding(tmp_path))
    assert text.index("after (shipped)") < text.index("after, 2 beams, top-1 only")
    assert "2 beams take 4.5 s per pair instead of 9.0, at top-1 BLEU-4 7.6 vs 8.9" in text
    assert "the product keeps 5 beams" in text


def test_onnx_row_says_on_how_many_pairs_its_top1_equals_pytorchs(tmp_path):
    torch_row = {**_config(90.0, 0.0, "cmd default"), "wall_s_per_pair": 14.0,
                 "top1_sha": {"a": "1", "b": "2", "c": "3", "d": "4"}}
    onnx_row = {**_config(90.0, 0.0, "cmd default --runtime onnx"), "wall_s_per_pair": 7.0,
                "top1_sha": {"a": "1", "b": "2", "c": "x", "e": "5"}}
    (tmp_path / "decoding.json").write_text(json.dumps({"configs": {"default+onnx": onnx_row, "default": torch_row}}))
    text = "\n".join(render_decoding(tmp_path))
    assert text.index("| after (shipped) |") < text.index("| after (shipped), ONNX Runtime |")
    assert "the top-1 equals PyTorch's on 2 of 3 pairs; 7.0 s per pair instead of 14.0 (2.00x)" in text
    assert "cmd default --runtime onnx" in text
    del torch_row["top1_sha"]  # a PyTorch row measured before the digests were recorded
    (tmp_path / "decoding.json").write_text(json.dumps({"configs": {"default+onnx": onnx_row, "default": torch_row}}))
    assert "top-1 agreement not measured (rerun both rows)" in "\n".join(render_decoding(tmp_path))


def test_redeclared_rank_row_reads_before_and_after(tmp_path):
    plain = {**_config(90.0, 0.0, "cmd no-redeclare"), "bleu": 9.1, "redeclares": 12.5}
    after = {**_config(90.0, 0.0, "cmd default"), "bleu": 9.4, "redeclares": 5.0}
    (tmp_path / "decoding.json").write_text(json.dumps({"configs": {"default": after, "no-redeclare": plain}}))
    text = "\n".join(render_decoding(tmp_path))
    assert text.index("| after, without the redeclared-local rank or blocker |") < text.index("| after (shipped) |")
    assert "top-1 BLEU-4 9.1 → 9.4, parses 90.0% → 90.0%, degenerate 25.0% → 25.0%, top-1 redeclaring 12.5% → 5.0%." \
        in text


def test_redeclaration_blocker_row_reads_against_ranking_alone_on_the_same_runtime(tmp_path):
    ranked = {**_config(90.0, 0.0, "cmd no-redeclare-stop --runtime onnx"), "bleu": 9.2, "redeclares": 17.5,
              "degenerate": 22.5}
    blocked = {**_config(95.0, 0.0, "cmd default --runtime onnx"), "redeclares": 0.0, "degenerate": 15.0}
    torch_row = {**_config(95.0, 0.0, "cmd default"), "redeclares": 99.0}  # another runtime: not compared
    data = {"configs": {"default": torch_row, "default+onnx": blocked, "no-redeclare-stop+onnx": ranked},
            "corpus": {"tests": 1000, "data": "train.npz", "max_new_tokens": 418,
                       "prior": {"p50": 100, "p90": 245, "p99": 360, "max": 382}, "blocking": {},
                       "degenerate_flagged": {"default": 6, "legacy": 2}, "redeclaration_altered": 0}}
    (tmp_path / "decoding.json").write_text(json.dumps(data))
    text = "\n".join(render_decoding(tmp_path))
    assert text.index("| after (shipped), ONNX Runtime |") < text.index("ranked last but not blocked, ONNX Runtime |")
    assert ("against only ranking such candidates last: top-1 redeclaring 17.5% → 0.0%, degenerate 22.5% → 15.0%, "
            "parses 90.0% → 95.0%, BLEU-4 9.2 → 8.9.") in text
    assert "Developer tests the redeclaration blocker or stop would have altered: 0 " in text


def test_syntax_guard_rows_read_against_the_same_pairs_and_older_rows_say_so(tmp_path):
    unguarded = {**_config(88.0, 0.0, "cmd no-syntax-guard --per-package 10", None), "pairs": 200,
                 "top1_sha": {"a": "1", "b": "2"}}
    guarded = {**_config(93.0, 0.0, "cmd default --per-package 10"), "pairs": 200, "degenerate": 20.0,
               "top1_sha": {"a": "1", "b": "3"}}
    old = _config(95.0, 0.0, "cmd default")
    del old["decoding"]  # stored before the guard existed
    data = {"configs": {"default+onnx@10": guarded, "no-syntax-guard+onnx@10": unguarded, "default": old,
                        "default+onnx": _config(95.0, 0.0, "cmd default --runtime onnx")},
            "guards": {"packages": 20, "tests": 10800, "syntax_guard_altered": 0, "redeclaration_altered": 0,
                       "command": "cmd guards"}}
    (tmp_path / "decoding.json").write_text(json.dumps(data))
    text = "\n".join(render_decoding(tmp_path))
    assert "| after (shipped) (measured before the syntax guard) |" in text
    assert text.index("| after (shipped), ONNX Runtime |") < text.index(
        "| after (shipped), ONNX Runtime, 10 pairs per package |")
    assert text.index("| after, without the syntax guard or the declaration-shape blocker, ONNX Runtime, 10 pairs per "
                      "package |") > text.index(
        "| after (shipped), ONNX Runtime, 10 pairs per package |")
    assert ("(a beam loses 20 nats on the line that brings a syntax error) (200 pairs, ONNX Runtime): the top-1 "
            "differs on 1 of 2 pairs, parses 88.0% → 93.0%, degenerate 25.0% → 20.0%") in text
    # the declaration-shape blocker against the guard alone, on the same sample
    data["configs"]["no-shape+onnx@10"] = {**guarded, "parse_rate": 91.0, "top1_sha": {"a": "1", "b": "2"}}
    data["configs"]["default+onnx@10"]["decoding"]["declaration_shape"] = True
    (tmp_path / "decoding.json").write_text(json.dumps(data))
    text = "\n".join(render_decoding(tmp_path))
    assert "The syntax guard and the declaration-shape blocker (a beam loses 20 nats" in text
    assert ("The declaration-shape blocker, on top of the syntax guard (200 pairs, ONNX Runtime): the top-1 differs "
            "on 1 of 2 pairs, parses 91.0% → 93.0%") in text
    assert "that parse (10,800), judged line by line as the decoder judges a beam: the syntax guard would have " \
        "penalized 0, the redeclaration blocker or stop would have altered 0" in text


def test_the_wider_second_search_reads_against_the_same_pairs_and_older_rows_say_so(tmp_path):
    once = {**_config(95.0, 0.0, "cmd no-retry --per-package 10"), "pairs": 200, "top1_sha": {"a": "1", "b": "2"}}
    once["decoding"]["retry_beams"] = None
    twice = {**_config(98.0, 0.0, "cmd default --per-package 10"), "pairs": 200, "searched_again": 5.0,
             "top1_sha": {"a": "1", "b": "3"}}
    before = _config(95.0, 0.0, "cmd default")
    del before["decoding"]["retry_beams"]  # stored before the second search existed
    data = {"configs": {"default+onnx@10": twice, "no-retry+onnx@10": once, "default": before}}
    (tmp_path / "decoding.json").write_text(json.dumps(data))
    text = "\n".join(render_decoding(tmp_path))
    assert "| after (shipped) (measured before the wider second search) |" in text
    assert "| after, without the wider second search, ONNX Runtime, 10 pairs per package |" in text
    assert ("The wider second search (10 beams for an input none of whose candidates parses; 5.0% of the pairs were "
            "searched again) (200 pairs, ONNX Runtime): the top-1 differs on 1 of 2 pairs, parses 95.0% → 98.0%") \
        in text


def test_decoding_section_is_refreshed_in_place(tmp_path):
    (tmp_path / "decoding.json").write_text(json.dumps({"configs": {"default": _config(91.0, 0.0, "cmd new")}}))
    report = "# Evaluation\n\n## Summary\n\nkept\n\n## Decoding\n\nold table\n\n## Later\n\nkept too\n"
    fresh = refresh_decoding_section(report, tmp_path)
    assert "old table" not in fresh and "cmd new" in fresh
    assert fresh.index("## Summary") < fresh.index("## Decoding") < fresh.index("## Later")
    assert "kept\n" in fresh and fresh.endswith("kept too\n")
    appended = refresh_decoding_section("# Evaluation\n\nNo evaluation results yet.\n", tmp_path)
    assert appended.startswith("# Evaluation\n\nNo evaluation results yet.\n\n## Decoding\n")


def test_pieces_measured_before_the_second_search_read_against_the_decoding_without_it(tmp_path):
    unguarded = {**_config(89.0, 0.0, "cmd no-syntax-guard --per-package 10"), "pairs": 200, "top1_sha": {"a": "1"}}
    del unguarded["decoding"]["retry_beams"]
    once = {**_config(95.0, 0.0, "cmd no-retry --per-package 10"), "pairs": 200, "top1_sha": {"a": "2"}}
    once["decoding"]["retry_beams"] = None
    twice = {**_config(98.0, 0.0, "cmd default --per-package 10"), "pairs": 200, "top1_sha": {"a": "3"}}
    data = {"configs": {"default+onnx@10": twice, "no-retry+onnx@10": once, "no-syntax-guard+onnx@10": unguarded}}
    (tmp_path / "decoding.json").write_text(json.dumps(data))
    text = "\n".join(render_decoding(tmp_path))
    assert "the top-1 differs on 1 of 1 pairs, parses 89.0% → 95.0%" in text  # the guard alone: 89 → 95, not → 98
    assert "parses 95.0% → 98.0%" in text  # the second search on top


def test_the_second_search_on_personalized_models_reads_with_and_without_it(tmp_path):
    data = {"configs": {"default": _config(97.5, 0.0, "cmd default")},
            "personalized": {"strategy": "l-ldb", "max_pflops": 0.028, "pairs": 40, "searched_again": 10.0,
                             "parse_rate": 95.0, "parse_rate_without": 87.5, "bleu": 14.2, "bleu_without": 14.0,
                             "command": "cmd personalized",
                             "packages": [{"package": "a", "base_val_loss": 2.5, "best_val_loss": 1.25},
                                          {"package": "b", "base_val_loss": 3.0, "best_val_loss": 2.0}]}}
    (tmp_path / "decoding.json").write_text(json.dumps(data))
    text = "\n".join(render_decoding(tmp_path))
    assert ("`l-ldb` trained on this CPU (0.028 PF-s per package) on the `method`-split training fold of a, b "
            "(validation loss a 2.50 → 1.25; b 3.00 → 2.00)") in text
    assert "second search ran for 10.0% of the pairs; parses 87.5% → 95.0%, BLEU-4 14.0 → 14.2." in text
    assert "cmd personalized" in text
