"""Pages of containers: the list of a host, one container, its live stats."""

import json
import logging

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET

from ..container_forms import KillForm, RemoveForm, RenameForm, RestartForm, StopForm
from ..docker_client import DockerError, ObjectNotFound
from ..models import Container, DockerHost
from ..services import access, container_list, containers
from ..services.container_inspect import sections

logger = logging.getLogger(__name__)

PAGE_SIZE = 50
TABLE_ID = "container-table"
GRAPHS = [
    {"key": "cpu", "title": "CPU usage"},
    {"key": "memory", "title": "Memory use"},
    {"key": "network", "title": "Network traffic"},
    {"key": "block", "title": "Block I/O"},
]
COLUMNS = [
    ("name", "Name"),
    ("state", "State"),
    ("image", "Image"),
    ("created", "Created"),
    ("compose", "Compose project"),
    ("app", "App"),
]


def chosen_host(request: HttpRequest) -> DockerHost:
    """Return the host named by ?host=<id>, else "local", else the first one."""
    hosts = DockerHost.objects.only("id", "name", "status")
    host_id = request.GET.get("host", "")
    if host_id:
        host = hosts.filter(pk=host_id).first() if host_id.isdigit() else None
        if host is None:
            raise Http404("Host not found")
        return host
    host = hosts.filter(name="local").first() or hosts.first()
    if host is None:
        raise Http404("No Docker host is registered yet.")
    return host


def _list_context(request: HttpRequest) -> dict:
    host = chosen_host(request)
    query = container_list.ListQuery.from_params(request.GET)
    rows = container_list.listing(request.user, host, query)
    page = Paginator(rows, PAGE_SIZE).get_page(query.page)
    for container in page:
        container.port_lines = container_list.format_ports(container.ports)
    return {
        "host": host,
        "hosts": DockerHost.objects.only("id", "name"),
        "query": query,
        "page": page,
        "columns": [
            {
                "label": label,
                "url": query.url(host.pk, sort=query.next_sort(key), page=1),
                "direction": query.direction(key),
            }
            for key, label in COLUMNS
        ],
        "previous_url": (
            query.url(host.pk, page=page.previous_page_number())
            if page.has_previous()
            else ""
        ),
        "next_url": (
            query.url(host.pk, page=page.next_page_number()) if page.has_next() else ""
        ),
        "states": container_list.STATES,
    }


@login_required
@require_GET
def container_list_page(request: HttpRequest) -> HttpResponse:
    """Render the list, or only its table for requests that target it (htmx, live)."""
    context = _list_context(request)
    if request.headers.get("HX-Target") == TABLE_ID:
        response = render(request, "containers/_table.html", context)
    else:
        response = render(request, "containers/list.html", context)
    patch_vary_headers(response, ["HX-Target"])
    return response


def terminal_url(container: Container) -> str:
    """Return the terminal page's URL, or "" while no terminal page exists."""
    try:
        return reverse("container-terminal", args=[container.pk])
    except NoReverseMatch:
        return ""


def action_context(request: HttpRequest, container: Container, **forms) -> dict:
    """Build the state panel's context; `forms` replaces the blank action forms."""
    return {
        "container": container,
        "allowed": {
            action: containers.may_take(request.user, container, action)
            for action in containers.ACTIONS
        },
        "active": container.state in containers.ACTIVE_STATES,
        "terminal_url": terminal_url(container),
        "stop_form": StopForm(prefix="stop"),
        "restart_form": RestartForm(prefix="restart"),
        "kill_form": KillForm(prefix="kill"),
        "rename_form": RenameForm(prefix="rename", initial={"name": container.name}),
        "remove_form": RemoveForm(prefix="remove"),
        **forms,
    }


def detail_context(request: HttpRequest, container: Container, **forms) -> dict:
    """Build the container page's context: the state panel and the inspect data."""
    operator = access.is_operator(request.user)
    context = action_context(request, container, **forms)
    context["masked"] = not operator
    try:
        data = containers.inspect(container, mask_environment=not operator)
    except ObjectNotFound as error:
        logger.info(
            "Container %s on host %s is gone: %s",
            container.pk,
            container.host_id,
            error,
        )
        context["gone"] = True
    except DockerError as error:
        logger.info(
            "Inspecting container %s on host %s failed: %s",
            container.pk,
            container.host_id,
            error,
        )
        context["inspect_error"] = str(error)
    else:
        context["sections"] = sections(data)
        context["raw_json"] = json.dumps(data, indent=2, sort_keys=True)
    return context


@login_required
@require_GET
def container_detail(request: HttpRequest, container_id: int) -> HttpResponse:
    container = access.container_for(request.user, container_id)
    return render(request, "containers/detail.html", detail_context(request, container))


@login_required
@require_GET
def container_state(request: HttpRequest, container_id: int) -> HttpResponse:
    """Render the state panel alone; the page fetches it when the container changes."""
    container = access.container_for(request.user, container_id)
    return render(request, "containers/_state.html", action_context(request, container))


@login_required
@require_GET
def container_stats(request: HttpRequest, container_id: int) -> HttpResponse:
    container = access.container_for(request.user, container_id)
    return render(
        request, "containers/stats.html", {"container": container, "graphs": GRAPHS}
    )
