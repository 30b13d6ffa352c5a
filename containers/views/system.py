"""Operator pages of one host's engine: info, version, disk usage and prune."""

import logging
from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.defaultfilters import filesizeformat
from django.views.decorators.http import require_GET, require_POST

from ..docker_client import DockerError
from ..models import DockerHost
from ..services import access, system
from ..services.system import IMAGE_MODES, InvalidInput, PruneOptions

logger = logging.getLogger(__name__)

KIND_LABELS = {
    "containers": "Stopped containers",
    "images": "Images",
    "volumes": "Volumes",
    "networks": "Networks",
    "build_cache": "Build cache",
}


def host_context(request: HttpRequest) -> dict:
    """Check the user is an operator and pick the host from `?host=`.

    Raises PermissionDenied (403) for other users and Http404 when no host fits.
    """
    access.require_operator(request.user)
    host = system.choose_host(request.GET.get("host") or request.POST.get("host"))
    if host is None:
        raise Http404("No Docker host is registered. Add one on the Hosts page.")
    return {"host": host, "hosts": DockerHost.objects.all()}


def checked(check: Callable[..., Any], *args: Any) -> Any:
    """Run a service check for a form field, turning InvalidInput into a field error."""
    try:
        return check(*args)
    except InvalidInput as error:
        raise forms.ValidationError(str(error)) from error


def removal_message(kind: str, removed: list[str], space: int | None = None) -> str:
    """Describe a prune's outcome: how many objects of a kind went, and which."""
    if not removed:
        return f"No unused {kind} matched, so nothing was removed."
    plural = "" if len(removed) == 1 else "s"
    text = f"Removed {len(removed)} unused {kind}{plural}: {', '.join(removed)}."
    if space is not None:
        text += f" Freed {filesizeformat(space)}."
    return text


class LabelFilterForm(forms.Form):
    """The optional label selector that scopes a prune."""

    label = forms.CharField(
        label="Only objects with label",
        required=False,
        max_length=300,
        help_text="key or key=value. Leave empty to prune every unused object.",
    )

    def clean_label(self) -> str:
        return checked(system.clean_label_selector, self.cleaned_data["label"])


class PruneForm(LabelFilterForm):
    """The kinds a system prune removes."""

    containers = forms.BooleanField(label="Stopped containers", required=False)
    images = forms.ChoiceField(
        label="Images",
        choices=list(IMAGE_MODES.items()),
        initial="dangling",
        required=False,
        widget=forms.RadioSelect,
    )
    volumes = forms.BooleanField(label="Unused volumes", required=False)
    networks = forms.BooleanField(label="Unused networks", required=False)
    build_cache = forms.BooleanField(label="Build cache", required=False)

    field_order = ["containers", "images", "volumes", "networks", "build_cache"]

    def clean(self) -> dict:
        data = super().clean()
        if self.errors:
            return data
        options = PruneOptions(
            containers=bool(data.get("containers")),
            images=data.get("images") or "",
            volumes=bool(data.get("volumes")),
            networks=bool(data.get("networks")),
            build_cache=bool(data.get("build_cache")),
            label=data.get("label") or "",
        )
        try:
            options.check()
        except InvalidInput as error:
            raise forms.ValidationError(str(error)) from error
        self.options = options
        return data


@login_required
@require_GET
def system_info(request: HttpRequest) -> HttpResponse:
    context = host_context(request)
    host = context["host"]
    try:
        info, version = system.engine_facts(host)
        context["sections"] = system.info_sections(info, version)
        context["warnings"] = info.get("Warnings") or []
    except DockerError as error:
        logger.warning("Reading info of host %s failed: %s", host.pk, error)
        context["facts_error"] = str(error)
    try:
        context["usage"] = system.disk_usage(host)
    except DockerError as error:
        logger.warning("Reading disk usage of host %s failed: %s", host.pk, error)
        context["usage_error"] = str(error)
    context["form"] = PruneForm(initial={"containers": True, "networks": True})
    return render(request, "system/info.html", context)


@login_required
@require_GET
def system_prune_preview(request: HttpRequest) -> HttpResponse:
    context = host_context(request)
    form = PruneForm(request.GET)
    context["form"] = form
    if not form.is_valid():
        return render(request, "system/prune.html", context, status=400)
    try:
        plan = system.prune_preview(context["host"], form.options)
    except DockerError as error:
        logger.warning("Prune preview on host %s failed: %s", context["host"].pk, error)
        context["preview_error"] = str(error)
        return render(request, "system/prune.html", context, status=502)
    context["plan"] = [(KIND_LABELS[kind], kind, items) for kind, items in plan.items()]
    context["total"] = sum(item.size for items in plan.values() for item in items)
    return render(request, "system/prune.html", context)


@login_required
@require_POST
def system_prune(request: HttpRequest) -> HttpResponse:
    context = host_context(request)
    form = PruneForm(request.POST)
    if not form.is_valid():
        context["form"] = form
        return render(request, "system/prune.html", context, status=400)
    job = system.start_prune(context["host"], request.user, form.options)
    return redirect("job-detail", job_id=job.pk)
