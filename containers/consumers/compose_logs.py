"""Websockets of a compose project: its container changes, and its combined log."""

import asyncio
from urllib.parse import parse_qs

from django.http import Http404

from ..docker_client import DockerError
from ..models import Container
from ..services import compose_projects, live, logstream
from ..services.logframes import timestamp_key
from .base import CLOSE_NOT_FOUND, Denied, PierConsumer

SEND_SECONDS = 0.05
MAX_TAIL = 2000


def _project(user, scope):
    project_id = scope["url_route"]["kwargs"]["project_id"]
    try:
        return compose_projects.project_for(user, project_id)
    except Http404 as error:
        raise Denied(CLOSE_NOT_FOUND) from error


class ComposeEventsConsumer(PierConsumer):
    """Streams the mirror changes of the project's containers, and host status."""

    def authorize(self, user) -> None:
        project = _project(user, self.scope)
        self.host_id = project.host_id
        self.project_name = project.name

    async def opened(self) -> None:
        await self.join(live.host_group(self.host_id))

    async def mirror_change(self, event: dict) -> None:
        if event.get("compose_project") == self.project_name:
            await self.send_json(event)

    async def host_status(self, event: dict) -> None:
        await self.send_json(event)


class ComposeLogsConsumer(PierConsumer):
    """Merges the logs of the project's containers, each line with its service.

    Every line's text starts with `<service>-<replica> | `. The backlog is the
    last `tail` lines of each container, merged by Docker's timestamps.
    """

    def authorize(self, user) -> None:
        project = _project(user, self.scope)
        self.containers = list(
            compose_projects.project_containers(
                project.host, project.name
            ).select_related("host")
        )
        self.prefixes = {c.pk: _prefix(c, project.name) for c in self.containers}
        query = parse_qs(self.scope.get("query_string", b"").decode())
        try:
            tail = int(query.get("tail", ["100"])[0])
        except ValueError:
            tail = 100
        self.tail = max(0, min(tail, MAX_TAIL))

    async def opened(self) -> None:
        self.queue: asyncio.Queue = asyncio.Queue()
        loop = asyncio.get_running_loop()
        self.subscriptions = []
        for container in self.containers:
            deliver = self._deliver(loop, container)
            pump = await asyncio.to_thread(logstream.subscribe, container, deliver)
            self.subscriptions.append((pump, deliver))
        backlog, last = await self._backlog()
        await self.send_json({"type": "lines", "lines": backlog})
        self.sender = asyncio.create_task(self._send_live(last))

    def _deliver(self, loop, container: Container):
        def deliver(batch):
            item = (container.pk, batch)
            loop.call_soon_threadsafe(self.queue.put_nowait, item)

        return deliver

    async def _backlog(self) -> tuple[list, dict[int, tuple]]:
        lines = []
        last: dict[int, tuple] = {}
        for container in self.containers:
            try:
                tail = await asyncio.to_thread(
                    logstream.read_tail, container, self.tail
                )
            except DockerError as error:
                await self.send_json({"type": "error", "message": str(error)})
                continue
            last[container.pk] = timestamp_key(tail[-1][1]) if tail else ("", 0)
            lines += [self._label(container.pk, line) for line in tail]
        lines.sort(key=lambda line: timestamp_key(line[1]))
        return lines, last

    def _label(self, container_id: int, line: list) -> list:
        return [line[0], line[1], f"{self.prefixes[container_id]} | {line[2]}"]

    async def _send_live(self, last: dict[int, tuple]) -> None:
        ended: set[int] = set()
        clock = asyncio.get_running_loop().time
        while len(ended) < len(self.containers):
            lines: list = []
            deadline = None
            while deadline is None or clock() < deadline:
                timeout = None if deadline is None else deadline - clock()
                try:
                    container_id, batch = await asyncio.wait_for(
                        self.queue.get(), timeout
                    )
                except TimeoutError:
                    break
                if batch is None:
                    ended.add(container_id)
                    break
                lines += self._fresh(container_id, batch.lines, last)
                deadline = deadline or clock() + SEND_SECONDS
            if lines:
                lines.sort(key=lambda line: timestamp_key(line[1]))
                await self.send_json({"type": "lines", "lines": lines})
        await self.send_json({"type": "end", "reason": "The log streams ended."})

    def _fresh(self, container_id: int, batch: list, last: dict[int, tuple]) -> list:
        """Drop lines the backlog already sent; once one is newer, keep the rest."""
        seen = last.pop(container_id, None)
        if seen is not None:
            batch = [line for line in batch if timestamp_key(line[1]) > seen]
            if not batch:
                last[container_id] = seen
        return [self._label(container_id, line) for line in batch]

    async def disconnect(self, code):
        if getattr(self, "sender", None) is not None:
            self.sender.cancel()
        for pump, deliver in getattr(self, "subscriptions", []):
            await asyncio.to_thread(pump.remove, deliver)
        await super().disconnect(code)


def _prefix(container: Container, project_name: str) -> str:
    """Return `web-1` for the container `shop-web-1` of project `shop`."""
    name = container.name.lstrip("/")
    return name.removeprefix(f"{project_name}-") or container.compose_service
