"""Test helpers for images and registries.

`start_registry` runs Debian's `docker-registry` on 127.0.0.1. It requires a
user name and password (htpasswd with bcrypt) and keeps its blobs in a
temporary folder. The Docker engine allows plain HTTP to 127.0.0.0/8
registries, so pushes and pulls need no TLS. `build_image` makes small labelled
images, and `finished_job` waits for a job that a view started.
"""

import base64
import io
import json
import subprocess
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import bcrypt
import pytest
from django.db import connection

from containers.models import Job, Registry
from tests.stack import free_tcp_port

BINARY = "/usr/bin/docker-registry"
# The start of every test registry's config. An `auth:` section follows.
CONFIG_START = """\
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: {storage}
  delete:
    enabled: true
http:
  addr: 127.0.0.1:{port}
  secret: {secret}
"""
CONFIG = (
    CONFIG_START
    + """\
auth:
  htpasswd:
    realm: pier-test
    path: {htpasswd}
"""
)


@dataclass
class TestRegistry:
    """A running registry: its address, credentials and process."""

    url: str
    username: str
    password: str
    process: subprocess.Popen
    log_path: Path

    def get(self, path: str) -> dict:
        """GET a registry API path with the credentials; return the JSON body."""
        token = base64.b64encode(f"{self.username}:{self.password}".encode()).decode()
        request = urllib.request.Request(
            f"http://{self.url}{path}", headers={"Authorization": f"Basic {token}"}
        )
        with urllib.request.urlopen(request, timeout=5) as response:
            return json.loads(response.read())

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)


def _wait_until_up(url: str, process: subprocess.Popen, log_path: Path) -> None:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        try:
            urllib.request.urlopen(f"http://{url}/v2/", timeout=1)
            return
        except urllib.error.HTTPError as error:
            if error.code == 401:
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"docker-registry did not start; see {log_path}")


def start_registry(folder: Path, username: str, password: str) -> TestRegistry:
    """Start docker-registry on a free port of 127.0.0.1 with one user."""
    port = free_tcp_port()
    htpasswd = folder / "htpasswd"
    hashed = bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds=5)).decode()
    htpasswd.write_text(f"{username}:{hashed}\n")
    config = folder / "config.yml"
    config.write_text(
        CONFIG.format(
            storage=folder / "storage",
            port=port,
            secret=base64.b64encode(password.encode()).decode(),
            htpasswd=htpasswd,
        )
    )
    process, log_path = serve_registry(folder, config, port)
    return TestRegistry(f"127.0.0.1:{port}", username, password, process, log_path)


def serve_registry(
    folder: Path, config: Path, port: int
) -> tuple[subprocess.Popen, Path]:
    """Run docker-registry with a config file, and return once it responds."""
    log_path = folder / "registry.log"
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            [BINARY, "serve", str(config)], stdout=log, stderr=subprocess.STDOUT
        )
    try:
        _wait_until_up(f"127.0.0.1:{port}", process, log_path)
    except RuntimeError:
        process.kill()
        raise
    return process, log_path


def running_registry(folder: Path, password: str = "") -> Iterator[TestRegistry]:
    """Yield a started registry with one user, and stop it afterwards."""
    registry = start_registry(folder, "pier", password or f"pw-{uuid.uuid4().hex[:10]}")
    try:
        yield registry
    finally:
        registry.stop()


def store_registry(registry: TestRegistry, name: str, password: str = "") -> Registry:
    """Save the registry in Pier with its user and `password` (default: right)."""
    return Registry.objects.create(
        name=name,
        url=registry.url,
        username=registry.username,
        password=password or registry.password,
        insecure=True,
    )


def build_image(docker_api, tag: str, label: str, *, extra: str = "") -> str:
    """Build a small image FROM busybox with its own layer; return its id.

    `label` becomes the value of label pier.test, so tests can scope a removal
    to their own images. `extra` adds Dockerfile lines.
    """
    dockerfile = (
        "FROM busybox:latest\n"
        f"LABEL pier.test={label}\n"
        f"RUN echo {tag} > /pier-test-image\n"
        f"{extra}"
    )
    output = list(
        docker_api.build(
            fileobj=io.BytesIO(dockerfile.encode()),
            tag=tag,
            rm=True,
            forcerm=True,
            decode=True,
        )
    )
    errors = [chunk["error"] for chunk in output if "error" in chunk]
    if errors:
        raise RuntimeError(f"Building test image {tag} failed: {errors}")
    return docker_api.inspect_image(tag)["Id"]


def finished_job(location: str, timeout: float = 120) -> Job:
    """Wait for the job that a redirect to /jobs/<id>/ names; return it finished."""
    job_id = int(location.rstrip("/").rsplit("/", 1)[-1])
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = Job.objects.get(pk=job_id)
        if job.is_finished:
            return job
        time.sleep(0.2)
    raise AssertionError(f"Job {job_id} did not finish within {timeout} s")


def job_text(job: Job) -> str:
    return "\n".join(job.lines.values_list("text", flat=True))


@pytest.fixture(autouse=True)
def close_database_connection() -> Iterator[None]:
    """Close the test's database connection after each test that imports this.

    After a Playwright test, ORM calls in later tests can run on a connection
    of their own that the session's teardown does not close, and PostgreSQL
    then refuses to drop the test database while it is open.
    """
    yield
    connection.close()
