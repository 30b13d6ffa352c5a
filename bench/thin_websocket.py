"""A blocking websocket client without threads, for measuring latency.

The `websockets` client reads in a background thread, which adds a thread
switch to every frame it receives. The terminal benchmark compares Pier with a
raw socket, so its websocket client is a socket too: one `sendall` per frame
sent, and reads of exactly the bytes a frame has.
"""

import base64
import os
import socket
import struct
from urllib.parse import urlsplit

TEXT, BINARY, CLOSE = 0x1, 0x2, 0x8


class ThinWebsocket:
    """A client websocket over a plain TCP socket, for 127.0.0.1 only."""

    def __init__(self, url: str, origin: str, cookie: str = "", timeout: float = 10):
        parts = urlsplit(url)
        self.sock = socket.create_connection((parts.hostname, parts.port), timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        key = base64.b64encode(os.urandom(16)).decode()
        lines = [
            f"GET {parts.path or '/'}{'?' + parts.query if parts.query else ''} "
            "HTTP/1.1",
            f"Host: {parts.netloc}",
            "Upgrade: websocket",
            "Connection: Upgrade",
            f"Sec-WebSocket-Key: {key}",
            "Sec-WebSocket-Version: 13",
            f"Origin: {origin}",
        ]
        if cookie:
            lines.append(f"Cookie: sessionid={cookie}")
        self.sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        response = b""
        while b"\r\n\r\n" not in response:
            data = self.sock.recv(4096)
            if not data:
                raise ConnectionError("the server closed the handshake")
            response += data
        head, _, self.pending = response.partition(b"\r\n\r\n")
        if not head.startswith(b"HTTP/1.1 101"):
            raise ConnectionError(head.split(b"\r\n")[0].decode(errors="replace"))

    def send(self, payload: bytes | str) -> None:
        opcode = TEXT if isinstance(payload, str) else BINARY
        data = payload.encode() if isinstance(payload, str) else payload
        mask = os.urandom(4)
        masked = bytes(byte ^ mask[index % 4] for index, byte in enumerate(data))
        if len(data) < 126:
            header = struct.pack("!BB", 0x80 | opcode, 0x80 | len(data))
        else:
            header = struct.pack("!BBH", 0x80 | opcode, 0x80 | 126, len(data))
        self.sock.sendall(header + mask + masked)

    def recv(self) -> bytes | str:
        """Return the next data frame's payload: bytes for binary, str for text."""
        while True:
            first, second = self._read(2)
            length = second & 0x7F
            if length == 126:
                (length,) = struct.unpack("!H", self._read(2))
            elif length == 127:
                (length,) = struct.unpack("!Q", self._read(8))
            payload = self._read(length)
            opcode = first & 0x0F
            if opcode == CLOSE:
                raise ConnectionError("the server closed the websocket")
            if opcode == TEXT:
                return payload.decode()
            if opcode == BINARY:
                return payload

    def _read(self, count: int) -> bytes:
        while len(self.pending) < count:
            data = self.sock.recv(65536)
            if not data:
                raise ConnectionError("the server closed the connection")
            self.pending += data
        data, self.pending = self.pending[:count], self.pending[count:]
        return data

    def close(self) -> None:
        self.sock.close()
