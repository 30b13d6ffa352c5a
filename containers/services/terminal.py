"""Terminals in containers: a shell through `docker exec`, or `docker attach`.

A session owns one uncached Docker client and one hijacked socket (see
`terminal_io.Pipe`). Closing a Docker exec socket does not end the process
in the container, so `ExecSession.end` signals every process of the session and
checks that the exec stopped.
"""

import logging
import secrets
import shlex
import time
from collections.abc import Callable
from dataclasses import dataclass

import docker

from ..docker_client import DockerError, docker_errors, fresh_client
from ..models import Container
from .terminal_io import Pipe, open_pipe

logger = logging.getLogger(__name__)

SHELLS = ("sh", "bash")
MAX_COMMAND_LENGTH = 1000
MAX_COLS = 1000
MAX_ROWS = 500
# Every process started from a terminal inherits this variable with a random
# value, which is how `end` finds them inside the container.
TOKEN_VARIABLE = "PIER_TERMINAL"
# Signals every process whose environment contains the token. $1 is the
# signal and $2 the token. grep -z (GNU and BusyBox) reads the NUL-separated
# environ file.
SIGNAL_SCRIPT = (
    'for p in /proc/[0-9]*; do grep -qzxF "PIER_TERMINAL=$2" "$p/environ" '
    '2>/dev/null && kill -"$1" "${p#/proc/}" 2>/dev/null; done; true'
)
# By default Docker's exec reads Ctrl-P Ctrl-Q as "detach" and delays a lone
# Ctrl-P (shell history) until the next key. A sequence that people do not type
# lets every key reach the process.
EXEC_DETACH_KEYS = "ctrl-],ctrl-],ctrl-]"
STOP_WAIT_SECONDS = 2.0
POLL_SECONDS = 0.05
ATTACH_EXIT_SECONDS = 0.5
NOT_FOUND_TEXTS = (b"executable file not found", b"no such file or directory")


class TerminalError(Exception):
    """A terminal could not be opened. The message is fit for the page."""


@dataclass
class ExitInfo:
    """The end of a terminal session: its exit code (None if unknown) and a message."""

    code: int | None
    message: str


def parse_command(shell: str) -> list[str]:
    """Return the argv for `sh`, `bash` or a custom command line.

    Raises TerminalError when the command is empty, too long or badly quoted.
    """
    shell = shell.strip()
    if len(shell) > MAX_COMMAND_LENGTH:
        raise TerminalError(
            f"The command is {len(shell)} characters long, but at most "
            f"{MAX_COMMAND_LENGTH} are allowed."
        )
    try:
        argv = shlex.split(shell)
    except ValueError as error:
        raise TerminalError(f"The command {shell!r} is invalid: {error}.") from error
    if not argv:
        raise TerminalError("The command is empty. Enter a program to run, such as sh.")
    return argv


def check_size(cols: object, rows: object) -> tuple[int, int]:
    """Return the size if it is valid, or raise TerminalError."""
    # type() rather than isinstance(), because JSON true and false are bools.
    if type(cols) is int and type(rows) is int:
        if 1 <= cols <= MAX_COLS and 1 <= rows <= MAX_ROWS:
            return cols, rows
    raise TerminalError(
        f"Invalid terminal size {cols!r}x{rows!r}: columns must be whole "
        f"numbers from 1 to {MAX_COLS} and rows from 1 to {MAX_ROWS}."
    )


def poll(
    read: Callable[[], dict], done: Callable[[dict], bool], seconds: float
) -> dict:
    """Call `read` until `done` accepts its result or `seconds` pass; return it."""
    deadline = time.monotonic() + seconds
    state = read()
    while not done(state) and time.monotonic() < deadline:
        time.sleep(POLL_SECONDS)
        state = read()
    return state


def exit_message(program: str, code: int | None, head: bytes) -> str:
    """Explain how an exec ended, naming a program the image does not have."""
    missing = code in (126, 127) and any(text in head for text in NOT_FOUND_TEXTS)
    if missing and program == "sh":
        return "sh was not found in this container, which may have no shell at all."
    if missing:
        return f"{program} was not found in this container; try sh."
    if code is None:
        return f"{program} ended."
    return f"{program} exited with code {code}."


