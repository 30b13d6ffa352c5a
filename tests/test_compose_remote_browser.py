"""A developer runs a compose project on a remote host from the pages.

The project is created in the browser on the remote engine, registered once as
a TLS host and once as an SSH host. The Docker SDK then checks that engine.
"""

import pytest
from playwright.sync_api import expect

from containers.models import ComposeProject
from tests.compose_remote_support import (  # noqa: F401
    TALKER,
    broken_host,
    delete_broken_host,
    other_host_key,
    remote_containers,
    remote_host_fixture,
    remove_remote_objects,
    states,
)
from tests.conftest import log_in, unique
from tests.remote_engine import remote_engine_fixture  # noqa: F401
from tests.remote_hosts import ssh_host_fixture, tls_host_fixture  # noqa: F401
from tests.test_compose_projects_support import SLEEPER, make_project

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def press(page, button: str, state: str = "succeeded", timeout: float = 120) -> None:
    """Press an action button and wait until the job it queued ends in ``state``."""
    page.get_by_role("button", name=button, exact=True).click()
    expect(page.get_by_role("status").first).to_contain_text("queued")
    expect(page.locator("[data-job-state]").first).to_have_text(
        state, timeout=timeout * 1000
    )


def create_project(page, name: str, host_name: str) -> None:
    page.get_by_role("navigation", name="Main").get_by_role(
        "link", name="Compose"
    ).click()
    page.get_by_role("link", name="New compose project").click()
    page.get_by_label("Project name").fill(name)
    page.get_by_label("Docker host").select_option(label=host_name)
    page.get_by_label("Compose file", exact=True).fill(TALKER)
    page.get_by_role("button", name="Create project").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(name)


def test_up_and_down_on_remote_host(page, users, remote_host, remote_engine):
    developer = users.make(teams=[users.team()])
    name = unique("rb")
    try:
        log_in(page, developer)
        create_project(page, name, remote_host.name)

        press(page, "Up")
        services = page.get_by_role("table", name=f"Services of {name}")
        row = services.get_by_role("row").filter(has_text=f"{name}-app-1")
        expect(row).to_contain_text("1 of 1 running")
        assert states(remote_engine, name) == ["running"]
        log = page.get_by_role("log", name=f"Combined log of {name}")
        expect(log).to_contain_text("app-1 | hello from the remote")

        press(page, "Down")
        expect(services).to_contain_text("No containers")
        assert remote_containers(remote_engine, name) == []
    finally:
        remove_remote_objects(remote_engine, name)
        ComposeProject.objects.filter(name=name).delete()


def test_changed_host_key_shown_on_page(page, users, remote_engine):
    developer = users.make(teams=[users.team()])
    host = broken_host(
        remote_engine,
        url=remote_engine.ssh_url,
        ssh_key=remote_engine.ssh_private_key,
        ssh_host_key=other_host_key(),
    )
    project = make_project(
        unique("rb"), developer.teams.first(), host, developer, SLEEPER
    )
    try:
        log_in(page, developer)
        page.goto(f"/compose/{project.pk}/")

        press(page, "Up", state="failed")
        alert = page.get_by_role("alert").filter(has_text="SSH host key")
        expect(alert).to_contain_text("changed")
        expect(page.get_by_role("main")).not_to_contain_text("Traceback")
        assert remote_containers(remote_engine, project.name) == []
    finally:
        delete_broken_host(host)
