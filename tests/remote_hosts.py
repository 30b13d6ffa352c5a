"""Pier hosts for the remote engine of tests/remote_engine.py: TLS and SSH.

Each fixture registers the engine as a new host, waits until Pier's watcher
reports it online, and deletes the host afterwards.
"""

import time

import pytest

from containers.models import App, DockerHost
from containers.services.hosts import delete_host
from tests.conftest import unique


def wait_for(check, timeout: float, description: str):
    """Poll `check` until it returns a true value; return that value."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"Timed out after {timeout:.0f} s waiting for {description}")


def reloaded(host: DockerHost) -> DockerHost:
    return DockerHost.objects.get(pk=host.pk)


def online(host: DockerHost) -> DockerHost | None:
    fresh = reloaded(host)
    return fresh if fresh.status == DockerHost.ONLINE else None


@pytest.fixture(scope="module", name="tls_host")
def tls_host_fixture(stack, remote_engine):
    host = DockerHost.objects.create(
        name=unique("tls"),
        url=remote_engine.tls_url,
        public_address=remote_engine.address,
        tls_ca=remote_engine.authority.pem,
        tls_cert=remote_engine.client_cert,
        tls_key=remote_engine.client_key,
    )
    wait_for(lambda: online(host), 30, "the TLS host to come online")
    yield host
    App.objects.filter(host=host).delete()
    delete_host(host)


@pytest.fixture(scope="module", name="ssh_host")
def ssh_host_fixture(stack, remote_engine):
    host = DockerHost.objects.create(
        name=unique("ssh"),
        url=remote_engine.ssh_url,
        public_address=remote_engine.address,
        ssh_key=remote_engine.ssh_private_key,
    )
    wait_for(lambda: online(host), 30, "the SSH host to come online")
    yield host
    delete_host(host)
