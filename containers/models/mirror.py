"""Pier's mirror of each Docker host: images, containers, networks and volumes.

The sync service writes the rows, from a full resync and from the events stream,
and a few actions refresh the rows they change. Pages read the rows, so they do
not wait for Docker to list objects.
"""

from django.db import models
from django.utils import timezone

from .docker_status import status_now
from .hosts import DockerHost


class MirrorModel(models.Model):
    host = models.ForeignKey(DockerHost, on_delete=models.CASCADE)
    labels = models.JSONField(default=dict, blank=True)
    synced_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class Image(MirrorModel):
    """A Docker image on a host."""

    docker_id = models.CharField(max_length=80)
    tags = models.JSONField(default=list, blank=True)
    digests = models.JSONField(default=list, blank=True)
    size = models.BigIntegerField(default=0)
    created = models.DateTimeField(null=True, blank=True)

    class Meta:
        unique_together = [("host", "docker_id")]
        ordering = ["-created"]

    def __str__(self) -> str:
        return self.tags[0] if self.tags else self.short_id

    @property
    def short_id(self) -> str:
        return self.docker_id.removeprefix("sha256:")[:12]


class Container(MirrorModel):
    """A Docker container on a host; `app` links it to the Pier app that made it."""

    docker_id = models.CharField(max_length=80)
    name = models.CharField(max_length=255)
    image = models.CharField(max_length=500, blank=True)
    image_id = models.CharField(max_length=80, blank=True)
    command = models.TextField(blank=True)
    state = models.CharField(max_length=20, db_index=True)
    status = models.CharField(max_length=200, blank=True)
    ports = models.JSONField(default=list, blank=True)
    networks = models.JSONField(default=list, blank=True)
    mounts = models.JSONField(default=list, blank=True)
    created = models.DateTimeField(null=True, blank=True)
    compose_project = models.CharField(max_length=255, blank=True, db_index=True)
    compose_service = models.CharField(max_length=255, blank=True)
    app = models.ForeignKey(
        "containers.App",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="containers",
    )

    class Meta:
        unique_together = [("host", "docker_id")]
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def status_now(self) -> str:
        """Return Docker's status text ("Up 5 minutes") as of now, not as listed."""
        return status_now(self.status, self.synced_at, timezone.now())

    @property
    def short_id(self) -> str:
        return self.docker_id[:12]

    @property
    def team_id(self) -> int | None:
        return self.app.team_id if self.app_id else None


class Network(MirrorModel):
    """A Docker network on a host; `containers` lists attached container ids."""

    PREDEFINED = frozenset({"bridge", "host", "none"})

    docker_id = models.CharField(max_length=80)
    name = models.CharField(max_length=255)
    driver = models.CharField(max_length=50, blank=True)
    scope = models.CharField(max_length=20, blank=True)
    internal = models.BooleanField(default=False)
    subnets = models.JSONField(default=list, blank=True)
    containers = models.JSONField(default=list, blank=True)
    created = models.DateTimeField(null=True, blank=True)

    class Meta:
        unique_together = [("host", "docker_id")]
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_predefined(self) -> bool:
        """Tell whether Docker made this network itself and refuses to remove it."""
        return self.name in self.PREDEFINED


class Volume(MirrorModel):
    """A Docker volume on a host."""

    name = models.CharField(max_length=255)
    driver = models.CharField(max_length=50, blank=True)
    mountpoint = models.CharField(max_length=500, blank=True)
    options = models.JSONField(default=dict, blank=True)
    created = models.DateTimeField(null=True, blank=True)

    class Meta:
        unique_together = [("host", "name")]
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
