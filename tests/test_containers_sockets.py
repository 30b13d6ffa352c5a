"""The stats websocket: who may open it, and what it sends each second."""

import time

import pytest

from containers.models import Container, DockerHost, Profile
from containers.services.container_stats import StatsReader
from tests.containers_helpers import docker_objects_for
from tests.sockets import close_code, open_socket, receive_until


def wait_for_row(docker_id: str, timeout: float = 10) -> Container:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        container = Container.objects.filter(docker_id=docker_id).first()
        if container is not None:
            return container
        time.sleep(0.1)
    raise AssertionError(f"container {docker_id[:12]} never reached the mirror")


@pytest.fixture
def docker_objects(docker_api):
    yield from docker_objects_for(docker_api)


@pytest.fixture
def team_container(stack, users, docker_objects):
    team = users.team()
    docker_id = docker_objects.container(
        command=("sh", "-c", "while :; do echo x > /dev/null; sleep 0.1; done"),
        labels={"pier.team": str(team.pk)},
    )
    return team, wait_for_row(docker_id)


def path_of(container: Container) -> str:
    return f"/ws/containers/{container.pk}/stats/"


def test_stats_anonymous_closed_4403(stack, team_container):
    _, container = team_container
    assert close_code(stack, path_of(container)) == 4403


def test_stats_other_team_closed_4404(stack, users, team_container):
    _, container = team_container
    stranger = users.make(teams=[users.team()])
    assert close_code(stack, path_of(container), stranger) == 4404


def test_stats_unknown_container_closed_4404(stack, users):
    operator = users.make(role=Profile.OPERATOR)
    assert close_code(stack, "/ws/containers/999999/stats/", operator) == 4404


def test_stats_team_developer_receives_readings(stack, users, team_container):
    team, container = team_container
    developer = users.make(teams=[team])
    with open_socket(stack, path_of(container), developer) as socket:
        first = receive_until(socket, lambda message: message["type"] == "stats")
        second = receive_until(socket, lambda message: message["type"] == "stats")
    assert first["running"] is True
    assert second["memory_used"] > 0
    assert second["memory_limit"] >= second["memory_used"]
    assert second["cpu_percent"] >= 0


def test_stats_of_stopped_container(stack, users, team_container, docker_api):
    _, container = team_container
    docker_api.kill(container.docker_id)
    operator = users.make(role=Profile.OPERATOR)
    with open_socket(stack, path_of(container), operator) as socket:
        message = receive_until(socket, lambda message: message["type"] == "stats")
    assert message["running"] is False


def test_stats_stream_ends_on_removal(stack, users, team_container, docker_api):
    _, container = team_container
    operator = users.make(role=Profile.OPERATOR)
    with open_socket(stack, path_of(container), operator) as socket:
        receive_until(socket, lambda message: message["type"] == "stats")
        docker_api.remove_container(container.docker_id, force=True)
        end = receive_until(socket, lambda message: message["type"] == "end")
    assert end["reason"] == "The stats ended."


def test_stats_reader_stops_after_stop(docker_objects):
    host = DockerHost(name="local", url="unix:///var/run/docker.sock")
    docker_id = docker_objects.container()
    messages: list = []
    reader = StatsReader(Container(host=host, docker_id=docker_id), messages.append)
    reader.start()
    deadline = time.monotonic() + 10
    while not messages and time.monotonic() < deadline:
        time.sleep(0.05)
    reader.stop()
    reader.thread.join(timeout=3)
    assert messages[0]["type"] == "stats"
    assert not reader.thread.is_alive()
    assert messages[-1] is None
