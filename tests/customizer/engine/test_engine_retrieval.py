"""Retrieval-augmented customization and generation end to end on the tiny BART: k recorded in the adapter,
the index stored with it and used while fresh, refreshed when HEAD moves or a tracked file changes."""

from __future__ import annotations

from pathlib import Path

import pytest
from gitrepos import calculator_repo, git

from customizer.adapters import AdapterStore
from customizer.cli import main
from customizer.customize import customize_project
from customizer.errors import NoTestsFoundError
from customizer.generate import Generator
from customizer.inputs import DEFAULT_MAX_SOURCE, source_budget
from customizer.mining.miner import mine_repository
from customizer.mining.pairs import read_pairs, write_pairs
from customizer.retrieval.stored import INDEX_FILE
from customizer.train import TrainConfig

CALC = "src/main/java/org/example/Calculator.java"
TEST = "src/test/java/org/example/CalculatorTest.java"
ADD_LINE = 6  # 0-based line of `public int add(int a, int b) {`
FAST = TrainConfig(num_threads=1, max_epochs=1, lr=3e-3, log_every_s=0.0)


@pytest.fixture(scope="module")
def customized(tmp_path_factory: pytest.TempPathFactory, tiny_bart_dir: Path):
    """A calculator repository customized with --retrieval 2 (module scope: training is the slow part)."""
    root = tmp_path_factory.mktemp("rag")
    repo = calculator_repo(root / "calc")
    store = AdapterStore(root / "adapters")
    meta, _ = customize_project(repo, "l-ldb", "cpu", tiny_bart_dir, store=store, config=FAST, retrieval=2)
    return repo, store, meta


def test_adapter_records_k_and_stores_the_index_of_its_pairs(customized, tiny_bart_dir: Path) -> None:
    repo, store, meta = customized
    stored = store.read_meta(meta.repo_key, "l-ldb")
    assert stored.retrieval == 2 and stored.index_state
    assert stored.max_source == source_budget(DEFAULT_MAX_SOURCE, 2, 256)  # the tiny BART has 256 positions
    assert read_pairs(store.path(meta.repo_key, "l-ldb") / INDEX_FILE) == mine_repository(repo).pairs


def test_generation_follows_the_adapters_k(customized, tiny_bart_dir: Path) -> None:
    repo, store, _ = customized
    generator = Generator(store=store, base_model=tiny_bart_dir, device="cpu", max_new_tokens=8)
    generation = generator.generate_for_position(repo, CALC, ADD_LINE, k=1, retrieved_first=0)
    assert "with 2 retrieved project tests in the input" in generation.model_description
    assert generation.warnings == []
    mismatch = generator.generate_for_position(repo, CALC, ADD_LINE, k=1, retrieval=0, retrieved_first=0)
    assert "with 2 retrieved project tests" in mismatch.model_description
    assert any("customized with --retrieval 2" in w and "--retrieval 0" in w for w in mismatch.warnings)


def test_generation_leaves_out_the_methods_own_tests(customized, tiny_bart_dir: Path) -> None:
    repo, store, _ = customized
    generator = Generator(store=store, base_model=tiny_bart_dir, device="cpu")
    add = "public int add(int a, int b) {\n        return a + b;\n    }"
    signature = "public int add(int a, int b)"
    assert any(t.startswith(signature + "\n") for t in generator.retrieved_context(repo, add, 3, "Calculator"))
    texts = generator.retrieved_context(repo, add, 3, "Calculator", focal=(repo / CALC, signature))
    assert len(texts) == 3 and not any(t.startswith(signature + "\n") for t in texts)


def test_base_model_takes_the_requested_k(customized, tiny_bart_dir: Path) -> None:
    repo, store, _ = customized
    generator = Generator(store=store, base_model=tiny_bart_dir, device="cpu", max_new_tokens=8)
    with_k = generator.generate_for_position(repo, CALC, ADD_LINE, k=1, base_only=True, retrieval=1,
                                              retrieved_first=0)
    assert with_k.adapter is None and "with 1 retrieved project tests" in with_k.model_description
    without = generator.generate_for_position(repo, CALC, ADD_LINE, k=1, base_only=True, retrieved_first=0)
    assert "retrieved" not in without.model_description
    # the shipped list: the nearest existing test first; the model's input then has no retrieved tests
    default = generator.generate_for_position(repo, CALC, ADD_LINE, k=2, base_only=True)
    assert default.candidates[0].source.startswith("retrieved") and default.candidates[1].source == "model"


