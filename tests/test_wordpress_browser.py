"""WordPress from examples/wordpress, deployed as a compose project from the page.

The post written after the installation must survive `down` (keeping volumes)
and `up` again, because it lives in the database's named volume.
"""

import tarfile
import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import expect

from containers.models import ComposeProject
from tests.conftest import log_in, unique
from tests.test_compose_projects_faults import free_port
from tests.test_compose_projects_support import remove_project_objects

pytestmark = [pytest.mark.browser, pytest.mark.slow]

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "wordpress"
BUILD_SECONDS = 600


def example_archive(tmp_path: Path) -> Path:
    archive = tmp_path / "wordpress.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(EXAMPLE, arcname="wordpress")
    return archive


def run_action(page, button: str, timeout: float = 120) -> None:
    """Press an action button and wait until the job it queued succeeded."""
    page.get_by_role("button", name=button, exact=True).click()
    expect(page.get_by_role("status").first).to_contain_text("queued")
    expect(page.locator("[data-job-state]").first).to_have_text(
        "succeeded", timeout=timeout * 1000
    )


INSTALL_SECONDS = 120


def install_wordpress(page, site: str, password: str) -> None:
    page.goto(site + "/wp-admin/install.php")
    page.get_by_label("Site Title").fill("Pier test site")
    page.get_by_label("Username").fill("editor")
    page.locator("#pass1").fill(password)
    page.get_by_label("Your Email").fill("editor@example.invalid")
    page.get_by_role("button", name="Install WordPress").click()
    # The installer creates WordPress's tables in MariaDB before it responds,
    # which takes tens of seconds on a busy machine.
    page.get_by_role("link", name="Log In").click(timeout=INSTALL_SECONDS * 1000)
    page.get_by_label("Username or Email Address").fill("editor")
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Log In").click()
    expect(page.get_by_role("heading", name="Dashboard", level=1)).to_be_visible()


def publish_post(page, site: str, title: str) -> None:
    """Publish a post through the REST API with the logged-in cookie and a nonce."""
    nonce = page.request.get(site + "/wp-admin/admin-ajax.php?action=rest-nonce")
    assert nonce.ok
    created = page.request.post(
        site + "/?rest_route=/wp/v2/posts",
        headers={"X-WP-Nonce": nonce.text().strip()},
        data={
            "title": title,
            "content": "Kept in a named volume.",
            "status": "publish",
        },
    )
    assert created.status == 201, created.text()


def post_titles(site: str) -> str:
    """Return the published posts as JSON text, read without logging in."""
    return fetch(site + "/?rest_route=/wp/v2/posts")


def fetch(url: str) -> str:
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.read().decode()


def test_wordpress_post_survives_down_up(page, users, tmp_path):
    developer = users.make(teams=[users.team()])
    name = unique("wp").replace("-", "_")
    port = free_port()
    site = f"http://127.0.0.1:{port}"
    title = f"Post {name}"
    try:
        log_in(page, developer)
        page.get_by_role("navigation", name="Main").get_by_role(
            "link", name="Compose"
        ).click()
        page.get_by_role("link", name="New compose project").click()
        page.get_by_label("Project name").fill(name)
        page.get_by_label("Upload a compose file or an archive").set_input_files(
            example_archive(tmp_path)
        )
        page.get_by_label(".env file").fill(
            f"WP_PORT={port}\nWP_DB_PASSWORD=pw-{name}\n"
        )
        page.get_by_role("button", name="Create project").click()
        expect(page.get_by_role("heading", level=1)).to_have_text(name)

        page.get_by_label("Wait until services are running and healthy").check()
        run_action(page, "Up", timeout=BUILD_SECONDS)
        services = page.get_by_role("table", name=f"Services of {name}")
        web = services.get_by_role("row").filter(has_text=f"{name}-web-1")
        expect(web).to_contain_text("1 of 1 running")

        install_wordpress(page, site, f"Pier-{name}-Secret!")
        publish_post(page, site, title)
        assert title in post_titles(site)
        assert title in fetch(site + "/")

        page.goto(f"/compose/{ComposeProject.objects.get(name=name).pk}/")
        run_action(page, "Down")
        page.get_by_label("Wait until services are running and healthy").check()
        run_action(page, "Up", timeout=BUILD_SECONDS)

        assert title in post_titles(site)
        assert title in fetch(site + "/")
    finally:
        remove_project_objects(name, tmp_path)
