"""Who may see and act on apps, jobs and logs: views checked for every role."""

import pytest
from django.urls import reverse

from containers.models import App, Container, DockerHost, Job, Profile, Release

pytestmark = pytest.mark.django_db


@pytest.fixture
def host():
    return DockerHost.objects.create(name="view-test-host", url="tcp://127.0.0.1:1")


@pytest.fixture
def world(users, host):
    """Two teams, each with a developer and an app; one operator."""
    team_a, team_b = users.team(), users.team()
    app_b = App.objects.create(name="app-of-b", team=team_b, host=host, host_port=20999)
    release = Release.objects.create(app=app_b, version=1, status=Release.LIVE)
    container = Container.objects.create(
        host=host, docker_id="c" * 64, name="app-of-b-v1", state="running", app=app_b
    )
    job = Job.objects.create(
        kind="publish", title="Publish app-of-b", team=team_b, app=app_b
    )
    return {
        "dev_a": users.make(teams=[team_a]),
        "dev_b": users.make(teams=[team_b]),
        "operator": users.make(role=Profile.OPERATOR),
        "app_b": app_b,
        "release": release,
        "container": container,
        "job": job,
    }


def pages(world):
    app = world["app_b"]
    return [
        reverse("app-detail", args=[app.pk]),
        reverse("app-status", args=[app.pk]),
        reverse("job-detail", args=[world["job"].pk]),
        reverse("container-logs", args=[world["container"].pk]),
    ]


def posts(world):
    app = world["app_b"]
    return [
        reverse("app-action", args=[app.pk, "restart"]),
        reverse("app-redeploy", args=[app.pk]),
        reverse("app-remove", args=[app.pk]),
        reverse("app-rollback", args=[app.pk, world["release"].pk]),
    ]


def test_pages_hidden_from_other_team(client, world):
    client.force_login(world["dev_a"])
    for url in pages(world):
        assert client.get(url).status_code == 404, url


def test_posts_hidden_from_other_team(client, world):
    client.force_login(world["dev_a"])
    for url in posts(world):
        assert client.post(url).status_code == 404, url


def test_pages_open_to_own_team(client, world):
    client.force_login(world["dev_b"])
    for url in pages(world)[:3]:
        assert client.get(url).status_code == 200, url


def test_pages_open_to_operator(client, world):
    client.force_login(world["operator"])
    for url in pages(world)[:3]:
        assert client.get(url).status_code == 200, url


def test_actions_reject_get(client, world):
    client.force_login(world["dev_b"])
    for url in posts(world):
        assert client.get(url).status_code == 405, url


def test_pages_require_login(client, world):
    for url in pages(world) + [reverse("app-list"), reverse("publish")]:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/login/"), url


def test_app_list_shows_own_team_only(client, world):
    client.force_login(world["dev_a"])
    assert b"app-of-b" not in client.get(reverse("app-list")).content
    client.force_login(world["operator"])
    assert b"app-of-b" in client.get(reverse("app-list")).content


def test_job_list_shows_own_team_only(client, world):
    client.force_login(world["dev_a"])
    assert b"Publish app-of-b" not in client.get(reverse("job-list")).content
    client.force_login(world["dev_b"])
    assert b"Publish app-of-b" in client.get(reverse("job-list")).content


def test_publish_form_offers_own_teams(client, world):
    client.force_login(world["dev_a"])
    team_b = world["app_b"].team
    response = client.post(
        reverse("publish"),
        {
            "name": "sneaky",
            "team": team_b.pk,
            "source_kind": "image",
            "image": "busybox:latest",
            "container_port": 80,
            "host": world["app_b"].host_id,
        },
    )
    assert response.status_code == 400
    assert b"Select a valid choice" in response.content
    assert not App.objects.filter(name="sneaky").exists()
