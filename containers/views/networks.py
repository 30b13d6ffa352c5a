"""Operator pages for Docker networks: list, create, inspect, remove, prune,
connect and disconnect."""

import json
import logging

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ..docker_client import DockerError
from ..models import Container, DockerHost, Network
from ..services import access, networks, system
from ..services.containers import ACTIVE_STATES
from ..services.system import OPTION_KEY, InvalidInput, parse_key_values
from . import removal
from .system import checked, host_context

logger = logging.getLogger(__name__)


class NetworkForm(forms.Form):
    """The create form. Driver choices are those the engine reports."""

    name = forms.CharField(label="Network name", max_length=255)
    driver = forms.ChoiceField(label="Driver", initial="bridge")
    subnet = forms.CharField(
        label="Subnet",
        required=False,
        max_length=50,
        help_text="CIDR, for example 10.20.0.0/24. Empty lets Docker choose.",
    )
    gateway = forms.CharField(
        label="Gateway",
        required=False,
        max_length=50,
        help_text="An address inside the subnet.",
    )
    internal = forms.BooleanField(
        label="Internal (no traffic to or from outside networks)", required=False
    )
    attachable = forms.BooleanField(
        label="Attachable (standalone containers may join an overlay network)",
        required=False,
    )
    labels = forms.CharField(
        label="Labels",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "spellcheck": "false"}),
        help_text="One KEY=value a line.",
    )
    options = forms.CharField(
        label="Driver options",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "spellcheck": "false"}),
        help_text="One KEY=value a line, for example parent=eth0 for macvlan.",
    )

    def __init__(self, *args, host: DockerHost, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        offered = system.network_drivers(host)
        drivers = [name for name in networks.DRIVERS if name in offered or not offered]
        self.fields["driver"].choices = [(name, name) for name in drivers]

    def clean_name(self) -> str:
        return checked(networks.check_name, self.cleaned_data["name"])

    def clean_labels(self) -> dict[str, str]:
        return checked(parse_key_values, self.cleaned_data["labels"], "Label")

    def clean_options(self) -> dict[str, str]:
        text = self.cleaned_data["options"]
        return checked(parse_key_values, text, "Driver option", OPTION_KEY)

    def clean_subnet(self) -> str:
        return checked(networks.check_subnet, self.cleaned_data["subnet"])

    def clean(self) -> dict:
        data = super().clean()
        if "subnet" in data and "gateway" in data:
            try:
                data["gateway"] = networks.check_gateway(
                    data["subnet"], data["gateway"]
                )
            except InvalidInput as error:
                self.add_error("gateway", str(error))
        return data


class ConnectForm(forms.Form):
    """Attach one of the host's mirrored containers, with optional aliases."""

    container = forms.ModelChoiceField(
        queryset=Container.objects.none(), label="Container"
    )
    aliases = forms.CharField(
        label="Aliases",
        required=False,
        max_length=500,
        help_text="Other names for the container on this network, space-separated.",
    )

    def __init__(self, *args, network: Network, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        attached = [container.pk for container in networks.attached_containers(network)]
        self.fields["container"].queryset = (
            Container.objects.filter(host_id=network.host_id)
            .exclude(pk__in=attached)
            .order_by("name")
        )

    def clean_aliases(self) -> list[str]:
        words = self.cleaned_data["aliases"].replace(",", " ").split()
        return [checked(networks.check_name, word) for word in words]


def _network(request: HttpRequest, network_id: int) -> Network:
    access.require_operator(request.user)
    return get_object_or_404(Network.objects.select_related("host"), pk=network_id)


@login_required
@require_GET
def network_list(request: HttpRequest) -> HttpResponse:
    context = host_context(request)
    context["rows"] = networks.network_rows(context["host"])
    if request.headers.get("HX-Request"):
        return render(request, "networks/_table.html", context)
    return render(request, "networks/list.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def network_create(request: HttpRequest) -> HttpResponse:
    context = host_context(request)
    host = context["host"]
    form = NetworkForm(request.POST or None, host=host)
    context["form"] = form
    if request.method == "POST" and form.is_valid():
        spec = networks.NetworkSpec(**form.cleaned_data)
        try:
            networks.create_network(host, spec)
        except DockerError as error:
            logger.info(
                "Creating network %s on host %s failed: %s", spec.name, host.pk, error
            )
            form.add_error(None, f"Docker did not create the network: {error}")
        else:
            messages.success(request, f"Created network {spec.name} on {host.name}.")
            return redirect(removal.list_url("network", host.pk))
    status = 400 if form.errors else 200
    return render(request, "networks/create.html", context, status=status)


def _detail_context(network: Network, form: ConnectForm | None = None) -> dict:
    context = {
        "network": network,
        "attached": networks.attached_containers(network),
        "connect_form": form or ConnectForm(network=network),
    }
    try:
        details = networks.inspect_network(network)
    except DockerError as error:
        logger.info(
            "Inspecting network %s on host %s failed: %s",
            network.name,
            network.host_id,
            error,
        )
        context["inspect_error"] = str(error)
        return context
    context["details"] = details
    context["ipam"] = (details.get("IPAM") or {}).get("Config") or []
    context["raw"] = json.dumps(details, indent=2, sort_keys=True)
    return context


@login_required
@require_GET
def network_detail(request: HttpRequest, network_id: int) -> HttpResponse:
    network = _network(request, network_id)
    return render(request, "networks/detail.html", _detail_context(network))


@login_required
@require_http_methods(["GET", "POST"])
def network_remove(request: HttpRequest, network_id: int) -> HttpResponse:
    """Confirm, then remove one network; the page names its containers."""
    network = _network(request, network_id)
    if network.is_predefined:
        raise Http404("Docker's built-in networks cannot be removed.")
    attached = networks.attached_containers(network)
    plan = removal.Removal(
        kind="network",
        name=network.name,
        host_id=network.host_id,
        containers=attached,
        remove=lambda: networks.remove_network(network),
        cancel_url=reverse("network-detail", args=[network.pk]),
        blocked=_removal_blocked(attached),
    )
    return removal.confirm_removal(request, plan, "networks/remove.html")


def _removal_blocked(attached: list[Container]) -> str:
    # Docker rejects the removal while a container on the network has an
    # endpoint, which only containers that are up have.
    if any(container.state in ACTIVE_STATES for container in attached):
        return (
            "Docker does not remove a network while a running, paused or "
            "restarting container is connected. Disconnect or stop those "
            "containers first."
        )
    return ""


@login_required
@require_POST
def network_connect(request: HttpRequest, network_id: int) -> HttpResponse:
    network = _network(request, network_id)
    form = ConnectForm(request.POST, network=network)
    if not form.is_valid():
        context = _detail_context(network, form)
        return render(request, "networks/detail.html", context, status=400)
    container = form.cleaned_data["container"]
    try:
        networks.connect(network, container, form.cleaned_data["aliases"])
    except DockerError as error:
        logger.info(
            "Connecting container %s to network %s failed: %s",
            container.pk,
            network.pk,
            error,
        )
        messages.error(request, f"Could not connect {container.name}: {error}")
    else:
        messages.success(request, f"Connected {container.name} to {network.name}.")
    return redirect("network-detail", network_id=network.pk)


@login_required
@require_POST
def network_disconnect(request: HttpRequest, network_id: int) -> HttpResponse:
    network = _network(request, network_id)
    container = get_object_or_404(
        Container, pk=request.POST.get("container") or 0, host_id=network.host_id
    )
    try:
        networks.disconnect(network, container)
    except DockerError as error:
        logger.info(
            "Disconnecting container %s from network %s failed: %s",
            container.pk,
            network.pk,
            error,
        )
        messages.error(request, f"Could not disconnect {container.name}: {error}")
    else:
        messages.success(request, f"Disconnected {container.name} from {network.name}.")
    return redirect("network-detail", network_id=network.pk)


NETWORK_PRUNE = removal.PruneFlow(
    kind="network",
    template="networks/prune.html",
    unused=networks.unused_networks,
    prune=networks.prune_networks,
)


@login_required
@require_GET
def network_prune_preview(request: HttpRequest) -> HttpResponse:
    return removal.prune_preview(request, NETWORK_PRUNE)


@login_required
@require_POST
def network_prune(request: HttpRequest) -> HttpResponse:
    return removal.prune(request, NETWORK_PRUNE)
