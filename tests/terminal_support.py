"""Helpers for the terminal tests: app containers and a websocket terminal client."""

import json
import time
from dataclasses import dataclass, field

import requests
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from containers.models import App, Container, Team
from tests.conftest import session_cookie, unique

PROMPT = b"# "


@dataclass
class AppContainer:
    """A busybox container of a Pier app, with its mirror row."""

    container: Container
    team: Team
    docker_id: str


def app_containers(local_host, users, docker_api):
    """Yield a factory of running busybox containers, each owned by a new app.

    Test modules wrap this in their own `app_container` fixture; the containers
    are removed when the fixture ends.
    """
    created: list[str] = []

    def make(
        command=("sleep", "3600"),
        tty: bool = False,
        stdin: bool = False,
        stdin_once: bool = False,
    ):
        team = users.team()
        app = App.objects.create(name=unique("term"), team=team, host=local_host)
        entry = docker_api.create_container(
            "busybox:latest",
            list(command),
            name=app.name,
            tty=tty,
            stdin_open=stdin,
            # The SDK sets StdinOnce unless the container is created detached.
            detach=not stdin_once,
            labels={"pier.app": app.name},
        )
        created.append(entry["Id"])
        docker_api.start(entry["Id"])
        return AppContainer(wait_for_mirror(entry["Id"]), team, entry["Id"])

    yield make
    for docker_id in created:
        docker_api.remove_container(docker_id, force=True)


def wait_for_mirror(docker_id: str, app: bool = True, timeout: float = 15) -> Container:
    """Wait until the watcher mirrors the running container (with its app)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        row = Container.objects.filter(docker_id=docker_id, state="running").first()
        if row is not None and (row.app_id is not None or not app):
            return row
        time.sleep(0.1)
    raise AssertionError(f"container {docker_id[:12]} was not mirrored")


def open_socket(stack, user, path: str, session: str = "") -> ClientConnection:
    """Open a websocket to Pier as the user (anonymous when user is None)."""
    headers = {"Origin": stack.base_url}
    cookie = session or (session_cookie(user) if user is not None else "")
    if cookie:
        headers["Cookie"] = f"sessionid={cookie}"
    return connect(
        stack.base_url.replace("http://", "ws://") + path,
        additional_headers=headers,
        proxy=None,
        open_timeout=10,
    )


def http_session(user, session: str = "") -> requests.Session:
    """Return an HTTP client of the stack, logged in as the user unless None."""
    client = requests.Session()
    client.trust_env = False
    if user is not None:
        client.cookies.set("sessionid", session or session_cookie(user))
    return client


def log_out(stack, client: requests.Session) -> None:
    client.get(stack.base_url + "/", timeout=10).raise_for_status()
    token = client.cookies["csrftoken"]
    response = client.post(
        stack.base_url + "/logout/",
        headers={"X-CSRFToken": token},
        allow_redirects=False,
        timeout=10,
    )
    assert response.status_code == 302


def close_code(socket: ClientConnection, timeout: float = 10) -> int | None:
    """Read until the server closes the socket; return its close code."""
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            socket.recv(timeout=max(0.01, deadline - time.monotonic()))
    except ConnectionClosed as closed:
        return closed.rcvd.code if closed.rcvd else None
    except TimeoutError:
        return None
    return None


@dataclass
class Terminal:
    """A websocket terminal: keystrokes out, output and control messages in."""

    socket: ClientConnection
    output: bytes = b""
    messages: list[dict] = field(default_factory=list)
    frame_types: set[type] = field(default_factory=set)

    def send(self, keys: bytes) -> None:
        self.socket.send(keys)

    def resize(self, cols: int, rows: int) -> None:
        self.socket.send(json.dumps({"type": "resize", "cols": cols, "rows": rows}))

    def _receive(self, timeout: float) -> None:
        frame = self.socket.recv(timeout=timeout)
        if isinstance(frame, str):
            self.messages.append(json.loads(frame))
            return
        self.frame_types.add(type(frame))
        self.output += frame

    def read_until(self, *markers: bytes, timeout: float = 10) -> bytes:
        """Read until every marker appears in new output; return that output."""
        start = len(self.output)
        deadline = time.monotonic() + timeout
        while not all(marker in self.output[start:] for marker in markers):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"{markers!r} not in {self.output[start:]!r}")
            self._receive(remaining)
        return self.output[start:]

    def message(self, kind: str, timeout: float = 10) -> dict:
        """Read until a control message of the kind arrives; return it."""
        deadline = time.monotonic() + timeout
        while True:
            found = [message for message in self.messages if message["type"] == kind]
            if found:
                return found[0]
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"no {kind} message in {self.messages!r}")
            self._receive(remaining)


def open_terminal(stack, user, container: Container, query: str = "") -> Terminal:
    """Open a terminal, wait until it is ready and for the shell's prompt."""
    path = f"/ws/containers/{container.pk}/terminal/{query}"
    terminal = Terminal(open_socket(stack, user, path))
    terminal.message("ready")
    terminal.read_until(PROMPT)
    return terminal


def container_processes(docker_api, docker_id: str) -> list[str]:
    """Return the sorted command lines of the container's processes."""
    listing = docker_api.top(docker_id)
    column = listing["Titles"].index("CMD")
    return sorted(row[column] for row in listing["Processes"])


def wait_for_processes(docker_api, docker_id: str, expected: list[str]) -> list[str]:
    """Wait up to 10 s for the container to run exactly `expected`; return its list."""
    deadline = time.monotonic() + 10
    processes = container_processes(docker_api, docker_id)
    while processes != sorted(expected) and time.monotonic() < deadline:
        time.sleep(0.1)
        processes = container_processes(docker_api, docker_id)
    return processes
