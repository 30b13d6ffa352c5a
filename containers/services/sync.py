"""Keeps the mirror of a host equal to what its Docker engine reports.

`resync` lists everything with one raw API call per kind and corrects the
mirror; `apply_event` updates the one object a Docker event names. Each kind is
synced on its own, so one failing call leaves the others' rows in place.
"""

import functools
import logging
import time
from typing import Any

from django.db import OperationalError, transaction
from django.utils import timezone

from ..docker_client import DockerError, client_for, docker_errors
from ..models import App, Container, DockerHost, Image, Network, Volume
from . import live
from .access import TEAM_LABEL
from .mirror_data import container_fields, image_fields, network_fields, volume_fields

logger = logging.getLogger(__name__)

DEADLOCK_ATTEMPTS = 4


def retry_on_deadlock(function):
    """Run a mirror write again when PostgreSQL aborts it as a deadlock.

    The watcher and an action's own refresh may rewrite the same rows at once,
    each from a listing taken a moment apart. Rerunning the loser is safe,
    because each decorated function lists again and writes what it finds.
    """

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        for attempt in range(1, DEADLOCK_ATTEMPTS + 1):
            try:
                return function(*args, **kwargs)
            except OperationalError as error:
                if "deadlock" not in str(error) or attempt == DEADLOCK_ATTEMPTS:
                    raise
                logger.info("%s hit a deadlock; retrying", function.__name__)
                time.sleep(0.05 * attempt)
        return None

    return wrapper


def _app_ids(host: DockerHost) -> dict[str, int]:
    return dict(App.objects.filter(host=host).values_list("name", "id"))


def _team_id(container: Container) -> int | None:
    """Return the team that owns a container: its app's, else its team label's."""
    if container.app_id:
        return container.app.team_id
    label = str(container.labels.get(TEAM_LABEL, ""))
    return int(label) if label.isdigit() else None


def container_message(container: Container, action: str) -> dict[str, Any]:
    return {
        "type": "mirror.change",
        "kind": "container",
        "action": action,
        "id": container.pk,
        "docker_id": container.docker_id,
        "name": container.name,
        "state": container.state,
        "status": container.status,
        "team_id": _team_id(container),
        "app_id": container.app_id,
        "compose_project": container.compose_project,
    }


def _save_container(host: DockerHost, entry: dict, app_ids: dict[str, int]) -> None:
    fields = container_fields(entry)
    fields["app_id"] = app_ids.get(fields["labels"].get("pier.app", ""))
    container, created = Container.objects.update_or_create(
        host=host, docker_id=entry["Id"], defaults=fields
    )
    action = "create" if created else "update"
    live.send_after_commit(
        live.host_group(host.pk), container_message(container, action)
    )


def _remove_containers(host: DockerHost, rows) -> None:
    for container in rows.select_related("app"):
        message = container_message(container, "remove")
        container.delete()
        live.send_after_commit(live.host_group(host.pk), message)


@retry_on_deadlock
def sync_containers(host: DockerHost, entries: list[dict] | None = None) -> None:
    """Replace the host's container rows with the engine's full list."""
    if entries is None:
        with docker_errors(host):
            entries = client_for(host).api.containers(all=True)
    app_ids = _app_ids(host)
    entries = sorted(entries, key=lambda entry: entry["Id"])
    seen = {entry["Id"] for entry in entries}
    known = {
        row.docker_id: row
        for row in Container.objects.filter(host=host).select_related("app")
    }
    with transaction.atomic():
        for entry in entries:
            fields = container_fields(entry)
            old = known.get(entry["Id"])
            if old is not None and all(
                getattr(old, name) == value
                for name, value in fields.items()
                if name not in ("created",)
            ):
                continue
            _save_container(host, entry, app_ids)
        _remove_containers(
            host, Container.objects.filter(host=host).exclude(docker_id__in=seen)
        )


def _replace_rows(host, model, entries, key_field, entry_key, to_fields, kind) -> None:
    """Make the host's rows of `model` equal to the engine's `entries`."""
    seen = set()
    # Rows are written in key order, so two writers lock them in one order.
    entries = sorted(entries, key=lambda entry: entry[entry_key])
    with transaction.atomic():
        for entry in entries:
            seen.add(entry[entry_key])
            model.objects.update_or_create(
                host=host, **{key_field: entry[entry_key]}, defaults=to_fields(entry)
            )
        model.objects.filter(host=host).exclude(**{f"{key_field}__in": seen}).delete()
    live.send_after_commit(
        live.host_group(host.pk), {"type": "mirror.change", "kind": kind}
    )


@retry_on_deadlock
def sync_images(host: DockerHost) -> None:
    with docker_errors(host):
        entries = client_for(host).api.images(all=False)
    _replace_rows(host, Image, entries, "docker_id", "Id", image_fields, "image")


@retry_on_deadlock
def sync_networks(host: DockerHost) -> None:
    with docker_errors(host):
        entries = client_for(host).api.networks()
    _replace_rows(host, Network, entries, "docker_id", "Id", network_fields, "network")


@retry_on_deadlock
def sync_volumes(host: DockerHost) -> None:
    with docker_errors(host):
        entries = client_for(host).api.volumes().get("Volumes") or []
    _replace_rows(host, Volume, entries, "name", "Name", volume_fields, "volume")


