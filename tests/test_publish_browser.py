"""Publishing the example apps through the browser, as a developer would."""

import re
import urllib.request

import pytest
from playwright.sync_api import expect

from containers.models import App, Release
from tests.conftest import log_in, unique

pytestmark = [pytest.mark.browser, pytest.mark.slow]

EXAMPLES = [
    ("php-hello", 8080, "Hello from PHP"),
    ("python-flask", 8000, "Hello from Flask"),
    ("node-express", 3000, "Hello from Express"),
]


def publish_from_git(page, name: str, url: str, port: int) -> None:
    page.goto("/")
    page.get_by_role("navigation", name="Main").get_by_role(
        "link", name="Publish"
    ).click()
    page.get_by_label("App name").fill(name)
    page.get_by_role("radio", name="Git repository").check()
    page.get_by_label("Git repository URL").fill(url)
    page.get_by_label("Branch").fill("main")
    page.get_by_label("Port the app listens on").fill(str(port))
    page.get_by_role("button", name="Publish").click()


@pytest.mark.parametrize(("example", "port", "heading"), EXAMPLES)
def test_publish_example_from_git(page, users, publish_repo, example, port, heading):
    team = users.team()
    developer = users.make(teams=[team])
    name = unique(example.split("-")[0])
    log_in(page, developer)

    publish_from_git(page, name, publish_repo(example), port)

    expect(page.get_by_role("heading", level=1)).to_have_text(name)
    expect(page.locator("[data-job-state]").first).to_have_text(
        "succeeded", timeout=240_000
    )
    app = App.objects.get(name=name)
    release = app.releases.get()
    assert release.status == Release.LIVE
    assert release.image_tag == f"{name}:1"

    link = page.locator("[data-app-url]")
    expect(link).to_have_attribute("href", app.url)
    with urllib.request.urlopen(app.url, timeout=10) as response:
        body = response.read().decode()
    assert heading in body

    logs = page.get_by_role("log", name=re.compile("Log of"))
    expect(logs).to_contain_text("GET /", timeout=15_000)
