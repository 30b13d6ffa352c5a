"""Check a normalized compose model against what Pier's operators allow.

`check` runs on the output of `config --format json`, after compose has merged
the files, applied `extends` and `include`, interpolated variables and resolved
relative paths. Short and long syntax therefore reach the policy in one form,
and a file cannot hide an option from it behind a variable or an override.

Choices that the Compose Specification leaves to Pier:

- `network_mode`, `pid` and `ipc` of `service:NAME` are allowed, because
  compose rejects a NAME that is not a service of the same project.
  `container:NAME` and `volumes_from: container:NAME` name any container on the
  engine, including other teams' containers, so they count as "external
  containers".
- A port without a published value gets a free port that the engine picks, so
  only ports that the file publishes explicitly are held to the port range.
- Top-level volumes are checked through the services that mount them, because
  compose creates only the volumes that a service uses.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from containers.compose import policy_mounts
from containers.compose.policy_rules import (
    RULE_CAPABILITIES,
    RULE_DEVICES,
    RULE_EXTERNAL_CONTAINERS,
    RULE_HOST_NAMESPACES,
    RULE_PORTS,
    RULE_PRIVILEGED,
    RULE_SECURITY_OPTIONS,
    RULE_SYSCTLS,
    Finding,
)

# Capabilities that Docker Engine 20.10 grants every container by default (the
# CapEff of a busybox container), so adding one back after `cap_drop: [ALL]`
# gives no new power.
DOCKER_DEFAULT_CAPABILITIES = frozenset(
    {
        "AUDIT_WRITE",
        "CHOWN",
        "DAC_OVERRIDE",
        "FOWNER",
        "FSETID",
        "KILL",
        "MKNOD",
        "NET_BIND_SERVICE",
        "NET_RAW",
        "SETFCAP",
        "SETGID",
        "SETPCAP",
        "SETUID",
        "SYS_CHROOT",
    }
)
# Sysctls that the engine scopes to the container's IPC or network namespace
# (docker run reference, --sysctl). The engine rejects others, but the policy
# names them before anything runs.
NAMESPACED_SYSCTL_PREFIXES = (
    "kernel.msgmax",
    "kernel.msgmnb",
    "kernel.msgmni",
    "kernel.sem",
    "kernel.shmall",
    "kernel.shmmax",
    "kernel.shmmni",
    "kernel.shm_rmid_forced",
    "fs.mqueue.",
    "net.",
)
_HOST_NAMESPACE_KEYS = ("pid", "ipc", "uts", "userns_mode", "cgroup")
_UNCONFINED_SECURITY_OPTS = {
    ("seccomp", "unconfined"),
    ("apparmor", "unconfined"),
    ("systempaths", "unconfined"),
    ("label", "disable"),
    ("label", "type:spc_t"),
    ("label", "type:unconfined_t"),
}


@dataclass(frozen=True)
class ComposePolicy:
    """Limits on what a compose project may ask of the engine.

    The defaults are the strict policy for developers. ``allowed_capabilities``
    replaces DOCKER_DEFAULT_CAPABILITIES, so a custom set that should keep them
    must include them. With ``allow_bind_mounts`` set, an empty
    ``allowed_bind_roots`` allows any host path, and otherwise a bind source
    must be one of the roots or below one. The Docker socket needs
    ``allow_docker_socket`` as well. `cap_add: ALL` is rejected under every
    policy. An operator who needs every capability uses ``allow_privileged``
    and `privileged: true`, which this policy checks.
    """

    allow_privileged: bool = False
    allow_host_namespaces: bool = False
    allow_external_containers: bool = False
    allowed_capabilities: frozenset[str] = DOCKER_DEFAULT_CAPABILITIES
    allow_devices: bool = False
    allow_bind_mounts: bool = False
    allowed_bind_roots: tuple[str, ...] = ()
    allow_docker_socket: bool = False
    allowed_port_range: tuple[int, int] = (20000, 29999)
    allow_security_opt_unconfined: bool = False
    allowed_sysctl_prefixes: tuple[str, ...] = NAMESPACED_SYSCTL_PREFIXES

    def __post_init__(self) -> None:
        names = frozenset(_capability_name(name) for name in self.allowed_capabilities)
        object.__setattr__(self, "allowed_capabilities", names)
        object.__setattr__(self, "allowed_bind_roots", tuple(self.allowed_bind_roots))
        low, high = self.allowed_port_range
        if not 0 < low <= high <= 65535:
            raise ValueError(
                f"invalid port range {low}-{high}: expected 1 <= lo <= hi <= 65535"
            )

    @classmethod
    def operator(cls) -> ComposePolicy:
        """Return the policy for operators: everything except `cap_add: ALL`."""
        return cls(
            allow_privileged=True,
            allow_host_namespaces=True,
            allow_external_containers=True,
            allowed_capabilities=frozenset(_ALL_KNOWN_CAPABILITIES),
            allow_devices=True,
            allow_bind_mounts=True,
            allow_docker_socket=True,
            allowed_port_range=(1, 65535),
            allow_security_opt_unconfined=True,
            allowed_sysctl_prefixes=("",),
        )


@dataclass(frozen=True)
class Violation:
    """One option of one service that the policy does not allow."""

    service: str
    rule: str
    detail: str

    def __str__(self) -> str:
        return f'service "{self.service}": {self.detail} (rule: {self.rule})'


def check(
    model: Mapping[str, Any], policy: ComposePolicy | None = None
) -> list[Violation]:
    """Return every policy violation in a normalized compose model.

    ``policy`` defaults to the strict developer policy. The list is empty when
    the project may run.
    """
    policy = policy or ComposePolicy()
    violations = []
    services = model.get("services") or {}
    for name in sorted(services):
        service = services[name] or {}
        for rule_check in _SERVICE_CHECKS:
            for rule, detail in rule_check(service, model, policy):
                violations.append(Violation(name, rule, detail))
    return violations


def _check_privileged(
    service: Mapping, model: Mapping, policy: ComposePolicy
) -> Iterator[Finding]:
    if policy.allow_privileged:
        return
    if service.get("privileged"):
        yield RULE_PRIVILEGED, "privileged mode is not allowed"
    build = service.get("build") or {}
    if build.get("privileged"):
        yield RULE_PRIVILEGED, "a privileged build is not allowed"
    if "security.insecure" in (build.get("entitlements") or []):
        yield RULE_PRIVILEGED, "build entitlement security.insecure is not allowed"


def _check_namespaces(
    service: Mapping, model: Mapping, policy: ComposePolicy
) -> Iterator[Finding]:
    if not policy.allow_host_namespaces:
        yield from _host_namespaces(service, model)
    if not policy.allow_external_containers:
        for key in ("network_mode", "pid", "ipc"):
            value = str(service.get(key) or "")
            if value.startswith("container:"):
                yield RULE_EXTERNAL_CONTAINERS, f"{key} {value} is not allowed"
        for source in service.get("volumes_from") or []:
            if str(source).startswith("container:"):
                yield RULE_EXTERNAL_CONTAINERS, f"volumes_from {source} is not allowed"


def _host_namespaces(service: Mapping, model: Mapping) -> Iterator[Finding]:
    if service.get("network_mode") == "host":
        yield RULE_HOST_NAMESPACES, "network_mode host is not allowed"
    for key in _HOST_NAMESPACE_KEYS:
        if service.get(key) == "host":
            yield RULE_HOST_NAMESPACES, f"{key} host is not allowed"
    networks = model.get("networks") or {}
    for network in service.get("networks") or {}:
        definition = networks.get(network) or {}
        if definition.get("driver") == "host" or definition.get("name") == "host":
            yield RULE_HOST_NAMESPACES, f'network "{network}" is the host network'
    build = service.get("build") or {}
    if build.get("network") == "host":
        yield RULE_HOST_NAMESPACES, "build network host is not allowed"
    if "network.host" in (build.get("entitlements") or []):
        yield RULE_HOST_NAMESPACES, "build entitlement network.host is not allowed"


def _check_capabilities(
    service: Mapping, model: Mapping, policy: ComposePolicy
) -> Iterator[Finding]:
    for requested in service.get("cap_add") or []:
        name = _capability_name(str(requested))
        if name == "ALL":
            yield RULE_CAPABILITIES, "cap_add ALL is never allowed"
        elif name not in policy.allowed_capabilities:
            yield RULE_CAPABILITIES, f"capability {name} is not allowed"


def _capability_name(name: str) -> str:
    name = name.strip().upper()
    return name.removeprefix("CAP_")


def _check_devices(
    service: Mapping, model: Mapping, policy: ComposePolicy
) -> Iterator[Finding]:
    if policy.allow_devices:
        return
    for device in service.get("devices") or []:
        source = (
            device.get("source")
            if isinstance(device, Mapping)
            else str(device).split(":")[0]
        )
        yield RULE_DEVICES, f"device {source} is not allowed"
    for cgroup_rule in service.get("device_cgroup_rules") or []:
        yield RULE_DEVICES, f"device cgroup rule {cgroup_rule!r} is not allowed"
    if service.get("gpus"):
        yield RULE_DEVICES, "gpus are not allowed"
    reservations = ((service.get("deploy") or {}).get("resources") or {}).get(
        "reservations"
    )
    if (reservations or {}).get("devices"):
        yield RULE_DEVICES, "device reservations are not allowed"


def _check_security_opt(
    service: Mapping, model: Mapping, policy: ComposePolicy
) -> Iterator[Finding]:
    if policy.allow_security_opt_unconfined:
        return
    for option in service.get("security_opt") or []:
        key, value = _split_option(str(option))
        if (key, value) in _UNCONFINED_SECURITY_OPTS:
            yield RULE_SECURITY_OPTIONS, f"security_opt {option} is not allowed"
        elif key == "seccomp":
            # A custom profile may allow every system call, and Pier cannot judge it.
            yield (
                RULE_SECURITY_OPTIONS,
                f"custom seccomp profile {value} is not allowed",
            )


def _split_option(option: str) -> tuple[str, str]:
    """Split `seccomp=unconfined` or the older `seccomp:unconfined` form."""
    positions = [i for i in (option.find("="), option.find(":")) if i >= 0]
    if not positions:
        return option.strip(), ""
    cut = min(positions)
    return option[:cut].strip(), option[cut + 1 :].strip()


def _check_ports(
    service: Mapping, model: Mapping, policy: ComposePolicy
) -> Iterator[Finding]:
    low, high = policy.allowed_port_range
    for port in service.get("ports") or []:
        published = str(port.get("published") or "").strip()
        if not published:
            continue
        first, _, last = published.partition("-")
        try:
            start, end = int(first), int(last or first)
        except ValueError:
            yield RULE_PORTS, f"published port {published!r} is not a number"
            continue
        if start < low or end > high:
            mode = " (mode host)" if port.get("mode") == "host" else ""
            detail = f"published port {published}{mode} is outside the allowed range"
            yield RULE_PORTS, f"{detail} {low}-{high}"


def _check_sysctls(
    service: Mapping, model: Mapping, policy: ComposePolicy
) -> Iterator[Finding]:
    sysctls = service.get("sysctls") or {}
    names: Iterable[str] = (
        sysctls
        if isinstance(sysctls, Mapping)
        else (str(item).split("=")[0] for item in sysctls)
    )
    for name in names:
        if not any(
            name.startswith(prefix) for prefix in policy.allowed_sysctl_prefixes
        ):
            yield RULE_SYSCTLS, f"sysctl {name} is not allowed"


_SERVICE_CHECKS = (
    _check_privileged,
    _check_namespaces,
    _check_capabilities,
    _check_devices,
    policy_mounts.check_mounts,
    _check_security_opt,
    _check_ports,
    _check_sysctls,
)

# Capability names known to Linux 6.x, for the operator policy.
_ALL_KNOWN_CAPABILITIES = DOCKER_DEFAULT_CAPABILITIES | {
    "AUDIT_CONTROL",
    "AUDIT_READ",
    "BLOCK_SUSPEND",
    "BPF",
    "CHECKPOINT_RESTORE",
    "DAC_READ_SEARCH",
    "IPC_LOCK",
    "IPC_OWNER",
    "LEASE",
    "LINUX_IMMUTABLE",
    "MAC_ADMIN",
    "MAC_OVERRIDE",
    "NET_ADMIN",
    "NET_BROADCAST",
    "PERFMON",
    "SYSLOG",
    "SYS_ADMIN",
    "SYS_BOOT",
    "SYS_MODULE",
    "SYS_NICE",
    "SYS_PACCT",
    "SYS_PTRACE",
    "SYS_RAWIO",
    "SYS_RESOURCE",
    "SYS_TIME",
    "SYS_TTY_CONFIG",
    "WAKE_ALARM",
}
