"""Docker volumes of one host: the mirror's list and the engine's actions.

Lists come from the mirror. Create, inspect, remove and prune go to the engine
and then resync the host's volume rows, so the next page shows the result
without waiting for the watcher.
"""

import logging
import re
from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

from ..docker_client import DockerError, client_for, docker_errors
from ..models import Container, DockerHost, Volume
from . import sync
from .system import InvalidInput, label_filters, refresh_mirror, remove_confirmed

logger = logging.getLogger(__name__)

# Docker's rule for volume names (daemon/names), checked here for a clear message.
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]+$")
IN_USE_IDS = re.compile(r"\[([0-9a-f, ]+)\]")


@dataclass
class VolumeRow:
    """A mirrored volume with the mirrored containers that mount it."""

    volume: Volume
    containers: list[Container] = field(default_factory=list)


def volume_users(host_id: int) -> dict[str, list[Container]]:
    """Map volume names to the mirrored containers that mount them."""
    users: dict[str, list[Container]] = defaultdict(list)
    for container in Container.objects.filter(host_id=host_id).order_by("name"):
        for mount in container.mounts:
            if mount.get("type") == "volume" and mount.get("name"):
                users[mount["name"]].append(container)
    return users


def volume_rows(host: DockerHost) -> list[VolumeRow]:
    """List the host's mirrored volumes, each with the containers using it."""
    users = volume_users(host.pk)
    return [
        VolumeRow(volume, users.get(volume.name, []))
        for volume in Volume.objects.filter(host=host)
    ]


@dataclass
class VolumeSpec:
    """The settings of a new volume, as the create form collects them."""

    name: str
    driver: str = "local"
    options: dict[str, str] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)


def check_name(name: str) -> str:
    """Return a volume name stripped, or raise InvalidInput if Docker rejects it."""
    name = name.strip()
    if not NAME.match(name):
        raise InvalidInput(
            f"{name[:60]!r} is not a valid volume name. Use at least two letters, "
            "digits, dots, dashes or underscores, starting with a letter or digit."
        )
    return name


def create_volume(host: DockerHost, spec: VolumeSpec) -> None:
    """Create the volume on the engine. Raises DockerError.

    Docker returns an existing volume of the same name instead of failing, so
    a name already in the mirror is rejected first.
    """
    if Volume.objects.filter(host=host, name=spec.name).exists():
        raise DockerError(f"A volume named {spec.name} already exists on {host.name}.")
    with docker_errors(host):
        client_for(host).api.create_volume(
            spec.name,
            driver=spec.driver,
            driver_opts=spec.options or None,
            labels=spec.labels or None,
        )
    logger.info("Created volume %s on host %s", spec.name, host.pk)
    refresh_mirror(host, sync.sync_volumes)


def inspect_volume(volume: Volume) -> dict[str, Any]:
    """Return the engine's inspect document of the volume. Raises DockerError."""
    with docker_errors(volume.host):
        return client_for(volume.host).api.inspect_volume(volume.name)


def remove_volume(volume: Volume) -> None:
    """Remove the volume. Raises DockerError naming the containers that use it."""
    host = volume.host
    try:
        with docker_errors(host):
            client_for(host).api.remove_volume(volume.name)
    except DockerError as error:
        logger.info(
            "Removing volume %s on host %s failed: %s", volume.name, host.pk, error
        )
        if error.status != 409:
            raise
        raise DockerError(
            f"Volume {volume.name} is in use by container {_users_text(volume, error)}"
            ", so it was not removed. Remove that container first.",
            status=409,
        ) from error
    refresh_mirror(host, sync.sync_volumes)


def _users_text(volume: Volume, error: DockerError) -> str:
    # The engine names the containers by id: "volume is in use - [id, id]".
    found = IN_USE_IDS.search(str(error))
    ids = [item.strip() for item in found.group(1).split(",")] if found else []
    containers = Container.objects.filter(host=volume.host, docker_id__in=ids)
    names = sorted(container.name for container in containers)
    names += [
        item[:12] for item in ids if item not in {c.docker_id for c in containers}
    ]
    if not names:
        names = [c.name for c in volume_users(volume.host_id).get(volume.name, [])]
    return ", ".join(names) or "unknown"


def unused_volumes(host: DockerHost, selector: str = "") -> list[str]:
    """Name the volumes a prune would remove: of the local driver and unused.

    Asks the engine with the same filters the prune uses. Raises DockerError.
    """
    filters: dict[str, Any] = {"dangling": True}
    filters.update(label_filters(selector) or {})
    with docker_errors(host):
        entries = client_for(host).api.volumes(filters=filters).get("Volumes") or []
    # NOTE: taken from Docker 20.10's behaviour, not tested here because no
    # other volume driver is installed: prune skips volumes of other drivers.
    return sorted(entry["Name"] for entry in entries if entry.get("Driver") == "local")


def prune_volumes(
    host: DockerHost, selector: str, confirmed: Collection[str]
) -> tuple[list[str], list[str]]:
    """Remove the confirmed volumes that are still unused; return removed and kept.

    Only names from the preview go, so a volume that became unused after the
    preview stays. A confirmed volume that is in use again, or gone, is kept.
    Raises DockerError when the engine cannot list its volumes.
    """
    unused = {name: name for name in unused_volumes(host, selector)}
    api = client_for(host).api
    removed, kept = remove_confirmed(
        host, "volume", confirmed, unused, api.remove_volume
    )
    refresh_mirror(host, sync.sync_volumes)
    return removed, kept
