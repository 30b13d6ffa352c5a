"""System prune as a tracked job, on a Docker engine that belongs to the test run.

A prune without a label filter removes every unused object of an engine, so
it runs against the `second_engine` fixture, never against the shared one.
"""

import contextlib
import time

import docker
import pytest
from django.test import Client
from django.urls import reverse

from containers.models import DockerHost, Job
from containers.services.hosts import delete_host
from tests.conftest import unique
from tests.second_engine import second_engine  # noqa: F401

pytestmark = pytest.mark.slow


@pytest.fixture
def engine_host(second_engine, stack) -> DockerHost:  # noqa: F811
    host = DockerHost.objects.create(name=unique("engine"), url=second_engine.unix_url)
    yield host
    delete_host(host)


@pytest.fixture
def operator(live_db, users) -> Client:
    client = Client()
    client.force_login(users.make(role="operator"))
    return client


@pytest.fixture
def objects(second_engine):  # noqa: F811
    """Make unused and used objects on the test engine; remove what is left."""
    api = second_engine.api()
    names = {kind: unique(kind) for kind in ("stopped", "running", "gone", "kept")}
    api.create_volume(names["gone"])
    api.create_volume(names["kept"])
    api.create_network(names["gone"])
    api.create_network(names["kept"])
    api.create_container("busybox:latest", "true", name=names["stopped"])
    snapshot = api.commit(names["stopped"])["Id"]
    api.create_container(
        "busybox:latest",
        "sleep 300",
        name=names["running"],
        host_config=api.create_host_config(
            binds=[f"{names['kept']}:/data"], network_mode=names["kept"]
        ),
    )
    api.start(names["running"])
    yield names, snapshot, api
    for name in (names["running"], names["stopped"]):
        with contextlib.suppress(docker.errors.NotFound):
            api.remove_container(name, force=True)
    for name in (names["gone"], names["kept"]):
        with contextlib.suppress(docker.errors.NotFound):
            api.remove_volume(name)
        with contextlib.suppress(docker.errors.NotFound):
            api.remove_network(name)
    with contextlib.suppress(docker.errors.NotFound):
        api.remove_image(snapshot)
    api.close()


def wait_for_job(job: Job, seconds: float = 60) -> Job:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        job.refresh_from_db()
        if job.is_finished:
            return job
        time.sleep(0.2)
    raise AssertionError(f"Job {job.pk} still {job.state} after {seconds} s")


PRUNE_ALL = {
    "containers": "on",
    "images": "dangling",
    "volumes": "on",
    "networks": "on",
    "build_cache": "on",
}


def test_preview_lists_unused_objects(operator, engine_host, objects):
    names, snapshot, _api = objects

    response = operator.get(
        reverse("system-prune-preview"), {"host": engine_host.pk, **PRUNE_ALL}
    )

    plan = {kind: items for _label, kind, items in response.context["plan"]}
    assert [item.name for item in plan["containers"]] == [names["stopped"]]
    assert [item.name for item in plan["volumes"]] == [names["gone"]]
    assert [item.name for item in plan["networks"]] == [names["gone"]]
    assert [item.name for item in plan["images"]] == [snapshot[7:19]]


def test_prune_job_removes_unused(operator, engine_host, objects):
    names, snapshot, api = objects

    response = operator.post(
        reverse("system-prune"), {"host": engine_host.pk, **PRUNE_ALL}
    )

    job = wait_for_job(Job.objects.get(pk=response.url.rstrip("/").split("/")[-1]))
    assert job.state == Job.SUCCEEDED, job.error
    removed = job.result["removed"]
    assert removed["containers"] == [names["stopped"]]
    assert removed["volumes"] == [names["gone"]]
    assert removed["networks"] == [names["gone"]]
    assert f"deleted {snapshot[7:19]}" in removed["images"]
    assert job.result["total_reclaimed"] == sum(job.result["reclaimed"].values())
    lines = list(job.lines.values_list("text", flat=True))
    assert f"Removed containers: {names['stopped']}" in lines
    assert api.inspect_volume(names["kept"])["Name"] == names["kept"]
    assert api.inspect_network(names["kept"])["Name"] == names["kept"]
    assert api.inspect_container(names["running"])["State"]["Running"] is True
    assert {tag for image in api.images() for tag in image["RepoTags"] or []} == {
        "busybox:latest"
    }


def test_prune_job_unreachable_host_fails(operator, stack):
    host = DockerHost.objects.create(
        name=unique("gone"), url="unix:///nonexistent/docker.sock"
    )
    try:
        response = operator.post(
            reverse("system-prune"), {"host": host.pk, "containers": "on"}
        )
        job = wait_for_job(Job.objects.get(pk=response.url.rstrip("/").split("/")[-1]))
    finally:
        delete_host(host)

    assert job.state == Job.FAILED
    assert job.error == "Pruning failed for containers."
