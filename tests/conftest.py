"""Shared fixtures: named users per role and team, the running Pier stack, a browser.

Tests that need Pier's own processes (web server, worker, watcher) use `stack`;
their data is committed, so each names its objects with `unique()`.
"""

import itertools
import os
import time
import uuid

import docker
import pytest
from django.contrib.auth import get_user_model
from django.db import connections
from django.test import Client

from containers.models import DockerHost, Profile, Team
from containers.services.hosts import register_local_host
from tests.stack import PierStack

pytest_plugins = ["tests.fixtures_git"]

RUN_ID = uuid.uuid4().hex[:6]
_counter = itertools.count()
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def unique(prefix: str) -> str:
    """Return a name no other test or test run uses, for committed objects."""
    return f"{prefix}-{RUN_ID}-{next(_counter)}"


@pytest.fixture(scope="session")
def docker_api():
    client = docker.APIClient(base_url="unix:///var/run/docker.sock", version="auto")
    yield client
    for entry in client.containers(all=True, filters={"label": "pier.app"}):
        if RUN_ID in entry["Labels"].get("pier.app", ""):
            client.remove_container(entry["Id"], force=True)
    for entry in client.images():
        for tag in entry.get("RepoTags") or []:
            if RUN_ID in tag:
                client.remove_image(tag, force=True)
    client.close()


@pytest.fixture(scope="session")
def django_db_setup(django_test_environment, django_db_blocker):
    """Create the test database whether or not a test carries the django_db mark.

    Tests that run Pier's processes use `live_db` instead of the mark, and
    pytest-django only sets up databases that marked tests ask for.
    """
    from django.test.utils import setup_databases, teardown_databases

    with django_db_blocker.unblock():
        config = setup_databases(verbosity=0, interactive=False, aliases={"default"})
    yield
    with django_db_blocker.unblock():
        teardown_databases(config, verbosity=0)


@pytest.fixture(scope="session")
def live_db(django_db_setup, django_db_blocker):
    """Database access whose writes are committed, for tests that use `stack`."""
    with django_db_blocker.unblock():
        yield


@pytest.fixture(scope="session")
def local_host(live_db) -> DockerHost:
    return register_local_host()


@pytest.fixture(scope="session")
def stack(live_db, local_host, tmp_path_factory, docker_api):
    """Pier's web server, a Celery worker and the host watcher, running."""
    pier = PierStack(tmp_path_factory.mktemp("pier-logs"))
    try:
        pier.start()
        wait_until_online(local_host, pier)
        yield pier
    finally:
        pier.stop()


def wait_until_online(host: DockerHost, pier: PierStack, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        host.refresh_from_db()
        if host.status == DockerHost.ONLINE:
            return
        time.sleep(0.2)
    raise RuntimeError(f"The watcher did not sync host {host.name}: {pier.log_dir}")


class Users:
    """Makes users with a role and teams, each with a known password."""

    def make(self, role: str = Profile.DEVELOPER, teams=(), name: str = "") -> object:
        password = f"pw-{uuid.uuid4().hex[:12]}"
        user = get_user_model().objects.create_user(
            username=name or unique(role), password=password
        )
        Profile.objects.create(user=user, role=role)
        for team in teams:
            team.members.add(user)
        user.raw_password = password
        return user

    def team(self, name: str = "") -> Team:
        return Team.objects.create(name=name or unique("team"))


@pytest.fixture
def users() -> Users:
    return Users()


def session_cookie(user) -> str:
    client = Client()
    client.force_login(user)
    return client.cookies["sessionid"].value


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=CHROMIUM_FLAGS
        )
        yield chromium
        chromium.close()
    connections.close_all()


@pytest.fixture
def page(browser, stack):
    context = browser.new_context(base_url=stack.base_url)
    context.set_default_timeout(15000)
    tab = context.new_page()
    yield tab
    context.close()
    # ORM calls made while Playwright's sync API runs open a connection of
    # their own; left open, it keeps PostgreSQL from dropping the test database.
    connections.close_all()


def log_in(page, user) -> None:
    """Log in through the login form, as a person would."""
    page.goto("/login/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(user.raw_password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(lambda url: "/login/" not in url)
