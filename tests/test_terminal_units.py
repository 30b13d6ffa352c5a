"""Terminal logic without Docker: commands, sizes, exit messages, frame headers."""

import asyncio
import socket
import struct
import threading

import pytest

from containers.services.terminal import (
    MAX_COMMAND_LENGTH,
    TerminalError,
    check_size,
    exit_message,
    parse_command,
)
from containers.services.terminal_io import (
    MAX_PENDING_BYTES,
    ByteDemuxer,
    LoopPipe,
    Pipe,
    ThreadPipe,
    open_pipe,
)

OCI_TEXT = b'OCI runtime exec failed: exec: "bash": executable file not found in $PATH'


def frame(stream: int, payload: bytes) -> bytes:
    return struct.pack(">BxxxL", stream, len(payload)) + payload


def test_parse_command_shells():
    assert parse_command("sh") == ["sh"]
    assert parse_command(" bash ") == ["bash"]


def test_parse_command_quoted_words():
    assert parse_command("python3 -c 'print(1)'") == ["python3", "-c", "print(1)"]


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("echo 'open", "is invalid"),
        ("x" * (MAX_COMMAND_LENGTH + 1), "at most 1000"),
    ],
)
def test_parse_command_rejects(command, expected):
    with pytest.raises(TerminalError) as raised:
        parse_command(command)
    assert expected in str(raised.value)


def test_check_size_accepts_limits():
    assert check_size(1, 1) == (1, 1)
    assert check_size(1000, 500) == (1000, 500)


@pytest.mark.parametrize(
    ("cols", "rows"), [(0, 24), (80, 0), (1001, 24), (80, 501), ("80", 24), (True, 24)]
)
def test_check_size_rejects(cols, rows):
    with pytest.raises(TerminalError):
        check_size(cols, rows)


def test_exit_message_missing_bash():
    message = exit_message("bash", 126, OCI_TEXT)
    assert message == "bash was not found in this container; try sh."


def test_exit_message_missing_sh():
    message = exit_message("sh", 127, OCI_TEXT)
    assert (
        message == "sh was not found in this container, which may have no shell at all."
    )


def test_exit_message_plain_exit_code():
    assert exit_message("sh", 127, b"sh: foo: not found") == "sh exited with code 127."
    assert exit_message("sh", 0, b"") == "sh exited with code 0."
    assert exit_message("sh", None, b"") == "sh ended."


def test_demuxer_whole_frames():
    demuxer = ByteDemuxer()
    data = frame(1, b"out\n") + frame(2, b"err\n")
    assert demuxer.feed(data) == [(1, b"out\n"), (2, b"err\n")]


def test_demuxer_split_everywhere():
    data = frame(1, "é€😀".encode()) + frame(2, b"") + frame(2, b"x")
    for cut in range(1, len(data)):
        demuxer = ByteDemuxer()
        frames = demuxer.feed(data[:cut]) + demuxer.feed(data[cut:])
        assert frames == [(1, "é€😀".encode()), (2, b""), (2, b"x")], cut


def test_demuxer_byte_by_byte():
    data = frame(1, b"hello") + frame(2, b"world")
    demuxer = ByteDemuxer()
    frames = []
    for byte in data:
        frames += demuxer.feed(bytes([byte]))
    assert frames == [(1, b"hello"), (2, b"world")]
    assert demuxer.buffer == bytearray()


def run_in_loop(coroutine_function) -> None:
    """Run a coroutine in its own thread and event loop, apart from the browser's."""
    errors: list[BaseException] = []

    def target() -> None:
        try:
            asyncio.run(coroutine_function())
        except BaseException as error:  # noqa: BLE001 - re-raised in the test
            errors.append(error)

    thread = threading.Thread(target=target)
    thread.start()
    thread.join(10)
    if errors:
        raise errors[0]
    assert not thread.is_alive()


async def read_all(pipe: Pipe, far: socket.socket, sent: bytes) -> list[bytes | None]:
    """Start the pipe, send `sent` from the far end, close it, collect output."""
    chunks: list[bytes | None] = []
    ended = asyncio.Event()

    def deliver(chunk: bytes | None) -> None:
        chunks.append(chunk)
        if chunk is None:
            ended.set()
        else:
            pipe.consumed(len(chunk))

    await pipe.start(deliver)
    pipe.write(b"keys")
    assert await asyncio.to_thread(far.recv, 16) == b"keys"
    far.sendall(sent)
    far.close()
    await asyncio.wait_for(ended.wait(), 5)
    pipe.close()
    return chunks


@pytest.mark.parametrize("pipe_class", [LoopPipe, ThreadPipe])
def test_pipe_round_trip(pipe_class):
    async def scenario() -> None:
        near, far = socket.socketpair()
        pipe = pipe_class(near, "test")
        chunks = await read_all(pipe, far, b"output")
        assert b"".join(chunk for chunk in chunks if chunk) == b"output"
        assert chunks[-1] is None
        assert pipe.head == b"output"

    run_in_loop(scenario)


@pytest.mark.parametrize("pipe_class", [LoopPipe, ThreadPipe])
def test_pipe_demuxes(pipe_class):
    async def scenario() -> None:
        near, far = socket.socketpair()
        pipe = pipe_class(near, "test", demux=True)
        chunks = await read_all(pipe, far, frame(1, b"a") + frame(2, b"b"))
        assert b"".join(chunk for chunk in chunks if chunk) == b"ab"

    run_in_loop(scenario)


@pytest.mark.parametrize("pipe_class", [LoopPipe, ThreadPipe])
def test_pipe_close_ends_stream(pipe_class):
    async def scenario() -> None:
        near, far = socket.socketpair()
        pipe = pipe_class(near, "test")
        chunks: list[bytes | None] = []
        ended = asyncio.Event()
        await pipe.start(lambda chunk: (chunks.append(chunk), ended.set()))
        pipe.close()
        await asyncio.wait_for(ended.wait(), 5)
        assert chunks == [None]
        far.close()

    run_in_loop(scenario)


@pytest.mark.parametrize("pipe_class", [LoopPipe, ThreadPipe])
def test_pipe_stops_reading_when_behind(pipe_class):
    async def scenario() -> None:
        near, far = socket.socketpair()
        pipe = pipe_class(near, "test")
        chunks: list[bytes | None] = []
        draining = False

        def deliver(chunk: bytes | None) -> None:
            chunks.append(chunk)
            if draining and chunk is not None:
                pipe.consumed(len(chunk))

        await pipe.start(deliver)
        total = 4 * 1024 * 1024
        sender = asyncio.ensure_future(asyncio.to_thread(far.sendall, b"x" * total))
        await asyncio.sleep(0.5)

        delivered = sum(len(chunk) for chunk in chunks if chunk)
        assert delivered < 2 * MAX_PENDING_BYTES
        assert not sender.done()

        draining = True
        pipe.consumed(delivered)
        await asyncio.wait_for(sender, 5)
        while sum(len(chunk) for chunk in chunks if chunk) < total:
            await asyncio.sleep(0.01)
        pipe.close()
        far.close()

    run_in_loop(scenario)


def test_open_pipe_plain_socket():
    near, far = socket.socketpair()
    assert isinstance(open_pipe(near, "test"), LoopPipe)
    near.close()
    far.close()