class ExecSession:
    """A command with a TTY started by `docker exec` in a running container."""

    def __init__(self, container: Container, argv: list[str]):
        self.container = container
        self.argv = argv
        self.token = secrets.token_hex(16)
        self.client: docker.DockerClient | None = None
        self.exec_id = ""
        self.started = False
        self.pipe: Pipe | None = None

    @property
    def api(self) -> docker.APIClient:
        assert self.client is not None
        return self.client.api

    def open(self) -> Pipe:
        """Create and start the exec, or raise DockerError or TerminalError."""
        self.client = fresh_client(self.container.host)
        try:
            with docker_errors(self.container.host):
                self.exec_id = self.api.exec_create(
                    self.container.docker_id,
                    self.argv,
                    stdin=True,
                    tty=True,
                    environment={"TERM": "xterm-256color", TOKEN_VARIABLE: self.token},
                    detach_keys=EXEC_DETACH_KEYS,
                )["Id"]
                stream = self.api.exec_start(self.exec_id, socket=True, tty=True)
        except DockerError as error:
            self.client.close()
            self.client = None
            raise self._start_error(error) from error
        logger.info(
            "Exec %s (%s) started in container %s",
            self.exec_id[:12],
            self.argv[0],
            self.container.pk,
        )
        sock = getattr(stream, "_sock", stream)
        self.pipe = open_pipe(sock, f"exec-{self.exec_id[:12]}")
        return self.pipe

    def _start_error(self, error: DockerError) -> Exception:
        text = str(error).encode()
        if any(marker in text for marker in NOT_FOUND_TEXTS):
            return TerminalError(exit_message(self.argv[0], 127, text))
        return error

    def _inspect(self) -> dict:
        with docker_errors(self.container.host):
            return self.api.exec_inspect(self.exec_id)

    def _wait_until(self, done: Callable[[dict], bool], seconds: float) -> dict:
        return poll(self._inspect, done, seconds)

    def resize(self, cols: int, rows: int) -> None:
        """Resize the exec's TTY once its process runs.

        Docker blocks a resize for 10 seconds and then fails when the process has
        not started, so the first resize waits until the exec reports a PID.
        """
        if not self.started:
            state = self._wait_until(
                lambda s: s["Pid"] or not s["Running"], STOP_WAIT_SECONDS
            )
            if not state["Pid"] or not state["Running"]:
                return
            self.started = True
        with docker_errors(self.container.host):
            self.api.exec_resize(self.exec_id, height=rows, width=cols)

    def exit_info(self) -> ExitInfo:
        """Return the exit code once Docker records it, with a message."""
        state = self._wait_until(lambda s: not s["Running"], STOP_WAIT_SECONDS)
        code = None if state["Running"] else state["ExitCode"]
        head = self.pipe.head if self.pipe else b""
        return ExitInfo(code, exit_message(self.argv[0], code, head))

    def end(self) -> None:
        """Close the stream and stop the processes the exec started.

        Like a terminal that closes, this sends SIGHUP to every process of the
        session, background jobs included, and SIGKILL if the exec's own process
        ignores it. Processes that ignore SIGHUP, such as those started with
        nohup, keep running unless the exec's own process ignores it too.
        """
        if self.pipe is not None:
            self.pipe.close()
        if not self.exec_id or self.client is None:
            return
        try:
            self._stop_processes()
        except DockerError as error:
            logger.warning(
                "Could not end exec %s in container %s: %s",
                self.exec_id[:12],
                self.container.pk,
                error,
            )
        finally:
            self.client.close()

    def _stop_processes(self) -> None:
        if not self._inspect()["Pid"]:
            return
        for signal in ("HUP", "KILL"):
            self._signal(signal)
            state = self._wait_until(lambda s: not s["Running"], STOP_WAIT_SECONDS)
            if not state["Running"]:
                logger.info(
                    "Exec %s in container %s ended, SIG%s sent",
                    self.exec_id[:12],
                    self.container.pk,
                    signal,
                )
                return
        # NOTE: an image without sh and grep cannot run SIGNAL_SCRIPT, so a
        # custom command there can outlive its page.
        logger.warning(
            "Exec %s in container %s still runs after SIGKILL",
            self.exec_id[:12],
            self.container.pk,
        )

    def _signal(self, signal: str) -> None:
        argv = ["sh", "-c", SIGNAL_SCRIPT, "sh", signal, self.token]
        with docker_errors(self.container.host):
            kill_id = self.api.exec_create(self.container.docker_id, argv)["Id"]
            self.api.exec_start(kill_id)


class AttachSession:
    """The standard streams of a running container's main process."""

    def __init__(self, container: Container):
        self.container = container
        self.client: docker.DockerClient | None = None
        self.tty = False
        self.stdin = False
        self.pipe: Pipe | None = None

    @property
    def api(self) -> docker.APIClient:
        assert self.client is not None
        return self.client.api

    def open(self) -> Pipe:
        """Attach to the container, or raise DockerError or TerminalError."""
        self.client = fresh_client(self.container.host)
        try:
            stream = self._attach()
        except (DockerError, TerminalError):
            self.client.close()
            self.client = None
            raise
        name = f"attach-{self.container.docker_id[:12]}"
        sock = getattr(stream, "_sock", stream)
        self.pipe = open_pipe(sock, name, demux=not self.tty)
        return self.pipe

    def _attach(self):
        with docker_errors(self.container.host):
            info = self.api.inspect_container(self.container.docker_id)
            if not info["State"]["Running"]:
                raise TerminalError(
                    f"Container {self.container.name} is not running. Start it "
                    "before attaching."
                )
            config = info["Config"]
            self.tty = bool(config.get("Tty"))
            # With StdinOnce, Docker closes the process's stdin when the first
            # attached client leaves, which can end it. So such containers get no input.
            self.stdin = bool(config.get("OpenStdin")) and not config.get("StdinOnce")
            params = {"stdin": int(self.stdin), "stdout": 1, "stderr": 1, "stream": 1}
            return self.api.attach_socket(self.container.docker_id, params=params)

    def resize(self, cols: int, rows: int) -> None:
        """Resize the container's TTY, if it has one."""
        if not self.tty:
            return
        with docker_errors(self.container.host):
            self.api.resize(self.container.docker_id, height=rows, width=cols)

    def _state(self) -> dict:
        with docker_errors(self.container.host):
            return self.api.inspect_container(self.container.docker_id)["State"]

    def exit_info(self) -> ExitInfo:
        """Tell whether the stream ended by detaching or by the container stopping."""
        # Docker may close the stream a moment before it records the exit.
        state = poll(self._state, lambda s: not s["Running"], ATTACH_EXIT_SECONDS)
        if state["Running"]:
            return ExitInfo(None, "Detached; the container is still running.")
        code = state["ExitCode"]
        return ExitInfo(code, f"The container stopped with exit code {code}.")

    def end(self) -> None:
        """Detach: close the stream. The container keeps running."""
        if self.pipe is not None:
            self.pipe.close()
        if self.client is not None:
            self.client.close()
