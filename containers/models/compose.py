"""Compose projects that Pier deploys, their file versions and the compose policy.

Services and containers are not stored here: they are read from the mirror's
`Container.compose_project` and `Container.compose_service`, which come from the
labels that Docker Compose puts on every container it creates.
"""

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models

from ..crypto import EncryptedTextField

# Docker Compose's rule for project names (compose-go `NormalizeProjectName`).
compose_name_validator = RegexValidator(
    r"^[a-z0-9][a-z0-9_-]{0,62}$",
    "Use 1 to 63 lowercase letters, digits, dashes or underscores, "
    "starting with a letter or digit.",
)


class ComposeProject(models.Model):
    """A compose project that Pier deploys on one host for one team.

    The project runs under its own name with `--project-name`, so `docker
    compose ls` and `ps` on the host see it like any other compose project.
    """

    PASTED = "pasted"
    GIT = "git"
    SOURCES = [(PASTED, "Pasted or uploaded file"), (GIT, "Git repository")]

    name = models.CharField(max_length=63, validators=[compose_name_validator])
    team = models.ForeignKey("containers.Team", on_delete=models.PROTECT)
    host = models.ForeignKey("containers.DockerHost", on_delete=models.PROTECT)
    source_kind = models.CharField(max_length=10, choices=SOURCES, default=PASTED)
    git_url = models.CharField(max_length=500, blank=True)
    git_branch = models.CharField(max_length=200, blank=True, default="main")
    git_path = models.CharField(
        max_length=300,
        blank=True,
        help_text="Path of the compose file inside the repository.",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created = models.DateTimeField(auto_now_add=True)
    applied_version = models.ForeignKey(
        "containers.ComposeFileVersion",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    status = models.CharField(
        max_length=200, blank=True, help_text="Outcome of the last action."
    )

    class Meta:
        ordering = ["name"]
        unique_together = [("host", "name")]

    def __str__(self) -> str:
        return self.name

    @property
    def latest_version(self) -> "ComposeFileVersion | None":
        return self.versions.order_by("-number").first()


class ComposeFileVersion(models.Model):
    """One saved version of a project's compose file and optional `.env` file.

    Every edit adds a version. `ComposeProject.applied_version` is the one that
    the last successful `up` ran.
    """

    project = models.ForeignKey(
        ComposeProject, on_delete=models.CASCADE, related_name="versions"
    )
    number = models.PositiveIntegerField()
    compose_file = models.TextField()
    env_file = EncryptedTextField(blank=True)
    archive_path = models.CharField(
        max_length=500,
        blank=True,
        help_text="Unpacked upload with the build contexts, when one was uploaded.",
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-number"]
        unique_together = [("project", "number")]

    def __str__(self) -> str:
        return f"{self.project_id} v{self.number}"


class ComposePolicySetting(models.Model):
    """The developers' compose policy, for one host or for all (host empty).

    Operators edit it on the policy page. Operators' own projects always run
    under the operator policy.
    """

    host = models.OneToOneField(
        "containers.DockerHost",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="compose_policy",
    )
    allow_privileged = models.BooleanField(default=False)
    allow_host_namespaces = models.BooleanField(default=False)
    allow_external_containers = models.BooleanField(default=False)
    allow_devices = models.BooleanField(default=False)
    allow_bind_mounts = models.BooleanField(default=False)
    allowed_bind_roots = models.TextField(
        blank=True, help_text="Host folders allowed as bind sources, one a line."
    )
    allow_docker_socket = models.BooleanField(default=False)
    allow_security_opt_unconfined = models.BooleanField(default=False)
    extra_capabilities = models.CharField(
        max_length=500,
        blank=True,
        help_text="Capabilities allowed in cap_add beyond Docker's defaults.",
    )
    port_low = models.PositiveIntegerField(default=20000)
    port_high = models.PositiveIntegerField(default=29999)
    updated = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Compose policy for {self.host or 'all hosts'}"
