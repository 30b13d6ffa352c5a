"""The Publish form rejects bad input with a message beside the field."""

import socket

import pytest
from django.urls import reverse

from containers.models import App, DockerHost

pytestmark = pytest.mark.django_db


@pytest.fixture
def developer(users):
    return users.make(teams=[users.team()])


def bind_in_app_range(blocker: socket.socket) -> int:
    """Bind the socket to a free port from the app port range; return the port."""
    for port in range(29999, 20000, -1):
        try:
            blocker.bind(("0.0.0.0", port))
        except OSError:
            continue
        blocker.listen()
        return port
    raise AssertionError("no free port in the app port range")


def form_data(developer, **overrides):
    data = {
        "name": "form-app",
        "team": developer.teams.first().pk,
        "source_kind": "git",
        "source_url": "https://127.0.0.1:9/app.git",
        "branch": "main",
        "container_port": 8080,
        "host": DockerHost.objects.get(name="local").pk,
    }
    data.update(overrides)
    return data


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ext::sh -c touch% /tmp/pwned", "ext::"),
        ("file:///etc", "local repositories are not enabled"),
        ("/etc", "local repositories are not enabled"),
        ("--upload-pack=touch /tmp/x", "Git would read as an option"),
        ("", "Enter the Git repository URL."),
    ],
)
def test_bad_git_url_rejected(client, developer, url, message):
    client.force_login(developer)

    response = client.post(reverse("publish"), form_data(developer, source_url=url))

    assert response.status_code == 400
    assert message.encode() in response.content
    assert not App.objects.filter(name="form-app").exists()


def test_taken_host_port_rejected(client, developer):
    client.force_login(developer)
    with socket.socket() as blocker:
        port = bind_in_app_range(blocker)
        response = client.post(reverse("publish"), form_data(developer, host_port=port))

    assert response.status_code == 400
    assert f"Host port {port} is already in use".encode() in response.content
    assert not App.objects.filter(name="form-app").exists()


def test_bad_environment_line_named(client, developer):
    client.force_login(developer)

    response = client.post(
        reverse("publish"), form_data(developer, environment="GOOD=1\nnot a pair\n")
    )

    assert response.status_code == 400
    assert b"Line 2" in response.content


def test_wrong_archive_type_rejected(client, developer, tmp_path):
    client.force_login(developer)
    upload = tmp_path / "app.rar"
    upload.write_bytes(b"not an archive")
    with upload.open("rb") as handle:
        response = client.post(
            reverse("publish"),
            form_data(developer, source_kind="archive", source_url="", archive=handle),
        )

    assert response.status_code == 400
    assert b"is not a .tar.gz" in response.content


def test_invalid_app_name_rejected(client, developer):
    client.force_login(developer)

    response = client.post(reverse("publish"), form_data(developer, name="Bad Name!"))

    assert response.status_code == 400
    assert b"lowercase letters" in response.content


def test_valid_form_creates_app_and_job(client, developer):
    client.force_login(developer)

    response = client.post(reverse("publish"), form_data(developer))

    app = App.objects.get(name="form-app")
    assert response.status_code == 302
    assert response["Location"] == reverse("app-detail", args=[app.pk])
    assert app.host_port is not None
    assert app.jobs.get().kind == "publish"


def test_developer_port_outside_range_rejected(client, developer, settings):
    settings.PIER_APP_PORT_RANGE = (20000, 29999)
    client.force_login(developer)

    response = client.post(reverse("publish"), form_data(developer, host_port=80))

    assert response.status_code == 400
    assert b"Choose a host port from 20000 to 29999" in response.content
    assert not App.objects.filter(name="form-app").exists()


def test_bad_branch_rejected_before_saving(client, developer):
    client.force_login(developer)

    response = client.post(
        reverse("publish"), form_data(developer, branch="--upload-pack=touch")
    )

    assert response.status_code == 400
    assert not App.objects.filter(name="form-app").exists()


def test_second_publish_waits_for_first(client, developer):
    from containers.services.publish import AppBusy, start_release

    client.force_login(developer)
    client.post(reverse("publish"), form_data(developer))
    app = App.objects.get(name="form-app")

    with pytest.raises(AppBusy, match="still queued"):
        start_release(app, developer)
    response = client.post(reverse("app-redeploy", args=[app.pk]), {"branch": "main"})

    assert response.status_code == 302
    assert app.jobs.count() == 1
    assert app.releases.count() == 1


def test_redeploy_changes_repository_url(client, developer):
    client.force_login(developer)
    client.post(reverse("publish"), form_data(developer))
    app = App.objects.get(name="form-app")
    app.jobs.update(state="failed")

    response = client.post(
        reverse("app-redeploy", args=[app.pk]),
        {"source_url": "https://127.0.0.1:9/fixed.git", "branch": "main"},
    )

    app.refresh_from_db()
    assert response.status_code == 302
    assert app.source_url == "https://127.0.0.1:9/fixed.git"
    assert app.releases.count() == 2


def test_redeploy_rejects_bad_repository_url(client, developer):
    client.force_login(developer)
    client.post(reverse("publish"), form_data(developer))
    app = App.objects.get(name="form-app")

    response = client.post(
        reverse("app-redeploy", args=[app.pk]), {"source_url": "ext::sh -c id"}
    )

    app.refresh_from_db()
    assert response.status_code == 400
    assert app.source_url == "https://127.0.0.1:9/app.git"


def test_invalid_image_rejected_before_saving(client, developer):
    client.force_login(developer)

    response = client.post(
        reverse("publish"),
        form_data(developer, source_kind="image", image="NOT an image!!"),
    )

    assert response.status_code == 400
    assert "is not a valid image reference" in response.content.decode()
    assert not App.objects.filter(name="form-app").exists()
