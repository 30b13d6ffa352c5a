"""Compose pages: checks before anything runs, and who may open each view."""

import pytest
from django.urls import reverse

from containers.models import (
    ComposeProject,
    Container,
    DockerHost,
    Job,
    Profile,
    Volume,
)
from tests.test_compose_projects_support import SLEEPER, make_project

pytestmark = pytest.mark.django_db

SYNTAX_ERROR = """\
services:
  app:
    image: busybox:latest
   command: sleep 1
"""
CYCLE = """\
services:
  a:
    image: busybox:latest
    depends_on: [b]
  b:
    image: busybox:latest
    depends_on: [a]
"""
PRIVILEGED = """\
services:
  app:
    image: busybox:latest
    privileged: true
"""
OUTSIDE_CONTEXT = """\
services:
  app:
    build: /etc
"""


@pytest.fixture
def host():
    return DockerHost.objects.create(
        name="compose-view-host", url="unix:///var/run/docker.sock"
    )


@pytest.fixture
def world(users, host):
    team_a, team_b = users.team(), users.team()
    dev_b = users.make(teams=[team_b])
    project = make_project("project-of-b", team_b, host, dev_b)
    job = Job.objects.create(
        kind="compose.up",
        title="Up project-of-b",
        team=team_b,
        parameters={"project_id": project.pk},
    )
    return {
        "dev_a": users.make(teams=[team_a]),
        "dev_b": dev_b,
        "team_b": team_b,
        "operator": users.make(role=Profile.OPERATOR),
        "project": project,
        "job": job,
    }


def create(client, host, team, text, name="new-project", **extra):
    data = {
        "name": name,
        "team": team.pk,
        "host": host.pk,
        "source_kind": "pasted",
        "compose_file": text,
        **extra,
    }
    return client.post(reverse("compose-create"), data)


def project_pages(project):
    return [
        reverse("compose-detail", args=[project.pk]),
        reverse("compose-services", args=[project.pk]),
        reverse("compose-history", args=[project.pk]),
        reverse("compose-edit", args=[project.pk]),
        reverse("compose-delete", args=[project.pk]),
    ]


def project_posts(project):
    version = project.latest_version
    names = ["up", "stop", "start", "restart", "kill", "down", "scale"]
    urls = [reverse(f"compose-{name}", args=[project.pk]) for name in names]
    urls.append(reverse("compose-restart-service", args=[project.pk]))
    urls.append(reverse("compose-apply", args=[project.pk, version.pk]))
    return urls


def test_create_stores_project(client, world, host):
    client.force_login(world["dev_b"])
    response = create(client, host, world["team_b"], SLEEPER, env_file="A=1\n")

    project = ComposeProject.objects.get(name="new-project")
    assert response.status_code == 302
    assert response.url == reverse("compose-detail", args=[project.pk])
    assert project.latest_version.env_file == "A=1\n"
    assert project.created_by == world["dev_b"]


def test_create_shows_syntax_error_line(client, world, host):
    client.force_login(world["dev_b"])
    response = create(client, host, world["team_b"], SYNTAX_ERROR)

    text = response.content.decode()
    assert response.status_code == 400
    assert "line 4" in text
    assert "compose.yaml" in text
    assert not ComposeProject.objects.filter(name="new-project").exists()


def test_create_shows_dependency_cycle(client, world, host):
    client.force_login(world["dev_b"])
    response = create(client, host, world["team_b"], CYCLE)

    text = response.content.decode()
    assert response.status_code == 400
    assert "dependency cycle" in text
    assert "depends_on" in text


def test_create_rejects_privileged_for_developer(client, world, host):
    client.force_login(world["dev_b"])
    response = create(client, host, world["team_b"], PRIVILEGED)

    text = response.content.decode()
    assert response.status_code == 400
    assert "privileged mode is not allowed" in text
    assert "service app" in text
    assert not ComposeProject.objects.filter(name="new-project").exists()


def test_create_allows_privileged_for_operator(client, world, host):
    client.force_login(world["operator"])
    response = create(client, host, world["team_b"], PRIVILEGED)

    assert response.status_code == 302
    assert ComposeProject.objects.filter(name="new-project").exists()


