"""The create-and-run form: validation beside each field, roles, and real runs."""

import contextlib
import socket

import docker
import pytest
from django.urls import reverse

from containers.models import Container, DockerHost, Job
from containers.services import jobs
from containers.services.hosts import register_local_host
from tests.conftest import unique
from tests.containers_helpers import docker_objects_for, mirrored
from tests.registry import running_registry, store_registry

pytestmark = pytest.mark.django_db


@pytest.fixture
def local(db) -> DockerHost:
    return register_local_host()


@pytest.fixture
def docker_objects(docker_api):
    yield from docker_objects_for(docker_api)


CREATE = reverse("container-create")


def form_data(host, **values) -> dict:
    """POST data of the form with one empty port row and one empty volume row."""
    data = {
        "host": host.pk,
        "team": "",
        "image": "busybox:latest",
        "name": "",
        "command": "sleep 300",
        "entrypoint": "",
        "environment": "",
        "restart_policy": "no",
        "restart_retries": "",
        "memory": "",
        "cpus": "",
        "network": "bridge",
        "mode": "detached",
        "start": "start",
        "ports-TOTAL_FORMS": "1",
        "ports-INITIAL_FORMS": "0",
        "ports-0-host_ip": "",
        "ports-0-host_port": "",
        "ports-0-container_port": "",
        "ports-0-protocol": "tcp",
        "volumes-TOTAL_FORMS": "1",
        "volumes-INITIAL_FORMS": "0",
        "volumes-0-source": "",
        "volumes-0-target": "",
    }
    data.update(values)
    return data


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def made(docker_api, name: str) -> list[dict]:
    return docker_api.containers(all=True, filters={"name": f"^/{name}$"})


@pytest.fixture
def operator(client, users):
    user = users.make(role="operator")
    client.force_login(user)
    return user


def test_create_page_renders(client, operator, local):
    response = client.get(CREATE, {"host": local.pk})
    assert response.status_code == 200
    assert response.context["form"].main["host"].value() == local.pk


def test_create_rejects_put(client, operator):
    assert client.put(CREATE).status_code == 405


def test_create_runs_with_everything(
    client, operator, local, docker_objects, docker_api
):
    name = unique("ctr-run")
    volume = docker_objects.volume(unique("vol"))
    port = free_port()
    data = form_data(
        local,
        name=name,
        environment="GREETING=hello\nEMPTY=",
        memory="64m",
        cpus="0.5",
        restart_policy="on-failure",
        restart_retries="3",
        mode="interactive",
        **{
            "ports-0-host_ip": "127.0.0.1",
            "ports-0-host_port": str(port),
            "ports-0-container_port": "80",
            "volumes-0-source": volume,
            "volumes-0-target": "/data",
        },
    )

    response = client.post(CREATE, data)

    found = made(docker_api, name)
    for entry in found:
        docker_objects.track(entry["Id"])
    assert response.status_code == 302
    assert len(found) == 1
    info = docker_api.inspect_container(found[0]["Id"])
    assert info["State"]["Status"] == "running"
    assert info["HostConfig"]["PortBindings"]["80/tcp"] == [
        {"HostIp": "127.0.0.1", "HostPort": str(port)}
    ]
    assert info["HostConfig"]["Memory"] == 64 * 1024**2
    assert info["HostConfig"]["NanoCpus"] == 500_000_000
    assert info["HostConfig"]["RestartPolicy"] == {
        "Name": "on-failure",
        "MaximumRetryCount": 3,
    }
    assert "GREETING=hello" in info["Config"]["Env"]
    assert info["Config"]["Tty"] is True
    assert info["Config"]["OpenStdin"] is True
    assert info["Mounts"][0]["Name"] == volume
    container = Container.objects.get(host=local, docker_id=found[0]["Id"])
    assert response["Location"] == reverse("container-detail", args=[container.pk])


def test_create_only_does_not_start(
    client, operator, local, docker_objects, docker_api
):
    name = unique("ctr-created")
    client.post(CREATE, form_data(local, name=name, start="create"))
    found = made(docker_api, name)
    for entry in found:
        docker_objects.track(entry["Id"])
    assert found[0]["State"] == "created"


