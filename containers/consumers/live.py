"""Mirror changes and host status for the pages of one host."""

from ..models import DockerHost
from ..services import access, live
from .base import CLOSE_NOT_FOUND, Denied, PierConsumer


class HostEventsConsumer(PierConsumer):
    """Streams container, image, network and volume changes of one host.

    Developers receive only changes to containers of their own teams' apps.
    """

    def authorize(self, user) -> None:
        host_id = self.scope["url_route"]["kwargs"]["host_id"]
        if not DockerHost.objects.filter(pk=host_id).exists():
            raise Denied(CLOSE_NOT_FOUND)
        self.host_id = host_id
        self.operator = access.is_operator(user)
        self.team_ids = access.team_ids(user)

    async def opened(self) -> None:
        await self.join(live.host_group(self.host_id))

    def allowed(self, event: dict) -> bool:
        if self.operator:
            return True
        return (
            event.get("kind") == "container" and event.get("team_id") in self.team_ids
        )

    async def mirror_change(self, event: dict) -> None:
        if self.allowed(event):
            await self.send_json(event)

    async def host_status(self, event: dict) -> None:
        await self.send_json(event)


class AppConsumer(PierConsumer):
    """Streams an app's release and state changes."""

    def authorize(self, user) -> None:
        app_id = self.scope["url_route"]["kwargs"]["app_id"]
        if not access.visible_apps(user).filter(pk=app_id).exists():
            raise Denied(CLOSE_NOT_FOUND)
        self.app_id = app_id

    async def opened(self) -> None:
        await self.join(live.app_group(self.app_id))

    async def app_change(self, event: dict) -> None:
        await self.send_json(event)
