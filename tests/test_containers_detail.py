"""The container page: state, inspect sections, masking, raw JSON, links."""

import pytest
from django.urls import reverse

from containers.models import Container, DockerHost
from containers.services.hosts import register_local_host
from tests.containers_helpers import docker_objects_for, mirrored

pytestmark = pytest.mark.django_db

SECRET = "s3cret-value"
HOSTILE = "<script>alert(1)</script>"


@pytest.fixture
def local(db) -> DockerHost:
    return register_local_host()


@pytest.fixture
def docker_objects(docker_api):
    yield from docker_objects_for(docker_api)


@pytest.fixture
def team_container(local, docker_objects, docker_api, users):
    team = users.team()
    created = docker_api.create_container(
        "busybox:latest",
        command=["sleep", "300"],
        environment={"API_TOKEN": SECRET, "NOTE": HOSTILE},
        labels={"pier.team": str(team.pk)},
    )
    docker_objects.track(created["Id"])
    docker_api.start(created["Id"])
    return team, mirrored(local, created["Id"])


def detail(client, container):
    return client.get(reverse("container-detail", args=[container.pk]))


def test_detail_operator_sees_values(client, users, team_container):
    _, container = team_container
    client.force_login(users.make(role="operator"))
    body = detail(client, container).content.decode()
    assert SECRET in body


def test_detail_developer_sees_masked_values(client, users, team_container):
    team, container = team_container
    client.force_login(users.make(teams=[team]))
    response = detail(client, container)
    body = response.content.decode()
    assert response.status_code == 200
    assert SECRET not in body
    assert "API_TOKEN=********" in response.context["raw_json"]


def test_detail_escapes_inspect_data(client, users, team_container):
    _, container = team_container
    client.force_login(users.make(role="operator"))
    body = detail(client, container).content.decode()
    assert HOSTILE not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body


def test_detail_sections(client, users, team_container):
    _, container = team_container
    client.force_login(users.make(role="operator"))
    titles = [
        section.title for section in detail(client, container).context["sections"]
    ]
    assert titles == [
        "Configuration",
        "Runtime state",
        "Network",
        "Mounts",
        "Environment",
    ]


def test_detail_links_logs_and_stats(client, users, team_container):
    _, container = team_container
    client.force_login(users.make(role="operator"))
    body = detail(client, container).content.decode()
    assert reverse("container-logs", args=[container.pk]) in body
    assert reverse("container-stats", args=[container.pk]) in body


def test_detail_developer_sees_allowed_actions(client, users, team_container):
    team, container = team_container
    client.force_login(users.make(teams=[team]))
    allowed = detail(client, container).context["allowed"]
    assert {action for action, ok in allowed.items() if ok} == {
        "start",
        "stop",
        "restart",
    }


def test_detail_developer_page_has_no_kill(client, users, team_container):
    team, container = team_container
    client.force_login(users.make(teams=[team]))
    body = detail(client, container).content.decode()
    assert reverse("container-stop", args=[container.pk]) in body
    assert reverse("container-kill", args=[container.pk]) not in body
    assert reverse("container-remove", args=[container.pk]) not in body


def test_detail_of_container_removed_meanwhile(
    client, users, team_container, docker_api
):
    _, container = team_container
    docker_api.remove_container(container.docker_id, force=True)
    client.force_login(users.make(role="operator"))
    response = detail(client, container)
    assert response.status_code == 200
    assert "no longer exists" in response.content.decode()
    assert not Container.objects.filter(pk=container.pk).exists()


def test_state_panel_alone(client, users, team_container):
    _, container = team_container
    client.force_login(users.make(role="operator"))
    response = client.get(reverse("container-state", args=[container.pk]))
    body = response.content.decode()
    assert body.lstrip().startswith('<section id="container-state"')
    assert "<h1>" not in body


@pytest.mark.parametrize(
    "page", ["container-detail", "container-state", "container-stats"]
)
def test_pages_reject_post(client, users, team_container, page):
    _, container = team_container
    client.force_login(users.make(role="operator"))
    assert client.post(reverse(page, args=[container.pk])).status_code == 405


def test_stats_page_names_graphs(client, users, team_container):
    team, container = team_container
    client.force_login(users.make(teams=[team]))
    body = client.get(reverse("container-stats", args=[container.pk])).content.decode()
    assert 'aria-label="CPU usage graph"' in body
    assert 'data-readout="memory"' in body
