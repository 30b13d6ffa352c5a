"""Data for the image pages: mirrored images with the containers that use them,
and the engine's inspect data for one image.
"""

import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ..docker_client import client_for, docker_errors
from ..models import Container, DockerHost, Image
from .mirror_data import timestamp


@dataclass
class ImageRow:
    """A mirrored image and the mirrored containers whose image it is."""

    image: Image
    containers: list[Container] = field(default_factory=list)


@dataclass
class HistoryEntry:
    created: datetime | None
    created_by: str
    size: int
    comment: str
    tags: list[str]


@dataclass
class ImageDetails:
    """The inspect data of one image, split the way the page shows it."""

    attrs: dict[str, Any]
    history: list[HistoryEntry]
    env: list[str]
    cmd: list[str] | None
    entrypoint: list[str] | None
    exposed_ports: list[str]
    labels: dict[str, str]
    layers: list[str]
    raw_json: str


def containers_by_image(host: DockerHost) -> dict[str, list[Container]]:
    """Map each image id to the host's mirrored containers made from it."""
    usage: dict[str, list[Container]] = defaultdict(list)
    for container in Container.objects.filter(host=host).exclude(image_id=""):
        usage[container.image_id].append(container)
    return usage


def image_rows(host: DockerHost, label: str = "") -> list[ImageRow]:
    """Return the host's mirrored images, newest first, with their containers.

    `label` is "key" or "key=value" and keeps only images with that label.
    """
    usage = containers_by_image(host)
    rows = []
    for image in Image.objects.filter(host=host).order_by("-created", "docker_id"):
        if label and not has_label(image, label):
            continue
        rows.append(ImageRow(image, usage.get(image.docker_id, [])))
    return rows


def has_label(image: Image, label: str) -> bool:
    key, separator, value = label.partition("=")
    if key not in (image.labels or {}):
        return False
    return not separator or image.labels[key] == value


def image_details(image: Image) -> ImageDetails:
    """Inspect an image and read its history. Raises DockerError."""
    with docker_errors(image.host):
        api = client_for(image.host).api
        attrs = api.inspect_image(image.docker_id)
        history = api.history(image.docker_id)
    config = attrs.get("Config") or {}
    return ImageDetails(
        attrs=attrs,
        history=[_history_entry(entry) for entry in history],
        env=config.get("Env") or [],
        cmd=config.get("Cmd"),
        entrypoint=config.get("Entrypoint"),
        exposed_ports=sorted(config.get("ExposedPorts") or {}),
        labels=config.get("Labels") or {},
        layers=(attrs.get("RootFS") or {}).get("Layers") or [],
        raw_json=json.dumps(attrs, indent=2, sort_keys=True),
    )


def _history_entry(entry: dict[str, Any]) -> HistoryEntry:
    return HistoryEntry(
        created=timestamp(entry.get("Created")),
        created_by=entry.get("CreatedBy") or "",
        size=entry.get("Size") or 0,
        comment=entry.get("Comment") or "",
        tags=entry.get("Tags") or [],
    )
