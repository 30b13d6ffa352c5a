"""Celery tasks: thin shells that load a job and run it through the service layer."""

from celery import shared_task

from .services import (
    handlers,  # noqa: F401  (registers the job handlers)
    jobs,
)


@shared_task(name="containers.run_job")
def run_job(job_id: int) -> None:
    jobs.run(job_id)
