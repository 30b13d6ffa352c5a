"""Live resource figures of one container, read from Docker's stats stream.

Docker sends one sample a second. A `StatsReader` reads them in its own thread,
because the SDK's stream blocks, and hands each computed reading to a callback.
"""

import logging
import threading
from collections.abc import Callable
from typing import Any

from ..docker_client import DockerError, docker_errors, fresh_client
from ..models import Container
from . import stats_math

logger = logging.getLogger(__name__)

# Receives each reading as a message for the page, then None when the stream ends.
Deliver = Callable[[dict[str, Any] | None], None]


class StatsReader:
    """Follows one container's stats until `stop()` or the stream ends.

    `stop()` returns at once. The thread notices it when the next sample
    arrives, at most about a second later, and then closes its connection.
    """

    def __init__(self, container: Container, deliver: Deliver):
        self.container = container
        self.deliver = deliver
        self.stopping = threading.Event()
        self.thread = threading.Thread(
            target=self._run, name=f"stats-{container.docker_id[:12]}", daemon=True
        )

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.stopping.set()

    def _run(self) -> None:
        host = self.container.host
        client = None
        try:
            client = fresh_client(host, timeout=None)
            with docker_errors(host):
                self._follow(
                    client.api.stats(self.container.docker_id, stream=True, decode=True)
                )
        except DockerError as error:
            logger.info(
                "Stats stream of container %s on host %s failed: %s",
                self.container.pk,
                host.pk,
                error,
            )
            self.deliver({"type": "error", "message": str(error)})
        finally:
            if client is not None:
                client.close()
            self.deliver(None)

    def _follow(self, stream) -> None:
        previous = None
        try:
            for sample in stream:
                if self.stopping.is_set():
                    return
                reading, previous = stats_math.reading(sample, previous)
                self.deliver(reading.as_message())
        finally:
            stream.close()
