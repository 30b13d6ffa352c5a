"""Compose actions that fail, and what they must leave as it was."""

import json
import os
import signal
import socket
import subprocess
import time

import pytest
from django.urls import reverse

from containers.models import Container, Job, Profile
from containers.services import compose_projects
from tests.conftest import unique
from tests.test_compose_projects_support import (
    SLEEPER,
    act,
    compose_by_hand,
    job_text,
    logged_in,
    make_project,
    remove_project_objects,
    wait_for_containers,
    wait_for_job,
)

pytestmark = pytest.mark.slow

EXITS = """\
services:
  app:
    image: busybox:latest
    command: ["sh", "-c", "echo database is missing; exit 3"]
"""
NEVER_HEALTHY = """\
services:
  app:
    image: busybox:latest
    command: ["sleep", "3600"]
    stop_signal: SIGKILL
    healthcheck:
      test: ["CMD", "false"]
      interval: 1s
      retries: 100
"""
SLOW_HEALTHY = """\
services:
  app:
    image: busybox:latest
    command: ["sh", "-c", "sleep 6; touch /tmp/ready; exec sleep 3600"]
    stop_signal: SIGKILL
    healthcheck:
      test: ["CMD", "test", "-f", "/tmp/ready"]
      interval: 1s
      retries: 100
"""
BROKEN_BUILD = (
    SLEEPER
    + """\
  broken:
    build:
      context: .
      dockerfile_inline: |
        FROM busybox:latest
        RUN echo first step done
        RUN echo second step fails; exit 7
"""
)
WITH_VOLUME = """\
services:
  app:
    image: busybox:latest
    command: ["sleep", "3600"]
    stop_signal: SIGKILL
    volumes: ["data:/data"]
    networks: [inner]
volumes:
  data:
networks:
  inner:
"""


@pytest.fixture
def developer(users):
    return users.make(teams=[users.team()])


@pytest.fixture
def projects(stack, developer, local_host, tmp_path):
    """Make projects of the developer's team; remove what they create afterwards."""
    made = []

    def make(text, env=""):
        project = make_project(
            unique("cf"), developer.teams.first(), local_host, developer, text, env
        )
        made.append(project)
        return project

    yield make
    for project in made:
        remove_project_objects(project.name, tmp_path)


def free_port() -> int:
    """Return a free port in the developer policy's range 20000-29999."""
    for port in range(29999, 20000, -1):
        with socket.socket() as probe:
            try:
                probe.bind(("0.0.0.0", port))
            except OSError:
                continue
        if not Container.objects.filter(ports__icontains=str(port)).exists():
            return port
    raise AssertionError("no free port in 20000-29999")


def test_service_exiting_at_once_fails_job(projects, developer):
    project = projects(EXITS)
    job = wait_for_job(act(logged_in(developer), project, "up"))

    assert job.state == Job.FAILED
    assert "service app exited with status 3" in job.error
    assert "app | database is missing" in job_text(job)


def test_never_healthy_times_out(projects, developer):
    project = projects(NEVER_HEALTHY)
    data = {"wait": "on", "wait_timeout": 4}
    job = wait_for_job(act(logged_in(developer), project, "up", data))

    assert job.state == Job.FAILED
    assert "compose up failed" in job.error
    assert "app" in job.error
    assert job.result == {}


def test_port_of_other_project_rejected(projects, developer):
    port = free_port()
    first = projects(SLEEPER + f'    ports: ["{port}:80"]\n')
    second = projects(SLEEPER + f'    ports: ["{port}:80"]\n')
    client = logged_in(developer)
    assert wait_for_job(act(client, first, "up")).state == Job.SUCCEEDED
    wait_for_containers(first.host, first.name, 1)

    job = wait_for_job(act(client, second, "up"))

    assert job.state == Job.FAILED
    assert f"host port {port} is already published" in job.error
    assert f"compose project {first.name}" in job.error
    assert not Container.objects.filter(compose_project=second.name).exists()


def test_failed_build_keeps_running_service(projects, developer):
    project = projects(SLEEPER)
    client = logged_in(developer)
    assert wait_for_job(act(client, project, "up")).state == Job.SUCCEEDED
    before = wait_for_containers(project.host, project.name, 1)[0]

    version = compose_projects.add_version(project, developer, BROKEN_BUILD)
    apply_url = reverse("compose-apply", args=[project.pk, version.pk])
    assert client.post(apply_url).status_code == 302
    job = wait_for_job(compose_projects.project_jobs(project).first(), timeout=180)

    assert job.state == Job.FAILED
    assert "second step fails" in job_text(job)
    after = Container.objects.get(host=project.host, docker_id=before.docker_id)
    assert after.state == "running"
    assert not Container.objects.filter(
        compose_project=project.name, compose_service="broken"
    ).exists()
    project.refresh_from_db()
    assert project.applied_version.number == 1


