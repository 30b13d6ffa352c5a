"""Remote Docker hosts over TLS and SSH: mirror, publish, offline and back.

The remote engine runs in a network namespace of its own (tests/remote_engine.py);
Pier's real web server, worker and watcher follow it like any other host.
"""

import time
import urllib.request

import pytest

from containers.models import Container, DockerHost, Image, Profile, Release
from tests.conftest import unique
from tests.publishing import busybox_site, make_app, publish_and_wait
from tests.remote_engine import remote_engine_fixture  # noqa: F401
from tests.remote_hosts import (  # noqa: F401
    online,
    reloaded,
    ssh_host_fixture,
    tls_host_fixture,
    wait_for,
)
from tests.sockets import open_socket, receive_until

pytestmark = [pytest.mark.slow]

OFFLINE_LIMIT = 10.0


def has_busybox(host: DockerHost) -> bool:
    images = Image.objects.filter(host=host)
    return any("busybox:latest" in image.tags for image in images)


def mirrored(host: DockerHost, docker_id: str) -> Container | None:
    return Container.objects.filter(host=host, docker_id=docker_id).first()


def test_tls_host_online_with_version(tls_host, remote_engine):
    host = reloaded(tls_host)
    with remote_engine.api() as api:
        version = api.version()["Version"]
    assert host.engine_version == version
    assert host.api_version == "1.41"
    assert has_busybox(host)


def test_publish_on_tls_host(tls_host, users, publish_repo, remote_engine):
    team = users.team()
    developer = users.make(teams=[team])
    name = unique("remote")
    url = publish_repo(name, files=busybox_site("<h1>Hello from the remote</h1>"))
    app = make_app(name, team, tls_host, url)

    job = publish_and_wait(app, developer)

    assert job.state == "succeeded", job.error
    release = app.releases.get()
    assert release.status == Release.LIVE
    assert app.url.startswith(f"http://{remote_engine.address}:")
    with urllib.request.urlopen(app.url, timeout=10) as response:
        assert "Hello from the remote" in response.read().decode()
    row = wait_for(
        lambda: mirrored(tls_host, release.container_id), 10, "the app's container"
    )
    assert row.app_id == app.pk


def test_tls_host_offline_and_back(tls_host, remote_engine):
    with remote_engine.api() as api:
        before = api.create_container("busybox:latest", "sleep 600")["Id"]
        wait_for(lambda: mirrored(tls_host, before), 10, "the first container")
        remote_engine.set_link(up=False)
        try:
            cut = time.monotonic()
            wait_for(
                lambda: reloaded(tls_host).status == DockerHost.OFFLINE,
                30,
                "the host to go offline",
            )
            offline_after = time.monotonic() - cut
            during = api.create_container("busybox:latest", "sleep 600")["Id"]
        finally:
            remote_engine.set_link(up=True)

    assert offline_after < OFFLINE_LIMIT
    assert mirrored(tls_host, before) is not None
    assert mirrored(tls_host, during) is None
    wait_for(lambda: online(tls_host), 120, "the host to come back online")
    assert wait_for(lambda: mirrored(tls_host, during), 10, "the new container")


def test_ssh_host_syncs_mirror(ssh_host, remote_engine):
    host = reloaded(ssh_host)
    assert host.engine_version
    assert has_busybox(host)
    with remote_engine.api() as api:
        created = api.create_container("busybox:latest", "true")["Id"]
    assert wait_for(lambda: mirrored(ssh_host, created), 10, "the SSH event")


def test_ssh_host_key_recorded(ssh_host):
    host = reloaded(ssh_host)
    assert host.ssh_host_key.startswith("ssh-ed25519 ")


def test_log_stream_ends_when_host_stops(tls_host, remote_engine, users, stack):
    operator = users.make(role=Profile.OPERATOR)
    with remote_engine.api() as api:
        docker_id = api.create_container(
            "busybox:latest",
            [
                "sh",
                "-c",
                "i=0; while true; do i=$((i+1)); echo tick $i; sleep 0.2; done",
            ],
            name=unique("remote-log"),
        )["Id"]
        api.start(docker_id)
        row = wait_for(lambda: mirrored(tls_host, docker_id), 10, "the container")
        try:
            path = f"/ws/containers/{row.pk}/logs/?tail=5"
            with open_socket(stack, path, operator) as socket:
                receive_until(socket, lambda m: m["type"] in ("lines", "text"))
                remote_engine.set_link(up=False)
                try:
                    ended = receive_until(
                        socket, lambda m: m["type"] == "end", OFFLINE_LIMIT + 5
                    )
                finally:
                    remote_engine.set_link(up=True)

            assert f"Host {tls_host.name} stopped responding" in ended["reason"]
            assert "Reopen it once the host is back online" in ended["reason"]
            wait_for(lambda: online(tls_host), 120, "the host to come back online")
            with open_socket(stack, path, operator) as socket:
                again = receive_until(socket, lambda m: m["type"] == "lines")
            assert any(line[2].startswith("tick") for line in again["lines"])
        finally:
            api.remove_container(docker_id, force=True)
