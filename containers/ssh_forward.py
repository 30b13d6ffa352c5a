"""A local unix socket that reaches a remote Docker engine through Pier's SSH.

Programs that speak the Docker API but know nothing of Pier's SSH settings (the
compose binary) connect to the socket. Each connection they open is relayed
over its own SSH channel running `docker system dial-stdio`, on one SSH
connection that offers only the host's stored key and accepts only its recorded
host key (see `ssh_transport`).
"""

import contextlib
import logging
import os
import select
import socket
import threading
from collections.abc import Callable
from pathlib import Path

import paramiko

from .models import DockerHost
from .ssh_transport import SSHConnectError, open_dial_channel, open_pinned_client

logger = logging.getLogger(__name__)

CHUNK_BYTES = 65536
# How often blocked accept and select calls look whether the forward is closing.
POLL_SECONDS = 0.5
LISTEN_BACKLOG = 32


class SSHSocketForward:
    """A unix socket on ``path`` whose connections reach the host's engine.

    `start` connects over SSH first, so a wrong key, a changed host key or an
    unreachable server raise there (SSHConnectError or OSError) before anything
    uses the socket. The socket file is created with mode 0600. The caller
    chooses ``path`` in a folder that only Pier's user may enter, and removes
    that folder after `close`.
    """

    def __init__(self, host: DockerHost, path: Path, timeout: int):
        self.host = host
        self.path = Path(path)
        self.timeout = timeout
        self.client: paramiko.SSHClient | None = None
        self.listener: socket.socket | None = None
        self.stopped = threading.Event()
        self.threads: list[threading.Thread] = []
        self.channels: set[paramiko.Channel] = set()
        self.lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"unix://{self.path}"

    def __enter__(self) -> "SSHSocketForward":
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def start(self) -> None:
        self.client = open_pinned_client(self.host, self.timeout)
        try:
            self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            self.listener.bind(str(self.path))
            # The umask is process-wide, so it is left alone. Until this chmod
            # the socket is still private, because its folder is.
            os.chmod(self.path, 0o600)
            self.listener.listen(LISTEN_BACKLOG)
            self.listener.settimeout(POLL_SECONDS)
        except BaseException:
            self.close()
            raise
        self._spawn(self._accept)
        logger.info("SSH forward to host %s listening on %s", self.host.pk, self.path)

    def close(self) -> None:
        """Stop accepting, end every relayed connection and the SSH connection."""
        self.stopped.set()
        if self.listener is not None:
            self.listener.close()
        with self.lock:
            channels = list(self.channels)
        for channel in channels:
            channel.close()
        for thread in self.threads:
            thread.join(timeout=POLL_SECONDS * 4)
        if self.client is not None:
            self.client.close()
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()

    def _spawn(self, target: Callable[..., None], *args: object) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True)
        self.threads.append(thread)
        thread.start()

    def _accept(self) -> None:
        while not self.stopped.is_set():
            try:
                connection, _ = self.listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self._spawn(self._serve, connection)

    def _serve(self, connection: socket.socket) -> None:
        target = self.host.url.removeprefix("ssh://")
        try:
            channel = open_dial_channel(
                self.client.get_transport(), self.timeout, target
            )
        except SSHConnectError as error:
            logger.warning("SSH forward to host %s failed: %s", self.host.pk, error)
            connection.close()
            return
        # Relayed streams (logs, events) may stay silent for a long time.
        channel.settimeout(None)
        with self.lock:
            self.channels.add(channel)
        try:
            self._relay(connection, channel)
        except (OSError, paramiko.SSHException) as error:
            logger.info(
                "A connection forwarded to host %s ended: %s", self.host.pk, error
            )
        finally:
            _log_remote_errors(self.host, channel)
            with self.lock:
                self.channels.discard(channel)
            channel.close()
            connection.close()

    def _relay(self, connection: socket.socket, channel: paramiko.Channel) -> None:
        """Copy bytes both ways, passing on each side's end of data to the other.

        Docker's hijacked connections (attach, BuildKit sessions) close one
        direction while the other keeps going, so an end of data on one side
        only shuts down writing on the other.
        """
        local_open = remote_open = True
        while (local_open or remote_open) and not self.stopped.is_set():
            waiting = []
            if local_open:
                waiting.append(connection)
            if remote_open:
                waiting.append(channel)
            readable, _, _ = select.select(waiting, [], [], POLL_SECONDS)
            if connection in readable:
                data = connection.recv(CHUNK_BYTES)
                if data:
                    channel.sendall(data)
                else:
                    channel.shutdown_write()
                    local_open = False
            if channel in readable:
                data = channel.recv(CHUNK_BYTES)
                if data:
                    connection.sendall(data)
                else:
                    connection.shutdown(socket.SHUT_WR)
                    remote_open = False


def _log_remote_errors(host: DockerHost, channel: paramiko.Channel) -> None:
    """Log what `docker system dial-stdio` wrote to stderr, e.g. a missing CLI."""
    if not channel.recv_stderr_ready():
        return
    output = channel.recv_stderr(4096).decode("utf-8", "replace").strip()
    if output:
        logger.warning(
            "`docker system dial-stdio` on host %s wrote: %s", host.pk, output
        )
