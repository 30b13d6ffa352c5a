"""The compose wrapper against the real compose binary and Docker engine.

Config tests need only the binary. Engine tests run busybox:latest under
project names that start with `piertest-` and remove everything with `down -v`.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import docker
import pytest

from containers.compose import (
    ComposeCancelled,
    ComposeError,
    ComposeProject,
    ComposeTimeout,
    commands,
    compose_binary,
    config,
    config_hashes,
    preview_changes,
    ps,
    run,
)
from containers.compose.events import ProgressEvent

REPO_ROOT = Path(__file__).resolve().parent.parent

# busybox `sleep` as PID 1 ignores SIGTERM, so a short stop_grace_period keeps
# stop and down from waiting the default 10 s for each container.
TWO_SERVICES = """\
services:
  a:
    image: busybox:latest
    command: sleep 3600
    stop_grace_period: 1s
    volumes:
      - data:/data
    healthcheck:
      test: ["CMD", "true"]
      interval: 1s
  b:
    image: busybox:latest
    command: sleep 3600
    stop_grace_period: 1s
volumes:
  data: {}
"""


def _edit(text: str, old: str, new: str) -> str:
    """Replace ``old`` in a compose text, failing the test if it is not there."""
    assert old in text, f"{old!r} not in compose text"
    return text.replace(old, new)


def _project(folder: Path, text: str, files: list[str] | None = None) -> ComposeProject:
    (folder / "compose.yaml").write_text(text)
    return ComposeProject(name="piertest-cli", folder=folder, files=files or [])


# --- compose_binary ---------------------------------------------------------


def _binary_in_subprocess(setup: str) -> str:
    """Print compose_binary() from a fresh interpreter after running ``setup``."""
    code = (
        f"{setup}\n"
        "from containers.compose import compose_binary\n"
        "print(compose_binary())"
    )
    env = {
        key: value
        for key, value in os.environ.items()
        if key != "DJANGO_SETTINGS_MODULE"
    }
    completed = subprocess.run(
        [sys.executable, "-c", code],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return completed.stdout.strip()


def test_binary_defaults_to_packaged_binary() -> None:
    import compose

    expected = str([str(Path(compose.__file__).parent / "docker-compose")])
    assert _binary_in_subprocess("") == expected


@pytest.mark.parametrize(
    "value",
    ["'/opt/compose --ansi never'", "['/opt/compose', '--ansi', 'never']"],
    ids=["string", "list"],
)
def test_binary_from_settings(value: str) -> None:
    setup = (
        "from django.conf import settings\n"
        f"settings.configure(PIER_COMPOSE_COMMAND={value})"
    )
    assert _binary_in_subprocess(setup) == "['/opt/compose', '--ansi', 'never']"


def test_binary_reports_exit_status(tmp_path: Path) -> None:
    (tmp_path / "compose.yaml").write_text("services:\n  web:\n    imagez: x\n")
    completed = subprocess.run(
        [*compose_binary(), "config", "--quiet"], cwd=tmp_path, capture_output=True
    )
    assert completed.returncode != 0


# --- config -----------------------------------------------------------------


def test_config_returns_normalized_model(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("TAG=latest\n")
    project = _project(
        tmp_path,
        "services:\n  web:\n    image: busybox:${TAG}\n    ports: ['20080:80']\n",
    )
    model = config(project)
    assert model["name"] == "piertest-cli"
    assert model["services"]["web"]["image"] == "busybox:latest"
    assert model["services"]["web"]["ports"][0]["published"] == "20080"


CONFIG_ERRORS = [
    # name, compose.yaml, message fragment, key, line
    (
        "yaml-syntax",
        "services:\n  web:\n    image: busybox\n   command: [x\n",
        "did not find expected key",
        None,
        4,
    ),
    (
        "unknown-key",
        "services:\n  web:\n    image: busybox\n    imagez: x\n",
        "additional properties 'imagez' not allowed",
        "services.web.imagez",
        4,
    ),
    (
        "unknown-top-level-key",
        "servicez:\n  web:\n    image: busybox\n",
        "additional properties 'servicez' not allowed",
        "servicez",
        1,
    ),
    (
        "wrong-type-bool",
        "services:\n  web:\n    image: busybox\n    privileged: maybe\n",
        "invalid boolean",
        "services.web.privileged",
        4,
    ),
    (
        "wrong-type-list",
        "services:\n  web:\n    image: busybox\n    ports: 80\n",
        "must be a array",
        "services.web.ports",
        4,
    ),
    (
        "required-variable",
        "services:\n  web:\n    image: busybox\n    environment:\n"
        "      A: ${X:?must be set}\n",
        "required variable X is missing a value: must be set",
        "services.web.environment.A",
        5,
    ),
    (
        "required-variable-in-list",
        "services:\n  web:\n    image: busybox\n    environment:\n"
        "      - B=1\n      - A=${X:?must be set}\n",
        "required variable X is missing a value: must be set",
        "services.web.environment.[]",
        6,
    ),
    (
        "depends-on-cycle",
        "services:\n  a:\n    image: busybox\n    depends_on: [b]\n"
        "  b:\n    image: busybox\n    depends_on: [a]\n",
        "dependency cycle detected",
        "services.a.depends_on",
        4,
    ),
    (
        "duplicate-key",
        "services:\n  web:\n    image: busybox\n    image: busybox\n",
        'mapping key "image" already defined',
        "image",
        4,
    ),
    (
        "undefined-volume",
        "services:\n  web:\n    image: busybox\n    volumes:\n      - nope:/x\n",
        "refers to undefined volume nope",
        "services.web.volumes",
        4,
    ),
]


@pytest.mark.parametrize(
    ("text", "fragment", "key", "line"),
    [row[1:] for row in CONFIG_ERRORS],
    ids=[row[0] for row in CONFIG_ERRORS],
)
def test_config_error_locates_fault(
    tmp_path: Path, text: str, fragment: str, key: str | None, line: int
) -> None:
    project = _project(tmp_path, text)
    with pytest.raises(ComposeError) as caught:
        config(project)
    error = caught.value
    assert fragment in error.detail
    assert error.key == key
    assert error.line == line
    assert error.file == str(tmp_path / "compose.yaml")
    assert f"line {line}" in str(error)


def test_config_error_in_override_file(tmp_path: Path) -> None:
    (tmp_path / "override.yaml").write_text(
        "services:\n  web:\n    environment:\n      - A=1\n    entrypointz: sh\n"
    )
    project = _project(
        tmp_path,
        "services:\n  web:\n    image: busybox\n",
        ["compose.yaml", "override.yaml"],
    )
    with pytest.raises(ComposeError) as caught:
        config(project)
    assert caught.value.file == str(tmp_path / "override.yaml")
    assert caught.value.key == "services.web.entrypointz"
    assert caught.value.line == 5


def test_config_syntax_error_in_second_file(tmp_path: Path) -> None:
    (tmp_path / "override.yaml").write_text("services:\n  web:\n   - [\n")
    project = _project(
        tmp_path,
        "services:\n  web:\n    image: busybox\n",
        ["compose.yaml", "override.yaml"],
    )
    with pytest.raises(ComposeError) as caught:
        config(project)
    assert caught.value.file == str(tmp_path / "override.yaml")
    assert caught.value.line is not None


def test_config_missing_env_file(tmp_path: Path) -> None:
    project = replace(
        _project(tmp_path, "services:\n  web:\n    image: busybox\n"),
        env_file="nothere.env",
    )
    with pytest.raises(ComposeError, match="nothere.env") as caught:
        config(project)
    assert caught.value.file == str(tmp_path / "nothere.env")


def test_config_ignores_pier_environment(tmp_path: Path, monkeypatch) -> None:
    """A compose file cannot read Pier's own variables through interpolation."""
    monkeypatch.setenv("PIER_TEST_SECRET", "hunter2")
    project = _project(
        tmp_path,
        "services:\n  web:\n    image: busybox\n    environment:\n"
        "      LEAK: ${PIER_TEST_SECRET:-absent}\n",
    )
    assert config(project)["services"]["web"]["environment"]["LEAK"] == "absent"
    with_variable = replace(project, environment={"PIER_TEST_SECRET": "given"})
    assert config(with_variable)["services"]["web"]["environment"]["LEAK"] == "given"


