"""Shared pieces of Pier's websocket consumers.

Every consumer resolves what it streams from Pier's own database and checks the
user's right to it in `authorize`, before it accepts the connection.
"""

from channels.consumer import get_handler_name
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

CLOSE_FORBIDDEN = 4403
CLOSE_NOT_FOUND = 4404


class Denied(Exception):
    def __init__(self, code: int):
        super().__init__(code)
        self.code = code


class PierConsumer(AsyncJsonWebsocketConsumer):
    """Closes unauthenticated or unauthorized sockets before accepting them."""

    groups_joined: list[str]

    async def connect(self):
        self.groups_joined = []
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.reject(CLOSE_FORBIDDEN)
            return
        try:
            await database_sync_to_async(self.authorize)(user)
        except Denied as denied:
            await self.reject(denied.code)
            return
        await self.accept()
        await self.opened()

    async def dispatch(self, message):
        # Channels' own dispatch closes stale database connections in a worker
        # thread before every message, which costs a thread switch per keystroke.
        # Pier's handlers reach the database only through database_sync_to_async,
        # and that already closes stale connections around each call.
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    async def reject(self, code: int) -> None:
        # Closing before accepting would turn into a bare HTTP 403, which a
        # browser reports as code 1006 and retries; the page must see the reason.
        await self.accept()
        await self.close(code=code)

    def authorize(self, user) -> None:
        """Load what the socket streams; raise Denied if the user may not see it."""
        raise NotImplementedError

    async def opened(self) -> None:
        """Start streaming once the socket is accepted."""

    async def join(self, group: str) -> None:
        await self.channel_layer.group_add(group, self.channel_name)
        self.groups_joined.append(group)

    async def disconnect(self, code):
        for group in getattr(self, "groups_joined", []):
            await self.channel_layer.group_discard(group, self.channel_name)
