"""Compose on remote hosts when something is wrong, and what it leaves behind.

A changed SSH host key, an untrusted engine certificate and an unreachable
engine must fail with a message for the page. The credentials that compose gets
must stay out of its arguments and be removed after every command.
"""

import os
import stat
import subprocess
import tempfile
import threading
from pathlib import Path

import docker
import pytest
from django.urls import reverse

from containers import compose
from containers.compose import ComposeCancelled, ComposeError
from containers.compose import ComposeProject as ComposeSpec
from containers.models import DockerHost, Job
from containers.services.compose_engine import (
    FOLDER_PREFIX,
    EngineAccess,
    engine_access,
    remove_leftover_folders,
    write_tls_files,
)
from containers.ssh_forward import SSHSocketForward
from containers.ssh_transport import SSHConnectError
from tests.compose_remote_support import (  # noqa: F401
    broken_host,
    delete_broken_host,
    other_host_key,
    remote_containers,
    remote_host_fixture,
    remove_remote_objects,
)
from tests.conftest import unique
from tests.remote_engine import Authority, remote_engine_fixture  # noqa: F401
from tests.remote_hosts import ssh_host_fixture, tls_host_fixture  # noqa: F401
from tests.test_compose_projects_faults import free_port
from tests.test_compose_projects_support import (
    SLEEPER,
    act,
    logged_in,
    make_project,
    wait_for_job,
)

pytestmark = pytest.mark.slow


@pytest.fixture
def developer(users):
    return users.make(teams=[users.team()])


@pytest.fixture
def spec(tmp_path) -> ComposeSpec:
    (tmp_path / "compose.yaml").write_text(SLEEPER)
    return ComposeSpec(name=unique("re"), folder=tmp_path, files=["compose.yaml"])


def secret_lines(engine) -> list[str]:
    """Return one line of each private key body, as it would appear if leaked."""
    return [
        engine.client_key.splitlines()[1],
        engine.ssh_private_key.splitlines()[1],
    ]


def access_folder(engine: EngineAccess) -> Path:
    """Return the private folder of the TLS files or of the forward's socket."""
    if engine.cert_path:
        return Path(engine.cert_path)
    return Path(engine.docker_host.removeprefix("unix://")).parent


def failed_up(host: DockerHost, developer, engine) -> Job:
    """Run `up` on a new project on ``host`` and return the finished job."""
    project = make_project(unique("rf"), developer.teams.first(), host, developer)
    job = wait_for_job(act(logged_in(developer), project, "up"))
    assert remote_containers(engine, project.name) == []
    return job


def test_changed_host_key_fails_up(stack, developer, remote_engine):
    wrong_key = other_host_key()
    host = broken_host(
        remote_engine,
        url=remote_engine.ssh_url,
        ssh_key=remote_engine.ssh_private_key,
        ssh_host_key=wrong_key,
    )
    try:
        job = failed_up(host, developer, remote_engine)
        recorded = DockerHost.objects.get(pk=host.pk).ssh_host_key
    finally:
        delete_broken_host(host)

    assert job.state == Job.FAILED
    assert "The SSH host key of" in job.error
    assert "changed" in job.error
    assert "Traceback" not in job.error
    assert recorded == wrong_key


def test_forward_rejects_changed_host_key(live_db, remote_engine, tmp_path):
    host = DockerHost(
        name=unique("forward"),
        url=remote_engine.ssh_url,
        ssh_key=remote_engine.ssh_private_key,
        ssh_host_key=other_host_key(),
    )
    forward = SSHSocketForward(host, tmp_path / "docker.sock", timeout=10)

    with pytest.raises(SSHConnectError, match="host key of .* changed"):
        forward.start()
    assert not (tmp_path / "docker.sock").exists()


def test_forward_relays_engine_api(ssh_host, remote_engine, tmp_path):
    path = tmp_path / "docker.sock"
    with SSHSocketForward(ssh_host, path, timeout=10) as forward:
        mode = stat.S_IMODE(path.stat().st_mode)
        with docker.APIClient(base_url=forward.url, version="auto") as api:
            version = api.version()["Version"]
            names = [tag for image in api.images() for tag in image["RepoTags"]]

    assert mode == 0o600
    with remote_engine.api() as api:
        assert version == api.version()["Version"]
    assert "busybox:latest" in names
    assert not path.exists()


