"""Turn compose's JSON progress events into job log lines and a resource table.

The job's progress gets `resources`: {resource: {status, text, current, total,
error}}, which the project page shows as a live table, and `heartbeat`, the
time of the last write, which a later action uses to tell a dead job from a slow one.
"""

import threading
import time
from typing import Any

from django.db import connection

from ..compose.events import ProgressEvent
from .jobs import JobLog

# Seconds between progress writes, and between heartbeats while compose is silent.
PROGRESS_SECONDS = 0.3
HEARTBEAT_SECONDS = 10.0
# Build steps can add hundreds of rows; the table keeps the latest ones.
MAX_RESOURCES = 200


def describe(event: ProgressEvent) -> str:
    """Return the log line for one event, e.g. "Container shop-web-1: Started"."""
    parts = [event["resource"], event["status"]]
    head = ": ".join(part for part in parts if part)
    text = event["text"]
    if head and text:
        return f"{head}: {text}"
    return head or text


class ProgressTracker:
    """Collects events for one job; `on_event` is safe to call from any thread."""

    def __init__(self, log: JobLog):
        self.log = log
        self.resources: dict[str, dict[str, Any]] = {}
        self.last_write = 0.0
        self.lock = threading.Lock()
        self.stopped = threading.Event()
        self.beat = threading.Thread(target=self._beat, daemon=True)

    def __enter__(self) -> "ProgressTracker":
        self.write()
        self.beat.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stopped.set()
        self.write()

    def on_event(self, event: ProgressEvent) -> None:
        line = describe(event)
        if line:
            self.log.line(line, "stderr" if event["error"] else "stdout")
        if event["resource"] and event["status"] not in ("Log", ""):
            self._record(event)
        if time.monotonic() - self.last_write >= PROGRESS_SECONDS:
            self.write()

    def _record(self, event: ProgressEvent) -> None:
        with self.lock:
            self.resources.pop(event["resource"], None)
            self.resources[event["resource"]] = {
                "status": event["status"],
                "text": event["text"],
                "current": event["current"],
                "total": event["total"],
                "error": event["error"],
            }
            while len(self.resources) > MAX_RESOURCES:
                self.resources.pop(next(iter(self.resources)))

    def write(self) -> None:
        with self.lock:
            self.last_write = time.monotonic()
            resources = dict(self.resources)
        self.log.progress(resources=resources, heartbeat=time.time())

    def _beat(self) -> None:
        try:
            while not self.stopped.wait(HEARTBEAT_SECONDS):
                if time.monotonic() - self.last_write >= HEARTBEAT_SECONDS:
                    self.write()
        finally:
            # The thread opened its own database connection.
            connection.close()
