"""Compose projects on remote hosts over TLS and SSH, through Pier's worker.

Each test runs once on the remote engine registered as a TLS host and once as
an SSH host (tests/remote_hosts.py), and checks the engine with the Docker SDK.
"""

import tempfile
from pathlib import Path

import pytest
from django.urls import reverse

from containers.models import Job
from containers.services.compose_engine import FOLDER_PREFIX
from tests.compose_remote_support import (  # noqa: F401
    TALKER,
    remote_containers,
    remote_host_fixture,
    remote_networks,
    remove_remote_project,
    states,
)
from tests.conftest import unique
from tests.remote_engine import remote_engine_fixture  # noqa: F401
from tests.remote_hosts import ssh_host_fixture, tls_host_fixture  # noqa: F401
from tests.sockets import open_socket, receive_until
from tests.test_compose_projects_support import (
    act,
    job_text,
    logged_in,
    make_project,
    wait_for_containers,
    wait_for_job,
)

pytestmark = pytest.mark.slow

CHANGED = TALKER.replace("hello from the remote", "hello again")


@pytest.fixture
def developer(users):
    return users.make(teams=[users.team()])


@pytest.fixture
def project(remote_host, developer, remote_engine):
    created = make_project(
        unique("rc"), developer.teams.first(), remote_host, developer, TALKER
    )
    yield created
    remove_remote_project(remote_engine, created)


def succeeded(client, project, action: str, data=None) -> Job:
    job = wait_for_job(act(client, project, action, data))
    assert job.state == Job.SUCCEEDED, job.error
    return job


def test_up_starts_service_on_remote(project, developer, remote_engine):
    job = succeeded(logged_in(developer), project, "up")

    found = remote_containers(remote_engine, project.name)
    assert [entry["State"] for entry in found] == ["running"]
    assert found[0]["Labels"]["pier.team"] == str(project.team_id)
    assert f"Container {project.name}-app-1" in job.progress["resources"]
    assert "Started" in job_text(job)
    project.refresh_from_db()
    assert project.applied_version == project.latest_version


def test_stop_start_kill_down_on_remote(project, developer, remote_engine):
    client = logged_in(developer)
    succeeded(client, project, "up")

    succeeded(client, project, "stop")
    assert states(remote_engine, project.name) == ["exited"]
    succeeded(client, project, "start")
    assert states(remote_engine, project.name) == ["running"]
    succeeded(client, project, "kill", {"signal": "SIGKILL"})
    assert states(remote_engine, project.name) == ["exited"]
    succeeded(client, project, "down")
    assert remote_containers(remote_engine, project.name) == []
    assert remote_networks(remote_engine, project.name) == []


def test_job_leaves_no_credentials(project, developer, remote_engine):
    job = succeeded(logged_in(developer), project, "up")

    worker_pid = job.progress["worker"].rpartition(":")[2]
    prefix = f"{FOLDER_PREFIX}{worker_pid}-"
    assert list(Path(tempfile.gettempdir()).glob(prefix + "*")) == []
    recorded = "\n".join([job_text(job), job.error, str(job.result)])
    assert "PRIVATE KEY" not in recorded
    assert remote_engine.client_key.splitlines()[1] not in recorded
    assert remote_engine.ssh_private_key.splitlines()[1] not in recorded


def test_combined_log_from_remote(stack, project, developer):
    succeeded(logged_in(developer), project, "up")
    wait_for_containers(project.host, project.name, 1)

    path = f"/ws/compose/{project.pk}/logs/"
    with open_socket(stack, path, developer) as socket:
        message = receive_until(
            socket, lambda m: m["type"] == "lines" and m["lines"], timeout=15
        )

    texts = [line[2] for line in message["lines"]]
    assert "app-1 | hello from the remote" in texts


def test_edit_preview_reads_remote(project, developer):
    client = logged_in(developer)
    succeeded(client, project, "up")

    response = client.post(
        reverse("compose-edit", args=[project.pk]),
        {"compose_file": CHANGED, "env_file": ""},
    )

    body = response.content.decode()
    assert response.status_code == 200, body[-2000:]
    assert 'data-plan="recreated">app (command' in body
    assert 'data-plan="unchanged">none' in body