def test_config_hashes_per_service(tmp_path: Path) -> None:
    project = _project(tmp_path, TWO_SERVICES)
    hashes = config_hashes(project)
    assert set(hashes) == {"a", "b"}
    assert all(len(value) == 64 for value in hashes.values())
    changed = _edit(
        TWO_SERVICES,
        "  b:\n    image: busybox:latest\n    command: sleep 3600",
        "  b:\n    image: busybox:latest\n    command: sleep 3601",
    )
    (tmp_path / "compose.yaml").write_text(changed)
    new_hashes = config_hashes(project)
    assert new_hashes["a"] == hashes["a"]
    assert new_hashes["b"] != hashes["b"]


def test_file_paths_include_default_override(tmp_path: Path) -> None:
    project = _project(tmp_path, "services:\n  web:\n    image: busybox\n")
    (tmp_path / "compose.override.yaml").write_text(
        "services:\n  web:\n    privilegedx: true\n"
    )
    assert project.file_paths() == [
        tmp_path / "compose.yaml",
        tmp_path / "compose.override.yaml",
    ]
    with pytest.raises(ComposeError) as caught:
        config(project)
    assert caught.value.file == str(tmp_path / "compose.override.yaml")
    assert caught.value.line == 3


# --- engine: run, ps, preview -----------------------------------------------


