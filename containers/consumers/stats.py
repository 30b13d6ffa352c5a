"""Live CPU, memory, network and block I/O figures of a container, once a second."""

import asyncio
import logging
from typing import Any

from django.http import Http404

from ..services import access
from ..services.container_stats import StatsReader
from .base import CLOSE_NOT_FOUND, Denied, PierConsumer

logger = logging.getLogger(__name__)


class ContainerStatsConsumer(PierConsumer):
    """Sends `{"type": "stats", ...}` each second, then `{"type": "end"}`.

    Developers may follow the containers of their own teams; any other
    container closes the socket with 4404.
    """

    def authorize(self, user) -> None:
        container_id = self.scope["url_route"]["kwargs"]["container_id"]
        try:
            self.container = access.container_for(user, container_id)
        except Http404 as error:
            raise Denied(CLOSE_NOT_FOUND) from error

    async def opened(self) -> None:
        self.queue: asyncio.Queue = asyncio.Queue()
        loop = asyncio.get_running_loop()

        def deliver(message: dict[str, Any] | None) -> None:
            try:
                loop.call_soon_threadsafe(self.queue.put_nowait, message)
            except RuntimeError:
                # The socket's event loop has closed, so the socket is gone.
                logger.debug("Stats of container %s dropped", self.container.pk)

        self.reader = StatsReader(self.container, deliver)
        self.reader.start()
        self.sender = asyncio.create_task(self._send())

    async def _send(self) -> None:
        while True:
            message = await self.queue.get()
            if message is None:
                await self.send_json({"type": "end", "reason": "The stats ended."})
                return
            await self.send_json(message)

    async def disconnect(self, code):
        if getattr(self, "sender", None) is not None:
            self.sender.cancel()
        if getattr(self, "reader", None) is not None:
            self.reader.stop()
        await super().disconnect(code)
