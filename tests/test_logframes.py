"""Parsing Docker's log streams: frames, split lines and split UTF-8 characters."""

import struct

from containers.services.logframes import (
    ChunkedDecoder,
    FrameParser,
    RawParser,
    block_lines,
    newest_key,
    split_timestamp,
    timestamp_key,
)


def frame(stream: int, payload: bytes) -> bytes:
    return struct.pack(">BxxxL", stream, len(payload)) + payload


def test_frames_split_by_stream():
    parser = FrameParser()

    lines = parser.feed(frame(1, b"out\n") + frame(2, b"err\n"))

    assert lines == [("stdout", "out"), ("stderr", "err")]


def test_frame_split_across_chunks():
    data = frame(1, b"hello world\n")
    parser = FrameParser()

    assert parser.feed(data[:3]) == []
    assert parser.feed(data[3:10]) == []
    assert parser.feed(data[10:]) == [("stdout", "hello world")]


def test_line_split_across_frames():
    parser = FrameParser()

    assert parser.feed(frame(1, b"half ")) == []
    assert parser.feed(frame(1, b"line\nnext")) == [("stdout", "half line")]
    assert parser.finish() == [("stdout", "next")]


def test_utf8_character_split_across_frames():
    text = "é€😀\n".encode()
    parser = FrameParser()

    first = parser.feed(frame(1, text[:2]))
    second = parser.feed(frame(1, text[2:5]))
    third = parser.feed(frame(1, text[5:]))

    assert first == []
    assert second == []
    assert third == [("stdout", "é€😀")]


def test_streams_keep_separate_partial_lines():
    parser = FrameParser()

    parser.feed(frame(1, b"out-") + frame(2, b"err-"))
    lines = parser.feed(frame(2, b"tail\n") + frame(1, b"tail\n"))

    assert lines == [("stderr", "err-tail"), ("stdout", "out-tail")]


def test_raw_stream_strips_carriage_returns():
    parser = RawParser()

    assert parser.feed(b"one\r\ntw") == [("stdout", "one")]
    assert parser.feed(b"o\r\n") == [("stdout", "two")]


def test_invalid_utf8_replaced_not_raised():
    parser = RawParser()

    assert parser.feed(b"bad \xff byte\n") == [("stdout", "bad \ufffd byte")]


def test_blocks_keep_whole_lines_per_stream():
    parser = FrameParser()
    first = parser.feed_blocks(
        frame(1, b"T1 one\nT2 tw") + frame(2, b"T3 err\n") + frame(1, b"o\n")[:9]
    )
    second = parser.feed_blocks(frame(1, b"o\n")[9:] + frame(1, b"T4 three\n"))

    assert first == [("stdout", "T1 one\n"), ("stderr", "T3 err\n")]
    assert second == [("stdout", "T2 two\nT4 three\n")]


def test_block_with_split_utf8_character():
    parser = FrameParser()
    snowman = "☃".encode()

    assert parser.feed_blocks(frame(1, b"a" + snowman[:1])) == []
    assert parser.feed_blocks(frame(1, snowman[1:] + b"\n")) == [("stdout", "a☃\n")]


def test_raw_blocks_end_at_last_newline():
    parser = RawParser()

    assert parser.feed_blocks(b"one\r\ntw") == [("stdout", "one\r\n")]
    assert parser.feed_blocks(b"o\n") == [("stdout", "two\n")]


def test_block_lines_split_timestamps():
    blocks = [
        ("stdout", "2026-12-04T16:08:59.1Z one\r\n2026-12-04T16:08:59.2Z two\n"),
        ("stderr", "no time\n"),
    ]

    assert block_lines(blocks) == [
        ["stdout", "2026-12-04T16:08:59.1Z", "one"],
        ["stdout", "2026-12-04T16:08:59.2Z", "two"],
        ["stderr", "", "no time"],
    ]


def test_timestamp_split_from_text():
    stamp, text = split_timestamp("2026-12-04T16:08:59.785008926Z GET / 200")

    assert stamp == "2026-12-04T16:08:59.785008926Z"
    assert text == "GET / 200"


def test_line_without_timestamp_kept_whole():
    assert split_timestamp("plain text") == ("", "plain text")


def test_timestamp_order_with_trimmed_zeros():
    shorter = timestamp_key("2026-12-04T16:08:59.1Z")
    longer = timestamp_key("2026-12-04T16:08:59.10000001Z")

    assert shorter < longer
    assert timestamp_key("2026-12-04T16:09:00Z") > longer


def test_join_point_is_newest_line():
    # stdout and stderr are copied apart, so the log may list a later time first.
    backlog = [
        ["stdout", "2026-12-04T16:08:59.3Z", "red text"],
        ["stderr", "2026-12-04T16:08:59.25Z", "to stderr"],
    ]

    assert newest_key(backlog) == timestamp_key("2026-12-04T16:08:59.3Z")
    assert newest_key([]) == ("", 0)


def chunked(*pieces: bytes) -> bytes:
    body = b"".join(b"%x\r\n%s\r\n" % (len(piece), piece) for piece in pieces)
    return body + b"0\r\n\r\n"


def test_chunked_body_decoded_whole():
    decoder = ChunkedDecoder()

    assert decoder.feed(chunked(b"one\n", b"two\n")) == b"one\ntwo\n"
    assert decoder.done


def test_chunked_body_split_anywhere():
    data = chunked(b"first line\n", b"x" * 300, b"last\n")
    for cut in range(1, len(data)):
        decoder = ChunkedDecoder()
        body = decoder.feed(data[:cut]) + decoder.feed(data[cut:])
        assert body == b"first line\n" + b"x" * 300 + b"last\n", cut
        assert decoder.done, cut


def test_chunk_extension_ignored():
    decoder = ChunkedDecoder()

    assert decoder.feed(b"4;name=value\r\nabcd\r\n0\r\n\r\n") == b"abcd"