def test_create_port_range(client, operator, local, docker_objects, docker_api):
    name = unique("ctr-range")
    first = free_port()
    data = form_data(
        local,
        name=name,
        **{
            "ports-0-host_ip": "127.0.0.1",
            "ports-0-host_port": f"{first}-{first + 1}",
            "ports-0-container_port": "8000-8001",
            "ports-0-protocol": "udp",
        },
    )
    response = client.post(CREATE, data)
    found = made(docker_api, name)
    for entry in found:
        docker_objects.track(entry["Id"])
    assert response.status_code == 302
    bindings = docker_api.inspect_container(found[0]["Id"])["HostConfig"][
        "PortBindings"
    ]
    assert bindings["8001/udp"] == [{"HostIp": "127.0.0.1", "HostPort": str(first + 1)}]


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        ({"image": "Not An Image"}, "image", "not a valid image reference"),
        ({"name": "x"}, "name", "not a valid container name"),
        ({"command": "echo 'open"}, "command", "command is invalid"),
        ({"environment": "1BAD=x"}, "environment", "not a valid variable name"),
        ({"memory": "2m"}, "memory", "at least 6m"),
        ({"cpus": "zero"}, "cpus", "not a number of CPUs"),
        ({"network": "no-such-network"}, "network", "does not exist"),
    ],
)
def test_create_field_errors(client, operator, local, values, field, message):
    response = client.post(CREATE, form_data(local, **values))
    assert response.status_code == 400
    assert message in " ".join(response.context["form"].main.errors[field])


@pytest.mark.parametrize(
    ("row", "field", "message"),
    [
        ({"ports-0-container_port": "80-70"}, "container_port", "below the start"),
        (
            {"ports-0-host_port": "9000-9005", "ports-0-container_port": "80"},
            "host_port",
            "different lengths",
        ),
        (
            {"ports-0-host_ip": "my-laptop", "ports-0-container_port": "80"},
            "host_ip",
            "not an IP address",
        ),
        ({"ports-0-host_port": "8080"}, "container_port", "Enter the container port"),
    ],
)
def test_create_port_row_errors(client, operator, local, row, field, message):
    response = client.post(CREATE, form_data(local, **row))
    assert response.status_code == 400
    errors = response.context["form"].ports.forms[0].errors[field]
    assert message in " ".join(errors)


def test_create_port_taken_creates_nothing(client, operator, local, docker_api):
    name = unique("ctr-taken")
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        data = form_data(
            local,
            name=name,
            **{"ports-0-host_port": str(port), "ports-0-container_port": "80"},
        )
        response = client.post(CREATE, data)
    assert response.status_code == 400
    errors = response.context["form"].ports.forms[0].errors["host_port"]
    assert f"Host port {port} is already in use" in errors[0]
    assert made(docker_api, name) == []


def test_create_port_listed_twice(client, operator, local):
    port = str(free_port())
    data = form_data(
        local,
        **{
            "ports-TOTAL_FORMS": "2",
            "ports-0-host_port": port,
            "ports-0-container_port": "80",
            "ports-1-host_ip": "",
            "ports-1-host_port": port,
            "ports-1-container_port": "81",
            "ports-1-protocol": "tcp",
        },
    )
    response = client.post(CREATE, data)
    errors = response.context["form"].ports.forms[1].errors["host_port"]
    assert "listed twice" in errors[0]


def test_create_name_in_use(client, operator, local, docker_objects):
    existing = mirrored(local, docker_objects.container())
    response = client.post(CREATE, form_data(local, name=existing.name))
    assert response.status_code == 400
    assert "already exists" in response.context["form"].main.errors["name"][0]


def test_create_volume_relative_path(client, operator, local):
    data = form_data(local, **{"volumes-0-source": "data", "volumes-0-target": "data"})
    response = client.post(CREATE, data)
    errors = response.context["form"].volumes.forms[0].errors["target"]
    assert "must be absolute" in errors[0]


@pytest.fixture
def developer(client, users):
    team = users.team()
    user = users.make(teams=[team])
    client.force_login(user)
    return team


