from django.db import models

from ..crypto import EncryptedTextField


class DockerHost(models.Model):
    """A Docker engine that Pier manages: the local socket, TCP with TLS, or SSH."""

    ONLINE = "online"
    OFFLINE = "offline"
    UNKNOWN = "unknown"
    STATUSES = [(ONLINE, "Online"), (OFFLINE, "Offline"), (UNKNOWN, "Unknown")]

    name = models.CharField(max_length=100, unique=True)
    url = models.CharField(
        max_length=500,
        help_text="unix:///var/run/docker.sock, tcp://HOST:2376 or ssh://USER@HOST",
    )
    public_address = models.CharField(
        max_length=255,
        default="127.0.0.1",
        help_text="Address that people use to reach apps published on this host.",
    )
    tls_ca = models.TextField(blank=True)
    tls_cert = models.TextField(blank=True)
    tls_key = EncryptedTextField(blank=True)
    ssh_key = EncryptedTextField(blank=True)
    ssh_host_key = models.TextField(
        blank=True,
        help_text=(
            "The SSH server's public host key (TYPE BASE64), recorded on the first "
            "connection. Pier rejects a server that offers another key."
        ),
    )
    status = models.CharField(max_length=20, choices=STATUSES, default=UNKNOWN)
    status_detail = models.TextField(blank=True)
    engine_id = models.CharField(max_length=200, blank=True)
    engine_version = models.CharField(max_length=50, blank=True)
    api_version = models.CharField(max_length=20, blank=True)
    counts = models.JSONField(default=dict, blank=True)
    last_seen = models.DateTimeField(null=True, blank=True)
    last_sync = models.DateTimeField(null=True, blank=True)
    compose_command = models.CharField(
        max_length=300,
        blank=True,
        help_text="Compose command for this host. Empty means Pier's own Compose.",
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_online(self) -> bool:
        return self.status == self.ONLINE


class Registry(models.Model):
    """A container registry with the credentials Pier logs in with."""

    name = models.CharField(max_length=100, unique=True)
    url = models.CharField(max_length=300, help_text="host[:port] of the registry")
    username = models.CharField(max_length=200, blank=True)
    password = EncryptedTextField(blank=True)
    insecure = models.BooleanField(
        default=False, help_text="Plain HTTP registry (the engine must allow it)."
    )
    last_check = models.DateTimeField(null=True, blank=True)
    last_check_ok = models.BooleanField(null=True)
    last_check_message = models.TextField(blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "registries"

    def __str__(self) -> str:
        return self.name
