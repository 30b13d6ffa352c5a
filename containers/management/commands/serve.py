import uvicorn
from django.core.management.base import BaseCommand

# Log pages stream megabytes a second. Compressing them costs the web process
# CPU for every frame, and a dashboard's network is usually a local one.
WEBSOCKET_DEFLATE = False
# Seconds that open requests and websockets get to finish on SIGTERM.
GRACEFUL_SHUTDOWN_SECONDS = 5


class Command(BaseCommand):
    help = "Serve Pier's pages and websockets with uvicorn."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1", help="address to bind")
        parser.add_argument("--port", type=int, default=8000, help="port to bind")

    def handle(self, *args, **options):
        serve("dashboard.asgi:application", options["host"], options["port"])


def serve(application: str, host: str, port: int) -> None:
    """Run uvicorn on an ASGI application named as `module:attribute`."""
    # Django's ASGI handler does not implement the lifespan protocol.
    uvicorn.run(
        application,
        host=host,
        port=port,
        lifespan="off",
        ws_per_message_deflate=WEBSOCKET_DEFLATE,
        server_header=False,
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS,
        log_level="info",
    )