def test_developer_bind_mount_rejected(client, developer, local, docker_api):
    name = unique("ctr-bind")
    data = form_data(
        local,
        name=name,
        team=developer.pk,
        **{"volumes-0-source": "/etc", "volumes-0-target": "/host-etc"},
    )
    response = client.post(CREATE, data)
    assert response.status_code == 400
    errors = response.context["form"].volumes.forms[0].errors["source"]
    assert "Only operators can bind-mount host paths" in errors[0]
    assert made(docker_api, name) == []


def test_developer_host_network_rejected(client, developer, local):
    response = client.post(CREATE, form_data(local, team=developer.pk, network="host"))
    assert (
        "Only operators can use the host network"
        in (response.context["form"].main.errors["network"][0])
    )


def test_developer_needs_team(client, developer, local):
    response = client.post(CREATE, form_data(local))
    assert "required" in response.context["form"].main.errors["team"][0]


def test_developer_other_team_rejected(client, developer, local, users):
    other = users.team()
    response = client.post(CREATE, form_data(local, team=other.pk))
    assert "valid choice" in response.context["form"].main.errors["team"][0]


def test_developer_runs_team_container(
    client,
    developer,
    local,
    docker_objects,
    docker_api,
):
    name = unique("ctr-dev")
    volume = docker_objects.volume(unique("vol"))
    data = form_data(
        local,
        name=name,
        team=developer.pk,
        **{"volumes-0-source": volume, "volumes-0-target": "/data"},
    )
    response = client.post(CREATE, data)
    found = made(docker_api, name)
    for entry in found:
        docker_objects.track(entry["Id"])
    assert response.status_code == 302
    assert found[0]["Labels"]["pier.team"] == str(developer.pk)
    detail = client.get(response["Location"])
    assert detail.status_code == 200


def test_missing_image_pull_fails_clearly(client, operator, local, docker_api):
    # Nothing listens on port 1, so the pull fails at once with the engine's reason.
    name = unique("ctr-pull")
    image = f"127.0.0.1:1/{unique('missing')}:1"
    response = client.post(CREATE, form_data(local, name=name, image=image))
    job = Job.objects.get(kind="container-create")
    assert response["Location"] == reverse("job-detail", args=[job.pk])
    jobs.run(job.pk)
    job.refresh_from_db()
    assert job.state == Job.FAILED
    assert "connection refused" in job.error
    assert made(docker_api, name) == []


@pytest.fixture(scope="module")
def registry_server(tmp_path_factory):
    yield from running_registry(tmp_path_factory.mktemp("registry"))


@pytest.fixture
def pushed_image(registry_server, docker_api):
    """A busybox copy that exists only in the test registry, not on the host."""
    reference = f"{registry_server.url}/{unique('ctr-pull')}:1"
    repository = reference.rsplit(":", 1)[0]
    docker_api.tag("busybox:latest", repository, "1")
    auth = {"username": registry_server.username, "password": registry_server.password}
    list(docker_api.push(repository, tag="1", auth_config=auth, stream=True))
    docker_api.remove_image(reference)
    yield reference
    with contextlib.suppress(docker.errors.NotFound):
        docker_api.remove_image(reference)


def test_missing_image_pulled_then_run(
    client,
    operator,
    local,
    registry_server,
    pushed_image,
    docker_objects,
    docker_api,
):
    store_registry(registry_server, unique("registry"))
    name = unique("ctr-pulled")
    client.post(CREATE, form_data(local, name=name, image=pushed_image))
    job = Job.objects.get(kind="container-create")
    jobs.run(job.pk)
    found = made(docker_api, name)
    for entry in found:
        docker_objects.track(entry["Id"])
    job.refresh_from_db()
    assert job.state == Job.SUCCEEDED
    assert found[0]["State"] == "running"
    assert found[0]["Image"] == pushed_image
    assert job.result["name"] == name


def test_create_on_unreachable_host(client, operator):
    host = DockerHost.objects.create(
        name=unique("gone-host"), url="unix:///nonexistent/docker.sock"
    )
    response = client.post(CREATE, form_data(host))
    assert response.status_code == 400
    errors = response.context["form"].main.non_field_errors()
    assert "is not reachable" in errors[0]
