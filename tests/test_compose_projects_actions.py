"""Compose actions through Pier's worker: up, stop, start, scale, down."""

import time

import pytest

from containers.models import Container, Job
from containers.services.compose_files import project_folder
from tests.conftest import unique
from tests.test_compose_projects_support import (
    SLEEPER,
    act,
    job_text,
    logged_in,
    make_project,
    remove_project_objects,
    wait_for_containers,
    wait_for_job,
)

pytestmark = pytest.mark.slow


@pytest.fixture
def developer(users):
    return users.make(teams=[users.team()])


@pytest.fixture
def project(stack, developer, local_host, tmp_path):
    created = make_project(unique("cp"), developer.teams.first(), local_host, developer)
    yield created
    remove_project_objects(created.name, tmp_path)


def test_up_starts_service(project, developer):
    job = wait_for_job(act(logged_in(developer), project, "up"))

    assert job.state == Job.SUCCEEDED, job.error
    assert job.result["exit_code"] == 0
    containers = wait_for_containers(project.host, project.name, 1)
    assert containers[0].state == "running"
    assert containers[0].compose_service == "app"
    assert "Started" in job_text(job)
    project.refresh_from_db()
    assert project.applied_version == project.latest_version


def test_up_records_resource_progress(project, developer):
    job = wait_for_job(act(logged_in(developer), project, "up"))

    resources = job.progress["resources"]
    assert f"Container {project.name}-app-1" in resources
    assert "heartbeat" in job.progress


def test_up_labels_containers_with_team(project, developer):
    wait_for_job(act(logged_in(developer), project, "up"))

    container = wait_for_containers(project.host, project.name, 1)[0]
    assert container.labels["pier.team"] == str(project.team_id)
    assert container.labels["pier.compose-project"] == str(project.pk)


def test_scale_then_stop_and_down(project, developer):
    client = logged_in(developer)
    assert wait_for_job(act(client, project, "up")).state == Job.SUCCEEDED

    scaled = wait_for_job(
        act(client, project, "scale", {"service": "app", "replicas": 2})
    )
    assert scaled.state == Job.SUCCEEDED, scaled.error
    wait_for_containers(project.host, project.name, 2)

    stopped = wait_for_job(act(client, project, "stop"))
    assert stopped.state == Job.SUCCEEDED, stopped.error

    down = wait_for_job(
        act(client, project, "down", {"volumes": "on", "confirmed": "on"})
    )
    assert down.state == Job.SUCCEEDED, down.error
    wait_for_containers(project.host, project.name, 0)


def test_working_files_written(project, developer):
    wait_for_job(act(logged_in(developer), project, "up"))

    folder = project_folder(project)
    assert (folder / "compose.yaml").read_text() == project.latest_version.compose_file
    assert (folder / "pier-labels.yaml").exists()


def test_kill_shows_exited_on_the_mirror(stack, developer, local_host, tmp_path):
    two = (
        SLEEPER
        + '  other:\n    image: busybox:latest\n    command: ["sleep", "3600"]\n'
    )
    project = make_project(
        unique("ck"), developer.teams.first(), local_host, developer, two
    )
    client = logged_in(developer)
    try:
        assert wait_for_job(act(client, project, "up")).state == Job.SUCCEEDED
        wait_for_containers(project.host, project.name, 2)

        job = wait_for_job(act(client, project, "kill", {"signal": "SIGKILL"}))

        assert job.state == Job.SUCCEEDED, job.error
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and states(project) != ["exited", "exited"]:
            time.sleep(0.1)
        assert states(project) == ["exited", "exited"]
    finally:
        remove_project_objects(project.name, tmp_path)


def states(project) -> list[str]:
    rows = Container.objects.filter(host=project.host, compose_project=project.name)
    return sorted(rows.values_list("state", flat=True))
