"""Follows each host's Docker event stream and keeps its mirror current.

One thread per host: connect, resync everything, then apply events as they
arrive. A second thread pings the engine every few seconds, so a host whose
network goes silent is marked offline even when no error reaches the stream.
After any break the loop reconnects with a growing pause and resyncs, because
events sent while the stream was down are lost.
"""

import logging
import queue
import threading
import time

from django.db import close_old_connections
from django.utils import timezone

from ..docker_client import (
    DockerError,
    HostUnavailable,
    connection_fingerprint,
    forget_client,
    fresh_client,
)
from ..models import Container, DockerHost
from . import sync

logger = logging.getLogger(__name__)

PING_SECONDS = 2.0
PING_TIMEOUT = 3
EVENT_KINDS = ["container", "image", "network", "volume"]
# Docker sends `die` before its container listing shows the container stopped,
# so a container still listed as running after a `die` is listed again, after
# each of these pauses, until it is not running any more.
DIE_RECHECK_SECONDS = (0.1, 0.3, 1.0, 3.0)
RECHECK_ACTION = "pier-recheck"


class HostWatcher:
    """Watches one host until `stop()` is called."""

    def __init__(self, host_id: int):
        self.host_id = host_id
        self.stopping = threading.Event()
        self.stream = None
        self.events: queue.Queue[dict] = queue.Queue()
        self.threads = [
            threading.Thread(
                target=self._follow, name=f"events-{host_id}", daemon=True
            ),
            threading.Thread(
                target=self._apply_loop, name=f"apply-{host_id}", daemon=True
            ),
            threading.Thread(target=self._ping, name=f"ping-{host_id}", daemon=True),
        ]

    def start(self) -> None:
        for thread in self.threads:
            thread.start()

    def stop(self) -> None:
        self.stopping.set()
        self._close_stream()

    def _host(self) -> DockerHost | None:
        close_old_connections()
        return DockerHost.objects.filter(pk=self.host_id).first()

    def _close_stream(self) -> None:
        stream, self.stream = self.stream, None
        if stream is not None:
            try:
                stream.close()
            except Exception as error:
                logger.debug(
                    "Closing the event stream of host %s: %s", self.host_id, error
                )

    def _follow(self) -> None:
        pause = 0.5
        while not self.stopping.is_set():
            host = self._host()
            if host is None:
                return
            try:
                self._follow_once(host)
                pause = 0.5
            except (DockerError, OSError) as error:
                logger.warning("Event stream of host %s broke: %s", host.pk, error)
                forget_client(host)
                sync.mark_offline(host, str(error))
            except Exception:
                logger.exception("Event stream of host %s failed", host.pk)
            finally:
                self._close_stream()
            self.stopping.wait(pause)
            pause = min(pause * 2, 5.0)

    def _follow_once(self, host: DockerHost) -> None:
        client = fresh_client(host, timeout=None)
        try:
            since = int(time.time())
            self.stream = client.api.events(
                decode=True, filters={"type": EVENT_KINDS}, since=since
            )
            # The stream is open before the listing, so no change can fall
            # between the two.
            failed = sync.resync(host)
            logger.info(
                "Host %s resynced (failed parts: %s)", host.pk, failed or "none"
            )
            for event in self.stream:
                if self.stopping.is_set():
                    return
                self.events.put(event)
            raise HostUnavailable(f"Docker host {host.name} closed its event stream")
        finally:
            client.close()

    def _apply_loop(self) -> None:
        """Apply queued events, taking everything queued so far as one burst."""
        while not self.stopping.is_set():
            try:
                burst = [self.events.get(timeout=0.5)]
            except queue.Empty:
                continue
            while True:
                try:
                    burst.append(self.events.get_nowait())
                except queue.Empty:
                    break
            host = self._host()
            if host is None:
                return
            self._apply(host, burst)

    def _apply(self, host: DockerHost, burst: list[dict]) -> None:
        try:
            sync.apply_events(host, burst)
        except DockerError as error:
            logger.warning(
                "Applying %d events on host %s failed: %s", len(burst), host.pk, error
            )
            return
        except Exception:
            logger.exception(
                "Applying %d events on host %s failed", len(burst), host.pk
            )
            return
        self._recheck_died(host, burst)
        if logger.isEnabledFor(logging.DEBUG):
            lag = time.time() - burst[0].get("timeNano", 0) / 1e9
            logger.debug(
                "Applied %d events on host %s, the first %.1f ms after it happened",
                len(burst),
                host.pk,
                lag * 1000,
            )

    def _recheck_died(self, host: DockerHost, burst: list[dict]) -> None:
        """List died containers again while the mirror still shows them running."""
        attempts: dict[str, int] = {}
        for event in burst:
            if event.get("Type") != "container":
                continue
            action = event.get("Action")
            if action not in ("die", RECHECK_ACTION):
                continue
            container_id = (event.get("Actor") or {}).get("ID", "")
            attempt = event.get("pier_attempt", 0) if action == RECHECK_ACTION else 0
            attempts[container_id] = max(attempts.get(container_id, 0), attempt)
        if not attempts:
            return
        still_running = Container.objects.filter(
            host=host, docker_id__in=list(attempts), state="running"
        ).values_list("docker_id", flat=True)
        for container_id in still_running:
            attempt = attempts[container_id]
            if attempt >= len(DIE_RECHECK_SECONDS):
                continue
            event = {
                "Type": "container",
                "Action": RECHECK_ACTION,
                "Actor": {"ID": container_id},
                "pier_attempt": attempt + 1,
            }
            timer = threading.Timer(
                DIE_RECHECK_SECONDS[attempt], self.events.put, [event]
            )
            timer.daemon = True
            timer.start()

    def _ping(self) -> None:
        while not self.stopping.wait(PING_SECONDS):
            host = self._host()
            if host is None:
                return
            try:
                client = fresh_client(host, timeout=PING_TIMEOUT)
                try:
                    client.api.ping()
                finally:
                    client.close()
            except Exception as error:
                if host.status != DockerHost.OFFLINE:
                    logger.warning("Host %s stopped responding: %s", host.pk, error)
                sync.mark_offline(host, f"Not responding: {error}")
                self._close_stream()
                continue
            DockerHost.objects.filter(pk=host.pk, status=DockerHost.ONLINE).update(
                last_seen=timezone.now()
            )
            if host.status == DockerHost.ONLINE:
                sync.refresh_counts(host)


class Supervisor:
    """Starts a watcher for every registered host and stops those removed."""

    def __init__(self):
        self.watchers: dict[int, HostWatcher] = {}
        self.fingerprints: dict[int, str] = {}

    def refresh(self) -> None:
        close_old_connections()
        hosts = {
            host.pk: connection_fingerprint(host) for host in DockerHost.objects.all()
        }
        for host_id, watcher in list(self.watchers.items()):
            if hosts.get(host_id) != self.fingerprints.get(host_id):
                # Removed, or its address or credentials changed: start over.
                logger.info(
                    "Host %s was removed or changed; restarting its watcher", host_id
                )
                watcher.stop()
                del self.watchers[host_id]
        for host_id in hosts.keys() - self.watchers.keys():
            logger.info("Watching Docker host %s", host_id)
            watcher = HostWatcher(host_id)
            self.watchers[host_id] = watcher
            self.fingerprints[host_id] = hosts[host_id]
            watcher.start()

    def run_forever(self, stop: threading.Event, refresh_seconds: float = 3.0) -> None:
        while not stop.is_set():
            self.refresh()
            stop.wait(refresh_seconds)
        for watcher in self.watchers.values():
            watcher.stop()
