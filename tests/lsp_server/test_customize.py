"""``testtailor.customizeProject`` and ``autoCustomize``: the ``customize-project`` subprocess with work-done
progress, cancellation and one job per repository (tiny BART, a repository with 12 pairs, a tiny budget)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from gitrepos import git
from lsp_helpers import OPS_MAIN, OPS_TEST, Starter, code_actions, execute, open_doc, wait_for
from lsprotocol import types
from pytest_lsp import LanguageClient

CUSTOMIZE = "testtailor.customizeProject"
JOB_TIMEOUT = 240.0  # a 2-core machine shared with other work: the subprocess imports torch and trains


def progress_of(client: LanguageClient) -> list[object]:
    tokens = [t for t in client.progress_reports if str(t).startswith("testtailor-customize-")]
    assert len(tokens) <= 1, tokens
    return client.progress_reports[tokens[0]] if tokens else []


def ended(client: LanguageClient) -> bool:
    reports = progress_of(client)
    return bool(reports) and isinstance(reports[-1], types.WorkDoneProgressEnd)


def adapter_files(home: Path) -> dict[str, bytes]:
    return {str(p.relative_to(home)): p.read_bytes() for p in sorted(home.rglob("*")) if p.is_file()}


@pytest.mark.asyncio
async def test_customize_reports_progress_and_the_adapter_is_used(start_client: Starter, ops_repo: Path,
                                                                   server_env: dict[str, str]) -> None:
    client = await start_client(root=ops_repo)
    uri = open_doc(client, ops_repo / OPS_MAIN)
    [before] = await code_actions(client, uri, 4, 10)
    assert before.title.endswith("or base model)")

    result = await asyncio.wait_for(execute(client, CUSTOMIZE, {"uri": uri, "maxMinutes": 0.1}), JOB_TIMEOUT)

    assert isinstance(result, dict), (client.messages, result)
    assert result["strategy"] == "l-ldb"
    assert Path(result["adapter"]).is_relative_to(server_env["TESTTAILOR_HOME"])
    assert isinstance(result["bestValLoss"], float) and isinstance(result["baseValLoss"], float)
    assert result["wallSeconds"] > 0
    begin, *reports, end = progress_of(client)
    assert isinstance(begin, types.WorkDoneProgressBegin) and begin.cancellable
    assert reports and all(isinstance(r, types.WorkDoneProgressReport) for r in reports)
    percentages = [r.percentage for r in reports if r.percentage is not None]
    assert percentages == sorted(percentages) and percentages[-1] > 0
    assert isinstance(end, types.WorkDoneProgressEnd) and end.message and end.message.startswith("done")
    await wait_for(lambda: client.statuses and client.statuses[-1]["state"] == "ready", what="status ready")
    assert client.statuses[-1]["strategy"] == "l-ldb"
    assert any(s["state"] == "training" and s.get("percent", 0) > 0 for s in client.statuses)
    [after] = await code_actions(client, uri, 4, 10)
    assert after.title == "Generate unit test for `add` (nearest project test, or personalized: l-ldb)"
    [listed] = await execute(client, "testtailor.listAdapters")
    assert listed["strategy"] == "l-ldb" and listed["active"] is True  # the workspace's adapter for the setting
    assert listed["repoName"] == "ops" and listed["repo"] == str(ops_repo.resolve())
    assert listed["bestValLoss"] == result["bestValLoss"] and listed["path"] == result["adapter"]
    assert listed["sizeBytes"] > 0


@pytest.mark.asyncio
async def test_cancel_and_a_second_request_while_running(start_client: Starter, ops_repo: Path, tiny_bart_dir: Path,
                                                         server_env: dict[str, str]) -> None:
    from customizer.adapters import AdapterStore
    from customizer.customize import customize_project
    from customizer.train import TrainConfig

    home = Path(server_env["TESTTAILOR_HOME"])
    customize_project(ops_repo, base_model=tiny_bart_dir, device="cpu", max_minutes=0.05,
                      store=AdapterStore(home / "adapters"), config=TrainConfig(num_threads=1))
    previous = adapter_files(home)
    assert any(name.endswith("adapter.safetensors") for name in previous)

    client = await start_client(root=ops_repo)
    uri = open_doc(client, ops_repo / OPS_MAIN)
    job = asyncio.create_task(execute(client, CUSTOMIZE, {"uri": uri}))
    await wait_for(lambda: progress_of(client), what="progress begin")

    assert await execute(client, CUSTOMIZE, {"uri": uri}) is None  # one job per repository
    assert any("already customizing ops" in m.message for m in client.messages)

    [token] = [t for t in client.progress_reports if str(t).startswith("testtailor-customize-")]
    client.window_work_done_progress_cancel(types.WorkDoneProgressCancelParams(token=token))
    assert await asyncio.wait_for(job, JOB_TIMEOUT) is None
    end = progress_of(client)[-1]
    assert isinstance(end, types.WorkDoneProgressEnd)
    assert end.message == "cancelled; the previous model is kept"
    assert any("cancelled" in m.message for m in client.messages)
    assert adapter_files(home) == previous
    await wait_for(lambda: client.statuses and client.statuses[-1]["state"] == "ready", what="status ready")


@pytest.mark.asyncio
async def test_auto_customize_starts_once_per_repository(start_client: Starter, ops_repo: Path) -> None:
    client = await start_client(init_options={"testtailor": {"autoCustomize": True}}, root=ops_repo)
    open_doc(client, ops_repo / OPS_MAIN)
    await wait_for(lambda: progress_of(client), timeout=30, what="automatic customization to start")
    [token] = [t for t in client.progress_reports if str(t).startswith("testtailor-customize-")]
    assert isinstance(progress_of(client)[0], types.WorkDoneProgressBegin)
    client.window_work_done_progress_cancel(types.WorkDoneProgressCancelParams(token=token))
    await wait_for(lambda: ended(client), timeout=JOB_TIMEOUT, what="progress end")
    assert progress_of(client)[-1].message.startswith("cancelled")

    # still no adapter, but this session already tried: opening another file of the repo starts nothing
    seen = len(client.statuses)
    open_doc(client, ops_repo / OPS_TEST)
    await wait_for(lambda: len(client.statuses) > seen, what="status after didOpen")
    await asyncio.sleep(1.0)
    assert len(client.progress_reports) == 1
    assert client.statuses[-1]["state"] == "none"


@pytest.mark.asyncio
async def test_auto_customize_is_off_by_default_and_skips_retrieve(start_client: Starter, ops_repo: Path) -> None:
    client = await start_client(root=ops_repo)
    open_doc(client, ops_repo / OPS_MAIN)
    await wait_for(lambda: client.statuses, what="status after didOpen")
    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(
        settings={"testtailor": {"autoCustomize": True, "strategy": "retrieve"}}))
    open_doc(client, ops_repo / OPS_TEST)
    await wait_for(lambda: len(client.statuses) >= 2, what="second status")
    await asyncio.sleep(1.0)
    assert client.progress_reports == {}


@pytest.mark.asyncio
async def test_customize_with_retrieve_or_too_few_pairs_fails_cleanly(start_client: Starter,
                                                                      java_repo: Path) -> None:
    from pygls.exceptions import JsonRpcException

    client = await start_client()
    uri = open_doc(client, java_repo / "src/main/java/org/example/Calc.java")
    with pytest.raises(JsonRpcException, match="cannot be customized"):
        await execute(client, CUSTOMIZE, {"uri": uri, "strategy": "retrieve"})
    with pytest.raises(JsonRpcException, match="at least 8"):  # calc has 3 pairs
        await asyncio.wait_for(execute(client, CUSTOMIZE, {"uri": uri}), JOB_TIMEOUT)
    end = progress_of(client)[-1]
    assert isinstance(end, types.WorkDoneProgressEnd) and end.message.startswith("failed")
    assert client.statuses[-1]["state"] == "error"


@pytest.mark.asyncio
async def test_auto_customize_when_head_moved_far_from_the_adapter(start_client: Starter, ops_repo: Path,
                                                                   tiny_bart_dir: Path,
                                                                   server_env: dict[str, str]) -> None:
    from customizer.adapters import AdapterStore
    from customizer.customize import customize_project
    from customizer.train import TrainConfig
    from lsp_server.staleness import STALE_COMMITS

    home = Path(server_env["TESTTAILOR_HOME"])
    customize_project(ops_repo, base_model=tiny_bart_dir, device="cpu", max_minutes=0.05,
                      store=AdapterStore(home / "adapters"), config=TrainConfig(num_threads=1))
    client = await start_client(init_options={"testtailor": {"autoCustomize": True}}, root=ops_repo)
    open_doc(client, ops_repo / OPS_MAIN)  # the adapter was trained at HEAD: nothing to do
    await wait_for(lambda: client.statuses and client.statuses[-1]["state"] == "ready", what="status ready")
    await asyncio.sleep(1.5)
    assert client.progress_reports == {}

    for i in range(STALE_COMMITS):
        git(ops_repo, "commit", "-q", "--allow-empty", "-m", f"work {i}")
    open_doc(client, ops_repo / OPS_TEST)
    await wait_for(lambda: progress_of(client), timeout=30, what="automatic customization to start")
    begin = progress_of(client)[0]
    assert isinstance(begin, types.WorkDoneProgressBegin)
    assert begin.message == f"{STALE_COMMITS} commits since the adapter was trained; mining ops"
    [token] = [t for t in client.progress_reports if str(t).startswith("testtailor-customize-")]
    client.window_work_done_progress_cancel(types.WorkDoneProgressCancelParams(token=token))
    await wait_for(lambda: ended(client), timeout=JOB_TIMEOUT, what="progress end")
