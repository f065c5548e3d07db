"""The "Compared with the paper" section: the paper's averages beside ours, computed per package then averaged."""

import math

import pytest

from customizer.evaluate.paper_comparison import PAPER, package_averages, render_paper_comparison, still_improving


def _rows(bleus: list[float], nll: float = 10.0) -> list[dict]:
    return [{"id": str(i), "bleu": b, "exact": [i == 0] * 5, "abstracted": [i < 2] * 5, "nll": nll, "ref_tokens": 5}
            for i, b in enumerate(bleus)]


def _run(stop: str, losses: list[float]) -> dict:
    return {"system": "l-ldb", "stop_reason": stop, "pflops": 0.02, "train_pairs": 90, "val_pairs": 10,
            "total_params": 42_000_000, "base_model": "base model tiny-v0 (sha256 abc…)",
            "history": [{"val_loss": v} for v in losses]}


def _data() -> dict:
    # package b has no l-ldb cell
    return {"random": {
        "a": {"base": _rows([10.0, 10.0, 10.0, 10.0]), "l-ldb": _rows([30.0, 30.0, 30.0, 30.0], nll=5.0),
              "retrieve": _rows([50.0]), "__runs__": [_run("max_pflops", [3.0, 2.5, 2.0])]},
        "b": {"base": _rows([4.0, 4.0]), "retrieve": _rows([40.0])},
    }, "method": {
        "a": {"base": _rows([1.0]), "__runs__": [_run("early_stop", [3.0, 2.0, 2.2])]},
    }}


def test_averages_are_per_package_then_over_packages():
    repos = _data()["random"]
    base = package_averages(repos, "base")
    assert base["packages"] == 2 and base["pairs"] == 6
    assert base["bleu"] == pytest.approx(7.0)  # (10 + 4) / 2, not the pooled 8.0
    assert base["ppl"] == pytest.approx(math.exp(2.0))
    assert base["abs1"] == pytest.approx((50.0 + 100.0) / 2) and base["exact1"] == pytest.approx((25.0 + 50.0) / 2)
    assert package_averages(repos, "prefix")["packages"] == 0


def test_still_improving_means_the_last_validation_was_the_best():
    assert still_improving(_run("max_pflops", [3.0, 2.5, 2.0]))
    assert not still_improving(_run("early_stop", [3.0, 2.0, 2.2]))


def test_section_puts_the_paper_beside_ours_and_says_why_they_differ():
    text = "\n".join(render_paper_comparison(_data()))
    assert text.startswith("## Compared with the paper")
    assert f"| base | {PAPER['base'].bleu} | 7.0 | {PAPER['base'].ppl:.3f} |" in text
    assert f"| l-ldb | {PAPER['l-ldb'].bleu} | 30.0 |" in text
    assert "| prefix | 37.7 | – |" in text and "not run on this split yet" in text
    assert "| retrieve | not evaluated | 45.0 |" in text and "| lora |" not in text
    # the gain is measured on the packages where both ran (a: 30 vs 10), not against every package's base
    assert "reaches 3.0× ours (30.0 vs 10.0 on the 1 package where both ran)" in text
    assert "Of our 2 customizations (all splits), 1 stopped at `early_stop`, 1 at `max_pflops`" in text or \
        "Of our 2 customizations (all splits), 1 stopped at `max_pflops`, 1 at `early_stop`" in text
    assert "in 1 the last validation loss was the best so far" in text
    assert "tiny-v0 (sha256 abc…), has 42M parameters" in text
    assert "trains and validates on 100 pairs" in text and "we score 2–4 held-out pairs" in text


def test_no_section_without_base_cells_on_the_papers_split():
    assert render_paper_comparison({"method": _data()["method"]}) == []
