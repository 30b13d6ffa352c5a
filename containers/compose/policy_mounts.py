"""Policy checks for host paths that reach a container.

Three things in a compose model mount a host path: volumes of type `bind`
(short syntax `./x:/y` included), named volumes whose `driver_opts` contain
`o: bind` (the local driver then bind-mounts `device`), and secrets or configs
with a `file`, which compose bind-mounts read-only.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterator, Mapping
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any

from containers.compose.policy_rules import (
    RULE_BIND_MOUNTS,
    RULE_DOCKER_SOCKET,
    Finding,
)

if TYPE_CHECKING:
    from containers.compose.policy import ComposePolicy

# Paths of Docker Engine's API socket on Linux (/var/run is usually a symlink
# to /run). Any file named docker.sock counts too, e.g. rootless
# engines under /run/user/UID.
DOCKER_SOCKET_PATHS = ("/var/run/docker.sock", "/run/docker.sock")
_HOST_PATH_TYPES = ("bind", "npipe")


def check_mounts(
    service: Mapping[str, Any], model: Mapping[str, Any], policy: ComposePolicy
) -> Iterator[Finding]:
    """Yield a finding for each host path that the service mounts against policy."""
    top_volumes = model.get("volumes") or {}
    for mount in service.get("volumes") or []:
        kind = mount.get("type")
        source = str(mount.get("source") or "")
        if kind in _HOST_PATH_TYPES:
            yield from _check_host_path(source, f"bind mount of {source}", policy)
        elif kind == "volume" and source:
            device = bind_device(top_volumes.get(source) or {})
            if device is not None:
                what = f'volume "{source}" (a bind mount of {device})'
                yield from _check_host_path(device, what, policy)
    for kind, label in (("secrets", "secret"), ("configs", "config")):
        definitions = model.get(kind) or {}
        for reference in service.get(kind) or []:
            if isinstance(reference, Mapping):
                name = str(reference.get("source", ""))
            else:
                name = str(reference)
            path = (definitions.get(name) or {}).get("file")
            if path:
                what = f'{label} "{name}" (file {path})'
                yield from _check_host_path(str(path), what, policy)


def bind_device(volume: Mapping[str, Any]) -> str | None:
    """Return the host path of a volume that the local driver bind-mounts, else None."""
    options = volume.get("driver_opts") or {}
    flags = {flag.strip() for flag in str(options.get("o", "")).split(",")}
    if flags & {"bind", "rbind"}:
        return str(options.get("device", ""))
    return None


def exposes_docker_socket(path: str) -> bool:
    """Tell whether mounting ``path`` gives the container a Docker API socket."""
    if posixpath.basename(path) == "docker.sock":
        return True
    candidate = PurePosixPath(path)
    for socket_path in DOCKER_SOCKET_PATHS:
        socket = PurePosixPath(socket_path)
        if candidate == socket or candidate in socket.parents:
            return True
    return False


def _check_host_path(path: str, what: str, policy: ComposePolicy) -> Iterator[Finding]:
    # NOTE: paths are compared as written. A symlink below an allowed root that
    # points elsewhere passes, and the engine follows it on the host.
    normalized = posixpath.normpath(path) if path.startswith("/") else path
    if exposes_docker_socket(normalized) and not policy.allow_docker_socket:
        yield (
            RULE_DOCKER_SOCKET,
            f"{what} is not allowed because it gives access to the Docker socket",
        )
        return
    if not policy.allow_bind_mounts:
        yield RULE_BIND_MOUNTS, f"{what} is not allowed"
        return
    roots = policy.allowed_bind_roots
    if roots and not _is_below_roots(normalized, roots):
        yield (
            RULE_BIND_MOUNTS,
            f"{what} is outside the allowed folders {', '.join(roots)}",
        )


def _is_below_roots(path: str, roots: tuple[str, ...]) -> bool:
    if not path.startswith("/"):
        # A relative device path is resolved by the engine, not by compose.
        return False
    candidate = PurePosixPath(path)
    for root in roots:
        root_path = PurePosixPath(posixpath.normpath(root))
        if candidate == root_path or root_path in candidate.parents:
            return True
    return False
