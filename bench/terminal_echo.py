"""Measure the keystroke echo delay of Pier's terminal against a raw Docker exec.

Starts Pier's real processes (daphne, worker, watcher) on a throwaway SQLite
database, runs a busybox container, and opens two TTY execs of `cat` in it: one
through Pier's terminal websocket, one straight through the Docker SDK. Each
keystroke is one byte; its delay is the time until the TTY's echo comes back.

Run from the repository root:

    .venv/bin/python bench/terminal_echo.py --keystrokes 200

Needs the local Docker engine with `busybox:latest`, and Redis on 127.0.0.1:6379.
"""

import argparse
import json
import os
import shutil
import socket
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
WORK_DIR = Path(tempfile.mkdtemp(prefix="pier-bench-"))
os.environ["PIER_SQLITE_PATH"] = str(WORK_DIR / "pier.sqlite3")
os.environ["PIER_INSTANCE"] = f"pier-bench-{os.getpid()}"
os.environ["DJANGO_SETTINGS_MODULE"] = "tests.settings"
os.environ.pop("DATABASE_URL", None)

import django  # noqa: E402

django.setup()

import docker  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.test import Client  # noqa: E402
from websockets.sync.client import connect  # noqa: E402

from containers.models import Container, DockerHost, Profile  # noqa: E402
from containers.services.hosts import register_local_host  # noqa: E402
from tests.stack import PierStack  # noqa: E402

PAUSE_SECONDS = 0.005


def measure(send: Callable[[bytes], None], receive: Callable[[], bytes], count: int):
    """Return the echo delay of `count` single-byte keystrokes, in milliseconds."""
    delays = []
    for index in range(count):
        key = bytes([ord("a") + index % 26])
        started = time.perf_counter()
        send(key)
        echoed = b""
        while key not in echoed:
            echoed += receive()
        delays.append((time.perf_counter() - started) * 1000)
        time.sleep(PAUSE_SECONDS)
    return delays


def summary(delays: list[float]) -> tuple[float, float]:
    ordered = sorted(delays)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * len(ordered)) - 1)]
    return statistics.median(ordered), p95


def raw_exec_delays(api: docker.APIClient, container_id: str, count: int):
    exec_id = api.exec_create(container_id, ["cat"], stdin=True, tty=True)["Id"]
    stream = api.exec_start(exec_id, socket=True, tty=True)
    sock: socket.socket = stream._sock
    sock.settimeout(10)
    try:
        return measure(sock.sendall, lambda: sock.recv(4096), count)
    finally:
        sock.sendall(b"\x04")
        sock.close()


def wait_until_ready(websocket) -> None:
    while True:
        frame = websocket.recv(timeout=10)
        if isinstance(frame, str) and json.loads(frame)["type"] == "ready":
            return


def pier_delays(stack: PierStack, container: Container, cookie: str, count: int):
    url = stack.base_url.replace("http://", "ws://")
    path = f"/ws/containers/{container.pk}/terminal/?shell=cat"
    headers = {"Cookie": f"sessionid={cookie}", "Origin": stack.base_url}
    with connect(
        url + path, additional_headers=headers, proxy=None, compression=None
    ) as websocket:

        def receive() -> bytes:
            frame = websocket.recv(timeout=10)
            return frame if isinstance(frame, bytes) else b""

        wait_until_ready(websocket)
        measure(websocket.send, receive, 20)
        delays = measure(websocket.send, receive, count)
        websocket.send(b"\x04")
        return delays


def wait_for(check: Callable[[], object], what: str, timeout: float = 30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.1)
    raise RuntimeError(f"Timed out waiting for {what}")


def prepare() -> tuple[str, DockerHost]:
    call_command("migrate", verbosity=0)
    host = register_local_host()
    assert host is not None
    user = get_user_model().objects.create_user(username="bench", password=None)
    Profile.objects.create(user=user, role=Profile.OPERATOR)
    client = Client()
    client.force_login(user)
    return client.cookies["sessionid"].value, host


def run(count: int) -> None:
    cookie, host = prepare()
    api = docker.APIClient(base_url="unix:///var/run/docker.sock", version="auto")
    name = f"pier-bench-{uuid.uuid4().hex[:8]}"
    stack = PierStack(WORK_DIR).start()
    docker_id = ""
    try:
        wait_for(lambda: DockerHost.objects.get(pk=host.pk).status == "online", "host")
        docker_id = api.create_container(
            "busybox:latest", ["sleep", "3600"], name=name, labels={"pier.bench": "1"}
        )["Id"]
        api.start(docker_id)
        container = wait_for(
            lambda: Container.objects.filter(docker_id=docker_id).first(), "mirror"
        )
        raw_exec_delays(api, docker_id, 20)
        raw = raw_exec_delays(api, docker_id, count)
        pier = pier_delays(stack, container, cookie, count)
    finally:
        if docker_id:
            api.remove_container(docker_id, force=True)
        stack.stop()
    shutil.rmtree(WORK_DIR, ignore_errors=True)
    report(raw, pier, count)


def report(raw: list[float], pier: list[float], count: int) -> None:
    raw_median, raw_p95 = summary(raw)
    pier_median, pier_p95 = summary(pier)
    print(f"keystrokes: {count} each, {PAUSE_SECONDS * 1000:.0f} ms apart")
    print(f"raw Docker exec: median {raw_median:.2f} ms, p95 {raw_p95:.2f} ms")
    print(f"Pier terminal:   median {pier_median:.2f} ms, p95 {pier_p95:.2f} ms")
    print(f"ratio Pier/raw:  median {pier_median / raw_median:.2f}x, ", end="")
    print(f"p95 {pier_p95 / raw_p95:.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--keystrokes", type=int, default=200, help="keystrokes measured per path"
    )
    run(parser.parse_args().keystrokes)


if __name__ == "__main__":
    main()
