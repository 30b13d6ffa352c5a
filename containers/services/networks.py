"""Docker networks of one host: the mirror's list and the engine's actions.

Lists come from the mirror. Create, inspect, remove, prune, connect and
disconnect go to the engine and then refresh the mirror rows they change, so
the next page shows the result without waiting for the watcher.
"""

import ipaddress
import logging
import re
from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

from ..docker_client import DockerError, client_for, docker_errors
from ..models import Container, DockerHost, Network
from . import sync
from .system import InvalidInput, label_filters, refresh_mirror, remove_confirmed

logger = logging.getLogger(__name__)

DRIVERS = ["bridge", "overlay", "macvlan", "ipvlan"]
PREDEFINED = Network.PREDEFINED
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


@dataclass
class NetworkRow:
    """A mirrored network with the mirrored containers attached to it."""

    network: Network
    containers: list[Container] = field(default_factory=list)


def network_rows(host: DockerHost) -> list[NetworkRow]:
    """List the host's mirrored networks, each with its containers by name."""
    attached: dict[str, list[Container]] = defaultdict(list)
    for container in Container.objects.filter(host=host).order_by("name"):
        for name in container.networks:
            attached[name].append(container)
    return [
        NetworkRow(network, attached.get(network.name, []))
        for network in Network.objects.filter(host=host)
    ]


def attached_containers(network: Network) -> list[Container]:
    """Return the mirrored containers whose settings name this network."""
    containers = Container.objects.filter(host_id=network.host_id).order_by("name")
    return [container for container in containers if network.name in container.networks]


@dataclass
class NetworkSpec:
    """The settings of a new network, as the create form collects them."""

    name: str
    driver: str = "bridge"
    subnet: str = ""
    gateway: str = ""
    internal: bool = False
    attachable: bool = False
    labels: dict[str, str] = field(default_factory=dict)
    options: dict[str, str] = field(default_factory=dict)

    def ipam(self) -> dict[str, Any] | None:
        if not self.subnet:
            return None
        pool = {"Subnet": self.subnet}
        if self.gateway:
            pool["Gateway"] = self.gateway
        return {"Driver": "default", "Config": [pool], "Options": {}}


def check_name(name: str) -> str:
    """Return a network or alias name stripped, or raise InvalidInput."""
    name = name.strip()
    if not NAME.match(name):
        raise InvalidInput(
            f"{name[:60]!r} is not a valid name. Use letters, digits, dots, dashes "
            "and underscores, starting with a letter or digit."
        )
    return name


def check_subnet(subnet: str) -> str:
    """Return a subnet in CIDR form normalized, or raise InvalidInput."""
    subnet = subnet.strip()
    if not subnet:
        return ""
    try:
        return str(ipaddress.ip_network(subnet, strict=True))
    except ValueError as error:
        raise InvalidInput(
            f"{subnet!r} is not a subnet such as 10.20.0.0/24: {error}"
        ) from error


def check_gateway(subnet: str, gateway: str) -> str:
    """Return a gateway address inside the checked subnet, or raise InvalidInput."""
    gateway = gateway.strip()
    if not gateway:
        return ""
    if not subnet:
        raise InvalidInput("A gateway needs a subnet. Enter the subnet too.")
    try:
        address = ipaddress.ip_address(gateway)
    except ValueError as error:
        raise InvalidInput(f"{gateway!r} is not an IP address: {error}") from error
    if address not in ipaddress.ip_network(subnet):
        raise InvalidInput(f"The gateway {gateway} is outside the subnet {subnet}.")
    return str(address)


def create_network(host: DockerHost, spec: NetworkSpec) -> str:
    """Create the network on the engine; return its id. Raises DockerError."""
    with docker_errors(host):
        answer = client_for(host).api.create_network(
            spec.name,
            driver=spec.driver,
            options=spec.options or None,
            ipam=spec.ipam(),
            check_duplicate=True,
            internal=spec.internal,
            labels=spec.labels or None,
            attachable=spec.attachable or None,
        )
    logger.info("Created network %s on host %s", spec.name, host.pk)
    refresh_mirror(host, sync.sync_networks)
    return answer["Id"]


def inspect_network(network: Network) -> dict[str, Any]:
    """Return the engine's inspect document of the network. Raises DockerError."""
    with docker_errors(network.host):
        return client_for(network.host).api.inspect_network(network.docker_id)


def remove_network(network: Network) -> None:
    """Remove the network. Raises DockerError naming attached containers."""
    host = network.host
    try:
        with docker_errors(host):
            client_for(host).api.remove_network(network.docker_id)
    except DockerError as error:
        logger.info(
            "Removing network %s on host %s failed: %s", network.name, host.pk, error
        )
        if "active endpoints" not in str(error):
            raise
        names = ", ".join(c.name for c in attached_containers(network)) or "unknown"
        raise DockerError(
            f"Network {network.name} still has containers attached ({names}), so it "
            "was not removed. Disconnect or remove them first.",
            status=error.status,
        ) from error
    refresh_mirror(host, sync.sync_networks)


def unused_networks(host: DockerHost, selector: str = "") -> list[str]:
    """Name the networks a prune would remove: custom, local and without endpoints.

    Asks the engine, since only an inspect lists a network's endpoints.
    Raises DockerError.
    """
    return sorted(_unused_network_ids(host, selector))


def _unused_network_ids(host: DockerHost, selector: str) -> dict[str, str]:
    """Map the name of each network a prune would remove to its id."""
    unused = {}
    with docker_errors(host):
        api = client_for(host).api
        for entry in api.networks(filters=label_filters(selector)):
            if entry["Name"] in PREDEFINED or entry.get("Scope") == "swarm":
                continue
            if not api.inspect_network(entry["Id"]).get("Containers"):
                unused[entry["Name"]] = entry["Id"]
    return unused


def prune_networks(
    host: DockerHost, selector: str, confirmed: Collection[str]
) -> tuple[list[str], list[str]]:
    """Remove the confirmed networks that are still unused; return removed and kept.

    Only names from the preview go, so a network that became unused after the
    preview stays. Raises DockerError when the engine cannot list its networks.
    """
    unused = _unused_network_ids(host, selector)
    api = client_for(host).api
    removed, kept = remove_confirmed(
        host, "network", confirmed, unused, api.remove_network
    )
    refresh_mirror(host, sync.sync_networks)
    return removed, kept


def connect(network: Network, container: Container, aliases: list[str]) -> None:
    """Attach a container to the network under optional aliases. Raises DockerError."""
    with docker_errors(network.host):
        client_for(network.host).api.connect_container_to_network(
            container.docker_id, network.docker_id, aliases=aliases or None
        )
    _refresh_container(container)


def disconnect(network: Network, container: Container) -> None:
    """Detach a container from the network. Raises DockerError."""
    with docker_errors(network.host):
        client_for(network.host).api.disconnect_container_from_network(
            container.docker_id, network.docker_id
        )
    _refresh_container(container)


def _refresh_container(container: Container) -> None:
    # Connect and disconnect arrive as network events, which do not update the
    # container's row, so its network list is read again here.
    event = {"Type": "container", "Actor": {"ID": container.docker_id}}
    refresh_mirror(container.host, lambda host: sync.apply_event(host, event))