def test_create_rejects_build_context_outside(client, world, host):
    client.force_login(world["dev_b"])
    response = create(client, host, world["team_b"], OUTSIDE_CONTEXT)

    assert response.status_code == 400
    assert "build context /etc is outside" in response.content.decode()


@pytest.mark.parametrize(
    ("service", "message"),
    [
        (
            "    extends: {file: SECRET_DIR/compose.yaml, service: db}\n",
            "extends file SECRET_DIR/compose.yaml is outside",
        ),
        ("    env_file: SECRET_DIR/secret.env\n", "env_file SECRET_DIR/secret.env"),
        ("    env_file: ${HOME}/secret.env\n", "env_file ${HOME}/secret.env is"),
        (
            "    build: {context: ., dockerfile: SECRET_DIR/Dockerfile}\n",
            "Dockerfile SECRET_DIR/Dockerfile is outside",
        ),
        (
            "    build: {context: ., additional_contexts: {extra: SECRET_DIR}}\n",
            "build context extra SECRET_DIR is outside",
        ),
    ],
)
def test_create_rejects_files_read_from_outside(
    client, world, host, tmp_path, service, message
):
    (tmp_path / "compose.yaml").write_text(
        "services:\n  db:\n    image: busybox:latest\n"
        "    environment: {PASSWORD: hunter2}\n"
    )
    (tmp_path / "secret.env").write_text("PASSWORD=hunter2\n")
    text = "services:\n  app:\n    image: busybox:latest\n" + service
    client.force_login(world["dev_b"])
    response = create(
        client, host, world["team_b"], text.replace("SECRET_DIR", str(tmp_path))
    )

    body = response.content.decode()
    assert response.status_code == 400
    assert message.replace("SECRET_DIR", str(tmp_path)) in body
    assert "hunter2" not in body
    assert not ComposeProject.objects.filter(name="new-project").exists()


def test_create_allows_env_file_inside_the_project(client, world, host):
    text = SLEEPER + "    env_file: [.env]\n"
    client.force_login(world["dev_b"])
    response = create(client, host, world["team_b"], text, env_file="GREETING=hi\n")

    assert response.status_code == 302
    assert ComposeProject.objects.filter(name="new-project").exists()


def test_create_rejects_port_of_other_container(client, world, host):
    Container.objects.create(
        host=host,
        docker_id="d" * 64,
        name="other-web-1",
        state="running",
        compose_project="other",
        ports=[{"private": 80, "public": 20555, "type": "tcp"}],
    )
    text = SLEEPER + '    ports: ["20555:80"]\n'
    client.force_login(world["dev_b"])
    response = create(client, host, world["team_b"], text)

    body = response.content.decode()
    assert response.status_code == 400
    assert "host port 20555 is already published by container other-web-1" in body


def test_create_rejects_name_of_external_project(client, world, host):
    Container.objects.create(
        host=host,
        docker_id="e" * 64,
        name="ext-app-1",
        state="running",
        compose_project="ext",
    )
    client.force_login(world["dev_b"])
    response = create(client, host, world["team_b"], SLEEPER, name="ext")

    assert response.status_code == 400
    assert "already runs on host" in response.content.decode()


def test_create_rejects_other_team(client, world, host):
    client.force_login(world["dev_a"])
    response = create(client, host, world["team_b"], SLEEPER)

    assert response.status_code == 400
    assert not ComposeProject.objects.filter(name="new-project").exists()


def test_pages_hidden_from_other_team(client, world):
    client.force_login(world["dev_a"])
    for url in project_pages(world["project"]):
        assert client.get(url).status_code == 404, url


def test_posts_hidden_from_other_team(client, world):
    client.force_login(world["dev_a"])
    for url in project_posts(world["project"]):
        assert client.post(url).status_code == 404, url


def test_pages_open_to_own_team(client, world):
    client.force_login(world["dev_b"])
    for url in project_pages(world["project"]):
        assert client.get(url).status_code == 200, url


def test_pages_open_to_operator(client, world):
    client.force_login(world["operator"])
    for url in project_pages(world["project"]):
        assert client.get(url).status_code == 200, url


def test_actions_reject_get(client, world):
    client.force_login(world["dev_b"])
    for url in project_posts(world["project"]):
        assert client.get(url).status_code == 405, url


