"""The shipped-defaults paragraph reads its verdicts from the stored cells, whatever subset of systems ran."""

from __future__ import annotations

from customizer.evaluate.summary import render_defaults


def _rows(scores: list[float]) -> list[dict]:
    return [{"id": f"p{i}", "bleu": [s], "abstracted": [i % 4 == 0] * 5} for i, s in enumerate(scores)]


def _data(**systems: list[float]) -> dict:
    return {"method": {"repo": {name.replace("_r2", "+r2").replace("_", "-"): _rows(v) for name, v in systems.items()}}}


def test_a_missing_base_model_is_said_plainly_not_printed_as_nan():
    text = "\n".join(render_defaults(_data(retrieve=[30.0] * 20, l_ldb=[10.0 + i for i in range(20)])))
    assert "nan" not in text
    assert "not compared with the base model yet" in text


def test_retrieval_context_that_helps_significantly_asks_to_move_the_default():
    plain = [10.0 + i for i in range(30)]
    text = "\n".join(render_defaults(_data(retrieve=[30.0] * 30, base=[5.0] * 30, l_ldb=plain,
                                           l_ldb_r2=[p + 3 + 0.1 * i for i, p in enumerate(plain)])))
    assert "`l-ldb+r2` is significantly better: the default should move to it." in text
    assert "Off: no run shows it helps" not in text


def test_retrieval_context_without_a_significant_gain_stays_off():
    plain = [10.0 + i for i in range(30)]
    noisy = [p + (1 if i % 2 else -1) for i, p in enumerate(plain)]
    text = "\n".join(render_defaults(_data(retrieve=[30.0] * 30, base=[5.0] * 30, l_ldb=plain, l_ldb_r2=noisy)))
    assert "no significant difference" in text and "Off: no run shows it helps." in text


def test_a_cell_decoded_before_a_setting_existed_says_which_setting_it_lacks():
    from dataclasses import asdict

    from customizer.decoding import DecodingConfig
    from customizer.evaluate.summary import decoding_of

    today = asdict(DecodingConfig())
    older = {k: v for k, v in today.items() if k != "retry_beams"}
    other = {**today, "beams": 2}
    repos = {"a": {"__runs__": [{"system": "l-ldb", "decoding": today, "runtime": "torch"}]},
             "b": {"__runs__": [{"system": "l-ldb", "decoding": older, "runtime": "onnx"},
                                {"system": "base", "decoding": other}, {"system": "lora"}]}}
    assert decoding_of(repos, "l-ldb") == "shipped+shipped before `retry_beams` (onnx, torch)"
    assert decoding_of(repos, "base") == "earlier" and decoding_of(repos, "lora") == "earlier"
    assert decoding_of(repos, "full") == "–"


def test_the_shipped_list_is_held_against_the_bar_and_says_which_model_ordered_its_lead(monkeypatch):
    import customizer.evaluate.summary as summary

    bar = [30.0 + i % 3 for i in range(30)]
    data = _data(retrieve=bar, base=[5.0] * 30, l_ldb=[10.0] * 30, hybrid_l_ldb=[b + 2 + 0.1 * i for i, b in
                                                                                  enumerate(bar)])
    data["method"]["repo"]["__runs__"] = [{"system": "hybrid-l-ldb", "retrieved_by": "0123456789ab"}]
    monkeypatch.setattr(summary, "LIKELIHOOD_ORDER_ADAPTER", True)
    text = "\n".join(render_defaults(data))
    assert "**The shipped list vs the bar**" in text and "ordered so on 1 of 1 packages" in text
    assert "the shipped default beats the bar" in text
    data["method"]["repo"]["hybrid-l-ldb"] = _rows(bar)  # the retrieve cell's lead, unchanged
    data["method"]["repo"]["__runs__"] = [{"system": "hybrid-l-ldb", "retrieved_by": None}]
    text = "\n".join(render_defaults(data))
    assert "ordered so on 0 of 1 packages" in text and "no significant difference" in text
    monkeypatch.setattr(summary, "LIKELIHOOD_ORDER_ADAPTER", False)
    assert "chosen by the re-ranker: the likelihood order is off" in "\n".join(render_defaults(data))


def test_the_models_order_of_the_retrieved_tests_is_measured_and_held_against_the_default(monkeypatch):
    import customizer.evaluate.summary as summary

    monkeypatch.setattr(summary, "LIKELIHOOD_ORDER_BASE", False)
    monkeypatch.setattr(summary, "LIKELIHOOD_ORDER_ADAPTER", True)
    good = "@Test void addsTwoNumbers() { assertEquals(3, calc.add(1, 2)); }"
    poor = "@Test void other() { assertNull(x.y()); }"
    bar = [{"id": f"p{i}", "bleu": 0.0, "abstracted": [False] * 5} for i in range(30)]
    ordered = [{"id": f"p{i}", "bleu": [5.0], "abstracted": [False] * 5, "reference": good,
                "retrieved": [good if i % 5 else poor, poor]} for i in range(30)]
    data = {"method": {"repo": {"retrieve": bar, "base": ordered, "l-ldb": ordered}}}
    text = "\n".join(render_defaults(data))
    line = next(x for x in text.splitlines() if x.startswith("- **The answering model orders the retrieved tests**"))
    assert "with the base model: BLEU of the first" in line and "with the `l-ldb` adapter:" in line
    assert "better" in line and "abstracted match 80.0% vs 0.0%" in line
    # the base model's order is off here: a significant gain says to revisit it; the adapter's is on
    assert "revisit `LIKELIHOOD_ORDER_BASE`" in line and "LIKELIHOOD_ORDER_ADAPTER`)" not in line


def test_every_split_compares_each_strategy_with_the_default_one():
    from customizer.evaluate.summary import render_summary

    ldb = [10.0 + i for i in range(20)]
    data = _data(retrieve=[30.0] * 20, base=[5.0] * 20, l_ldb=ldb, full=[s + 4 for s in ldb],
                 l_eo=[s + (1 if i % 2 else -1) for i, s in enumerate(ldb)], l_ldb_r2=ldb)
    data["method"]["repo"]["hybrid-full"] = _rows([30.0] * 20)
    data["class"] = data.pop("method")
    text = "\n".join(render_summary(data))
    assert "- **full vs l-ldb** (the default strategy): BLEU 23.5 vs 19.5 (+4.0, p = " in text
    assert "20 pairs of 1 packages): better than l-ldb." in text
    assert "- **l-eo vs l-ldb** (the default strategy)" in text and "no significant difference" in text
    assert "**l-ldb vs l-ldb**" not in text and "**hybrid-full vs l-ldb**" not in text
    assert "**base vs l-ldb**" not in text and "**l-ldb+r2 vs l-ldb**" not in text
