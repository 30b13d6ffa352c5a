"""Image work that several features share: pulling with per-layer progress."""

import logging

from ..docker_client import client_for, docker_errors
from ..models import DockerHost
from .jobs import JobFailed, JobLog

logger = logging.getLogger(__name__)


def split_reference(reference: str) -> tuple[str, str]:
    """Split "repo[:tag]" into repository and tag, ignoring a registry's port."""
    name, _, digest = reference.partition("@")
    if digest:
        return name, f"@{digest}"
    last = name.rsplit("/", 1)[-1]
    if ":" in last:
        repository, tag = name.rsplit(":", 1)
        return repository, tag
    return name, "latest"


def pull_image(
    host: DockerHost, reference: str, log: JobLog, auth: dict | None = None
) -> None:
    """Pull an image, reporting each layer's progress; raise JobFailed on error."""
    repository, tag = split_reference(reference)
    layers: dict[str, dict] = {}
    log.line(f"Pulling {reference} on {host.name}")
    with docker_errors(host):
        stream = client_for(host).api.pull(
            repository,
            tag=None if tag.startswith("@") else tag,
            stream=True,
            decode=True,
            auth_config=auth,
        )
        for event in stream:
            if "error" in event:
                raise JobFailed(f"Pull of {reference} failed: {event['error']}")
            layer = event.get("id")
            detail = event.get("progressDetail") or {}
            if layer and event.get("status"):
                layers[layer] = {
                    "status": event["status"],
                    "current": detail.get("current", 0),
                    "total": detail.get("total", 0),
                }
                log.progress(layers=layers)
            elif event.get("status"):
                log.line(event["status"])
