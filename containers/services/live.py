"""Live updates to open pages, sent through the channel layer after commit.

Groups: `host-<id>` carries mirror changes and host status, `job-<id>` a job's
log lines and progress, `app-<id>` an app's releases and state.
"""

import asyncio
import logging
import os
import threading
from typing import Any

from channels.layers import get_channel_layer
from django.db import transaction

logger = logging.getLogger(__name__)


SEND_TIMEOUT = 5.0


class _SenderLoop:
    """One event loop thread per process that sends every live update.

    `async_to_sync` from a plain thread runs each send in a fresh event loop,
    and the Redis channel layer keeps its connections per loop, so every update
    paid for a new connection. This loop keeps them open.
    """

    def __init__(self):
        self.loop: asyncio.AbstractEventLoop | None = None
        self.pid = 0
        self.lock = threading.Lock()

    def get(self) -> asyncio.AbstractEventLoop:
        with self.lock:
            # A forked worker process inherits the object but not the thread.
            if self.loop is None or self.pid != os.getpid():
                self.loop = asyncio.new_event_loop()
                self.pid = os.getpid()
                threading.Thread(
                    target=self.loop.run_forever, name="live-updates", daemon=True
                ).start()
            return self.loop


_sender = _SenderLoop()


def send_now(group: str, message: dict[str, Any]) -> None:
    """Send a message to a group at once, outside any transaction.

    Waits until Redis has it, so updates from one thread arrive in order.
    """
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        future = asyncio.run_coroutine_threadsafe(
            layer.group_send(group, message), _sender.get()
        )
        future.result(SEND_TIMEOUT)
    except Exception:
        # A live update is best effort: the page reloads the state from the
        # database, so a failed send must not fail the work that caused it.
        logger.exception("Sending a live update to group %s failed", group)


def send_after_commit(group: str, message: dict[str, Any]) -> None:
    """Send a message to a group once the current transaction commits."""
    transaction.on_commit(lambda: send_now(group, message))


def host_group(host_id: int) -> str:
    return f"host-{host_id}"


def job_group(job_id: int) -> str:
    return f"job-{job_id}"


def app_group(app_id: int) -> str:
    return f"app-{app_id}"
