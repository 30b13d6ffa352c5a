"""Pages of Docker hosts, for operators: list, detail, add, edit, test, remove."""

import logging

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ..docker_client import forget_client
from ..forms_hosts import KINDS, HostForm, kind_of
from ..models import App, DockerHost
from ..services import access, host_checks
from ..ssh_transport import fingerprint

logger = logging.getLogger(__name__)

# Pages of one host's objects, linked from its detail page when registered.
HOST_PAGES = [("Containers", "container-list"), ("Images", "image-list")]


def _operator_host(request, host_id: int) -> DockerHost:
    access.require_operator(request.user)
    return get_object_or_404(DockerHost, pk=host_id)


def _host_pages(host: DockerHost) -> list[dict[str, str]]:
    links = []
    for label, name in HOST_PAGES:
        try:
            links.append({"label": label, "url": f"{reverse(name)}?host={host.pk}"})
        except NoReverseMatch:
            continue
    return links


@login_required
@require_GET
def host_list(request):
    access.require_operator(request.user)
    return render(request, "hosts/list.html", {"hosts": DockerHost.objects.all()})


@login_required
@require_GET
def host_detail(request, host_id: int):
    host = _operator_host(request, host_id)
    context = {
        "host": host,
        "kind": dict(KINDS)[kind_of(host.url)],
        "host_key": fingerprint(host.ssh_host_key) if host.ssh_host_key else "",
        "apps": App.objects.filter(host=host).select_related("team"),
        "pages": _host_pages(host),
    }
    return render(request, "hosts/detail.html", context)


def _render_form(request, form: HostForm, host: DockerHost | None, **extra):
    context = {"form": form, "host": host, **extra}
    status = 400 if form.errors else 200
    return render(request, "hosts/form.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def host_add(request):
    access.require_operator(request.user)
    form = HostForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        host = form.save()
        logger.info("Operator %s added Docker host %s", request.user.pk, host.pk)
        messages.success(request, f"Added host {host.name}. Pier is connecting to it.")
        return redirect("host-detail", host_id=host.pk)
    return _render_form(request, form, None)


@login_required
@require_http_methods(["GET", "POST"])
def host_edit(request, host_id: int):
    host = _operator_host(request, host_id)
    form = HostForm(request.POST or None, request.FILES or None, instance=host)
    if request.method == "POST" and form.is_valid():
        host = form.save()
        # This process's cached client still has the old address or keys.
        forget_client(host)
        logger.info("Operator %s changed Docker host %s", request.user.pk, host.pk)
        messages.success(request, f"Saved host {host.name}.")
        return redirect("host-detail", host_id=host.pk)
    return _render_form(request, form, host)


@login_required
@require_POST
def host_test(request, host_id: int | None = None):
    """Try the connection the form describes without saving the form.

    An existing SSH host with no recorded host key gets the key it offers now.
    htmx requests get the result fragment alone; others get the whole form.
    """
    access.require_operator(request.user)
    stored = get_object_or_404(DockerHost, pk=host_id) if host_id else None
    form = HostForm(request.POST, request.FILES, instance=stored)
    result = None
    if form.is_valid():
        candidate = form.save(commit=False)
        result = host_checks.try_connection(candidate)
    context = {"form": form, "host": stored, "result": result, "tested": True}
    if request.headers.get("HX-Request"):
        return render(request, "hosts/_test_result.html", context)
    return _render_form(request, form, stored, result=result, tested=True)


@login_required
@require_POST
def host_remove(request, host_id: int):
    host = _operator_host(request, host_id)
    if request.POST.get("confirm_name") != host.name:
        messages.error(request, f"Type {host.name} to confirm the removal.")
        return redirect("host-detail", host_id=host.pk)
    try:
        host_checks.remove_host(host)
    except host_checks.HostInUse as error:
        logger.info("Removing host %s rejected: %s", host.pk, error)
        messages.error(request, str(error))
        return redirect("host-detail", host_id=host.pk)
    messages.success(request, f"Removed host {host.name}.")
    return redirect("host-list")
