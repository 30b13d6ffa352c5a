"""Pure conversions from the Docker API's list entries to mirror row fields."""

from datetime import UTC, datetime
from typing import Any


def timestamp(value: Any) -> datetime | None:
    """Read a Docker time: epoch seconds in lists, RFC 3339 text in inspects."""
    if value in (None, "", 0):
        return None
    if isinstance(value, int | float):
        return datetime.fromtimestamp(value, tz=UTC)
    text = str(value)
    if text.startswith("0001-"):
        return None
    text = text.rstrip("Z")
    if "." in text:
        head, fraction = text.split(".", 1)
        zone = ""
        for sign in "+-":
            if sign in fraction:
                fraction, zone = fraction.split(sign, 1)
                zone = sign + zone
        text = f"{head}.{fraction[:6]}{zone}"
    parsed = datetime.fromisoformat(text)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed


def container_fields(entry: dict[str, Any]) -> dict[str, Any]:
    """Map an entry of GET /containers/json to Container fields."""
    labels = entry.get("Labels") or {}
    names = entry.get("Names") or [""]
    ports = [
        {
            "ip": port.get("IP", ""),
            "private": port.get("PrivatePort"),
            "public": port.get("PublicPort"),
            "type": port.get("Type", "tcp"),
        }
        for port in entry.get("Ports") or []
    ]
    ports.sort(key=lambda port: (port["private"] or 0, port["public"] or 0, port["ip"]))
    networks = sorted((entry.get("NetworkSettings") or {}).get("Networks") or {})
    mounts = [
        {
            "type": mount.get("Type", ""),
            "name": mount.get("Name", ""),
            "source": mount.get("Source", ""),
            "destination": mount.get("Destination", ""),
            "rw": mount.get("RW", True),
        }
        for mount in entry.get("Mounts") or []
    ]
    return {
        "name": names[0].lstrip("/"),
        "image": entry.get("Image", ""),
        "image_id": entry.get("ImageID", ""),
        "command": entry.get("Command", ""),
        "state": entry.get("State", ""),
        "status": entry.get("Status", ""),
        "ports": ports,
        "networks": networks,
        "mounts": mounts,
        "labels": labels,
        "created": timestamp(entry.get("Created")),
        "compose_project": labels.get("com.docker.compose.project", ""),
        "compose_service": labels.get("com.docker.compose.service", ""),
    }


def image_fields(entry: dict[str, Any]) -> dict[str, Any]:
    """Map an entry of GET /images/json to Image fields."""
    tags = [tag for tag in entry.get("RepoTags") or [] if tag != "<none>:<none>"]
    digests = [
        digest for digest in entry.get("RepoDigests") or [] if "<none>" not in digest
    ]
    return {
        "tags": tags,
        "digests": digests,
        "size": entry.get("Size") or 0,
        "created": timestamp(entry.get("Created")),
        "labels": entry.get("Labels") or {},
    }


def network_fields(entry: dict[str, Any]) -> dict[str, Any]:
    """Map an entry of GET /networks (or a network inspect) to Network fields."""
    config = (entry.get("IPAM") or {}).get("Config") or []
    return {
        "name": entry.get("Name", ""),
        "driver": entry.get("Driver", ""),
        "scope": entry.get("Scope", ""),
        "internal": bool(entry.get("Internal")),
        "subnets": [item.get("Subnet", "") for item in config if item.get("Subnet")],
        "containers": sorted((entry.get("Containers") or {}).keys()),
        "labels": entry.get("Labels") or {},
        "created": timestamp(entry.get("Created")),
    }


def volume_fields(entry: dict[str, Any]) -> dict[str, Any]:
    """Map an entry of GET /volumes to Volume fields."""
    return {
        "driver": entry.get("Driver", ""),
        "mountpoint": entry.get("Mountpoint", ""),
        "options": entry.get("Options") or {},
        "labels": entry.get("Labels") or {},
        "created": timestamp(entry.get("CreatedAt")),
    }
