"""A second Docker engine for tests, running in a network namespace of its own.

Use it from a test module with `from tests.second_engine import second_engine`.
The session fixture starts `dockerd` inside a new network namespace reached
through a veth pair. The daemon has its own data root, exec root, pidfile,
socket and config file (so its own engine ID), and the fixture loads
`busybox:latest` from the host's engine into it. Everything on it belongs to
the test run, so tests may prune there. A second daemon in the host's own
namespace would delete the host's `docker0` bridge, which is why the
namespace is needed.

Requires root, `ip` from iproute2 and the `docker` command line.
"""

import ipaddress
import logging
import os
import random
import shutil
import signal
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import docker
import pytest

logger = logging.getLogger(__name__)

START_SECONDS = 30
STOP_SECONDS = 20
HOST_DOCKER = "unix:///var/run/docker.sock"


@dataclass
class SecondEngine:
    """A running test engine: where to reach it and what to clean up."""

    namespace: str
    host_interface: str
    folder: Path
    address: str
    pid: int

    @property
    def unix_url(self) -> str:
        return f"unix://{self.folder / 'docker.sock'}"

    @property
    def tcp_url(self) -> str:
        """Plain TCP on the namespace address, without TLS."""
        return f"tcp://{self.address}:2375"

    def api(self) -> docker.APIClient:
        return docker.APIClient(base_url=self.unix_url, version="auto", timeout=30)

    def load_image(self, tag: str = "busybox:latest") -> None:
        """Copy an image from the host's engine, as `docker save | docker load`."""
        save = subprocess.Popen(
            ["docker", "-H", HOST_DOCKER, "save", tag], stdout=subprocess.PIPE
        )
        subprocess.run(
            ["docker", "-H", self.unix_url, "load", "--quiet"],
            stdin=save.stdout,
            check=True,
            capture_output=True,
            timeout=120,
        )
        save.stdout.close()
        if save.wait(timeout=60) != 0:
            raise RuntimeError(f"docker save {tag} failed on the host's engine")


def _run(*args: str) -> None:
    subprocess.run(args, check=True, capture_output=True, timeout=30)


