"""Terminal and attach websockets: bytes both ways between a page and Docker.

Binary frames carry bytes: keystrokes from the page, output to it, so UTF-8
characters split across reads reach xterm.js intact. Text frames carry JSON:
the page sends `{"type": "resize", "cols", "rows"}`; the server sends
`{"type": "ready", ...}`, `{"type": "error", "message"}` and, when the process
or stream ends, `{"type": "exit", "code", "message"}` before it closes.
"""

import asyncio
import json
import logging
import time
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from django.http import Http404

from ..docker_client import DockerError
from ..services import access, terminal_auth
from ..services.terminal import (
    AttachSession,
    ExecSession,
    ExitInfo,
    TerminalError,
    check_size,
    parse_command,
)
from ..services.terminal_io import Pipe
from .base import CLOSE_FORBIDDEN, CLOSE_NOT_FOUND, Denied, PierConsumer

logger = logging.getLogger(__name__)

# How often an open terminal re-reads its login session. Input also triggers a
# check when the last one is older than this.
SESSION_CHECK_SECONDS = 2.0


class StreamConsumer(PierConsumer):
    """Bridges one websocket to one Docker exec or attach stream."""

    session: ExecSession | AttachSession | None = None
    pipe: Pipe | None = None
    problem = ""
    logged_out = False

    def authorize(self, user) -> None:
        container_id = self.scope["url_route"]["kwargs"]["container_id"]
        try:
            self.container = access.container_for(user, container_id)
        except Http404 as error:
            raise Denied(CLOSE_NOT_FOUND) from error
        session_key = self.scope["session"].session_key
        if not session_key:
            raise Denied(CLOSE_FORBIDDEN)
        self.session_key = session_key
        self.login_group = terminal_auth.session_group(session_key)
        self.user_id = user.pk
        self.checked_at = time.monotonic()
        self.tasks: list[asyncio.Task] = []
        try:
            self.session = self.make_session()
        except TerminalError as error:
            self.problem = str(error)

    def make_session(self) -> ExecSession | AttachSession:
        raise NotImplementedError

    def ready_message(self) -> dict:
        raise NotImplementedError

    async def opened(self) -> None:
        await self.join(self.login_group)
        if self.session is None:
            await self._fail(self.problem)
            return
        try:
            self.pipe = await asyncio.to_thread(self.session.open)
        except (DockerError, TerminalError) as error:
            await self._fail(str(error))
            return
        self.output: asyncio.Queue[bytes | None] = asyncio.Queue()
        await self.pipe.start(self.output.put_nowait)
        await self.send_json(self.ready_message())
        self.tasks.append(asyncio.create_task(self._send_output(self.pipe)))
        self.tasks.append(asyncio.create_task(self._watch_login()))

    async def _fail(self, message: str) -> None:
        logger.info("Terminal in container %s failed: %s", self.container.pk, message)
        await self.send_json({"type": "error", "message": message})
        await self.close()

    async def _send_output(self, pipe: Pipe) -> None:
        ended = False
        while not ended:
            chunks = [await self.output.get()]
            while not self.output.empty():
                chunks.append(self.output.get_nowait())
            # The reader delivers None once, after its last chunk.
            ended = chunks[-1] is None
            data = [chunk for chunk in chunks if chunk is not None]
            if data:
                payload = b"".join(data)
                await self.send(bytes_data=payload)
                pipe.consumed(len(payload))
        await self._finish()

    async def _finish(self) -> None:
        assert self.session is not None
        try:
            info = await asyncio.to_thread(self.session.exit_info)
        except DockerError as error:
            logger.info(
                "Exit of session in container %s unknown: %s", self.container.pk, error
            )
            info = ExitInfo(None, "The session ended.")
        await self.send_json(
            {"type": "exit", "code": info.code, "message": info.message}
        )
        await self.close()

    async def receive(self, text_data=None, bytes_data=None, **kwargs) -> None:
        if self.pipe is None or not await self._login_is_current():
            return
        if bytes_data is not None:
            self.write(bytes_data)
        elif text_data is not None:
            await self._control(text_data)

    def write(self, data: bytes) -> None:
        assert self.pipe is not None
        self.pipe.write(data)

    async def _control(self, text: str) -> None:
        try:
            message = json.loads(text)
        except ValueError:
            message = None
        if not isinstance(message, dict) or message.get("type") != "resize":
            await self._reject(
                "Unknown control message. Only "
                '{"type": "resize", "cols": N, "rows": N} is accepted.'
            )
            return
        try:
            cols, rows = check_size(message.get("cols"), message.get("rows"))
        except TerminalError as error:
            await self._reject(str(error))
            return
        await self._resize(cols, rows)

    async def _reject(self, message: str) -> None:
        logger.info("Terminal in container %s: %s", self.container.pk, message)
        await self.send_json({"type": "error", "message": message})

    async def _resize(self, cols: int, rows: int) -> None:
        # Awaited before the next message, so keystrokes typed after a resize
        # reach a process that already has the new size.
        assert self.session is not None
        try:
            await asyncio.to_thread(self.session.resize, cols, rows)
        except DockerError as error:
            logger.info("Resize in container %s failed: %s", self.container.pk, error)

    async def _login_is_current(self) -> bool:
        if self.logged_out:
            return False
        if terminal_auth.has_ended(self.login_group):
            await self.terminal_logout({})
            return False
        if time.monotonic() - self.checked_at < SESSION_CHECK_SECONDS:
            return True
        self.checked_at = time.monotonic()
        current = await database_sync_to_async(terminal_auth.session_is_current)(
            self.session_key, self.user_id
        )
        if not current:
            await self.terminal_logout({})
        return current

    async def _watch_login(self) -> None:
        while await self._login_is_current():
            await asyncio.sleep(SESSION_CHECK_SECONDS)

    async def terminal_logout(self, event: dict) -> None:
        """Close the socket because its login session ended."""
        if self.logged_out:
            return
        self.logged_out = True
        logger.info(
            "Closing terminal of container %s: user %s logged out",
            self.container.pk,
            self.user_id,
        )
        await self.close(code=CLOSE_FORBIDDEN)

    async def disconnect(self, code) -> None:
        for task in getattr(self, "tasks", []):
            task.cancel()
        if self.pipe is not None:
            self.pipe.close()
        if self.session is not None:
            await asyncio.to_thread(self.session.end)
        await super().disconnect(code)


class TerminalConsumer(StreamConsumer):
    """A shell or command in the container: `?shell=sh`, `bash` or a command line."""

    def make_session(self) -> ExecSession:
        query = parse_qs(self.scope.get("query_string", b"").decode())
        self.shell = query.get("shell", ["sh"])[0]
        return ExecSession(self.container, parse_command(self.shell))

    def ready_message(self) -> dict:
        return {"type": "ready", "mode": "exec", "tty": True, "input": True}


class AttachConsumer(StreamConsumer):
    """The container's main process; leaving detaches and never stops it."""

    session: AttachSession | None = None

    def make_session(self) -> AttachSession:
        return AttachSession(self.container)

    def ready_message(self) -> dict:
        assert self.session is not None
        return {
            "type": "ready",
            "mode": "attach",
            "tty": self.session.tty,
            "input": self.session.stdin,
        }

    def write(self, data: bytes) -> None:
        if self.session is not None and self.session.stdin:
            super().write(data)
