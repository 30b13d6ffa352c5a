"""Compose files: edit with a preview, preview a Git branch, apply, delete."""

import logging

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from .. import compose, sources
from ..compose import ComposeError
from ..docker_client import HostUnavailable
from ..forms_compose import ComposeFilesForm, DeleteForm, PolicyForm
from ..models import ComposeFileVersion, ComposePolicySetting, DockerHost
from ..services import compose_projects
from ..services.access import require_operator
from ..services.compose_engine import engine_access
from ..services.compose_jobs import ProjectBusy, start_action, up_args
from ..services.compose_validation import (
    InvalidProject,
    Problem,
    discard,
    load,
    staging_folder,
)

logger = logging.getLogger(__name__)


def _editable(request, project_id: int):
    project = compose_projects.project_for(request.user, project_id)
    if project.source_kind != project.PASTED:
        raise Http404("A project from Git is edited in its repository.")
    return project


@login_required
@require_http_methods(["GET", "POST"])
def compose_edit(request, project_id: int):
    """Show the files; on POST check them, save a version and preview the change."""
    project = _editable(request, project_id)
    latest = project.latest_version
    initial = {"compose_file": latest.compose_file, "env_file": latest.env_file}
    form = ComposeFilesForm(request.POST or None, initial=initial)
    context = {"project": project, "form": form, "problems": []}
    if request.method == "POST" and form.is_valid():
        draft = ComposeFileVersion(
            project=project,
            compose_file=form.cleaned_data["compose_file"],
            env_file=form.cleaned_data["env_file"],
            archive_path=latest.archive_path if latest else "",
            author=request.user,
        )
        try:
            context["plan"] = _preview(project, draft)
        except InvalidProject as error:
            context["problems"] = error.problems
        else:
            context["recreated"] = _recreated(context["plan"])
            context["version"] = compose_projects.add_version(
                project, request.user, draft.compose_file, draft.env_file
            )
            return render(request, "compose/preview.html", context)
    status = 400 if (form.errors or context["problems"]) else 200
    return render(request, "compose/edit.html", context, status=status)


def _recreated(plan: dict) -> list[str]:
    """Name each recreated service with the keys that changed, when known."""
    return [
        f"{service} ({', '.join(plan['changed_keys'].get(service) or [])})"
        if plan["changed_keys"].get(service)
        else service
        for service in plan["recreated"]
    ]


@login_required
@require_GET
def compose_git_preview(request, project_id: int):
    """Fetch the head of a Git project's branch and show what `up` would change."""
    project = compose_projects.project_for(request.user, project_id)
    if project.source_kind != project.GIT:
        raise Http404("Only a project from Git has a branch to preview.")
    context = {"project": project, "problems": []}
    folder = staging_folder()
    try:
        loaded = load(project, None, folder)
        context["commit"] = sources.head_commit(loaded.spec.folder)
        context["plan"] = _plan(project, loaded.spec, None)
    except InvalidProject as error:
        context["problems"] = error.problems
    except sources.SourceError as error:
        logger.info("Git head of compose project %s unknown: %s", project.pk, error)
        context["problems"] = [Problem(str(error))]
    finally:
        discard(folder)
    if context["problems"]:
        return render(request, "compose/preview_git.html", context, status=400)
    context["recreated"] = _recreated(context["plan"])
    return render(request, "compose/preview_git.html", context)


def _preview(project, draft: ComposeFileVersion) -> dict:
    new_folder, old_folder = staging_folder(), staging_folder()
    try:
        loaded = load(project, draft, new_folder)
        current = None
        if project.applied_version is not None:
            current = load(project, project.applied_version, old_folder, check=False)
        return _plan(project, loaded.spec, current.model if current else None)
    finally:
        discard(new_folder)
        discard(old_folder)


def _plan(project, spec, current_model: dict | None) -> dict:
    """Ask the project's engine what `up` would change; raise InvalidProject."""
    try:
        with engine_access(project.host) as engine:
            return compose.preview_changes(engine.bind(spec), current_model)
    except (HostUnavailable, ComposeError) as error:
        logger.warning("preview of compose project %s failed: %s", project.pk, error)
        problem = Problem(f"The preview failed: {error}")
        raise InvalidProject([problem]) from error


@login_required
@require_POST
def compose_apply(request, project_id: int, version_id: int):
    """Run `up` with a saved version; the version becomes the applied one."""
    project = compose_projects.project_for(request.user, project_id)
    version = get_object_or_404(ComposeFileVersion, pk=version_id, project=project)
    try:
        job = start_action(
            project,
            request.user,
            "up",
            up_args(build=True, wait=False, wait_timeout=None),
            version_id=version.pk,
        )
    except ProjectBusy as error:
        messages.error(request, str(error))
    else:
        messages.info(request, f"{job.title}: applying version {version.number}.")
    return redirect("compose-detail", project_id=project.pk)


@login_required
@require_http_methods(["GET", "POST"])
def compose_delete(request, project_id: int):
    """Delete a project: run `down` first and then forget it, or only forget it."""
    project = compose_projects.project_for(request.user, project_id)
    form = DeleteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if form.cleaned_data["confirm_name"] != project.name:
            form.add_error("confirm_name", f"Type {project.name} to confirm.")
        elif form.cleaned_data["mode"] == "forget":
            name = project.name
            project.delete()
            messages.success(request, f"Pier forgot compose project {name}.")
            return redirect("compose-list")
        else:
            try:
                start_action(project, request.user, "down", ["down"], forget=True)
            except ProjectBusy as error:
                form.add_error(None, str(error))
            else:
                messages.info(
                    request, f"Running down on {project.name}, then forgetting it."
                )
                return redirect("compose-detail", project_id=project.pk)
    status = 400 if form.errors else 200
    return render(
        request,
        "compose/delete.html",
        {"project": project, "form": form},
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def compose_policy(request):
    """The developers' compose policy: global, or for one host (`?host=ID`)."""
    require_operator(request.user)
    host = None
    if request.GET.get("host"):
        host = get_object_or_404(DockerHost, pk=request.GET["host"])
    setting = ComposePolicySetting.objects.filter(host=host).first()
    form = PolicyForm(request.POST or None, instance=setting)
    if request.method == "POST" and form.is_valid():
        saved = form.save(commit=False)
        saved.host = host
        saved.save()
        messages.success(
            request, f"Saved the compose policy for {host or 'all hosts'}."
        )
        return redirect(request.get_full_path())
    return render(
        request,
        "compose/policy.html",
        {"form": form, "host": host, "hosts": DockerHost.objects.all()},
        status=400 if form.errors else 200,
    )
