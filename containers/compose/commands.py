"""Argument lists for the compose commands that Pier runs through `cli.run`.

Each builder validates its input, so a value from a form cannot add flags.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

# Compose service names: letters, digits, `_`, `.` and `-`, starting alphanumeric.
_SERVICE_NAME = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9_.-]*$")
_SIGNAL = re.compile(r"^(?:SIG)?[A-Z0-9+-]+$|^[0-9]+$")
_RMI_CHOICES = ("all", "local")


def up(
    services: Sequence[str] = (),
    *,
    build: bool = False,
    wait: bool = False,
    remove_orphans: bool = False,
) -> list[str]:
    """Return `up -d` arguments that create and start the services."""
    args = ["up", "--detach"]
    if build:
        args.append("--build")
    if wait:
        args.append("--wait")
    if remove_orphans:
        args.append("--remove-orphans")
    return args + _services(services)


def scale(service: str, replicas: int) -> list[str]:
    """Return `up -d --scale` arguments that leave other containers as they are."""
    if isinstance(replicas, bool) or not isinstance(replicas, int) or replicas < 0:
        raise ValueError(f"invalid replica count {replicas!r}: expected an int >= 0")
    name = _services([service])[0]
    return ["up", "--detach", "--no-recreate", "--scale", f"{name}={replicas}", name]


def stop(services: Sequence[str] = ()) -> list[str]:
    """Return `stop` arguments."""
    return ["stop", *_services(services)]


def start(services: Sequence[str] = ()) -> list[str]:
    """Return `start` arguments."""
    return ["start", *_services(services)]


def restart(services: Sequence[str] = ()) -> list[str]:
    """Return `restart` arguments."""
    return ["restart", *_services(services)]


def kill(services: Sequence[str] = (), *, signal: str | None = None) -> list[str]:
    """Return `kill` arguments, with `-s SIGNAL` when a signal is given."""
    args = ["kill"]
    if signal is not None:
        if not _SIGNAL.match(signal):
            raise ValueError(f"invalid signal {signal!r}: expected e.g. SIGTERM or 9")
        args += ["--signal", signal]
    return args + _services(services)


def down(*, volumes: bool = False, rmi: str | None = None) -> list[str]:
    """Return `down` arguments; ``rmi`` is "all", "local" or None."""
    args = ["down"]
    if volumes:
        args.append("--volumes")
    if rmi is not None:
        if rmi not in _RMI_CHOICES:
            raise ValueError(f"invalid rmi value {rmi!r}: expected 'all' or 'local'")
        args += ["--rmi", rmi]
    return args


def pull(services: Sequence[str] = ()) -> list[str]:
    """Return `pull` arguments."""
    return ["pull", *_services(services)]


def build(services: Sequence[str] = ()) -> list[str]:
    """Return `build` arguments."""
    return ["build", *_services(services)]


def _services(services: Sequence[str]) -> list[str]:
    if isinstance(services, str):
        raise TypeError("services must be a sequence of names, not a string")
    for name in services:
        if not _SERVICE_NAME.match(name):
            raise ValueError(f"invalid service name {name!r}")
    return list(services)
