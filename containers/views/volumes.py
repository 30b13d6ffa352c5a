"""Operator pages for Docker volumes: list, create, inspect, remove and prune."""

import json
import logging

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ..docker_client import DockerError
from ..models import Volume
from ..services import access, volumes
from ..services.system import OPTION_KEY, parse_key_values
from . import removal
from .system import checked, host_context

logger = logging.getLogger(__name__)


class VolumeForm(forms.Form):
    """The create form: name, driver, driver options and labels."""

    name = forms.CharField(label="Volume name", max_length=255)
    driver = forms.CharField(label="Driver", max_length=100, initial="local")
    options = forms.CharField(
        label="Driver options",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "spellcheck": "false"}),
        help_text="One KEY=value a line, for example type=tmpfs and device=tmpfs.",
    )
    labels = forms.CharField(
        label="Labels",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "spellcheck": "false"}),
        help_text="One KEY=value a line, for example com.example.team=web.",
    )

    def clean_name(self) -> str:
        return checked(volumes.check_name, self.cleaned_data["name"])

    def clean_options(self) -> dict[str, str]:
        text = self.cleaned_data["options"]
        return checked(parse_key_values, text, "Driver option", OPTION_KEY)

    def clean_labels(self) -> dict[str, str]:
        return checked(parse_key_values, self.cleaned_data["labels"], "Label")


@login_required
@require_GET
def volume_list(request: HttpRequest) -> HttpResponse:
    context = host_context(request)
    context["rows"] = volumes.volume_rows(context["host"])
    if request.headers.get("HX-Request"):
        return render(request, "volumes/_table.html", context)
    return render(request, "volumes/list.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def volume_create(request: HttpRequest) -> HttpResponse:
    context = host_context(request)
    host = context["host"]
    form = VolumeForm(request.POST or None)
    context["form"] = form
    if request.method == "POST" and form.is_valid():
        spec = volumes.VolumeSpec(**form.cleaned_data)
        try:
            volumes.create_volume(host, spec)
        except DockerError as error:
            logger.info(
                "Creating volume %s on host %s failed: %s", spec.name, host.pk, error
            )
            form.add_error(None, f"Docker did not create the volume: {error}")
        else:
            messages.success(request, f"Created volume {spec.name} on {host.name}.")
            return redirect(removal.list_url("volume", host.pk))
    status = 400 if form.errors else 200
    return render(request, "volumes/create.html", context, status=status)


@login_required
@require_GET
def volume_detail(request: HttpRequest, volume_id: int) -> HttpResponse:
    access.require_operator(request.user)
    volume = get_object_or_404(Volume.objects.select_related("host"), pk=volume_id)
    context = {
        "volume": volume,
        "users": volumes.volume_users(volume.host_id).get(volume.name, []),
    }
    try:
        details = volumes.inspect_volume(volume)
    except DockerError as error:
        logger.info(
            "Inspecting volume %s on host %s failed: %s",
            volume.name,
            volume.host_id,
            error,
        )
        context["inspect_error"] = str(error)
    else:
        context["details"] = details
        context["raw"] = json.dumps(details, indent=2, sort_keys=True)
    return render(request, "volumes/detail.html", context)


VOLUME_PRUNE = removal.PruneFlow(
    kind="volume",
    template="volumes/prune.html",
    unused=volumes.unused_volumes,
    prune=volumes.prune_volumes,
)


@login_required
@require_http_methods(["GET", "POST"])
def volume_remove(request: HttpRequest, volume_id: int) -> HttpResponse:
    """Confirm, then remove one volume; the page names the containers using it."""
    access.require_operator(request.user)
    volume = get_object_or_404(Volume.objects.select_related("host"), pk=volume_id)
    users = volumes.volume_users(volume.host_id).get(volume.name, [])
    plan = removal.Removal(
        kind="volume",
        name=volume.name,
        host_id=volume.host_id,
        containers=users,
        remove=lambda: volumes.remove_volume(volume),
        cancel_url=reverse("volume-detail", args=[volume.pk]),
        blocked=(
            "Docker does not remove a volume while a container uses it, running "
            "or stopped. Remove these containers first."
            if users
            else ""
        ),
    )
    return removal.confirm_removal(request, plan, "volumes/remove.html")


@login_required
@require_GET
def volume_prune_preview(request: HttpRequest) -> HttpResponse:
    return removal.prune_preview(request, VOLUME_PRUNE)


@login_required
@require_POST
def volume_prune(request: HttpRequest) -> HttpResponse:
    return removal.prune(request, VOLUME_PRUNE)
