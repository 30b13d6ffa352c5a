"""The terminal page in chromium: typing into xterm.js and resizing the window."""

import re
import time

import pytest
from django.db import connections
from playwright.sync_api import expect

from tests.conftest import log_in
from tests.terminal_support import app_containers

pytestmark = [pytest.mark.browser]

SIZE = re.compile(r"^\d+ \d+$")


@pytest.fixture(autouse=True)
def close_connections():
    """Close the database connections that ORM calls in this test opened.

    While Playwright's sync API runs, Django sees an event loop and gives ORM
    calls a connection of their own, which would stay open and keep PostgreSQL
    from dropping the test database at the end of the run.
    """
    yield
    connections.close_all()


@pytest.fixture
def app_container(stack, local_host, users, docker_api):
    yield from app_containers(local_host, users, docker_api)


def run_command(page, command: str) -> None:
    page.keyboard.type(command)
    page.keyboard.press("Enter")


def terminal_size(page) -> tuple[int, int]:
    """Run `stty size` and return its output (rows, columns) from the screen."""
    rows = page.locator(".xterm-rows > div")
    before = rows.filter(has_text=SIZE).count()
    run_command(page, "stty size")
    expect(rows.filter(has_text=SIZE)).to_have_count(before + 1)
    rows_text, cols_text = rows.filter(has_text=SIZE).last.inner_text().split()
    return int(rows_text), int(cols_text)


def test_terminal_page_types_and_resizes(page, users, app_container):
    target = app_container()
    developer = users.make(teams=[target.team])
    page.set_viewport_size({"width": 1200, "height": 800})
    log_in(page, developer)

    page.goto(f"/containers/{target.container.pk}/terminal/")
    terminal = page.get_by_role("region", name=f"Terminal of {target.container.name}")
    expect(terminal.get_by_role("status")).to_have_text("Connected.")
    expect(page.get_by_label("Terminal input")).to_be_focused()
    run_command(page, "echo pier-$((40+2))")

    output = page.locator(".xterm-rows > div", has_text=re.compile(r"^pier-42\s*$"))
    expect(output).to_have_count(1)
    wide_rows, wide_cols = terminal_size(page)
    rows = page.locator(".xterm-rows > div")
    assert wide_rows == rows.count()

    page.set_viewport_size({"width": 700, "height": 600})
    expect(rows).not_to_have_count(wide_rows)
    narrow_rows, narrow_cols = terminal_size(page)
    assert narrow_rows == rows.count()
    assert narrow_rows < wide_rows
    assert narrow_cols < wide_cols


def open_terminal(page, container, shell: str, command: str = "") -> None:
    page.goto(f"/containers/{container.pk}/terminal/")
    page.get_by_role("radio", name=shell).check()
    if command:
        page.get_by_label("Command", exact=True).fill(command)
    page.get_by_role("button", name="Open terminal").click()


def test_missing_bash_named_on_the_page(page, users, app_container):
    target = app_container()
    log_in(page, users.make(teams=[target.team]))

    open_terminal(page, target.container, "bash")

    status = page.get_by_role("region", name=re.compile("Terminal of")).get_by_role(
        "status"
    )
    expect(status).to_contain_text("bash was not found in this container; try sh.")


def test_custom_command_and_ctrl_c(page, users, app_container, docker_api):
    target = app_container()
    log_in(page, users.make(teams=[target.team]))

    open_terminal(page, target.container, "Custom command", "sh -c 'sleep 300'")
    terminal = page.get_by_role("region", name=f"Terminal of {target.container.name}")
    expect(terminal.get_by_role("status")).to_have_text("Connected.")
    assert wait_for_sleep(docker_api, target, running=True)

    page.get_by_label("Terminal input").press("Control+c")

    expect(terminal.get_by_role("status")).not_to_have_text("Connected.")
    assert wait_for_sleep(docker_api, target, running=False)


def wait_for_sleep(docker_api, target, running: bool, timeout: float = 10) -> bool:
    """Wait until `sleep 300` is (or is no longer) a process of the container."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        rows = docker_api.top(target.docker_id)["Processes"] or []
        if any("sleep 300" in " ".join(row[-2:]) for row in rows) == running:
            return True
        time.sleep(0.1)
    return False


def test_attach_reads_and_writes_main_process(page, users, app_container):
    target = app_container(command=("sh",), tty=True, stdin=True)
    log_in(page, users.make(teams=[target.team]))

    page.goto(f"/containers/{target.container.pk}/attach/")
    terminal = page.get_by_role(
        "region", name=f"Main process of {target.container.name}"
    )
    expect(terminal.get_by_role("status")).to_have_text("Connected.")
    page.get_by_label("Terminal input").press("Enter")
    run_command(page, "echo attached-$((6*7))")

    output = page.locator(".xterm-rows > div", has_text=re.compile(r"^attached-42\s*$"))
    expect(output).to_have_count(1)
