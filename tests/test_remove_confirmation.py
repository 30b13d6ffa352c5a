"""Removing a running container, a volume or a network asks for a confirmation.

Each test checks the engine: nothing goes on a POST without the confirmation
(or with one for an outdated list of containers), and the object goes with it.
Every object carries a label with this test's own value and goes afterwards.
"""

import pytest
from django.test import Client
from django.urls import reverse

from containers.models import Container, DockerHost, Network, Volume
from containers.services import sync
from containers.services.hosts import register_local_host
from tests.conftest import unique
from tests.containers_helpers import mirrored

pytestmark = pytest.mark.django_db


@pytest.fixture
def host() -> DockerHost:
    return register_local_host()


@pytest.fixture
def operator(users) -> Client:
    client = Client()
    client.force_login(users.make(role="operator"))
    return client


@pytest.fixture
def tag(docker_api) -> str:
    value = unique("confirm")
    yield value
    filters = {"label": f"pier.test={value}"}
    for entry in docker_api.containers(all=True, filters=filters):
        docker_api.remove_container(entry["Id"], force=True, v=True)
    for entry in docker_api.volumes(filters=filters).get("Volumes") or []:
        docker_api.remove_volume(entry["Name"], force=True)
    for entry in docker_api.networks(filters=filters):
        docker_api.remove_network(entry["Id"])


def make_volume(docker_api, host: DockerHost, tag: str) -> Volume:
    name = unique("vol")
    docker_api.create_volume(name, labels={"pier.test": tag})
    sync.sync_volumes(host)
    return Volume.objects.get(host=host, name=name)


def make_network(docker_api, host: DockerHost, tag: str) -> Network:
    name = unique("net")
    docker_api.create_network(name, labels={"pier.test": tag})
    sync.sync_networks(host)
    return Network.objects.get(host=host, name=name)


def make_container(docker_api, host, tag, start=False, **host_config) -> Container:
    created = docker_api.create_container(
        "busybox:latest",
        "sleep 300",
        name=unique("user"),
        labels={"pier.test": tag},
        host_config=docker_api.create_host_config(**host_config),
    )
    if start:
        docker_api.start(created["Id"])
    return mirrored(host, created["Id"])


def volume_exists(docker_api, name: str) -> bool:
    return bool(docker_api.volumes(filters={"name": name}).get("Volumes"))


def test_volume_page_names_users(operator, host, tag, docker_api):
    volume = make_volume(docker_api, host, tag)
    user = make_container(docker_api, host, tag, binds=[f"{volume.name}:/data"])

    response = operator.get(reverse("volume-remove", args=[volume.pk]))

    page = response.content.decode()
    assert response.status_code == 200
    assert f"Remove volume {volume.name}?" in page
    assert user.name in page
    assert "Docker does not remove a volume while a container uses it" in page
    assert 'name="confirm"' not in page


def test_volume_post_without_confirm_keeps(operator, host, tag, docker_api):
    volume = make_volume(docker_api, host, tag)

    response = operator.post(reverse("volume-remove", args=[volume.pk]))

    assert response.status_code == 200
    assert f'name="confirm" value="{volume.name}"' in response.content.decode()
    assert volume_exists(docker_api, volume.name)
    assert Volume.objects.filter(pk=volume.pk).exists()


def test_volume_confirmed_is_removed(operator, host, tag, docker_api):
    volume = make_volume(docker_api, host, tag)

    response = operator.post(
        reverse("volume-remove", args=[volume.pk]), {"confirm": volume.name}
    )

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('volume-list')}?host={host.pk}"
    assert not volume_exists(docker_api, volume.name)
    assert not Volume.objects.filter(pk=volume.pk).exists()


def test_volume_wrong_name_keeps(operator, host, tag, docker_api):
    volume = make_volume(docker_api, host, tag)

    operator.post(reverse("volume-remove", args=[volume.pk]), {"confirm": "other"})

    assert volume_exists(docker_api, volume.name)


