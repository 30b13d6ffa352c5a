"""Registry pages, for operators: list, add, edit, delete and test the login.

The stored password is never sent back: the edit form leaves it empty, and an
empty password on save keeps the stored one.
"""

import logging

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ..forms_registries import RegistryForm
from ..models import DockerHost, Registry
from ..services import access, registries

logger = logging.getLogger(__name__)


@login_required
@require_GET
def registry_list(request: HttpRequest) -> HttpResponse:
    access.require_operator(request.user)
    context = {
        "registries": Registry.objects.all(),
        "hosts": DockerHost.objects.all(),
    }
    return render(request, "registries/list.html", context)


def _edit(request: HttpRequest, registry: Registry | None) -> HttpResponse:
    form = RegistryForm(request.POST or None, instance=registry)
    if request.method == "POST" and form.is_valid():
        saved = form.save()
        logger.info("Registry %s saved by user %s", saved.pk, request.user.pk)
        messages.success(request, f"Saved registry {saved.name}.")
        return redirect("registry-list")
    status = 400 if form.errors else 200
    context = {"form": form, "registry": registry}
    return render(request, "registries/form.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def registry_add(request: HttpRequest) -> HttpResponse:
    access.require_operator(request.user)
    return _edit(request, None)


@login_required
@require_http_methods(["GET", "POST"])
def registry_edit(request: HttpRequest, registry_id: int) -> HttpResponse:
    access.require_operator(request.user)
    return _edit(request, get_object_or_404(Registry, pk=registry_id))


@login_required
@require_http_methods(["GET", "POST"])
def registry_delete(request: HttpRequest, registry_id: int) -> HttpResponse:
    access.require_operator(request.user)
    registry = get_object_or_404(Registry, pk=registry_id)
    if request.method == "POST":
        registry.delete()
        logger.info("Registry %s deleted by user %s", registry_id, request.user.pk)
        messages.success(request, f"Deleted registry {registry.name}.")
        return redirect("registry-list")
    return render(request, "registries/delete.html", {"registry": registry})


def _test_host(request: HttpRequest) -> DockerHost:
    host_id = request.POST.get("host", "")
    hosts = DockerHost.objects.all()
    host = hosts.filter(pk=host_id).first() if host_id.isdigit() else None
    host = host or hosts.filter(name="local").first() or hosts.first()
    if host is None:
        raise Http404("No Docker host is registered yet.")
    return host


@login_required
@require_POST
def registry_test(request: HttpRequest, registry_id: int) -> HttpResponse:
    """Log in through an engine; htmx requests get the outcome alone."""
    access.require_operator(request.user)
    registry = get_object_or_404(Registry, pk=registry_id)
    result = registries.check_login(registry, _test_host(request))
    if request.headers.get("HX-Request"):
        return render(request, "registries/_check.html", {"registry": registry})
    level = messages.SUCCESS if result.ok else messages.ERROR
    messages.add_message(request, level, f"{registry.name}: {result.message}")
    return redirect("registry-list")
