"""Rule names that policy violations carry, as shown to developers."""

from __future__ import annotations

RULE_PRIVILEGED = "privileged"
RULE_HOST_NAMESPACES = "host namespaces"
RULE_EXTERNAL_CONTAINERS = "external containers"
RULE_CAPABILITIES = "capabilities"
RULE_DEVICES = "devices"
RULE_BIND_MOUNTS = "bind mounts"
RULE_DOCKER_SOCKET = "docker socket"
RULE_SECURITY_OPTIONS = "security options"
RULE_PORTS = "ports"
RULE_SYSCTLS = "sysctls"

# A rule name and the detail that explains which option broke it.
Finding = tuple[str, str]