@pytest.fixture
def engine_project(tmp_path: Path) -> Iterator[ComposeProject]:
    """A two-service busybox project with a unique name, removed with `down -v`."""
    name = f"piertest-{uuid.uuid4().hex[:10]}"
    (tmp_path / "compose.yaml").write_text(TWO_SERVICES)
    project = ComposeProject(name=name, folder=tmp_path)
    try:
        yield project
    finally:
        run(project, commands.down(volumes=True), timeout=120)


def _leftovers(name: str) -> dict[str, list[str]]:
    """List the containers, networks and volumes that compose labelled for ``name``."""
    label = f"com.docker.compose.project={name}"
    client = docker.DockerClient(base_url="unix:///var/run/docker.sock")
    try:
        return {
            "containers": [
                c.name
                for c in client.containers.list(all=True, filters={"label": label})
            ],
            "networks": [
                n.name for n in client.networks.list(filters={"label": label})
            ],
            "volumes": [v.name for v in client.volumes.list(filters={"label": label})],
        }
    finally:
        client.close()


def _statuses(events: list[ProgressEvent], resource: str) -> list[str]:
    return [event["status"] for event in events if event["resource"] == resource]


def _states(project: ComposeProject) -> dict[str, str]:
    return {entry["Name"]: entry["State"] for entry in ps(project)}


def test_lifecycle_emits_events_and_cleans_up(engine_project: ComposeProject) -> None:
    name = engine_project.name
    a1, b1, b2 = f"{name}-a-1", f"{name}-b-1", f"{name}-b-2"
    received: list[ProgressEvent] = []

    up = run(engine_project, commands.up(wait=True), received.append, timeout=120)
    assert up.exit_code == 0
    assert received == up.events
    assert "Started" in _statuses(up.events, f"Container {a1}")
    assert "Started" in _statuses(up.events, f"Container {b1}")
    assert "Created" in _statuses(up.events, f"Volume {name}_data")
    assert "Created" in _statuses(up.events, f"Network {name}_default")
    assert _states(engine_project) == {a1: "running", b1: "running"}

    stop = run(engine_project, commands.stop(), timeout=60)
    assert "Stopped" in _statuses(stop.events, f"Container {a1}")
    assert _states(engine_project) == {a1: "exited", b1: "exited"}

    start = run(engine_project, commands.start(["b"]), timeout=60)
    assert "Started" in _statuses(start.events, f"Container {b1}")
    assert _states(engine_project) == {a1: "exited", b1: "running"}

    restart = run(engine_project, commands.restart(), timeout=60)
    assert "Restarting" in _statuses(restart.events, f"Container {a1}")
    assert _states(engine_project) == {a1: "running", b1: "running"}

    kill = run(engine_project, commands.kill(["a"], signal="SIGKILL"), timeout=60)
    assert "Killed" in _statuses(kill.events, f"Container {a1}")
    exit_codes = {entry["Name"]: entry["ExitCode"] for entry in ps(engine_project)}
    assert exit_codes[a1] == 137

    scale = run(engine_project, commands.scale("b", 2), timeout=60)
    assert "Started" in _statuses(scale.events, f"Container {b2}")
    assert _states(engine_project) == {a1: "exited", b1: "running", b2: "running"}

    down = run(engine_project, commands.down(volumes=True), timeout=120)
    assert "Removed" in _statuses(down.events, f"Container {b2}")
    assert "Removed" in _statuses(down.events, f"Volume {name}_data")
    assert ps(engine_project) == []
    assert _leftovers(name) == {"containers": [], "networks": [], "volumes": []}


