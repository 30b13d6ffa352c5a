"""Pages of compose projects: the list, create, one project and its status."""

import logging

from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from ..forms_compose import (
    ComposeCreateForm,
    DeleteForm,
    DownForm,
    KillForm,
    ScaleForm,
    UpForm,
)
from ..models import DockerHost
from ..services import compose_projects
from ..services.access import is_operator
from ..services.compose_validation import (
    InvalidProject,
    discard,
    load,
    staging_folder,
)

logger = logging.getLogger(__name__)


@login_required
@require_GET
def compose_list(request):
    projects = list(compose_projects.visible_projects(request.user))
    for project in projects:
        containers = compose_projects.project_containers(project.host, project.name)
        project.counts = compose_projects.state_counts(containers)
    external = []
    if is_operator(request.user):
        external = compose_projects.external_projects(DockerHost.objects.all())
    return render(
        request, "compose/list.html", {"projects": projects, "external": external}
    )


@login_required
@require_http_methods(["GET", "POST"])
def compose_create(request):
    form = ComposeCreateForm(
        request.POST or None, request.FILES or None, user=request.user
    )
    problems = []
    if request.method == "POST" and form.is_valid():
        project, problems = _create(request.user, form)
        if project is not None:
            return redirect("compose-detail", project_id=project.pk)
    status = 400 if (form.errors or problems) else 200
    return render(
        request,
        "compose/create.html",
        {"form": form, "problems": problems},
        status=status,
    )


def _create(user, form: ComposeCreateForm):
    """Store the project and check its files; roll back when they cannot run."""
    data = form.cleaned_data
    folder = staging_folder()
    try:
        with transaction.atomic():
            project = compose_projects.create_project(
                name=data["name"],
                team=data["team"],
                host=data["host"],
                user=user,
                compose_file=data.get("compose_file") or "",
                env_file=data.get("env_file") or "",
                archive_path=form.archive_path,
                git_url=data.get("git_url") or "",
                git_branch=data.get("git_branch") or "",
                git_path=data.get("git_path") or "",
            )
            version = project.latest_version
            try:
                loaded = load(project, version, folder)
            except InvalidProject as error:
                transaction.set_rollback(True)
                return None, error.problems
            if project.source_kind == project.GIT:
                version.compose_file = loaded.spec.file_paths()[0].read_text()
                version.save(update_fields=["compose_file"])
    finally:
        discard(folder)
    logger.info("compose project %s created by user %s", project.pk, user.pk)
    return project, []


def detail_context(request, project) -> dict:
    latest = project.latest_version
    jobs = list(compose_projects.project_jobs(project).select_related("user")[:20])
    services = compose_projects.services(project)
    return {
        "project": project,
        "latest_version": latest,
        "services": services,
        "containers": [c for service in services for c in service.containers],
        "jobs": jobs,
        "latest_job": jobs[0] if jobs else None,
        "up_form": UpForm(),
        "kill_form": KillForm(),
        "down_form": DownForm(),
        "scale_form": ScaleForm(),
        "delete_form": DeleteForm(),
        "can_edit": project.source_kind == project.PASTED,
    }


@login_required
@require_GET
def compose_detail(request, project_id: int):
    project = compose_projects.project_for(request.user, project_id)
    return render(request, "compose/detail.html", detail_context(request, project))


@login_required
@require_GET
def compose_services(request, project_id: int):
    """Render the services table alone, for reloads when a container changes."""
    project = compose_projects.project_for(request.user, project_id)
    return render(request, "compose/_services.html", detail_context(request, project))


@login_required
@require_GET
def compose_history(request, project_id: int):
    """Render the history table alone, for reloads when an action ends."""
    project = compose_projects.project_for(request.user, project_id)
    return render(request, "compose/_history.html", detail_context(request, project))
