"""Generation: ranked candidates with parse flags, adapter caching and hot reload, bad positions."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest
import torch

import customizer.defaults
from customizer.adapters import AdapterStore
from customizer.customize import customize_project
from customizer.decoding import DecodingConfig, LengthPrior
from customizer.defaults import DEFAULT_RETRIEVED_FIRST
from customizer.errors import AdapterMismatchError, NoMethodAtPositionError, NotJavaFileError
from customizer.generate import Generator, LoopBlocker, is_degenerate, parses_as_method
from customizer.retrieval.likelihood import shipped_stage
from customizer.train import TrainConfig

CALC = "src/main/java/org/example/Calculator.java"
ADD_LINE = 6  # 0-based line of `public int add(int a, int b) {`


@pytest.fixture(scope="module")
def adapted(java_repo: Path, tiny_bart_dir: Path, tmp_path_factory: pytest.TempPathFactory):
    store = AdapterStore(tmp_path_factory.mktemp("store"))
    meta, _ = customize_project(java_repo, "l-ldb", "cpu", tiny_bart_dir, store=store,
                                config=TrainConfig(num_threads=1, max_epochs=2, lr=3e-3))
    return store, meta


@pytest.fixture
def generator(adapted, tiny_bart_dir: Path) -> Generator:
    return Generator(store=adapted[0], base_model=tiny_bart_dir, device="cpu", max_new_tokens=24)


def test_k_ranked_candidates_with_parse_flags(generator: Generator, java_repo: Path, adapted) -> None:
    generation = generator.generate_for_position(java_repo, CALC, ADD_LINE, k=3, retrieved_first=0)
    assert generation.method is not None and generation.method.name == "add"
    assert generation.adapter == adapted[1] and "l-ldb adapter for calc" in generation.model_description
    candidates = generation.candidates
    assert [c.rank for c in candidates] == list(range(1, len(candidates) + 1)) and 1 <= len(candidates) <= 3
    keys = [(not c.parses, c.degenerate) for c in candidates]  # within a group: beam score + length term
    assert keys == sorted(keys)
    assert len({" ".join(c.text.split()) for c in candidates}) == len(candidates)
    for c in candidates:
        assert c.parses == parses_as_method(c.text)
        # 24 new tokens are too few for any test: every candidate of the untrained tiny model is cut off
        assert c.degenerate and c.hit_limit
        assert not c.repaired or c.parses


def test_base_only_and_to_dict(generator: Generator, java_repo: Path) -> None:
    generation = generator.generate_for_position(java_repo, CALC, ADD_LINE, column=10, k=2, base_only=True)
    assert generation.adapter is None and "not customized" in generation.model_description
    data = generation.to_dict()
    assert data["method"]["name"] == "add" and len(data["candidates"]) == len(generation.candidates)


def test_adapter_is_cached_and_reloaded_when_it_changes_on_disk(generator: Generator, java_repo: Path,
                                                               adapted) -> None:
    """Adapters are served from one base model: switched in place for a generation, then switched back."""
    store, meta = adapted
    ref, found = generator.model_for(java_repo)
    assert ref is not None and found == meta
    first = generator.server.adapter(ref)
    assert generator.model_for(java_repo)[0] == ref and generator.server.adapter(ref) is first  # cached
    _, state = store.load(meta.repo_key, meta.strategy, base=dict(generator.base.model.named_parameters()))
    name = next(iter(state))
    original = dict(generator.base.model.named_parameters())[name].detach().clone()
    with generator.server.adapted(ref) as module:  # stored as int8 changes, served as the tensors they encode
        assert all(torch.equal(dict(module.named_parameters())[key], tensor) for key, tensor in state.items())
        assert not torch.equal(dict(module.named_parameters())[name], original)
    # saved as tensors (an adapter made before they were stored as changes from the base model)
    store.save(dataclasses.replace(meta, tensor_encoding=""), {key: tensor + 1.0 for key, tensor in state.items()})
    generator.model_for(java_repo)
    assert generator.server.adapter(ref) is not first  # reloaded from disk
    with generator.server.adapted(ref) as module:
        assert module is generator.base.model  # l-ldb: no copy of the base model
        assert torch.allclose(dict(module.named_parameters())[name], state[name] + 1.0)
    assert torch.equal(dict(generator.base.model.named_parameters())[name], original)  # switched back


def test_generation_switches_adapters_without_copying_the_base(generator: Generator, java_repo: Path) -> None:
    """Base-only and adapted generations alternate on one model; each sees only its own weights."""
    adapted_first = [c.text for c in generator.generate_for_position(java_repo, CALC, ADD_LINE, k=2).candidates]
    base = [c.text for c in generator.generate_for_position(java_repo, CALC, ADD_LINE, k=2,
                                                            base_only=True).candidates]
    adapted_again = [c.text for c in generator.generate_for_position(java_repo, CALC, ADD_LINE, k=2).candidates]
    assert adapted_again == adapted_first
    fresh = Generator(store=generator.store, base_model=generator.base_model_path, device="cpu", max_new_tokens=24)
    assert [c.text for c in fresh.generate_for_position(java_repo, CALC, ADD_LINE, k=2,
                                                        base_only=True).candidates] == base
    assert generator.server.cached() == [generator.model_for(java_repo)[0]]


def test_adapter_for_another_base_model_is_refused(adapted, java_repo: Path, tiny_t5_dir: Path) -> None:
    generator = Generator(store=adapted[0], base_model=tiny_t5_dir, device="cpu", max_new_tokens=8)
    with pytest.raises(AdapterMismatchError, match="trained on base model"):
        generator.generate_for_position(java_repo, CALC, ADD_LINE, k=1, retrieved_first=0)


def test_position_errors(generator: Generator, java_repo: Path) -> None:
    with pytest.raises(NotJavaFileError):
        generator.generate_for_position(java_repo, "README.md", 0)
    with pytest.raises(NoMethodAtPositionError, match="line 1 of"):
        generator.generate_for_position(java_repo, CALC, 0)


def test_broken_focal_method_is_generated_for_but_flagged(generator: Generator, java_repo: Path,
                                                         tmp_path: Path) -> None:
    broken = tmp_path / "Broken.java"
    broken.write_text("class Broken {\n  int f(int a) {\n    return a +;\n  }\n}\n", encoding="utf-8")
    generation = generator.generate_for_position(java_repo, broken, 1, k=1, base_only=True)
    assert generation.focal_has_error and generation.warnings and generation.candidates


def test_parses_as_method() -> None:
    assert parses_as_method("@Test public void testAdd() { assertEquals(3, calc.add(1, 2)); }")
    assert not parses_as_method("@Test public void testAdd() { assertEquals(3, calc.add(1, 2)); ")
    assert not parses_as_method("assertEquals(3, calc.add(1, 2));")
    assert not parses_as_method("void a() {} void b() {}")


def test_is_degenerate() -> None:
    assert is_degenerate('assertEquals("c", "c", "c", "c", "c", "c", "c", "c", "c", "c", "c");')
    assert is_degenerate("x" + " + 1" * 12)
    assert not is_degenerate("assertEquals(1, a); assertEquals(2, b); assertEquals(3, c); assertEquals(4, d);")


def test_loop_blocker_forbids_only_the_looping_token() -> None:
    blocker = LoopBlocker(max_repeats=3, max_period=2)
    ids = torch.tensor([[7, 5, 6, 5, 6, 5, 6], [1, 2, 3, 4, 5, 6, 7], [9, 9, 9, 4, 4, 4, 4]])
    scores = blocker(ids, torch.zeros(3, 10))
    assert scores[0, 5] == -float("inf") and torch.isfinite(scores[0, [0, 1, 2, 3, 4, 6, 7, 8, 9]]).all()
    assert torch.isfinite(scores[1]).all()
    assert scores[2, 4] == -float("inf") and torch.isfinite(scores[2, 9])


def test_inputs_and_outputs_longer_than_the_position_table_do_not_crash(tiny_bart_dir: Path, tmp_path: Path) -> None:
    # The tiny BART has 256 positions; the default source budget is 512 and max_new_tokens asks for 400.
    long_gen = Generator(store=AdapterStore(tmp_path / "store"), base_model=tiny_bart_dir, device="cpu",
                         max_new_tokens=400)
    body = "public int sum() { int s = 0; " + "s += values[0] * 3 + offset; " * 80 + "return s; }"
    result = long_gen.generate_for_source(body, None, k=1)
    assert len(result.candidates) == 1


def test_retrieve_strategy_needs_no_model_and_excludes_the_methods_own_tests(java_repo: Path, tmp_path: Path) -> None:
    gen = Generator(store=AdapterStore(tmp_path / "store"), base_model=tmp_path / "no-model-here", device="cpu")
    result = gen.generate_for_position(java_repo, "src/main/java/org/example/Calculator.java", 5, k=2,
                                       strategy="retrieve")
    assert result.method is not None and result.method.name == "add"
    assert len(result.candidates) == 2 and "no model" in result.model_description
    for c in result.candidates:
        assert c.source.startswith("retrieved: CalculatorTest.test") and not c.source.endswith(("Add1", "Add2"))
        assert c.parses and "calc.add(" in c.text and "void testAdd" in c.text  # renamed to the query method


def test_adapter_stores_the_projects_length_prior_and_generation_uses_it(adapted, tiny_bart_dir: Path,
                                                                          java_repo: Path) -> None:
    store, meta = adapted
    prior = LengthPrior.from_dict(meta.length_prior)
    assert prior is not None and prior.n == 24  # the calculator project's 24 tests
    assert LengthPrior.from_dict(store.load(meta.repo_key, meta.strategy)[0].length_prior) == prior
    gen = Generator(store=store, base_model=tiny_bart_dir, device="cpu")
    # the budget follows the project's tests (short ones), not the base corpus' long tail
    assert gen.max_new_tokens_for(prior) == prior.max_new_tokens() < gen.max_new_tokens_for()
    generation = gen.generate_for_position(java_repo, CALC, ADD_LINE, k=2)
    assert generation.adapter is not None and generation.candidates
    assert all(c.parses == parses_as_method(c.text) for c in generation.candidates)


def test_max_new_tokens_explicit_beats_the_prior_and_legacy_keeps_256(tiny_bart_dir: Path, tmp_path: Path) -> None:
    store = AdapterStore(tmp_path / "store")
    short = LengthPrior.fit([10] * 30)
    assert Generator(store=store, base_model=tiny_bart_dir, device="cpu").max_new_tokens_for(short) == 16
    assert Generator(store=store, base_model=tiny_bart_dir, device="cpu",
                     max_new_tokens=40).max_new_tokens_for(short) == 40
    legacy = Generator(store=store, base_model=tiny_bart_dir, device="cpu", decoding=DecodingConfig.legacy())
    assert legacy.max_new_tokens_for(short) == 255  # 256, within the tiny model's 256 positions
    [candidate] = legacy.generate_for_source("public int one() { return 1; }", None, k=1).candidates
    assert not candidate.hit_limit or candidate.degenerate  # a cut-off output is always flagged degenerate
    assert not candidate.repaired  # legacy decoding never repairs


def test_eos_push_past_the_priors_90th_percentile_ends_outputs_before_the_limit(tiny_bart_dir: Path,
                                                                                tmp_path: Path) -> None:
    prior = LengthPrior(mu=1.0, sigma=0.5, p50=2, p90=2, p99=20, max=20, n=30)  # max_new_tokens = 27
    store = AdapterStore(tmp_path / "store")
    pushed = Generator(store=store, base_model=tiny_bart_dir, device="cpu", decoding=DecodingConfig(eos_push=2.0))
    plain = Generator(store=store, base_model=tiny_bart_dir, device="cpu", decoding=DecodingConfig(eos_push=None))
    source = pushed.base.tokenizer("public int one() { return 1; }")["input_ids"]
    # the untrained tiny model never ends by itself within 27 tokens; the push makes every beam end
    assert all(c.hit_limit for c in plain.candidates(plain.base.model, source, 2, prior))
    assert not any(c.hit_limit for c in pushed.candidates(pushed.base.model, source, 2, prior))


def test_batched_candidates_are_each_inputs_own(generator: Generator) -> None:
    """Inputs of different lengths decoded together (padded, masked) get the candidates each gets alone."""
    tok = generator.base.tokenizer
    sources = [tok(text)["input_ids"] for text in (
        "public int add(int a, int b) { return a + b; }",
        "public String name() { return name; }",
        "public void clear() { items.clear(); size = 0; modCount++; }")]
    model = generator.base.model
    alone = [generator.candidates(model, source, 3) for source in sources]
    together = generator.candidates_batch(model, sources, 3)
    assert [[c.text for c in cs] for cs in together] == [[c.text for c in cs] for cs in alone]
    for batch_cands, own in zip(together, alone, strict=True):
        assert [c.score for c in batch_cands] == pytest.approx([c.score for c in own], abs=1e-4)
    assert generator.candidates_batch(model, [], 3) == []


def test_the_projects_nearest_test_leads_the_models_candidates_by_default(generator: Generator,
                                                                         java_repo: Path) -> None:
    model_only = generator.generate_for_position(java_repo, CALC, ADD_LINE, k=3, retrieved_first=0)
    mixed = generator.generate_for_position(java_repo, CALC, ADD_LINE, k=3, retrieved_first=1)
    first, *rest = mixed.candidates
    assert first.source.startswith("retrieved: ") and first.parses and not first.degenerate
    assert "add" in first.text  # adapted to the query method
    assert [c.rank for c in mixed.candidates] == [1, 2, 3]
    assert [c.text for c in rest] == [c.text for c in model_only.candidates][:2]
    assert "nearest existing test" in mixed.model_description
    default = generator.generate_for_position(java_repo, CALC, ADD_LINE, k=5)
    assert sum(c.source.startswith("retrieved") for c in default.candidates) <= DEFAULT_RETRIEVED_FIRST
    assert default.candidates[0].source.startswith("retrieved") and default.candidates[-1].source == "model"
    two = generator.generate_for_position(java_repo, CALC, ADD_LINE, k=3, retrieved_first=2)
    flags = [c.source.startswith("retrieved") for c in two.candidates]
    assert flags[0] and flags == sorted(flags, reverse=True) and sum(flags) <= 2  # retrieved ones lead
    assert len({" ".join(c.text.split()) for c in two.candidates}) == len(two.candidates)  # no duplicates


def test_the_models_candidates_are_ordered_by_agreement_with_the_nearest_tests(
        generator: Generator, java_repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import customizer.generate

    calls = []

    def reversed_order(candidates, tests, clean=None):  # a stand-in that makes the re-ordering visible
        calls.append((list(candidates), list(tests), list(clean)))
        return list(range(len(candidates)))[::-1]

    monkeypatch.setattr(customizer.defaults, "AGREEMENT_ORDER", False)
    beam = generator.generate_for_position(java_repo, CALC, ADD_LINE, k=3, retrieved_first=0)
    assert "agreement" not in beam.model_description
    monkeypatch.setattr(customizer.defaults, "AGREEMENT_ORDER", True)
    monkeypatch.setattr(customizer.generate, "agreement_order", reversed_order)
    agreed = generator.generate_for_position(java_repo, CALC, ADD_LINE, k=3, retrieved_first=0)
    nearest = generator.generate_for_position(java_repo, CALC, ADD_LINE, k=5, retrieved_only=True)
    (candidates, tests, clean), = calls
    assert candidates == [c.text for c in beam.candidates]  # the model's own, in beam order
    assert tests == [c.text for c in nearest.candidates]  # the project's nearest tests (up to 5), as listed
    assert clean == [c.parses and not c.redeclares and not c.degenerate for c in beam.candidates]
    assert [c.text for c in agreed.candidates] == candidates[::-1] and [c.rank for c in agreed.candidates] == [1, 2, 3]
    assert f"agreement with the project's {len(tests)} nearest tests" in agreed.model_description
    # in the default list the model's place goes to its best by agreement; a list of nearest tests only, or the
    # code action's single candidate, decodes nothing and orders nothing
    mixed = generator.generate_for_position(java_repo, CALC, ADD_LINE, k=3, retrieved_first=2)
    assert len(calls) == 2 and mixed.candidates[-1].text == calls[-1][0][-1]
    generator.generate_for_position(java_repo, CALC, ADD_LINE, k=1)
    assert len(calls) == 2
    # the ordering uses the AGREEMENT_TESTS nearest tests, however many lead the list
    monkeypatch.setattr(customizer.defaults, "AGREEMENT_TESTS", 1)
    generator.generate_for_position(java_repo, CALC, ADD_LINE, k=5, retrieved_first=4)
    assert len(tests) >= 2 and calls[-1][1] == tests[:1]


def test_the_leading_tests_are_ordered_with_the_answering_models_likelihood(
        generator: Generator, java_repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []
    real = Generator._scorer

    def spy(self, given):
        score = real(self, given)

        def recorded(texts):
            values = score(texts)
            calls.append((given.ref, list(texts), values))
            return values
        return recorded

    monkeypatch.setattr(Generator, "_scorer", spy)
    # shipped: the re-ranker's order leads for both kinds of model (the evaluation found no gain), no model pass
    quick = generator.generate_for_position(java_repo, CALC, ADD_LINE, k=1)
    assert not calls and "no model" in quick.model_description
    assert generator._server is None  # nor is the model loaded for it
    monkeypatch.setattr(customizer.defaults, "LIKELIHOOD_ORDER_ADAPTER", True)
    one = generator.generate_for_position(java_repo, CALC, ADD_LINE, k=1)  # the code action's single candidate
    assert one.candidates[0].source.startswith("retrieved") and "likelihood" in one.model_description
    (ref, texts, values), = calls
    assert ref is not None and ref.strategy == "l-ldb"  # the project's adapter answers, so it judges
    stage = shipped_stage()
    assert stage is not None and 2 <= len(texts) <= stage.scored and np.all(np.isfinite(values))
    assert one.candidates[0].text in texts
    base = generator.generate_for_position(java_repo, CALC, ADD_LINE, k=1, base_only=True)
    assert len(calls) == 1 and "no model" in base.model_description
    monkeypatch.setattr(customizer.defaults, "LIKELIHOOD_ORDER_BASE", True)
    generator.generate_for_position(java_repo, CALC, ADD_LINE, k=1, base_only=True)
    assert calls[-1][0] is None  # where it is asked to, the base model judges
    retrieval_only = generator.generate_for_position(java_repo, CALC, ADD_LINE, k=1, strategy="retrieve")
    assert len(calls) == 2 and "no model" in retrieval_only.model_description  # the bar runs no model


def test_a_project_without_tests_gets_the_models_candidates_only(tiny_bart_dir: Path, tmp_path: Path) -> None:
    repo = tmp_path / "notests"
    (repo / "src").mkdir(parents=True)
    (repo / "src" / "A.java").write_text("class A {\n  int twice(int x) {\n    return 2 * x;\n  }\n}\n")
    import git

    index = git.Repo.init(repo).index
    index.add(["src/A.java"])
    index.commit("A", author=git.Actor("t", "t@example.org"), committer=git.Actor("t", "t@example.org"))
    gen = Generator(store=AdapterStore(tmp_path / "store"), base_model=tiny_bart_dir, device="cpu",
                    max_new_tokens=8)
    generation = gen.generate_for_position(repo, "src/A.java", 1, k=2)
    assert generation.candidates and all(c.source == "model" for c in generation.candidates)


def test_how_many_retrieved_tests_lead_a_list_of_k() -> None:
    from customizer.decoding import retrieved_tests_first

    assert [retrieved_tests_first(k) for k in (1, 2, 3, 5, 10)] == [1, 1, 2, 4, DEFAULT_RETRIEVED_FIRST]
    assert retrieved_tests_first(5, 0) == 0 and retrieved_tests_first(5, 9) == 4 and retrieved_tests_first(1, 0) == 0


def test_an_empty_output_is_ranked_after_every_real_candidate(generator: Generator) -> None:
    tokenizer = generator.base.tokenizer
    eos, start = tokenizer.eos_token_id, generator.base.model.config.decoder_start_token_id
    test = tokenizer("@Test\nvoid t() {\n    assertTrue(true);\n}", add_special_tokens=False)["input_ids"]
    broken = tokenizer("@Test\nvoid t() {\n    Jar Jar jar", add_special_tokens=False)["input_ids"]
    # the empty beam (ended at once) scored best; a real candidate, even one that does not parse, goes first
    ranked = generator._ranked([[start, eos], [start, *broken, eos], [start, *test, eos]], [-0.01, -3.0, -4.0], 3,
                               generator.base_prior, 64)
    assert [c.text for c in ranked][-1] == "" and ranked[0].parses and all(c.text for c in ranked[:2])


def test_a_wider_second_search_runs_only_for_inputs_whose_candidates_all_fail_to_parse(
        tiny_bart_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import itertools

    import customizer.generate as generate_module

    gen = Generator(store=AdapterStore(tmp_path), base_model=tiny_bart_dir, device="cpu", max_new_tokens=16,
                    decoding=DecodingConfig(retry_beams=7))
    tok = gen.base.tokenizer
    sources = [tok(text)["input_ids"] for text in ("public int add(int a, int b) { return a + b; }",
                                                   "public String name() { return name; }")]
    searches: list[tuple[int, int]] = []
    real_search = Generator._beam_search

    def spy(self, module, batch, beams, *rest):
        searches.append((len(batch), beams))
        return real_search(self, module, batch, beams, *rest)

    monkeypatch.setattr(Generator, "_beam_search", spy)
    calls = itertools.count()
    # the first input's five beams "parse", the second input's do not: only the second is searched again
    monkeypatch.setattr(generate_module, "parses_as_method", lambda text: next(calls) < 5)
    first, second = gen.candidates_batch(gen.base.model, sources, 5)
    assert searches == [(2, 5), (1, 7)]
    assert not any(c.retried for c in first)
    # the second list ranks the first search's beams and the wider search's together (duplicates keep the first)
    assert len(second) == 5 and len({c.text for c in second}) == len(second)

    searches.clear()
    monkeypatch.setattr(generate_module, "parses_as_method", lambda text: True)
    gen.candidates_batch(gen.base.model, sources, 5)
    assert searches == [(2, 5)]  # every input has a parsing candidate: one search

    searches.clear()
    monkeypatch.setattr(generate_module, "parses_as_method", lambda text: False)
    never = Generator(store=AdapterStore(tmp_path), base_model=tiny_bart_dir, device="cpu", max_new_tokens=16,
                      decoding=DecodingConfig(retry_beams=None))
    never.candidates_batch(never.base.model, sources, 5)
    assert searches == [(2, 5)]  # retry_beams=None: never a second search


def test_a_shorter_list_of_nearest_tests_is_a_prefix_of_a_longer_one(generator: Generator, java_repo: Path) -> None:
    """The editor shows the nearest tests at once and the full list later: whatever their lengths, the shorter one
    holds as many distinct tests as it asks for (or as the project has) and they are the longer one's first: the
    fixture's 22 other tests adapt to only two distinct ones, so a retrieval of exactly k found fewer than k."""
    lists = [[c.text for c in generator.generate_for_position(java_repo, CALC, ADD_LINE, k=k,
                                                              retrieved_only=True).candidates] for k in range(1, 6)]
    longest = lists[-1]
    assert len({" ".join(t.split()) for t in longest}) == len(longest) == 2
    assert lists == [longest[:k] for k in range(1, 6)]
