"""Bulk stop and remove: the confirmation lists exactly what the job touches."""

import pytest
from django.urls import reverse

from containers.models import Container, DockerHost, Job
from containers.services import jobs
from containers.services.hosts import register_local_host
from tests.containers_helpers import docker_objects_for, mirrored

pytestmark = pytest.mark.django_db

STOP = reverse("container-stop-running")
REMOVE = reverse("container-remove-stopped")
# A shell as process 1 ignores SIGTERM unless it traps it. This one traps it and
# exits at once, so a stop does not wait for its timeout.
STOPS_ON_TERM = ("sh", "-c", "trap 'exit 0' TERM; while :; do sleep 1; done")


@pytest.fixture
def local(db) -> DockerHost:
    return register_local_host()


@pytest.fixture
def docker_objects(docker_api):
    yield from docker_objects_for(docker_api)


@pytest.fixture
def operator(client, users):
    user = users.make(role="operator")
    client.force_login(user)
    return user


def state(docker_api, docker_id) -> str:
    return docker_api.inspect_container(docker_id)["State"]["Status"]


def test_stop_confirmation_lists_running(client, operator, local, docker_objects):
    running = mirrored(local, docker_objects.container())
    stopped = mirrored(local, docker_objects.container(start=False))
    response = client.get(STOP, {"host": local.pk})
    listed = response.context["containers"]
    assert running in listed
    assert stopped not in listed


def test_stop_acts_on_confirmed_list(
    client, operator, local, docker_objects, docker_api
):
    chosen = mirrored(local, docker_objects.container(command=STOPS_ON_TERM))
    left = mirrored(local, docker_objects.container())
    url = f"{STOP}?host={local.pk}"
    response = client.post(url, {"container": [str(chosen.pk)]})
    job = Job.objects.get(kind="containers-stop")
    assert response["Location"] == reverse("job-detail", args=[job.pk])
    jobs.run(job.pk)
    job.refresh_from_db()
    assert job.state == Job.SUCCEEDED
    assert state(docker_api, chosen.docker_id) == "exited"
    assert state(docker_api, left.docker_id) == "running"


def test_remove_confirmation_lists_stopped(client, operator, local, docker_objects):
    running = mirrored(local, docker_objects.container())
    stopped = mirrored(local, docker_objects.container(start=False))
    listed = client.get(REMOVE, {"host": local.pk}).context["containers"]
    assert stopped in listed
    assert running not in listed


def test_remove_skips_container_started_since(
    client, operator, local, docker_objects, docker_api
):
    stopped = mirrored(local, docker_objects.container(start=False))
    restarted = mirrored(local, docker_objects.container(start=False))
    docker_api.start(restarted.docker_id)
    client.post(
        f"{REMOVE}?host={local.pk}",
        {"container": [str(stopped.pk), str(restarted.pk)]},
    )
    job = Job.objects.get(kind="containers-remove")
    jobs.run(job.pk)
    job.refresh_from_db()
    assert job.state == Job.FAILED
    assert f"1 of 2 containers failed: {restarted.name}" == job.error
    assert not docker_api.containers(all=True, filters={"id": stopped.docker_id})
    assert state(docker_api, restarted.docker_id) == "running"


def test_bulk_ignores_other_host_ids(client, operator, local, users):
    other = DockerHost.objects.create(name="elsewhere", url="unix:///nonexistent")
    foreign = Container.objects.create(
        host=other, docker_id="f" * 64, name="foreign", state="running"
    )
    response = client.post(f"{STOP}?host={local.pk}", {"container": [str(foreign.pk)]})
    assert response.status_code == 302
    assert not Job.objects.filter(kind="containers-stop").exists()


@pytest.mark.parametrize("url", [STOP, REMOVE])
def test_bulk_developer_403(client, users, local, url):
    client.force_login(users.make(teams=[users.team()]))
    assert client.get(url, {"host": local.pk}).status_code == 403
    assert (
        client.post(f"{url}?host={local.pk}", {"container": ["1"]}).status_code == 403
    )


@pytest.mark.parametrize("url", [STOP, REMOVE])
def test_bulk_rejects_put(client, operator, local, url):
    assert client.put(f"{url}?host={local.pk}").status_code == 405
