"""Websockets of compose projects: access per team, live state and combined logs."""

import json

import pytest
from django.urls import reverse

from containers.models import Job
from tests.conftest import unique
from tests.sockets import close_code, open_socket, receive_until
from tests.test_compose_projects_support import (
    act,
    logged_in,
    make_project,
    remove_project_objects,
    wait_for_containers,
    wait_for_job,
)

pytestmark = pytest.mark.slow

TALKER = """\
services:
  app:
    image: busybox:latest
    command: ["sh", "-c", "echo hello from app; exec sleep 3600"]
    stop_signal: SIGKILL
"""


@pytest.fixture
def teams(users):
    team_a, team_b = users.team(), users.team()
    return {
        "dev_a": users.make(teams=[team_a]),
        "dev_b": users.make(teams=[team_b]),
        "team_b": team_b,
    }


@pytest.fixture
def running(stack, teams, local_host, tmp_path):
    project = make_project(
        unique("cs"), teams["team_b"], local_host, teams["dev_b"], TALKER
    )
    job = wait_for_job(act(logged_in(teams["dev_b"]), project, "up"))
    assert job.state == Job.SUCCEEDED, job.error
    wait_for_containers(local_host, project.name, 1)
    yield project
    remove_project_objects(project.name, tmp_path)


def paths(project) -> list[str]:
    return [f"/ws/compose/{project.pk}/", f"/ws/compose/{project.pk}/logs/"]


def test_sockets_closed_for_other_team(stack, teams, running):
    for path in paths(running):
        assert close_code(stack, path, teams["dev_a"]) == 4404, path


def test_sockets_closed_for_anonymous(stack, running):
    for path in paths(running):
        assert close_code(stack, path) == 4403, path


def test_combined_log_prefixes_service(stack, teams, running):
    with open_socket(stack, paths(running)[1], teams["dev_b"]) as socket:
        message = receive_until(
            socket, lambda m: m["type"] == "lines" and m["lines"], timeout=15
        )

    texts = [line[2] for line in message["lines"]]
    assert "app-1 | hello from app" in texts


def test_events_follow_project_container(stack, teams, running, docker_api):
    container = wait_for_containers(running.host, running.name, 1)[0]
    with open_socket(stack, paths(running)[0], teams["dev_b"]) as socket:
        docker_api.stop(container.docker_id, timeout=0)
        message = receive_until(
            socket,
            lambda m: m.get("docker_id") == container.docker_id
            and m.get("state") == "exited",
            timeout=15,
        )

    assert message["compose_project"] == running.name


def test_developer_opens_project_container_log(teams, running):
    container = wait_for_containers(running.host, running.name, 1)[0]
    client = logged_in(teams["dev_b"])
    response = client.get(reverse("container-logs", args=[container.pk]))

    assert response.status_code == 200
    other = logged_in(teams["dev_a"])
    assert other.get(reverse("container-logs", args=[container.pk])).status_code == 404


def test_detail_page_lists_service(teams, running):
    client = logged_in(teams["dev_b"])
    body = client.get(reverse("compose-detail", args=[running.pk])).content.decode()

    assert 'data-service="app"' in body
    assert json.dumps(running.name)[1:-1] in body
