"""Readable sections of `docker inspect` for the container page (pure functions)."""

from dataclasses import dataclass, field
from typing import Any

from .mirror_data import timestamp


@dataclass
class Section:
    """A titled list of (label, text) rows; `rows` of a table have several cells."""

    title: str
    facts: list[tuple[str, str]] = field(default_factory=list)
    columns: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)


def _text(value: Any) -> str:
    if value is None or value == "" or value == [] or value == {}:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return " ".join(str(item) for item in value)
    if isinstance(value, dict):
        return ", ".join(f"{key}={item}" for key, item in sorted(value.items()))
    return str(value)


def _time(value: Any) -> str:
    moment = timestamp(value)
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC") if moment else "—"


def _bytes(value: int | None) -> str:
    if not value:
        return "no limit"
    return f"{value / 1024**2:.0f} MiB"


def config_section(data: dict[str, Any]) -> Section:
    config = data.get("Config") or {}
    host = data.get("HostConfig") or {}
    restart = host.get("RestartPolicy") or {}
    cpus = host.get("NanoCpus") or 0
    return Section(
        "Configuration",
        facts=[
            ("Image", _text(config.get("Image"))),
            ("Command", _text(config.get("Cmd"))),
            ("Entrypoint", _text(config.get("Entrypoint"))),
            ("Working directory", _text(config.get("WorkingDir"))),
            ("User", _text(config.get("User"))),
            (
                "TTY / stdin open",
                f"{_text(config.get('Tty'))} / {_text(config.get('OpenStdin'))}",
            ),
            ("Restart policy", _text(restart.get("Name") or "no")),
            ("Memory limit", _bytes(host.get("Memory"))),
            ("CPU limit", f"{cpus / 1e9:g} CPUs" if cpus else "no limit"),
            ("Privileged", _text(bool(host.get("Privileged")))),
            ("Labels", _text(config.get("Labels"))),
        ],
    )


def state_section(data: dict[str, Any]) -> Section:
    state = data.get("State") or {}
    health = (state.get("Health") or {}).get("Status")
    return Section(
        "Runtime state",
        facts=[
            ("Status", _text(state.get("Status"))),
            ("Process id", _text(state.get("Pid") or None)),
            ("Exit code", _text(state.get("ExitCode"))),
            ("Error", _text(state.get("Error"))),
            ("Out of memory killed", _text(bool(state.get("OOMKilled")))),
            ("Started", _time(state.get("StartedAt"))),
            ("Finished", _time(state.get("FinishedAt"))),
            ("Restart count", _text(data.get("RestartCount", 0))),
            ("Health", _text(health)),
        ],
    )


def network_section(data: dict[str, Any]) -> Section:
    settings = data.get("NetworkSettings") or {}
    host = data.get("HostConfig") or {}
    rows = [
        [
            name,
            _text(network.get("IPAddress")),
            _text(network.get("Gateway")),
            _text(network.get("MacAddress")),
        ]
        for name, network in sorted((settings.get("Networks") or {}).items())
    ]
    published = [
        f"{binding.get('HostIp') or '*'}:{binding.get('HostPort')} → {port}"
        for port, bindings in sorted((settings.get("Ports") or {}).items())
        for binding in bindings or []
    ]
    return Section(
        "Network",
        facts=[
            ("Network mode", _text(host.get("NetworkMode"))),
            ("Published ports", ", ".join(published) or "—"),
        ],
        columns=["Network", "IP address", "Gateway", "MAC address"],
        rows=rows,
    )


def mounts_section(data: dict[str, Any]) -> Section:
    rows = [
        [
            _text(mount.get("Type")),
            _text(mount.get("Name") or mount.get("Source")),
            _text(mount.get("Destination")),
            "read-write" if mount.get("RW", True) else "read-only",
        ]
        for mount in data.get("Mounts") or []
    ]
    return Section(
        "Mounts", columns=["Type", "Source", "Container path", "Mode"], rows=rows
    )


def environment_section(data: dict[str, Any]) -> Section:
    rows = [
        list(entry.partition("=")[::2])
        for entry in (data.get("Config") or {}).get("Env") or []
    ]
    return Section("Environment", columns=["Variable", "Value"], rows=rows)


def sections(data: dict[str, Any]) -> list[Section]:
    """Return the sections: configuration, runtime state, network, mounts, env."""
    return [
        config_section(data),
        state_section(data),
        network_section(data),
        mounts_section(data),
        environment_section(data),
    ]
