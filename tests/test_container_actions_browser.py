"""Pause, unpause, rename and a confirmed forced removal, from the container page."""

import pytest
from playwright.sync_api import expect

from tests.conftest import log_in, unique
from tests.containers_helpers import docker_objects_for, mirrored

pytestmark = pytest.mark.browser


@pytest.fixture
def docker_objects(docker_api):
    yield from docker_objects_for(docker_api)


@pytest.fixture
def operator(users):
    return users.make(role="operator")


def engine_state(docker_api, docker_id: str) -> str:
    return docker_api.inspect_container(docker_id)["State"]["Status"]


def test_pause_and_unpause(page, operator, docker_objects, docker_api, local_host):
    container = mirrored(local_host, docker_objects.container("pause"))
    log_in(page, operator)
    page.goto(f"/containers/{container.pk}/")
    state = page.get_by_role("region", name="State").locator("[data-container-state]")

    page.get_by_role("button", name="Pause").click()

    expect(page.get_by_role("status")).to_contain_text(f"Paused {container.name}.")
    expect(state).to_have_text("paused")
    assert engine_state(docker_api, container.docker_id) == "paused"

    page.get_by_role("button", name="Unpause").click()

    expect(page.get_by_role("status")).to_contain_text(f"Unpaused {container.name}.")
    expect(state).to_have_text("running")
    assert engine_state(docker_api, container.docker_id) == "running"


def test_rename(page, operator, docker_objects, docker_api, local_host):
    container = mirrored(local_host, docker_objects.container("rename"))
    new_name = unique("renamed")
    log_in(page, operator)
    page.goto(f"/containers/{container.pk}/")
    expect(page.get_by_label("New name")).to_have_value(container.name)

    page.get_by_label("New name").fill(new_name)
    page.get_by_role("button", name="Rename").click()

    expect(page.get_by_role("status")).to_contain_text(
        f"Renamed {container.name} to {new_name}."
    )
    expect(page.get_by_role("heading", level=1)).to_have_text(new_name)
    assert docker_api.inspect_container(container.docker_id)["Name"] == f"/{new_name}"


def test_remove_running_asks_first(
    page, operator, docker_objects, docker_api, local_host
):
    docker_id = docker_objects.container("doomed")
    container = mirrored(local_host, docker_id)
    # A container made with an anonymous volume, as `docker run -v /scratch`.
    anonymous_id = docker_api.create_container(
        "busybox:latest", ["sleep", "300"], name=unique("anon"), volumes=["/scratch"]
    )["Id"]
    docker_objects.track(anonymous_id)
    docker_api.start(anonymous_id)
    with_volume = mirrored(local_host, anonymous_id)
    volume = docker_api.inspect_container(anonymous_id)["Mounts"][0]["Name"]
    log_in(page, operator)

    page.goto(f"/containers/{container.pk}/")
    page.get_by_role("button", name="Remove", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"Kill and remove {container.name}?"
    )
    expect(page.get_by_role("alert")).to_contain_text("is running")
    expect(page.get_by_text("It has no anonymous volumes.")).to_be_visible()
    page.get_by_role("link", name="Cancel").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(container.name)
    assert engine_state(docker_api, docker_id) == "running"

    page.goto(f"/containers/{with_volume.pk}/")
    page.get_by_label("Also remove its anonymous volumes").check()
    page.get_by_role("button", name="Remove", exact=True).click()
    expect(page.get_by_text("Its anonymous volumes are removed too")).to_be_visible()
    expect(page.get_by_role("list", name="Anonymous volumes")).to_contain_text(volume)
    assert engine_state(docker_api, anonymous_id) == "running"
    page.get_by_role("button", name=f"Kill and remove {with_volume.name}").focus()
    page.keyboard.press("Enter")

    expect(page.get_by_role("status")).to_contain_text(
        f"Removed {with_volume.name} and its anonymous volumes."
    )
    assert not docker_api.containers(all=True, filters={"id": anonymous_id})
    assert not docker_api.volumes(filters={"name": volume}).get("Volumes")
