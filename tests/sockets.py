"""A websocket client for tests, signed in as a given user."""

import json
from contextlib import contextmanager

from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from tests.conftest import session_cookie


@contextmanager
def open_socket(stack, path: str, user=None):
    headers = {"Origin": stack.base_url}
    if user is not None:
        headers["Cookie"] = f"sessionid={session_cookie(user)}"
    url = stack.base_url.replace("http://", "ws://") + path
    with connect(url, additional_headers=headers, open_timeout=10) as socket:
        yield socket


def close_code(stack, path: str, user=None, timeout: float = 5) -> int | None:
    """Return the code the server closed the socket with, or None if it stayed open."""
    with open_socket(stack, path, user) as socket:
        try:
            while True:
                socket.recv(timeout=timeout)
        except ConnectionClosed as closed:
            return closed.rcvd.code if closed.rcvd else None
        except TimeoutError:
            return None


def receive_until(socket, predicate, timeout: float = 10) -> dict:
    """Return the first JSON message for which `predicate` is true."""
    import time

    deadline = time.monotonic() + timeout
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise AssertionError("no matching message arrived")
        message = json.loads(socket.recv(timeout=remaining))
        if predicate(message):
            return message
