"""Tracked jobs: create one, run it in a worker, record its log and outcome.

A job handler is a function `handler(job, log) -> dict` registered with
`@job_handler("kind")`. It writes lines with `log.line(...)`, reports progress
with `log.progress(...)`, and raises `JobFailed` with a message for the page.
"""

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.utils import timezone

from ..models import Job, JobLine
from . import live

logger = logging.getLogger(__name__)

Handler = Callable[[Job, "JobLog"], dict | None]
HANDLERS: dict[str, Handler] = {}
MASK = "********"


class JobFailed(Exception):
    """A job ended in failure; the message is shown on the job's page."""


def job_handler(kind: str) -> Callable[[Handler], Handler]:
    def register(function: Handler) -> Handler:
        HANDLERS[kind] = function
        return function

    return register


def create_job(
    kind: str,
    title: str,
    *,
    user=None,
    host=None,
    app=None,
    team=None,
    parameters: dict[str, Any] | None = None,
) -> Job:
    """Store a queued job and hand it to a worker once the row is committed."""
    from ..tasks import run_job

    if app is not None and team is None:
        team = app.team
    job = Job.objects.create(
        kind=kind,
        title=title,
        user=user if user is not None and user.is_authenticated else None,
        host=host,
        app=app,
        team=team,
        parameters=parameters or {},
    )
    transaction.on_commit(lambda: run_job.delay(job.pk))
    return job


class JobLog:
    """The log of a running job: stores lines in order and streams them live.

    Lines are written in batches at most every 0.2 s, so a build printing
    thousands of lines does not cost thousands of database writes.
    """

    FLUSH_SECONDS = 0.2

    def __init__(self, job: Job, secrets: list[str] | None = None):
        self.job = job
        self.secrets = [secret for secret in (secrets or []) if len(secret) >= 3]
        self.number = JobLine.objects.filter(job=job).count()
        self.pending: list[JobLine] = []
        self.last_flush = time.monotonic()
        self.lock = threading.Lock()

    def mask(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, MASK)
        return text

    def line(self, text: str, stream: str = "stdout") -> None:
        with self.lock:
            for part in self.mask(text).rstrip("\n").split("\n"):
                self.number += 1
                self.pending.append(
                    JobLine(job=self.job, number=self.number, text=part, stream=stream)
                )
            if time.monotonic() - self.last_flush >= self.FLUSH_SECONDS:
                self._flush()

    def flush(self) -> None:
        with self.lock:
            self._flush()

    def _flush(self) -> None:
        self.last_flush = time.monotonic()
        if not self.pending:
            return
        lines, self.pending = self.pending, []
        JobLine.objects.bulk_create(lines)
        live.send_now(
            live.job_group(self.job.pk),
            {
                "type": "job.lines",
                "lines": [[line.number, line.stream, line.text] for line in lines],
            },
        )

    def progress(self, **values: Any) -> None:
        self.job.progress.update(values)
        Job.objects.filter(pk=self.job.pk).update(progress=self.job.progress)
        live.send_now(
            live.job_group(self.job.pk),
            {"type": "job.progress", "progress": self.job.progress},
        )


def _set_state(job: Job, state: str, **fields: Any) -> None:
    job.state = state
    for name, value in fields.items():
        setattr(job, name, value)
    job.save(update_fields=["state", *fields])
    live.send_now(
        live.job_group(job.pk),
        {"type": "job.state", "state": state, "error": job.error},
    )
    if job.app_id and state in Job.FINISHED:
        # The app page shows its latest job, so it refreshes when one ends.
        live.send_now(live.app_group(job.app_id), {"type": "app.change", "what": "job"})


def run(job_id: int) -> None:
    """Run a stored job in this worker and record how it ended."""
    job = Job.objects.select_related("host", "app").filter(pk=job_id).first()
    if job is None:
        # Another Pier sharing this Redis queue, or a job deleted meanwhile.
        logger.warning("Job %s not found in this database; skipping it", job_id)
        return
    if job.is_finished:
        logger.info("Job %s already finished as %s", job.pk, job.state)
        return
    handler = HANDLERS.get(job.kind)
    log = JobLog(job)
    _set_state(job, Job.RUNNING, started=timezone.now())
    try:
        if handler is None:
            raise JobFailed(f"No worker handles jobs of kind {job.kind!r}.")
        result = handler(job, log) or {}
    except JobFailed as error:
        log.line(f"Failed: {error}", "stderr")
        log.flush()
        _set_state(job, Job.FAILED, error=str(error), finished=timezone.now())
        logger.info("Job %s (%s) failed: %s", job.pk, job.kind, error)
        return
    except Exception as error:
        logger.exception("Job %s (%s) crashed", job.pk, job.kind)
        log.line(f"Failed: {error}", "stderr")
        log.flush()
        _set_state(job, Job.FAILED, error=str(error), finished=timezone.now())
        return
    log.flush()
    _set_state(job, Job.SUCCEEDED, result=result, finished=timezone.now())
