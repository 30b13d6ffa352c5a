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
    require_healthy: bool = False,
) -> None:
    """Raise JobFailed if a service exited with an error within `watch_seconds`.

    A service that exits with status 0 (a one-off task) is not an error. With
    ``require_healthy``, a container whose health check has not passed is one.
    """
    deadline = time.monotonic() + watch_seconds
    while True:
        entries = _entries(project, spec)
        failed = [
            entry
            for entry in entries
            if entry.get("State") in ("exited", "dead") and entry.get("ExitCode") != 0
        ]
        if failed or time.monotonic() >= deadline:
            break
        time.sleep(0.5)
    if require_healthy and not failed:
        _check_healthy(entries)
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


def _entries(project: ComposeProject, spec: ComposeSpec) -> list[dict]:
    try:
        return compose.ps(spec)
    except ComposeError as error:
        logger.warning("compose ps of project %s failed: %s", project.pk, error)
        return []


def _check_healthy(entries: list[dict]) -> None:
    # NOTE: compose up --wait has been seen to exit 0 when its wait timeout
    # expired under load, so Pier reads each container's health itself.
    waiting = [
        f"service {entry.get('Service') or entry.get('Name')} is {entry['Health']}"
        for entry in entries
        if entry.get("Health") in ("starting", "unhealthy")
    ]
    if waiting:
        raise JobFailed(
            f"compose up failed: {'; '.join(waiting)} when the wait ended. "
            "Check the service's health check, or wait longer."
        )


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
