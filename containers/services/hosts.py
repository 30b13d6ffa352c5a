"""Registering Docker hosts."""

import logging
import os

from django.conf import settings
from django.db import DatabaseError

from ..models import DockerHost

logger = logging.getLogger(__name__)


def local_docker_url() -> str:
    return os.environ.get("DOCKER_HOST") or "unix:///var/run/docker.sock"


def register_local_host() -> DockerHost | None:
    """Register the local engine as host "local" the first time Pier starts."""
    try:
        host, created = DockerHost.objects.get_or_create(
            name="local",
            defaults={
                "url": local_docker_url(),
                "public_address": settings.PIER_LOCAL_PUBLIC_ADDRESS,
            },
        )
    except DatabaseError as error:
        logger.warning("Could not register the local Docker host: %s", error)
        return None
    if created:
        logger.info("Registered the local Docker host at %s", host.url)
    return host