SYNCERS = {
    "containers": sync_containers,
    "images": sync_images,
    "networks": sync_networks,
    "volumes": sync_volumes,
}


def resync(host: DockerHost) -> list[str]:
    """Correct the whole mirror of a host; return the kinds that failed.

    Raises HostUnavailable when the engine does not respond at all.
    """
    with docker_errors(host):
        info = client_for(host).api.version()
    failed = []
    for kind, syncer in SYNCERS.items():
        try:
            syncer(host)
        except DockerError as error:
            failed.append(kind)
            logger.warning("Resync of %s on host %s failed: %s", kind, host.pk, error)
    mark_online(host, info)
    return failed


def update_counts(host: DockerHost) -> dict[str, int]:
    containers = Container.objects.filter(host=host)
    return {
        "containers": containers.count(),
        "running": containers.filter(state="running").count(),
        "images": Image.objects.filter(host=host).count(),
        "networks": Network.objects.filter(host=host).count(),
        "volumes": Volume.objects.filter(host=host).count(),
    }


def mark_online(host: DockerHost, version: dict | None = None) -> None:
    now = timezone.now()
    host.status = DockerHost.ONLINE
    host.status_detail = ""
    host.last_seen = now
    host.last_sync = now
    if version:
        host.engine_version = version.get("Version", "")
        host.api_version = version.get("ApiVersion", "")
    host.counts = update_counts(host)
    fields = [
        "status",
        "status_detail",
        "last_seen",
        "last_sync",
        "engine_version",
        "api_version",
        "counts",
    ]
    if _update_host(host, fields):
        _send_host_status(host)


def refresh_counts(host: DockerHost) -> None:
    """Store the host's mirror counts and tell open pages when they changed."""
    counts = update_counts(host)
    if counts != host.counts:
        host.counts = counts
        if _update_host(host, ["counts"]):
            _send_host_status(host)


def mark_offline(host: DockerHost, reason: str) -> None:
    """Show the host as offline; its mirror rows stay until it returns."""
    changed = host.status != DockerHost.OFFLINE or host.status_detail != reason
    host.status = DockerHost.OFFLINE
    host.status_detail = reason
    if _update_host(host, ["status", "status_detail"]) and changed:
        _send_host_status(host)


def _update_host(host: DockerHost, fields: list[str]) -> bool:
    """Write the fields of a host; return False when the host was deleted meanwhile."""
    values = {name: getattr(host, name) for name in fields}
    return DockerHost.objects.filter(pk=host.pk).update(**values) > 0


def _send_host_status(host: DockerHost) -> None:
    live.send_now(
        live.host_group(host.pk),
        {
            "type": "host.status",
            "status": host.status,
            "detail": host.status_detail,
            "counts": host.counts,
        },
    )


# Container events that leave state, name, ports and config as they were.
QUIET_CONTAINER_ACTIONS = {
    "attach",
    "detach",
    "resize",
    "top",
    "export",
    "commit",
    "copy",
    "archive-path",
    "extract-to-dir",
}


def is_quiet(event: dict[str, Any]) -> bool:
    """Tell whether a container event cannot change what the mirror shows.

    Exec events (`exec_create: sh`, `exec_die`) and the actions above come in
    bursts from terminals and tools; skipping them keeps the watcher current.
    """
    action = str(event.get("Action", "")).split(":", 1)[0]
    return event.get("Type") == "container" and (
        action.startswith("exec_") or action in QUIET_CONTAINER_ACTIONS
    )


def apply_event(host: DockerHost, event: dict[str, Any]) -> None:
    """Update the mirror for one Docker event."""
    apply_events(host, [event])


def apply_events(host: DockerHost, events: list[dict[str, Any]]) -> None:
    """Update the mirror for a burst of events with one Docker call per kind.

    A `docker stop` alone sends kill, die and stop; applied together they cost
    one listing of the container instead of three.
    """
    container_ids: dict[str, None] = {}
    kinds: set[str] = set()
    for event in events:
        if is_quiet(event):
            continue
        kind = event.get("Type")
        if kind == "container":
            actor = event.get("Actor") or {}
            container_id = actor.get("ID") or event.get("id", "")
            if container_id:
                container_ids[container_id] = None
        elif kind in ("image", "network", "volume"):
            kinds.add(kind)
        if kind == "network" and event.get("Action") in ("connect", "disconnect"):
            # The container's own list of networks changed too.
            attributes = (event.get("Actor") or {}).get("Attributes") or {}
            if attributes.get("container"):
                container_ids[attributes["container"]] = None
    if container_ids:
        _apply_container_events(host, list(container_ids))
    for kind in sorted(kinds):
        SYNCERS[f"{kind}s"](host)


@retry_on_deadlock
def _apply_container_events(host: DockerHost, container_ids: list[str]) -> None:
    with docker_errors(host):
        entries = client_for(host).api.containers(
            all=True, filters={"id": container_ids}
        )
    found = {entry["Id"]: entry for entry in entries if entry["Id"] in container_ids}
    app_ids = _app_ids(host)
    with transaction.atomic():
        for entry in found.values():
            _save_container(host, entry, app_ids)
        gone = [
            container_id for container_id in container_ids if container_id not in found
        ]
        if gone:
            _remove_containers(
                host, Container.objects.filter(host=host, docker_id__in=gone)
            )
