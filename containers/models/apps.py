from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models

from ..crypto import EncryptedTextField

app_name_validator = RegexValidator(
    r"^[a-z0-9][a-z0-9-]{0,40}$",
    "Use 1 to 41 lowercase letters, digits or dashes, starting with a letter or digit.",
)


class App(models.Model):
    """An app a team publishes: where its source is, and where it runs."""

    GIT = "git"
    ARCHIVE = "archive"
    IMAGE = "image"
    SOURCES = [(GIT, "Git repository"), (ARCHIVE, "Uploaded archive"), (IMAGE, "Image")]

    name = models.CharField(max_length=41, unique=True, validators=[app_name_validator])
    team = models.ForeignKey("containers.Team", on_delete=models.PROTECT)
    host = models.ForeignKey("containers.DockerHost", on_delete=models.PROTECT)
    source_kind = models.CharField(max_length=10, choices=SOURCES, default=GIT)
    source_url = models.CharField(max_length=500, blank=True)
    branch = models.CharField(max_length=200, blank=True, default="main")
    image = models.CharField(max_length=300, blank=True)
    container_port = models.PositiveIntegerField(default=8080)
    host_port = models.PositiveIntegerField(null=True, blank=True)
    environment = EncryptedTextField(
        blank=True, help_text="KEY=value lines, stored encrypted."
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL
    )
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def url(self) -> str:
        if not self.host_port:
            return ""
        return f"http://{self.host.public_address}:{self.host_port}/"

    @property
    def live_release(self) -> "Release | None":
        return self.releases.filter(status=Release.LIVE).first()


class Release(models.Model):
    """One published version of an app: the image built for it and its container."""

    BUILDING = "building"
    LIVE = "live"
    FAILED = "failed"
    RETIRED = "retired"
    STATUSES = [
        (BUILDING, "Building"),
        (LIVE, "Live"),
        (FAILED, "Failed"),
        (RETIRED, "Retired"),
    ]

    app = models.ForeignKey(App, on_delete=models.CASCADE, related_name="releases")
    version = models.PositiveIntegerField()
    status = models.CharField(max_length=20, choices=STATUSES, default=BUILDING)
    image_tag = models.CharField(max_length=300, blank=True)
    image_id = models.CharField(max_length=80, blank=True)
    container_id = models.CharField(max_length=80, blank=True)
    job = models.ForeignKey(
        "containers.Job", null=True, blank=True, on_delete=models.SET_NULL
    )
    message = models.TextField(blank=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-version"]
        unique_together = [("app", "version")]

    def __str__(self) -> str:
        return f"{self.app.name} v{self.version}"
