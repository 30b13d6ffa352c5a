"""Host pages: who may open them, which methods they take, remove and test."""

import socket

import pytest
from django.urls import NoReverseMatch, reverse

from containers.models import (
    App,
    ComposeProject,
    Container,
    DockerHost,
    Job,
    Profile,
)
from tests.remote_engine import Authority

pytestmark = pytest.mark.django_db


@pytest.fixture
def host() -> DockerHost:
    return DockerHost.objects.create(
        name="edge", url="tcp://192.0.2.10:2376", tls_ca="ca", status="online"
    )


@pytest.fixture
def operator(users, client):
    user = users.make(role=Profile.OPERATOR)
    client.force_login(user)
    return user


@pytest.fixture
def developer(users, client):
    user = users.make(role=Profile.DEVELOPER, teams=[users.team()])
    client.force_login(user)
    return user


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def tls_form(address: str, **fields) -> dict:
    authority = Authority.create("view-ca")
    cert, key = authority.issue("pier")
    data = {
        "name": "new-host",
        "kind": "tls",
        "address": address,
        "tls_ca": authority.pem,
        "tls_cert": cert,
        "tls_key": key,
    }
    data.update(fields)
    return data


def page_urls(host_id: int) -> list[tuple[str, str]]:
    return [
        ("get", reverse("host-list")),
        ("get", reverse("host-add")),
        ("post", reverse("host-add")),
        ("post", reverse("host-test-new")),
        ("get", reverse("host-detail", args=[host_id])),
        ("get", reverse("host-edit", args=[host_id])),
        ("post", reverse("host-edit", args=[host_id])),
        ("post", reverse("host-test", args=[host_id])),
        ("post", reverse("host-remove", args=[host_id])),
    ]


def test_developer_gets_403_everywhere(client, developer, host):
    for method, url in page_urls(host.pk):
        response = getattr(client, method)(url, {"confirm_name": host.name})
        assert response.status_code == 403, (method, url)
    assert DockerHost.objects.filter(pk=host.pk).exists()


def test_anonymous_sent_to_login(client, host):
    for method, url in page_urls(host.pk):
        response = getattr(client, method)(url)
        assert response.status_code == 302, (method, url)
        assert response["Location"].startswith("/login/"), (method, url)


def test_wrong_method_gets_405(client, operator, host):
    cases = [
        ("post", reverse("host-list")),
        ("post", reverse("host-detail", args=[host.pk])),
        ("get", reverse("host-test-new")),
        ("get", reverse("host-test", args=[host.pk])),
        ("get", reverse("host-remove", args=[host.pk])),
        ("put", reverse("host-add")),
        ("delete", reverse("host-edit", args=[host.pk])),
    ]
    for method, url in cases:
        assert getattr(client, method)(url).status_code == 405, (method, url)


def test_list_shows_status_and_version(client, operator, host):
    DockerHost.objects.filter(pk=host.pk).update(
        engine_version="20.10.24", counts={"containers": 3, "running": 2}
    )
    response = client.get(reverse("host-list"))
    body = response.content.decode()
    assert response.status_code == 200
    assert f'data-host-id="{host.pk}"' in body
    assert ">online</span>" in body
    assert "20.10.24" in body
    assert "2 running of 3" in body


def test_list_escapes_host_name(client, operator):
    DockerHost.objects.create(name="<b>bold</b>", url="unix:///tmp/x.sock")
    body = client.get(reverse("host-list")).content.decode()
    assert "&lt;b&gt;bold&lt;/b&gt;" in body
    assert "<b>bold</b>" not in body


def test_detail_links_host_pages(client, operator, host):
    body = client.get(reverse("host-detail", args=[host.pk])).content.decode()
    assert f"{reverse('image-list')}?host={host.pk}" in body
    for name in ("container-list", "image-list"):
        try:
            url = reverse(name)
        except NoReverseMatch:
            continue
        assert f'href="{url}?host={host.pk}"' in body, name


def test_remove_refused_while_app_uses_it(client, operator, users, host):
    App.objects.create(name="shop", team=users.team(), host=host)
    response = client.post(
        reverse("host-remove", args=[host.pk]), {"confirm_name": host.name}, follow=True
    )
    assert "in use by apps shop" in response.content.decode()
    assert DockerHost.objects.filter(pk=host.pk).exists()


def test_remove_refused_while_compose_uses_it(client, operator, host):
    Container.objects.create(
        host=host, docker_id="c1", name="db-1", state="running", compose_project="db"
    )
    response = client.post(
        reverse("host-remove", args=[host.pk]), {"confirm_name": host.name}, follow=True
    )
    assert "compose projects db" in response.content.decode()
    assert DockerHost.objects.filter(pk=host.pk).exists()


def test_remove_refused_for_pier_compose_project(client, operator, users, host):
    ComposeProject.objects.create(name="blog", team=users.team(), host=host)
    response = client.post(
        reverse("host-remove", args=[host.pk]), {"confirm_name": host.name}, follow=True
    )
    assert "compose projects blog" in response.content.decode()
    assert DockerHost.objects.filter(pk=host.pk).exists()


def test_remove_needs_typed_name(client, operator, host):
    response = client.post(
        reverse("host-remove", args=[host.pk]), {"confirm_name": "x"}, follow=True
    )
    assert "Type edge to confirm" in response.content.decode()
    assert DockerHost.objects.filter(pk=host.pk).exists()


def test_remove_keeps_jobs(client, operator, host):
    Container.objects.create(host=host, docker_id="c2", name="one", state="exited")
    job = Job.objects.create(kind="pull", title="Pull", host=host)
    response = client.post(
        reverse("host-remove", args=[host.pk]), {"confirm_name": host.name}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("host-list")
    assert not DockerHost.objects.filter(pk=host.pk).exists()
    assert not Container.objects.filter(docker_id="c2").exists()
    job.refresh_from_db()
    assert job.host_id is None


def test_test_fragment_reports_refused(client, operator):
    port = closed_port()
    response = client.post(
        reverse("host-test-new"),
        tls_form(f"127.0.0.1:{port}"),
        headers={"HX-Request": "true"},
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in body
    assert f"Connection refused by 127.0.0.1:{port}" in body
    assert not DockerHost.objects.filter(name="new-host").exists()


def test_test_fragment_lists_form_errors(client, operator):
    response = client.post(
        reverse("host-test-new"),
        {"name": "x", "kind": "ssh", "address": "host-without-user"},
        headers={"HX-Request": "true"},
    )
    body = response.content.decode()
    assert "Fix these fields first" in body
    assert "names no user" in body


def test_test_without_htmx_renders_form(client, operator):
    port = closed_port()
    response = client.post(reverse("host-test-new"), tls_form(f"127.0.0.1:{port}"))
    body = response.content.decode()
    assert "<form" in body
    assert "Connection refused" in body
