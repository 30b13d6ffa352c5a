"""Registry pages: stored passwords stay secret, Test login reports the outcome."""

import logging

import pytest
from django.db import connection
from django.urls import reverse

from containers.models import DockerHost, Profile, Registry
from tests.conftest import unique
from tests.registry import (  # noqa: F401
    close_database_connection,
    running_registry,
    store_registry,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def registry_server(tmp_path_factory):
    yield from running_registry(tmp_path_factory.mktemp("registry"))


@pytest.fixture
def operator_client(client, users):
    client.force_login(users.make(role=Profile.OPERATOR))
    return client


def stored_password(registry: Registry) -> str:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT password FROM containers_registry WHERE id = %s", [registry.pk]
        )
        return cursor.fetchone()[0]


def add_form(**values) -> dict:
    form = {
        "name": unique("registry"),
        "url": "127.0.0.1:5999",
        "username": "pier",
        "password": "first-secret",
    }
    form.update(values)
    return form


def test_add_stores_password_encrypted(operator_client):
    form = add_form()

    response = operator_client.post(reverse("registry-add"), form)

    assert response.status_code == 302
    registry = Registry.objects.get(name=form["name"])
    assert registry.password == "first-secret"
    assert "first-secret" not in stored_password(registry)
    assert stored_password(registry) != ""


def test_pages_never_show_password(operator_client):
    form = add_form()
    operator_client.post(reverse("registry-add"), form)
    registry = Registry.objects.get(name=form["name"])

    listing = operator_client.get(reverse("registry-list")).content.decode()
    editing = operator_client.get(reverse("registry-edit", args=[registry.pk]))

    assert form["name"] in listing
    assert "first-secret" not in listing
    assert "first-secret" not in editing.content.decode()


def test_empty_password_keeps_stored(operator_client):
    form = add_form()
    operator_client.post(reverse("registry-add"), form)
    registry = Registry.objects.get(name=form["name"])
    url = reverse("registry-edit", args=[registry.pk])

    response = operator_client.post(url, {**form, "password": "", "username": "bob"})

    assert response.status_code == 302
    registry.refresh_from_db()
    assert registry.username == "bob"
    assert registry.password == "first-secret"


def test_clear_password_removes_it(operator_client):
    form = add_form()
    operator_client.post(reverse("registry-add"), form)
    registry = Registry.objects.get(name=form["name"])
    url = reverse("registry-edit", args=[registry.pk])

    operator_client.post(url, {**form, "password": "", "clear_password": "on"})

    registry.refresh_from_db()
    assert registry.password == ""


@pytest.mark.parametrize("url", ["https://registry.example.com", "host/path", "a b"])
def test_invalid_host_is_rejected(operator_client, url):
    response = operator_client.post(reverse("registry-add"), add_form(url=url))

    assert response.status_code == 400
    assert "is not host[:port]" in response.content.decode()


def test_delete_after_confirmation(operator_client):
    form = add_form()
    operator_client.post(reverse("registry-add"), form)
    registry = Registry.objects.get(name=form["name"])
    url = reverse("registry-delete", args=[registry.pk])

    confirm = operator_client.get(url)
    response = operator_client.post(url)

    assert f"Delete registry {form['name']}" in confirm.content.decode()
    assert response.status_code == 302
    assert not Registry.objects.filter(pk=registry.pk).exists()


@pytest.fixture
def engine_host() -> DockerHost:
    return DockerHost.objects.create(
        name=unique("host"), url="unix:///var/run/docker.sock"
    )


def test_login_check_succeeds(operator_client, registry_server, engine_host):
    registry = store_registry(registry_server, unique("registry"))
    url = reverse("registry-test", args=[registry.pk])

    response = operator_client.post(
        url, {"host": engine_host.pk}, headers={"HX-Request": "true"}
    )

    assert response.status_code == 200
    assert "Login Succeeded" in response.content.decode()
    registry.refresh_from_db()
    assert registry.last_check_ok is True


def test_login_check_reports_failure(
    operator_client, registry_server, engine_host, caplog
):
    registry = store_registry(registry_server, unique("registry"), "wrong-password")
    url = reverse("registry-test", args=[registry.pk])

    with caplog.at_level(logging.DEBUG):
        response = operator_client.post(url, {"host": engine_host.pk}, follow=True)

    page = response.content.decode()
    assert "Login failed" in page
    assert "401 Unauthorized" in page
    assert "wrong-password" not in page
    assert "wrong-password" not in caplog.text
    registry.refresh_from_db()
    assert registry.last_check_ok is False


def test_duplicate_host_is_rejected(operator_client):
    operator_client.post(reverse("registry-add"), add_form())

    response = operator_client.post(reverse("registry-add"), add_form())

    assert response.status_code == 400
    assert "already has the host 127.0.0.1:5999" in response.content.decode()
