"""Fixtures that point Pier at the test run's own engine (`second_engine`).

Bulk actions and prunes without a label filter act on every object of an
engine, so browser tests of them register `second_engine` as a Pier host and
never act on the shared engine. Import these together with `second_engine`.
"""

from collections.abc import Iterator

import docker
import pytest

from containers.models import DockerHost
from containers.services.hosts import delete_host
from tests.conftest import unique


@pytest.fixture
def engine_host(second_engine, stack) -> Iterator[DockerHost]:
    """A Pier host for the test engine, deleted with its mirror rows afterwards."""
    host = DockerHost.objects.create(name=unique("engine"), url=second_engine.unix_url)
    yield host
    delete_host(host)


@pytest.fixture
def engine_api(second_engine) -> Iterator[docker.APIClient]:
    api = second_engine.api()
    yield api
    api.close()


def labelled_cleanup(api: docker.APIClient, tag: str) -> None:
    """Remove the containers, volumes, networks and images labelled pier.test=tag."""
    filters = {"label": f"pier.test={tag}"}
    for entry in api.containers(all=True, filters=filters):
        api.remove_container(entry["Id"], force=True, v=True)
    for entry in api.volumes(filters=filters).get("Volumes") or []:
        api.remove_volume(entry["Name"], force=True)
    for entry in api.networks(filters=filters):
        api.remove_network(entry["Id"])
    for entry in api.images(filters=filters):
        api.remove_image(entry["Id"], force=True)
