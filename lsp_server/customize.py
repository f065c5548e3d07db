"""``testtailor.customizeProject``: run ``customize-project`` as a subprocess with work-done progress.

One job per repository. Cancelling the progress sends SIGTERM: a job still starting up just ends (the previous
adapter stays); a training one stops after the current step and, as ``customize-project`` does on Ctrl-C,
stores the best adapter so far if training improved on the base model (the end message says which happened).
The Generator hot-loads a new adapter when it next generates.
``autoCustomize`` runs the same job in the background when a Java file of a repository is opened that has no
adapter for the chosen strategy or whose HEAD moved far from the adapter's (:mod:`lsp_server.staleness`), at most
once per repository per server session.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
import sys
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lsprotocol import types
from pygls.exceptions import JsonRpcInvalidParams

from customizer.defaults import TRAINABLE
from customizer.errors import TestTailorError
from lsp_server.commands import TestTailorRequestFailed, raise_reported, single_argument
from lsp_server.documents import refresh_adapter, repo_for_uri, send_status
from lsp_server.pipeline import head_commit
from lsp_server.runtime import prepare_adapter
from lsp_server.server import TestTailorServer
from lsp_server.staleness import reason_to_customize

logger = logging.getLogger(__name__)
CUSTOMIZE_PROJECT = "testtailor.customizeProject"
TERMINATE_GRACE_S = 20.0


@dataclass
class Job:
    """A running (or starting: ``process`` is None until it is spawned) customization of one repository."""

    repo: Path
    strategy: str
    token: str | None = None
    process: asyncio.subprocess.Process | None = None
    cancelled: bool = False
    stderr: deque[str] = field(default_factory=lambda: deque(maxlen=20))

    def cancel(self) -> None:
        if self.cancelled:
            return
        self.cancelled = True
        if self.process is not None and self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)


def command_line(repo: Path, strategy: str, device: str, base_model: str, max_minutes: float | None) -> list[str]:
    cmd = [sys.executable, "-m", "customizer", "customize-project", str(repo), "--strategy", strategy,
           "--device", device, "--progress", "json"]
    if base_model:
        cmd += ["--base-model", base_model]
    if max_minutes is not None:
        cmd += ["--max-minutes", str(max_minutes)]
    return cmd


async def _progress(ls: TestTailorServer, job: Job, kind: str, message: str, percent: float | None = None) -> None:
    if job.token is None:
        return
    pct = None if percent is None else max(0, min(100, int(percent)))
    if kind == "begin":
        ls.work_done_progress.begin(job.token, types.WorkDoneProgressBegin(
            title="TestTailor: customizing", message=message, percentage=0, cancellable=True))
    elif kind == "report":
        ls.work_done_progress.report(job.token, types.WorkDoneProgressReport(message=message, percentage=pct))
    else:
        ls.work_done_progress.end(job.token, types.WorkDoneProgressEnd(message=message))



def _log(ls: TestTailorServer, job: Job, message: str, kind: types.MessageType = types.MessageType.Info) -> None:
    """A line in the client's server log (VS Code: the TestTailor output channel), so that a slow or stuck job
    shows how far it got."""
    ls.window_log_message(types.LogMessageParams(type=kind, message=f"customize {job.repo.name}: {message}"))


async def _drain(stream: asyncio.StreamReader | None, sink: deque[str]) -> None:
    if stream is None:
        return
    while line := await stream.readline():
        sink.append(line.decode("utf-8", errors="replace").rstrip())


async def run_job(ls: TestTailorServer, job: Job) -> dict[str, Any] | None:
    """Follow the subprocess' JSON progress; the ``done`` event, None when cancelled, or raise its error."""
    assert job.process is not None and job.process.stdout is not None
    done: dict[str, Any] | None = None
    error: dict[str, Any] | None = None
    drain = asyncio.create_task(_drain(job.process.stderr, job.stderr))
    while raw := await job.process.stdout.readline():
        try:
            event = json.loads(raw)
        except ValueError:
            continue  # the human-readable summary after the JSON lines
        if not isinstance(event, dict):
            continue
        kind = event.get("event")
        if kind == "start":
            pairs = event.get("pairs") or {}
            await _progress(ls, job, "report", f"training on {pairs.get('train', '?')} pairs", 0)
            _log(ls, job, f"training on {pairs.get('train', '?')} pairs, validating on {pairs.get('val', '?')}")
        elif kind == "progress":
            percent = float(event.get("percent") or 0)
            message = event.get("message") or f"epoch {event.get('epoch', '?')}, val loss {event.get('val_loss')}"
            await _progress(ls, job, "report", str(message), percent)
            ls.status("training", percent=percent, strategy=job.strategy, repo=str(job.repo))
            _log(ls, job, f"{percent:.0f}% {message}")
        elif kind == "done":
            done = event
        elif kind == "error":
            error = event
    await job.process.wait()
    await drain
    if job.cancelled:
        _log(ls, job, f"cancelled (exit code {job.process.returncode})")
        return None
    if done is not None and job.process.returncode == 0:
        _log(ls, job, f"done in {done.get('wall_s', 0):.0f} s: {done.get('adapter')}")
        return done
    _log(ls, job, f"failed with exit code {job.process.returncode}; its last output:\n" + "\n".join(job.stderr),
         types.MessageType.Error)
    message = (error or {}).get("message") or (job.stderr[-1] if job.stderr else "") or \
        f"customize-project exited with code {job.process.returncode}"
    raise TestTailorError(str(message))


def _created(meta: Any) -> Any:
    return None if meta is None else (getattr(meta, "created", None), getattr(meta, "path", None))


