"""Pure checks and conversions for what the container form accepts.

Image references, container names, port ranges, volumes, memory sizes and CPU
counts are checked here the way the docker CLI checks them, so the form can
name the field at fault before anything reaches the engine.
"""

import ipaddress
import re
import shlex
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

# Grammar from github.com/distribution/reference (reference.go, v0.5.0):
# [domain/]path[:tag][@digest], without its IPv6 hosts.
_DOMAIN_PART = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_DOMAIN = rf"{_DOMAIN_PART}(?:\.{_DOMAIN_PART})*(?::[0-9]+)?"
_PATH_PART = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
_TAG = r"[\w][\w.-]{0,127}"
_DIGEST = r"[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}"
IMAGE_REFERENCE = re.compile(
    rf"^(?:{_DOMAIN}/)?{_PATH_PART}(?:/{_PATH_PART})*(?::{_TAG})?(?:@{_DIGEST})?$"
)
MAX_REPOSITORY_LENGTH = 255

# Docker's rule for container and volume names.
OBJECT_NAME = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9_.-]+$")
PROTOCOLS = ("tcp", "udp", "sctp")
MAX_PUBLISHED_PORTS = 100
MIN_MEMORY_BYTES = 6 * 1024 * 1024
_MEMORY = re.compile(r"^(\d+(?:\.\d+)?)\s*([bkmgt]?)b?$", re.IGNORECASE)
_UNITS = {"": 1, "b": 1, "k": 1024, "m": 1024**2, "g": 1024**3, "t": 1024**4}


class InvalidSpec(ValueError):
    """A value of the container form is invalid; the message names the fix."""


def check_image_reference(reference: str) -> str:
    """Return the reference stripped, or raise InvalidSpec."""
    reference = reference.strip()
    if not reference:
        raise InvalidSpec("Enter the image to run, for example busybox:latest.")
    repository = reference.split("@", 1)[0]
    if len(repository) > MAX_REPOSITORY_LENGTH:
        raise InvalidSpec(
            f"The image name is longer than {MAX_REPOSITORY_LENGTH} characters."
        )
    if not IMAGE_REFERENCE.match(reference):
        raise InvalidSpec(
            f"{reference[:80]!r} is not a valid image reference. Use "
            "[registry/]name[:tag], with a lowercase name, e.g. busybox:latest."
        )
    return reference


def check_object_name(name: str, what: str = "container") -> str:
    """Return a valid Docker container or volume name, or raise InvalidSpec."""
    name = name.strip().removeprefix("/")
    if not OBJECT_NAME.match(name):
        raise InvalidSpec(
            f"{name[:80]!r} is not a valid {what} name: use at least 2 letters, "
            "digits, '_', '.' or '-', starting with a letter or digit."
        )
    return name


def split_command(text: str, what: str = "command") -> list[str]:
    """Split a command line as a POSIX shell would, without running a shell."""
    try:
        return shlex.split(text)
    except ValueError as error:
        raise InvalidSpec(f"The {what} is invalid: {error}.") from error


def parse_port_range(text: str) -> tuple[int, int]:
    """Parse "80" or "8000-8005" into (first, last), each from 1 to 65535."""
    first_text, dash, last_text = text.strip().partition("-")
    try:
        first = int(first_text)
        last = int(last_text) if dash else first
    except ValueError as error:
        raise InvalidSpec(
            f"{text!r} is not a port or a range such as 8000-8005."
        ) from error
    if not (1 <= first <= 65535 and 1 <= last <= 65535):
        raise InvalidSpec(f"{text!r} is out of range: ports go from 1 to 65535.")
    if last < first:
        raise InvalidSpec(f"{text!r} is an invalid range: the end is below the start.")
    return first, last


def check_host_ip(text: str) -> str:
    text = text.strip()
    if not text:
        return ""
    try:
        return str(ipaddress.ip_address(text))
    except ValueError as error:
        raise InvalidSpec(
            f"{text!r} is not an IP address. Use e.g. 127.0.0.1, or leave it "
            "empty for all addresses."
        ) from error


