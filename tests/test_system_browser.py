"""The system page of the local host, as an operator sees it."""

import pytest
from playwright.sync_api import expect

from tests.conftest import log_in

pytestmark = pytest.mark.browser


def test_system_page_shows_version_and_usage(page, users, docker_api):
    version = docker_api.version()["Version"]
    log_in(page, users.make(role="operator"))

    page.get_by_role("navigation", name="Main").get_by_role(
        "link", name="System"
    ).click()

    expect(page.get_by_role("heading", level=1)).to_have_text("System of local")
    engine = page.get_by_role("region", name="Engine")
    expect(engine).to_contain_text(version)
    usage = page.get_by_role("table", name="Disk usage by kind")
    for kind in ("Images", "Containers", "Volumes", "Build cache"):
        expect(usage.get_by_role("rowheader", name=kind)).to_be_visible()
