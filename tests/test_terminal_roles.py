"""Who may open a container's terminal and attach pages and websockets."""

import pytest
import requests

from containers.models import Container
from tests.conftest import unique
from tests.terminal_support import (
    Terminal,
    app_containers,
    close_code,
    http_session,
    open_socket,
    wait_for_mirror,
)

PAGES = ["terminal", "attach"]


@pytest.fixture
def app_container(stack, local_host, users, docker_api):
    yield from app_containers(local_host, users, docker_api)


@pytest.fixture
def plain_container(stack, docker_api):
    """A running container that belongs to no app."""
    docker_id = docker_api.create_container(
        "busybox:latest", ["sleep", "3600"], name=unique("term-plain")
    )["Id"]
    docker_api.start(docker_id)
    yield wait_for_mirror(docker_id, app=False)
    docker_api.remove_container(docker_id, force=True)


def get_page(stack, user, container, page: str) -> requests.Response:
    client = http_session(user)
    url = f"{stack.base_url}/containers/{container.pk}/{page}/"
    return client.get(url, allow_redirects=False, timeout=10)


def socket_close_code(stack, user, container, page: str) -> int | None:
    socket = open_socket(stack, user, f"/ws/containers/{container.pk}/{page}/")
    return close_code(socket)


@pytest.mark.parametrize("page", PAGES)
def test_page_team_developer(stack, users, app_container, page):
    target = app_container()
    developer = users.make(teams=[target.team])

    response = get_page(stack, developer, target.container, page)

    assert response.status_code == 200
    assert f"/ws/containers/{target.container.pk}/{page}/" in response.text


@pytest.mark.parametrize("page", PAGES)
def test_page_operator(stack, users, app_container, page):
    target = app_container()
    operator = users.make(role="operator")

    response = get_page(stack, operator, target.container, page)

    assert response.status_code == 200


@pytest.mark.parametrize("page", PAGES)
def test_page_other_team_404(stack, users, app_container, page):
    target = app_container()
    stranger = users.make(teams=[users.team()])

    response = get_page(stack, stranger, target.container, page)

    assert response.status_code == 404


@pytest.mark.parametrize("page", PAGES)
def test_page_appless_container_404(stack, users, plain_container, page):
    developer = users.make(teams=[users.team()])

    response = get_page(stack, developer, plain_container, page)

    assert response.status_code == 404


@pytest.mark.parametrize("page", PAGES)
def test_page_anonymous_redirect(stack, app_container, page):
    target = app_container()

    response = get_page(stack, None, target.container, page)

    assert response.status_code == 302
    assert "/login/" in response.headers["Location"]


@pytest.mark.parametrize("page", PAGES)
def test_page_post_405(stack, users, app_container, page):
    target = app_container()
    developer = users.make(teams=[target.team])
    client = http_session(developer)
    url = f"{stack.base_url}/containers/{target.container.pk}/{page}/"
    client.get(url, timeout=10).raise_for_status()

    response = client.post(
        url, headers={"X-CSRFToken": client.cookies["csrftoken"]}, timeout=10
    )

    assert response.status_code == 405


def test_page_bad_custom_command(stack, users, app_container):
    target = app_container()
    operator = users.make(role="operator")
    client = http_session(operator)
    url = f"{stack.base_url}/containers/{target.container.pk}/terminal/"

    response = client.get(
        url, params={"shell": "custom", "command": "echo 'open"}, timeout=10
    )

    assert response.status_code == 400
    assert "is invalid" in response.text
    assert "data-terminal" not in response.text


@pytest.mark.parametrize("page", PAGES)
def test_socket_other_team_4404(stack, users, app_container, page):
    target = app_container()
    stranger = users.make(teams=[users.team()])

    assert socket_close_code(stack, stranger, target.container, page) == 4404


@pytest.mark.parametrize("page", PAGES)
def test_socket_appless_container_4404(stack, users, plain_container, page):
    developer = users.make(teams=[users.team()])

    assert socket_close_code(stack, developer, plain_container, page) == 4404


@pytest.mark.parametrize("page", PAGES)
def test_missing_container_404(stack, users, page):
    operator = users.make(role="operator")
    missing = Container(pk=2**31 - 1)

    response = get_page(stack, operator, missing, page)

    assert response.status_code == 404
    assert socket_close_code(stack, operator, missing, page) == 4404


@pytest.mark.parametrize("page", PAGES)
def test_socket_anonymous_4403(stack, app_container, page):
    target = app_container()

    assert socket_close_code(stack, None, target.container, page) == 4403


@pytest.mark.parametrize("page", PAGES)
def test_socket_operator_plain_container(stack, users, plain_container, page):
    operator = users.make(role="operator")
    path = f"/ws/containers/{plain_container.pk}/{page}/"

    terminal = Terminal(open_socket(stack, operator, path))

    assert terminal.message("ready")["type"] == "ready"
    terminal.socket.close()
