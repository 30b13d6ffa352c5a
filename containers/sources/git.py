"""A shallow clone of one branch, with a locked-down Git."""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from .errors import SourceError
from .folders import clean_dest, prepare_dest
from .urls import (
    _strip_credentials,
    mask_credentials,
    validate_branch,
    validate_git_url,
)


@dataclass(frozen=True)
class CloneResult:
    """Where the clone landed and which commit it checked out."""

    path: Path
    commit: str
    branch: str

    def __fspath__(self) -> str:
        return str(self.path)


def _git_env(
    allow_file: bool, allow_http: bool, extra: Mapping[str, str] | None
) -> dict[str, str]:
    env = dict(os.environ)
    # Nothing from the machine's or user's Git config (URL rewrites, helpers, hooks).
    env["GIT_CONFIG_NOSYSTEM"] = "1"
    env["GIT_CONFIG_GLOBAL"] = os.devnull
    # Never ask anyone for a password; fail instead.
    env["GIT_TERMINAL_PROMPT"] = "0"
    env["GIT_ASKPASS"] = ""
    env.pop("SSH_ASKPASS", None)
    env.setdefault("GIT_SSH_COMMAND", "ssh -o BatchMode=yes")
    protocols = (
        ["https", "ssh"]
        + (["http"] if allow_http else [])
        + (["file"] if allow_file else [])
    )
    env["GIT_ALLOW_PROTOCOL"] = ":".join(protocols)
    env["LC_ALL"] = "C"  # English messages, so errors read the same everywhere
    env["LANGUAGE"] = "C"
    for key in (
        "GIT_DIR",
        "GIT_WORK_TREE",
        "GIT_INDEX_FILE",
        "GIT_OBJECT_DIRECTORY",
        "GIT_ALTERNATE_OBJECT_DIRECTORIES",
        "GIT_CONFIG",
        "GIT_CONFIG_PARAMETERS",
        "GIT_CONFIG_COUNT",
        "GIT_TEMPLATE_DIR",
        "GIT_EXEC_PATH",
    ):
        env.pop(key, None)
    if extra:
        env.update(extra)
    return env


_GIT_SAFE_CONFIG = tuple(
    arg
    for setting in (
        "protocol.ext.allow=never",
        "protocol.fd.allow=never",
        "core.hooksPath=/dev/null",
        "submodule.recurse=false",
        "credential.helper=",
    )
    for arg in ("-c", setting)
)


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        proc.kill()


def _pump_lines(stream: IO[bytes], on_line: Callable[[str | None], None]) -> None:
    """Read Git's output, split on both \\n and \\r (progress); None at the end."""
    try:
        _split_lines(stream, on_line)
    except (OSError, ValueError):
        pass  # the pipe was closed under us (timeout or interrupted)
    finally:
        on_line(None)


def _split_lines(stream: IO[bytes], on_line: Callable[[str | None], None]) -> None:
    buf = b""
    while True:
        chunk = stream.read1(4096) if hasattr(stream, "read1") else stream.read(4096)
        if not chunk:
            break
        buf += chunk
        parts = re.split(rb"[\r\n]", buf)
        buf = parts.pop()
        for part in parts:
            on_line(part.decode("utf-8", "replace"))
    if buf:
        on_line(buf.decode("utf-8", "replace"))


_PROGRESS = re.compile(r"^(?P<phase>(?:remote: )?[A-Za-z ]+):\s+(?P<percent>\d+)% ")
_ERROR_PREFIXES = (
    "fatal:",
    "error:",
    "remote:",
    "warning:",
    "ssh:",
    "Host key",
    "Permission denied",
)


