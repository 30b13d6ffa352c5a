"""One view per compose action; each queues a job and returns to the project."""

import logging

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from ..compose import commands
from ..forms_compose import DownForm, KillForm, ScaleForm, ServiceForm, UpForm
from ..models import Volume
from ..services import compose_projects
from ..services.compose_jobs import ProjectBusy, start_action, up_args

logger = logging.getLogger(__name__)

# The label compose puts on everything it creates for a project.
PROJECT_LABEL = "com.docker.compose.project"


def _queue(request, project, action: str, args: list[str], **extra):
    try:
        job = start_action(project, request.user, action, args, **extra)
    except ProjectBusy as error:
        messages.error(request, str(error))
    else:
        messages.info(request, f"{job.title}: queued.")
    return redirect("compose-detail", project_id=project.pk)


def _invalid(request, project, form):
    errors = "; ".join(
        f"{form.fields[name].label if name in form.fields else name}: {' '.join(texts)}"
        for name, texts in form.errors.items()
    )
    messages.error(request, f"The action was not started. {errors}")
    return redirect("compose-detail", project_id=project.pk)


@login_required
@require_POST
def compose_up(request, project_id: int):
    project = compose_projects.project_for(request.user, project_id)
    form = UpForm(request.POST)
    if not form.is_valid():
        return _invalid(request, project, form)
    data = form.cleaned_data
    args = up_args(
        build=data["build"], wait=data["wait"], wait_timeout=data["wait_timeout"]
    )
    return _queue(request, project, "up", args)


@login_required
@require_POST
def compose_stop(request, project_id: int):
    project = compose_projects.project_for(request.user, project_id)
    return _queue(request, project, "stop", commands.stop())


@login_required
@require_POST
def compose_start(request, project_id: int):
    project = compose_projects.project_for(request.user, project_id)
    return _queue(request, project, "start", commands.start())


@login_required
@require_POST
def compose_restart(request, project_id: int):
    project = compose_projects.project_for(request.user, project_id)
    return _queue(request, project, "restart", commands.restart())


@login_required
@require_POST
def compose_kill(request, project_id: int):
    project = compose_projects.project_for(request.user, project_id)
    form = KillForm(request.POST)
    if not form.is_valid():
        return _invalid(request, project, form)
    args = commands.kill(signal=form.cleaned_data["signal"])
    return _queue(request, project, "kill", args)


@login_required
@require_POST
def compose_down(request, project_id: int):
    project = compose_projects.project_for(request.user, project_id)
    form = DownForm(request.POST)
    if not form.is_valid():
        return _invalid(request, project, form)
    data = form.cleaned_data
    if data["volumes"] and not data["confirmed"]:
        # Named volumes hold the project's data, so their names are shown first.
        volumes = [
            volume.name
            for volume in Volume.objects.filter(host=project.host).order_by("name")
            if volume.labels.get(PROJECT_LABEL) == project.name
        ]
        context = {"project": project, "volumes": volumes, "rmi": data["rmi"]}
        return render(request, "compose/confirm_down.html", context)
    args = commands.down(volumes=data["volumes"], rmi=data["rmi"] or None)
    return _queue(request, project, "down", args)


@login_required
@require_POST
def compose_scale(request, project_id: int):
    project = compose_projects.project_for(request.user, project_id)
    form = ScaleForm(request.POST)
    if not form.is_valid():
        return _invalid(request, project, form)
    data = form.cleaned_data
    args = commands.scale(data["service"], data["replicas"])
    return _queue(request, project, "scale", args)


@login_required
@require_POST
def compose_service_restart(request, project_id: int):
    project = compose_projects.project_for(request.user, project_id)
    form = ServiceForm(request.POST)
    if not form.is_valid():
        return _invalid(request, project, form)
    args = commands.restart([form.cleaned_data["service"]])
    return _queue(request, project, "restart_service", args)
