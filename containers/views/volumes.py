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
from .system import LabelFilterForm, checked, host_context, removal_message

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


def _list_url(volume_host_id: int) -> str:
    return f"{reverse('volume-list')}?host={volume_host_id}"


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
            return redirect(_list_url(host.pk))
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


@login_required
@require_POST
def volume_remove(request: HttpRequest, volume_id: int) -> HttpResponse:
    access.require_operator(request.user)
    volume = get_object_or_404(Volume.objects.select_related("host"), pk=volume_id)
    try:
        volumes.remove_volume(volume)
    except DockerError as error:
        messages.error(request, f"Could not remove volume {volume.name}: {error}")
    else:
        messages.success(request, f"Removed volume {volume.name}.")
    return redirect(_list_url(volume.host_id))


@login_required
@require_GET
def volume_prune_preview(request: HttpRequest) -> HttpResponse:
    context = host_context(request)
    form = LabelFilterForm(request.GET)
    context["form"] = form
    if not form.is_valid():
        return render(request, "volumes/prune.html", context, status=400)
    try:
        context["names"] = volumes.unused_volumes(
            context["host"], form.cleaned_data["label"]
        )
    except DockerError as error:
        logger.warning(
            "Listing unused volumes of host %s failed: %s", context["host"].pk, error
        )
        context["preview_error"] = str(error)
    return render(request, "volumes/prune.html", context)


@login_required
@require_POST
def volume_prune(request: HttpRequest) -> HttpResponse:
    context = host_context(request)
    host = context["host"]
    form = LabelFilterForm(request.POST)
    if not form.is_valid():
        context["form"] = form
        return render(request, "volumes/prune.html", context, status=400)
    try:
        removed, space = volumes.prune_volumes(host, form.cleaned_data["label"])
    except DockerError as error:
        logger.warning("Pruning volumes of host %s failed: %s", host.pk, error)
        messages.error(request, f"Could not prune volumes: {error}")
    else:
        messages.success(request, removal_message("volume", removed, space))
    return redirect(_list_url(host.pk))
