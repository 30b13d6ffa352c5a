"""Selection of the compose policy: operator, or the developer policy per host."""

import logging

from ..compose import ComposePolicy
from ..compose.policy import DOCKER_DEFAULT_CAPABILITIES
from ..models import ComposePolicySetting, DockerHost
from .access import is_operator

logger = logging.getLogger(__name__)


def developer_setting(host: DockerHost | None) -> ComposePolicySetting | None:
    """Return the host's own policy setting, else the global one, else None."""
    if host is not None:
        own = ComposePolicySetting.objects.filter(host=host).first()
        if own is not None:
            return own
    return ComposePolicySetting.objects.filter(host__isnull=True).first()


def policy_from_setting(setting: ComposePolicySetting | None) -> ComposePolicy:
    """Build the developer policy that a stored setting describes."""
    if setting is None:
        return ComposePolicy()
    extra = {
        name.strip().upper()
        for name in setting.extra_capabilities.replace(",", " ").split()
        if name.strip()
    }
    roots = tuple(
        line.strip() for line in setting.allowed_bind_roots.splitlines() if line.strip()
    )
    return ComposePolicy(
        allow_privileged=setting.allow_privileged,
        allow_host_namespaces=setting.allow_host_namespaces,
        allow_external_containers=setting.allow_external_containers,
        allowed_capabilities=DOCKER_DEFAULT_CAPABILITIES | extra,
        allow_devices=setting.allow_devices,
        allow_bind_mounts=setting.allow_bind_mounts,
        allowed_bind_roots=roots,
        allow_docker_socket=setting.allow_docker_socket,
        allowed_port_range=(setting.port_low, setting.port_high),
        allow_security_opt_unconfined=setting.allow_security_opt_unconfined,
    )


def policy_for(user, host: DockerHost) -> ComposePolicy:
    """Return the policy for files that ``user`` writes for ``host``.

    Operators get the operator policy. Developers, and files whose author no
    longer exists (``user`` None), get the developer policy of the host.
    """
    if user is not None and is_operator(user):
        return ComposePolicy.operator()
    return policy_from_setting(developer_setting(host))
