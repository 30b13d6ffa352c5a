"""Running an app's release: start a container, wait until it responds, swap.

On a republish a candidate container on a spare port must respond first. Only
then is the old container stopped and the new one started on the app's port.
If that one does not respond either, the old container is started again.
"""

import logging
import time
import urllib.error
import urllib.request

from django.db import transaction

from ..docker_client import DockerError, ObjectNotFound, client_for, docker_errors
from ..models import App, DockerHost, Release
from . import live
from .jobs import JobFailed, JobLog
from .ports import free_port

logger = logging.getLogger(__name__)

RESPONSE_TIMEOUT = 90.0
STOP_TIMEOUT = 10


def ensure_image(app: App, log: JobLog) -> str:
    """Pull the app's image unless the host already has it; return its reference."""
    client = client_for(app.host)
    reference = app.image
    try:
        with docker_errors(app.host):
            client.api.inspect_image(reference)
    except ObjectNotFound:
        pass
    else:
        log.line(f"Using image {reference} already on {app.host.name}")
        return reference
    from .images import pull_image

    pull_image(app.host, reference, log)
    return reference


def _run_container(
    app: App, release: Release, environment: dict, port: int, name: str
) -> str:
    client = client_for(app.host)
    api = client.api
    with docker_errors(app.host):
        host_config = api.create_host_config(
            port_bindings={f"{app.container_port}/tcp": [("0.0.0.0", port)]},
        )
        created = api.create_container(
            image=release.image_tag,
            name=name,
            environment=environment,
            ports=[app.container_port],
            labels={"pier.app": app.name, "pier.release": str(release.version)},
            host_config=host_config,
            detach=True,
        )
        api.start(created["Id"])
    return created["Id"]


def _last_logs(app: App, container_id: str, lines: int = 20) -> str:
    try:
        with docker_errors(app.host):
            output = client_for(app.host).api.logs(container_id, tail=lines)
    except DockerError:
        return ""
    return output.decode("utf-8", "replace").strip()


def wait_until_responding(app: App, container_id: str, port: int, log: JobLog) -> None:
    """Wait until the app responds to HTTP on `port`.

    Raises JobFailed when the container exits first or the wait times out.
    """
    url = f"http://{app.host.public_address}:{port}/"
    log.line(f"Waiting for {url} to respond")
    deadline = time.monotonic() + RESPONSE_TIMEOUT
    while time.monotonic() < deadline:
        with docker_errors(app.host):
            details = client_for(app.host).api.inspect_container(container_id)
        state = details["State"]
        if state["Status"] in ("exited", "dead"):
            output = _last_logs(app, container_id)
            raise JobFailed(
                f"The container exited with code {state.get('ExitCode')} before "
                f"responding on port {app.container_port}. Last output:\n{output}"
            )
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                log.line(f"{url} responded with HTTP {response.status}")
                return
        except urllib.error.HTTPError as error:
            log.line(f"{url} responded with HTTP {error.code}")
            return
        except (urllib.error.URLError, OSError):
            time.sleep(0.05)
    raise JobFailed(
        f"The app did not respond on {url} within {RESPONSE_TIMEOUT:.0f} seconds. "
        f"Check that it listens on port {app.container_port} on all addresses "
        "(0.0.0.0)."
    )


def remove_container_quietly(host: DockerHost, container_id: str) -> None:
    try:
        with docker_errors(host):
            client_for(host).api.remove_container(container_id, force=True)
    except ObjectNotFound:
        pass
    except DockerError as error:
        logger.warning(
            "Removing container %s on host %s failed: %s", container_id, host.pk, error
        )


def remove_image_quietly(host: DockerHost, reference: str) -> None:
    try:
        with docker_errors(host):
            client_for(host).api.remove_image(reference)
    except ObjectNotFound:
        pass
    except DockerError as error:
        logger.warning(
            "Removing image %s on host %s failed: %s", reference, host.pk, error
        )


def _start_checked(app, release, environment, port, name, log) -> str:
    """Start a container and wait for it to respond; remove it if it does not."""
    container_id = _run_container(app, release, environment, port, name)
    try:
        wait_until_responding(app, container_id, port, log)
        # The restart policy is set only once the app responds: under it, an
        # app that crashes at start would show as restarting, not as exited.
        with docker_errors(app.host):
            client_for(app.host).api.update_container(
                container_id, restart_policy={"Name": "unless-stopped"}
            )
    except (JobFailed, DockerError):
        remove_container_quietly(app.host, container_id)
        raise
    return container_id


def swap(app: App, release: Release, environment: dict, log: JobLog) -> str:
    """Make `release` the live one and return its container id."""
    current = app.releases.filter(status=Release.LIVE).exclude(pk=release.pk).first()
    name = f"{app.name}-v{release.version}"
    log.progress(phase="starting")
    if current is None or not current.container_id:
        log.line(f"Starting {name} on port {app.host_port}")
        container_id = _start_checked(
            app, release, environment, app.host_port, name, log
        )
    else:
        spare = free_port(app.host, exclude={app.host_port})
        log.line(
            f"Trying {name} on spare port {spare} before replacing v{current.version}"
        )
        candidate = _start_checked(
            app, release, environment, spare, f"{name}-candidate", log
        )
        remove_container_quietly(app.host, candidate)
        container_id = _replace(app, release, current, environment, name, log)
    _mark_live(app, release, container_id)
    log.progress(phase="live")
    log.line(f"{app.name} v{release.version} is live at {app.url}")
    return container_id


def _replace(app, release, current, environment, name, log) -> str:
    client = client_for(app.host)
    log.line(f"Stopping v{current.version}")
    with docker_errors(app.host):
        client.api.stop(current.container_id, timeout=STOP_TIMEOUT)
    try:
        container_id = _start_checked(
            app, release, environment, app.host_port, name, log
        )
    except (JobFailed, DockerError):
        log.line(f"Starting v{current.version} again", "stderr")
        with docker_errors(app.host):
            client.api.start(current.container_id)
        raise
    remove_container_quietly(app.host, current.container_id)
    return container_id


def _mark_live(app: App, release: Release, container_id: str) -> None:
    with transaction.atomic():
        app.releases.filter(status=Release.LIVE).exclude(pk=release.pk).update(
            status=Release.RETIRED, container_id=""
        )
        release.status = Release.LIVE
        release.container_id = container_id
        release.message = ""
        release.save(update_fields=["status", "container_id", "message"])
        live.send_after_commit(
            live.app_group(app.pk), {"type": "app.change", "what": "release"}
        )