def test_list_rejects_post(client, world):
    client.force_login(world["dev_b"])
    assert client.post(reverse("compose-list")).status_code == 405
    assert (
        client.post(reverse("compose-services", args=[world["project"].pk])).status_code
        == 405
    )


def test_list_hides_other_team_projects(client, world):
    client.force_login(world["dev_a"])
    response = client.get(reverse("compose-list"))

    assert response.status_code == 200
    assert "project-of-b" not in response.content.decode()


def test_list_shows_external_to_operator(client, world, host):
    Container.objects.create(
        host=host,
        docker_id="f" * 64,
        name="outside-web-1",
        state="running",
        compose_project="outside",
    )
    client.force_login(world["operator"])
    body = client.get(reverse("compose-list")).content.decode()

    assert 'data-external-project="outside"' in body
    assert "project-of-b" in body


def test_list_hides_external_from_developer(client, world, host):
    Container.objects.create(
        host=host,
        docker_id="f" * 64,
        name="outside-web-1",
        state="running",
        compose_project="outside",
    )
    client.force_login(world["dev_b"])
    body = client.get(reverse("compose-list")).content.decode()

    assert "outside" not in body


def test_policy_page_forbidden_to_developer(client, world):
    client.force_login(world["dev_b"])
    assert client.get(reverse("compose-policy")).status_code == 403
    assert client.post(reverse("compose-policy")).status_code == 403


def test_policy_page_rejects_put(client, world):
    client.force_login(world["operator"])
    assert client.put(reverse("compose-policy")).status_code == 405


def test_policy_setting_applies_to_developer(client, world, host):
    client.force_login(world["operator"])
    response = client.post(
        reverse("compose-policy") + f"?host={host.pk}",
        {"allow_privileged": "on", "port_low": 20000, "port_high": 29999},
    )
    assert response.status_code == 302

    client.force_login(world["dev_b"])
    created = create(client, host, world["team_b"], PRIVILEGED)
    assert created.status_code == 302


def test_edit_previews_added_service(client, world):
    project = world["project"]
    client.force_login(world["dev_b"])
    text = SLEEPER + "  extra:\n    image: busybox:latest\n"
    response = client.post(
        reverse("compose-edit", args=[project.pk]), {"compose_file": text}
    )

    body = response.content.decode()
    assert response.status_code == 200
    assert 'data-plan="added">app, extra<' in body
    assert project.versions.count() == 2
    assert project.latest_version.author == world["dev_b"]


def test_edit_rejects_policy_violation(client, world):
    project = world["project"]
    client.force_login(world["dev_b"])
    response = client.post(
        reverse("compose-edit", args=[project.pk]), {"compose_file": PRIVILEGED}
    )

    assert response.status_code == 400
    assert "privileged mode is not allowed" in response.content.decode()
    assert project.versions.count() == 1


def test_delete_forget_needs_name(client, world):
    project = world["project"]
    client.force_login(world["dev_b"])
    url = reverse("compose-delete", args=[project.pk])
    wrong = client.post(url, {"confirm_name": "nope", "mode": "forget"})
    assert wrong.status_code == 400
    assert ComposeProject.objects.filter(pk=project.pk).exists()

    right = client.post(url, {"confirm_name": project.name, "mode": "forget"})
    assert right.status_code == 302
    assert not ComposeProject.objects.filter(pk=project.pk).exists()


def test_down_with_volumes_asks_first(client, world, host):
    Volume.objects.create(
        host=host,
        name="project-of-b_data",
        labels={"com.docker.compose.project": "project-of-b"},
    )
    Volume.objects.create(host=host, name="unrelated_data", labels={})
    client.force_login(world["dev_b"])
    url = reverse("compose-down", args=[world["project"].pk])
    jobs_before = Job.objects.count()

    response = client.post(url, {"volumes": "on", "rmi": "local"})

    body = response.content.decode()
    assert response.status_code == 200
    assert "project-of-b_data" in body
    assert "unrelated_data" not in body
    assert 'name="confirmed" value="on"' in body
    assert 'name="rmi" value="local"' in body
    assert Job.objects.count() == jobs_before
