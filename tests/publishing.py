"""Helpers for tests that publish apps through the running stack."""

import time

from containers.models import App, Job
from containers.services import publish

BUSYBOX_DOCKERFILE = """FROM busybox:latest
COPY index.html /www/index.html
EXPOSE 8080
CMD ["sh", "-c", "echo serving; httpd -f -v -p 8080 -h /www"]
"""


def busybox_site(body: str, dockerfile: str = BUSYBOX_DOCKERFILE) -> dict[str, str]:
    """Return the files of a static site served by busybox httpd on port 8080."""
    return {"Dockerfile": dockerfile, "index.html": body}


def make_app(name: str, team, host, url: str, **fields) -> App:
    fields.setdefault("container_port", 8080)
    return App.objects.create(
        name=name,
        team=team,
        host=host,
        source_kind=App.GIT,
        source_url=url,
        branch="main",
        **fields,
    )


def wait_for_job(job: Job, timeout: float = 180) -> Job:
    """Wait until the worker has finished the job; return it reloaded."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job.refresh_from_db()
        if job.is_finished:
            return job
        time.sleep(0.2)
    raise AssertionError(
        f"Job {job.pk} ({job.title}) still {job.state} after {timeout}s"
    )


def publish_and_wait(app: App, user, timeout: float = 180) -> Job:
    from containers.services.ports import free_port

    if not app.host_port:
        app.host_port = free_port(app.host)
        app.save(update_fields=["host_port"])
    return wait_for_job(publish.start_release(app, user), timeout)


def job_text(job: Job) -> str:
    return "\n".join(job.lines.values_list("text", flat=True))
