"""Containers in the browser: run one from the form, act on it, watch the list."""

import re
import subprocess
import time

import pytest
from playwright.sync_api import expect

from containers.models import Container
from tests.conftest import log_in, unique
from tests.containers_helpers import docker_objects_for
from tests.stack import free_tcp_port

pytestmark = pytest.mark.browser


@pytest.fixture
def docker_objects(docker_api):
    yield from docker_objects_for(docker_api)


@pytest.fixture
def named(docker_api):
    """Names for containers made by the page or the CLI, removed afterwards."""
    names: list[str] = []
    yield names
    for name in names:
        for entry in docker_api.containers(all=True, filters={"name": f"^/{name}$"}):
            docker_api.remove_container(entry["Id"], force=True)


def row_of(page, name: str):
    return page.get_by_role("row").filter(has=page.get_by_role("link", name=name))


def state_of(page, name: str):
    return row_of(page, name).locator("[data-container-state]")


def fill_form(page, name: str, volume: str, port: int) -> None:
    page.get_by_label("Image").fill("busybox:latest")
    page.get_by_label("Container name").fill(name)
    page.get_by_label("Command").fill("sleep 3600")
    port_row = page.get_by_role("group", name="Port 1")
    port_row.get_by_label("Host IP").fill("127.0.0.1")
    port_row.get_by_label("Host port").fill(str(port))
    port_row.get_by_label("Container port").fill("80")
    volume_row = page.get_by_role("group", name="Volume 1")
    volume_row.get_by_label("Volume name or host path").fill(volume)
    volume_row.get_by_label("Container path").fill("/data")


def test_run_act_and_remove(page, users, named, docker_objects, docker_api, local_host):
    name = unique("ctr-browser")
    volume = docker_objects.volume(unique("vol"))
    named.append(name)
    port = free_tcp_port()
    log_in(page, users.make(role="operator"))
    watcher = page.context.new_page()
    watcher.goto(f"/containers/?host={local_host.pk}")

    page.goto(f"/containers/new/?host={local_host.pk}")
    page.get_by_role("button", name="Add a port").click()
    expect(page.get_by_role("group", name="Port 2")).to_be_visible()
    fill_form(page, name, volume, port)
    page.get_by_role("button", name="Create container").click()

    expect(page.get_by_role("heading", level=1)).to_have_text(name)
    panel = page.locator("#container-state")
    expect(panel.locator("[data-container-state]")).to_have_text("running")
    expect(state_of(watcher, name)).to_have_text("running")
    expect(row_of(watcher, name)).to_contain_text(f"127.0.0.1:{port}->80/tcp")
    network = page.get_by_role("region", name="Network", exact=True)
    expect(network).to_contain_text(f"127.0.0.1:{port} → 80/tcp")

    page.get_by_label("Stop timeout (seconds)").fill("1")
    page.get_by_role("button", name="Stop", exact=True).click()
    expect(panel.locator("[data-container-state]")).to_have_text("exited")
    expect(state_of(watcher, name)).to_have_text("exited")

    page.get_by_label("Restart timeout (seconds)").fill("1")
    page.get_by_role("button", name="Restart").click()
    expect(state_of(watcher, name)).to_have_text("running")

    page.get_by_label("Signal").select_option("SIGKILL")
    page.get_by_role("button", name="Kill").click()
    expect(page.get_by_role("status")).to_contain_text(f"Sent SIGKILL to {name}.")
    expect(state_of(watcher, name)).to_have_text("exited")

    page.get_by_label("Also remove its anonymous volumes").check()
    page.get_by_role("button", name="Remove").click()
    expect(page.get_by_role("status")).to_contain_text(f"Removed {name}")
    expect(row_of(watcher, name)).to_have_count(0)
    assert not docker_api.containers(all=True, filters={"name": f"^/{name}$"})


def test_list_follows_docker_cli(page, users, named, local_host):
    name = unique("ctr-cli")
    named.append(name)
    log_in(page, users.make(role="operator"))
    page.goto(f"/containers/?host={local_host.pk}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Containers on local")

    subprocess.run(
        ["docker", "run", "-d", "--name", name, "busybox", "sleep", "60"],
        check=True,
        capture_output=True,
    )
    started = time.monotonic()
    expect(row_of(page, name)).to_be_visible(timeout=1000)
    appeared = time.monotonic() - started

    subprocess.run(["docker", "rm", "-f", name], check=True, capture_output=True)
    started = time.monotonic()
    expect(row_of(page, name)).to_have_count(0, timeout=1000)
    vanished = time.monotonic() - started
    assert appeared < 1.0
    assert vanished < 1.0


