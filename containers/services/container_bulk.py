"""Bulk actions on a host: stop all running containers, remove all stopped ones.

The confirmation page lists the containers a bulk action will touch, and the
job acts on exactly that list, never on a fresh query. A container that
changed state in between is still tried: stopping a stopped one does nothing,
and removing one that was started again fails without force, which the job
log reports.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import QuerySet

from ..docker_client import DockerError
from ..models import Container, DockerHost, Job
from . import containers
from .container_list import visible_containers
from .jobs import JobFailed, JobLog, create_job, job_handler

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class BulkAction:
    """A bulk action: which containers it lists and what the job does to each."""

    kind: str
    label: str
    states: frozenset[str]
    verb: str


STOP_RUNNING = BulkAction(
    "containers-stop", "Stop all running", frozenset({"running"}), "Stopped"
)
REMOVE_STOPPED = BulkAction(
    "containers-remove", "Remove all stopped", containers.STOPPED_STATES, "Removed"
)


def affected(user, host: DockerHost, action: BulkAction) -> QuerySet[Container]:
    """Return the containers the action would touch now, for the confirmation."""
    return (
        visible_containers(user, host)
        .filter(state__in=action.states)
        .only("id", "name", "image", "state", "status", "synced_at")
        .order_by("name")
    )


def start(user, host: DockerHost, action: BulkAction, ids: list[int]) -> Job:
    """Queue the action's job for the confirmed containers that the user may see."""
    chosen = list(
        visible_containers(user, host).filter(pk__in=ids).values_list("pk", "name")
    )
    if not chosen:
        raise ValueError("None of the listed containers exists any more.")
    return create_job(
        action.kind,
        f"{action.label} on {host.name} ({len(chosen)} containers)",
        user=user,
        host=host,
        parameters={"containers": [pk for pk, _ in chosen]},
    )


def _run(
    job: Job, log: JobLog, action: BulkAction, apply: Callable[[Container], None]
) -> dict:
    rows = Container.objects.filter(
        host=job.host, pk__in=job.parameters["containers"]
    ).select_related("host", "app")
    done, failed = [], []
    for container in rows:
        try:
            apply(container)
        except DockerError as error:
            logger.info(
                "Bulk %s of container %s on host %s failed: %s",
                action.kind,
                container.docker_id[:12],
                job.host_id,
                error,
            )
            log.line(f"{container.name}: {error}", "stderr")
            failed.append(container.name)
            continue
        log.line(f"{action.verb} {container.name}")
        done.append(container.name)
    if failed:
        raise JobFailed(
            f"{len(failed)} of {len(done) + len(failed)} containers failed: "
            + ", ".join(failed)
        )
    return {"done": done}


@job_handler(STOP_RUNNING.kind)
def stop_running(job: Job, log: JobLog) -> dict:
    return _run(job, log, STOP_RUNNING, containers.stop)


@job_handler(REMOVE_STOPPED.kind)
def remove_stopped(job: Job, log: JobLog) -> dict:
    def remove_without_force(container: Container) -> None:
        containers.remove(container, force=False)

    return _run(job, log, REMOVE_STOPPED, remove_without_force)
