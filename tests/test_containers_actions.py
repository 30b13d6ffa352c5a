"""Container actions against the real engine: each action, roles, faults."""

import pytest
from django.urls import reverse

from containers.models import Container, DockerHost
from containers.services.hosts import register_local_host
from tests.containers_helpers import docker_objects_for, mirrored

pytestmark = pytest.mark.django_db


@pytest.fixture
def local(db) -> DockerHost:
    return register_local_host()


@pytest.fixture
def docker_objects(docker_api):
    yield from docker_objects_for(docker_api)


def act(client, container, action, data=None):
    url = reverse(f"container-{action}", args=[container.pk])
    return client.post(url, data or {})


def state(docker_api, docker_id) -> str:
    return docker_api.inspect_container(docker_id)["State"]["Status"]


@pytest.fixture
def operator(client, users):
    user = users.make(role="operator")
    client.force_login(user)
    return user


@pytest.fixture
def running(local, docker_objects):
    return mirrored(local, docker_objects.container())


def test_stop_with_timeout(client, operator, running, docker_api):
    response = act(client, running, "stop", {"stop-timeout": "0"})
    assert response.status_code == 302
    assert state(docker_api, running.docker_id) == "exited"
    running.refresh_from_db()
    assert running.state == "exited"


def test_stop_rejects_bad_timeout(client, operator, running, docker_api):
    response = act(client, running, "stop", {"stop-timeout": "-5"})
    assert response.status_code == 400
    assert "greater than or equal to 0" in response.content.decode()
    assert state(docker_api, running.docker_id) == "running"


def test_start_after_stop(client, operator, running, docker_api):
    act(client, running, "stop", {"stop-timeout": "0"})
    response = act(client, running, "start")
    assert response.status_code == 302
    assert state(docker_api, running.docker_id) == "running"


def test_restart_changes_start_time(client, operator, running, docker_api):
    before = docker_api.inspect_container(running.docker_id)["State"]["StartedAt"]
    act(client, running, "restart", {"restart-timeout": "0"})
    after = docker_api.inspect_container(running.docker_id)["State"]["StartedAt"]
    assert after != before
    assert state(docker_api, running.docker_id) == "running"


def test_kill_with_signal(client, operator, running, docker_api):
    response = act(client, running, "kill", {"kill-signal": "SIGKILL"})
    assert response.status_code == 302
    assert docker_api.inspect_container(running.docker_id)["State"]["ExitCode"] == 137


def test_kill_rejects_unknown_signal(client, operator, running, docker_api):
    response = act(client, running, "kill", {"kill-signal": "SIGSEGV"})
    assert response.status_code == 400
    assert state(docker_api, running.docker_id) == "running"


def test_pause_and_unpause(client, operator, running, docker_api):
    act(client, running, "pause")
    assert state(docker_api, running.docker_id) == "paused"
    running.refresh_from_db()
    assert running.state == "paused"
    act(client, running, "unpause")
    assert state(docker_api, running.docker_id) == "running"


def test_rename(client, operator, running, docker_api):
    new_name = running.name + "-renamed"
    response = act(client, running, "rename", {"rename-name": new_name})
    assert response.status_code == 302
    assert docker_api.inspect_container(running.docker_id)["Name"] == "/" + new_name
    running.refresh_from_db()
    assert running.name == new_name


def test_rename_rejects_invalid_name(client, operator, running):
    response = act(client, running, "rename", {"rename-name": "no/slash"})
    assert response.status_code == 400
    assert "not a valid container name" in response.content.decode()


def test_rename_to_name_in_use(client, operator, running, local, docker_objects):
    other = mirrored(local, docker_objects.container())
    response = act(client, running, "rename", {"rename-name": other.name})
    assert response.status_code == 302
    messages = [str(message) for message in response.wsgi_request._messages]
    assert "already in use" in messages[0]