def test_volume_new_user_since_page_keeps(operator, host, tag, docker_api):
    volume = make_volume(docker_api, host, tag)
    make_container(docker_api, host, tag, binds=[f"{volume.name}:/data"])

    response = operator.post(
        reverse("volume-remove", args=[volume.pk]), {"confirm": volume.name}
    )

    assert response.status_code == 409
    assert "changed after the page opened" in response.content.decode()
    assert volume_exists(docker_api, volume.name)


def test_volume_developer_403(users, host, tag, docker_api):
    volume = make_volume(docker_api, host, tag)
    client = Client()
    client.force_login(users.make(teams=[users.team()]))
    url = reverse("volume-remove", args=[volume.pk])

    assert client.get(url).status_code == 403
    assert client.post(url, {"confirm": volume.name}).status_code == 403
    assert volume_exists(docker_api, volume.name)


def test_network_page_names_stopped_container(operator, host, tag, docker_api):
    network = make_network(docker_api, host, tag)
    stopped = make_container(docker_api, host, tag, network_mode=network.name)

    response = operator.get(reverse("network-remove", args=[network.pk]))

    page = response.content.decode()
    assert f"Remove network {network.name}?" in page
    assert stopped.name in page
    assert "Docker then fails to start them" in page
    assert f'name="container" value="{stopped.pk}"' in page


def test_network_running_container_blocks(operator, host, tag, docker_api):
    network = make_network(docker_api, host, tag)
    make_container(docker_api, host, tag, start=True, network_mode=network.name)

    response = operator.get(reverse("network-remove", args=[network.pk]))

    page = response.content.decode()
    assert "Docker does not remove a network while a running" in page
    assert 'name="confirm"' not in page


def test_network_post_without_confirm_keeps(operator, host, tag, docker_api):
    network = make_network(docker_api, host, tag)

    response = operator.post(reverse("network-remove", args=[network.pk]))

    assert response.status_code == 200
    assert docker_api.networks(names=[network.name])
    assert Network.objects.filter(pk=network.pk).exists()


def test_network_confirmed_with_container(operator, host, tag, docker_api):
    network = make_network(docker_api, host, tag)
    stopped = make_container(docker_api, host, tag, network_mode=network.name)

    response = operator.post(
        reverse("network-remove", args=[network.pk]),
        {"confirm": network.name, "container": stopped.pk},
    )

    assert response.status_code == 302
    assert not docker_api.networks(names=[network.name])
    assert docker_api.inspect_container(stopped.docker_id)["Id"] == stopped.docker_id


def test_network_unlisted_container_keeps(operator, host, tag, docker_api):
    network = make_network(docker_api, host, tag)
    make_container(docker_api, host, tag, network_mode=network.name)

    response = operator.post(
        reverse("network-remove", args=[network.pk]), {"confirm": network.name}
    )

    assert response.status_code == 409
    assert docker_api.networks(names=[network.name])


def test_network_builtin_is_404(operator, host):
    sync.sync_networks(host)
    bridge = Network.objects.get(host=host, name="bridge")

    response = operator.post(
        reverse("network-remove", args=[bridge.pk]), {"confirm": "bridge"}
    )

    assert response.status_code == 404


def test_network_developer_403(users, host, tag, docker_api):
    network = make_network(docker_api, host, tag)
    client = Client()
    client.force_login(users.make(teams=[users.team()]))
    url = reverse("network-remove", args=[network.pk])

    assert client.get(url).status_code == 403
    assert client.post(url, {"confirm": network.name}).status_code == 403
    assert docker_api.networks(names=[network.name])


def remove_container(client, container, data=None):
    return client.post(reverse("container-remove", args=[container.pk]), data or {})


def container_exists(docker_api, docker_id: str) -> bool:
    return bool(docker_api.containers(all=True, filters={"id": docker_id}))


def test_running_container_asks_first(operator, host, tag, docker_api):
    container = make_container(docker_api, host, tag, start=True)

    response = remove_container(operator, container)

    page = response.content.decode()
    assert response.status_code == 200
    assert f"Container {container.name} is running" in page
    assert "Docker kills it" in page
    assert "It has no anonymous volumes." in page
    assert docker_api.inspect_container(container.docker_id)["State"]["Running"]