def wait_for_row(docker_id: str, timeout: float = 10) -> Container:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        row = Container.objects.filter(docker_id=docker_id).first()
        if row is not None:
            return row
        time.sleep(0.1)
    raise AssertionError(f"container {docker_id[:12]} never reached the mirror")


def test_stats_page_shows_numbers(page, users, docker_objects):
    container = wait_for_row(docker_objects.container())
    log_in(page, users.make(role="operator"))
    page.goto(f"/containers/{container.pk}/")
    page.get_by_role("link", name="Live stats").click()

    expect(page.get_by_role("img", name="CPU usage graph")).to_be_visible()
    readouts = page.locator("output[data-readout]")
    expect(readouts.nth(0)).to_have_text(re.compile(r"^\d+\.\d\d %$"))
    expect(readouts.nth(1)).to_have_text(re.compile(r"^[\d.]+ \w+ of [\d.]+ \w+ \("))
    expect(readouts.nth(2)).to_have_text(re.compile(r"^in [\d.]+ \w+/s, out "))
    expect(readouts.nth(3)).to_have_text(re.compile(r"^read [\d.]+ \w+/s, write "))
    expect(page.get_by_role("status", name="Stats connection")).to_have_text("Live")


def test_list_filter_and_sort(page, users, docker_objects):
    prefix = unique("ctr-sort")
    first = wait_for_row(docker_objects.container(prefix=f"{prefix}-a"))
    second = wait_for_row(docker_objects.container(prefix=f"{prefix}-b"))
    log_in(page, users.make(role="operator"))
    page.goto(f"/containers/?host={first.host_id}")

    page.get_by_label("Filter", exact=True).fill(prefix)
    expect(page.locator("[data-summary]")).to_have_text("2 containers match the filter")
    page.get_by_role("link", name="Name").click()

    header = page.get_by_role("columnheader", name="Name")
    expect(header).to_have_attribute("aria-sort", "descending")
    rows = page.get_by_role("row").filter(has_text=prefix)
    expect(rows.first).to_contain_text(second.name)
    expect(rows.last).to_contain_text(first.name)
    assert "sort=-name" in page.url
    assert f"q={prefix}" in page.url


def test_create_form_limits_and_mode(page, users, named, docker_api, local_host):
    name = unique("ctr-options")
    named.append(name)
    network = unique("net-options")
    docker_api.create_network(network)
    try:
        log_in(page, users.make(role="operator"))
        page.goto(f"/containers/new/?host={local_host.pk}")
        page.get_by_label("Image").fill("busybox:latest")
        page.get_by_label("Container name").fill(name)
        page.get_by_label("Command", exact=True).fill("-c 'sleep 3600'")
        page.get_by_label("Entrypoint").fill("sh")
        page.get_by_label("Environment variables").fill("GREETING=hello there")
        page.get_by_label("Restart policy").select_option("on-failure")
        page.get_by_label("Maximum restart attempts").fill("3")
        page.get_by_label("Memory limit").fill("64m")
        page.get_by_label("CPU limit").fill("0.5")
        page.get_by_label("Network").fill(network)
        page.get_by_label("Interactive (-it").check()
        page.get_by_role("radio", name="Only create it").check()
        page.get_by_role("button", name="Create container").click()

        expect(page.get_by_role("heading", level=1)).to_have_text(name)
        expect(page.locator("[data-container-state]").first).to_have_text("created")
        data = docker_api.inspect_container(name)
    finally:
        for entry in docker_api.containers(all=True, filters={"name": f"^/{name}$"}):
            docker_api.remove_container(entry["Id"], force=True)
        docker_api.remove_network(network)

    config, host_config = data["Config"], data["HostConfig"]
    assert config["Entrypoint"] == ["sh"]
    assert config["Cmd"] == ["-c", "sleep 3600"]
    assert "GREETING=hello there" in config["Env"]
    assert config["Tty"] and config["OpenStdin"]
    assert host_config["RestartPolicy"] == {
        "Name": "on-failure",
        "MaximumRetryCount": 3,
    }
    assert host_config["Memory"] == 64 * 1024 * 1024
    assert host_config["NanoCpus"] == 500_000_000
    assert list(data["NetworkSettings"]["Networks"]) == [network]
    assert data["State"]["Status"] == "created"
