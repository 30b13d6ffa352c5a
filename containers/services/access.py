"""Who may see and do what. Every view, consumer and task calls these checks.

Operators see and manage everything. Developers reach only the apps, containers,
jobs and compose projects of their own teams.
"""

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404

from ..models import App, Container, Job, Profile

# Label that gives a container made outside an app to a team.
TEAM_LABEL = "pier.team"


def is_operator(user) -> bool:
    if not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    profile = getattr(user, "profile", None)
    return profile is not None and profile.role == Profile.OPERATOR


def team_ids(user) -> set[int]:
    if not user.is_authenticated:
        return set()
    return set(user.teams.values_list("id", flat=True))


def require_operator(user) -> None:
    """Raise PermissionDenied (HTTP 403) unless the user is an operator."""
    if not is_operator(user):
        raise PermissionDenied("Only operators can do this.")


def visible_apps(user) -> QuerySet[App]:
    apps = App.objects.select_related("team", "host")
    if is_operator(user):
        return apps
    return apps.filter(team__in=team_ids(user))


def app_for(user, app_id: int) -> App:
    """Return the app if the user may see it; raise Http404 otherwise."""
    try:
        return visible_apps(user).get(pk=app_id)
    except App.DoesNotExist as error:
        raise Http404("App not found") from error


def can_use_container(user, container: Container) -> bool:
    """Tell whether the user may read logs, open a terminal and restart it.

    A container belongs to a team through its app, or through the label
    `pier.team=<team id>` that the container form sets.
    """
    if is_operator(user):
        return True
    teams = team_ids(user)
    if container.app_id is not None and container.app.team_id in teams:
        return True
    label = (container.labels or {}).get(TEAM_LABEL)
    return label is not None and label in {str(team) for team in teams}


def container_for(user, container_id: int) -> Container:
    """Return the mirrored container if the user may use it; raise Http404."""
    try:
        container = Container.objects.select_related("app", "host").get(pk=container_id)
    except Container.DoesNotExist as error:
        raise Http404("Container not found") from error
    if not can_use_container(user, container):
        raise Http404("Container not found")
    return container


def can_see_job(user, job: Job) -> bool:
    if is_operator(user):
        return True
    if job.user_id == user.pk:
        return True
    return job.team_id is not None and job.team_id in team_ids(user)
