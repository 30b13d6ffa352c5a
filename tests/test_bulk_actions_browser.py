"""Stop all running and remove all stopped containers, through their confirmation.

A bulk action touches every container of a host, so these tests run against
the test run's own engine (`second_engine`), never the shared one.
"""

import re

import pytest
from playwright.sync_api import expect

from containers.services import sync
from tests.conftest import log_in, unique
from tests.engine_pages import engine_api, engine_host, labelled_cleanup  # noqa: F401
from tests.second_engine import second_engine  # noqa: F401

pytestmark = pytest.mark.browser

# Exits at once on SIGTERM, so a stop does not wait for the stop timeout.
QUICK_STOP = ["sh", "-c", "trap 'exit 0' TERM; sleep 300 & wait"]


@pytest.fixture
def tag(engine_api):  # noqa: F811
    value = unique("bulk")
    yield value
    labelled_cleanup(engine_api, value)


def make(api, tag: str, prefix: str, start: bool) -> str:
    name = unique(prefix)
    api.create_container(
        "busybox:latest", QUICK_STOP, name=name, labels={"pier.test": tag}
    )
    if start:
        api.start(name)
    return name


def states(api, names: list[str]) -> list[str]:
    return [api.inspect_container(name)["State"]["Status"] for name in names]


def expect_job(page, state: str) -> None:
    expect(page.locator("[data-job-state]")).to_have_text(state, timeout=90_000)


def test_stop_all_then_remove_stopped(page, users, engine_host, engine_api, tag):  # noqa: F811
    running = [make(engine_api, tag, "running", start=True) for _ in range(2)]
    stopped = make(engine_api, tag, "stopped", start=False)
    sync.sync_containers(engine_host)
    log_in(page, users.make(role="operator"))
    page.goto(f"/containers/?host={engine_host.pk}")

    page.get_by_role("link", name="Stop all running…").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"Stop all running on {engine_host.name}?"
    )
    listed = page.get_by_role("table", name="Containers the action affects")
    for name in running:
        expect(listed.get_by_role("cell", name=name, exact=True)).to_be_visible()
    expect(listed.get_by_role("cell", name=stopped, exact=True)).to_have_count(0)
    assert states(engine_api, running) == ["running", "running"]
    page.get_by_role(
        "button", name=re.compile(r"^Stop all running: \d+ container")
    ).click()
    expect_job(page, "succeeded")
    assert states(engine_api, running) == ["exited", "exited"]

    page.goto(f"/containers/?host={engine_host.pk}")
    page.get_by_role("link", name="Remove all stopped…").click()
    listed = page.get_by_role("table", name="Containers the action affects")
    for name in [*running, stopped]:
        expect(listed.get_by_role("cell", name=name, exact=True)).to_be_visible()
    assert (
        len(engine_api.containers(all=True, filters={"label": f"pier.test={tag}"})) == 3
    )
    page.get_by_role(
        "button", name=re.compile(r"^Remove all stopped: \d+ container")
    ).click()
    expect_job(page, "succeeded")
    assert not engine_api.containers(all=True, filters={"label": f"pier.test={tag}"})
