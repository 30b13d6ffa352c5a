"""Helpers for compose project tests: make projects, run actions, clean up."""

import subprocess
import time

from django.test import Client
from django.urls import reverse

from containers.compose import compose_binary
from containers.models import ComposeProject, Container, Job
from containers.services import compose_projects

SLEEPER = """\
services:
  app:
    image: busybox:latest
    command: ["sleep", "3600"]
    stop_signal: SIGKILL
"""


def make_project(name, team, host, user, text=SLEEPER, env="") -> ComposeProject:
    return compose_projects.create_project(
        name=name, team=team, host=host, user=user, compose_file=text, env_file=env
    )


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def act(client: Client, project: ComposeProject, action: str, data=None) -> Job:
    """Post an action from the project page; return the job it queued."""
    before = set(compose_projects.project_jobs(project).values_list("pk", flat=True))
    response = client.post(reverse(f"compose-{action}", args=[project.pk]), data or {})
    assert response.status_code == 302, response.content[:500]
    jobs = compose_projects.project_jobs(project).exclude(pk__in=before)
    assert jobs.exists(), "no job was queued"
    return jobs.get()


def wait_for_job(job: Job, timeout: float = 120) -> Job:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job.refresh_from_db()
        if job.is_finished:
            return job
        time.sleep(0.2)
    raise AssertionError(f"job {job.pk} ({job.title}) did not finish: {job.state}")


def job_text(job: Job) -> str:
    return "\n".join(job.lines.values_list("text", flat=True))


def wait_for_containers(host, name: str, count: int, timeout: float = 15) -> list:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = list(Container.objects.filter(host=host, compose_project=name))
        if len(found) == count:
            return found
        time.sleep(0.2)
    raise AssertionError(f"the mirror did not show {count} containers of {name}")


def compose_by_hand(name: str, folder, *args: str, timeout: float = 300):
    """Run the compose binary outside Pier, as an administrator would."""
    return subprocess.run(
        [*compose_binary(), "--project-name", name, *args],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def remove_project_objects(name: str, folder) -> None:
    """Remove the containers, networks, volumes and images of one test project."""
    compose_by_hand(name, folder, "down", "--volumes", "--rmi", "local", "-t", "0")