@dataclass(frozen=True)
class PortMapping:
    """One published port or range: host IP, host ports and container ports."""

    host_ip: str
    host_ports: tuple[int, int] | None
    container_ports: tuple[int, int]
    protocol: str = "tcp"

    def pairs(self) -> list[tuple[int | None, int]]:
        """Return (host port or None, container port) for each port of the range."""
        first, last = self.container_ports
        count = last - first + 1
        if self.host_ports is None:
            return [(None, first + offset) for offset in range(count)]
        host_first = self.host_ports[0]
        return [(host_first + offset, first + offset) for offset in range(count)]


def port_mapping(
    host_ip: str, host_ports: str, container_ports: str, protocol: str
) -> PortMapping:
    """Build a mapping from the form's text fields, checking that ranges match."""
    if protocol not in PROTOCOLS:
        raise InvalidSpec(f"Protocol {protocol!r} is invalid: use tcp, udp or sctp.")
    inside = parse_port_range(container_ports)
    outside = parse_port_range(host_ports) if host_ports.strip() else None
    if outside is not None and outside[1] - outside[0] != inside[1] - inside[0]:
        raise InvalidSpec(
            f"The host range {host_ports.strip()} and the container range "
            f"{container_ports.strip()} have different lengths; give both the "
            "same number of ports."
        )
    if inside[1] - inside[0] + 1 > MAX_PUBLISHED_PORTS:
        raise InvalidSpec(
            f"A range may publish at most {MAX_PUBLISHED_PORTS} ports, because "
            "the engine runs a proxy for each."
        )
    return PortMapping(check_host_ip(host_ip), outside, inside, protocol)


def docker_ports(
    mappings: list[PortMapping],
) -> tuple[list[tuple[int, str]], dict[str, list[dict[str, str]]]]:
    """Return `ports` for create_container and `port_bindings` for the host config."""
    exposed: list[tuple[int, str]] = []
    bindings: dict[str, list[dict[str, str]]] = {}
    for mapping in mappings:
        for host_port, container_port in mapping.pairs():
            key = f"{container_port}/{mapping.protocol}"
            if key not in bindings:
                exposed.append((container_port, mapping.protocol))
                bindings[key] = []
            bindings[key].append(
                {
                    "HostIp": mapping.host_ip,
                    "HostPort": str(host_port) if host_port else "",
                }
            )
    return exposed, bindings


@dataclass(frozen=True)
class VolumeMount:
    """A named volume or a bind mount (a source starting with /) at a container path."""

    source: str
    target: str
    read_only: bool = False

    @property
    def is_bind(self) -> bool:
        return self.source.startswith("/")

    def binding(self) -> str:
        return f"{self.source}:{self.target}:{'ro' if self.read_only else 'rw'}"


def volume_mount(source: str, target: str, read_only: bool) -> VolumeMount:
    """Check a volume row: a volume name or absolute host path, and a container path."""
    source = source.strip()
    target = target.strip()
    if not target.startswith("/"):
        raise InvalidSpec(
            f"The container path {target!r} must be absolute, e.g. /data."
        )
    if ":" in target or ":" in source:
        raise InvalidSpec("Paths and volume names cannot contain ':'.")
    if not source.startswith("/"):
        check_object_name(source, "volume")
    return VolumeMount(source, target, read_only)


def parse_memory(text: str) -> int | None:
    """Parse a memory limit such as 512m or 1.5g into bytes; empty means none."""
    text = text.strip()
    if not text:
        return None
    match = _MEMORY.match(text)
    if not match:
        raise InvalidSpec(f"{text!r} is not a size. Use e.g. 512m or 1g.")
    size = int(float(match.group(1)) * _UNITS[match.group(2).lower()])
    if size < MIN_MEMORY_BYTES:
        raise InvalidSpec("The memory limit must be at least 6m, Docker's minimum.")
    return size


def parse_cpus(text: str) -> int | None:
    """Parse a CPU limit such as 0.5 or 2 into nano-CPUs; empty means none."""
    text = text.strip()
    if not text:
        return None
    try:
        cpus = Decimal(text)
    except InvalidOperation as error:
        raise InvalidSpec(f"{text!r} is not a number of CPUs, e.g. 0.5.") from error
    if not cpus.is_finite() or cpus < Decimal("0.01"):
        raise InvalidSpec("The CPU limit must be at least 0.01.")
    return int(cpus * 1_000_000_000)
