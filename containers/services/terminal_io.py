"""Byte plumbing for terminals: a hijacked Docker socket as a two-way pipe.

Docker hands an exec or attach stream over as a raw socket. A plain socket (the
local unix socket, plain TCP) is driven by the event loop itself, which saves
two thread handoffs per keystroke. Other sockets (TLS, SSH tunnels) are read and
written by two threads, so their blocking calls run outside the loop that
serves every other websocket. Both kinds deliver output in the loop's thread.
"""

import asyncio
import contextlib
import logging
import queue
import socket
import struct
import threading
from collections.abc import Callable

logger = logging.getLogger(__name__)

READ_SIZE = 16384
# Bytes delivered but not yet sent to the browser. When the browser falls
# behind, the pipe stops reading, so Docker and the process see backpressure.
MAX_PENDING_BYTES = 1024 * 1024
# Bytes of early output kept to explain a failed start (the OCI error text).
HEAD_SIZE = 4096

HEADER = struct.Struct(">BxxxL")

Deliver = Callable[[bytes | None], None]


class ByteDemuxer:
    """Splits Docker's multiplexed stream into (stream, payload) pairs.

    Without a TTY, Docker prefixes each chunk of output with an 8-byte header:
    the stream (0 stdin, 1 stdout, 2 stderr), three zero bytes and the payload
    size as a big-endian 32-bit number. Headers and payloads may be split across
    reads, so incomplete frames wait in a buffer for the next `feed`.
    """

    def __init__(self) -> None:
        self.buffer = bytearray()

    def feed(self, data: bytes) -> list[tuple[int, bytes]]:
        self.buffer.extend(data)
        frames = []
        while len(self.buffer) >= HEADER.size:
            stream, size = HEADER.unpack_from(self.buffer)
            end = HEADER.size + size
            if len(self.buffer) < end:
                break
            frames.append((stream, bytes(self.buffer[HEADER.size : end])))
            del self.buffer[:end]
        return frames


class Pipe:
    """A hijacked Docker socket carrying a terminal's bytes both ways.

    `start(deliver)` calls `deliver(chunk)` in the event loop's thread for each
    chunk of output and `deliver(None)` once when the stream ends. The receiver
    calls `consumed(size)` after it has passed `size` bytes on.
    """

    def __init__(self, sock: socket.socket, name: str, demux: bool = False):
        self.sock = sock
        self.name = name
        self.demuxer = ByteDemuxer() if demux else None
        self.head = b""

    async def start(self, deliver: Deliver) -> None:
        raise NotImplementedError

    def payload(self, data: bytes) -> bytes:
        """Strip frame headers if the stream has them, and keep the first bytes."""
        if self.demuxer is not None:
            data = b"".join(payload for _, payload in self.demuxer.feed(data))
        if len(self.head) < HEAD_SIZE:
            self.head += data[: HEAD_SIZE - len(self.head)]
        return data

    def consumed(self, size: int) -> None:
        raise NotImplementedError

    def write(self, data: bytes) -> None:
        """Send bytes to the process's standard input without blocking."""
        raise NotImplementedError

    def close(self) -> None:
        """Close the socket. Safe to call twice and from any thread."""
        raise NotImplementedError


def open_pipe(sock: socket.socket, name: str, demux: bool = False) -> Pipe:
    """Return the pipe kind that suits the socket."""
    # Only a plain socket can be handed to the event loop. ssl.SSLSocket and
    # the SDK's SSH socket are subclasses, and paramiko channels are no sockets.
    # NOTE: ThreadPipe is tested with a socket pair, not with TLS or SSH hosts.
    if type(sock) is socket.socket:
        return LoopPipe(sock, name, demux)
    return ThreadPipe(sock, name, demux)


class _PipeProtocol(asyncio.Protocol):
    def __init__(self, pipe: "LoopPipe"):
        self.pipe = pipe

    def data_received(self, data: bytes) -> None:
        self.pipe.received(data)

    def connection_lost(self, exc: Exception | None) -> None:
        if exc is not None and not self.pipe.closed:
            logger.info("Stream of %s ended: %s", self.pipe.name, exc)
        self.pipe.deliver(None)


class LoopPipe(Pipe):
    """A plain socket driven by the event loop, with asyncio's flow control."""

    transport: asyncio.Transport | None = None
    closed = False
    pending = 0

    async def start(self, deliver: Deliver) -> None:
        self.deliver = deliver
        self.loop = asyncio.get_running_loop()
        self.transport, _ = await self.loop.create_connection(
            lambda: _PipeProtocol(self), sock=self.sock
        )

    def received(self, data: bytes) -> None:
        data = self.payload(data)
        if not data:
            return
        self.pending += len(data)
        self.deliver(data)
        if self.pending >= MAX_PENDING_BYTES and self.transport is not None:
            self.transport.pause_reading()

    def consumed(self, size: int) -> None:
        self.pending -= size
        transport = self.transport
        if transport is None or self.closed or transport.is_reading():
            return
        if self.pending < MAX_PENDING_BYTES:
            transport.resume_reading()

    def write(self, data: bytes) -> None:
        if self.transport is not None and not self.closed:
            self.transport.write(data)

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        if self.transport is None:
            self.sock.close()
        elif self.loop.is_closed():
            self.transport.abort()
        else:
            self.loop.call_soon_threadsafe(self.transport.abort)


class ThreadPipe(Pipe):
    """A socket read by one thread and written by another."""

    def __init__(self, sock: socket.socket, name: str, demux: bool = False):
        super().__init__(sock, name, demux)
        self.pending = 0
        self.room = threading.Condition()
        self.outbox: queue.SimpleQueue[bytes | None] = queue.SimpleQueue()
        self.closed = threading.Event()

    async def start(self, deliver: Deliver) -> None:
        loop = asyncio.get_running_loop()

        def deliver_in_loop(chunk: bytes | None) -> None:
            # A closed loop means the websocket is gone, so the output has no reader.
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(deliver, chunk)

        # The SDK leaves its request timeout on the socket; an idle terminal
        # must not time out.
        self.sock.settimeout(None)
        threading.Thread(
            target=self._read,
            args=(deliver_in_loop,),
            name=f"{self.name}-read",
            daemon=True,
        ).start()
        threading.Thread(
            target=self._write, name=f"{self.name}-write", daemon=True
        ).start()

    def _read(self, deliver: Deliver) -> None:
        try:
            while self._wait_for_room():
                data = self.sock.recv(READ_SIZE)
                if not data:
                    break
                data = self.payload(data)
                if data:
                    with self.room:
                        self.pending += len(data)
                    deliver(data)
        except OSError as error:
            if not self.closed.is_set():
                logger.info("Stream of %s ended: %s", self.name, error)
        finally:
            deliver(None)

    def _wait_for_room(self) -> bool:
        with self.room:
            while self.pending >= MAX_PENDING_BYTES and not self.closed.is_set():
                self.room.wait()
        return not self.closed.is_set()

    def consumed(self, size: int) -> None:
        with self.room:
            self.pending -= size
            self.room.notify()

    def write(self, data: bytes) -> None:
        if not self.closed.is_set():
            self.outbox.put(data)

    def _write(self) -> None:
        while True:
            data = self.outbox.get()
            if data is None:
                return
            try:
                self.sock.sendall(data)
            except OSError as error:
                if not self.closed.is_set():
                    logger.info("Writing to %s failed: %s", self.name, error)
                return

    def close(self) -> None:
        if self.closed.is_set():
            return
        self.closed.set()
        self.outbox.put(None)
        with self.room:
            self.room.notify()
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_RDWR)
        self.sock.close()
