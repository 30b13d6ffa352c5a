"""Checks after a compose action: services that exited right after `up`."""

import logging
import time

from .. import compose
from ..compose import ComposeError
from ..compose import ComposeProject as ComposeSpec
from ..docker_client import DockerError, client_for, docker_errors
from ..models import ComposeProject
from .jobs import JobFailed, JobLog

logger = logging.getLogger(__name__)

# How long after `up` a service that exits counts as exiting at once.
EXIT_WATCH_SECONDS = 2.0
EXIT_LOG_LINES = 10


def check_exits(
    project: ComposeProject,
    spec: ComposeSpec,
    log: JobLog,
    watch_seconds: float = EXIT_WATCH_SECONDS,
) -> None:
    """Raise JobFailed if a service exited with an error within `watch_seconds`.

    A service that exits with status 0 (a one-off task) is not an error.
    """
    deadline = time.monotonic() + watch_seconds
    while True:
        failed = _failed_containers(project, spec)
        if failed or time.monotonic() >= deadline:
            break
        time.sleep(0.5)
    if not failed:
        return
    parts = []
    for entry in failed:
        service = entry.get("Service") or entry.get("Name")
        parts.append(f"service {service} exited with status {entry.get('ExitCode')}")
        for line in _last_lines(project, entry.get("ID") or entry.get("Name", "")):
            log.line(f"{service} | {line}", "stderr")
    raise JobFailed(
        "The containers started, but " + "; ".join(parts) + ". See its last log lines."
    )


def _failed_containers(project: ComposeProject, spec: ComposeSpec) -> list[dict]:
    try:
        entries = compose.ps(spec)
    except ComposeError as error:
        logger.warning("compose ps of project %s failed: %s", project.pk, error)
        return []
    return [
        entry
        for entry in entries
        if entry.get("State") in ("exited", "dead") and entry.get("ExitCode") != 0
    ]


def _last_lines(project: ComposeProject, container_id: str) -> list[str]:
    try:
        with docker_errors(project.host):
            container = client_for(project.host).containers.get(container_id)
            text = container.logs(tail=EXIT_LOG_LINES).decode(errors="replace")
    except DockerError as error:
        logger.info(
            "reading the log of container %s (project %s) failed: %s",
            container_id,
            project.pk,
            error,
        )
        return []
    return text.rstrip("\n").splitlines()
