"""Network pages: roles, methods, create, inspect, remove, connect and prune.

They run against the host's real engine, which other tests share, so every
network carries a label with a value of this test's own and prunes are scoped
to it.
"""

import random

import pytest
from django.test import Client
from django.urls import reverse

from containers.models import Container, DockerHost, Network
from containers.services import sync
from tests.conftest import unique

pytestmark = pytest.mark.django_db


@pytest.fixture
def host() -> DockerHost:
    return DockerHost.objects.create(
        name=unique("networks-host"), url="unix:///var/run/docker.sock"
    )


@pytest.fixture
def operator(users) -> Client:
    client = Client()
    client.force_login(users.make(role="operator"))
    return client


@pytest.fixture
def tag(docker_api) -> str:
    """A label value for this test; its networks and containers go afterwards."""
    value = unique("networks")
    yield value
    filters = {"label": f"pier.test={value}"}
    for entry in docker_api.containers(all=True, filters=filters):
        docker_api.remove_container(entry["Id"], force=True)
    for entry in docker_api.networks(filters=filters):
        docker_api.remove_network(entry["Id"])


def create(client: Client, host: DockerHost, name: str, tag: str, **fields):
    data = {"name": name, "driver": "bridge", "labels": f"pier.test={tag}"}
    data.update(fields)
    return client.post(f"{reverse('network-create')}?host={host.pk}", data)


def sleeper(docker_api, tag: str, network: str = "") -> str:
    """Start a busybox container that sleeps; return its name."""
    name = unique("sleeper")
    docker_api.create_container(
        "busybox:latest",
        "sleep 300",
        name=name,
        labels={"pier.test": tag},
        host_config=docker_api.create_host_config(network_mode=network or None),
    )
    docker_api.start(name)
    return name


VIEWS = [
    ("get", "network-list", False),
    ("get", "network-create", False),
    ("post", "network-create", False),
    ("get", "network-prune-preview", False),
    ("post", "network-prune", False),
    ("get", "network-detail", True),
    ("post", "network-remove", True),
    ("post", "network-connect", True),
    ("post", "network-disconnect", True),
]


@pytest.mark.parametrize(("method", "name", "needs_id"), VIEWS)
def test_views_reject_developer(users, host, method, name, needs_id):
    team = users.team()
    client = Client()
    client.force_login(users.make(teams=[team]))
    network = Network.objects.create(host=host, docker_id="0" * 64, name="n")
    url = reverse(name, args=[network.pk] if needs_id else [])

    response = getattr(client, method)(f"{url}?host={host.pk}")

    assert response.status_code == 403


WRONG_METHODS = [
    ("post", "network-list", False),
    ("delete", "network-create", False),
    ("post", "network-prune-preview", False),
    ("get", "network-prune", False),
    ("post", "network-detail", True),
    ("put", "network-remove", True),
    ("get", "network-connect", True),
    ("get", "network-disconnect", True),
]


@pytest.mark.parametrize(("method", "name", "needs_id"), WRONG_METHODS)
def test_views_reject_wrong_method(operator, host, method, name, needs_id):
    network = Network.objects.create(host=host, docker_id="0" * 64, name="n")
    url = reverse(name, args=[network.pk] if needs_id else [])

    response = getattr(operator, method)(f"{url}?host={host.pk}")

    assert response.status_code == 405


def test_create_with_subnet(operator, host, tag, docker_api):
    name = unique("net")
    third = random.randrange(256)
    subnet, gateway = f"10.99.{third}.0/24", f"10.99.{third}.1"

    response = create(
        operator, host, name, tag, subnet=subnet, gateway=gateway, internal="on"
    )

    assert response.status_code == 302
    details = docker_api.inspect_network(name)
    assert details["IPAM"]["Config"] == [{"Subnet": subnet, "Gateway": gateway}]
    assert details["Internal"] is True
    assert details["Labels"] == {"pier.test": tag}
    row = Network.objects.get(host=host, name=name)
    assert row.subnets == [subnet]


def test_list_shows_new_network(operator, host, tag):
    name = unique("net")
    create(operator, host, name, tag)

    page = operator.get(f"{reverse('network-list')}?host={host.pk}").content.decode()

    assert f'data-network="{name}"' in page


def test_create_rejects_bad_subnet(operator, host, tag):
    response = create(operator, host, unique("net"), tag, subnet="10.1.2.3/24")

    assert response.status_code == 400
    assert "is not a subnet such as 10.20.0.0/24" in response.content.decode()


def test_create_rejects_gateway_outside(operator, host, tag):
    response = create(
        operator, host, unique("net"), tag, subnet="10.98.0.0/24", gateway="10.1.0.1"
    )

    assert response.status_code == 400
    assert "outside the subnet 10.98.0.0/24" in response.content.decode()


def test_create_rejects_gateway_alone(operator, host, tag):
    response = create(operator, host, unique("net"), tag, gateway="10.1.0.1")

    assert response.status_code == 400
    assert "A gateway needs a subnet" in response.content.decode()


def test_create_duplicate_shows_engine_error(operator, host, tag):
    name = unique("net")
    create(operator, host, name, tag)

    response = create(operator, host, name, tag)

    assert response.status_code == 400
    assert "Docker did not create the network" in response.content.decode()


