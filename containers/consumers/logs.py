"""Live container logs: the last N lines, then every new line as it is written.

The backlog and the first live lines go to the page as `{"type": "lines",
"lines": [[stream, timestamp, text]]}`. Later lines go as `{"type": "text",
"blocks": [[stream, text]]}`, where each text is complete lines that start with
Docker's timestamp and end in a newline. `{"type": "end"}` and `{"type":
"error"}` close or explain the stream.
"""

import asyncio
import json
from urllib.parse import parse_qs

from django.http import Http404

from ..docker_client import DockerError
from ..models import DockerHost
from ..services import access, live, logstream
from ..services.logframes import newest_key, timestamp_key
from .base import CLOSE_NOT_FOUND, Denied, PierConsumer

SEND_SECONDS = 0.05
MAX_TAIL = 10000


class ContainerLogsConsumer(PierConsumer):
    """Streams a container's log to the page in batches of at most 50 ms."""

    @classmethod
    async def encode_json(cls, content) -> str:
        # Compact separators: a busy log sends megabytes of JSON a second.
        return json.dumps(content, separators=(",", ":"))

    def authorize(self, user) -> None:
        container_id = self.scope["url_route"]["kwargs"]["container_id"]
        try:
            self.container = access.container_for(user, container_id)
        except Http404 as error:
            raise Denied(CLOSE_NOT_FOUND) from error
        query = parse_qs(self.scope.get("query_string", b"").decode())
        try:
            tail = int(query.get("tail", ["200"])[0])
        except ValueError:
            tail = 200
        self.tail = max(0, min(tail, MAX_TAIL))
        self.follow = query.get("follow", ["1"])[0] != "0"

    async def opened(self) -> None:
        self.queue: asyncio.Queue = asyncio.Queue()
        self.pump = None
        self.sender = None
        self.host_name = self.container.host.name
        # The host's status arrives on this group, so a host that stops
        # responding ends the stream with a message instead of a silent page.
        await self.join(live.host_group(self.container.host_id))
        loop = asyncio.get_running_loop()

        def deliver(batch):
            loop.call_soon_threadsafe(self.queue.put_nowait, batch)

        self.deliver = deliver
        if self.follow:
            self.pump = await asyncio.to_thread(
                logstream.subscribe, self.container, deliver
            )
        try:
            backlog = []
            if self.tail:
                backlog = await asyncio.to_thread(
                    logstream.read_tail, self.container, self.tail
                )
        except DockerError as error:
            await self.send_json({"type": "error", "message": str(error)})
            backlog = []
        await self.send_json({"type": "lines", "lines": backlog})
        if not self.follow:
            await self.send_json({"type": "end", "reason": "Not following."})
            return
        last = newest_key(backlog)
        self.sender = asyncio.create_task(self._send_live(last))

    async def _send_live(self, last) -> None:
        # Lines at or before the newest backlog line were already sent. Once a
        # newer line arrives, everything after it is new, even equal timestamps,
        # and later batches go out as text blocks that the page splits.
        joined = False
        clock = asyncio.get_running_loop().time
        while True:
            lines: list = []
            blocks: list = []
            ended = False
            deadline = None
            while not ended:
                timeout = None if deadline is None else deadline - clock()
                if timeout is not None and timeout <= 0:
                    break
                try:
                    batch = await asyncio.wait_for(self.queue.get(), timeout)
                except TimeoutError:
                    break
                if batch is None:
                    ended = True
                    break
                if joined:
                    blocks.extend(batch.blocks)
                else:
                    fresh = [
                        line for line in batch.lines if timestamp_key(line[1]) > last
                    ]
                    lines.extend(fresh)
                    joined = bool(fresh)
                if deadline is None:
                    deadline = clock() + SEND_SECONDS
            if lines:
                await self.send_json({"type": "lines", "lines": lines})
            if blocks:
                await self.send_json({"type": "text", "blocks": blocks})
            if ended:
                await self.send_json({"type": "end", "reason": "The log stream ended."})
                return

    async def host_status(self, event: dict) -> None:
        if event.get("status") != DockerHost.OFFLINE or self.pump is None:
            return
        await self._stop_following()
        detail = event.get("detail") or "no response"
        await self.send_json(
            {
                "type": "end",
                "reason": (
                    f"Host {self.host_name} stopped responding ({detail}), so the "
                    "log stopped here. Reopen it once the host is back online."
                ),
            }
        )

    async def mirror_change(self, event: dict) -> None:
        """Ignore the host's other changes; only its status matters here."""

    async def _stop_following(self) -> None:
        sender, pump = getattr(self, "sender", None), getattr(self, "pump", None)
        self.sender = self.pump = None
        if sender is not None:
            sender.cancel()
        if pump is not None:
            await asyncio.to_thread(pump.remove, self.deliver)

    async def disconnect(self, code):
        await self._stop_following()
        await super().disconnect(code)
