"""Creating and removing a volume from the pages, as an operator would."""

import pytest
from playwright.sync_api import expect

from tests.conftest import log_in, unique

pytestmark = pytest.mark.browser


@pytest.fixture
def tag(docker_api) -> str:
    value = unique("volumes-browser")
    yield value
    filters = {"label": f"pier.test={value}"}
    for entry in docker_api.containers(all=True, filters=filters):
        docker_api.remove_container(entry["Id"], force=True)
    for entry in docker_api.volumes(filters=filters).get("Volumes") or []:
        docker_api.remove_volume(entry["Name"], force=True)


def test_create_and_remove_volume(page, users, tag, docker_api):
    name = unique("vol")
    log_in(page, users.make(role="operator"))
    page.get_by_role("navigation", name="Main").get_by_role(
        "link", name="Volumes"
    ).click()
    page.get_by_role("link", name="Create volume").click()

    page.get_by_label("Volume name").fill(name)
    page.get_by_label("Labels").fill(f"pier.test={tag}")
    page.get_by_role("button", name="Create volume").click()

    expect(page.get_by_role("status")).to_contain_text(f"Created volume {name}")
    row = page.get_by_role("row").filter(
        has=page.get_by_role("link", name=name, exact=True)
    )
    expect(row).to_contain_text("local")
    expect(row).to_contain_text("unused")

    row.get_by_role("link", name=f"Remove volume {name}").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Remove volume {name}?")
    expect(page.get_by_text("No container uses it.")).to_be_visible()
    assert docker_api.volumes(filters={"name": name}).get("Volumes")
    page.get_by_role("button", name=f"Remove volume {name}").click()

    expect(page.get_by_role("status")).to_contain_text(f"Removed volume {name}.")
    expect(page.get_by_role("link", name=name, exact=True)).to_have_count(0)
    assert not docker_api.volumes(filters={"name": name}).get("Volumes")


def test_list_shows_volume_made_elsewhere(page, users, tag, docker_api):
    log_in(page, users.make(role="operator"))
    page.goto("/volumes/")
    name = unique("outside")

    docker_api.create_volume(name, labels={"pier.test": tag})

    expect(page.get_by_role("link", name=name, exact=True)).to_be_visible()


def test_remove_in_use_names_container(page, users, tag, docker_api, local_host):
    name = unique("vol")
    holder = unique("holder")
    docker_api.create_volume(name, labels={"pier.test": tag})
    docker_api.create_container(
        "busybox:latest",
        "true",
        name=holder,
        labels={"pier.test": tag},
        host_config=docker_api.create_host_config(binds=[f"{name}:/data"]),
    )
    log_in(page, users.make(role="operator"))
    page.goto(f"/volumes/?host={local_host.pk}")
    row = page.get_by_role("row").filter(
        has=page.get_by_role("link", name=name, exact=True)
    )
    expect(row).to_contain_text(holder)

    row.get_by_role("link", name=f"Remove volume {name}").click()

    users_table = page.get_by_role("table", name=f"Containers that use volume {name}")
    expect(users_table.get_by_role("rowheader", name=holder)).to_be_visible()
    expect(page.get_by_role("alert")).to_contain_text(
        "Docker does not remove a volume while a container uses it"
    )
    expect(page.get_by_role("button", name=f"Remove volume {name}")).to_have_count(0)
    page.get_by_role("link", name=f"Back to volume {name}").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Volume {name}")
    assert docker_api.volumes(filters={"name": name}).get("Volumes")
