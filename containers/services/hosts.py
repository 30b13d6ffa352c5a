"""Registering Docker hosts."""

import logging
import os
import time

from django.conf import settings
from django.db import DatabaseError, OperationalError, transaction

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


DELETE_ATTEMPTS = 5


def delete_host(host: DockerHost) -> None:
    """Delete a host and its mirror rows, retrying when the watcher gets in the way.

    The watcher may be writing the same mirror rows at that moment, and
    PostgreSQL then aborts one of the two transactions as a deadlock.
    """
    for attempt in range(1, DELETE_ATTEMPTS + 1):
        try:
            with transaction.atomic():
                host.delete()
            return
        except OperationalError as error:
            if "deadlock" not in str(error) or attempt == DELETE_ATTEMPTS:
                raise
            logger.info("Deleting host %s hit a deadlock; retrying", host.pk)
            time.sleep(0.1 * attempt)
