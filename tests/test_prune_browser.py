"""Prune previews of volumes, networks, images and the whole system, confirmed.

Each test makes objects on the test run's own engine (`second_engine`), scopes
the prune to their label, and checks on the engine that what the preview
listed is gone and what it kept is still there. An unlabelled object stands
for the objects of others that a scoped prune must leave alone.
"""

import pytest
from playwright.sync_api import expect

from containers.services import sync
from tests.conftest import log_in, unique
from tests.engine_pages import engine_api, engine_host, labelled_cleanup  # noqa: F401
from tests.registry import build_image
from tests.second_engine import second_engine  # noqa: F401

pytestmark = pytest.mark.browser


@pytest.fixture
def tag(engine_api):  # noqa: F811
    value = unique("prune")
    yield value
    labelled_cleanup(engine_api, value)


@pytest.fixture
def bystander(engine_api):  # noqa: F811
    """An unused volume and network without the test's label."""
    name = unique("bystander")
    engine_api.create_volume(name)
    engine_api.create_network(name)
    yield name
    engine_api.remove_volume(name)
    engine_api.remove_network(name)


@pytest.fixture
def operator_page(page, users):
    log_in(page, users.make(role="operator"))
    return page


def container_using(api, tag: str, start: bool = False, **host_config) -> str:
    """Create a labelled container with the given mounts or network; return its name."""
    name = unique("user")
    api.create_container(
        "busybox:latest",
        "sleep 300",
        name=name,
        labels={"pier.test": tag},
        host_config=api.create_host_config(**host_config),
    )
    if start:
        api.start(name)
    return name


def volume_names(api) -> set[str]:
    return {entry["Name"] for entry in api.volumes().get("Volumes") or []}


def network_names(api) -> set[str]:
    return {entry["Name"] for entry in api.networks()}


def test_volume_prune(operator_page, engine_host, engine_api, tag, bystander):  # noqa: F811
    page = operator_page
    gone, kept = unique("gone"), unique("kept")
    for name in (gone, kept):
        engine_api.create_volume(name, labels={"pier.test": tag})
    container_using(engine_api, tag, binds=[f"{kept}:/data"])
    page.goto(f"/volumes/?host={engine_host.pk}")

    page.get_by_role("link", name="Prune unused volumes").click()
    page.get_by_label("Only objects with label").fill(f"pier.test={tag}")
    page.get_by_role("button", name="Update the preview").click()

    listed = page.get_by_role("list", name="Volumes to remove")
    expect(listed.get_by_role("listitem")).to_have_text([gone])
    assert {gone, kept, bystander} <= volume_names(engine_api)
    page.get_by_role("button", name="Remove 1 unused volume").click()

    expect(page.get_by_role("status")).to_contain_text(
        f"Removed 1 unused volume: {gone}."
    )
    remaining = volume_names(engine_api)
    assert gone not in remaining
    assert kept in remaining
    assert bystander in remaining


def test_network_prune(operator_page, engine_host, engine_api, tag, bystander):  # noqa: F811
    page = operator_page
    gone, kept = unique("gone"), unique("kept")
    for name in (gone, kept):
        engine_api.create_network(name, labels={"pier.test": tag})
    container_using(engine_api, tag, start=True, network_mode=kept)
    page.goto(f"/networks/?host={engine_host.pk}")

    page.get_by_role("link", name="Prune unused networks").click()
    page.get_by_label("Only objects with label").fill(f"pier.test={tag}")
    page.get_by_role("button", name="Update the preview").click()

    listed = page.get_by_role("list", name="Networks to remove")
    expect(listed.get_by_role("listitem")).to_have_text([gone])
    assert {gone, kept, bystander} <= network_names(engine_api)
    page.get_by_role("button", name="Remove 1 unused network").click()

    expect(page.get_by_role("status")).to_contain_text(
        f"Removed 1 unused network: {gone}."
    )
    remaining = network_names(engine_api)
    assert gone not in remaining
    assert kept in remaining
    assert bystander in remaining


def test_image_prune_unused(operator_page, engine_host, engine_api, tag):  # noqa: F811
    page = operator_page
    gone, kept = f"{unique('pier-gone')}:1", f"{unique('pier-kept')}:1"
    gone_id = build_image(engine_api, gone, tag)
    kept_id = build_image(engine_api, kept, tag)
    engine_api.create_container(kept, "true", labels={"pier.test": tag})
    sync.sync_images(engine_host)
    sync.sync_containers(engine_host)
    page.goto(f"/images/?host={engine_host.pk}")

    page.get_by_label("Label", exact=True).fill(f"pier.test={tag}")
    page.get_by_role("button", name="Show").click()
    page.get_by_role(
        "link", name=f"Remove all unused with label pier.test={tag}"
    ).click()

    removed = page.get_by_role("table", name="Images that will be removed")
    expect(removed.get_by_role("rowheader")).to_have_text([gone])
    expect(
        page.get_by_role("table", name="Images kept").get_by_role("rowheader")
    ).to_have_text([kept])
    assert engine_api.inspect_image(gone_id)["Id"] == gone_id
    page.get_by_role("button", name="Remove 1 image").click()

    expect(page.locator("[data-job-state]")).to_have_text("succeeded", timeout=90_000)
    assert not engine_api.images(name=gone.split(":")[0])
    assert engine_api.inspect_image(kept_id)["Id"] == kept_id


def test_system_prune(operator_page, engine_host, engine_api, tag, bystander):  # noqa: F811
    page = operator_page
    gone, kept = unique("gone"), unique("kept")
    for name in (gone, kept):
        engine_api.create_volume(name, labels={"pier.test": tag})
        engine_api.create_network(name, labels={"pier.test": tag})
    stopped = container_using(engine_api, tag)
    running = container_using(
        engine_api, tag, start=True, binds=[f"{kept}:/data"], network_mode=kept
    )
    page.goto(f"/system/?host={engine_host.pk}")

    page.get_by_label("Stopped containers").check()
    page.get_by_label("Unused volumes").check()
    page.get_by_label("Unused networks").check()
    page.get_by_label("Keep images").check()
    page.get_by_label("Only objects with label").fill(f"pier.test={tag}")
    page.get_by_role("button", name="Preview the prune").click()

    expect(
        page.get_by_role("list", name="Stopped containers to remove").get_by_role(
            "listitem"
        )
    ).to_have_text([stopped])
    expect(
        page.get_by_role("list", name="Volumes to remove").get_by_role("listitem")
    ).to_have_text([gone])
    expect(
        page.get_by_role("list", name="Networks to remove").get_by_role("listitem")
    ).to_have_text([gone])
    assert engine_api.inspect_container(stopped)["Name"] == f"/{stopped}"
    page.get_by_role("button", name="Prune now").click()

    expect(page.locator("[data-job-state]")).to_have_text("succeeded", timeout=90_000)
    assert not engine_api.containers(all=True, filters={"name": f"^/{stopped}$"})
    assert engine_api.inspect_container(running)["State"]["Running"]
    volumes, networks = volume_names(engine_api), network_names(engine_api)
    assert gone not in volumes
    assert gone not in networks
    assert {kept, bystander} <= volumes
    assert {kept, bystander} <= networks
