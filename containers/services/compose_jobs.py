"""Compose actions as tracked jobs: up, stop, start, restart, kill, down, scale.

Every action writes the project's files afresh, runs the compose binary with
`--progress json`, and records the output in the job. A job whose worker died
stays "running" in the database; `fail_stale_jobs` marks it failed before the
next action and when a worker starts. `up` is idempotent, so a task that Celery
delivers again after a crash only repeats the work.
"""

import logging
import os
import socket
import time

from celery.signals import worker_ready
from django.db import transaction
from django.utils import timezone

from .. import compose
from ..compose import ComposeError, ComposeTimeout, commands
from ..docker_client import HostUnavailable
from ..models import ComposeProject, Job
from . import compose_files, compose_projects
from .compose_actions import EXIT_WATCH_SECONDS, check_exits
from .compose_engine import engine_access, process_exists, remove_leftover_folders
from .compose_progress import ProgressTracker
from .compose_validation import InvalidProject, load
from .jobs import JobFailed, JobLog, create_job, job_handler

logger = logging.getLogger(__name__)

# A running job whose heartbeat is older than this is taken as dead.
STALE_SECONDS = 90.0
# Kept in Job.result; the job's log lines keep the whole output.
MAX_RESULT_OUTPUT = 20000
ACTION_TIMEOUT_SECONDS = 3600.0


class ProjectBusy(Exception):
    """Another action of the project is still running."""


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def is_stale(job: Job, now: float | None = None) -> bool:
    """Tell whether a running job's worker is gone.

    A job is stale when its worker process on this machine no longer exists,
    or when it has written no heartbeat for STALE_SECONDS.
    """
    progress = job.progress or {}
    owner = str(progress.get("worker", ""))
    host, _, pid = owner.rpartition(":")
    if host == socket.gethostname() and pid.isdigit() and not process_exists(int(pid)):
        return True
    beat = progress.get("heartbeat")
    if not isinstance(beat, int | float):
        started = job.started or job.created
        beat = started.timestamp() if started else 0
    return (now or time.time()) - beat > STALE_SECONDS


def fail_stale_jobs(project: ComposeProject | None = None) -> list[int]:
    """Mark running compose jobs whose worker is gone as failed; return their ids."""
    running = Job.objects.filter(kind__startswith="compose.", state=Job.RUNNING)
    if project is not None:
        running = running.filter(parameters__project_id=project.pk)
    failed = []
    for job in running:
        if not is_stale(job):
            continue
        message = (
            "The worker running this action stopped before it finished. "
            "Run the action again."
        )
        Job.objects.filter(pk=job.pk, state=Job.RUNNING).update(
            state=Job.FAILED, error=message, finished=timezone.now()
        )
        logger.warning("compose job %s of project %s was stale", job.pk, project)
        failed.append(job.pk)
    return failed


@worker_ready.connect
def _fail_stale_on_start(**kwargs: object) -> None:
    try:
        fail_stale_jobs()
    except Exception:
        logger.exception("Checking for stale compose jobs at worker start failed")
    try:
        remove_leftover_folders()
    except OSError:
        logger.exception("Removing compose folders of stopped processes failed")


def start_action(
    project: ComposeProject, user, action: str, args: list[str], **extra: object
) -> Job:
    """Queue one compose action on the project, after failing stale jobs.

    Raises ProjectBusy while another action of the project runs.
    """
    fail_stale_jobs(project)
    with transaction.atomic():
        ComposeProject.objects.select_for_update().filter(pk=project.pk).first()
        busy = compose_projects.project_jobs(project).filter(state=Job.RUNNING).first()
        if busy is not None:
            raise ProjectBusy(f"{busy.title} is still running. Wait until it finishes.")
        return create_job(
            f"compose.{action}",
            f"{action.capitalize()} {project.name}" + _detail(args),
            user=user,
            host=project.host,
            team=project.team,
            parameters={"project_id": project.pk, "args": args, **extra},
        )


def _detail(args: list[str]) -> str:
    names = [arg for arg in args[1:] if not arg.startswith("-") and "=" not in arg]
    return f" ({', '.join(names)})" if names and args[0] != "up" else ""


def _project(job: Job) -> ComposeProject:
    project_id = job.parameters.get("project_id")
    project = (
        ComposeProject.objects.select_related("host", "team", "created_by")
        .filter(pk=project_id)
        .first()
    )
    if project is None:
        raise JobFailed(f"Compose project {project_id} no longer exists.")
    return project


def run_action(job: Job, log: JobLog) -> dict:
    """Run the compose command stored in the job's parameters."""
    project = _project(job)
    log.progress(worker=worker_id())
    args = list(job.parameters["args"])
    version = project.versions.filter(pk=job.parameters.get("version_id")).first()
    version = version or project.applied_version or project.latest_version
    folder = compose_files.project_folder(project)
    try:
        loaded = load(project, version, folder, log=log.line, check=args[0] == "up")
    except InvalidProject as error:
        raise JobFailed(f"The project cannot run: {error}") from error
    try:
        with engine_access(project.host) as engine:
            completed = _run_on_engine(project, engine.bind(loaded.spec), args, log)
    except HostUnavailable as error:
        raise JobFailed(str(error)) from error
    result = {
        "exit_code": completed.exit_code,
        "output": completed.text[-MAX_RESULT_OUTPUT:],
    }
    if args[0] == "up" and "--scale" not in args:
        project.applied_version = version
    if job.parameters.get("forget"):
        log.line(f"Forgetting compose project {project.name}")
        project.delete()
        return result
    project.status = f"{job.title}: done"
    project.save(update_fields=["applied_version", "status"])
    return result


def _run_on_engine(
    project: ComposeProject, spec: compose.ComposeProject, args: list[str], log: JobLog
) -> compose.CompletedRun:
    """Run the command, then check that `up` left no service that exited."""
    log.line(f"compose {' '.join(args)}")
    with ProgressTracker(log) as tracker:
        completed = _run(project, spec, args, tracker)
    if args[0] == "up" and "--scale" not in args:
        # `up --wait` has already waited for every service to run or be
        # healthy, so one look is enough.
        waited = "--wait" in args
        watch = 0.0 if waited else EXIT_WATCH_SECONDS
        check_exits(project, spec, log, watch_seconds=watch, require_healthy=waited)
    return completed


def _run(project, spec, args, tracker) -> compose.CompletedRun:
    try:
        return compose.run(spec, args, tracker.on_event, timeout=ACTION_TIMEOUT_SECONDS)
    except ComposeTimeout as error:
        raise JobFailed(str(error)) from error
    except ComposeError as error:
        _record_failure(project, error)
        if error.exit_code is not None and error.exit_code < 0:
            raise JobFailed(
                f"compose {args[0]} was killed by signal {-error.exit_code} "
                "before it finished. Run the action again."
            ) from error
        raise JobFailed(f"compose {args[0]} failed: {error.detail}") from error


def _record_failure(project: ComposeProject, error: ComposeError) -> None:
    project.status = f"failed: {str(error.detail).splitlines()[-1][:150]}"
    project.save(update_fields=["status"])


for _kind in (
    "up",
    "stop",
    "start",
    "restart",
    "kill",
    "down",
    "scale",
    "restart_service",
):
    job_handler(f"compose.{_kind}")(run_action)


def up_args(*, build: bool, wait: bool, wait_timeout: int | None) -> list[str]:
    args = commands.up(build=build, wait=wait, remove_orphans=True)
    if wait and wait_timeout:
        args += ["--wait-timeout", str(int(wait_timeout))]
    return args
