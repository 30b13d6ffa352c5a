import logging
import signal
import threading

from django.core.management.base import BaseCommand

from containers.services.hosts import register_local_host
from containers.services.watcher import Supervisor

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = "Follow every Docker host's event stream and keep Pier's mirror current."

    def handle(self, *args, **options):
        register_local_host()
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        signal.signal(signal.SIGINT, lambda *_: stop.set())
        logger.info("Watching Docker hosts")
        Supervisor().run_forever(stop)
        logger.info("Stopped watching Docker hosts")
