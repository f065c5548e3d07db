"""The "Decoding" section of docs/evaluation.md, rendered from docs/decoding.json."""

from __future__ import annotations

import json

from customizer.evaluate.decoding_report import render_decoding


def _config(parse: float, limit: float, command: str) -> dict:
    return {"pairs": 40, "max_new_tokens": 418, "parse_rate": parse, "hit_limit": limit, "degenerate": 25.0,
            "repaired": 35.0, "distinct_top1": 100.0, "bleu": 8.9, "wall_s_per_pair": 9.0, "command": command}


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
