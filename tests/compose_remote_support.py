"""Helpers for compose projects on the remote engine: hosts, checks, clean-up."""

import pytest

from containers.models import ComposeProject, DockerHost
from containers.services.hosts import delete_host
from tests.conftest import unique
from tests.remote_engine import RemoteEngine, make_ssh_key

PROJECT_LABEL = "com.docker.compose.project"
TALKER = """\
services:
  app:
    image: busybox:latest
    command: ["sh", "-c", "echo hello from the remote; exec sleep 3600"]
    stop_signal: SIGKILL
"""


def remote_containers(engine: RemoteEngine, name: str) -> list[dict]:
    """Return the project's containers on the remote engine, stopped ones too."""
    with engine.api() as api:
        return api.containers(all=True, filters={"label": f"{PROJECT_LABEL}={name}"})


def remote_networks(engine: RemoteEngine, name: str) -> list[dict]:
    with engine.api() as api:
        return api.networks(filters={"label": f"{PROJECT_LABEL}={name}"})


def remove_remote_objects(engine: RemoteEngine, name: str) -> None:
    """Remove the containers and networks of compose project ``name``."""
    with engine.api() as api:
        for entry in remote_containers(engine, name):
            api.remove_container(entry["Id"], force=True)
        for entry in remote_networks(engine, name):
            api.remove_network(entry["Id"])


def remove_remote_project(engine: RemoteEngine, project: ComposeProject) -> None:
    """Remove the project's containers and networks, then the project row."""
    remove_remote_objects(engine, project.name)
    ComposeProject.objects.filter(pk=project.pk).delete()


def states(engine: RemoteEngine, name: str) -> list[str]:
    return sorted(entry["State"] for entry in remote_containers(engine, name))


def other_host_key() -> str:
    """Return a host key line that the remote engine's sshd does not have."""
    _, public = make_ssh_key()
    return " ".join(public.split()[:2])


def broken_host(engine: RemoteEngine, **fields) -> DockerHost:
    """Register the remote engine with settings that must fail to connect."""
    return DockerHost.objects.create(
        name=unique("broken"), public_address=engine.address, **fields
    )


def delete_broken_host(host: DockerHost) -> None:
    ComposeProject.objects.filter(host=host).delete()
    delete_host(host)


@pytest.fixture(params=["tls_host", "ssh_host"], name="remote_host")
def remote_host_fixture(request) -> DockerHost:
    """The remote engine as a TLS host, then as an SSH host."""
    return request.getfixturevalue(request.param)
