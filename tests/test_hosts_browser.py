"""Adding remote hosts through the browser and watching their status live."""

import re

import pytest
from django.db import connections
from playwright.sync_api import expect

from containers.models import DockerHost, Profile
from tests.conftest import log_in, unique
from tests.remote_engine import make_ssh_key, remote_engine_fixture  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.slow]

LIVE_TIMEOUT = 30_000


@pytest.fixture(scope="module", autouse=True)
def close_test_connections():
    """Close the database connections this module's tests opened.

    NOTE: on PostgreSQL a connection opened by this module's first query was
    still open at the end of the session, so DROP DATABASE failed. The cause
    (Playwright's event loop and Django's context-local connections) is a
    guess that this fixture works around.
    """
    yield
    connections.close_all()


@pytest.fixture
def operator(users):
    return users.make(role=Profile.OPERATOR)


@pytest.fixture
def host_name():
    name = unique("host")
    yield name
    DockerHost.objects.filter(name=name).delete()


def open_add_form(page) -> None:
    page.goto("/")
    page.get_by_role("navigation", name="Main").get_by_role(
        "link", name="Hosts"
    ).click()
    page.get_by_role("link", name="Add a host").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Add a Docker host")


def result_region(page):
    return page.get_by_role("status", name="Connection test result")


def host_status(page):
    return page.locator("[data-host-status]")


def test_add_tls_host_from_files(page, operator, host_name, remote_engine, tmp_path):
    files = {
        "ca.pem": remote_engine.authority.pem,
        "cert.pem": remote_engine.client_cert,
        "key.pem": remote_engine.client_key,
    }
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    log_in(page, operator)
    open_add_form(page)

    page.get_by_label("Name", exact=True).fill(host_name)
    page.get_by_role("radio", name="TCP with TLS").check()
    page.get_by_label("Address", exact=True).fill(remote_engine.address)
    page.get_by_label("CA certificate file").set_input_files(tmp_path / "ca.pem")
    page.get_by_label("Client certificate file").set_input_files(tmp_path / "cert.pem")
    page.get_by_label("Client key file").set_input_files(tmp_path / "key.pem")
    page.get_by_role("button", name="Test connection").focus()
    page.keyboard.press("Enter")
    expect(result_region(page)).to_contain_text(
        "Connected: Docker Engine 20.10", timeout=LIVE_TIMEOUT
    )
    page.get_by_role("button", name="Save host").click()

    expect(page.get_by_role("heading", level=1)).to_have_text(host_name)
    expect(host_status(page)).to_have_text("online", timeout=LIVE_TIMEOUT)
    expect(page.get_by_text(re.compile(r"Docker Engine 20\.10"))).to_be_visible(
        timeout=LIVE_TIMEOUT
    )
    host = DockerHost.objects.get(name=host_name)
    assert host.url == f"tcp://{remote_engine.address}:2376"
    assert host.public_address == remote_engine.address

    remote_engine.set_link(up=False)
    try:
        expect(host_status(page)).to_have_text("offline", timeout=LIVE_TIMEOUT)
    finally:
        remote_engine.set_link(up=True)
    expect(host_status(page)).to_have_text("online", timeout=LIVE_TIMEOUT)

    page.get_by_role("navigation", name="Main").get_by_role(
        "link", name="Hosts"
    ).click()
    row = page.get_by_role("row", name=re.compile(host_name))
    expect(row).to_contain_text("online")
    expect(row).to_contain_text("20.10")


def test_add_ssh_host_with_pasted_key(page, operator, host_name, remote_engine):
    log_in(page, operator)
    open_add_form(page)

    page.get_by_label("Name", exact=True).fill(host_name)
    page.get_by_role("radio", name="SSH").check()
    page.get_by_label("Address", exact=True).fill(f"root@{remote_engine.address}:2222")
    page.get_by_label("SSH private key (PEM)").fill(remote_engine.ssh_private_key)
    page.get_by_role("button", name="Test connection").click()
    expect(result_region(page)).to_contain_text(
        "Connected: Docker Engine 20.10", timeout=LIVE_TIMEOUT
    )
    expect(result_region(page)).to_contain_text("SSH host key: SHA256:")
    page.get_by_role("button", name="Save host").click()

    expect(host_status(page)).to_have_text("online", timeout=LIVE_TIMEOUT)
    expect(page.get_by_text(re.compile(r"^SHA256:"))).to_be_visible(
        timeout=LIVE_TIMEOUT
    )
    host = DockerHost.objects.get(name=host_name)
    assert host.ssh_host_key.startswith("ssh-ed25519 ")
    assert host.counts.get("images", 0) >= 1


def test_bad_ssh_key_shown_in_page(page, operator, host_name, remote_engine):
    log_in(page, operator)
    open_add_form(page)

    page.get_by_label("Name", exact=True).fill(host_name)
    page.get_by_role("radio", name="SSH").check()
    page.get_by_label("Address", exact=True).fill(f"root@{remote_engine.address}:2222")
    page.get_by_label("SSH private key (PEM)").fill(make_ssh_key()[0])
    page.get_by_role("button", name="Test connection").click()

    expect(result_region(page)).to_contain_text(
        "SSH authentication failed", timeout=LIVE_TIMEOUT
    )
    assert not DockerHost.objects.filter(name=host_name).exists()