def test_detail_escapes_labels(operator, host, tag):
    name = unique("net")
    create(operator, host, name, tag, labels=f"pier.test={tag}\nnote=<i>x</i>")
    network = Network.objects.get(host=host, name=name)

    page = operator.get(reverse("network-detail", args=[network.pk])).content.decode()

    assert "&lt;i&gt;x&lt;/i&gt;" in page
    assert "<i>x</i>" not in page


def test_connect_and_disconnect(operator, host, tag, docker_api):
    name = unique("net")
    create(operator, host, name, tag)
    network = Network.objects.get(host=host, name=name)
    container_name = sleeper(docker_api, tag)
    sync.sync_containers(host)
    container = Container.objects.get(host=host, name=container_name)
    url = reverse("network-connect", args=[network.pk])

    operator.post(url, {"container": container.pk, "aliases": "db, cache"})

    endpoint = docker_api.inspect_container(container_name)["NetworkSettings"][
        "Networks"
    ][name]
    assert {"db", "cache"} <= set(endpoint["Aliases"])
    container.refresh_from_db()
    assert name in container.networks
    page = operator.get(reverse("network-detail", args=[network.pk])).content.decode()
    assert f"Disconnect {container_name}" in page
    assert f'<option value="{container.pk}"' not in page

    operator.post(
        reverse("network-disconnect", args=[network.pk]), {"container": container.pk}
    )

    networks = docker_api.inspect_container(container_name)["NetworkSettings"]
    assert name not in networks["Networks"]
    container.refresh_from_db()
    assert name not in container.networks


def test_connect_rejects_bad_alias(operator, host, tag, docker_api):
    name = unique("net")
    create(operator, host, name, tag)
    network = Network.objects.get(host=host, name=name)
    container_name = sleeper(docker_api, tag)
    sync.sync_containers(host)
    container = Container.objects.get(host=host, name=container_name)

    response = operator.post(
        reverse("network-connect", args=[network.pk]),
        {"container": container.pk, "aliases": "ok -bad"},
    )

    assert response.status_code == 400
    assert "is not a valid name" in response.content.decode()


def test_remove_with_endpoints_names_container(operator, host, tag, docker_api):
    name = unique("net")
    create(operator, host, name, tag)
    container_name = sleeper(docker_api, tag, network=name)
    sync.sync_containers(host)
    network = Network.objects.get(host=host, name=name)
    attached = Container.objects.get(host=host, name=container_name)

    response = operator.post(
        reverse("network-remove", args=[network.pk]),
        {"confirm": name, "container": attached.pk},
        follow=True,
    )

    page = response.content.decode()
    assert f"still has containers attached ({container_name})" in page
    assert docker_api.inspect_network(name)["Name"] == name


def test_remove_network(operator, host, tag, docker_api):
    name = unique("net")
    create(operator, host, name, tag)
    network = Network.objects.get(host=host, name=name)

    response = operator.post(
        reverse("network-remove", args=[network.pk]), {"confirm": name}
    )

    assert response.status_code == 302
    assert not docker_api.networks(names=[name])
    assert not Network.objects.filter(pk=network.pk).exists()


def test_prune_preview_lists_labelled_unused(operator, host, tag, docker_api):
    used, unused = unique("used"), unique("unused")
    create(operator, host, used, tag)
    create(operator, host, unused, tag)
    sleeper(docker_api, tag, network=used)

    page = operator.get(
        reverse("network-prune-preview"),
        {"host": host.pk, "label": f"pier.test={tag}"},
    )

    assert page.context["names"] == [unused]


def test_prune_removes_only_labelled(operator, host, tag, docker_api):
    labelled = sorted([unique("gone"), unique("gone")])
    for name in labelled:
        create(operator, host, name, tag)
    survivor = unique("survivor")
    docker_api.create_network(survivor)
    try:
        response = operator.post(
            reverse("network-prune"),
            {"host": host.pk, "label": f"pier.test={tag}", "name": labelled},
            follow=True,
        )
        remaining = {entry["Name"] for entry in docker_api.networks()}
    finally:
        docker_api.remove_network(survivor)

    assert survivor in remaining
    assert not set(labelled) & remaining
    page = response.content.decode()
    assert f"Removed 2 unused networks: {', '.join(labelled)}." in page


def test_prune_removes_only_previewed(operator, host, tag, docker_api):
    previewed, later = unique("seen"), unique("later")
    create(operator, host, previewed, tag)
    create(operator, host, later, tag)

    response = operator.post(
        reverse("network-prune"),
        {"host": host.pk, "label": f"pier.test={tag}", "name": [previewed]},
        follow=True,
    )

    remaining = {entry["Name"] for entry in docker_api.networks()}
    assert previewed not in remaining
    assert later in remaining
    assert f"Removed 1 unused network: {previewed}." in response.content.decode()


def test_builtin_network_offers_no_remove(client, db):
    from django.contrib.auth import get_user_model

    from containers.models import DockerHost, Network, Profile

    host = DockerHost.objects.get(name="local")
    bridge = Network.objects.create(host=host, docker_id="b" * 64, name="bridge")
    operator = get_user_model().objects.create_user("net-op", password="x")
    Profile.objects.create(user=operator, role=Profile.OPERATOR)
    client.force_login(operator)

    response = client.get(f"/networks/{bridge.pk}/?host={host.pk}")

    assert response.status_code == 200
    assert b"Remove network bridge" not in response.content
