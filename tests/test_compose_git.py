"""Compose projects from Git: up from the branch, and a preview of its head."""

import pytest
from django.urls import reverse

from containers.models import Job
from containers.services import compose_projects
from tests.conftest import unique
from tests.gitserver import add_commit
from tests.test_compose_projects_support import (
    SLEEPER,
    act,
    logged_in,
    remove_project_objects,
    wait_for_containers,
    wait_for_job,
)

pytestmark = pytest.mark.slow

SECOND_SERVICE = SLEEPER + (
    "  extra:\n"
    "    image: busybox:latest\n"
    '    command: ["sleep", "3600"]\n'
    "    stop_signal: SIGKILL\n"
)


@pytest.fixture
def developer(users):
    return users.make(teams=[users.team()])


@pytest.fixture
def git_project(stack, developer, local_host, git_server, tmp_path):
    name = unique("cg")
    url = git_server.publish_files(name, {"deploy/compose.yaml": SLEEPER})
    project = compose_projects.create_project(
        name=name,
        team=developer.teams.first(),
        host=local_host,
        user=developer,
        git_url=url,
        git_branch="main",
        git_path="deploy/compose.yaml",
    )
    yield project
    remove_project_objects(name, tmp_path)


def preview(client, project):
    return client.get(reverse("compose-git-preview", args=[project.pk]))


def plan_row(body: str, change: str) -> str:
    start = body.index(f'data-plan="{change}">') + len(f'data-plan="{change}">')
    return body[start : body.index("</td>", start)]


def test_git_project_up_runs_branch_head(git_project, developer):
    job = wait_for_job(act(logged_in(developer), git_project, "up"))

    assert job.state == Job.SUCCEEDED, job.error
    containers = wait_for_containers(git_project.host, git_project.name, 1)
    assert containers[0].compose_service == "app"


def test_git_preview_names_commit_and_changes(git_project, developer, git_server):
    client = logged_in(developer)
    assert wait_for_job(act(client, git_project, "up")).state == Job.SUCCEEDED
    commit = add_commit(
        git_server.repo_path(git_project.name),
        {"deploy/compose.yaml": SECOND_SERVICE},
    )

    response = preview(client, git_project)

    body = response.content.decode()
    assert response.status_code == 200
    assert commit[:12] in body
    assert plan_row(body, "added") == "extra"
    assert plan_row(body, "unchanged") == "app"
    assert plan_row(body, "removed") == "none"
    assert len(wait_for_containers(git_project.host, git_project.name, 1)) == 1


def test_git_preview_shows_problems_of_head(git_project, developer, git_server):
    add_commit(
        git_server.repo_path(git_project.name),
        {"deploy/compose.yaml": SLEEPER + "    env_file: ../../outside.env\n"},
    )

    response = preview(logged_in(developer), git_project)

    body = response.content.decode()
    assert response.status_code == 400
    assert "env_file ../../outside.env is outside the project" in body


def test_git_preview_hidden_from_other_team(git_project, users):
    stranger = users.make(teams=[users.team()])

    assert preview(logged_in(stranger), git_project).status_code == 404


def test_pasted_project_has_no_git_preview(stack, developer, local_host, tmp_path):
    project = compose_projects.create_project(
        name=unique("cp"),
        team=developer.teams.first(),
        host=local_host,
        user=developer,
        compose_file=SLEEPER,
    )

    assert preview(logged_in(developer), project).status_code == 404
