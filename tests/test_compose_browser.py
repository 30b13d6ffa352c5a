"""A compose project on the local engine from the pages: history and kill, live."""

import pytest
from playwright.sync_api import expect

from containers.models import ComposeProject
from tests.conftest import log_in, unique
from tests.test_compose_projects_support import SLEEPER, remove_project_objects

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def press(page, button: str) -> None:
    """Press an action button and wait until the job it queued succeeds."""
    page.get_by_role("button", name=button, exact=True).click()
    expect(page.get_by_role("status").first).to_contain_text("queued")
    expect(page.locator("[data-job-state]").first).to_have_text(
        "succeeded", timeout=120_000
    )


def test_history_and_kill_follow_without_reload(
    page, users, stack, local_host, tmp_path
):
    developer = users.make(teams=[users.team()])
    name = unique("cb")
    try:
        log_in(page, developer)
        page.goto("/compose/new/")
        page.get_by_label("Project name").fill(name)
        page.get_by_label("Docker host").select_option(label=local_host.name)
        page.get_by_label("Compose file", exact=True).fill(SLEEPER)
        page.get_by_role("button", name="Create project").click()
        expect(page.get_by_role("heading", level=1)).to_have_text(name)

        press(page, "Up")
        history = page.get_by_role("table", name=f"History of {name}")
        expect(history.get_by_role("row").nth(1)).to_contain_text("succeeded")
        services = page.get_by_role("table", name=f"Services of {name}")
        expect(services).to_contain_text("1 of 1 running")

        page.get_by_label("Signal").select_option("SIGKILL")
        press(page, "Kill")
        expect(history.get_by_role("row").nth(1)).to_contain_text("Kill")
        expect(history.get_by_role("row").nth(1)).to_contain_text("succeeded")
        expect(services).to_contain_text("0 of 1 running")
    finally:
        remove_project_objects(name, tmp_path)
        ComposeProject.objects.filter(name=name).delete()
