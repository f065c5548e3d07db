"""``testtailor.customizeProject``: run ``customize-project`` as a subprocess with work-done progress.

One job per repository. Cancelling the progress sends SIGTERM (the trainer keeps the previous adapter).
The Generator hot-loads the new adapter when it next generates.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
import sys
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lsprotocol import types

from customizer.errors import TestTailorError
from lsp_server.commands import raise_reported, single_argument
from lsp_server.documents import refresh_adapter, repo_for_uri, send_status
from lsp_server.server import TestTailorServer

logger = logging.getLogger(__name__)
CUSTOMIZE_PROJECT = "testtailor.customizeProject"
TERMINATE_GRACE_S = 20.0


@dataclass
class Job:
    repo: Path
    process: asyncio.subprocess.Process
    token: str | None
    cancelled: bool = False
    stderr: deque[str] = field(default_factory=lambda: deque(maxlen=20))

    def cancel(self) -> None:
        if self.process.returncode is None and not self.cancelled:
            self.cancelled = True
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


async def _create_token(ls: TestTailorServer) -> str | None:
    window = ls.client_capabilities.window
    if not (window and window.work_done_progress):
        return None
    token = f"testtailor-customize-{uuid.uuid4()}"
    try:
        await ls.work_done_progress.create_async(token)
    except Exception as exc:
        logger.warning("client refused work done progress: %s", exc)
        return None
    return token


async def _drain(stream: asyncio.StreamReader | None, sink: deque[str]) -> None:
    if stream is None:
        return
    while line := await stream.readline():
        sink.append(line.decode("utf-8", errors="replace").rstrip())


async def run_job(ls: TestTailorServer, job: Job, strategy: str) -> dict[str, Any] | None:
    done: dict[str, Any] | None = None
    error: dict[str, Any] | None = None
    drain = asyncio.create_task(_drain(job.process.stderr, job.stderr))
    assert job.process.stdout is not None
    while raw := await job.process.stdout.readline():
        try:
            event = json.loads(raw)
        except ValueError:
            continue
        if not isinstance(event, dict):
            continue
        kind = event.get("event")
        if kind == "start":
            pairs = event.get("pairs") or {}
            await _progress(ls, job, "report", f"training on {pairs.get('train', '?')} pairs", 0)
        elif kind == "progress":
            percent = float(event.get("percent") or 0)
            message = event.get("message") or f"epoch {event.get('epoch', '?')}, val loss {event.get('val_loss')}"
            await _progress(ls, job, "report", str(message), percent)
            ls.status("training", percent=percent, strategy=strategy, repo=str(job.repo))
        elif kind == "done":
            done = event
        elif kind == "error":
            error = event
    await job.process.wait()
    await drain
    if job.cancelled:
        return None
    if done is not None and job.process.returncode == 0:
        return done
    message = (error or {}).get("message") or (job.stderr[-1] if job.stderr else "") or \
        f"customize-project exited with code {job.process.returncode}"
    raise TestTailorError(str(message))


def register(server: TestTailorServer) -> None:
    @server.command(CUSTOMIZE_PROJECT)
    async def customize_project(ls: TestTailorServer, *args: Any) -> dict[str, Any] | None:
        arg = single_argument(args, CUSTOMIZE_PROJECT)
        repo = repo_for_uri(ls, arg.get("uri"))
        if repo is None:
            raise_reported(ls, TestTailorError("no git repository found for that file; open a file of a git "
                                               "repository and try again"))
        if repo in ls.jobs:
            ls.show(f"already customizing {repo.name}; wait for it to finish or cancel it",
                    types.MessageType.Warning)
            return None
        strategy = str(arg.get("strategy") or ls.settings.strategy)
        max_minutes = arg.get("maxMinutes")
        cmd = command_line(repo, strategy, ls.settings.device, ls.settings.base_model,
                           float(max_minutes) if max_minutes is not None else None)
        started = time.monotonic()
        token = await _create_token(ls)
        process = await asyncio.create_subprocess_exec(
            *cmd, stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE, env=os.environ.copy(), cwd=str(repo))
        job = Job(repo=repo, process=process, token=token)
        ls.jobs[repo] = job
        await _progress(ls, job, "begin", f"mining {repo.name}")
        ls.status("training", percent=0, strategy=strategy, repo=str(repo))
        try:
            done = await run_job(ls, job, strategy)
        except Exception as exc:
            await _progress(ls, job, "end", "failed")
            ls.status("error", strategy=strategy, repo=str(repo), message=str(exc))
            raise_reported(ls, exc)
        finally:
            if process.returncode is None:
                process.kill()
            ls.jobs.pop(repo, None)
        meta = await refresh_adapter(ls, repo)
        ls.conventions.pop(repo, None)
        if done is None:
            await _progress(ls, job, "end", "cancelled")
            ls.show(f"customization of {repo.name} cancelled; the previous model is kept")
            send_status(ls, repo, meta)
            return None
        await _progress(ls, job, "end", "done")
        send_status(ls, repo, meta)
        return {"adapter": done.get("adapter"), "strategy": strategy, "bestValLoss": done.get("best_val_loss"),
                "baseValLoss": done.get("base_val_loss"), "wallSeconds": round(time.monotonic() - started, 3)}

    @server.feature(types.WINDOW_WORK_DONE_PROGRESS_CANCEL)
    def cancel(ls: TestTailorServer, params: types.WorkDoneProgressCancelParams) -> None:
        for job in ls.jobs.values():
            if job.token == params.token:
                job.cancel()
                asyncio.get_running_loop().call_later(TERMINATE_GRACE_S, _kill_if_alive, job)


def _kill_if_alive(job: Job) -> None:
    if job.process.returncode is None:
        logger.warning("customize-project did not stop after SIGTERM; killing it")
        job.process.kill()
