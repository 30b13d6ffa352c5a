"""Push to a private registry, remove the image, find it and pull it back."""

import re

import pytest
from playwright.sync_api import expect

from containers.models import Image, Job, Profile
from containers.services import sync
from tests.conftest import RUN_ID, log_in, unique
from tests.registry import (  # noqa: F401
    build_image,
    close_database_connection,
    job_text,
    running_registry,
    store_registry,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def registry_server(tmp_path_factory):
    yield from running_registry(tmp_path_factory.mktemp("registry"))


@pytest.fixture
def stored(registry_server, live_db):
    registry = store_registry(registry_server, unique("registry"))
    yield registry
    registry.delete()


@pytest.fixture
def operator(users):
    return users.make(role=Profile.OPERATOR)


def image_row(docker_api, local_host, tag: str) -> Image:
    image_id = build_image(docker_api, tag, f"pier-test-{RUN_ID}")
    sync.sync_images(local_host)
    return Image.objects.get(host=local_host, docker_id=image_id)


def expect_job(page, state: str) -> Job:
    expect(page.locator("[data-job-state]")).to_have_text(state, timeout=90_000)
    return Job.objects.get(pk=int(page.url.rstrip("/").rsplit("/", 1)[-1]))


def expect_full_bars(page) -> None:
    bars = page.get_by_role("progressbar", name=re.compile("^Layer "))
    expect(bars.first).to_be_visible()
    for index in range(bars.count()):
        expect(bars.nth(index)).to_have_attribute("value", "100")


def test_push_remove_pull_back(
    page, operator, stored, registry_server, docker_api, local_host
):
    repository = unique("pier-push")
    image = image_row(docker_api, local_host, f"{repository}:1")
    remote = f"{registry_server.url}/{repository}:1"
    log_in(page, operator)

    page.goto(f"/images/{image.pk}/")
    page.get_by_label("Tag to push").select_option(f"{repository}:1")
    page.get_by_label("Push to registry").select_option(label=stored.name)
    page.get_by_role("button", name="Push", exact=True).click()
    job = expect_job(page, "succeeded")
    expect_full_bars(page)
    assert registry_server.password not in job_text(job)
    assert registry_server.get(f"/v2/{repository}/tags/list")["tags"] == ["1"]

    page.goto(f"/images/{image.pk}/")
    page.get_by_role("link", name="Remove image").click()
    page.get_by_role("button", name="Remove 1 image").click()
    expect_job(page, "succeeded")
    assert not docker_api.images(name=remote)

    page.goto("/images/search/")
    page.get_by_label("Search in").select_option(label=stored.name)
    page.get_by_label("Search term").fill(repository)
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("rowheader", name=f"{registry_server.url}/{repository}"))
    page.get_by_role("link", name=f"Pull {repository}:1").click()
    expect(page.get_by_label("Image reference")).to_have_value(remote)
    page.get_by_role("button", name="Pull", exact=True).click()
    job = expect_job(page, "succeeded")
    expect_full_bars(page)
    assert docker_api.images(name=remote)
    assert registry_server.password not in job_text(job)


def test_wrong_password_says_login_failed(page, operator, stored, registry_server):
    stored.password = "wrong-password"
    stored.save(update_fields=["password"])
    try:
        log_in(page, operator)
        page.goto("/registries/")
        page.get_by_role("button", name=f"Test login to {stored.name}").click()
        check = page.locator(f"#check-{stored.pk}")
        expect(check).to_contain_text("Login failed")

        page.goto("/images/pull/")
        page.get_by_label("Image reference").fill(f"{registry_server.url}/nothing:1")
        page.get_by_role("button", name="Pull", exact=True).click()
        job = expect_job(page, "failed")
        expect(page.locator("[data-job-error]")).to_contain_text("login failed")
        assert "wrong-password" not in job_text(job)
    finally:
        stored.password = registry_server.password
        stored.save(update_fields=["password"])
