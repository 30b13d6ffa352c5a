"""Pure parsing of Docker log streams into lines.

Without a TTY, Docker multiplexes stdout and stderr into frames: one byte for
the stream (1 stdout, 2 stderr), three zero bytes, a 4-byte big-endian length,
then the payload. With a TTY the stream is raw bytes. Either way a line or a
UTF-8 character can be split across chunks, so decoding is incremental.
"""

import codecs
import struct

STREAMS = {0: "stdout", 1: "stdout", 2: "stderr"}
HEADER_SIZE = 8


class LineSplitter:
    """Turns byte chunks of one stream into complete text lines."""

    def __init__(self):
        self.decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self.partial = ""

    def feed(self, data: bytes) -> list[str]:
        text = self.partial + self.decoder.decode(data)
        lines = text.split("\n")
        self.partial = lines.pop()
        return [line.removesuffix("\r") for line in lines]

    def feed_block(self, data: bytes) -> str:
        """Return the complete lines as one text, each ending in a newline."""
        text = self.partial + self.decoder.decode(data)
        cut = text.rfind("\n") + 1
        self.partial = text[cut:]
        return text[:cut]

    def finish(self) -> list[str]:
        text = self.partial + self.decoder.decode(b"", final=True)
        self.partial = ""
        return [text] if text else []


class FrameParser:
    """Splits a multiplexed stream (arbitrary chunks) into (stream, line) pairs."""

    def __init__(self):
        self.buffer = bytearray()
        self.splitters = {"stdout": LineSplitter(), "stderr": LineSplitter()}

    def feed(self, chunk: bytes) -> list[tuple[str, str]]:
        return [
            (stream, line)
            for stream, data in self._runs(chunk)
            for line in self.splitters[stream].feed(data)
        ]

    def feed_blocks(self, chunk: bytes) -> list[tuple[str, str]]:
        """Return (stream, text of complete lines) for each run of one stream."""
        blocks = []
        for stream, data in self._runs(chunk):
            if text := self.splitters[stream].feed_block(data):
                blocks.append((stream, text))
        return blocks

    def _runs(self, chunk: bytes) -> list[tuple[str, bytes]]:
        """Strip the frame headers; join the payloads of consecutive frames of a stream.

        The buffer is cut once at the end, because a 64 KiB read contains
        thousands of frames.
        """
        buffer = bytes(self.buffer) + chunk if self.buffer else chunk
        position = 0
        runs: list[tuple[str, bytes]] = []
        run_stream, run_parts = "", []
        while len(buffer) - position >= HEADER_SIZE:
            kind, length = struct.unpack_from(">BxxxL", buffer, position)
            end = position + HEADER_SIZE + length
            if len(buffer) < end:
                break
            stream = STREAMS.get(kind, "stdout")
            if stream != run_stream and run_parts:
                runs.append((run_stream, b"".join(run_parts)))
                run_parts = []
            run_stream = stream
            run_parts.append(buffer[position + HEADER_SIZE : end])
            position = end
        if run_parts:
            runs.append((run_stream, b"".join(run_parts)))
        self.buffer = bytearray(buffer[position:])
        return runs

    def finish(self) -> list[tuple[str, str]]:
        return [
            (stream, line)
            for stream, splitter in self.splitters.items()
            for line in splitter.finish()
        ]


class RawParser:
    """Splits a TTY stream (no frames) into ("stdout", line) pairs."""

    def __init__(self):
        self.splitter = LineSplitter()

    def feed(self, chunk: bytes) -> list[tuple[str, str]]:
        return [("stdout", line) for line in self.splitter.feed(chunk)]

    def feed_blocks(self, chunk: bytes) -> list[tuple[str, str]]:
        text = self.splitter.feed_block(chunk)
        return [("stdout", text)] if text else []

    def finish(self) -> list[tuple[str, str]]:
        return [("stdout", line) for line in self.splitter.finish()]


def block_lines(blocks: list[tuple[str, str]]) -> list[list[str]]:
    """Split (stream, text) blocks into [stream, timestamp, text] lines."""
    return [
        [stream, *split_timestamp(line.removesuffix("\r"))]
        for stream, text in blocks
        for line in text.split("\n")[:-1]
    ]


def split_timestamp(line: str) -> tuple[str, str]:
    """Split Docker's `timestamps=1` prefix ("<RFC 3339 time> <text>") from a line."""
    head, separator, rest = line.partition(" ")
    if separator and len(head) >= 20 and head[4] == "-" and head[10] == "T":
        return head, rest
    return "", line


def timestamp_key(timestamp: str) -> tuple[str, int]:
    """Order RFC 3339 times with nanoseconds, whose trailing zeros Docker trims."""
    if not timestamp:
        return ("", 0)
    base, _, fraction = timestamp.rstrip("Z").partition(".")
    return (base, int((fraction + "000000000")[:9] or 0))


def newest_key(lines: list[list[str]]) -> tuple[str, int]:
    """Return the latest timestamp key of [stream, timestamp, text] lines.

    Docker copies stdout and stderr separately, so a log's order can differ
    from its timestamps' order: the newest line is not always the last one.
    """
    return max((timestamp_key(line[1]) for line in lines), default=("", 0))


class ChunkedDecoder:
    """Decodes an HTTP/1.1 chunked body fed in arbitrary pieces.

    Docker sends a followed log as one HTTP chunk per log entry. Decoding the
    chunks here lets the reader take whatever the socket has in one call,
    instead of one call per entry.
    """

    def __init__(self):
        self.buffer = b""
        self.remaining = 0
        self.state = "size"
        self.done = False

    def feed(self, data: bytes) -> bytes:
        buffer = self.buffer + data
        position = 0
        body = []
        while not self.done:
            if self.state == "size":
                end = buffer.find(b"\r\n", position)
                if end < 0:
                    break
                size = int(buffer[position:end].split(b";")[0].strip() or b"0", 16)
                position = end + 2
                if size == 0:
                    self.done = True
                    break
                self.remaining = size
                self.state = "data"
            elif self.state == "data":
                piece = buffer[position : position + self.remaining]
                if not piece:
                    break
                body.append(piece)
                position += len(piece)
                self.remaining -= len(piece)
                if self.remaining:
                    break
                self.state = "crlf"
            else:
                if len(buffer) - position < 2:
                    break
                position += 2
                self.state = "size"
        self.buffer = buffer[position:]
        return b"".join(body)
