from django.conf import settings
from django.db import models


class Team(models.Model):
    """A group of developers that owns apps and compose projects."""

    name = models.CharField(max_length=100, unique=True)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="teams", blank=True
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Profile(models.Model):
    """A user's role in Pier. Superusers count as operators whatever the role is."""

    DEVELOPER = "developer"
    OPERATOR = "operator"
    ROLES = [(DEVELOPER, "Developer"), (OPERATOR, "Operator")]

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile"
    )
    role = models.CharField(max_length=20, choices=ROLES, default=DEVELOPER)

    def __str__(self) -> str:
        return f"{self.user} ({self.role})"
