"""The create-and-run page: `docker run` as a form."""

import logging

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from ..container_forms import RunForm
from ..docker_client import DockerError, HostUnavailable
from ..models import DockerHost, Network
from ..services import container_create

logger = logging.getLogger(__name__)

# Fragments of engine errors that belong to one field of the form.
FIELD_ERRORS = [
    ("container name", "name"),
    ("CPUs", "cpus"),
    ("Memory", "memory"),
    ("network", "network"),
]


def _render(request: HttpRequest, form: RunForm, status: int = 200) -> HttpResponse:
    networks = Network.objects.values_list("name", flat=True).distinct()
    return render(
        request,
        "containers/create.html",
        {"form": form, "network_names": sorted(set(networks) | {"bridge", "none"})},
        status=status,
    )


def _engine_error(form: RunForm, error: DockerError) -> None:
    """Show an engine error beside the field it is about, else above the form."""
    if isinstance(error, HostUnavailable):
        form.main.add_error(None, str(error))
        return
    message = f"Docker rejected the container: {error}"
    for fragment, field in FIELD_ERRORS:
        if fragment.lower() in str(error).lower():
            form.main.add_error(field, message)
            return
    form.main.add_error(None, message)


@login_required
@require_http_methods(["GET", "POST"])
def create_page(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        initial = {}
        host = DockerHost.objects.filter(pk=request.GET.get("host") or 0).first()
        if host is not None:
            initial["host"] = host
        return _render(request, RunForm(user=request.user, initial=initial))
    form = RunForm(request.POST, user=request.user)
    if not form.is_valid():
        return _render(request, form, status=400)
    host = form.main.cleaned_data["host"]
    spec = form.spec()
    try:
        if not container_create.image_present(host, spec.image):
            job = container_create.start_create_job(host, spec, request.user)
            messages.info(request, f"{spec.image} is not on {host.name}: pulling it.")
            return redirect("job-detail", job_id=job.pk)
        container = container_create.run(host, spec)
    except DockerError as error:
        logger.info("Creating a container on host %s failed: %s", host.pk, error)
        _engine_error(form, error)
        return _render(request, form, status=400)
    verb = "Started" if spec.start else "Created"
    messages.success(request, f"{verb} container {container.name}.")
    return redirect("container-detail", container_id=container.pk)
