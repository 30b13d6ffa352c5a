"""Volume pages: roles, methods, create, inspect, remove and a label-scoped prune.

They run against the host's real engine, which other tests share, so every
volume carries a label with a value of this test's own and prunes are scoped
to it.
"""

import pytest
from django.test import Client
from django.urls import reverse

from containers.models import Container, DockerHost, Volume
from containers.services import sync
from tests.conftest import unique

pytestmark = pytest.mark.django_db


@pytest.fixture
def host() -> DockerHost:
    return DockerHost.objects.create(
        name=unique("volumes-host"), url="unix:///var/run/docker.sock"
    )


@pytest.fixture
def operator(users) -> Client:
    client = Client()
    client.force_login(users.make(role="operator"))
    return client


@pytest.fixture
def tag(docker_api) -> str:
    """A label value for this test; its volumes and containers go afterwards."""
    value = unique("volumes")
    yield value
    filters = {"label": f"pier.test={value}"}
    for entry in docker_api.containers(all=True, filters=filters):
        docker_api.remove_container(entry["Id"], force=True)
    for entry in docker_api.volumes(filters=filters).get("Volumes") or []:
        docker_api.remove_volume(entry["Name"], force=True)


def create(client: Client, host: DockerHost, name: str, tag: str, **fields):
    data = {"name": name, "driver": "local", "labels": f"pier.test={tag}"}
    data.update(fields)
    url = f"{reverse('volume-create')}?host={host.pk}"
    return client.post(url, data)


VIEWS = [
    ("get", "volume-list", False),
    ("get", "volume-create", False),
    ("post", "volume-create", False),
    ("get", "volume-prune-preview", False),
    ("post", "volume-prune", False),
    ("get", "volume-detail", True),
    ("post", "volume-remove", True),
]


@pytest.mark.parametrize(("method", "name", "needs_id"), VIEWS)
def test_views_reject_developer(users, host, method, name, needs_id):
    team = users.team()
    client = Client()
    client.force_login(users.make(teams=[team]))
    volume = Volume.objects.create(host=host, name=unique("volume"))
    url = reverse(name, args=[volume.pk] if needs_id else [])

    response = getattr(client, method)(f"{url}?host={host.pk}")

    assert response.status_code == 403


WRONG_METHODS = [
    ("post", "volume-list", False),
    ("put", "volume-create", False),
    ("post", "volume-prune-preview", False),
    ("get", "volume-prune", False),
    ("post", "volume-detail", True),
    ("put", "volume-remove", True),
]


@pytest.mark.parametrize(("method", "name", "needs_id"), WRONG_METHODS)
def test_views_reject_wrong_method(operator, host, method, name, needs_id):
    volume = Volume.objects.create(host=host, name=unique("volume"))
    url = reverse(name, args=[volume.pk] if needs_id else [])

    response = getattr(operator, method)(f"{url}?host={host.pk}")

    assert response.status_code == 405


def test_list_unknown_host_is_404(operator):
    response = operator.get(f"{reverse('volume-list')}?host=999999")

    assert response.status_code == 404


def test_create_volume_with_options(operator, host, tag, docker_api):
    name = unique("vol")

    response = create(
        operator, host, name, tag, options="type=tmpfs\ndevice=tmpfs\no=size=1m"
    )

    assert response.status_code == 302
    details = docker_api.inspect_volume(name)
    assert details["Options"] == {"type": "tmpfs", "device": "tmpfs", "o": "size=1m"}
    assert details["Labels"] == {"pier.test": tag}
    assert Volume.objects.filter(host=host, name=name).exists()
    page = operator.get(response["Location"]).content.decode()
    assert f"Created volume {name}" in page
    assert f'data-volume="{name}"' in page


def test_create_rejects_bad_name(operator, host, tag):
    response = create(operator, host, "-bad name", tag)

    assert response.status_code == 400
    assert "is not a valid volume name" in response.content.decode()


def test_create_rejects_bad_option_line(operator, host, tag):
    response = create(operator, host, unique("vol"), tag, options="type tmpfs")

    assert response.status_code == 400
    assert "Driver option line 1" in response.content.decode()


def test_create_rejects_existing_name(operator, host, tag):
    name = unique("vol")
    create(operator, host, name, tag)

    response = create(operator, host, name, tag)

    assert response.status_code == 400
    assert f"A volume named {name} already exists" in response.content.decode()


def test_create_bad_option_shows_engine_error(operator, host, tag):
    response = create(operator, host, unique("vol"), tag, options="colour=blue")

    assert response.status_code == 400
    page = response.content.decode()
    assert "Docker did not create the volume" in page
    assert "colour" in page


def test_list_shows_container_using_volume(operator, host, tag, docker_api):
    name = unique("vol")
    create(operator, host, name, tag)
    container = unique("user")
    docker_api.create_container(
        "busybox:latest",
        "true",
        name=container,
        labels={"pier.test": tag},
        host_config=docker_api.create_host_config(binds=[f"{name}:/data"]),
    )
    sync.sync_containers(host)

    page = operator.get(f"{reverse('volume-list')}?host={host.pk}").content.decode()

    row = page.split(f'data-volume="{name}"', 1)[1].split("</tr>", 1)[0]
    assert container in row