def test_the_cli_prints_a_retrieved_test_as_a_method_at_column_0(customized, tiny_bart_dir: Path,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    """A test cut out of its file keeps the file's indentation after its first line; printed, it is shifted back,
    ready to paste."""
    repo, _, _ = customized
    assert main(["generate", str(repo), "--file", CALC, "--line", str(ADD_LINE), "--device", "cpu", "--base-model",
                 str(tiny_bart_dir), "--max-new-tokens", "4", "--candidates", "2", "--retrieved-first", "1",
                 "--base-only"]) == 0
    printed = capsys.readouterr().out.split("\n#1 ")[1].split("\n#2 ")[0].strip("\n").splitlines()[1:]
    assert printed[0].startswith("@Test") and printed[-1] == "}"
    body = printed[2]
    assert printed[1].startswith("public void ") and body.startswith("    ") and not body.startswith("     ")


def test_stored_index_is_used_while_fresh_and_refreshed_when_head_moves(tmp_path: Path, tiny_bart_dir: Path) -> None:
    repo = calculator_repo(tmp_path / "calc")
    store = AdapterStore(tmp_path / "adapters")
    meta, _ = customize_project(repo, "l-ldb", "cpu", tiny_bart_dir, store=store, config=FAST, retrieval=1)
    index_file = store.path(meta.repo_key, "l-ldb") / INDEX_FILE
    write_pairs(index_file, read_pairs(index_file)[:5])  # so that reading the stored index shows
    generator = Generator(store=store, base_model=tiny_bart_dir, device="cpu")
    focal = "public int add(int a, int b) { return a + b; }"
    # how many tests the index holds (the list itself is of distinct adapted tests: the fixture's adapt to two)
    def indexed() -> str:
        return generator.retrieve(repo, focal, k=50).model_description.split(" existing tests")[0]

    assert indexed() == "retrieval from 5"  # stored pairs, not mined

    # an uncommitted edit of a tracked file: the stored index is stale, the repository is mined again
    test_file = repo / TEST
    test_file.write_text(test_file.read_text().replace(
        "public class CalculatorTest {",
        "public class CalculatorTest {\n    @Test\n    public void testAddZero() {\n"
        "        assertEquals(0, new Calculator().add(0, 0));\n    }\n"))
    assert indexed() == "retrieval from 25"

    git(repo, "commit", "-qam", "one more test")  # HEAD moves: mined again, the new test is in the index
    git(repo, "rm", "-q", TEST)
    git(repo, "commit", "-qm", "no tests")
    with pytest.raises(NoTestsFoundError, match="no JUnit/TestNG tests"):
        generator.retrieve(repo, focal, k=50)
    git(repo, "revert", "--no-edit", "HEAD")
    assert indexed() == "retrieval from 25"
    # the model path degrades to no retrieval without tests instead of failing
    git(repo, "rm", "-q", TEST)
    git(repo, "commit", "-qm", "no tests again")
    assert generator.retrieved_context(repo, focal, 2) == []


def test_cli_takes_retrieval_and_rejects_out_of_range(tmp_path: Path, tiny_bart_dir: Path,
                                                       monkeypatch: pytest.MonkeyPatch,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("TESTTAILOR_HOME", str(tmp_path / "home"))
    repo = calculator_repo(tmp_path / "calc")
    for command in (["customize-project", str(repo)], ["generate", str(repo), "--file", CALC, "--line", "7"]):
        with pytest.raises(SystemExit):
            main([*command, "--retrieval", "9"])
        assert "must be from 0 (off) to 8" in capsys.readouterr().err
    assert main(["customize-project", str(repo), "--device", "cpu", "--base-model", str(tiny_bart_dir),
                 "--max-pflops", "1e-9", "--progress", "none", "--retrieval", "1"]) == 0
    assert AdapterStore().find(repo).retrieval == 1
    assert main(["generate", str(repo), "--file", CALC, "--line", "7", "--device", "cpu", "--base-model",
                 str(tiny_bart_dir), "--max-new-tokens", "4", "--candidates", "1", "--retrieval", "2",
                 "--retrieved-first", "0"]) == 0
    out = capsys.readouterr().out
    assert "with 1 retrieved project tests" in out and "customized with --retrieval 1" in out
