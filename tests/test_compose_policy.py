"""Policy checks on models that the real compose binary normalizes.

Each forbidden option is written four ways: directly in compose.yaml, through
`extends` from another file, in a second `-f` file, and as a `${VAR}` whose
value comes from `.env`. All four must reach `check` as the same model. These
tests run only `config`, so they need no Docker engine.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass, replace
from pathlib import Path

import pytest

from containers.compose import ComposePolicy, ComposeProject, check, config
from containers.compose.policy_rules import (
    RULE_BIND_MOUNTS,
    RULE_CAPABILITIES,
    RULE_DEVICES,
    RULE_DOCKER_SOCKET,
    RULE_EXTERNAL_CONTAINERS,
    RULE_HOST_NAMESPACES,
    RULE_PORTS,
    RULE_PRIVILEGED,
    RULE_SECURITY_OPTIONS,
    RULE_SYSCTLS,
)

VARIABLE = "PIER_POLICY_VALUE"


@dataclass(frozen=True)
class Case:
    """A forbidden option: YAML under the service and at top level, with `{v}`."""

    name: str
    rule: str
    service: str
    value: str
    top: str = ""


CASES = [
    Case("privileged", RULE_PRIVILEGED, "privileged: {v}", "true"),
    Case(
        "build-privileged",
        RULE_PRIVILEGED,
        "build:\n  context: .\n  privileged: {v}",
        "true",
    ),
    Case("network-mode-host", RULE_HOST_NAMESPACES, "network_mode: {v}", "host"),
    Case("pid-host", RULE_HOST_NAMESPACES, "pid: {v}", "host"),
    Case("ipc-host", RULE_HOST_NAMESPACES, "ipc: {v}", "host"),
    Case("uts-host", RULE_HOST_NAMESPACES, "uts: {v}", "host"),
    Case("userns-host", RULE_HOST_NAMESPACES, "userns_mode: {v}", "host"),
    Case("cgroup-host", RULE_HOST_NAMESPACES, "cgroup: {v}", "host"),
    Case(
        "network-named-host",
        RULE_HOST_NAMESPACES,
        "networks:\n  - outside",
        "host",
        top="networks:\n  outside:\n    name: {v}\n    external: true",
    ),
    Case(
        "network-driver-host",
        RULE_HOST_NAMESPACES,
        "networks:\n  - hostdriver",
        "host",
        top="networks:\n  hostdriver:\n    driver: {v}",
    ),
    Case(
        "build-network-host",
        RULE_HOST_NAMESPACES,
        "build:\n  context: .\n  network: {v}",
        "host",
    ),
    Case(
        "network-mode-container",
        RULE_EXTERNAL_CONTAINERS,
        "network_mode: {v}",
        "container:piertest-other",
    ),
    Case(
        "pid-container",
        RULE_EXTERNAL_CONTAINERS,
        "pid: {v}",
        "container:piertest-other",
    ),
    Case(
        "ipc-container",
        RULE_EXTERNAL_CONTAINERS,
        "ipc: {v}",
        "container:piertest-other",
    ),
    Case(
        "volumes-from-container",
        RULE_EXTERNAL_CONTAINERS,
        "volumes_from:\n  - {v}",
        "container:piertest-other",
    ),
    Case("cap-add", RULE_CAPABILITIES, "cap_add:\n  - {v}", "SYS_ADMIN"),
    Case("cap-add-prefixed", RULE_CAPABILITIES, "cap_add:\n  - {v}", "cap_sys_admin"),
    Case("cap-add-all", RULE_CAPABILITIES, "cap_add:\n  - {v}", "ALL"),
    Case("devices-short", RULE_DEVICES, 'devices:\n  - "{v}:/dev/xnull"', "/dev/null"),
    Case(
        "devices-long",
        RULE_DEVICES,
        "devices:\n  - source: {v}\n    target: /dev/xnull",
        "/dev/null",
    ),
    Case(
        "device-cgroup-rules",
        RULE_DEVICES,
        'device_cgroup_rules:\n  - "{v}"',
        "c 1:3 mr",
    ),
    Case("gpus", RULE_DEVICES, "gpus: {v}", "all"),
    Case("bind-short-relative", RULE_BIND_MOUNTS, 'volumes:\n  - "{v}:/y"', "./x"),
    Case("bind-short-absolute", RULE_BIND_MOUNTS, 'volumes:\n  - "{v}:/y"', "/etc"),
    Case(
        "bind-long",
        RULE_BIND_MOUNTS,
        "volumes:\n  - type: bind\n    source: {v}\n    target: /y",
        "/etc",
    ),
    Case(
        "bind-disguised-volume",
        RULE_BIND_MOUNTS,
        "volumes:\n  - data:/data",
        "/etc",
        top="volumes:\n  data:\n    driver_opts:\n      type: none\n      o: bind\n"
        "      device: {v}",
    ),
    Case(
        "secret-file",
        RULE_BIND_MOUNTS,
        "secrets:\n  - token",
        "/etc/hostname",
        top="secrets:\n  token:\n    file: {v}",
    ),
    Case(
        "config-file",
        RULE_BIND_MOUNTS,
        "configs:\n  - settings",
        "/etc/hostname",
        top="configs:\n  settings:\n    file: {v}",
    ),
    Case(
        "socket-short",
        RULE_DOCKER_SOCKET,
        'volumes:\n  - "{v}:/var/run/docker.sock"',
        "/var/run/docker.sock",
    ),
    Case("socket-root", RULE_DOCKER_SOCKET, 'volumes:\n  - "{v}:/host"', "/"),
    Case(
        "socket-long",
        RULE_DOCKER_SOCKET,
        "volumes:\n  - type: bind\n    source: {v}\n    target: /sock",
        "/run/docker.sock",
    ),
    Case(
        "socket-disguised-volume",
        RULE_DOCKER_SOCKET,
        "volumes:\n  - data:/data",
        "/var/run",
        top="volumes:\n  data:\n    driver_opts:\n      type: none\n      o: rbind,ro\n"
        "      device: {v}",
    ),
    *[
        Case(
            f"security-opt-{option}",
            RULE_SECURITY_OPTIONS,
            'security_opt:\n  - "{v}"',
            option,
        )
        for option in (
            "seccomp:unconfined",
            "seccomp=unconfined",
            "apparmor:unconfined",
            "apparmor=unconfined",
            "label:disable",
            "label=disable",
            "systempaths=unconfined",
        )
    ],
    Case(
        "security-opt-seccomp-profile",
        RULE_SECURITY_OPTIONS,
        'security_opt:\n  - "{v}"',
        "seccomp=./profile.json",
    ),
    Case("ports-short", RULE_PORTS, 'ports:\n  - "{v}:80"', "80"),
    Case("ports-short-range", RULE_PORTS, 'ports:\n  - "{v}:80"', "8000-8005"),
    Case("ports-host-ip", RULE_PORTS, 'ports:\n  - "127.0.0.1:{v}:80"', "443"),
    Case(
        "ports-long-mode-host",
        RULE_PORTS,
        'ports:\n  - target: 22\n    published: "{v}"\n    mode: host',
        "2222",
    ),
    Case(
        "ports-long-range",
        RULE_PORTS,
        'ports:\n  - target: 90\n    published: "{v}"',
        "30000-30002",
    ),
    Case("sysctls-list", RULE_SYSCTLS, 'sysctls:\n  - "{v}=1"', "kernel.panic"),
    Case("sysctls-map", RULE_SYSCTLS, "sysctls:\n  kernel.panic: {v}", "1"),
]
WAYS = ["direct", "extends", "override", "env"]

# For each rule, the policy change that allows it and nothing else.
ALLOWING = {
    RULE_PRIVILEGED: {"allow_privileged": True},
    RULE_HOST_NAMESPACES: {"allow_host_namespaces": True},
    RULE_EXTERNAL_CONTAINERS: {"allow_external_containers": True},
    RULE_CAPABILITIES: {"allowed_capabilities": {"SYS_ADMIN"}},
    RULE_DEVICES: {"allow_devices": True},
    RULE_BIND_MOUNTS: {"allow_bind_mounts": True},
    RULE_DOCKER_SOCKET: {"allow_bind_mounts": True, "allow_docker_socket": True},
    RULE_SECURITY_OPTIONS: {"allow_security_opt_unconfined": True},
    RULE_PORTS: {"allowed_port_range": (1, 65535)},
    RULE_SYSCTLS: {"allowed_sysctl_prefixes": ("kernel.",)},
}

SERVICE_HEAD = "services:\n  web:\n    image: busybox:latest\n    command: sleep 3600\n"


def _indent(text: str, spaces: int) -> str:
    return textwrap.indent(text, " " * spaces) + "\n" if text else ""


def write_project(folder: Path, case: Case, way: str) -> ComposeProject:
    """Write ``case`` into ``folder`` the given way and return the project."""
    value = "${" + VARIABLE + "}" if way == "env" else case.value
    service = case.service.replace("{v}", value)
    top = _indent(case.top.replace("{v}", value), 0)
    files = ["compose.yaml"]
    if way in ("direct", "env"):
        (folder / "compose.yaml").write_text(SERVICE_HEAD + _indent(service, 4) + top)
        if way == "env":
            (folder / ".env").write_text(f"{VARIABLE}='{case.value}'\n")
    elif way == "extends":
        (folder / "shared").mkdir()
        base = "services:\n  base:\n" + _indent(service, 4)
        (folder / "shared" / "base.yaml").write_text(base)
        compose = (
            "services:\n  web:\n    image: busybox:latest\n    extends:\n"
            "      file: shared/base.yaml\n      service: base\n"
        )
        (folder / "compose.yaml").write_text(compose + top)
    else:
        (folder / "compose.yaml").write_text(SERVICE_HEAD)
        override = "services:\n  web:\n" + _indent(service, 4) + top
        (folder / "override.yaml").write_text(override)
        files.append("override.yaml")
    return ComposeProject(name="piertest-policy", folder=folder, files=files)


@pytest.fixture(scope="module")
def model_of(tmp_path_factory: pytest.TempPathFactory):
    """Return a function that normalizes a case written one way, once per module."""
    models: dict[tuple[str, str], tuple[Path, dict]] = {}

    def normalize(case: Case, way: str) -> tuple[Path, dict]:
        if (case.name, way) not in models:
            folder = tmp_path_factory.mktemp(f"{case.name}-{way}")
            models[case.name, way] = (folder, config(write_project(folder, case, way)))
        return models[case.name, way]

    return normalize


@pytest.mark.parametrize("way", WAYS)
@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_forbidden_option_rejected(model_of, case: Case, way: str) -> None:
    _, model = model_of(case, way)
    violations = check(model, ComposePolicy())
    matching = [violation for violation in violations if violation.rule == case.rule]
    assert matching, f"no {case.rule!r} violation in {violations}"
    assert {violation.service for violation in matching} == {"web"}


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_policy_allows_option(model_of, case: Case) -> None:
    _, model = model_of(case, "direct")
    violations = check(model, replace(ComposePolicy(), **ALLOWING[case.rule]))
    if case.name == "cap-add-all":
        assert [violation.rule for violation in violations] == [RULE_CAPABILITIES]
    else:
        assert violations == []


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_operator_policy_allows_option(model_of, case: Case) -> None:
    _, model = model_of(case, "direct")
    violations = check(model, ComposePolicy.operator())
    if case.name == "cap-add-all":
        assert [str(violation) for violation in violations] == [
            'service "web": cap_add ALL is never allowed (rule: capabilities)'
        ]
    else:
        assert violations == []


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_ways_give_same_violations(model_of, case: Case) -> None:
    """Compose normalizes every way of writing an option to one model."""
    rendered = {}
    for way in WAYS:
        folder, model = model_of(case, way)
        # Relative sources resolve below each way's own folder, and below
        # shared/ for the file that `extends` reads.
        texts = [str(violation) for violation in check(model, ComposePolicy())]
        texts = [text.replace(f"{folder}/shared/", "<folder>/") for text in texts]
        rendered[way] = [text.replace(f"{folder}/", "<folder>/") for text in texts]
    assert rendered["direct"], "the direct way has no violation"
    assert rendered["extends"] == rendered["direct"]
    assert rendered["override"] == rendered["direct"]
    assert rendered["env"] == rendered["direct"]


ALLOWED_SERVICES = {
    "named-volume": "volumes:\n  - data:/data",
    "anonymous-volume": "volumes:\n  - /cache",
    "tmpfs": "tmpfs:\n  - /run/app",
    "ports-in-range": 'ports:\n  - "20080:80"\n  - "20000-20005:8000-8005"',
    "ports-long-mode-host-in-range": 'ports:\n  - target: 22\n    published: "22222"\n'
    "    mode: host",
    "port-unpublished": 'ports:\n  - "80"',
    "network-mode-service": "network_mode: service:db",
    "pid-service": "pid: service:db",
    "volumes-from-service": "volumes_from:\n  - db:ro",
    "default-capability": "cap_drop:\n  - ALL\n"
    "cap_add:\n  - NET_BIND_SERVICE\n  - CAP_CHOWN",
    "namespaced-sysctls": "sysctls:\n  net.core.somaxconn: 1024\n"
    "  kernel.shmmax: 65536",
    "no-new-privileges": "security_opt:\n  - no-new-privileges:true",
    "secret-from-environment": "secrets:\n  - token",
    "bridge-network": "networks:\n  - backend",
}
ALLOWED_TOP = (
    "  db:\n    image: busybox:latest\n    command: sleep 3600\n"
    "volumes:\n  data: {}\n"
    "networks:\n  backend:\n    driver: bridge\n"
    "secrets:\n  token:\n    environment: PIER_TOKEN\n"
)


@pytest.mark.parametrize(
    "snippet", ALLOWED_SERVICES.values(), ids=ALLOWED_SERVICES.keys()
)
def test_allowed_option_passes(tmp_path: Path, snippet: str) -> None:
    (tmp_path / "compose.yaml").write_text(
        SERVICE_HEAD + _indent(snippet, 4) + ALLOWED_TOP
    )
    project = ComposeProject(
        name="piertest-policy", folder=tmp_path, files=["compose.yaml"]
    )
    model = config(project)
    assert "web" in model["services"]
    assert check(model) == []


def _bind_model(tmp_path: Path, source: str) -> dict:
    (tmp_path / "compose.yaml").write_text(
        SERVICE_HEAD + f'    volumes:\n      - "{source}:/y"\n'
    )
    return config(ComposeProject(name="piertest-policy", folder=tmp_path))


def test_bind_roots_allow_project_folder(tmp_path: Path) -> None:
    policy = ComposePolicy(allow_bind_mounts=True, allowed_bind_roots=(str(tmp_path),))
    assert check(_bind_model(tmp_path, "./data/cache"), policy) == []


@pytest.mark.parametrize("source", ["/etc", "../outside", "./.."])
def test_bind_roots_reject_outside(tmp_path: Path, source: str) -> None:
    folder = tmp_path / "project"
    folder.mkdir()
    policy = ComposePolicy(allow_bind_mounts=True, allowed_bind_roots=(str(folder),))
    violations = check(_bind_model(folder, source), policy)
    assert [violation.rule for violation in violations] == [RULE_BIND_MOUNTS]
    assert "outside the allowed folders" in violations[0].detail


def test_bind_roots_reject_sibling_prefix(tmp_path: Path) -> None:
    """A root of /srv/app must not allow /srv/app-other."""
    folder = tmp_path / "app"
    folder.mkdir()
    policy = ComposePolicy(allow_bind_mounts=True, allowed_bind_roots=(str(folder),))
    violations = check(_bind_model(folder, f"{folder}-other"), policy)
    assert [violation.rule for violation in violations] == [RULE_BIND_MOUNTS]


def test_socket_needs_own_permission(tmp_path: Path) -> None:
    policy = ComposePolicy(allow_bind_mounts=True)
    violations = check(_bind_model(tmp_path, "/var/run/docker.sock"), policy)
    assert [violation.rule for violation in violations] == [RULE_DOCKER_SOCKET]


def test_violation_renders_service_rule_detail(tmp_path: Path) -> None:
    violations = check(_bind_model(tmp_path, "/etc"))
    assert [str(violation) for violation in violations] == [
        'service "web": bind mount of /etc is not allowed (rule: bind mounts)'
    ]


def test_every_service_is_checked(tmp_path: Path) -> None:
    (tmp_path / "compose.yaml").write_text(
        "services:\n"
        "  api:\n    image: busybox:latest\n    privileged: true\n"
        "  web:\n    image: busybox:latest\n    pid: host\n"
        "  worker:\n    image: busybox:latest\n"
    )
    model = config(ComposeProject(name="piertest-policy", folder=tmp_path))
    found = {(violation.service, violation.rule) for violation in check(model)}
    assert found == {("api", RULE_PRIVILEGED), ("web", RULE_HOST_NAMESPACES)}


def test_profiles_select_services(tmp_path: Path) -> None:
    """Services outside the active profiles are not in the model, so not checked."""
    (tmp_path / "compose.yaml").write_text(
        SERVICE_HEAD + "  debug:\n    image: busybox:latest\n    privileged: true\n"
        "    profiles: [debug]\n"
    )
    project = ComposeProject(name="piertest-policy", folder=tmp_path)
    assert check(config(project)) == []
    with_debug = replace(project, profiles=["debug"])
    assert [violation.service for violation in check(config(with_debug))] == ["debug"]


def test_invalid_port_range_rejected() -> None:
    with pytest.raises(ValueError, match="invalid port range"):
        ComposePolicy(allowed_port_range=(30000, 20000))
