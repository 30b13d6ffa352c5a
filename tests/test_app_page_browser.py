"""The app page in a browser: safe live logs and state changes made with the CLI."""

import pytest
from playwright.sync_api import expect

from containers.models import App, Release
from tests.conftest import log_in, unique
from tests.publishing import busybox_site
from tests.test_live_sockets import NOISY_SCRIPT, wait_for_mirror
from tests.test_publish_browser import publish_from_git

pytestmark = pytest.mark.browser


@pytest.fixture
def running_app(stack, users, local_host, docker_api):
    """A team's app with a live release whose container prints markup and colours."""
    team = users.team()
    app = App.objects.create(
        name=unique("page"), team=team, host=local_host, container_port=80
    )
    created = docker_api.create_container(
        "busybox:latest",
        command=["sh", "-c", NOISY_SCRIPT],
        labels={"pier.app": app.name},
        name=app.name,
    )
    docker_api.start(created["Id"])
    Release.objects.create(
        app=app,
        version=1,
        status=Release.LIVE,
        container_id=created["Id"],
        image_tag="busybox:latest",
    )
    wait_for_mirror(created["Id"])
    yield app, users.make(teams=[team]), created["Id"]
    docker_api.remove_container(created["Id"], force=True)


def test_logs_show_markup_as_text(page, running_app):
    app, developer, _ = running_app
    log_in(page, developer)

    page.goto(f"/apps/{app.pk}/")

    log = page.get_by_role("log", name=f"Log of {app.name}")
    expect(log).to_contain_text("<script>window.pwned=1</script>")
    expect(log.locator(".ansi-red")).to_have_text("red text")
    expect(log.locator(".line.stderr")).to_contain_text("to stderr")
    assert page.evaluate("window.pwned") is None
    expect(log).to_contain_text("tick 12")


def test_log_search_filters_lines(page, running_app):
    app, developer, _ = running_app
    log_in(page, developer)
    page.goto(f"/apps/{app.pk}/")
    log = page.get_by_role("log", name=f"Log of {app.name}")
    expect(log).to_contain_text("to stderr")

    page.get_by_label("Search").fill("stderr")

    expect(log.locator(".line:visible")).to_have_count(1)


def test_cli_stop_shows_on_page(page, running_app, docker_api):
    app, developer, container_id = running_app
    log_in(page, developer)
    page.goto(f"/apps/{app.pk}/")
    state = page.locator(f'[data-container-state="{container_id}"]')
    expect(state).to_have_text("running")

    docker_api.stop(container_id, timeout=1)
    expect(state).to_have_text("exited")

    docker_api.start(container_id)
    expect(state).to_have_text("running")


def test_page_follows_publish_to_the_end(page, users, stack, git_server):
    developer = users.make(teams=[users.team()])
    name = unique("follow")
    url = git_server.publish_files(name, busybox_site("version one"))
    log_in(page, developer)

    publish_from_git(page, name, url, 8080)

    expect(page.get_by_role("heading", level=1)).to_have_text(name)
    status = page.get_by_role("region", name="Status")
    latest = status.get_by_text("Latest job:")
    expect(latest).to_contain_text("succeeded", timeout=120_000)
    versions = status.get_by_role("table", name="Versions")
    expect(versions.get_by_role("row").nth(1)).to_contain_text("live")
    App.objects.get(name=name)
