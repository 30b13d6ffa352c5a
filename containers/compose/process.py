"""Run a command in its own process group and stream its output line by line."""

from __future__ import annotations

import logging
import os
import selectors
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

logger = logging.getLogger(__name__)

# Time between SIGTERM and SIGKILL when a run is stopped; compose uses it to
# cancel its API calls.
KILL_GRACE_SECONDS = 5.0
_POLL_SECONDS = 0.2


@dataclass
class StreamResult:
    """Exit status and output of a finished process."""

    exit_code: int
    stdout: list[str] = field(default_factory=list)
    stderr: list[str] = field(default_factory=list)
    timed_out: bool = False
    cancelled: bool = False


def stream_process(
    command: Sequence[str],
    *,
    cwd: Path,
    env: Mapping[str, str],
    on_line: Callable[[str, str], None],
    timeout: float | None = None,
    cancel: threading.Event | None = None,
) -> StreamResult:
    """Run ``command`` and call ``on_line(stream, line)`` for each output line.

    ``stream`` is "stdout" or "stderr". On timeout or when ``cancel`` is set,
    `kill_group` stops the whole process group, and the result has
    ``timed_out`` or ``cancelled`` set. An exception raised by
    ``on_line`` kills the process group the same way and propagates.
    """
    process = subprocess.Popen(
        list(command),
        cwd=cwd,
        env=dict(env),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    result = StreamResult(exit_code=-1)
    deadline = None if timeout is None else time.monotonic() + timeout
    try:
        _pump(process, result, on_line, deadline, cancel)
    finally:
        if process.poll() is None:
            kill_group(process)
        for pipe in (process.stdout, process.stderr):
            if pipe is not None:
                pipe.close()
    result.exit_code = process.wait()
    return result


def _pump(
    process: subprocess.Popen[bytes],
    result: StreamResult,
    on_line: Callable[[str, str], None],
    deadline: float | None,
    cancel: threading.Event | None,
) -> None:
    """Read both pipes until they close, or until the deadline or a cancel."""
    selector = selectors.DefaultSelector()
    buffers = {"stdout": b"", "stderr": b""}
    selector.register(process.stdout, selectors.EVENT_READ, "stdout")
    selector.register(process.stderr, selectors.EVENT_READ, "stderr")
    try:
        while selector.get_map():
            if cancel is not None and cancel.is_set():
                result.cancelled = True
                return
            if deadline is not None and time.monotonic() > deadline:
                result.timed_out = True
                return
            for key, _ in selector.select(_POLL_SECONDS):
                name = key.data
                chunk = os.read(key.fd, 65536)
                if not chunk:
                    selector.unregister(key.fileobj)
                    _emit(name, buffers[name], result, on_line)
                    buffers[name] = b""
                    continue
                *lines, buffers[name] = (buffers[name] + chunk).split(b"\n")
                for line in lines:
                    _emit(name, line, result, on_line)
    finally:
        selector.close()


def _emit(
    stream: str,
    raw: bytes,
    result: StreamResult,
    on_line: Callable[[str, str], None],
) -> None:
    if not raw:
        return
    line = raw.decode("utf-8", errors="replace").rstrip("\r")
    getattr(result, stream).append(line)
    on_line(stream, line)


def kill_group(process: subprocess.Popen[bytes]) -> None:
    """Stop the process group that ``process`` leads.

    The group gets SIGTERM, and SIGKILL if any member is still alive after
    KILL_GRACE_SECONDS. Members such as the compose binary under its Python
    wrapper can outlive the leader, so the wait is for the whole group.
    """
    group_id = process.pid
    logger.info("stopping process group %s", group_id)
    _signal_group(group_id, signal.SIGTERM)
    deadline = time.monotonic() + KILL_GRACE_SECONDS
    while time.monotonic() < deadline:
        # Reaping the leader keeps its zombie from counting as a live member.
        process.poll()
        if not _group_exists(group_id):
            return
        time.sleep(_POLL_SECONDS)
    logger.warning("process group %s ignored SIGTERM, sending SIGKILL", group_id)
    _signal_group(group_id, signal.SIGKILL)


def _group_exists(group_id: int) -> bool:
    try:
        os.killpg(group_id, 0)
    except ProcessLookupError:
        return False
    return True


def _signal_group(group_id: int, signal_number: signal.Signals) -> None:
    try:
        os.killpg(group_id, signal_number)
    except ProcessLookupError:
        pass
