from django.urls import path

from .consumers.compose_logs import ComposeEventsConsumer, ComposeLogsConsumer
from .consumers.jobs import JobConsumer
from .consumers.live import AppConsumer, HostEventsConsumer
from .consumers.logs import ContainerLogsConsumer
from .consumers.stats import ContainerStatsConsumer
from .consumers.terminal import AttachConsumer, TerminalConsumer

websocket_urlpatterns = [
    path("ws/hosts/<int:host_id>/events/", HostEventsConsumer.as_asgi()),
    path("ws/jobs/<int:job_id>/", JobConsumer.as_asgi()),
    path("ws/apps/<int:app_id>/", AppConsumer.as_asgi()),
    path("ws/containers/<int:container_id>/logs/", ContainerLogsConsumer.as_asgi()),
    path("ws/containers/<int:container_id>/terminal/", TerminalConsumer.as_asgi()),
    path("ws/containers/<int:container_id>/attach/", AttachConsumer.as_asgi()),
    path("ws/containers/<int:container_id>/stats/", ContainerStatsConsumer.as_asgi()),
    path("ws/compose/<int:project_id>/", ComposeEventsConsumer.as_asgi()),
    path("ws/compose/<int:project_id>/logs/", ComposeLogsConsumer.as_asgi()),
]
