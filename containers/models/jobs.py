from django.conf import settings
from django.db import models


class Job(models.Model):
    """Long work run by a Celery worker: its state, progress and log stay on record."""

    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    STATES = [
        (QUEUED, "Queued"),
        (RUNNING, "Running"),
        (SUCCEEDED, "Succeeded"),
        (FAILED, "Failed"),
    ]
    FINISHED = {SUCCEEDED, FAILED}

    kind = models.CharField(max_length=50)
    title = models.CharField(max_length=300)
    state = models.CharField(max_length=20, choices=STATES, default=QUEUED)
    host = models.ForeignKey(
        "containers.DockerHost", null=True, blank=True, on_delete=models.SET_NULL
    )
    app = models.ForeignKey(
        "containers.App",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="jobs",
    )
    team = models.ForeignKey(
        "containers.Team", null=True, blank=True, on_delete=models.SET_NULL
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    parameters = models.JSONField(default=dict, blank=True)
    progress = models.JSONField(default=dict, blank=True)
    result = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    created = models.DateTimeField(auto_now_add=True)
    started = models.DateTimeField(null=True, blank=True)
    finished = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created"]

    def __str__(self) -> str:
        return f"{self.title} ({self.state})"

    @property
    def is_finished(self) -> bool:
        return self.state in self.FINISHED


class JobLine(models.Model):
    """One line of a job's log, in order."""

    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="lines")
    number = models.PositiveIntegerField()
    text = models.TextField()
    stream = models.CharField(max_length=10, default="stdout")

    class Meta:
        ordering = ["number"]
        unique_together = [("job", "number")]

    def __str__(self) -> str:
        return f"{self.job_id}:{self.number} {self.text[:60]}"