def _free_link_subnet() -> ipaddress.IPv4Network:
    """Pick a /30 in 10.200.0.0/13 that no route of the host overlaps."""
    routes = subprocess.run(
        ["ip", "-4", "route", "show", "table", "all"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    taken = []
    for line in routes.splitlines():
        word = line.split()[0] if line.split() else ""
        if word[:1].isdigit():
            taken.append(ipaddress.ip_network(word, strict=False))
    pool = ipaddress.ip_network("10.200.0.0/13")
    for _attempt in range(50):
        offset = random.randrange(pool.num_addresses // 4) * 4
        candidate = ipaddress.ip_network(f"{pool.network_address + offset}/30")
        if not any(candidate.overlaps(route) for route in taken):
            return candidate
    raise RuntimeError("No free /30 in 10.200.0.0/13 for the test engine's link")


def _cgroup_mounts() -> list[str]:
    """Return shell commands that mount the host's cgroup folders again.

    `ip netns exec` mounts a fresh /sys, which hides /sys/fs/cgroup, and dockerd
    then fails with "Devices cgroup isn't mounted".
    """
    commands = []
    with open("/proc/self/mounts") as mounts:
        for line in mounts:
            device, target, kind, options = line.split()[:4]
            if target == "/sys/fs/cgroup" or target.startswith("/sys/fs/cgroup/"):
                commands.append(f"mkdir -p {target}")
                commands.append(f"mount -t {kind} -o {options} {device} {target}")
    return commands


def _write_start_script(folder: Path, address: str, tag: str) -> Path:
    config = folder / "daemon.json"
    config.write_text(f'{{"deprecated-key-path": "{folder / "key.json"}"}}\n')
    daemon = [
        "exec dockerd",
        f"--config-file {config}",
        f"--data-root {folder / 'data'}",
        f"--exec-root {folder / 'exec'}",
        f"--pidfile {folder / 'docker.pid'}",
        f"--containerd-namespace pier-test-{tag}",
        f"--containerd-plugins-namespace pier-test-{tag}-plugins",
        f"-H unix://{folder / 'docker.sock'}",
        f"-H tcp://{address}:2375",
        # With TLS turned off explicitly, Docker 20.10 skips the 15 s start-up
        # delay that it adds as a warning against TCP without TLS.
        "--tls=false",
    ]
    script = folder / "start.sh"
    script.write_text(
        "set -e\n" + "\n".join(_cgroup_mounts()) + "\n" + " ".join(daemon) + "\n"
    )
    return script


def _make_link(namespace: str, tag: str, link: ipaddress.IPv4Network) -> str:
    host_end, inside_end = list(link.hosts())
    host_if, inside_if = f"pe{tag}h", f"pe{tag}n"
    _run("ip", "netns", "add", namespace)
    _run("ip", "link", "add", host_if, "type", "veth", "peer", "name", inside_if)
    _run("ip", "link", "set", inside_if, "netns", namespace)
    _run("ip", "addr", "add", f"{host_end}/30", "dev", host_if)
    _run("ip", "link", "set", host_if, "up")
    inside = ["ip", "netns", "exec", namespace]
    _run(*inside, "ip", "addr", "add", f"{inside_end}/30", "dev", inside_if)
    _run(*inside, "ip", "link", "set", inside_if, "up")
    _run(*inside, "ip", "link", "set", "lo", "up")
    return host_if


def _wait_until_answering(engine: SecondEngine, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"The test engine exited with {process.returncode}; "
                f"see {engine.folder / 'dockerd.log'}"
            )
        try:
            with engine.api() as client:
                client.ping()
            return
        except docker.errors.DockerException:
            time.sleep(0.2)
    raise RuntimeError(f"The test engine did not answer within {START_SECONDS} s")


def start_engine() -> tuple[SecondEngine, subprocess.Popen]:
    """Start a test engine and return it once it responds to a ping."""
    tag = uuid.uuid4().hex[:6]
    namespace = f"pier-engine-{tag}"
    folder = Path(tempfile.mkdtemp(prefix=f"pier-engine-{tag}-"))
    link = _free_link_subnet()
    host_if = _make_link(namespace, tag, link)
    address = str(list(link.hosts())[1])
    script = _write_start_script(folder, address, tag)
    with open(folder / "dockerd.log", "w") as log:
        process = subprocess.Popen(
            ["ip", "netns", "exec", namespace, "sh", str(script)],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    # `ip netns exec` and the script exec dockerd, so this PID is the daemon's.
    engine = SecondEngine(namespace, host_if, folder, address, process.pid)
    try:
        _wait_until_answering(engine, process)
    except RuntimeError:
        stop_engine(engine, process)
        raise
    logger.info("Test engine %s is listening on %s", namespace, engine.unix_url)
    return engine, process


def _remove_containers(engine: SecondEngine) -> None:
    try:
        with engine.api() as client:
            for entry in client.containers(all=True):
                client.remove_container(entry["Id"], force=True)
    except docker.errors.DockerException as error:
        logger.warning("Removing containers of %s failed: %s", engine.namespace, error)


def stop_engine(engine: SecondEngine, process: subprocess.Popen) -> None:
    """Stop the daemon by its PID, then remove its namespace, link and folder."""
    if process.poll() is None:
        _remove_containers(engine)
        os.kill(engine.pid, signal.SIGTERM)
        try:
            process.wait(timeout=STOP_SECONDS)
        except subprocess.TimeoutExpired:
            os.kill(engine.pid, signal.SIGKILL)
            process.wait(timeout=10)
    subprocess.run(["ip", "netns", "delete", engine.namespace], capture_output=True)
    # The veth pair goes with the namespace once its last process has ended.
    subprocess.run(["ip", "link", "delete", engine.host_interface], capture_output=True)
    shutil.rmtree(engine.folder, ignore_errors=True)


@pytest.fixture(scope="session")
def second_engine() -> Iterator[SecondEngine]:
    """A Docker engine of the test run's own, with busybox:latest loaded."""
    engine, process = start_engine()
    try:
        engine.load_image("busybox:latest")
        yield engine
    finally:
        stop_engine(engine, process)
