"""Compose projects: access checks, creation, file versions and services.

Developers reach the projects of their own teams, operators every project.
Projects that were started outside Pier appear as external projects, read from
the mirror's compose labels, and only operators see them.
"""

import logging
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404

from ..models import ComposeFileVersion, ComposeProject, Container, DockerHost, Job
from .access import is_operator, team_ids

logger = logging.getLogger(__name__)


def visible_projects(user) -> QuerySet[ComposeProject]:
    projects = ComposeProject.objects.select_related("team", "host")
    if is_operator(user):
        return projects
    return projects.filter(team__in=team_ids(user))


def project_for(user, project_id: int) -> ComposeProject:
    """Return the project if the user may see it; raise Http404 otherwise."""
    try:
        return visible_projects(user).get(pk=project_id)
    except ComposeProject.DoesNotExist as error:
        raise Http404("Compose project not found") from error


@transaction.atomic
def create_project(
    *,
    name: str,
    team,
    host: DockerHost,
    user,
    compose_file: str = "",
    env_file: str = "",
    archive_path: str = "",
    git_url: str = "",
    git_branch: str = "",
    git_path: str = "",
) -> ComposeProject:
    """Store a project and its first file version."""
    project = ComposeProject.objects.create(
        name=name,
        team=team,
        host=host,
        source_kind=ComposeProject.GIT if git_url else ComposeProject.PASTED,
        git_url=git_url,
        git_branch=git_branch or "main",
        git_path=git_path,
        created_by=user,
    )
    add_version(project, user, compose_file, env_file, archive_path)
    return project


def add_version(
    project: ComposeProject,
    user,
    compose_file: str,
    env_file: str = "",
    archive_path: str = "",
) -> ComposeFileVersion:
    """Store a new version of the project's files; the latest one keeps its upload."""
    with transaction.atomic():
        latest = (
            ComposeFileVersion.objects.select_for_update()
            .filter(project=project)
            .order_by("-number")
            .first()
        )
        if latest is not None and not archive_path:
            archive_path = latest.archive_path
        return ComposeFileVersion.objects.create(
            project=project,
            number=(latest.number if latest else 0) + 1,
            compose_file=compose_file,
            env_file=env_file,
            archive_path=archive_path,
            author=user,
        )


@dataclass
class ServiceState:
    """One compose service as the mirror shows it: its containers and their states."""

    name: str
    containers: list[Container] = field(default_factory=list)

    @property
    def running(self) -> int:
        return sum(1 for container in self.containers if container.state == "running")

    @property
    def state(self) -> str:
        if not self.containers:
            return "absent"
        if self.running == len(self.containers):
            return "running"
        return "partial" if self.running else self.containers[0].state


def project_containers(host: DockerHost, name: str) -> QuerySet[Container]:
    return Container.objects.filter(host=host, compose_project=name).order_by("name")


def services(
    project: ComposeProject, declared: list[str] | None = None
) -> list[ServiceState]:
    """Return the project's services from the mirror, plus declared ones not running."""
    found: dict[str, ServiceState] = {
        name: ServiceState(name) for name in (declared or [])
    }
    for container in project_containers(project.host, project.name):
        service = container.compose_service or container.name
        found.setdefault(service, ServiceState(service)).containers.append(container)
    return [found[name] for name in sorted(found)]


def state_counts(containers) -> dict[str, int]:
    counts: dict[str, int] = {}
    for container in containers:
        counts[container.state] = counts.get(container.state, 0) + 1
    return counts


@dataclass
class ExternalProject:
    """A compose project on a host that Pier did not start."""

    host: DockerHost
    name: str
    counts: dict[str, int]
    working_dir: str = ""


def external_projects(hosts: QuerySet[DockerHost]) -> list[ExternalProject]:
    """Return the compose projects in the mirror that have no Pier project row."""
    known = set(ComposeProject.objects.values_list("host_id", "name"))
    grouped: dict[tuple[int, str], list[Container]] = {}
    containers = Container.objects.filter(host__in=hosts).exclude(compose_project="")
    for container in containers.select_related("host"):
        key = (container.host_id, container.compose_project)
        if key not in known:
            grouped.setdefault(key, []).append(container)
    found = []
    for (_, name), members in sorted(grouped.items(), key=lambda item: item[0]):
        labels = members[0].labels or {}
        found.append(
            ExternalProject(
                host=members[0].host,
                name=name,
                counts=state_counts(members),
                working_dir=labels.get("com.docker.compose.project.working_dir", ""),
            )
        )
    return found


def project_jobs(project: ComposeProject) -> QuerySet[Job]:
    """Return the project's action history, newest first."""
    return Job.objects.filter(
        kind__startswith="compose.", parameters__project_id=project.pk
    ).order_by("-created")
