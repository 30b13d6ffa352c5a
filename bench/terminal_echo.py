"""Measure the keystroke echo delay of Pier's terminal against a raw Docker exec.

Starts Pier's real processes (web, worker, watcher) on a throwaway SQLite
database and runs a busybox container. Three paths echo one byte per keystroke:

- raw: a TTY exec of `cat` through the Docker SDK's socket (the TTY echoes);
- pier: the same exec through Pier's terminal websocket (`?shell=cat`);
- floor: a consumer on Pier's consumer base that echoes websocket frames,
  served like Pier's pages with Pier's settings and no Docker at all: the cost
  of the websocket alone.

The websocket paths use a thin blocking client (`thin_websocket.py`), as thin
as the raw path's socket.

The paths take turns in rounds, so load from other programs hits all three.
Run from the repository root:

    .venv/bin/python bench/terminal_echo.py --keystrokes 200

Needs the local Docker engine with `busybox:latest`, and Redis on 127.0.0.1:6379.
"""

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import docker
from harness import ROOT, WORK_DIR, make_user, start_pier, summary
from thin_websocket import ThinWebsocket

from containers.models import Container
from tests.conftest import session_cookie
from tests.stack import PierStack, free_tcp_port

PAUSE_SECONDS = 0.005
ROUNDS = 4
WARM_UP = 20
ECHO_APP = """
import django

django.setup()

from channels.auth import AuthMiddlewareStack

from containers.consumers.base import PierConsumer


class Echo(PierConsumer):
    def authorize(self, user):
        pass

    async def receive(self, text_data=None, bytes_data=None):
        await self.send(bytes_data=bytes_data)


application = AuthMiddlewareStack(Echo.as_asgi())
"""
SERVE_ECHO = (
    "from containers.management.commands.serve import serve; "
    "serve('pier_bench_echo:application', '127.0.0.1', {port})"
)

Send = Callable[[bytes], None]
Receive = Callable[[], bytes]


def measure(send: Send, receive: Receive, count: int) -> list[float]:
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


@contextmanager
def raw_exec(
    api: docker.APIClient, container_id: str
) -> Iterator[tuple[Send, Receive]]:
    exec_id = api.exec_create(container_id, ["cat"], stdin=True, tty=True)["Id"]
    sock: socket.socket = api.exec_start(exec_id, socket=True, tty=True)._sock
    sock.settimeout(10)
    try:
        yield sock.sendall, lambda: sock.recv(4096)
    finally:
        sock.sendall(b"\x04")
        sock.close()


def websocket_ends(websocket: ThinWebsocket) -> tuple[Send, Receive]:
    def receive() -> bytes:
        frame = websocket.recv()
        return frame if isinstance(frame, bytes) else b""

    return websocket.send, receive


@contextmanager
def open_websocket(url: str, origin: str, cookie: str = "") -> Iterator[ThinWebsocket]:
    websocket = ThinWebsocket(url, origin, cookie)
    try:
        yield websocket
    finally:
        websocket.close()


@contextmanager
def pier_terminal(stack: PierStack, container: Container, cookie: str):
    url = stack.base_url.replace("http://", "ws://")
    path = f"/ws/containers/{container.pk}/terminal/?shell=cat"
    with open_websocket(url + path, stack.base_url, cookie) as websocket:
        while True:
            frame = websocket.recv()
            if isinstance(frame, str) and json.loads(frame)["type"] == "ready":
                break
        yield websocket_ends(websocket)
        websocket.send(b"\x04")


@contextmanager
def channels_echo(stack: PierStack, cookie: str) -> Iterator[tuple[Send, Receive]]:
    (WORK_DIR / "pier_bench_echo.py").write_text(ECHO_APP)
    port = free_tcp_port()
    env = {**stack.env, "PYTHONPATH": f"{WORK_DIR}{os.pathsep}{ROOT}"}
    with open(WORK_DIR / "echo.log", "w") as log:
        process = subprocess.Popen(
            [sys.executable, "-c", SERVE_ECHO.format(port=port)],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        origin = f"http://127.0.0.1:{port}"
        wait_for(lambda: port_open(port), "the echo server")
        with open_websocket(f"ws://127.0.0.1:{port}/", origin, cookie) as websocket:
            yield websocket_ends(websocket)
    finally:
        process.terminate()
        process.wait(10)


def port_open(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def wait_for(check: Callable[[], object], description: str, timeout: float = 30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.1)
    raise RuntimeError(f"Timed out waiting for {description}")


def start_container(api: docker.APIClient) -> Container:
    name = f"pier-bench-{uuid.uuid4().hex[:8]}"
    docker_id = api.create_container(
        "busybox:latest", ["sleep", "3600"], name=name, labels={"pier.bench": name}
    )["Id"]
    api.start(docker_id)
    return wait_for(
        lambda: Container.objects.filter(docker_id=docker_id).first(), "the mirror"
    )


def run(count: int) -> dict[str, list[float]]:
    stack, _ = start_pier()
    user, _ = make_user()
    cookie = session_cookie(user)
    api = docker.APIClient(base_url="unix:///var/run/docker.sock", version="auto")
    container = None
    delays: dict[str, list[float]] = {"raw": [], "pier": [], "floor": []}
    try:
        container = start_container(api)
        with (
            raw_exec(api, container.docker_id) as raw,
            pier_terminal(stack, container, cookie) as pier,
            channels_echo(stack, cookie) as floor,
        ):
            paths = {"raw": raw, "pier": pier, "floor": floor}
            for send, receive in paths.values():
                measure(send, receive, WARM_UP)
            for _ in range(ROUNDS):
                for name, (send, receive) in paths.items():
                    delays[name] += measure(send, receive, count // ROUNDS)
    finally:
        if container is not None:
            api.remove_container(container.docker_id, force=True)
        stack.stop()
    # Kept when the run fails: the web, worker and watcher logs are in it.
    shutil.rmtree(WORK_DIR, ignore_errors=True)
    return delays


def report(delays: dict[str, list[float]]) -> None:
    labels = {
        "raw": "raw Docker exec (SDK socket)",
        "pier": "Pier terminal websocket",
        "floor": "Channels echo, no Docker",
    }
    figures = {name: summary(values) for name, values in delays.items()}
    print(
        f"{len(delays['raw'])} keystrokes per path, {PAUSE_SECONDS * 1000:.0f} ms apart"
    )
    for name, label in labels.items():
        median, p95 = figures[name]["median"], figures[name]["p95"]
        print(f"{label:30} median {median:.2f} ms, p95 {p95:.2f} ms")
    for statistic in ("median", "p95"):
        ratio = figures["pier"][statistic] / figures["raw"][statistic]
        print(f"Pier / raw, {statistic}: {ratio:.1f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--keystrokes", type=int, default=200, help="keystrokes measured per path"
    )
    report(run(parser.parse_args().keystrokes))


if __name__ == "__main__":
    main()
