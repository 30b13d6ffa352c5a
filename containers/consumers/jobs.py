"""A job's log lines, progress and state, from the first line on."""

from channels.db import database_sync_to_async

from ..models import Job
from ..services import access, live
from .base import CLOSE_NOT_FOUND, Denied, PierConsumer

BACKLOG_BATCH = 500


class JobConsumer(PierConsumer):
    """Sends the stored lines of a job, then its live lines as they are written.

    The socket joins the job's group before reading the stored lines, so no line
    falls between the two. The page drops line numbers it has already shown.
    """

    def authorize(self, user) -> None:
        job_id = self.scope["url_route"]["kwargs"]["job_id"]
        job = Job.objects.filter(pk=job_id).first()
        if job is None or not access.can_see_job(user, job):
            raise Denied(CLOSE_NOT_FOUND)
        self.job_id = job.pk

    async def opened(self) -> None:
        await self.join(live.job_group(self.job_id))
        after = 0
        while True:
            lines = await database_sync_to_async(self._stored_lines)(after)
            if not lines:
                break
            await self.send_json({"type": "job.lines", "lines": lines})
            after = lines[-1][0]
        job = await database_sync_to_async(Job.objects.get)(pk=self.job_id)
        await self.send_json({"type": "job.progress", "progress": job.progress})
        await self.send_json(
            {"type": "job.state", "state": job.state, "error": job.error}
        )

    def _stored_lines(self, after: int) -> list:
        rows = (
            Job.objects.get(pk=self.job_id)
            .lines.filter(number__gt=after)
            .values_list("number", "stream", "text")[:BACKLOG_BATCH]
        )
        return [list(row) for row in rows]

    async def job_lines(self, event: dict) -> None:
        await self.send_json(event)

    async def job_progress(self, event: dict) -> None:
        await self.send_json(event)

    async def job_state(self, event: dict) -> None:
        await self.send_json(event)