def test_remove_running_forces(client, operator, running, docker_api):
    response = act(client, running, "remove", {"confirm": running.docker_id})
    assert response.status_code == 302
    assert response["Location"].endswith(f"?host={running.host_id}")
    assert not docker_api.containers(all=True, filters={"id": running.docker_id})
    assert not Container.objects.filter(pk=running.pk).exists()


def test_remove_with_anonymous_volumes(
    client, operator, local, docker_objects, docker_api
):
    created = docker_api.create_container(
        "busybox:latest", command=["true"], volumes=["/scratch"]
    )
    docker_objects.track(created["Id"])
    container = mirrored(local, created["Id"])
    volume = docker_api.inspect_container(created["Id"])["Mounts"][0]["Name"]
    act(client, container, "remove", {"remove-volumes": "on"})
    names = [item["Name"] for item in docker_api.volumes()["Volumes"] or []]
    assert volume not in names


def test_stop_removed_meanwhile(client, operator, running, docker_api):
    docker_api.remove_container(running.docker_id, force=True)
    response = act(client, running, "stop", {"stop-timeout": "0"})
    assert response.status_code == 302
    assert response["Location"].endswith(f"?host={running.host_id}")
    messages = [str(message) for message in response.wsgi_request._messages]
    assert "no longer exists" in messages[0]
    assert not Container.objects.filter(pk=running.pk).exists()


def test_remove_removed_meanwhile(client, operator, running, docker_api):
    docker_api.remove_container(running.docker_id, force=True)
    response = act(client, running, "remove", {"confirm": running.docker_id})
    messages = [str(message) for message in response.wsgi_request._messages]
    assert "no longer exists" in messages[0]
    assert not Container.objects.filter(pk=running.pk).exists()


def test_pause_stopped_reports_engine_error(client, operator, running, docker_api):
    docker_api.stop(running.docker_id, timeout=0)
    response = act(client, running, "pause")
    assert response.status_code == 302
    messages = [str(message) for message in response.wsgi_request._messages]
    assert "is not running" in messages[0]


@pytest.mark.parametrize(
    "action",
    ["start", "stop", "restart", "kill", "pause", "unpause", "rename", "remove"],
)
def test_action_rejects_get(client, operator, running, action):
    url = reverse(f"container-{action}", args=[running.pk])
    assert client.get(url).status_code == 405


@pytest.fixture
def team_container(local, docker_objects, users):
    team = users.team()
    docker_id = docker_objects.container(labels={"pier.team": str(team.pk)})
    return team, mirrored(local, docker_id)


@pytest.mark.parametrize(
    ("action", "data"),
    [("stop", {"stop-timeout": "0"}), ("restart", {"restart-timeout": "0"})],
)
def test_developer_may_stop_restart(client, users, team_container, action, data):
    team, container = team_container
    client.force_login(users.make(teams=[team]))
    assert act(client, container, action, data).status_code == 302


@pytest.mark.parametrize(
    ("action", "data"),
    [
        ("kill", {"kill-signal": "SIGKILL"}),
        ("pause", {}),
        ("unpause", {}),
        ("rename", {"rename-name": "taken-over"}),
        ("remove", {}),
    ],
)
def test_developer_operator_actions_403(
    client, users, team_container, docker_api, action, data
):
    team, container = team_container
    client.force_login(users.make(teams=[team]))
    assert act(client, container, action, data).status_code == 403
    assert state(docker_api, container.docker_id) == "running"


@pytest.mark.parametrize(
    "action",
    ["start", "stop", "restart", "kill", "pause", "unpause", "rename", "remove"],
)
def test_other_team_actions_404(client, users, team_container, docker_api, action):
    _, container = team_container
    client.force_login(users.make(teams=[users.team()]))
    assert act(client, container, action).status_code == 404
    assert state(docker_api, container.docker_id) == "running"


@pytest.mark.parametrize(
    "page", ["container-detail", "container-state", "container-stats"]
)
def test_other_team_pages_404(client, users, team_container, page):
    _, container = team_container
    client.force_login(users.make(teams=[users.team()]))
    assert client.get(reverse(page, args=[container.pk])).status_code == 404
