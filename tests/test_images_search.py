"""The pull form, and search in registries and through the engine."""

import time

import pytest
from django.urls import reverse

from containers.models import DockerHost, Job, Profile, Registry
from tests.conftest import unique
from tests.registry import (  # noqa: F401
    close_database_connection,
    running_registry,
    store_registry,
)
from tests.stack import free_tcp_port


@pytest.fixture
def operator_client(db, client, users):
    client.force_login(users.make(role=Profile.OPERATOR))
    return client


@pytest.fixture
def engine_host(db) -> DockerHost:
    return DockerHost.objects.create(
        name=unique("host"), url="unix:///var/run/docker.sock"
    )


@pytest.fixture(scope="module")
def registry_server(tmp_path_factory):
    yield from running_registry(tmp_path_factory.mktemp("registry"))


def test_pull_form_explains_bad_reference(operator_client, engine_host):
    response = operator_client.post(
        reverse("image-pull"), {"reference": "Not A Reference", "host": engine_host.pk}
    )

    assert response.status_code == 400
    assert "is not a valid image reference" in response.content.decode()
    assert not Job.objects.exists()


def test_pull_form_prefixes_registry(operator_client, engine_host, registry_server):
    registry = store_registry(registry_server, unique("registry"))

    response = operator_client.post(
        reverse("image-pull"),
        {"reference": "team/app:3", "registry": registry.pk, "host": engine_host.pk},
    )

    assert response.status_code == 302
    job = Job.objects.get(kind="image-pull")
    assert job.parameters["reference"] == f"{registry_server.url}/team/app:3"


def test_pull_form_rejects_other_registry(
    operator_client, engine_host, registry_server
):
    registry = store_registry(registry_server, unique("registry"))

    response = operator_client.post(
        reverse("image-pull"),
        {
            "reference": "other.example.com/app:1",
            "registry": registry.pk,
            "host": engine_host.pk,
        },
    )

    assert response.status_code == 400
    assert "names registry other.example.com" in response.content.decode()


def test_catalog_search_with_wrong_password(
    operator_client, engine_host, registry_server
):
    registry = store_registry(registry_server, unique("registry"), "wrong-password")

    response = operator_client.get(
        reverse("image-search"),
        {"source": f"registry-{registry.pk}", "term": "x", "host": engine_host.pk},
    )

    page = response.content.decode()
    assert "Registry login failed" in page
    assert "wrong-password" not in page


def test_catalog_search_of_closed_port(operator_client, engine_host, db):
    port = free_tcp_port()
    registry = Registry.objects.create(
        name=unique("registry"), url=f"127.0.0.1:{port}", insecure=True
    )

    response = operator_client.get(
        reverse("image-search"),
        {"source": f"registry-{registry.pk}", "term": "", "host": engine_host.pk},
    )

    assert "is not reachable" in response.content.decode()


def test_engine_search_fails_fast(operator_client, engine_host):
    # A term that starts with a registry host makes the engine search that
    # registry, so this exercises the engine path without leaving 127.0.0.1.
    term = f"127.0.0.1:{free_tcp_port()}/busybox"
    started = time.monotonic()

    response = operator_client.get(
        reverse("image-search"), {"source": "hub", "term": term, "host": engine_host.pk}
    )

    assert time.monotonic() - started < 15
    page = response.content.decode()
    assert f"Docker Hub search through host {engine_host.name} failed" in page
    assert "connection refused" in page


def test_hub_search_needs_term(operator_client, engine_host):
    response = operator_client.get(
        reverse("image-search"), {"source": "hub", "term": "", "host": engine_host.pk}
    )

    assert response.status_code == 400
    assert "Enter a term to search Docker Hub." in response.content.decode()
