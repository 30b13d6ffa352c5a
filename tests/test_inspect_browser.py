"""Inspect pages in chromium: container sections, image layers, and their JSON."""

import json

import pytest
from django.db import connections
from playwright.sync_api import expect

from containers.models import Image, Profile
from tests.conftest import log_in
from tests.containers_helpers import docker_objects_for
from tests.test_containers_browser import wait_for_row

pytestmark = [pytest.mark.browser]


@pytest.fixture(autouse=True)
def close_connections():
    """Close the ORM connections that this module's tests open under Playwright."""
    yield
    connections.close_all()


@pytest.fixture
def docker_objects(docker_api):
    yield from docker_objects_for(docker_api)


def section(page, title: str):
    return page.get_by_role("region", name=title)


def raw_json(page, summary: str, label: str) -> dict:
    page.get_by_text(summary).click()
    block = page.get_by_label(label)
    expect(block).to_be_visible()
    return json.loads(block.inner_text())


def test_container_inspect_sections(page, users, stack, docker_objects, docker_api):
    docker_id = docker_objects.container(
        labels={"pier.inspect": "yes"}, restart_policy={"Name": "on-failure"}
    )
    container = wait_for_row(docker_id)
    log_in(page, users.make(role=Profile.OPERATOR))

    page.goto(f"/containers/{container.pk}/")

    configuration = section(page, "Configuration")
    expect(configuration).to_contain_text("sleep 300")
    expect(configuration).to_contain_text("on-failure")
    expect(configuration).to_contain_text("pier.inspect")
    state = section(page, "Runtime state")
    pid = docker_api.inspect_container(docker_id)["State"]["Pid"]
    expect(state).to_contain_text(str(pid))
    data = raw_json(
        page,
        "Show the JSON of docker inspect",
        f"Inspect JSON of {container.name}",
    )
    assert data["Id"] == docker_id
    assert data["HostConfig"]["RestartPolicy"]["Name"] == "on-failure"


def test_image_inspect_layers_history(page, users, stack, local_host, docker_api):
    engine = docker_api.inspect_image("busybox:latest")
    image = Image.objects.get(host=local_host, docker_id=engine["Id"])
    log_in(page, users.make(role=Profile.OPERATOR))

    page.goto(f"/images/?host={local_host.pk}")
    page.get_by_role("link", name="busybox:latest").first.click()

    layers = engine["RootFS"]["Layers"]
    heading = page.get_by_role("heading", name=f"Layers ({len(layers)})")
    expect(heading).to_be_visible()
    expect(section(page, f"Layers ({len(layers)})")).to_contain_text(layers[0])
    history = page.get_by_role("table", name=f"History of {image}")
    expect(history.get_by_role("row")).to_have_count(
        len(docker_api.history(engine["Id"])) + 1
    )
    data = raw_json(page, "Show JSON", f"Inspect JSON of {image}")
    assert data["Id"] == engine["Id"]