def test_stale_job_failed_then_retry_works(projects, developer):
    project = projects(SLEEPER)
    dead = subprocess.Popen(["true"])
    dead.wait()
    stale = Job.objects.create(
        kind="compose.up",
        title=f"Up {project.name}",
        state=Job.RUNNING,
        team=project.team,
        parameters={"project_id": project.pk, "args": ["up", "--detach"]},
        progress={"worker": f"{socket.gethostname()}:{dead.pid}"},
    )

    job = wait_for_job(act(logged_in(developer), project, "up"))

    stale.refresh_from_db()
    assert stale.state == Job.FAILED
    assert "stopped before it finished" in stale.error
    assert job.state == Job.SUCCEEDED, job.error


def test_running_job_blocks_second_action(projects, developer):
    project = projects(SLEEPER)
    Job.objects.create(
        kind="compose.up",
        title=f"Up {project.name}",
        state=Job.RUNNING,
        team=project.team,
        parameters={"project_id": project.pk},
        progress={"worker": "elsewhere:1", "heartbeat": time.time()},
    )
    client = logged_in(developer)
    response = client.post(reverse("compose-stop", args=[project.pk]), follow=True)

    assert "is still running" in response.content.decode()
    assert compose_projects.project_jobs(project).count() == 1


def compose_processes(name: str) -> list[int]:
    """Return the PIDs of compose processes that Pier's worker started for a project."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as handle:
                args = handle.read().split(b"\0")
        except OSError:
            continue
        if f"--project-name={name}".encode() in args and b"up" in args:
            found.append(int(entry))
    return found


def test_killed_compose_then_retry_works(projects, developer):
    project = projects(SLEEPER_HEALTH := SLOW_HEALTHY)
    client = logged_in(developer)
    job = act(client, project, "up", {"wait": "on", "wait_timeout": 60})
    deadline = time.monotonic() + 30
    while not (pids := compose_processes(project.name)):
        assert time.monotonic() < deadline, "compose did not start"
        time.sleep(0.1)
    time.sleep(1)
    os.killpg(os.getpgid(pids[0]), signal.SIGKILL)

    killed = wait_for_job(job)
    assert killed.state == Job.FAILED
    assert "killed by signal 9" in killed.error

    retry = wait_for_job(act(client, project, "up", {"wait": "on", "wait_timeout": 60}))
    assert retry.state == Job.SUCCEEDED, retry.error
    assert SLEEPER_HEALTH == project.latest_version.compose_file


def test_down_removes_only_project_objects(projects, developer, docker_api):
    name = unique("keep")
    volume = docker_api.create_volume(name)["Name"]
    network = docker_api.create_network(name)["Id"]
    container = docker_api.create_container(
        "busybox:latest", ["sleep", "1"], name=name
    )["Id"]
    try:
        project = projects(WITH_VOLUME)
        client = logged_in(developer)
        assert wait_for_job(act(client, project, "up")).state == Job.SUCCEEDED

        job = wait_for_job(
            act(client, project, "down", {"volumes": "on", "confirmed": "on"})
        )

        assert job.state == Job.SUCCEEDED, job.error
        assert docker_api.inspect_volume(volume)["Name"] == name
        assert docker_api.inspect_network(network)["Id"] == network
        assert docker_api.inspect_container(container)["Id"] == container
        volumes = [v["Name"] for v in docker_api.volumes()["Volumes"] or []]
        assert f"{project.name}_data" not in volumes
        networks = [n["Name"] for n in docker_api.networks()]
        assert f"{project.name}_inner" not in networks
    finally:
        docker_api.remove_container(container, force=True)
        docker_api.remove_network(network)
        docker_api.remove_volume(volume)


def test_outside_project_listed(stack, users, local_host, tmp_path, client):
    name = unique("outside")
    (tmp_path / "compose.yaml").write_text(SLEEPER)
    try:
        started = compose_by_hand(name, tmp_path, "up", "-d")
        assert started.returncode == 0, started.stderr
        wait_for_containers(local_host, name, 1)
        client.force_login(users.make(role=Profile.OPERATOR))

        body = client.get(reverse("compose-list")).content.decode()

        assert f'data-external-project="{name}"' in body
    finally:
        remove_project_objects(name, tmp_path)


def test_pier_project_in_compose_ls(projects, developer, tmp_path):
    project = projects(SLEEPER)
    assert wait_for_job(act(logged_in(developer), project, "up")).state == Job.SUCCEEDED

    listed = compose_by_hand(project.name, tmp_path, "ls", "--format", "json")
    names = [entry["Name"] for entry in json.loads(listed.stdout)]
    assert project.name in names
    shown = compose_by_hand(project.name, tmp_path, "ps", "--format", "json")
    assert f"{project.name}-app-1" in shown.stdout