def test_running_container_confirmed_goes(operator, host, tag, docker_api):
    container = make_container(docker_api, host, tag, start=True)

    response = remove_container(operator, container, {"confirm": container.docker_id})

    assert response.status_code == 302
    assert not container_exists(docker_api, container.docker_id)
    assert not Container.objects.filter(pk=container.pk).exists()


def test_confirmation_for_other_container_keeps(operator, host, tag, docker_api):
    container = make_container(docker_api, host, tag, start=True)
    other = make_container(docker_api, host, tag, start=True)

    remove_container(operator, container, {"confirm": other.docker_id})

    assert container_exists(docker_api, container.docker_id)


def test_confirmation_lists_anonymous_volumes(operator, host, tag, docker_api):
    created = docker_api.create_container(
        "busybox:latest",
        "sleep 300",
        name=unique("anon"),
        labels={"pier.test": tag},
        volumes=["/scratch"],
    )
    docker_api.start(created["Id"])
    container = mirrored(host, created["Id"])
    anonymous = docker_api.inspect_container(created["Id"])["Mounts"][0]["Name"]

    asked = remove_container(operator, container, {"remove-volumes": "on"})
    page = asked.content.decode()
    assert "Its anonymous volumes are removed too" in page
    assert anonymous in page
    assert 'name="remove-volumes" value="on"' in page

    remove_container(
        operator, container, {"confirm": created["Id"], "remove-volumes": "on"}
    )

    assert not container_exists(docker_api, created["Id"])
    assert not volume_exists(docker_api, anonymous)


def test_confirmation_keeps_volumes_by_default(operator, host, tag, docker_api):
    created = docker_api.create_container(
        "busybox:latest",
        "sleep 300",
        name=unique("anon"),
        labels={"pier.test": tag},
        volumes=["/scratch"],
    )
    docker_api.start(created["Id"])
    container = mirrored(host, created["Id"])
    anonymous = docker_api.inspect_container(created["Id"])["Mounts"][0]["Name"]

    try:
        asked = remove_container(operator, container)
        remove_container(operator, container, {"confirm": created["Id"]})
        kept = volume_exists(docker_api, anonymous)
    finally:
        if container_exists(docker_api, created["Id"]):
            docker_api.remove_container(created["Id"], force=True)
        docker_api.remove_volume(anonymous)

    assert "Its anonymous volumes stay" in asked.content.decode()
    assert kept


def test_stopped_container_needs_no_confirmation(operator, host, tag, docker_api):
    container = make_container(docker_api, host, tag)

    response = remove_container(operator, container)

    assert response.status_code == 302
    assert not container_exists(docker_api, container.docker_id)


def test_developer_confirmed_remove_403(users, host, tag, docker_api):
    team = users.team()
    created = docker_api.create_container(
        "busybox:latest",
        "sleep 300",
        name=unique("team"),
        labels={"pier.test": tag, "pier.team": str(team.pk)},
    )
    docker_api.start(created["Id"])
    container = mirrored(host, created["Id"])
    client = Client()
    client.force_login(users.make(teams=[team]))

    response = remove_container(client, container, {"confirm": created["Id"]})

    assert response.status_code == 403
    assert container_exists(docker_api, created["Id"])


def test_other_team_confirmed_remove_404(users, host, tag, docker_api):
    team = users.team()
    created = docker_api.create_container(
        "busybox:latest",
        "sleep 300",
        name=unique("team"),
        labels={"pier.test": tag, "pier.team": str(team.pk)},
    )
    docker_api.start(created["Id"])
    container = mirrored(host, created["Id"])
    client = Client()
    client.force_login(users.make(teams=[users.team()]))

    response = remove_container(client, container, {"confirm": created["Id"]})

    assert response.status_code == 404
    assert container_exists(docker_api, created["Id"])
