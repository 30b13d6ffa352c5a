"""System page: input parsing, disk usage sums, roles, methods and the pages."""

import pytest
from django.test import Client
from django.urls import reverse

from containers.models import DockerHost
from containers.services.system import (
    InvalidInput,
    PruneOptions,
    clean_label_selector,
    info_sections,
    label_matches,
    parse_key_values,
    summarize_usage,
)
from tests.conftest import unique

USAGE = {
    "LayersSize": 1000,
    "Images": [
        {"Id": "sha256:a", "Containers": 1, "Size": 600, "SharedSize": 100},
        {"Id": "sha256:b", "Containers": 0, "Size": 300, "SharedSize": 100},
    ],
    "Containers": [
        {"Id": "c1", "State": "running", "SizeRw": 10},
        {"Id": "c2", "State": "exited", "SizeRw": 20},
        {"Id": "c3", "State": "created"},
    ],
    "Volumes": [
        {"Name": "v1", "UsageData": {"Size": 50, "RefCount": 1}},
        {"Name": "v2", "UsageData": {"Size": 70, "RefCount": 0}},
        {"Name": "v3", "UsageData": {"Size": -1, "RefCount": 0}},
    ],
    "BuildCache": [
        {"ID": "b1", "InUse": True, "Size": 5},
        {"ID": "b2", "InUse": False, "Size": 7},
    ],
}


def test_usage_images_reclaimable():
    images = summarize_usage(USAGE)["images"]

    assert images.total == 2
    assert images.active == 1
    assert images.size == 1000
    assert images.reclaimable == 500


def test_usage_containers_stopped_reclaimable():
    containers = summarize_usage(USAGE)["containers"]

    assert containers.total == 3
    assert containers.active == 1
    assert containers.size == 30
    assert containers.reclaimable == 20


def test_usage_volumes_skip_unmeasured():
    volumes = summarize_usage(USAGE)["volumes"]

    assert volumes.total == 3
    assert volumes.active == 1
    assert volumes.size == 120
    assert volumes.reclaimable == 70


def test_usage_build_cache_idle():
    cache = summarize_usage(USAGE)["build_cache"]

    assert cache.active == 1
    assert cache.reclaimable == 7


def test_usage_empty_document():
    usage = summarize_usage({"Images": None, "Volumes": None})

    assert [kind.total for kind in usage.values()] == [0, 0, 0, 0]


def test_parse_key_values_reads_lines():
    text = "# comment\n\ncom.example.a = 1\nb=x=y\n"

    assert parse_key_values(text, "Label") == {"com.example.a": "1", "b": "x=y"}


@pytest.mark.parametrize(
    ("text", "message"),
    [("novalue", "Label line 1: 'novalue' is not KEY=value."), ("a b=1", "a b")],
)
def test_parse_key_values_rejects(text, message):
    with pytest.raises(InvalidInput) as raised:
        parse_key_values(text, "Label")

    assert message in str(raised.value)


@pytest.mark.parametrize("text", ["pier.test", "pier.test=1", " a=b "])
def test_label_selector_accepts(text):
    assert clean_label_selector(text) == text.strip()


@pytest.mark.parametrize("text", ["a b", "=x", "-a", "a=b c"])
def test_label_selector_rejects(text):
    with pytest.raises(InvalidInput):
        clean_label_selector(text)


@pytest.mark.parametrize(
    ("labels", "selector", "expected"),
    [
        ({"a": "1"}, "", True),
        ({"a": "1"}, "a", True),
        ({"a": "1"}, "a=1", True),
        ({"a": "1"}, "a=2", False),
        ({"a": ""}, "a=", True),
        (None, "a", False),
    ],
)
def test_label_matches_like_docker(labels, selector, expected):
    assert label_matches(labels, selector) is expected


def test_prune_options_need_a_kind():
    with pytest.raises(InvalidInput) as raised:
        PruneOptions().check()

    assert "at least one kind" in str(raised.value)


def test_prune_options_reject_cache_with_label():
    with pytest.raises(InvalidInput) as raised:
        PruneOptions(build_cache=True, label="a=b").check()

    assert "Build cache entries carry no labels" in str(raised.value)


def test_info_sections_skip_missing_values():
    sections = info_sections({"Name": "box", "NCPU": 2}, {"Version": "20.10.24"})

    engine, host = sections[0], sections[1]
    assert engine["rows"] == [("Version", "20.10.24")]
    assert host["rows"] == [("Name", "box"), ("CPUs", 2)]


@pytest.fixture
def host(db) -> DockerHost:
    return DockerHost.objects.create(
        name=unique("system-host"), url="unix:///var/run/docker.sock"
    )


@pytest.fixture
def operator(db, users) -> Client:
    client = Client()
    client.force_login(users.make(role="operator"))
    return client


VIEWS = [
    ("get", "system-info"),
    ("get", "system-prune-preview"),
    ("post", "system-prune"),
]


@pytest.mark.parametrize(("method", "name"), VIEWS)
def test_views_reject_developer(users, host, method, name):
    client = Client()
    client.force_login(users.make(teams=[users.team()]))

    response = getattr(client, method)(reverse(name), {"host": host.pk})

    assert response.status_code == 403


@pytest.mark.parametrize(
    ("method", "name"),
    [
        ("post", "system-info"),
        ("post", "system-prune-preview"),
        ("get", "system-prune"),
    ],
)
def test_views_reject_wrong_method(operator, host, method, name):
    response = getattr(operator, method)(f"{reverse(name)}?host={host.pk}")

    assert response.status_code == 405


def test_info_page_shows_version_and_usage(operator, host, docker_api):
    version = docker_api.version()["Version"]

    response = operator.get(reverse("system-info"), {"host": host.pk})

    page = response.content.decode()
    assert response.status_code == 200
    assert f"<dd>{version}</dd>" in page
    assert 'data-usage="images"' in page
    assert 'data-usage="build_cache"' in page


def test_info_page_offline_host_shows_error(operator, db):
    host = DockerHost.objects.create(
        name=unique("gone"), url="unix:///nonexistent/docker.sock"
    )

    response = operator.get(reverse("system-info"), {"host": host.pk})

    page = response.content.decode()
    assert response.status_code == 200
    assert "Could not read the engine's info" in page
    assert "Could not read disk usage" in page


def test_preview_lists_labelled_stopped_container(operator, host, docker_api):
    tag = unique("system")
    name = unique("stopped")
    docker_api.create_container("busybox:latest", "true", name=name, labels={"t": tag})
    try:
        response = operator.get(
            reverse("system-prune-preview"),
            {"host": host.pk, "containers": "on", "label": f"t={tag}"},
        )
    finally:
        docker_api.remove_container(name, force=True)

    plan = {kind: items for _label, kind, items in response.context["plan"]}
    assert [item.name for item in plan["containers"]] == [name]
    assert plan["images"] == []
    assert f"<li>{name}" in response.content.decode()


def test_preview_rejects_no_kind(operator, host):
    response = operator.get(
        reverse("system-prune-preview"), {"host": host.pk, "images": ""}
    )

    assert response.status_code == 400
    assert "Choose at least one kind" in response.content.decode()


def test_prune_rejects_bad_image_mode(operator, host):
    response = operator.post(
        reverse("system-prune"), {"host": host.pk, "images": "everything"}
    )

    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