def test_run_failure_raises_with_compose_message(
    engine_project: ComposeProject,
) -> None:
    (engine_project.folder / "compose.yaml").write_text(
        "services:\n  a:\n    image: piertest-missing-image:latest\n"
        "    pull_policy: never\n"
    )
    with pytest.raises(ComposeError) as caught:
        run(engine_project, commands.up(), timeout=120)
    assert "No such image: piertest-missing-image:latest" in str(caught.value)
    assert caught.value.output


SLOW_TO_BE_HEALTHY = """\
services:
  a:
    image: busybox:latest
    command: sleep 3600
    stop_grace_period: 1s
    healthcheck:
      test: ["CMD", "false"]
      interval: 30s
      start_period: 120s
"""


def _compose_processes(name: str) -> list[int]:
    """Return the ids of live processes whose command line names project ``name``."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            arguments = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if name.encode() in arguments:
            found.append(int(entry.name))
    return found


def test_run_timeout_kills_process_group(engine_project: ComposeProject) -> None:
    (engine_project.folder / "compose.yaml").write_text(SLOW_TO_BE_HEALTHY)
    with pytest.raises(ComposeTimeout, match="timed out after 3 s"):
        run(engine_project, commands.up(wait=True), timeout=3)
    assert _compose_processes(engine_project.name) == []


def test_run_cancel_kills_process_group(engine_project: ComposeProject) -> None:
    (engine_project.folder / "compose.yaml").write_text(SLOW_TO_BE_HEALTHY)
    cancel = threading.Event()
    timer = threading.Timer(2.0, cancel.set)
    timer.start()
    try:
        with pytest.raises(ComposeCancelled):
            run(engine_project, commands.up(wait=True), cancel=cancel, timeout=60)
    finally:
        timer.cancel()
    assert _compose_processes(engine_project.name) == []


def test_preview_matches_compose_recreation(engine_project: ComposeProject) -> None:
    folder = engine_project.folder
    (folder / "compose.yaml").write_text(TWO_SERVICES)
    applied_model = config(engine_project)
    run(engine_project, commands.up(), timeout=120)
    ids_before = {entry["Service"]: entry["ID"] for entry in ps(engine_project)}

    added_c = "  c:\n    image: busybox:latest\n    command: sleep 3600\n"
    changed = _edit(
        TWO_SERVICES, "  b:\n", added_c + "    stop_grace_period: 1s\n  b:\n"
    )
    changed = _edit(
        changed,
        "  a:\n    image: busybox:latest\n    command: sleep 3600",
        "  a:\n    image: busybox:latest\n    command: sleep 3601",
    )
    (folder / "compose.yaml").write_text(changed)
    preview = preview_changes(engine_project, applied_model)
    assert preview["added"] == ["c"]
    assert preview["recreated"] == ["a"]
    assert preview["unchanged"] == ["b"]
    assert preview["removed"] == []
    assert preview["changed_keys"] == {"a": ["command"]}

    run(engine_project, commands.up(), timeout=120)
    ids_after = {entry["Service"]: entry["ID"] for entry in ps(engine_project)}
    assert ids_after["a"] != ids_before["a"]
    assert ids_after["b"] == ids_before["b"]
    after = preview_changes(engine_project, config(engine_project))
    assert after["unchanged"] == ["a", "b", "c"]
    assert after["recreated"] == []


def test_preview_lists_removed_service(engine_project: ComposeProject) -> None:
    run(engine_project, commands.up(), timeout=120)
    assert "  b:\n" in TWO_SERVICES
    without_b = TWO_SERVICES.split("  b:\n")[0] + "volumes:\n  data: {}\n"
    (engine_project.folder / "compose.yaml").write_text(without_b)
    preview = preview_changes(engine_project)
    assert preview["removed"] == ["b"]
    assert preview["unchanged"] == ["a"]


def test_docker_host_passed_to_compose(engine_project: ComposeProject) -> None:
    missing_socket = f"unix:///tmp/{engine_project.name}-missing.sock"
    elsewhere = replace(engine_project, docker_host=missing_socket)
    with pytest.raises(ComposeError, match=f"{engine_project.name}-missing.sock"):
        run(elsewhere, commands.up(), timeout=60)
    assert _leftovers(engine_project.name)["containers"] == []