def test_untrusted_certificate_fails_up(stack, developer, remote_engine):
    host = broken_host(
        remote_engine,
        url=remote_engine.tls_url,
        tls_ca=Authority.create("another-ca").pem,
        tls_cert=remote_engine.client_cert,
        tls_key=remote_engine.client_key,
    )
    try:
        job = failed_up(host, developer, remote_engine)
    finally:
        delete_broken_host(host)

    assert job.state == Job.FAILED
    assert "is not trusted" in job.error
    assert "Traceback" not in job.error
    for line in secret_lines(remote_engine):
        assert line not in job.error


def test_compose_verifies_engine_certificate(live_db, remote_engine, spec, tmp_path):
    good = DockerHost(
        url=remote_engine.tls_url,
        tls_ca=remote_engine.authority.pem,
        tls_cert=remote_engine.client_cert,
        tls_key=remote_engine.client_key,
    )
    bad = DockerHost(
        url=good.url,
        tls_ca=Authority.create("another-ca").pem,
        tls_cert=good.tls_cert,
        tls_key=good.tls_key,
    )
    for host in (good, bad):
        folder = tmp_path / ("good" if host is good else "bad")
        folder.mkdir(mode=0o700)
        write_tls_files(host, folder)

    trusted = EngineAccess(good.url, str(tmp_path / "good")).bind(spec)
    assert compose.ps(trusted) == []
    untrusted = EngineAccess(bad.url, str(tmp_path / "bad")).bind(spec)
    with pytest.raises(ComposeError, match="certificate"):
        compose.ps(untrusted)


def test_unreachable_host_message_on_page(stack, developer, remote_engine):
    host = broken_host(
        remote_engine,
        url=f"tcp://127.0.0.1:{free_port()}",
        tls_ca=remote_engine.authority.pem,
        tls_cert=remote_engine.client_cert,
        tls_key=remote_engine.client_key,
    )
    project = make_project(unique("rf"), developer.teams.first(), host, developer)
    try:
        response = logged_in(developer).post(
            reverse("compose-edit", args=[project.pk]),
            {"compose_file": SLEEPER.replace("3600", "3601"), "env_file": ""},
        )
        job = wait_for_job(act(logged_in(developer), project, "up"))
    finally:
        delete_broken_host(host)

    body = response.content.decode()
    assert response.status_code == 400
    assert "The preview failed: Docker host" in body
    assert "is not reachable: Connection refused by 127.0.0.1" in body
    assert "Traceback" not in body
    assert job.state == Job.FAILED
    assert "Connection refused by 127.0.0.1" in job.error


def test_tls_folder_private_then_removed(tls_host, remote_engine, spec):
    with engine_access(tls_host) as engine:
        folder = Path(engine.cert_path)
        folder_mode = stat.S_IMODE(folder.stat().st_mode)
        file_modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in folder.iterdir()}
        key = (folder / "key.pem").read_text()
        bound = engine.bind(spec)
        containers = compose.ps(bound)

    assert folder_mode == 0o700
    assert file_modes == {"ca.pem": 0o600, "cert.pem": 0o600, "key.pem": 0o600}
    assert key == remote_engine.client_key
    assert bound.process_env()["DOCKER_TLS_VERIFY"] == "1"
    assert bound.process_env()["DOCKER_CERT_PATH"] == str(folder)
    assert containers == []
    assert not folder.exists()


def test_credentials_not_in_arguments(remote_host, remote_engine, spec):
    with engine_access(remote_host) as engine:
        bound = engine.bind(spec)
        visible = " ".join([*bound.global_args(), *bound.process_env().values()])

    assert "PRIVATE KEY" not in visible
    for line in secret_lines(remote_engine):
        assert line not in visible


def test_cancelled_run_removes_folder(remote_host, remote_engine, spec):
    cancel = threading.Event()
    cancel.set()
    try:
        with pytest.raises(ComposeCancelled):
            with engine_access(remote_host) as engine:
                folder = access_folder(engine)
                assert folder.is_dir()
                compose.run(engine.bind(spec), ["up", "--detach"], cancel=cancel)
    finally:
        remove_remote_objects(remote_engine, spec.name)

    assert folder.name.startswith(f"{FOLDER_PREFIX}{os.getpid()}-")
    assert not folder.exists()


def test_leftover_folder_of_dead_process_removed():
    dead = subprocess.Popen(["true"])
    dead.wait()
    leftover = Path(tempfile.mkdtemp(prefix=f"{FOLDER_PREFIX}{dead.pid}-"))
    own = Path(tempfile.mkdtemp(prefix=f"{FOLDER_PREFIX}{os.getpid()}-"))
    try:
        removed = remove_leftover_folders()
        own_kept = own.exists()
    finally:
        own.rmdir()

    assert leftover in removed
    assert not leftover.exists()
    assert own_kept
