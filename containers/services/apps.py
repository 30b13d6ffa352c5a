"""App life cycle beyond publishing: start, stop, restart, roll back, remove."""

import logging

from django.db import transaction

from ..docker_client import DockerError, ObjectNotFound, client_for, docker_errors
from ..models import App, Job, Release
from .envvars import parse, secret_values
from .jobs import JobFailed, JobLog, create_job, job_handler
from .publish import AppBusy, check_not_busy, require_only_swap, send_app_change
from .runtime import STOP_TIMEOUT, remove_container_quietly, remove_image_quietly, swap

logger = logging.getLogger(__name__)

ACTIONS = ("start", "stop", "restart")


def live_container_id(app: App) -> str:
    release = app.live_release
    if release is None or not release.container_id:
        raise DockerError(f"{app.name} has no live release yet. Publish it first.")
    return release.container_id


def act(app: App, action: str) -> None:
    """Start, stop or restart the app's live container."""
    if action not in ACTIONS:
        raise ValueError(f"Unknown action {action!r}")
    container_id = live_container_id(app)
    api = client_for(app.host).api
    with docker_errors(app.host):
        if action == "start":
            api.start(container_id)
        elif action == "stop":
            api.stop(container_id, timeout=STOP_TIMEOUT)
        else:
            api.restart(container_id, timeout=STOP_TIMEOUT)


def start_rollback(app: App, release: Release, user) -> Job:
    if release.app_id != app.pk or not release.image_tag:
        raise ValueError("That release cannot be rolled back to: it has no image.")
    if release.status == Release.LIVE:
        raise ValueError(f"v{release.version} is already live.")
    try:
        check_not_busy(app)
    except AppBusy as error:
        raise ValueError(str(error)) from error
    return create_job(
        "rollback",
        f"Roll back {app.name} to v{release.version}",
        user=user,
        host=app.host,
        app=app,
        parameters={"release_id": release.pk},
    )


@job_handler("rollback")
def rollback(job: Job, log: JobLog) -> dict:
    app = job.app
    release = Release.objects.get(pk=job.parameters["release_id"])
    log.secrets = secret_values(app.environment)
    require_only_swap(job)
    with docker_errors(app.host):
        try:
            client_for(app.host).api.inspect_image(release.image_tag)
        except ObjectNotFound as error:
            raise JobFailed(
                f"Image {release.image_tag} of v{release.version} is gone from "
                f"{app.host.name}; publish again instead."
            ) from error
    container_id = swap(app, release, parse(app.environment), log)
    return {"container_id": container_id, "version": release.version}


def start_removal(app: App, user) -> Job:
    return create_job(
        "remove-app",
        f"Remove {app.name}",
        user=user,
        host=app.host,
        app=None,
        team=app.team,
        parameters={"app_id": app.pk},
    )


@job_handler("remove-app")
def remove_app(job: Job, log: JobLog) -> dict:
    app = App.objects.get(pk=job.parameters["app_id"])
    api = client_for(app.host).api
    with docker_errors(app.host):
        containers = api.containers(all=True, filters={"label": f"pier.app={app.name}"})
    for entry in containers:
        log.line(f"Removing container {entry['Names'][0].lstrip('/')}")
        remove_container_quietly(app.host, entry["Id"])
    for release in app.releases.exclude(image_tag=""):
        if release.image_tag.startswith(f"{app.name}:"):
            log.line(f"Removing image {release.image_tag}")
            remove_image_quietly(app.host, release.image_tag)
    name = app.name
    with transaction.atomic():
        send_app_change(app, "removed")
        app.delete()
    return {"removed": name}
