"""Running project code (javac, the test JVM) in a subprocess with a time limit, a scratch working directory
and, where the kernel allows it, no network.

The network is cut with ``unshare -n`` (as root) or ``unshare -rn`` (an unprivileged user namespace); the first
form that works on this machine is probed once. Where neither works the command runs with the network and the
result says so (``isolated=False``), so the user is never told more than what was enforced.
"""

from __future__ import annotations

import functools
import os
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Completed:
    returncode: int
    output: str  # stdout and stderr interleaved
    timed_out: bool
    isolated: bool
    seconds: float


_running: set[subprocess.Popen[bytes]] = set()  # commands run_isolated is waiting for (any thread)
_running_lock = threading.Lock()


@functools.cache
def network_isolation_prefix() -> tuple[str, ...] | None:
    """The ``unshare`` prefix that cuts the network on this machine, or None when none works."""
    unshare = shutil.which("unshare")
    if unshare is None:
        return None
    for prefix in ((unshare, "-n"), (unshare, "-rn")):
        try:
            probe = subprocess.run([*prefix, "true"], capture_output=True, timeout=10, check=False)
        except (OSError, subprocess.SubprocessError):
            continue
        if probe.returncode == 0:
            return prefix
    return None


def run_isolated(argv: Sequence[str], cwd: Path, timeout: float, env: Mapping[str, str] | None = None,
                 isolate: bool = True) -> Completed:
    """Run ``argv`` in ``cwd`` for at most ``timeout`` seconds (then its whole process group is killed)."""
    prefix = network_isolation_prefix() if isolate else None
    command = [*(prefix or ()), *argv]
    environment = dict(os.environ if env is None else env)
    environment["TMPDIR"] = str(cwd)
    start = time.monotonic()
    process = subprocess.Popen(command, cwd=cwd, env=environment, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
    with _running_lock:
        _running.add(process)
    timed_out = False
    try:
        output, _ = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        timed_out = True
        _kill_group(process)
        output, _ = process.communicate()
    finally:
        with _running_lock:
            _running.discard(process)
    return Completed(returncode=process.returncode, output=output.decode("utf-8", errors="replace"),
                     timed_out=timed_out, isolated=prefix is not None, seconds=time.monotonic() - start)


def kill_running() -> int:
    """Kill every command :func:`run_isolated` is running (each with its process group); how many there were.

    For a process about to leave without waiting for its threads (the language server after ``exit``): a test
    JVM outlives its parent otherwise, and nothing would enforce its time limit any more."""
    with _running_lock:
        running = list(_running)
    for process in running:
        _kill_group(process)
    return len(running)


def _kill_group(process: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        process.kill()
