"""The report keeps a "Decoding" section rendered from docs/decoding.json (written by scripts/decoding_stats.py)."""

from __future__ import annotations

import json
from pathlib import Path

from customizer.evaluate.report import render_report


def _config(name: str, parses: float, limit: float) -> dict:
    return {"pairs": 40, "max_new_tokens": 256, "parse_rate": parses, "hit_limit": limit, "degenerate": limit,
            "repaired": 0.0, "distinct_top1": 40.0, "bleu": 3.1, "wall_s_per_pair": 2.0,
            "command": f"python scripts/decoding_stats.py measure --config {name}"}


def test_decoding_section_survives_regeneration(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    assert "## Decoding" not in render_report(tmp_path / "none", docs, "cmd")
    data = {"configs": {"default": _config("default", 92.5, 1.5), "legacy": _config("legacy", 27.5, 17.5)},
            "corpus": {"tests": 8279, "data": "train.npz", "max_new_tokens": 421,
                       "prior": {"p50": 83, "p90": 230, "p99": 362, "max": 382},
                       "blocking": {"8x32": {"max_repeats": 8, "max_period": 32, "altered": 6}},
                       "degenerate_flagged": {"default": 15, "legacy": 15}}}
    (docs / "decoding.json").write_text(json.dumps(data))
    text = render_report(tmp_path / "none", docs, "cmd")
    section = text[text.index("## Decoding"):]
    rows = [line for line in section.splitlines() if line.startswith("| before") or line.startswith("| after")]
    assert rows[0].startswith("| before (first decoding) | 40 | 256 | 27.5 | 17.5 |")  # legacy listed first
    assert rows[1].startswith("| after (shipped) | 40 | 256 | 92.5 | 1.5 |")
    assert "python scripts/decoding_stats.py measure --config legacy" in section
    assert "top-1 parse rate 27.5% → 92.5%, cut at the length limit 17.5% → 1.5%" in section
    assert "units up to 32 tokens: 6" in section and "99th 362" in section
