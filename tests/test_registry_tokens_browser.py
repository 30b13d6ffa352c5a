"""An operator adds a registry with token authentication and searches it."""

import pytest
from playwright.sync_api import expect

from containers.models import Profile, Registry
from tests.conftest import log_in, unique
from tests.registry import close_database_connection  # noqa: F401
from tests.token_registry import push_busybox, running_token_registry

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def token_registry(tmp_path_factory):
    yield from running_token_registry(tmp_path_factory.mktemp("token-registry"))


@pytest.fixture
def repository(token_registry, docker_api) -> str:
    name = unique("pier-token-page")
    push_busybox(docker_api, token_registry, name, "1")
    return name


@pytest.fixture
def registry_name(live_db):
    name = unique("registry")
    yield name
    Registry.objects.filter(name=name).delete()


def test_add_token_registry_and_search(
    page, users, token_registry, repository, registry_name
):
    log_in(page, users.make(role=Profile.OPERATOR))

    page.goto("/registries/")
    page.get_by_role("link", name="Add registry").click()
    page.get_by_label("Name", exact=True).fill(registry_name)
    page.get_by_label("Registry host").fill(token_registry.url)
    page.get_by_label("User name").fill(token_registry.username)
    page.get_by_label("Password or token").fill(token_registry.password)
    page.get_by_label("Plain HTTP").check()
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("rowheader", name=registry_name)).to_be_visible()

    page.get_by_role("button", name=f"Test login to {registry_name}").click()
    check = page.get_by_role("row", name=registry_name).get_by_role("status")
    expect(check).to_contain_text("Login Succeeded")

    page.goto("/images/search/")
    page.get_by_label("Search in").select_option(label=registry_name)
    page.get_by_label("Search term").fill(repository)
    page.get_by_role("button", name="Search").click()
    found = page.get_by_role("rowheader", name=f"{token_registry.url}/{repository}")
    expect(found).to_be_visible()
    expect(page.get_by_role("link", name=f"Pull {repository}:1")).to_be_visible()

    content = page.content()
    assert token_registry.password not in content
    assert token_registry.tokens.issued
    for token in token_registry.tokens.issued:
        assert token not in content
    requested = token_registry.tokens.scopes_requested()
    assert "registry:catalog:*" in requested
    assert f"repository:{repository}:pull" in requested
