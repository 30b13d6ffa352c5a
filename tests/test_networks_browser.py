"""Creating a network, connecting a container and removing it, in the browser."""

import time

import pytest
from playwright.sync_api import expect

from containers.models import Container
from tests.conftest import log_in, unique

pytestmark = pytest.mark.browser


@pytest.fixture
def tag(docker_api) -> str:
    value = unique("networks-browser")
    yield value
    filters = {"label": f"pier.test={value}"}
    for entry in docker_api.containers(all=True, filters=filters):
        docker_api.remove_container(entry["Id"], force=True)
    for entry in docker_api.networks(filters=filters):
        docker_api.remove_network(entry["Id"])


@pytest.fixture
def sleeper(docker_api, local_host, tag) -> str:
    """A running busybox container that the watcher has mirrored."""
    name = unique("sleeper")
    docker_api.create_container(
        "busybox:latest", "sleep 300", name=name, labels={"pier.test": tag}
    )
    docker_api.start(name)
    # The watcher mirrors a new container within milliseconds on an idle
    # machine; the margin is for a loaded CI machine.
    deadline = time.monotonic() + 30
    while not Container.objects.filter(host=local_host, name=name).exists():
        assert time.monotonic() < deadline, f"{name} never reached the mirror"
        time.sleep(0.1)
    return name


def test_connect_container_to_new_network(page, users, tag, sleeper, docker_api):
    name = unique("net")
    log_in(page, users.make(role="operator"))
    page.get_by_role("navigation", name="Main").get_by_role(
        "link", name="Networks"
    ).click()
    page.get_by_role("link", name="Create network").click()

    page.get_by_label("Network name").fill(name)
    page.get_by_label("Internal").check()
    page.get_by_label("Labels").fill(f"pier.test={tag}")
    page.get_by_role("button", name="Create network").click()

    expect(page.get_by_role("status")).to_contain_text(f"Created network {name}")
    row = page.get_by_role("row").filter(
        has=page.get_by_role("link", name=name, exact=True)
    )
    expect(row).to_contain_text("bridge")
    expect(row).to_contain_text("yes")

    row.get_by_role("link", name=name, exact=True).click()
    page.get_by_label("Container", exact=True).select_option(label=sleeper)
    page.get_by_label("Aliases").fill("db")
    page.get_by_role("button", name="Connect", exact=True).click()

    attached = page.get_by_role("list", name=f"Containers attached to {name}")
    expect(attached).to_contain_text(sleeper)
    settings = docker_api.inspect_container(sleeper)["NetworkSettings"]
    assert "db" in settings["Networks"][name]["Aliases"]

    page.get_by_role("button", name=f"Disconnect {sleeper}").click()
    expect(page.get_by_text("No container is attached.")).to_be_visible()
    page.get_by_role("link", name=f"Remove network {name}").click()
    expect(page.get_by_text("No container is connected.")).to_be_visible()
    assert docker_api.networks(names=[name])
    page.get_by_role("button", name=f"Remove network {name}").click()

    expect(page.get_by_role("status")).to_contain_text(f"Removed network {name}.")
    expect(page.get_by_role("link", name=name, exact=True)).to_have_count(0)
    assert not docker_api.networks(names=[name])


def test_remove_lists_stopped_container(page, users, tag, docker_api, local_host):
    name = unique("net")
    stopped = unique("stopped")
    docker_api.create_network(name, labels={"pier.test": tag})
    docker_api.create_container(
        "busybox:latest",
        "true",
        name=stopped,
        labels={"pier.test": tag},
        host_config=docker_api.create_host_config(network_mode=name),
    )
    log_in(page, users.make(role="operator"))
    page.goto(f"/networks/?host={local_host.pk}")
    row = page.get_by_role("row").filter(
        has=page.get_by_role("link", name=name, exact=True)
    )
    expect(row).to_contain_text(stopped)

    row.get_by_role("link", name=f"Remove network {name}").click()
    listed = page.get_by_role("table", name=f"Containers that use network {name}")
    expect(listed.get_by_role("rowheader", name=stopped)).to_be_visible()
    expect(page.get_by_text("Docker then fails to start them")).to_be_visible()
    assert docker_api.networks(names=[name])
    page.get_by_role("button", name=f"Remove network {name}").press("Enter")

    expect(page.get_by_role("status")).to_contain_text(f"Removed network {name}.")
    assert not docker_api.networks(names=[name])
    assert docker_api.containers(all=True, filters={"name": f"^/{stopped}$"})