def test_inspect_escapes_labels(operator, host, tag):
    name = unique("vol")
    create(operator, host, name, tag, labels=f"pier.test={tag}\nnote=<b>x</b>")
    volume = Volume.objects.get(host=host, name=name)

    page = operator.get(reverse("volume-detail", args=[volume.pk])).content.decode()

    assert "&lt;b&gt;x&lt;/b&gt;" in page
    assert "<b>x</b>" not in page
    assert f"&quot;Name&quot;: &quot;{name}&quot;" in page


def test_remove_volume(operator, host, tag, docker_api):
    name = unique("vol")
    create(operator, host, name, tag)
    volume = Volume.objects.get(host=host, name=name)

    response = operator.post(
        reverse("volume-remove", args=[volume.pk]), {"confirm": name}
    )

    assert response.status_code == 302
    assert not docker_api.volumes(filters={"name": name}).get("Volumes")
    assert not Volume.objects.filter(pk=volume.pk).exists()


def test_remove_in_use_names_container(operator, host, tag, docker_api):
    name = unique("vol")
    create(operator, host, name, tag)
    container = unique("holder")
    docker_api.create_container(
        "busybox:latest",
        "true",
        name=container,
        labels={"pier.test": tag},
        host_config=docker_api.create_host_config(binds=[f"{name}:/data"]),
    )
    sync.sync_containers(host)
    volume = Volume.objects.get(host=host, name=name)
    holder = Container.objects.get(host=host, name=container)

    response = operator.post(
        reverse("volume-remove", args=[volume.pk]),
        {"confirm": name, "container": holder.pk},
        follow=True,
    )

    page = response.content.decode()
    assert f"Volume {name} is in use by container {container}" in page
    assert docker_api.inspect_volume(name)["Name"] == name


def test_prune_preview_lists_labelled_unused(operator, host, tag, docker_api):
    used, unused = unique("used"), unique("unused")
    create(operator, host, used, tag)
    create(operator, host, unused, tag)
    docker_api.create_container(
        "busybox:latest",
        "true",
        labels={"pier.test": tag},
        host_config=docker_api.create_host_config(binds=[f"{used}:/data"]),
    )
    url = reverse("volume-prune-preview")

    page = operator.get(url, {"host": host.pk, "label": f"pier.test={tag}"})

    names = [str(name) for name in page.context["names"]]
    assert names == [unused]


def test_prune_removes_only_labelled(operator, host, tag, docker_api):
    labelled = [unique("gone"), unique("gone")]
    for name in labelled:
        create(operator, host, name, tag)
    survivor = unique("survivor")
    docker_api.create_volume(survivor)
    try:
        response = operator.post(
            reverse("volume-prune"),
            {"host": host.pk, "label": f"pier.test={tag}", "name": labelled},
        )
        remaining = {
            entry["Name"] for entry in docker_api.volumes().get("Volumes") or []
        }
    finally:
        docker_api.remove_volume(survivor)

    assert response.status_code == 302
    assert survivor in remaining
    assert not set(labelled) & remaining
    assert not Volume.objects.filter(host=host, name__in=labelled).exists()


def test_prune_rejects_bad_label(operator, host):
    response = operator.post(
        reverse("volume-prune"), {"host": host.pk, "label": "has space"}
    )

    assert response.status_code == 400
    assert "is not a label selector" in response.content.decode()


def test_prune_message_lists_removed(operator, host, tag):
    name = unique("gone")
    create(operator, host, name, tag)

    response = operator.post(
        reverse("volume-prune"),
        {"host": host.pk, "label": f"pier.test={tag}", "name": [name]},
        follow=True,
    )

    assert f"Removed 1 unused volume: {name}." in response.content.decode()


def test_prune_removes_only_previewed(operator, host, tag, docker_api):
    previewed, later, in_use = unique("seen"), unique("later"), unique("inuse")
    for name in (previewed, later, in_use):
        create(operator, host, name, tag)
    # After the preview, one volume appears and another gets a container.
    docker_api.create_container(
        "busybox:latest",
        "true",
        labels={"pier.test": tag},
        host_config=docker_api.create_host_config(binds=[f"{in_use}:/data"]),
    )

    response = operator.post(
        reverse("volume-prune"),
        {"host": host.pk, "label": f"pier.test={tag}", "name": [previewed, in_use]},
        follow=True,
    )

    remaining = {entry["Name"] for entry in docker_api.volumes().get("Volumes") or []}
    page = response.content.decode()
    assert previewed not in remaining
    assert later in remaining
    assert in_use in remaining
    assert f"Removed 1 unused volume: {previewed}." in page
    assert f"Kept {in_use}: in use or removed since the preview." in page
