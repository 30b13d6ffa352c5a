"""Actions on one container (start, stop, kill, ...) and who may take them.

Operators may take every action. Developers may start, stop and restart the
containers of their own teams, read their logs and stats and open a terminal.
Kill, pause, rename and remove stay with operators, because they can lose data
or break what another service relies on.

Each action updates the container's mirror row before it returns, so the page
it redirects to shows the new state. An action on a container that is gone
from the engine removes the stale row and raises `ContainerGone`.
"""

import logging
import re
from collections.abc import Callable
from typing import Any

from django.core.exceptions import PermissionDenied

from ..docker_client import DockerError, ObjectNotFound, client_for, docker_errors
from ..models import Container
from . import access, sync

logger = logging.getLogger(__name__)

DEVELOPER_ACTIONS = frozenset({"start", "stop", "restart"})
ACTIONS = ("start", "stop", "restart", "kill", "pause", "unpause", "rename", "remove")
SIGNALS = ("SIGKILL", "SIGTERM", "SIGINT", "SIGHUP", "SIGQUIT", "SIGUSR1", "SIGUSR2")
ACTIVE_STATES = frozenset({"running", "paused", "restarting"})
STOPPED_STATES = frozenset({"created", "exited", "dead"})
DEFAULT_STOP_TIMEOUT = 10
MAX_STOP_TIMEOUT = 300
# Docker names a volume that it creates for a container, without a name given,
# by 64 random hex digits.
ANONYMOUS_VOLUME = re.compile(r"^[0-9a-f]{64}$")


class ContainerGone(DockerError):
    """The container was removed from its engine; its mirror row is gone too."""


def may_take(user, container: Container, action: str) -> bool:
    """Tell whether the user may take `action` on a container they can see."""
    if not access.can_use_container(user, container):
        return False
    return access.is_operator(user) or action in DEVELOPER_ACTIONS


def require_action(user, container: Container, action: str) -> None:
    """Raise PermissionDenied (HTTP 403) unless the user may take the action."""
    if not may_take(user, container, action):
        raise PermissionDenied(f"Only operators can {action} containers.")


def refresh_mirror(container: Container) -> None:
    """Bring the container's mirror row in line with the engine now."""
    event = {"Type": "container", "Actor": {"ID": container.docker_id}}
    sync.apply_event(container.host, event)


def _act(container: Container, action: str, call: Callable[[Any, str], Any]) -> None:
    host = container.host
    try:
        with docker_errors(host):
            call(client_for(host).api, container.docker_id)
    except ObjectNotFound as error:
        logger.info(
            "Container %s on host %s was gone before %s: %s",
            container.docker_id[:12],
            host.pk,
            action,
            error,
        )
        refresh_mirror(container)
        raise ContainerGone(
            f"Container {container.name} no longer exists on host {host.name}, "
            "so it was taken off the list."
        ) from error
    refresh_mirror(container)


def start(container: Container) -> None:
    _act(container, "start", lambda api, docker_id: api.start(docker_id))


def stop(container: Container, timeout: int = DEFAULT_STOP_TIMEOUT) -> None:
    """Stop with SIGTERM, then SIGKILL after `timeout` seconds."""
    _act(container, "stop", lambda api, docker_id: api.stop(docker_id, timeout))


def restart(container: Container, timeout: int = DEFAULT_STOP_TIMEOUT) -> None:
    _act(
        container,
        "restart",
        lambda api, docker_id: api.restart(docker_id, timeout=timeout),
    )


def kill(container: Container, signal: str = "SIGKILL") -> None:
    if signal not in SIGNALS:
        raise ValueError(f"Signal {signal!r} is not one of {', '.join(SIGNALS)}.")
    _act(container, "kill", lambda api, docker_id: api.kill(docker_id, signal))


def pause(container: Container) -> None:
    _act(container, "pause", lambda api, docker_id: api.pause(docker_id))


def unpause(container: Container) -> None:
    _act(container, "unpause", lambda api, docker_id: api.unpause(docker_id))


def rename(container: Container, new_name: str) -> None:
    _act(container, "rename", lambda api, docker_id: api.rename(docker_id, new_name))


def remove(
    container: Container, volumes: bool = False, force: bool | None = None
) -> None:
    """Remove the container; `volumes` also removes its anonymous volumes.

    Named volumes stay. Without `force`, a container the mirror shows as
    active is forced (killed first) and any other is not.
    """
    if force is None:
        force = container.state in ACTIVE_STATES

    def call(api, docker_id: str) -> None:
        api.remove_container(docker_id, v=volumes, force=force)

    _act(container, "remove", call)


def volume_mounts(container: Container) -> tuple[list[str], list[str]]:
    """Return the names of the container's anonymous and named volumes.

    Reads the mirror row's mounts. NOTE: Docker 20.10 does not report which
    volumes are anonymous, so a volume counts as anonymous when its name looks
    like one that Docker generated (64 hex digits).
    """
    anonymous, named = [], []
    for mount in container.mounts:
        name = mount.get("name") or ""
        if mount.get("type") != "volume" or not name:
            continue
        (anonymous if ANONYMOUS_VOLUME.match(name) else named).append(name)
    return sorted(anonymous), sorted(named)


def inspect(container: Container, mask_environment: bool) -> dict[str, Any]:
    """Return the engine's inspect data; with `mask_environment`, values of
    environment variables are replaced by a mask."""
    host = container.host
    try:
        with docker_errors(host):
            data = client_for(host).api.inspect_container(container.docker_id)
    except ObjectNotFound:
        refresh_mirror(container)
        raise
    if mask_environment:
        config = data.get("Config") or {}
        config["Env"] = [mask_variable(entry) for entry in config.get("Env") or []]
    return data


MASK = "********"


def mask_variable(entry: str) -> str:
    key, separator, _ = entry.partition("=")
    return f"{key}={MASK}" if separator else entry
