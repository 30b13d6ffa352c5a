"""Test connection and the watcher against bad TLS and SSH settings.

Each bad setting must give one clear sentence, and a host registered with it
must show offline with that reason while the watcher goes on with other hosts.
"""

import time

import pytest

from containers.models import DockerHost
from containers.services.host_checks import try_connection
from containers.services.hosts import delete_host
from tests.conftest import unique
from tests.remote_engine import (
    Authority,
    make_ssh_key,
    remote_engine_fixture,  # noqa: F401
)

CLOSED_PORT = 2999


def tls_host(engine, **fields) -> DockerHost:
    values = {
        "name": unique("tls"),
        "url": engine.tls_url,
        "tls_ca": engine.authority.pem,
        "tls_cert": engine.client_cert,
        "tls_key": engine.client_key,
    }
    values.update(fields)
    return DockerHost(**values)


def ssh_host(engine, **fields) -> DockerHost:
    values = {
        "name": unique("ssh"),
        "url": engine.ssh_url,
        "ssh_key": engine.ssh_private_key,
    }
    values.update(fields)
    return DockerHost(**values)


def test_tls_test_shows_version(remote_engine):
    result = try_connection(tls_host(remote_engine))
    assert result.ok
    assert result.engine_version.startswith("20.10")
    assert result.api_version == "1.41"


def test_wrong_ca_reports_certificate(remote_engine):
    other = Authority.create("other")
    result = try_connection(tls_host(remote_engine, tls_ca=other.pem))
    assert not result.ok
    assert "TLS certificate" in result.message
    assert "not trusted" in result.message


def test_foreign_client_cert_reported(remote_engine):
    cert, key = Authority.create("other").issue("pier")
    result = try_connection(tls_host(remote_engine, tls_cert=cert, tls_key=key))
    assert not result.ok
    assert "rejected Pier's client certificate" in result.message


def test_closed_port_reports_refused(remote_engine):
    url = f"tcp://{remote_engine.address}:{CLOSED_PORT}"
    result = try_connection(tls_host(remote_engine, url=url))
    assert not result.ok
    assert "Connection refused" in result.message


def test_plain_tcp_to_tls_port_explained(remote_engine):
    result = try_connection(DockerHost(name="plain", url=remote_engine.tls_url))
    assert not result.ok
    assert "requires TLS" in result.message


def test_ssh_test_shows_version_and_key(remote_engine):
    host = ssh_host(remote_engine)
    result = try_connection(host)
    assert result.ok
    assert result.engine_version.startswith("20.10")
    assert result.host_key.startswith("SHA256:")
    assert host.ssh_host_key.startswith("ssh-ed25519 ")


def test_bad_ssh_key_reports_auth_failure(remote_engine):
    stranger, _ = make_ssh_key()
    result = try_connection(ssh_host(remote_engine, ssh_key=stranger))
    assert not result.ok
    assert "authentication failed" in result.message


def test_changed_host_key_rejected(remote_engine):
    _, other_public = make_ssh_key()
    pinned = " ".join(other_public.split()[:2])
    result = try_connection(ssh_host(remote_engine, ssh_host_key=pinned))
    assert not result.ok
    assert "SSH host key" in result.message
    assert "changed" in result.message


def test_ssh_closed_port_reports_refused(remote_engine):
    url = f"ssh://root@{remote_engine.address}:{CLOSED_PORT}"
    result = try_connection(ssh_host(remote_engine, url=url))
    assert not result.ok
    assert "Connection refused" in result.message


BAD_HOSTS = [
    ("wrong-ca", lambda engine: tls_host(engine, tls_ca=Authority.create("x").pem)),
    (
        "closed-port",
        lambda engine: tls_host(engine, url=f"tcp://{engine.address}:{CLOSED_PORT}"),
    ),
    ("bad-key", lambda engine: ssh_host(engine, ssh_key=make_ssh_key()[0])),
]
BAD_REASONS = {
    "wrong-ca": "not trusted",
    "closed-port": "Connection refused",
    "bad-key": "authentication failed",
}


@pytest.mark.slow
def test_bad_hosts_offline_watcher_lives(stack, remote_engine, local_host):
    hosts = {}
    for label, build in BAD_HOSTS:
        host = build(remote_engine)
        host.save()
        hosts[label] = host
    try:
        deadline = time.monotonic() + 30
        pending = set(hosts)
        while pending and time.monotonic() < deadline:
            for label in list(pending):
                host = DockerHost.objects.get(pk=hosts[label].pk)
                if host.status == DockerHost.OFFLINE and host.status_detail:
                    pending.discard(label)
            time.sleep(0.2)
        assert not pending, f"still not offline: {sorted(pending)}"
        for label, host in hosts.items():
            detail = DockerHost.objects.get(pk=host.pk).status_detail
            assert BAD_REASONS[label] in detail, (label, detail)
        watcher = stack.processes[-1]
        assert watcher.poll() is None
        seen = DockerHost.objects.get(pk=local_host.pk).last_seen
        time.sleep(2.5)
        local = DockerHost.objects.get(pk=local_host.pk)
        assert local.status == DockerHost.ONLINE
        assert local.last_seen > seen
    finally:
        for host in hosts.values():
            delete_host(host)
