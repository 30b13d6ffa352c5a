"""An operator adds a registry, changes its password, tests the login, removes it.

The registry is Debian's `docker-registry` with htpasswd authentication on
127.0.0.1. The stored password must never appear in a page's HTML.
"""

import pytest
from playwright.sync_api import expect

from containers.models import Registry
from tests.conftest import log_in, unique
from tests.registry import close_database_connection, running_registry  # noqa: F401

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def registry_server(tmp_path_factory):
    yield from running_registry(tmp_path_factory.mktemp("registry"))


@pytest.fixture
def name(live_db):
    value = unique("registry")
    yield value
    Registry.objects.filter(name=value).delete()


def row_of(page, name: str):
    return page.get_by_role("row").filter(
        has=page.get_by_role("rowheader", name=name, exact=True)
    )


def check_login_from_local(page, name: str) -> None:
    """Test the login of the registry's row through the host named local."""
    row = row_of(page, name)
    picker = row.get_by_label("Test from host")
    if picker.count():
        picker.select_option(label="local")
    row.get_by_role("button", name=f"Test login to {name}").click()


def test_add_edit_test_remove(page, users, registry_server, name):
    wrong = f"wrong-{unique('pw')}"
    log_in(page, users.make(role="operator"))
    page.goto("/registries/")

    page.get_by_role("link", name="Add registry").click()
    page.get_by_label("Name", exact=True).fill(name)
    page.get_by_label("Registry host").fill(registry_server.url)
    page.get_by_label("User name").fill(registry_server.username)
    page.get_by_label("Password or token").fill(wrong)
    page.get_by_label("Plain HTTP").check()
    page.get_by_role("button", name="Save").click()

    expect(page.get_by_role("status").first).to_contain_text(f"Saved registry {name}.")
    assert wrong not in page.content()
    assert Registry.objects.get(name=name).password == wrong
    check_login_from_local(page, name)
    expect(row_of(page, name)).to_contain_text("Login failed")

    page.get_by_role("link", name=f"Edit {name}").click()
    expect(page.get_by_label("Password or token")).to_have_value("")
    assert wrong not in page.content()
    page.get_by_label("Password or token").fill(registry_server.password)
    page.get_by_role("button", name="Save").click()

    expect(page.get_by_role("status").first).to_contain_text(f"Saved registry {name}.")
    assert registry_server.password not in page.content()
    assert Registry.objects.get(name=name).password == registry_server.password
    check_login_from_local(page, name)
    expect(row_of(page, name)).to_contain_text("Login Succeeded")
    assert registry_server.password not in page.content()

    page.get_by_role("link", name=f"Edit {name}").click()
    assert registry_server.password not in page.content()
    page.get_by_role("link", name="Cancel").click()
    page.get_by_role("link", name=f"Delete {name}").click()
    page.get_by_role("button", name=f"Delete {name}").click()

    expect(page.get_by_role("status").first).to_contain_text(
        f"Deleted registry {name}."
    )
    expect(row_of(page, name)).to_have_count(0)
    assert not Registry.objects.filter(name=name).exists()