async def customize(ls: TestTailorServer, repo: Path, strategy: str, max_minutes: float | None = None,
                    why: str | None = None) -> dict[str, Any] | None:
    """Run ``customize-project`` for ``repo`` with work-done progress (the command and autoCustomize).

    Returns the command's result, None when cancelled or when a job for ``repo`` is already running (the user
    is told); raises the job's error (already reported to the user and as a status). ``why``: the reason shown
    when the job was not asked for (autoCustomize).
    """
    if repo in ls.jobs:
        ls.show(f"already customizing {repo.name}; wait for it to finish or cancel it", types.MessageType.Warning)
        return None
    job = Job(repo=repo, strategy=strategy)
    ls.jobs[repo] = job  # before the first await: a second request sees it
    started = time.monotonic()
    try:
        before = _created(await refresh_adapter(ls, repo, strategy))
        job.token = await ls.create_progress_token("customize")
        if job.cancelled:
            return None
        cmd = command_line(repo, strategy, ls.settings.device, ls.settings.base_model, max_minutes)
        _log(ls, job, " ".join(cmd))
        job.process = await asyncio.create_subprocess_exec(
            *cmd, stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE, env=os.environ.copy(), cwd=str(repo))
        await _progress(ls, job, "begin", f"{why}; mining {repo.name}" if why else f"mining {repo.name}")
        ls.status("training", percent=0, strategy=strategy, repo=str(repo))
        try:
            done = await run_job(ls, job)
        except Exception as exc:
            await _progress(ls, job, "end", f"failed: {exc}")
            ls.status("error", strategy=strategy, repo=str(repo), message=str(exc))
            ls.report(exc)
            raise
    finally:
        if job.process is not None and job.process.returncode is None:
            job.process.kill()
        ls.jobs.pop(repo, None)
    ls.conventions.pop(repo, None)
    meta = await refresh_adapter(ls, repo, strategy)
    if done is None:
        kept = "the previous model is kept" if _created(meta) == before else "the best adapter so far was stored"
        await _progress(ls, job, "end", f"cancelled; {kept}")
        ls.show(f"customization of {repo.name} cancelled; {kept}")
        send_status(ls, repo, meta)
        return None
    await _progress(ls, job, "end", f"done: validation loss {done.get('best_val_loss')}")
    send_status(ls, repo, meta)
    ls.in_background(prepare_adapter(ls, repo, strategy))  # its first generation then runs on ONNX Runtime
    return {"adapter": done.get("adapter"), "strategy": strategy, "bestValLoss": done.get("best_val_loss"),
            "baseValLoss": done.get("base_val_loss"), "pflops": done.get("pflops"),
            "wallSeconds": round(time.monotonic() - started, 3)}


async def auto_customize(ls: TestTailorServer, repo: Path, meta: Any) -> None:
    """``autoCustomize``: customize a repository without an adapter, or whose HEAD moved far from the adapter's
    (:mod:`lsp_server.staleness`), at most once per repository per session; each HEAD is judged once."""
    strategy = ls.settings.strategy
    if not ls.settings.auto_customize or strategy not in TRAINABLE or repo in ls.auto_customized or repo in ls.jobs:
        return
    head = await asyncio.to_thread(head_commit, repo)
    if (repo, strategy, head) in ls.drift_checked:
        return
    ls.drift_checked.add((repo, strategy, head))
    reason = await asyncio.to_thread(reason_to_customize, repo, meta, head)
    if reason is None or repo in ls.auto_customized or repo in ls.jobs:
        return
    ls.auto_customized.add(repo)
    logger.info("autoCustomize: customizing %s with %s (%s)", repo, strategy, reason)
    try:
        await customize(ls, repo, strategy, why=reason)
    except Exception as exc:  # already reported to the user
        logger.info("autoCustomize of %s failed: %s", repo, exc)


def register(server: TestTailorServer) -> None:
    @server.command(CUSTOMIZE_PROJECT)
    async def customize_project(ls: TestTailorServer, *args: Any) -> dict[str, Any] | None:
        arg = single_argument(args, CUSTOMIZE_PROJECT)
        repo = repo_for_uri(ls, arg.get("uri"))
        if repo is None:
            raise_reported(ls, TestTailorError("no git repository found for that file; open a file of a git "
                                               "repository and try again"))
        strategy = str(arg.get("strategy") or ls.settings.strategy)
        if strategy not in TRAINABLE:
            raise_reported(ls, TestTailorError(f"strategy {strategy!r} cannot be customized; choose one of "
                                               f"{', '.join(TRAINABLE)} (testtailor.strategy)"))
        max_minutes = arg.get("maxMinutes")
        try:
            minutes = float(max_minutes) if max_minutes is not None else None
        except (TypeError, ValueError) as exc:
            raise JsonRpcInvalidParams(f"{CUSTOMIZE_PROJECT}: maxMinutes must be a number") from exc
        try:
            return await customize(ls, repo, strategy, minutes)
        except TestTailorError as exc:
            raise TestTailorRequestFailed(exc.message) from exc

    @server.feature(types.WINDOW_WORK_DONE_PROGRESS_CANCEL)
    def cancel(ls: TestTailorServer, params: types.WorkDoneProgressCancelParams) -> None:
        for job in ls.jobs.values():
            if job.token == params.token:
                job.cancel()
                asyncio.get_running_loop().call_later(TERMINATE_GRACE_S, _kill_if_alive, job)


def _kill_if_alive(job: Job) -> None:
    if job.process is not None and job.process.returncode is None:
        logger.warning("customize-project did not stop after SIGTERM; killing it")
        job.process.kill()
