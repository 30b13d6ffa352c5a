"""Helpers of the container page tests: test containers and their mirror rows.

Every container and volume a test makes is named with `unique()` and removed
after the test, so tests never touch other containers on the shared engine.
"""

import contextlib
from collections.abc import Iterator

import docker

from containers.models import Container, DockerHost
from containers.services.container_create import mirror_now
from tests.conftest import unique


class DockerObjects:
    """Makes containers through the Docker API and removes them afterwards."""

    def __init__(self, api: docker.APIClient):
        self.api = api
        self.containers: list[str] = []
        self.volumes: list[str] = []

    def container(
        self,
        prefix: str = "ctr",
        command: tuple[str, ...] = ("sleep", "300"),
        labels: dict | None = None,
        start: bool = True,
        **host_config,
    ) -> str:
        """Create a busybox container and return its id.

        It is started unless `start` is false.
        """
        config = self.api.create_host_config(**host_config) if host_config else None
        created = self.api.create_container(
            "busybox:latest",
            command=list(command),
            name=unique(prefix),
            labels=labels or {},
            host_config=config,
        )
        self.containers.append(created["Id"])
        if start:
            self.api.start(created["Id"])
        return created["Id"]

    def track(self, docker_id: str) -> None:
        """Remove a container made by the code under test after the test."""
        self.containers.append(docker_id)

    def volume(self, name: str) -> str:
        self.volumes.append(name)
        return name

    def remove_all(self) -> None:
        for docker_id in self.containers:
            with contextlib.suppress(docker.errors.NotFound):
                self.api.remove_container(docker_id, force=True, v=True)
        for name in self.volumes:
            with contextlib.suppress(docker.errors.NotFound):
                self.api.remove_volume(name, force=True)


def docker_objects_for(docker_api: docker.APIClient) -> Iterator[DockerObjects]:
    """Yield a DockerObjects and remove what it made; the body of a fixture."""
    objects = DockerObjects(docker_api)
    try:
        yield objects
    finally:
        objects.remove_all()


def mirrored(host: DockerHost, docker_id: str) -> Container:
    """Write the container's mirror row now and return it."""
    return mirror_now(host, docker_id)
