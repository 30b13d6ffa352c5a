"""Container logs: the last lines, and one shared follow stream per container.

Every viewer of a container in this process shares one `LogPump`, so a hundred
open pages cost one Docker stream. Lines carry Docker's timestamps, which is how
a viewer joins its backlog to the live stream without gaps or repeats.

The pump hands out `Batch`es of text blocks, each a run of complete lines of one
stream, and splits them into lines only for a subscriber that asks: a busy log
then costs the web process a few operations per block instead of per line.
"""

import contextlib
import logging
import socket
import threading
import time
from collections.abc import Callable, Iterator

from ..docker_client import DockerError, docker_errors, fresh_client
from ..models import Container
from .logframes import ChunkedDecoder, FrameParser, RawParser, block_lines

logger = logging.getLogger(__name__)

# A line as sent to pages: [stream, timestamp, text].
Line = list[str]
# A stream's run of complete lines: (stream, "<timestamp> <text>\n" repeated).
Block = tuple[str, str]


class Batch:
    """The blocks that one read of a followed log returned."""

    def __init__(self, blocks: list[Block]):
        self.blocks = blocks
        self._lines: list[Line] | None = None

    @property
    def lines(self) -> list[Line]:
        """Return the blocks as lines, split once and shared by every subscriber."""
        if self._lines is None:
            self._lines = block_lines(self.blocks)
        return self._lines


Subscriber = Callable[[Batch | None], None]


def _open(container: Container, params: dict):
    client = fresh_client(container.host, timeout=None)
    api = client.api
    with docker_errors(container.host):
        tty = api.inspect_container(container.docker_id)["Config"].get("Tty", False)
        url = api._url("/containers/{0}/logs", container.docker_id)
        response = api._get(url, params=params, stream=True)
        api._raise_for_status(response)
    return client, response, tty


def _chunks(response) -> Iterator[bytes]:
    """Yield data as soon as it arrives, in whatever pieces the engine sends.

    Docker sends one HTTP chunk per log entry, and urllib3 returns at most one
    chunk per read. When the connection's buffered reader is reachable, the
    chunks are decoded here instead, so one read takes everything the socket
    has: a busy log arrives in large blocks and a quiet one line by line.
    """
    reader = getattr(getattr(response.raw, "_fp", None), "fp", None)
    if response.raw.chunked and hasattr(reader, "read1"):
        decoder = ChunkedDecoder()
        while not decoder.done and (data := reader.read1(65536)):
            if body := decoder.feed(data):
                yield body
        return
    while chunk := response.raw.read1(65536):
        yield chunk


def _read(response, tty: bool) -> Iterator[list[Block]]:
    parser = RawParser() if tty else FrameParser()
    for chunk in _chunks(response):
        if blocks := parser.feed_blocks(chunk):
            yield blocks
    if rest := parser.finish():
        yield [(stream, f"{text}\n") for stream, text in rest]


def read_tail(container: Container, tail: int) -> list[Line]:
    """Return the container's last `tail` lines (all lines when tail is 0 or less)."""
    params = {
        "stdout": 1,
        "stderr": 1,
        "timestamps": 1,
        "tail": tail if tail > 0 else "all",
    }
    client, response, tty = _open(container, params)
    try:
        return [line for blocks in _read(response, tty) for line in block_lines(blocks)]
    finally:
        response.close()
        client.close()


def iter_all(container: Container) -> Iterator[bytes]:
    """Yield the container's whole log as text, for a download, without buffering it."""
    params = {"stdout": 1, "stderr": 1, "timestamps": 1, "tail": "all"}
    client, response, tty = _open(container, params)
    try:
        for blocks in _read(response, tty):
            yield "".join(text for _, text in blocks).encode()
    finally:
        response.close()
        client.close()


class LogPump:
    """Follows one container's log in a thread and hands batches to subscribers."""

    def __init__(self, container: Container):
        self.container = container
        self.subscribers: list[Subscriber] = []
        self.lock = threading.Lock()
        self.response = None
        self.thread = threading.Thread(
            target=self._run, name=f"logs-{container.docker_id[:12]}", daemon=True
        )

    def _run(self) -> None:
        since = f"{time.time() - 1:.9f}"
        params = {
            "stdout": 1,
            "stderr": 1,
            "timestamps": 1,
            "follow": 1,
            "since": since,
        }
        client = None
        try:
            client, self.response, tty = _open(self.container, params)
            for blocks in _read(self.response, tty):
                self._publish(Batch(blocks))
        except (DockerError, OSError, ValueError, AttributeError) as error:
            if self.subscribers:
                logger.info(
                    "Log stream of container %s ended: %s", self.container.pk, error
                )
        finally:
            if client is not None:
                client.close()
            _PUMPS.discard(self)
            self._publish(None)

    def _publish(self, batch: Batch | None) -> None:
        with self.lock:
            subscribers = list(self.subscribers)
        for subscriber in subscribers:
            subscriber(batch)

    def add(self, subscriber: Subscriber) -> None:
        with self.lock:
            self.subscribers.append(subscriber)

    def remove(self, subscriber: Subscriber) -> bool:
        """Remove a subscriber; stop the stream when it was the last one."""
        with self.lock:
            if subscriber in self.subscribers:
                self.subscribers.remove(subscriber)
            empty = not self.subscribers
        if empty:
            _PUMPS.discard(self)
            response = self.response
            if response is not None:
                _close(response)
        return empty


def _close(response) -> None:
    """Close a streamed response, also when another thread is blocked reading it.

    Closing the buffered reader waits for the reader's lock, which a read holds
    until data arrives: forever when the host went silent. Shutting the socket
    down first makes that read return at once.
    """
    sock = getattr(getattr(response.raw, "_connection", None), "sock", None)
    if sock is not None:
        with contextlib.suppress(OSError, AttributeError):
            sock.shutdown(socket.SHUT_RDWR)
    response.close()


class _PumpRegistry:
    def __init__(self):
        self.pumps: dict[tuple[int, str], LogPump] = {}
        self.lock = threading.Lock()

    def subscribe(self, container: Container, subscriber: Subscriber) -> LogPump:
        key = (container.host_id, container.docker_id)
        with self.lock:
            pump = self.pumps.get(key)
            fresh = pump is None
            if fresh:
                pump = self.pumps[key] = LogPump(container)
            pump.add(subscriber)
        if fresh:
            pump.thread.start()
        return pump

    def discard(self, pump: LogPump) -> None:
        key = (pump.container.host_id, pump.container.docker_id)
        with self.lock:
            if self.pumps.get(key) is pump:
                del self.pumps[key]

    def count(self) -> int:
        with self.lock:
            return len(self.pumps)


_PUMPS = _PumpRegistry()
subscribe = _PUMPS.subscribe
open_pumps = _PUMPS.count
