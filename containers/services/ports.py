"""Host ports for published apps: finding a free one and checking a requested one."""

import socket

from django.conf import settings

from ..models import App, Container, DockerHost
from .hosts import local_docker_url


class PortTaken(Exception):
    """The requested host port is in use; the message names what uses it."""


def _is_local(host: DockerHost) -> bool:
    return host.url == local_docker_url() or host.url.startswith("unix://")


def _bindable(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind(("0.0.0.0", port))
        except OSError:
            return False
    return True


def _ports_in_use(host: DockerHost, except_app: App | None) -> dict[int, str]:
    used: dict[int, str] = {}
    containers = Container.objects.filter(host=host).exclude(
        state__in=["exited", "dead", "created"]
    )
    if except_app is not None:
        containers = containers.exclude(app=except_app)
    for container in containers.only("name", "ports"):
        for port in container.ports:
            if port.get("public"):
                used[int(port["public"])] = container.name
    return used


def check_port(host: DockerHost, port: int, app: App | None = None) -> None:
    """Raise PortTaken if `port` on `host` is used by anything but `app`."""
    if not 1 <= port <= 65535:
        raise PortTaken(f"Host port {port} is invalid: use a number from 1 to 65535.")
    used = _ports_in_use(host, app)
    if port in used:
        raise PortTaken(
            f"Host port {port} is already in use by container {used[port]} "
            f"on host {host.name}. Choose another port or leave it empty."
        )
    own_ports = set()
    if app is not None:
        own_ports = {
            int(entry["public"])
            for container in app.containers.all()
            for entry in container.ports
            if entry.get("public")
        }
    if _is_local(host) and port not in own_ports and not _bindable(port):
        raise PortTaken(
            f"Host port {port} is already in use by another program on host "
            f"{host.name}. Choose another port or leave it empty."
        )


def free_port(host: DockerHost, exclude: set[int] = frozenset()) -> int:
    """Return a port from PIER_APP_PORT_RANGE that no app or container uses."""
    low, high = settings.PIER_APP_PORT_RANGE
    taken = set(_ports_in_use(host, None)) | set(exclude)
    taken |= set(
        App.objects.filter(host=host, host_port__isnull=False).values_list(
            "host_port", flat=True
        )
    )
    for port in range(low, high + 1):
        if port in taken:
            continue
        if _is_local(host) and not _bindable(port):
            continue
        return port
    raise PortTaken(f"No free host port left between {low} and {high} on {host.name}.")
