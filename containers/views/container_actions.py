"""One POST view per container action: start, stop, restart, kill, pause, ...

Each view checks that the user may take the action (403 otherwise, 404 for a
container the user cannot see), takes it, and redirects to the container's page
with a message. Invalid input renders that page again with the error beside
its field.
"""

import logging
from collections.abc import Callable

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from ..container_forms import KillForm, RemoveForm, RenameForm, RestartForm, StopForm
from ..docker_client import DockerError
from ..models import Container
from ..services import access, containers
from .containers import detail_context

logger = logging.getLogger(__name__)

# Takes the action and returns the success message.
Action = Callable[[Container, dict], str]


def list_url(container: Container) -> str:
    return f"{reverse('container-list')}?host={container.host_id}"


def _take(
    request: HttpRequest,
    container_id: int,
    action: str,
    run: Action,
    form_class: type[forms.Form] | None = None,
) -> HttpResponse:
    container = access.container_for(request.user, container_id)
    containers.require_action(request.user, container, action)
    values: dict = {}
    if form_class is not None:
        form = form_class(request.POST, prefix=action)
        if not form.is_valid():
            context = detail_context(request, container, **{f"{action}_form": form})
            return render(request, "containers/detail.html", context, status=400)
        values = form.cleaned_data
    try:
        message = run(container, values)
    except containers.ContainerGone as error:
        messages.error(request, str(error))
        return redirect(list_url(container))
    except DockerError as error:
        logger.info(
            "Action %s on container %s (host %s) failed: %s",
            action,
            container.pk,
            container.host_id,
            error,
        )
        messages.error(request, f"Could not {action} {container.name}: {error}")
        return redirect("container-detail", container_id=container.pk)
    messages.success(request, message)
    if action == "remove":
        return redirect(list_url(container))
    return redirect("container-detail", container_id=container.pk)


def _start(container: Container, values: dict) -> str:
    containers.start(container)
    return f"Started {container.name}."


def _stop(container: Container, values: dict) -> str:
    containers.stop(container, values["timeout"])
    return f"Stopped {container.name}."


def _restart(container: Container, values: dict) -> str:
    containers.restart(container, values["timeout"])
    return f"Restarted {container.name}."


def _kill(container: Container, values: dict) -> str:
    containers.kill(container, values["signal"])
    return f"Sent {values['signal']} to {container.name}."


def _pause(container: Container, values: dict) -> str:
    containers.pause(container)
    return f"Paused {container.name}."


def _unpause(container: Container, values: dict) -> str:
    containers.unpause(container)
    return f"Unpaused {container.name}."


def _rename(container: Container, values: dict) -> str:
    old_name = container.name
    containers.rename(container, values["name"])
    return f"Renamed {old_name} to {values['name']}."


def _remove(container: Container, values: dict) -> str:
    containers.remove(container, volumes=values["volumes"])
    extra = " and its anonymous volumes" if values["volumes"] else ""
    return f"Removed {container.name}{extra}."


@login_required
@require_POST
def container_start(request: HttpRequest, container_id: int) -> HttpResponse:
    return _take(request, container_id, "start", _start)


@login_required
@require_POST
def container_stop(request: HttpRequest, container_id: int) -> HttpResponse:
    return _take(request, container_id, "stop", _stop, StopForm)


@login_required
@require_POST
def container_restart(request: HttpRequest, container_id: int) -> HttpResponse:
    return _take(request, container_id, "restart", _restart, RestartForm)


@login_required
@require_POST
def container_kill(request: HttpRequest, container_id: int) -> HttpResponse:
    return _take(request, container_id, "kill", _kill, KillForm)


@login_required
@require_POST
def container_pause(request: HttpRequest, container_id: int) -> HttpResponse:
    return _take(request, container_id, "pause", _pause)


@login_required
@require_POST
def container_unpause(request: HttpRequest, container_id: int) -> HttpResponse:
    return _take(request, container_id, "unpause", _unpause)


@login_required
@require_POST
def container_rename(request: HttpRequest, container_id: int) -> HttpResponse:
    return _take(request, container_id, "rename", _rename, RenameForm)


@login_required
@require_POST
def container_remove(request: HttpRequest, container_id: int) -> HttpResponse:
    """Remove a container; one that is up is killed, after a confirmation page.

    The confirmation page posts the container's id as `confirm`. A POST without
    it, for a container the mirror shows as up, renders that page and
    removes nothing.
    """
    container = access.container_for(request.user, container_id)
    containers.require_action(request.user, container, "remove")
    active = container.state in containers.ACTIVE_STATES
    if active and request.POST.get("confirm") != container.docker_id:
        return _confirm_forced_removal(request, container)
    return _take(request, container_id, "remove", _remove, RemoveForm)


def _confirm_forced_removal(request: HttpRequest, container: Container) -> HttpResponse:
    form = RemoveForm(request.POST, prefix="remove")
    with_volumes = form.is_valid() and form.cleaned_data["volumes"]
    anonymous, named = containers.volume_mounts(container)
    context = {
        "container": container,
        "with_volumes": with_volumes,
        "anonymous": anonymous,
        "named": named,
    }
    return render(request, "containers/confirm_remove.html", context)
