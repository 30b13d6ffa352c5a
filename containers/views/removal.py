"""Confirmation flows that the volume and network pages share.

Removing one object: GET shows a page that names the object and the
containers that use it. Its form posts the object's name and those
containers' ids back, and the object is removed only when both still match.
A POST without them, or with a list that changed meanwhile, shows the page
again and removes nothing.

Pruning: GET previews the unused objects that match a label selector, and the
form posts the selector and the previewed names back. Only those names go, and
only while they are still unused.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from ..docker_client import DockerError
from ..models import Container, DockerHost
from .system import LabelFilterForm, host_context, removal_message

logger = logging.getLogger(__name__)


@dataclass
class Removal:
    """One object that a confirmation page offers to remove."""

    kind: str
    name: str
    host_id: int
    containers: list[Container]
    remove: Callable[[], None]
    cancel_url: str
    # Why Docker rejects the removal now, or "" when it may go ahead.
    blocked: str = ""


def unconfirmed_reason(request: HttpRequest, removal: Removal) -> str:
    """Return why the POST does not confirm this removal, or "" when it does."""
    if request.POST.get("confirm") != removal.name:
        return "Confirm the removal on this page."
    shown = set(request.POST.getlist("container"))
    current = {str(container.pk) for container in removal.containers}
    if shown != current:
        return (
            f"The containers that use {removal.kind} {removal.name} changed after "
            "the page opened. Check the list again."
        )
    return ""


def confirm_removal(
    request: HttpRequest, removal: Removal, template: str
) -> HttpResponse:
    """Show the confirmation page on GET; remove on a POST that confirms it."""
    problem = ""
    if request.method == "POST":
        problem = unconfirmed_reason(request, removal)
        if not problem:
            return _remove(request, removal)
    status = 409 if problem and request.POST.get("confirm") else 200
    context = {"removal": removal, "problem": problem}
    return render(request, template, context, status=status)


def _remove(request: HttpRequest, removal: Removal) -> HttpResponse:
    try:
        removal.remove()
    except DockerError as error:
        logger.info(
            "Removing %s %s on host %s failed: %s",
            removal.kind,
            removal.name,
            removal.host_id,
            error,
        )
        messages.error(
            request, f"Could not remove {removal.kind} {removal.name}: {error}"
        )
    else:
        messages.success(request, f"Removed {removal.kind} {removal.name}.")
    return redirect(list_url(removal.kind, removal.host_id))


def list_url(kind: str, host_id: int) -> str:
    """Return the list page of a kind ("volume", "network") on one host."""
    return f"{reverse(f'{kind}-list')}?host={host_id}"


@dataclass(frozen=True)
class PruneFlow:
    """The preview and prune functions of one kind of object.

    `unused` lists the names that a prune with a label selector would remove.
    `prune` removes the confirmed names among them and returns the names it
    removed and the names it kept. Both raise DockerError.
    """

    kind: str
    template: str
    unused: Callable[[DockerHost, str], list[str]]
    prune: Callable[[DockerHost, str, list[str]], tuple[list[str], list[str]]]


def prune_preview(request: HttpRequest, flow: PruneFlow) -> HttpResponse:
    """Render the preview of a prune scoped by the `label` query parameter."""
    context = host_context(request)
    host = context["host"]
    form = LabelFilterForm(request.GET)
    context["form"] = form
    if not form.is_valid():
        return render(request, flow.template, context, status=400)
    try:
        context["names"] = flow.unused(host, form.cleaned_data["label"])
    except DockerError as error:
        logger.warning(
            "Listing unused %ss of host %s failed: %s", flow.kind, host.pk, error
        )
        context["preview_error"] = str(error)
    return render(request, flow.template, context)


def prune(request: HttpRequest, flow: PruneFlow) -> HttpResponse:
    """Run the prune that the preview's form posted, then show the list."""
    context = host_context(request)
    host = context["host"]
    form = LabelFilterForm(request.POST)
    if not form.is_valid():
        context["form"] = form
        return render(request, flow.template, context, status=400)
    try:
        removed, kept = flow.prune(
            host, form.cleaned_data["label"], request.POST.getlist("name")
        )
    except DockerError as error:
        logger.warning("Pruning %ss of host %s failed: %s", flow.kind, host.pk, error)
        messages.error(request, f"Could not prune {flow.kind}s: {error}")
    else:
        messages.success(request, removal_message(flow.kind, removed))
        if kept:
            messages.warning(
                request,
                f"Kept {', '.join(kept)}: in use or removed since the preview.",
            )
    return redirect(list_url(flow.kind, host.pk))
