"""Ranking by outcome (stable within an outcome) and the sandbox's time limit and network cut."""

from __future__ import annotations

import subprocess
import sys

import pytest

from customizer.validation import Outcome, ValidationResult, rank_by_validation, sandbox
from customizer.validation.sandbox import network_isolation_prefix, run_isolated


def test_ranking_prefers_passing_then_failing_then_not_compiling_then_not_parsing():
    results = [("a", Outcome.NOT_PARSING), ("b", Outcome.NOT_COMPILING), ("c", Outcome.FAILING),
               ("d", Outcome.PASSING), ("e", Outcome.FAILING), ("f", Outcome.TIMEOUT), ("g", None),
               ("h", Outcome.PASSING), ("i", Outcome.UNCHECKED)]
    items = [(name, None if outcome is None else ValidationResult(outcome)) for name, outcome in results]
    ranked = rank_by_validation(items, lambda item: item[1])
    # within an outcome the model's order (here: the input order) is kept; not validated counts as unchecked
    assert [name for name, _ in ranked] == ["d", "h", "c", "e", "f", "g", "i", "b", "a"]


def test_summary_and_dict_say_what_was_verified():
    result = ValidationResult(Outcome.FAILING, "AssertionFailedError: expected: <1> but was: <2>", True, 1.23456,
                              "a.FooTest", "testBar")
    assert result.summary() == "compiles, fails" and result.compiles
    assert result.to_dict() == {"outcome": "failing", "message": "AssertionFailedError: expected: <1> but was: <2>",
                                "isolated": True, "seconds": 1.235, "test_class": "a.FooTest",
                                "test_method": "testBar"}
    assert not ValidationResult(Outcome.NOT_COMPILING).compiles


def test_a_command_past_its_time_limit_is_killed_with_its_children(tmp_path):
    marker = tmp_path / "child-finished"
    done = run_isolated(["sh", "-c", f"(sleep 1; touch {marker}) & sleep 30"], tmp_path, timeout=0.5)
    assert done.timed_out
    subprocess.run(["sleep", "2"], check=True)
    assert not marker.exists()  # the whole process group went, not just the shell


def test_kill_running_ends_every_running_command_with_its_children(tmp_path):
    """What the language server does when it leaves: nothing would enforce the time limit afterwards."""
    import threading

    marker = tmp_path / "child-finished"
    results = []
    worker = threading.Thread(target=lambda: results.append(run_isolated(
        ["sh", "-c", f"(sleep 2; touch {marker}) & sleep 600"], tmp_path, timeout=600)))
    worker.start()
    while not sandbox._running:  # the command has started
        threading.Event().wait(0.05)
    assert sandbox.kill_running() == 1
    worker.join(timeout=60)
    [done] = results
    assert done.returncode == -9 and not done.timed_out
    subprocess.run(["sleep", "3"], check=True)
    assert not marker.exists() and not sandbox._running


@pytest.mark.skipif(network_isolation_prefix() is None, reason="needs `unshare -n` or `unshare -rn`")
def test_commands_run_without_network_in_the_scratch_directory(tmp_path):
    probe = "import os, socket; print(os.getcwd()); socket.create_connection(('1.1.1.1', 443), timeout=2)"
    done = run_isolated([sys.executable, "-c", probe], tmp_path, timeout=30)
    assert done.isolated and done.returncode != 0
    assert str(tmp_path) in done.output and ("Network is unreachable" in done.output or "OSError" in done.output)
