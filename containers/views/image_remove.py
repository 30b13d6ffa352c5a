"""Removing images after a confirmation page: one image, all unused, or all.

Each page lists exactly the images that will go and those kept because a
container uses them, read from the mirror. The page's query (?host=, ?label=,
?force=) selects the plan on GET and POST alike. The POST carries the listed
ids, and only ids that are still in the plan at that moment are queued. The job
checks the engine's containers once more before it removes anything.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from ..models import DockerHost
from ..services import access
from ..services.images_remove import (
    ALL,
    UNUSED,
    RemovalPlan,
    plan_removal,
    start_removal,
)
from .images import host_from_query, image_for


def _confirm(
    request: HttpRequest, plan: RemovalPlan, title: str, cancel_url: str
) -> HttpResponse:
    """Show the plan on GET; queue the confirmed removal on POST."""
    if request.method == "POST":
        job = start_removal(plan, request.user, request.POST.getlist("image_id"))
        if job is not None:
            return redirect("job-detail", job_id=job.pk)
        messages.info(
            request, "Nothing to remove: the listed images are gone or in use."
        )
        return redirect(cancel_url)
    context = {"plan": plan, "title": title, "cancel_url": cancel_url}
    return render(request, "images/remove.html", context)


def _list_url(host: DockerHost) -> str:
    return f"{reverse('image-list')}?host={host.pk}"


@login_required
@require_http_methods(["GET", "POST"])
def image_remove(request: HttpRequest, image_id: int) -> HttpResponse:
    """Remove one image; with force, also when stopped containers use it."""
    access.require_operator(request.user)
    image = image_for(image_id)
    mode = ALL if request.GET.get("force") == "1" else UNUSED
    plan = plan_removal(image.host, mode, only=image.docker_id)
    cancel = reverse("image-detail", args=[image.pk])
    return _confirm(request, plan, f"Remove image {image}", cancel)


def _bulk(request: HttpRequest, mode: str, title: str) -> HttpResponse:
    access.require_operator(request.user)
    host = host_from_query(request)
    plan = plan_removal(host, mode, label=request.GET.get("label", "").strip())
    return _confirm(request, plan, f"{title} on {host.name}", _list_url(host))


@login_required
@require_http_methods(["GET", "POST"])
def image_remove_unused(request: HttpRequest) -> HttpResponse:
    return _bulk(request, UNUSED, "Remove all unused images")


@login_required
@require_http_methods(["GET", "POST"])
def image_remove_all(request: HttpRequest) -> HttpResponse:
    return _bulk(request, ALL, "Remove all images")