def clone_git(
    url: str,
    branch: str,
    dest: str | os.PathLike[str],
    *,
    allowed_local_roots: Sequence[str | os.PathLike[str]] = (),
    allow_http: bool = True,
    timeout: float = 120,
    log: Callable[[str], None] | None = None,
    env: Mapping[str, str] | None = None,
) -> CloneResult:
    """Shallow-clone one branch of ``url`` into the fresh folder ``dest``.

    Git runs with no system or global config, no hooks, no prompts, only the
    http(s)/ssh protocols (plus file when the URL is a local repository inside
    ``allowed_local_roots``), and in its own process group so a timeout kills it
    and anything it started. Progress lines go to ``log``; credentials in the URL
    never do. Extra environment (``GIT_SSL_CAINFO``, ``GIT_SSH_COMMAND``...)
    can be passed in ``env``. The clone's ``origin`` URL is stored without
    credentials. Returns a :class:`CloneResult`; raises :class:`SourceError` with
    Git's own last error lines on failure (and removes what it cloned).
    """
    log = log or (lambda line: None)
    clone_url = validate_git_url(url, allowed_local_roots, allow_http=allow_http)
    branch = validate_branch(branch)
    dest = Path(dest)
    shown = mask_credentials(clone_url)
    existed = prepare_dest(dest)
    git_env = _git_env(clone_url.startswith("file://"), allow_http, env)

    cmd = [
        "git",
        *_GIT_SAFE_CONFIG,
        "clone",
        "--progress",
        "--depth",
        "1",
        "--single-branch",
        "--no-tags",
        "--branch",
        branch,
        "--template=",
        "--",
        clone_url,
        str(dest),
    ]
    log(f"Cloning {shown} (branch {branch})")
    tail: deque[str] = deque(maxlen=40)
    progress: dict[str, int] = {}

    def on_line(raw: str) -> None:
        line = mask_credentials(raw.rstrip())
        if not line.strip():
            return
        tail.append(line)
        # Progress counters are redrawn with \r many times a second: log each
        # phase at most every 10 % and when it is done.
        match = _PROGRESS.match(line)
        if match and not line.endswith("done."):
            phase, percent = match.group("phase"), int(match.group("percent"))
            if phase in progress and percent < progress[phase] + 10:
                return
            progress[phase] = percent
        log(line)

    try:
        proc = subprocess.Popen(
            cmd,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            env=git_env,
            start_new_session=True,  # no controlling terminal: ssh cannot prompt
        )
    except FileNotFoundError:
        raise SourceError("Git is not installed on the Pier machine.") from None

    # Git's output is read on a helper thread, but ``log`` is always called on
    # this thread (it may write to the database).
    lines: queue.Queue[str | None] = queue.Queue()
    reader = threading.Thread(
        target=_pump_lines, args=(proc.stdout, lines.put), daemon=True
    )
    reader.start()
    deadline = time.monotonic() + timeout
    try:
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise subprocess.TimeoutExpired(cmd, timeout)
            try:
                line = lines.get(timeout=min(remaining, 0.5))
            except queue.Empty:
                continue
            if line is None:  # Git closed its output
                break
            on_line(line)
        returncode = proc.wait(timeout=max(deadline - time.monotonic(), 0.1))
    except subprocess.TimeoutExpired:
        _kill_group(proc)
        proc.wait()
        reader.join(5)
        clean_dest(dest, existed)
        raise SourceError(
            f"Cloning {shown} took longer than {timeout:g} seconds and was stopped."
        ) from None
    except BaseException:
        _kill_group(proc)
        proc.wait()
        reader.join(5)
        clean_dest(dest, existed)
        raise
    finally:
        if proc.stdout:
            proc.stdout.close()

    if returncode != 0:
        clean_dest(dest, existed)
        errors = [
            line
            for line in tail
            if line.lstrip().startswith(_ERROR_PREFIXES) and not _PROGRESS.match(line)
        ]
        detail = (
            "\n".join((errors or list(tail))[-6:])
            or f"git exited with code {returncode}"
        )
        raise SourceError(f"Could not clone {shown} (branch {branch}):\n{detail}")

    try:
        commit = _git_out(["rev-parse", "HEAD"], dest, git_env)
        stripped = _strip_credentials(clone_url)
        if stripped != clone_url:
            _git_out(["config", "remote.origin.url", stripped], dest, git_env)
    except SourceError:
        clean_dest(dest, existed)
        raise
    log(f"Checked out {branch} at commit {commit[:12]}")
    return CloneResult(path=dest, commit=commit, branch=branch)


def head_commit(path: str | os.PathLike[str]) -> str:
    """Return the commit checked out in a clone, or in the clone above ``path``."""
    return _git_out(["rev-parse", "HEAD"], Path(path), _git_env(False, False, None))


def _git_out(args: list[str], repo: Path, env: Mapping[str, str]) -> str:
    proc = subprocess.run(
        ["git", *_GIT_SAFE_CONFIG, "-C", str(repo), *args],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        env=dict(env),
        timeout=30,
    )
    if proc.returncode != 0:
        message = mask_credentials(proc.stderr.decode("utf-8", "replace").strip())
        raise SourceError(f"git {args[0]} failed in the cloned source: {message}")
    return proc.stdout.decode().strip()


# --------------------------------------------------------------------------- archives
